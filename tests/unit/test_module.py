# Copyright: (c) 2026, xen.xapi maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""XapiModule option handling and failure reporting (no server involved)."""

from __future__ import annotations

import json
import typing as t

import pytest

from ansible.module_utils import testing  # noqa: E402

# pylint: disable=wrong-import-position
from ansible_collections.xen.xapi.plugins.module_utils._xapi.errors import XapiConnectionError, XapiError, XapiTimeoutError  # noqa: E402
from ansible_collections.xen.xapi.plugins.module_utils._module import XapiModule  # noqa: E402


def _module(args: dict[str, t.Any], **spec: t.Any) -> XapiModule:
    with testing.patch_module_args(args):
        return XapiModule(argument_spec=spec, supports_check_mode=True)


def _outcome(capsys: pytest.CaptureFixture, args: dict[str, t.Any], action: t.Callable[[XapiModule], t.Any]) -> dict[str, t.Any]:
    """What the module reports when action(module) ends it (exit_json and fail_json exit)."""
    # The module must end inside the context that supplies its arguments, as in a real run.
    with testing.patch_module_args(args), pytest.raises(SystemExit):
        action(XapiModule(supports_check_mode=True))
    return json.loads(capsys.readouterr().out)


def _open_client(module: XapiModule) -> None:
    with module.client():
        pass


@pytest.fixture(autouse=True)
def _no_connection_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("XAPI_HOST", "XENSERVER_HOST", "XAPI_USERNAME", "XENSERVER_USER", "XAPI_PASSWORD", "XENSERVER_PASSWORD",
                 "XAPI_VALIDATE_CERTS", "XENSERVER_VALIDATE_CERTS", "XAPI_CA_PATH"):
        monkeypatch.delenv(name, raising=False)


def test_defaults_and_module_options_are_merged() -> None:
    module = _module({"hostname": "xs01", "name": "web01"}, name=dict(type="str"))
    params = module.connection_params()
    assert (params.hostname, params.username, params.password, params.validate_certs) == ("xs01", "root", "", True)
    assert (params.protocol, params.timeout, params.fallback_hosts) == ("jsonrpc", 60, [])
    assert module.params["name"] == "web01"
    assert module.check_mode is False


def test_aliases() -> None:
    params = _module({"host": "xs01", "user": "admin", "pwd": "pw"}).connection_params()
    assert (params.hostname, params.username, params.password) == ("xs01", "admin", "pw")
    # community.general's xenserver_* spellings, for playbooks moving over.
    params = _module({"pool": "xs02", "admin": "ops", "pass": "pw"}).connection_params()
    assert (params.hostname, params.username, params.password) == ("xs02", "ops", "pw")


def test_environment_fallbacks_in_order(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XAPI_HOST", "xs-new")
    monkeypatch.setenv("XENSERVER_HOST", "xs-old")
    monkeypatch.setenv("XENSERVER_USER", "operator")
    monkeypatch.setenv("XENSERVER_PASSWORD", "pw")
    monkeypatch.setenv("XAPI_VALIDATE_CERTS", "false")
    monkeypatch.setenv("XAPI_CA_PATH", "/etc/ssl/pool-ca.pem")
    params = _module({}).connection_params()
    assert (params.hostname, params.username, params.password) == ("xs-new", "operator", "pw")
    assert params.validate_certs is False
    assert params.ca_path == "/etc/ssl/pool-ca.pem"


def test_hostname_is_required(capsys: pytest.CaptureFixture) -> None:
    result = _outcome(capsys, {}, lambda module: None)
    assert result["failed"] and "hostname" in result["msg"]


def test_bad_hostname_fails_before_connecting(capsys: pytest.CaptureFixture) -> None:
    result = _outcome(capsys, {"hostname": "ftp://xs01"}, _open_client)
    assert result["failed"] and "scheme" in result["msg"]


def test_bad_fallback_host_fails_before_connecting(capsys: pytest.CaptureFixture) -> None:
    result = _outcome(capsys, {"hostname": "xs01", "fallback_hosts": ["xs02/path"]}, _open_client)
    assert result["failed"] and "path" in result["msg"]


def test_non_positive_timeout_fails(capsys: pytest.CaptureFixture) -> None:
    result = _outcome(capsys, {"hostname": "xs01", "timeout": 0}, XapiModule.connection_params)
    assert "timeout" in result["msg"]


def test_xapi_error_is_reported_with_code_and_params_and_password_redacted(capsys: pytest.CaptureFixture) -> None:
    error = XapiError("HANDLE_INVALID", ["VM", "Sup3rSecret"])
    result = _outcome(capsys, {"hostname": "xs01", "password": "Sup3rSecret"}, lambda module: module.fail_from_error(error))
    assert result["error_code"] == "HANDLE_INVALID"
    assert "Sup3rSecret" not in json.dumps(result)
    assert result["msg"].startswith("The VM reference")


def test_connection_and_timeout_errors_are_reported(capsys: pytest.CaptureFixture) -> None:
    error = XapiConnectionError("https://xs01/jsonrpc", "connection refused")
    result = _outcome(capsys, {"hostname": "xs01"}, lambda module: module.fail_from_error(error))
    assert result["url"] == "https://xs01/jsonrpc"
    assert "connection refused" in result["msg"]
    result = _outcome(capsys, {"hostname": "xs01"}, lambda module: module.fail_from_error(XapiTimeoutError("VM.start", 5)))
    assert (result["method"], result["timeout"]) == ("VM.start", 5)


def test_exit_reports_changed(capsys: pytest.CaptureFixture) -> None:
    result = _outcome(capsys, {"hostname": "xs01"}, lambda module: module.exit(True, vm="OpaqueRef:1"))
    assert result["changed"] is True
    assert result["vm"] == "OpaqueRef:1"


def test_options_of_the_wrong_shape_are_named_before_ansible_parses_them() -> None:
    from ansible_collections.xen.xapi.plugins.module_utils._module import shape_problem  # pylint: disable=import-outside-toplevel
    spec = {"name": {"type": "str", "aliases": ["name_label"]}, "tags": {"type": "list", "elements": "str"},
            "cdrom": {"type": "dict", "options": {"iso": {"type": "str"}}},
            "disks": {"type": "list", "elements": "dict", "options": {"name": {"type": "str"}, "size": {"type": "raw"}}}}
    assert shape_problem(spec, {"name": "web01", "tags": ["a"], "cdrom": {"iso": "x"}, "disks": [{"size": 1}]}) is None
    assert shape_problem(spec, {"name_label": {"a": 1}}) == "name: give text, not a map."
    assert shape_problem(spec, {"tags": [["nested"]]}) == "tags: give a list of texts; an item is a list."
    assert shape_problem(spec, {"cdrom": 42}) == "cdrom: give a map of its sub-options (iso), not 'int'."
    assert shape_problem(spec, {"cdrom": {"iso": ["x"]}}) == "cdrom.iso: give text, not a list."
    assert shape_problem(spec, {"disks": [{}, {"name": {"x": 1}}]}) == "disks[1].name: give text, not a map."
    assert shape_problem(spec, {"disks": ["big"]}) == "disks[0]: give a map of its sub-options (name, size)."
