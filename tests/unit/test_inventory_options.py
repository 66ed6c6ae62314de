# Copyright: (c) 2026, xen.xapi maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The inventory plugin's options: connection targets for one or several pools, and settings."""

from __future__ import annotations

import typing as t

import pytest

from ansible_collections.xen.xapi.plugins.plugin_utils._inventory_options import (
    InventoryOptionError,
    connection_targets,
    settings_from_options,
)

TOP_LEVEL: dict[str, t.Any] = {"hostname": "xs01.example.com", "username": "root", "password": "s3cret", "validate_certs": True,
                               "ca_path": "/etc/ca.pem", "protocol": "jsonrpc", "timeout": 60, "fallback_hosts": []}

DEFAULTS: dict[str, t.Any] = {
    "hostnames": ["name_label", "uuid"], "include_pool_hosts": False, "include_templates": False, "include_snapshots": False,
    "include_control_domains": False, "power_states": [], "address_families": ["ipv4", "ipv6"], "address_networks": [],
    "duplicate_hostnames": "suffix", "vars_prefix": "xapi_", "group_prefix": "xapi_",
    "group_by": ["pool", "host", "power_state", "tag", "os_family", "without_ip"], "filters": [], "vm_details": ["networks", "disks"],
}


def _settings(**options: t.Any) -> t.Any:
    merged = dict(DEFAULTS, **options)
    return settings_from_options(merged.__getitem__)


def test_top_level_options_name_the_only_pool() -> None:
    (target,) = connection_targets(TOP_LEVEL, [])
    assert (target.hostname, target.username, target.password, target.ca_path) == ("xs01.example.com", "root", "s3cret", "/etc/ca.pem")


def test_pool_entries_inherit_what_they_leave_out() -> None:
    pools = [{"hostname": "xs-a", "fallback_hosts": ["xs-b"]}, {"host": "xs-z", "user": "ops", "pass": "other", "timeout": "5"}]
    first, second = connection_targets(TOP_LEVEL, pools)
    assert (first.hostname, first.password, first.fallback_hosts) == ("xs-a", "s3cret", ["xs-b"])
    assert (second.hostname, second.username, second.password, second.timeout, second.ca_path) == ("xs-z", "ops", "other", 5, "/etc/ca.pem")


def test_vault_values_are_read_as_plain_text() -> None:
    class Encrypted:  # stands for ansible's vault-encrypted string: str() decrypts it
        def __str__(self) -> str:
            return "from-vault"

    (target,) = connection_targets(dict(TOP_LEVEL, password=Encrypted()), [])
    assert target.password == "from-vault"
    (target,) = connection_targets(TOP_LEVEL, [{"hostname": "xs-a", "password": Encrypted()}])
    assert target.password == "from-vault"


@pytest.mark.parametrize("top_level, pools, message", [
    (dict(TOP_LEVEL, hostname=None), [], "set hostname"),
    (TOP_LEVEL, [{"username": "x"}], "pools[0]: each entry of pools must set its own hostname"),
    (TOP_LEVEL, ["xs-a"], "pools[0] must be a mapping"),
    (TOP_LEVEL, [{"hostname": "xs-a"}, {"hostname": "xs-b", "colour": "red"}], "pools[1]: colour"),
    (TOP_LEVEL, [{"hostname": "xs-a", "protocol": "soap"}], "pools[0]: value of protocol must be one of"),
    (dict(TOP_LEVEL, timeout=0), [], "timeout must be a positive number"),
    (dict(TOP_LEVEL, hostname="https://user:pw@xs01"), [], "credentials"),
    (dict(TOP_LEVEL, fallback_hosts=["ftp://xs02"]), [], "scheme"),
])
def test_connection_errors_name_the_option(top_level: dict[str, t.Any], pools: list[t.Any], message: str) -> None:
    with pytest.raises(InventoryOptionError, match=message.replace("[", r"\[").replace("]", r"\]")):
        connection_targets(top_level, pools)


def test_password_never_shows_in_validation_errors() -> None:
    with pytest.raises(InventoryOptionError) as refused:
        connection_targets(TOP_LEVEL, [{"hostname": "xs-a", "password": "p4ss-w0rd", "timeout": "p4ss-w0rd"}])
    assert "p4ss-w0rd" not in str(refused.value)


def test_settings_defaults() -> None:
    settings = _settings()
    assert settings.hostnames == ("name_label", "uuid")
    assert settings.address_rule.families == ("ipv4", "ipv6") and settings.address_rule.networks == ()
    assert settings.selection.power_states == () and not settings.selection.include_pool_hosts
    assert settings.vm_details == ("networks", "disks")


@pytest.mark.parametrize("options, message", [
    ({"hostnames": []}, "hostnames must list"),
    ({"hostnames": ["  "]}, "hostnames must list"),
    ({"address_families": []}, "address_families"),
    ({"address_networks": ["storage"], "vm_details": ["disks"]}, "add networks to vm_details"),
])
def test_settings_errors(options: dict[str, t.Any], message: str) -> None:
    with pytest.raises(InventoryOptionError, match=message):
        _settings(**options)
