# Copyright: (c) 2026, xen.xapi maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import pytest

from ansible_collections.xen.xapi.plugins.module_utils._xapi.errors import (
    XapiConnectionError,
    XapiError,
    XapiProtocolError,
    XapiTimeoutError,
    describe_error,
    redact,
)


@pytest.mark.parametrize("code, params, expected", [
    ("HANDLE_INVALID", ["VM", "OpaqueRef:x"], "The VM reference OpaqueRef:x is not valid; the object may have been deleted meanwhile."),
    ("UUID_INVALID", ["VM", "1234"], "No VM has the UUID 1234."),
    ("VM_BAD_POWER_STATE", ["OpaqueRef:vm", "halted", "running"], "VM OpaqueRef:vm is running, but this operation needs it to be halted."),
    ("SR_FULL", ["100", "50"], "The storage repository is full: 100 bytes were requested but at most 50 bytes are available."),
    ("MESSAGE_PARAMETER_COUNT_MISMATCH", ["VM.start", "3", "2"], "The call VM.start expects 3 parameters but received 2."),
    ("VLAN_TAG_INVALID", ["5000"], "VLAN tag 5000 is not valid; it must be between 0 and 4094."),
    ("PROVISION_ONLY_ALLOWED_ON_TEMPLATE", [], "Only templates can be provisioned; this VM is not a template."),
    ("HOST_IS_SLAVE", ["192.0.2.1"], "This host is a pool member, not the pool master; the master is 192.0.2.1."),
])
def test_describe_known_codes(code: str, params: list, expected: str) -> None:
    assert describe_error(code, params) == expected
    assert XapiError(code, params).describe() == expected


@pytest.mark.parametrize("code", [
    "HANDLE_INVALID", "UUID_INVALID", "SESSION_AUTHENTICATION_FAILED", "VM_BAD_POWER_STATE", "SR_FULL", "VDI_IN_USE",
    "OPERATION_NOT_ALLOWED", "HOST_IS_SLAVE", "MESSAGE_PARAMETER_COUNT_MISMATCH", "MESSAGE_METHOD_UNKNOWN",
    "OTHER_OPERATION_IN_PROGRESS", "TASK_CANCELLED", "PROVISION_ONLY_ALLOWED_ON_TEMPLATE", "VM_IS_TEMPLATE",
    "DEVICE_ALREADY_ATTACHED", "DEVICE_ALREADY_DETACHED", "NETWORK_CONTAINS_VIF", "SR_HAS_PBD", "PBD_EXISTS",
    "VLAN_TAG_INVALID", "PIF_VLAN_EXISTS", "SR_UNKNOWN_DRIVER",
])
def test_common_codes_have_sentences(code: str) -> None:
    text = describe_error(code, ["p1", "p2", "p3", "p4"])
    assert not text.startswith("XAPI error")
    assert "{" not in text


def test_describe_falls_back_to_code_and_params() -> None:
    assert describe_error("SOME_NEW_CODE", ["a", "b"]) == "XAPI error SOME_NEW_CODE: a, b"
    assert describe_error("SOME_NEW_CODE", []) == "XAPI error SOME_NEW_CODE"


def test_describe_falls_back_when_server_sends_fewer_params() -> None:
    # Simulators and old hosts may omit parameters; no IndexError, no half-filled sentence.
    assert describe_error("VM_BAD_POWER_STATE", ["OpaqueRef:vm"]) == "XAPI error VM_BAD_POWER_STATE: OpaqueRef:vm"


def test_xapi_error_fields_are_strings() -> None:
    err = XapiError("SR_FULL", [100, 50])
    assert err.code == "SR_FULL"
    assert err.params == ["100", "50"]
    assert str(err) == err.describe()
    assert repr(err) == "XapiError('SR_FULL', ['100', '50'])"


def test_connection_error_names_url_and_reason() -> None:
    err = XapiConnectionError("https://xs01/jsonrpc", "connection refused")
    assert str(err) == "Cannot talk to the XAPI server at https://xs01/jsonrpc: connection refused"
    assert err.request_sent is False
    assert XapiProtocolError("https://xs01/", "HTTP 500 Internal Server Error").request_sent is True


def test_timeout_error_names_method_and_timeout() -> None:
    err = XapiTimeoutError("VM.clean_shutdown", 30.0, "OpaqueRef:t")
    assert "VM.clean_shutdown" in str(err)
    assert "30 seconds" in str(err)
    assert err.task_ref == "OpaqueRef:t"


def test_redact_hides_every_secret() -> None:
    text = "login as root with s3cret failed; s3cret rejected"
    assert redact(text, ["s3cret"]) == "login as root with ******** failed; ******** rejected"


def test_redact_ignores_empty_secrets_and_prefers_longest() -> None:
    assert redact("abc", [None, ""]) == "abc"
    assert redact("pass=hunter22", ["hunter2", "hunter22"]) == "pass=********"


def test_short_secrets_are_hidden_only_where_they_stand_alone() -> None:
    text = "SR_BACKEND_FAILURE_102: storage repository refused password a (or 1)"
    assert redact(text, ["a", "1"]) == "SR_BACKEND_FAILURE_102: storage repository refused password ******** (or ********)"
    # Long secrets are hidden wherever they occur, even inside longer words.
    assert redact("user:longsecret@host xlongsecretx", ["longsecret"]) == "user:********@host x********x"
