# Copyright: (c) 2026, xen.xapi maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Client logic that needs no server: parameters, retry classification, originator."""

from __future__ import annotations

import pathlib

import pytest

from ansible_collections.xen.xapi.plugins.module_utils._xapi.client import (
    COLLECTION_VERSION,
    ORIGINATOR,
    XapiClient,
    is_read_only,
)
from ansible_collections.xen.xapi.plugins.module_utils._xapi.urls import ConnectionParams
from ansible_collections.xen.xapi.plugins.module_utils._xapi.errors import XapiConnectionError


@pytest.mark.parametrize("method", [
    "VM.get_record", "VM.get_all", "VM.get_all_records_where", "VM.get_by_uuid", "host.get_software_version",
    "event.from", "task.get_status",
])
def test_read_only_calls(method: str) -> None:
    assert is_read_only(method)


@pytest.mark.parametrize("method", [
    "VM.start", "VM.set_name_label", "VDI.create", "Async.VM.get_record", "event.next", "session.login_with_password", "task.cancel",
])
def test_calls_that_must_not_be_repeated(method: str) -> None:
    assert not is_read_only(method)


def test_originator_names_the_collection_and_version() -> None:
    assert ORIGINATOR == "xen.xapi/" + COLLECTION_VERSION


def test_connection_params_from_module_params_and_defaults() -> None:
    params = ConnectionParams.from_module_params({
        "hostname": "xs01", "username": None, "password": None, "validate_certs": False,
        "ca_path": None, "protocol": None, "timeout": None, "fallback_hosts": None,
    })
    assert params == ConnectionParams(hostname="xs01", username="root", password="", validate_certs=False)
    assert params.fallback_hosts == []
    assert params.timeout == 60


def test_password_never_in_reprs() -> None:
    params = ConnectionParams(hostname="xs01", password="s3cret")
    client = XapiClient(params)
    assert "s3cret" not in repr(params)
    assert "s3cret" not in repr(client)


def test_client_before_login() -> None:
    client = XapiClient(ConnectionParams(hostname="xs01:8443"))
    assert client.base_url == "https://xs01:8443"
    assert client.session_ref is None
    with pytest.raises(XapiConnectionError, match="not logged in"):
        client.call("VM.get_all")
    client.logout()  # harmless when never logged in


def test_collection_version_matches_galaxy_metadata() -> None:
    import yaml  # pylint: disable=import-outside-toplevel
    galaxy = pathlib.Path(__file__).resolve().parents[2] / "galaxy.yml"
    assert yaml.safe_load(galaxy.read_text(encoding="utf-8"))["version"] == COLLECTION_VERSION
