"""Wire formats of the simulator: exact shapes and round trips."""

from __future__ import annotations

import datetime as dt
import json
import xmlrpc.client

import pytest

from xapisim.wire import (
    MalformedRequest,
    decode_jsonrpc_request,
    decode_xmlrpc_request,
    encode_jsonrpc_failure,
    encode_jsonrpc_success,
    encode_xmlrpc_failure,
    encode_xmlrpc_success,
    encode_xmlrpc_value,
    format_datetime,
    parse_datetime,
)

UTC = dt.timezone.utc
NEW_YEAR = dt.datetime(2024, 1, 1, tzinfo=UTC)
REF = "OpaqueRef:5d2f7d36-4a5a-4f6c-9b44-3c4c2d5b8f11"


def _load_response(payload: bytes) -> dict:
    """What a Python XML-RPC client sees in a response body."""
    (document,), _method = xmlrpc.client.loads(payload)
    return document


# ---- XML-RPC: encoding shapes ----------------------------------------------


@pytest.mark.parametrize(
    ("value", "xml"),
    [
        ("abc", "<value>abc</value>"),
        ("", "<value></value>"),
        (8589934592, "<value>8589934592</value>"),
        (-1, "<value>-1</value>"),
        (True, "<value><boolean>1</boolean></value>"),
        (False, "<value><boolean>0</boolean></value>"),
        (0.5, "<value><double>0.5</double></value>"),
        (NEW_YEAR, "<value><dateTime.iso8601>20240101T00:00:00Z</dateTime.iso8601></value>"),
        ([], "<value><array><data></data></array></value>"),
        (["a", 1], "<value><array><data><value>a</value><value>1</value></data></array></value>"),
        ({}, "<value><struct></struct></value>"),
        ({"k": "v"}, "<value><struct><member><name>k</name><value>v</value></member></struct></value>"),
        (None, "<value></value>"),
    ],
)
def test_xmlrpc_value_shapes(value: object, xml: str) -> None:
    assert encode_xmlrpc_value(value) == xml


def test_xmlrpc_escapes_markup_in_strings_and_keys() -> None:
    assert encode_xmlrpc_value("a<b>&c") == "<value>a&lt;b&gt;&amp;c</value>"
    assert encode_xmlrpc_value({"<k>": "x"}) == (
        "<value><struct><member><name>&lt;k&gt;</name><value>x</value></member></struct></value>"
    )
    provision = '<provision><disk device="0" size="8589934592"/></provision>'
    assert _load_response(encode_xmlrpc_success({"disks": provision}))["Value"] == {"disks": provision}


def test_xmlrpc_map_keys_are_stringified() -> None:
    assert _load_response(encode_xmlrpc_success({1: "a"}))["Value"] == {"1": "a"}
    assert _load_response(encode_xmlrpc_success({True: "b"}))["Value"] == {"true": "b"}


def test_xmlrpc_datetime_in_other_zone_is_written_in_utc() -> None:
    paris = dt.timezone(dt.timedelta(hours=1))
    assert format_datetime(dt.datetime(2024, 1, 1, 1, 0, tzinfo=paris)) == "20240101T00:00:00Z"


def test_xmlrpc_success_is_a_status_struct_with_ints_as_strings() -> None:
    record = {"memory_static_max": 8589934592, "VCPUs_max": 2, "is_a_template": False, "VBDs": [REF]}
    document = _load_response(encode_xmlrpc_success(record))
    assert document == {
        "Status": "Success",
        "Value": {"memory_static_max": "8589934592", "VCPUs_max": "2", "is_a_template": False, "VBDs": [REF]},
    }


def test_xmlrpc_success_round_trips_datetime() -> None:
    document = _load_response(encode_xmlrpc_success({"created": NEW_YEAR}))
    assert str(document["Value"]["created"]) == "20240101T00:00:00Z"


def test_xmlrpc_void_is_an_empty_string() -> None:
    assert _load_response(encode_xmlrpc_success(None)) == {"Status": "Success", "Value": ""}


def test_xmlrpc_failure_is_not_a_fault_and_params_are_strings() -> None:
    payload = encode_xmlrpc_failure("MESSAGE_PARAMETER_COUNT_MISMATCH", ["VM.start", 3, 1])
    assert b"<fault>" not in payload
    assert _load_response(payload) == {
        "Status": "Failure",
        "ErrorDescription": ["MESSAGE_PARAMETER_COUNT_MISMATCH", "VM.start", "3", "1"],
    }


def test_xmlrpc_task_result_text() -> None:
    assert encode_xmlrpc_value(REF) == f"<value>{REF}</value>"


# ---- XML-RPC: decoding -----------------------------------------------------


def test_decode_request_from_python_client() -> None:
    body = xmlrpc.client.dumps(
        ("OpaqueRef:s", 5, True, 1.5, ["a"], {"k": "v"}, xmlrpc.client.DateTime("20240101T00:00:00")),
        "VM.set_VCPUs_max",
    ).encode()
    method, params = decode_xmlrpc_request(body)
    assert method == "VM.set_VCPUs_max"
    assert params == ["OpaqueRef:s", 5, True, 1.5, ["a"], {"k": "v"}, NEW_YEAR]


@pytest.mark.parametrize("tag", ["int", "i4", "i8"])
def test_decode_accepts_every_int_tag(tag: str) -> None:
    body = f"<methodCall><methodName>m</methodName><params><param><value><{tag}>42</{tag}></value></param></params></methodCall>"
    assert decode_xmlrpc_request(body.encode()) == ("m", [42])


def test_decode_bare_and_typed_strings_alike() -> None:
    body = (
        b"<?xml version='1.0'?><methodCall><methodName> session.login_with_password </methodName><params>"
        b"<param><value>root</value></param><param><value><string>p&amp;w</string></value></param>"
        b"<param><value/></param></params></methodCall>"
    )
    assert decode_xmlrpc_request(body) == ("session.login_with_password", ["root", "p&w", ""])


def test_decode_without_params() -> None:
    assert decode_xmlrpc_request(b"<methodCall><methodName>pool.get_all</methodName></methodCall>") == (
        "pool.get_all",
        [],
    )


def test_parse_datetime_forms() -> None:
    for text in ("20240101T00:00:00Z", "20240101T00:00:00", "2024-01-01T00:00:00Z"):
        assert parse_datetime(text) == NEW_YEAR


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"not xml",
        b"<methodCall><methodName>m</methodName>",
        b"<methodResponse/>",
        b"<methodCall><params/></methodCall>",
        b"<methodCall><methodName>m</methodName><params><param><value><nil/></value></param></params></methodCall>",
        b"<methodCall><methodName>m</methodName><params><param><value><int>x</int></value></param></params></methodCall>",
        b"<methodCall><methodName>m</methodName><params><param><value><boolean>2</boolean></value></param></params></methodCall>",
        b"<methodCall><methodName>m</methodName><params><param><value><base64>AA==</base64></value></param></params></methodCall>",
        b'<!DOCTYPE x [<!ENTITY a "aaaa">]><methodCall><methodName>&a;</methodName></methodCall>',
    ],
)
def test_decode_malformed_xmlrpc(body: bytes) -> None:
    with pytest.raises(MalformedRequest):
        decode_xmlrpc_request(body)


# ---- JSON-RPC --------------------------------------------------------------


def test_decode_jsonrpc_versions() -> None:
    one = json.dumps({"method": "VM.get_all", "params": ["OpaqueRef:s"], "id": 7}).encode()
    two = json.dumps({"jsonrpc": "2.0", "method": "VM.get_all", "params": [], "id": "x"}).encode()
    assert decode_jsonrpc_request(one) == ("VM.get_all", ["OpaqueRef:s"], 7, "1.0")
    assert decode_jsonrpc_request(two) == ("VM.get_all", [], "x", "2.0")


def test_decode_jsonrpc_keeps_null_id() -> None:
    assert decode_jsonrpc_request(b'{"method": "m", "params": [], "id": null}')[2] is None


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"{",
        b"[]",
        b'[{"method": "m", "params": [], "id": 1}]',
        b'{"method": "m", "params": []}',
        b'{"params": [], "id": 1}',
        b'{"method": "m", "params": {"a": 1}, "id": 1}',
        b"\xff\xfe",
    ],
)
def test_decode_malformed_jsonrpc(body: bytes) -> None:
    with pytest.raises(MalformedRequest):
        decode_jsonrpc_request(body)


def test_jsonrpc_1_shapes() -> None:
    success = json.loads(encode_jsonrpc_success({"size": 8589934592, "at": NEW_YEAR}, 3, "1.0"))
    assert success == {"result": {"size": 8589934592, "at": "20240101T00:00:00Z"}, "error": None, "id": 3}
    failure = json.loads(encode_jsonrpc_failure("HANDLE_INVALID", ["VM", REF], 3, "1.0"))
    assert failure == {"result": None, "error": ["HANDLE_INVALID", "VM", REF], "id": 3}


def test_jsonrpc_2_shapes() -> None:
    success = json.loads(encode_jsonrpc_success([1, True, 0.5], "a", "2.0"))
    assert success == {"jsonrpc": "2.0", "result": [1, True, 0.5], "id": "a"}
    failure = json.loads(encode_jsonrpc_failure("SESSION_INVALID", [REF, 2], "a", "2.0"))
    assert failure == {
        "jsonrpc": "2.0",
        "error": {"code": 1, "message": "SESSION_INVALID", "data": [REF, "2"]},
        "id": "a",
    }


def test_jsonrpc_void_and_unicode() -> None:
    assert json.loads(encode_jsonrpc_success(None, 1, "2.0"))["result"] == ""
    assert json.loads(encode_jsonrpc_success("caf\u00e9 \u2603", 1, "1.0"))["result"] == "caf\u00e9 \u2603"


# ---- speed -----------------------------------------------------------------


def _big_pool(vm_count: int, fields: int = 100) -> dict[str, dict[str, object]]:
    template: dict[str, object] = {f"field_{i}": f"value {i}" for i in range(fields - 6)}
    records = {}
    for index in range(vm_count):
        record = dict(template)
        record.update(
            uuid=f"uuid-{index}",
            memory_static_max=8589934592,
            is_a_template=False,
            VBDs=[REF, REF],
            other_config={"a": "b"},
            start_time=NEW_YEAR,
        )
        records[f"OpaqueRef:{index}"] = record
    return records


def test_jsonrpc_encodes_ten_thousand_vms() -> None:
    # Speed is measured by tests/bench/bench_simulator.py; this checks the large payload is right.
    records = _big_pool(10_000)
    payload = encode_jsonrpc_success(records, 1, "1.0")
    assert json.loads(payload)["result"]["OpaqueRef:9999"]["start_time"] == "20240101T00:00:00Z"


def test_xmlrpc_encodes_ten_thousand_vms() -> None:
    payload = encode_xmlrpc_success(_big_pool(10_000))
    assert payload.endswith(b"</methodResponse>\n")
