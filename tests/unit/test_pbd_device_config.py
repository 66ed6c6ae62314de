# Copyright: (c) 2026, xen.xapi maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Storage settings with secrets: which keys are secret, masking, comparing what XAPI stores, and no_log."""

from __future__ import annotations

import json
import typing as t

import pytest

from ansible.module_utils import testing

from ansible_collections.xen.xapi.plugins.module_utils._module import XapiModule
from ansible_collections.xen.xapi.plugins.module_utils._engine import string_map
from ansible_collections.xen.xapi.plugins.module_utils.storage.credentials import SECRET_MARKER, is_secret_key, masked
from ansible_collections.xen.xapi.plugins.module_utils.storage.device_config import (
    new_config,
    protect_secrets,
    target_config,
)

NFS = {"server": "192.0.2.10", "serverpath": "/export/vms"}


@pytest.mark.parametrize("key", ["password", "cifspassword", "chappassword", "incoming_chappassword", "password_secret", "api_token", "Passwd"])
def test_credential_keys_are_secret(key: str) -> None:
    assert is_secret_key(key)


@pytest.mark.parametrize("key", ["server", "serverpath", "username", "chapuser", "location", "device", "SCSIid"])
def test_other_keys_are_not(key: str) -> None:
    assert not is_secret_key(key)


def test_masked_hides_secret_values_only() -> None:
    assert masked({"server": "s", "cifspassword": "pw", "port": 3260}) == {"server": "s", "cifspassword": SECRET_MARKER, "port": "3260"}


def test_string_map_writes_values_as_xapi_stores_them() -> None:
    assert string_map({"port": 3260, "multihomed": True, "x": "y"}) == {"port": "3260", "multihomed": "true", "x": "y"}
    assert string_map(None) is None


def test_target_config_merges_and_reports_nothing_when_equal() -> None:
    assert target_config(NFS, None, False) is None
    assert target_config(NFS, {"server": "192.0.2.10"}, False) is None
    assert target_config(NFS, {"server": "192.0.2.11"}, False) == {"server": "192.0.2.11", "serverpath": "/export/vms"}
    assert target_config(NFS, {"nfsversion": 4.1}, False) == dict(NFS, nfsversion="4.1")


def test_target_config_with_purge_is_exact() -> None:
    assert target_config(NFS, dict(NFS), True) is None
    assert target_config(NFS, {"server": "192.0.2.10"}, True) == {"server": "192.0.2.10"}


def test_keys_the_storage_layer_writes_are_ignored() -> None:
    current = dict(NFS, SRmaster="true")
    assert target_config(current, dict(NFS), True) is None
    assert target_config(current, {"server": "other"}, False) == {"server": "other", "serverpath": "/export/vms"}


def test_a_password_xapi_moved_into_a_secret_object_counts_as_unchanged() -> None:
    current = {"server": "s", "password_secret": "4d1c-uuid"}
    assert target_config(current, {"server": "s", "password": "pw"}, False) is None
    assert target_config(current, {"server": "s", "password": "pw"}, True) is None
    # When the PBD is re-created anyway, the password given replaces the old secret object.
    assert target_config(current, {"server": "t", "password": "pw"}, False) == {"server": "t", "password": "pw"}


def test_a_changed_password_is_a_change() -> None:
    assert target_config({"server": "s", "password": "old"}, {"password": "new"}, False) == {"server": "s", "password": "new"}


def test_new_config_copies_a_sibling_unless_purge() -> None:
    sibling = dict(NFS, SRmaster="true", password_secret="ref")
    assert new_config(sibling, None, False) == dict(NFS, password_secret="ref")
    assert new_config(sibling, {"password": "pw"}, False) == dict(NFS, password="pw")
    assert new_config(sibling, {"server": "x"}, True) == {"server": "x"}
    assert new_config(None, None, False) is None


def outcome(capsys: pytest.CaptureFixture, config: t.Dict[str, t.Any], message: str) -> t.Dict[str, t.Any]:
    """What a module with this device_config prints when it fails with `message` (as a real run does)."""
    args = {"hostname": "xs01", "password": "root-pw", "device_config": config}
    with testing.patch_module_args(args), pytest.raises(SystemExit):
        module = XapiModule(argument_spec={"device_config": {"type": "dict", "no_log": True}})
        protect_secrets(module)
        module.fail(message, echo=message)
    return json.loads(capsys.readouterr().out)


def test_secrets_are_hidden_and_ordinary_values_and_words_are_not(capsys: pytest.CaptureFixture) -> None:
    config = {"server": "192.0.2.10", "cifspassword": "a", "username": "admin", "chappassword": "s3cretpw"}
    result = outcome(capsys, config, "SR_BACKEND_FAILURE_102: storage repository at 192.0.2.10 refused admin / a / s3cretpw")
    # Ordinary values and words that merely contain a short secret stay readable; the secrets do not.
    assert result["msg"] == "SR_BACKEND_FAILURE_102: storage repository at 192.0.2.10 refused admin / ******** / ********"
    assert result["invocation"]["module_args"]["device_config"] == {"server": "192.0.2.10", "cifspassword": "********",
                                                                    "username": "admin", "chappassword": "********"}
    assert "s3cretpw" not in json.dumps(result)


def test_the_connection_password_stays_hidden_by_ansible(capsys: pytest.CaptureFixture) -> None:
    result = outcome(capsys, {"server": "root-pw"}, "server root-pw")
    assert "root-pw" not in json.dumps(result)
