"""The HTTP(S) front over real sockets, with a small stand-in for the simulator core."""

from __future__ import annotations

import errno
import http.client
import json
import signal
import socket
import ssl
import threading
import time
import xmlrpc.client
from collections import defaultdict
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest

from xapisim import server as server_module
from xapisim.certs import EcPrivateKey, TlsMaterial, generate_tls
from xapisim.errors import XapiError
from xapisim.server import RunningServer, serve

HOSTS = [("host-a", "127.0.0.1"), ("host-b", "127.0.0.2")]


class FakeSimulator:
    """Implements the interface the front needs, with a few test methods."""

    def __init__(self) -> None:
        self.hosts = list(HOSTS)
        self.master_index = 0
        self.username, self.password = "root", "secret"
        self.planned_actions: dict[int, list[str]] = defaultdict(list)
        self.lost_replies: list[str] = []  # methods whose next answer is lost after the call ran
        self.served: list[str] = []
        self.hung: set[int] = set()

    def call(self, method: str, params: list[Any], host_index: int, pipelined: bool = False) -> Any:
        self.served.append(method)
        if method == "echo":
            return params
        if method == "whoami":
            return host_index
        if method == "sleep":
            time.sleep(float(params[0]))
            return "slept"
        if method == "fail":
            raise XapiError("HANDLE_INVALID", "VM", "OpaqueRef:NULL")
        if method == "crash":
            raise RuntimeError("boom")
        raise XapiError("MESSAGE_METHOD_UNKNOWN", method)

    def control(self, verb: str, path: str, body: dict[str, Any] | None) -> tuple[int, Any]:
        if path == "missing":
            return 404, {"error": "no such endpoint"}
        return 200, {"verb": verb, "path": path, "body": body}

    def wire_action(self, host_index: int) -> str:
        planned = self.planned_actions[host_index]
        return planned.pop(0) if planned else "ok"

    def lose_reply(self, method: str) -> bool:
        if method in self.lost_replies:
            self.lost_replies.remove(method)
            return True
        return False

    def is_hung(self, host_index: int) -> bool:
        return host_index in self.hung


@pytest.fixture(scope="module")
def tls(tmp_path_factory: pytest.TempPathFactory) -> TlsMaterial:
    return generate_tls(str(tmp_path_factory.mktemp("tls")), [address for _name, address in HOSTS])


@pytest.fixture(scope="module")
def fake() -> FakeSimulator:
    return FakeSimulator()


@pytest.fixture(scope="module")
def http_server(fake: FakeSimulator) -> Iterator[RunningServer]:
    server = serve(fake, 0, use_tls=False, tls=None)
    yield server
    server.shutdown()


@pytest.fixture(scope="module")
def https_server(fake: FakeSimulator, tls: TlsMaterial) -> Iterator[RunningServer]:
    server = serve(fake, 0, use_tls=True, tls=tls)
    yield server
    server.shutdown()


@pytest.fixture(autouse=True)
def no_planned_actions(fake: FakeSimulator) -> None:
    fake.planned_actions.clear()


def _connection(server: RunningServer, host_index: int = 0) -> http.client.HTTPConnection:
    return http.client.HTTPConnection(f"{HOSTS[host_index][1]}:{server.port}", timeout=10)


def _post(connection: http.client.HTTPConnection, path: str, body: bytes, content_type: str) -> tuple[int, str, bytes]:
    connection.request("POST", path, body, {"Content-Type": content_type})
    response = connection.getresponse()
    return response.status, response.getheader("Content-Type", ""), response.read()


def _jsonrpc(connection: http.client.HTTPConnection, document: dict[str, Any]) -> dict[str, Any]:
    status, content_type, body = _post(connection, "/jsonrpc", json.dumps(document).encode(), "application/json")
    assert (status, content_type) == (200, "application/json")
    return json.loads(body)


# ---- XML-RPC ---------------------------------------------------------------


def test_xmlrpc_success_with_ints_as_strings(http_server: RunningServer) -> None:
    proxy = xmlrpc.client.ServerProxy(http_server.url(0))
    # xmlrpc.client refuses to send ints past 32 bits: that is why XAPI clients send strings.
    assert proxy.echo(5, "8589934592", True, {"k": 1}) == {
        "Status": "Success",
        "Value": ["5", "8589934592", True, {"k": "1"}],
    }


def test_xmlrpc_failure_and_internal_error(http_server: RunningServer) -> None:
    proxy = xmlrpc.client.ServerProxy(http_server.url(0))
    assert proxy.fail() == {"Status": "Failure", "ErrorDescription": ["HANDLE_INVALID", "VM", "OpaqueRef:NULL"]}
    assert proxy.crash() == {"Status": "Failure", "ErrorDescription": ["INTERNAL_ERROR", "RuntimeError: boom"]}


def test_second_address_is_the_second_host(http_server: RunningServer) -> None:
    assert http_server.urls == [f"http://127.0.0.1:{http_server.port}", f"http://127.0.0.2:{http_server.port}"]
    assert xmlrpc.client.ServerProxy(http_server.url(1)).whoami()["Value"] == "1"
    assert xmlrpc.client.ServerProxy(http_server.url(0)).whoami()["Value"] == "0"


# ---- JSON-RPC --------------------------------------------------------------


def test_jsonrpc_1_and_2(http_server: RunningServer) -> None:
    connection = _connection(http_server)
    assert _jsonrpc(connection, {"method": "echo", "params": [5, "x"], "id": 1}) == {
        "result": [5, "x"],
        "error": None,
        "id": 1,
    }
    assert _jsonrpc(connection, {"method": "fail", "params": [], "id": 2}) == {
        "result": None,
        "error": ["HANDLE_INVALID", "VM", "OpaqueRef:NULL"],
        "id": 2,
    }
    assert _jsonrpc(connection, {"jsonrpc": "2.0", "method": "whoami", "params": [], "id": "q"}) == {
        "jsonrpc": "2.0",
        "result": 0,
        "id": "q",
    }
    assert _jsonrpc(connection, {"jsonrpc": "2.0", "method": "fail", "params": [], "id": 3}) == {
        "jsonrpc": "2.0",
        "error": {"code": 1, "message": "HANDLE_INVALID", "data": ["VM", "OpaqueRef:NULL"]},
        "id": 3,
    }
    connection.close()


# ---- HTTP behaviour --------------------------------------------------------


def test_keep_alive_serves_two_requests_on_one_connection(http_server: RunningServer) -> None:
    connection = _connection(http_server)
    _jsonrpc(connection, {"method": "whoami", "params": [], "id": 1})
    first_socket = connection.sock
    assert first_socket is not None
    _jsonrpc(connection, {"method": "whoami", "params": [], "id": 2})
    assert connection.sock is first_socket
    connection.close()


def test_keep_alive_answers_are_not_delayed(http_server: RunningServer) -> None:
    # With Nagle's algorithm on, every answer would wait ~40 ms for a delayed ACK.
    connection = _connection(http_server)
    started = time.monotonic()
    for request_id in range(50):
        _jsonrpc(connection, {"method": "whoami", "params": [], "id": request_id})
    assert time.monotonic() - started < 1.0
    connection.close()


@pytest.mark.parametrize(
    ("path", "body", "content_type"),
    [("/", b"<methodCall>", "text/xml"), ("/jsonrpc", b'{"method": "echo", "params": []}', "application/json")],
)
def test_malformed_body_is_http_500_with_html(
    http_server: RunningServer, path: str, body: bytes, content_type: str
) -> None:
    connection = _connection(http_server)
    status, answer_type, answer = _post(connection, path, body, content_type)
    assert (status, answer_type) == (500, "text/html")
    assert answer.startswith(b"<html>")
    # The connection stays usable after an error answer.
    assert _jsonrpc(connection, {"method": "whoami", "params": [], "id": 1})["result"] == 0
    connection.close()


def test_unknown_paths_are_404(http_server: RunningServer) -> None:
    connection = _connection(http_server)
    assert _post(connection, "/elsewhere", b"x", "text/plain")[0] == 404
    connection.request("GET", "/")
    response = connection.getresponse()
    response.read()
    assert response.status == 404
    connection.close()


def test_slow_call_does_not_stall_other_connections(http_server: RunningServer) -> None:
    slow_answers: list[Any] = []
    slow = threading.Thread(target=lambda: slow_answers.append(xmlrpc.client.ServerProxy(http_server.url(0)).sleep(2)))
    slow.start()
    time.sleep(0.2)
    started = time.monotonic()
    assert xmlrpc.client.ServerProxy(http_server.url(0)).whoami()["Value"] == "0"
    assert time.monotonic() - started < 1.0
    slow.join()
    assert slow_answers == [{"Status": "Success", "Value": "slept"}]


# ---- injected wire faults --------------------------------------------------


@pytest.mark.parametrize("action", ["reset", "down"])
def test_wire_action_closes_without_answer(http_server: RunningServer, fake: FakeSimulator, action: str) -> None:
    fake.planned_actions[1].append(action)
    connection = _connection(http_server, 1)
    with pytest.raises((ConnectionError, http.client.BadStatusLine)):
        _jsonrpc(connection, {"method": "whoami", "params": [], "id": 1})
    connection.close()
    # The next request is answered again, and the other host was never affected.
    assert _jsonrpc(_connection(http_server, 1), {"method": "whoami", "params": [], "id": 2})["result"] == 1


def test_a_reset_drops_the_request_unserved_but_a_lost_reply_serves_it(http_server: RunningServer, fake: FakeSimulator) -> None:
    fake.served.clear()
    fake.planned_actions[0].append("reset")
    with pytest.raises((ConnectionError, http.client.BadStatusLine)):
        _jsonrpc(_connection(http_server), {"method": "echo", "params": ["first"], "id": 1})
    fake.lost_replies.append("echo")
    with pytest.raises((ConnectionError, http.client.BadStatusLine)):
        _jsonrpc(_connection(http_server), {"method": "echo", "params": ["second"], "id": 2})
    # The reset request never reached the core; the lost one did, and only its answer went missing.
    assert fake.served == ["echo"]
    assert _jsonrpc(_connection(http_server), {"method": "echo", "params": ["third"], "id": 3})["result"] == ["third"]


def test_a_hung_host_answers_nothing_until_it_is_up_again(http_server: RunningServer, fake: FakeSimulator) -> None:
    fake.hung.add(1)
    fake.planned_actions[1].append("hang")
    connection = http.client.HTTPConnection(f"{HOSTS[1][1]}:{http_server.port}", timeout=0.5)
    with pytest.raises(TimeoutError):
        _jsonrpc(connection, {"method": "whoami", "params": [], "id": 1})
    connection.close()
    fake.hung.clear()
    assert _jsonrpc(_connection(http_server, 1), {"method": "whoami", "params": [], "id": 2})["result"] == 1


def test_control_api_ignores_wire_faults(http_server: RunningServer, fake: FakeSimulator) -> None:
    fake.planned_actions[0].append("down")
    status, _type, body = _post(_connection(http_server), "/_sim/faults", b'{"up_hosts": ["host-a"]}', "application/json")
    assert status == 200
    assert json.loads(body) == {"verb": "POST", "path": "faults", "body": {"up_hosts": ["host-a"]}}
    assert fake.planned_actions[0] == ["down"]


# ---- control API -----------------------------------------------------------


def test_control_api_get_post_and_errors(http_server: RunningServer) -> None:
    connection = _connection(http_server)
    connection.request("GET", "/_sim/stats?ignored=1")
    response = connection.getresponse()
    assert (response.status, response.getheader("Content-Type")) == (200, "application/json")
    assert json.loads(response.read()) == {"verb": "GET", "path": "stats", "body": None}
    assert _post(connection, "/_sim/missing", b"", "application/json")[0] == 404
    assert _post(connection, "/_sim/faults", b"{oops", "application/json")[0] == 400
    assert _post(connection, "/_sim/faults", b"[1]", "application/json")[0] == 400
    connection.close()


# ---- TLS -------------------------------------------------------------------


def _https(server: RunningServer, host_index: int, context: ssl.SSLContext) -> http.client.HTTPSConnection:
    return http.client.HTTPSConnection(f"{HOSTS[host_index][1]}:{server.port}", timeout=10, context=context)


@pytest.mark.parametrize("host_index", [0, 1])
def test_tls_verifies_with_the_ca(https_server: RunningServer, tls: TlsMaterial, host_index: int) -> None:
    context = ssl.create_default_context(cafile=tls.ca_cert_path)
    assert _jsonrpc(_https(https_server, host_index, context), {"method": "whoami", "params": [], "id": 1}) == {
        "result": host_index,
        "error": None,
        "id": 1,
    }
    proxy = xmlrpc.client.ServerProxy(https_server.url(host_index), context=context)
    assert proxy.whoami()["Value"] == str(host_index)


def test_tls_is_refused_without_the_ca(https_server: RunningServer) -> None:
    connection = _https(https_server, 0, ssl.create_default_context())
    with pytest.raises(ssl.SSLCertVerificationError):
        connection.request("GET", "/_sim/stats")
    connection.close()


def test_stalled_handshake_does_not_block_others(https_server: RunningServer, tls: TlsMaterial) -> None:
    with socket.create_connection(("127.0.0.1", https_server.port)):  # connects, never says hello
        time.sleep(0.1)
        context = ssl.create_default_context(cafile=tls.ca_cert_path)
        started = time.monotonic()
        _jsonrpc(_https(https_server, 0, context), {"method": "whoami", "params": [], "id": 1})
        assert time.monotonic() - started < 1.0


def test_tls_generation_is_fast_and_keys_are_private(tmp_path: Path) -> None:
    started = time.monotonic()
    material = generate_tls(str(tmp_path), ["127.0.0.1", "127.0.0.2", "127.0.0.3"])
    assert time.monotonic() - started < 1.0
    assert Path(material.key_path).stat().st_mode & 0o077 == 0
    assert Path(material.cert_path).read_text().startswith("-----BEGIN CERTIFICATE-----\n")


def test_ecdsa_matches_rfc6979_vector() -> None:
    # RFC 6979 appendix A.2.5, P-256 with SHA-256, message "sample".
    key = EcPrivateKey(0xC9AFA9D845BA75166B5C215767B1D6934E50C3DB36E89B127B8A622B120F6721)
    assert key.public[0] == 0x60FED4BA255A9D31C961EB74C6356D68C049B8923B61FA6CE669622E60F29FB6
    assert key.sign_sha256(b"sample") == (
        0xEFD48B2AACB6A8FD1140DD9CD45E81D69D2C877B56AAF991C34D0EA84EAF3716,
        0xF7CB1C942D657C41D436C7A1B6E29F65F3E900DBB9AFF4064DC4AB2F843ACDA8,
    )


# ---- lifecycle -------------------------------------------------------------


def test_shutdown_stops_every_listener_and_connection(fake: FakeSimulator) -> None:
    server = serve(fake, 0, use_tls=False, tls=None)
    idle = _connection(server, 1)
    _jsonrpc(idle, {"method": "whoami", "params": [], "id": 1})
    server.shutdown()
    for _name, address in HOSTS:
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection((address, server.port), timeout=2).close()
    with pytest.raises((ConnectionError, http.client.BadStatusLine, OSError)):
        _jsonrpc(idle, {"method": "whoami", "params": [], "id": 2})


def test_port_zero_retries_when_a_later_address_is_taken(
    fake: FakeSimulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_server = server_module._HostServer
    taken_ports: list[int] = []

    def flaky_server(address: str, port: int, *args: Any) -> Any:
        if address == "127.0.0.2" and not taken_ports:
            taken_ports.append(port)
            raise OSError(errno.EADDRINUSE, "taken")
        return real_server(address, port, *args)

    monkeypatch.setattr(server_module, "_HostServer", flaky_server)
    server = serve(fake, 0, use_tls=False, tls=None)
    try:
        assert len(taken_ports) == 1
        assert xmlrpc.client.ServerProxy(server.url(1)).whoami()["Value"] == "1"
    finally:
        server.shutdown()


def test_fixed_port_in_use_is_an_error(http_server: RunningServer, fake: FakeSimulator) -> None:
    with pytest.raises(OSError):
        serve(fake, http_server.port, use_tls=False, tls=None)


# ---- the command line ---------------------------------------------------------

def test_cli_ready_line_and_control_api(sim: Any) -> None:
    info = sim.info
    assert set(info) == {"url", "hosts", "master", "username", "password", "ca_cert", "control", "standalone"}
    assert info["standalone"] == {}, "standalone hosts only with --standalone"
    assert info["url"] == info["hosts"][info["master"]]
    assert info["url"].startswith("https://127.0.0.") and info["control"].startswith("https://127.0.0.1:")
    context = ssl.create_default_context(cafile=info["ca_cert"])
    proxy = xmlrpc.client.ServerProxy(info["url"], context=context)
    login = proxy.session.login_with_password(info["username"], info["password"], "1.0", "tests")
    assert login["Status"] == "Success" and login["Value"].startswith("OpaqueRef:")
    assert isinstance(sim.control_get("stats"), dict)


def test_cli_http_and_clean_exit(sim_factory: Callable[..., Any]) -> None:
    process = sim_factory("--http")
    assert process.info["ca_cert"] is None
    assert process.url.startswith("http://")
    assert process.control("GET", "no-such-endpoint")[0] == 404
    # Nothing but the ready line on stdout, and a clean exit on SIGTERM.
    process.process.send_signal(signal.SIGTERM)
    assert process.process.communicate(timeout=15)[0] == ""
    assert process.stop() == 0
