"""The wire: XML-RPC value encoding, JSON-RPC 1.0 / 2.0 answering exactly like XML-RPC, error
shapes, malformed requests, keep-alive connections, blocking calls, and injected wire faults.

XML-RPC goes through the official XenAPI client where it can, and through a plain
``http.client`` connection where the bytes themselves are under test.
"""
from __future__ import annotations

import http.client
import json
import re
import socket
import threading
import time
import xmlrpc.client
from typing import TYPE_CHECKING, Any, Iterator
from urllib.parse import urlsplit

import pytest

from xapisim.http_handler import control_client_allowed
import XenAPI
from xapi_helpers import failure

if TYPE_CHECKING:
    from xapisim.process import SimProcess

REF_TEXT = re.compile(r"OpaqueRef:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
DATETIME_TEXT = re.compile(r"[0-9]{8}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z")


class Wire:
    """One keep-alive HTTP connection to the simulator, for requests written byte by byte."""

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        self.connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=30)

    def post(self, path: str, body: bytes | str, content_type: str) -> tuple[http.client.HTTPResponse, bytes]:
        self.connection.request("POST", path, body, {"Content-Type": content_type})
        response = self.connection.getresponse()
        return response, response.read()

    def xmlrpc(self, method: str, *params: Any) -> tuple[str, Any]:
        """The raw XML answer and its decoded value (the Status struct)."""
        response, payload = self.post("/", xmlrpc.client.dumps(params, method), "text/xml")
        assert (response.status, response.getheader("Content-Type")) == (200, "text/xml")
        return payload.decode("utf-8"), xmlrpc.client.loads(payload)[0][0]

    def jsonrpc(self, document: dict[str, Any]) -> dict[str, Any]:
        response, payload = self.post("/jsonrpc", json.dumps(document), "application/json")
        assert (response.status, response.getheader("Content-Type")) == (200, "application/json")
        return json.loads(payload)

    def close(self) -> None:
        self.connection.close()


@pytest.fixture(scope="module")
def xapi(sim_http: SimProcess) -> Iterator[XenAPI.Session]:
    session = XenAPI.Session(sim_http.url)
    session.xenapi.login_with_password(sim_http.info["username"], sim_http.info["password"], "2.21", "xapisim-tests wire")
    yield session
    session.xenapi.session.logout()


@pytest.fixture
def wire(sim_http: SimProcess) -> Iterator[Wire]:
    connection = Wire(sim_http.url)
    yield connection
    connection.close()


@pytest.fixture
def clear_faults(sim_http: SimProcess) -> Iterator[None]:
    yield
    sim_http.control_post("faults", {"clear": True})


def web01(xapi: XenAPI.Session) -> str:
    return xapi.xenapi.VM.get_by_name_label("web01")[0]


# ---- XML-RPC encoding -----------------------------------------------------------------------
def test_ints_travel_as_decimal_strings(xapi: XenAPI.Session, wire: Wire) -> None:
    vm = web01(xapi)
    assert xapi.xenapi.VM.get_VCPUs_max(vm) == "2"
    assert xapi.xenapi.VM.get_memory_static_max(vm) == str(2 * 1024 ** 3)
    text, answer = wire.xmlrpc("VM.get_VCPUs_max", xapi.handle, vm)
    assert "<member><name>Value</name><value>2</value></member>" in text
    assert answer == {"Status": "Success", "Value": "2"}


def test_datetimes_travel_as_iso8601(xapi: XenAPI.Session, wire: Wire) -> None:
    metrics = xapi.xenapi.VM.get_metrics(web01(xapi))
    start_time = xapi.xenapi.VM_metrics.get_start_time(metrics)
    assert isinstance(start_time, xmlrpc.client.DateTime)
    assert DATETIME_TEXT.fullmatch(start_time.value)
    text, _unused = wire.xmlrpc("VM_metrics.get_start_time", xapi.handle, metrics)
    assert f"<value><dateTime.iso8601>{start_time.value}</dateTime.iso8601></value>" in text


def test_refs_bools_floats_sets_and_maps(xapi: XenAPI.Session, wire: Wire) -> None:
    vm = web01(xapi)
    assert all(REF_TEXT.fullmatch(ref) for ref in xapi.xenapi.VM.get_all())
    assert xapi.xenapi.VM.get_appliance(vm) == "OpaqueRef:NULL"
    assert xapi.xenapi.VM.get_is_a_template(vm) is False
    assert isinstance(xapi.xenapi.VM.get_HVM_shadow_multiplier(vm), float)
    assert xapi.xenapi.VM.get_tags(vm) == ["web", "production"]
    assert isinstance(xapi.xenapi.VM.get_platform(vm), dict)
    text, _unused = wire.xmlrpc("VM.get_is_a_template", xapi.handle, vm)
    assert "<value><boolean>0</boolean></value>" in text
    # Setters return void, which is the empty string.
    assert wire.xmlrpc("VM.set_name_description", xapi.handle, vm, "front end")[1] == {"Status": "Success", "Value": ""}


def test_failures_are_status_structs_not_faults(xapi: XenAPI.Session, wire: Wire) -> None:
    bogus = "OpaqueRef:00000000-0000-0000-0000-000000000000"
    _unused, answer = wire.xmlrpc("VM.get_record", xapi.handle, bogus)
    assert answer == {"Status": "Failure", "ErrorDescription": ["HANDLE_INVALID", "VM", bogus]}


def test_typed_strings_and_ints_are_accepted_on_input(xapi: XenAPI.Session, wire: Wire) -> None:
    vm = web01(xapi)
    body = ("<?xml version='1.0'?><methodCall><methodName>VM.set_user_version</methodName><params>"
            f"<param><value><string>{xapi.handle}</string></value></param><param><value>{vm}</value></param>"
            "<param><value><i8>3</i8></value></param></params></methodCall>")
    _unused, payload = wire.post("/", body, "text/xml")
    assert xmlrpc.client.loads(payload)[0][0] == {"Status": "Success", "Value": ""}
    assert xapi.xenapi.VM.get_user_version(vm) == "3"


# ---- JSON-RPC parity ------------------------------------------------------------------------
def normalise(value: Any) -> Any:
    """One form for both transports: ints and datetimes as the text XML-RPC carries."""
    if isinstance(value, xmlrpc.client.DateTime):
        return value.value
    if isinstance(value, (bool, float)):
        return value
    if isinstance(value, int):
        return str(value)
    if isinstance(value, list):
        return [normalise(item) for item in value]
    if isinstance(value, dict):
        return {key: normalise(item) for key, item in value.items()}
    return value


PARITY_CALLS = ["VM.get_all_records", "host.get_all_records", "SR.get_all_records", "VDI.get_all_records",
                "VM_metrics.get_all_records", "VM_guest_metrics.get_all_records", "pool.get_all_records",
                "PIF.get_all_records", "network.get_all"]


@pytest.mark.parametrize("method", PARITY_CALLS)
@pytest.mark.parametrize("version", ["1.0", "2.0"])
def test_json_rpc_answers_like_xml_rpc(xapi: XenAPI.Session, wire: Wire, method: str, version: str) -> None:
    cls, name = method.split(".")
    via_xml = getattr(getattr(xapi.xenapi, cls), name)()
    request: dict[str, Any] = {"method": method, "params": [xapi.handle], "id": 42}
    if version == "2.0":
        request["jsonrpc"] = "2.0"
    answer = wire.jsonrpc(request)
    expected_keys = {"jsonrpc", "result", "id"} if version == "2.0" else {"result", "error", "id"}
    assert set(answer) == expected_keys and answer["id"] == 42
    if version == "1.0":
        assert answer["error"] is None
    assert normalise(answer["result"]) == normalise(via_xml)


def test_json_rpc_carries_ints_as_numbers_and_datetimes_as_text(xapi: XenAPI.Session, wire: Wire) -> None:
    vm = web01(xapi)
    assert wire.jsonrpc({"method": "VM.get_VCPUs_max", "params": [xapi.handle, vm], "id": 1})["result"] == 2
    metrics = xapi.xenapi.VM.get_metrics(vm)
    start = wire.jsonrpc({"method": "VM_metrics.get_start_time", "params": [xapi.handle, metrics], "id": 2})["result"]
    assert start == xapi.xenapi.VM_metrics.get_start_time(metrics).value
    void = wire.jsonrpc({"jsonrpc": "2.0", "method": "VM.set_user_version", "params": [xapi.handle, vm, 4], "id": 3})
    assert void == {"jsonrpc": "2.0", "result": "", "id": 3}
    assert xapi.xenapi.VM.get_user_version(vm) == "4"


@pytest.mark.parametrize("request_id", [7, "call-seven"])
def test_json_rpc_error_shapes(xapi: XenAPI.Session, wire: Wire, request_id: Any) -> None:
    bogus = "OpaqueRef:00000000-0000-0000-0000-000000000000"
    v1 = wire.jsonrpc({"method": "VM.get_record", "params": [xapi.handle, bogus], "id": request_id})
    assert v1 == {"result": None, "error": ["HANDLE_INVALID", "VM", bogus], "id": request_id}
    v2 = wire.jsonrpc({"jsonrpc": "2.0", "method": "VM.get_record", "params": [xapi.handle, bogus], "id": request_id})
    assert v2 == {"jsonrpc": "2.0", "error": {"code": 1, "message": "HANDLE_INVALID", "data": ["VM", bogus]}, "id": request_id}
    unknown = wire.jsonrpc({"jsonrpc": "2.0", "method": "VM.nope", "params": [], "id": request_id})
    assert unknown["error"] == {"code": 1, "message": "MESSAGE_METHOD_UNKNOWN", "data": ["VM.nope"]}


MALFORMED = [
    ("/", "text/xml", "<methodCall><methodName>VM.get_all</methodName><params>"),
    ("/", "text/xml", "not xml at all"),
    ("/", "text/xml", "<?xml version='1.0'?><methodResponse/>"),
    ("/jsonrpc", "application/json", '{"method": "VM.get_all", "params": [], "id": '),
    ("/jsonrpc", "application/json", '{"method": "VM.get_all", "params": []}'),
    ("/jsonrpc", "application/json", '[{"method": "VM.get_all", "params": [], "id": 1}]'),
]


@pytest.mark.parametrize("path, content_type, body", MALFORMED)
def test_malformed_requests_get_http_500_with_html(wire: Wire, path: str, content_type: str, body: str) -> None:
    response, payload = wire.post(path, body, content_type)
    assert response.status == 500
    assert response.getheader("Content-Type") == "text/html"
    assert payload.lstrip().lower().startswith(b"<html")


def test_connections_are_kept_alive(xapi: XenAPI.Session, wire: Wire) -> None:
    wire.xmlrpc("VM.get_all", xapi.handle)
    sock = wire.connection.sock
    for index in range(20):
        body = json.dumps({"method": "VM.get_all", "params": [xapi.handle], "id": index})
        response, _unused = wire.post("/jsonrpc", body, "application/json")
        assert not response.will_close
        wire.xmlrpc("host.get_all", xapi.handle)
    assert wire.connection.sock is sock


def test_a_blocking_event_from_does_not_stall_other_clients(sim_http: SimProcess, xapi: XenAPI.Session) -> None:
    watcher = XenAPI.Session(sim_http.url)
    watcher.xenapi.login_with_password(sim_http.info["username"], sim_http.info["password"], "2.21", "xapisim-tests watcher")
    event_from = getattr(watcher.xenapi.event, "from")
    token = event_from(["vm"], "", 0.0)["token"]
    answers: list[dict[str, Any]] = []
    blocker = threading.Thread(target=lambda: answers.append(event_from(["vm"], token, 5.0)))
    started = time.monotonic()
    blocker.start()
    time.sleep(0.2)
    for _unused in range(20):
        xapi.xenapi.host.get_all_records()
    assert time.monotonic() - started < 2.0 and blocker.is_alive()
    xapi.xenapi.VM.set_name_description(web01(xapi), "wakes the watcher")
    blocker.join(4.0)
    assert not blocker.is_alive() and time.monotonic() - started < 3.0
    assert [event["ref"] for event in answers[0]["events"]] == [web01(xapi)]
    watcher.xenapi.session.logout()


# ---- injected wire faults -------------------------------------------------------------------
@pytest.mark.usefixtures("clear_faults")
def test_latency_fault_slows_every_call(sim_http: SimProcess, xapi: XenAPI.Session) -> None:
    sim_http.control_post("faults", {"latency_ms": 150})
    started = time.monotonic()
    xapi.xenapi.VM.get_all()
    xapi.xenapi.host.get_all()
    assert time.monotonic() - started >= 0.3
    sim_http.control_post("faults", {"latency_ms": 0})
    started = time.monotonic()
    xapi.xenapi.VM.get_all()
    assert time.monotonic() - started < 0.15


@pytest.mark.usefixtures("clear_faults")
def test_pipelined_requests_are_answered_in_order_and_share_one_round_trip(sim_http: SimProcess, xapi: XenAPI.Session) -> None:
    # xapi reads each request off its connection exactly and serves the next once it answered one (http.ml
    # read_up_to, http_svr.ml read_body and handle_connection), so a client may send several before reading.
    methods = ["VM.get_all", "host.get_all", "pool.get_all", "SR.get_all"]
    bodies = [json.dumps({"jsonrpc": "2.0", "method": method, "params": [xapi._session], "id": index}).encode()
              for index, method in enumerate(methods)]
    requests = b"".join(b"POST /jsonrpc HTTP/1.1\r\nHost: pool\r\nContent-Type: application/json\r\nContent-Length: "
                        + str(len(body)).encode() + b"\r\n\r\n" + body for body in bodies)
    parts = urlsplit(sim_http.url)
    sim_http.control_post("faults", {"latency_ms": 150})
    sim_http.control_post("reset_stats")
    answers = []
    with socket.create_connection((parts.hostname or "", parts.port or 80), timeout=30) as sock:
        started = time.monotonic()
        sock.sendall(requests)
        with sock.makefile("rb") as reader:
            for _method in methods:
                assert reader.readline().startswith(b"HTTP/1.1 200")
                headers = http.client.parse_headers(reader)
                answers.append(json.loads(reader.read(int(headers["Content-Length"]))))
        pipelined = time.monotonic() - started
    assert [answer["id"] for answer in answers] == [0, 1, 2, 3] and all(answer["result"] for answer in answers)
    stats = sim_http.control_get("stats")
    assert stats["total_calls"] == 4 and stats["round_trips"] == 1, stats
    # One after another, each call makes the trip.
    sim_http.control_post("reset_stats")
    started = time.monotonic()
    for method in methods:
        getattr(getattr(xapi.xenapi, method.split(".", maxsplit=1)[0]), "get_all")()
    one_by_one = time.monotonic() - started
    assert sim_http.control_get("stats")["round_trips"] == 4
    assert pipelined < 0.45 <= 0.6 <= one_by_one


@pytest.mark.usefixtures("clear_faults")
def test_fail_fault_fails_a_method_a_given_number_of_times(sim_http: SimProcess, xapi: XenAPI.Session) -> None:
    error = ["HOST_OFFLINE", "OpaqueRef:00000000-0000-0000-0000-000000000001"]
    sim_http.control_post("faults", {"fail": {"method": "VM.get_all", "times": 2, "error": error}})
    assert xapi.xenapi.host.get_all()  # other methods are unaffected
    assert failure(xapi.xenapi.VM.get_all) == error
    assert failure(xapi.xenapi.VM.get_all) == error
    assert xapi.xenapi.VM.get_all()


@pytest.mark.usefixtures("clear_faults")
def test_reset_connections_fault_is_bounded(sim_http: SimProcess, xapi: XenAPI.Session) -> None:
    xapi.xenapi.VM.get_all()  # the client now holds a kept-alive connection
    # Two resets: the client's own retry on a reused connection meets the second one.
    sim_http.control_post("faults", {"reset_connections": {"fraction": 1.0, "max": 2}})
    with pytest.raises((OSError, http.client.HTTPException)):
        xapi.xenapi.VM.get_all()
    for _unused in range(5):
        assert xapi.xenapi.VM.get_all()


def test_control_api_rejects_unknown_endpoints_and_bad_bodies(sim_http: SimProcess) -> None:
    status, answer = sim_http.control("GET", "no_such_endpoint")
    assert status == 404 and "no_such_endpoint" in answer["error"]
    status, answer = sim_http.control("POST", "faults", {"down_hosts": ["no-such-host"]})
    assert status == 400


@pytest.mark.parametrize("address, allowed", [
    ("127.0.0.1", True), ("127.0.0.3", True), ("::1", True), ("192.0.2.7", False), ("10.0.0.1", False), ("fe80::1%eth0", False),
    ("not an address", False),
])
def test_control_api_answers_loopback_clients_only(address: str, allowed: bool) -> None:
    # Every simulated host listens on a loopback address, so the refusal is checked on the decision itself.
    assert control_client_allowed(address) is allowed
