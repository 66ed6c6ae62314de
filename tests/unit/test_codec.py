# Copyright: (c) 2026, xen.xapi maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Wire encodings: XML-RPC and JSON-RPC requests and responses, and task results."""

from __future__ import annotations

import http.client
import io
import json
import xmlrpc.client

import pytest

from ansible_collections.xen.xapi.plugins.module_utils._xapi.errors import XapiError
from ansible_collections.xen.xapi.plugins.module_utils._xapi.tasks import decode_task_result, task_outcome
from ansible_collections.xen.xapi.plugins.module_utils._xapi.codec import (
    decode_jsonrpc_response,
    decode_xmlrpc_response,
    encode_jsonrpc_request,
    encode_xmlrpc_request,
)
from ansible_collections.xen.xapi.plugins.module_utils._xapi.transport import Transport, pipeline_batches


def _xmlrpc_response(envelope: dict) -> bytes:
    return xmlrpc.client.dumps((envelope,), methodresponse=True).encode("utf-8")


# --- XML-RPC requests -------------------------------------------------------------------------

def test_xmlrpc_request_sends_ints_as_strings() -> None:
    body = encode_xmlrpc_request("VM.set_memory", ["OpaqueRef:s", 8589934592, 1])
    params, method = xmlrpc.client.loads(body)
    assert method == "VM.set_memory"
    assert params == ("OpaqueRef:s", "8589934592", "1")
    assert b"<int>" not in body and b"<i4>" not in body


def test_xmlrpc_request_keeps_bools_floats_and_nests_conversion() -> None:
    record = {"VM": "OpaqueRef:v", "bootable": True, "size": 2 ** 40, "ratio": 0.5, "ints": [1, 2], "map": {3: 4}}
    (decoded,), _method = xmlrpc.client.loads(encode_xmlrpc_request("VBD.create", [record]))
    assert decoded == {"VM": "OpaqueRef:v", "bootable": True, "size": "1099511627776", "ratio": 0.5,
                       "ints": ["1", "2"], "map": {"3": "4"}}


def test_xmlrpc_request_escapes_markup_in_strings() -> None:
    (text,), _method = xmlrpc.client.loads(encode_xmlrpc_request("VM.set_name_label", ["<a & b>"]))
    assert text == "<a & b>"


# --- XML-RPC responses ------------------------------------------------------------------------

def test_xmlrpc_success_envelope_is_unwrapped() -> None:
    assert decode_xmlrpc_response(_xmlrpc_response({"Status": "Success", "Value": ["OpaqueRef:a"]})) == ["OpaqueRef:a"]


def test_xmlrpc_bare_string_values_are_read() -> None:
    body = (b"<?xml version='1.0'?><methodResponse><params><param><value><struct>"
            b"<member><name>Status</name><value>Success</value></member>"
            b"<member><name>Value</name><value>OpaqueRef:abc</value></member>"
            b"</struct></value></param></params></methodResponse>")
    assert decode_xmlrpc_response(body) == "OpaqueRef:abc"


def test_xmlrpc_failure_envelope_raises_xapi_error() -> None:
    body = _xmlrpc_response({"Status": "Failure", "ErrorDescription": ["HANDLE_INVALID", "VM", "OpaqueRef:x"]})
    with pytest.raises(XapiError) as info:
        decode_xmlrpc_response(body)
    assert info.value.code == "HANDLE_INVALID"
    assert info.value.params == ["VM", "OpaqueRef:x"]


def test_xmlrpc_datetimes_come_back_as_wire_text() -> None:
    value = {"created": xmlrpc.client.DateTime("20240101T10:20:30Z"), "list": [xmlrpc.client.DateTime("20240102T00:00:00Z")]}
    decoded = decode_xmlrpc_response(_xmlrpc_response({"Status": "Success", "Value": value}))
    assert decoded == {"created": "20240101T10:20:30Z", "list": ["20240102T00:00:00Z"]}


def test_xmlrpc_envelope_without_status_is_rejected() -> None:
    with pytest.raises(ValueError):
        decode_xmlrpc_response(_xmlrpc_response({"Value": "x"}))


# --- JSON-RPC ---------------------------------------------------------------------------------

def test_jsonrpc_request_is_version_2_with_id() -> None:
    request = json.loads(encode_jsonrpc_request("VM.get_all", ["OpaqueRef:s"], 7))
    assert request == {"jsonrpc": "2.0", "method": "VM.get_all", "params": ["OpaqueRef:s"], "id": 7}


def test_jsonrpc_result_is_returned() -> None:
    assert decode_jsonrpc_response(b'{"jsonrpc": "2.0", "result": {"a": 8589934592}, "id": 1}') == {"a": 8589934592}


def test_jsonrpc_void_result_is_empty_string() -> None:
    assert decode_jsonrpc_response(b'{"jsonrpc": "2.0", "result": "", "id": 1}') == ""


def test_jsonrpc_v2_error_object() -> None:
    body = b'{"jsonrpc": "2.0", "error": {"code": 1, "message": "SESSION_INVALID", "data": ["OpaqueRef:s"]}, "id": 1}'
    with pytest.raises(XapiError) as info:
        decode_jsonrpc_response(body)
    assert (info.value.code, info.value.params) == ("SESSION_INVALID", ["OpaqueRef:s"])


def test_jsonrpc_v1_error_list() -> None:
    body = b'{"result": null, "error": ["VM_BAD_POWER_STATE", "OpaqueRef:v", "halted", "running"], "id": 1}'
    with pytest.raises(XapiError) as info:
        decode_jsonrpc_response(body)
    assert (info.value.code, info.value.params) == ("VM_BAD_POWER_STATE", ["OpaqueRef:v", "halted", "running"])


def test_jsonrpc_v1_success_with_null_error() -> None:
    assert decode_jsonrpc_response(b'{"result": "OpaqueRef:x", "error": null, "id": 1}') == "OpaqueRef:x"


@pytest.mark.parametrize("body", [b"<html>500</html>", b"[1, 2]", b'{"id": 1}'])
def test_jsonrpc_unreadable_responses_raise_value_error(body: bytes) -> None:
    with pytest.raises(ValueError):
        decode_jsonrpc_response(body)


# --- Task results -----------------------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("<value>OpaqueRef:1234</value>", "OpaqueRef:1234"),
    ("  <value>OpaqueRef:1234</value>\n", "OpaqueRef:1234"),
    ("<value><string>a &amp; b</string></value>", "a & b"),
    ("<value></value>", ""),
    ("", ""),
    ("<value><array><data><value>OpaqueRef:a</value><value>OpaqueRef:b</value></data></array></value>",
     ["OpaqueRef:a", "OpaqueRef:b"]),
    ("<value><struct><member><name>k</name><value>v</value></member></struct></value>", {"k": "v"}),
    ("<value><boolean>1</boolean></value>", True),
    ("<value>8589934592</value>", "8589934592"),
])
def test_decode_task_result(text: str, expected: object) -> None:
    assert decode_task_result(text) == expected


def test_decode_task_result_rejects_garbage() -> None:
    with pytest.raises(XapiError) as info:
        decode_task_result("<value>unclosed")
    assert info.value.code == "INTERNAL_ERROR"


def test_task_outcome_success_returns_decoded_result() -> None:
    assert task_outcome({"status": "success", "result": "<value>OpaqueRef:new</value>"}) == "OpaqueRef:new"


def test_task_outcome_failure_raises_error_info() -> None:
    with pytest.raises(XapiError) as info:
        task_outcome({"status": "failure", "error_info": ["SR_FULL", "100", "50"]})
    assert (info.value.code, info.value.params) == ("SR_FULL", ["100", "50"])


def test_task_outcome_cancelled_without_error_info() -> None:
    with pytest.raises(XapiError) as info:
        task_outcome({"status": "cancelled", "error_info": []})
    assert info.value.code == "TASK_CANCELLED"


@pytest.mark.parametrize("url, host", [
    ("https://pool.example:8443", "pool.example:8443"),
    ("http://192.0.2.7", "192.0.2.7"),
    ("https://[2001:db8::1]", "[2001:db8::1]"),
])
def test_pipelined_requests_are_the_posts_http_client_would_send(url: str, host: str) -> None:
    transport = Transport(url, protocol="jsonrpc", validate_certs=False, user_agent="xen.xapi/test")
    body = encode_jsonrpc_request("VM.get_all_records", ["OpaqueRef:s"], 1)
    raw = transport._request_bytes(body) * 2  # pylint: disable=protected-access  # two requests back to back, as pipelined
    stream = io.BytesIO(raw)
    for _request in range(2):
        request_line = stream.readline()
        assert request_line == b"POST /jsonrpc HTTP/1.1\r\n"
        headers = http.client.parse_headers(stream)
        assert headers["Host"] == host
        assert headers["Content-Type"] == "application/json"
        assert headers["User-Agent"] == "xen.xapi/test"
        # Content-Length must be exact, or the server would read into the next request.
        assert stream.read(int(headers["Content-Length"])) == body
    assert stream.read() == b""


@pytest.mark.parametrize("sizes, batches", [
    ([], []),
    ([100, 200, 300], [(0, 3)]),  # all fit: one round trip
    ([600, 500], [(0, 1), (1, 2)]),
    ([400, 600, 100, 2000, 10], [(0, 2), (2, 3), (3, 4), (4, 5)]),  # a request larger than the limit goes alone
])
def test_pipelined_requests_go_in_batches_the_socket_buffers_hold(sizes: list, batches: list) -> None:
    assert pipeline_batches(sizes, 1000) == batches
