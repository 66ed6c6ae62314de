# Copyright: (c) 2026, xen.xapi maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Addresses reported by the guest agent, as xen_vm reads them."""

from __future__ import annotations

import pytest

from ansible_collections.xen.xapi.plugins.module_utils._xapi.errors import ResourceError
from ansible_collections.xen.xapi.plugins.module_utils.vm.guest import addresses_by_device, check_networks, has_addresses

METRICS = {"networks": {"0/ip": "10.0.0.5", "0/ipv4/0": "10.0.0.5", "0/ipv6/0": "fe80::1", "0/ipv6/1": "2001:db8::5",
                        "1/ipv4/0": "192.0.2.7", "2/ip": "2001:db8::9", "0/other": "ignored"}}


def test_addresses_are_grouped_by_device_and_family_without_repeats() -> None:
    assert addresses_by_device(METRICS) == {
        "0": {"ipv4": ["10.0.0.5"], "ipv6": ["fe80::1", "2001:db8::5"]},
        "1": {"ipv4": ["192.0.2.7"], "ipv6": []},
        "2": {"ipv4": [], "ipv6": ["2001:db8::9"]},
    }


def test_every_family_asked_for_must_be_reported() -> None:
    only_v4 = {"networks": {"0/ipv4/0": "10.0.0.5"}}
    assert has_addresses(only_v4, ["ipv4"])
    assert not has_addresses(only_v4, ["ipv4", "ipv6"])
    assert has_addresses(METRICS, ["ipv4", "ipv6"])
    assert not has_addresses({}, ["ipv4"])


def test_link_local_and_out_of_network_addresses_do_not_count() -> None:
    booting = {"networks": {"0/ipv4/0": "169.254.10.20", "0/ipv6/0": "fe80::1"}}
    assert not has_addresses(booting, ["ipv4"]) and not has_addresses(booting, ["ipv6"])
    configured = {"networks": {"0/ipv4/0": "169.254.10.20", "0/ipv4/1": "192.0.2.10", "1/ipv4/0": "10.0.0.5"}}
    assert has_addresses(configured, ["ipv4"])
    assert has_addresses(configured, ["ipv4"], ["192.0.2.0/24"])
    assert not has_addresses({"networks": {"1/ipv4/0": "10.0.0.5"}}, ["ipv4"], ["192.0.2.0/24"])
    assert not has_addresses({"networks": {"0/ipv4/0": "192.0.2.10"}}, ["ipv6"], ["192.0.2.0/24"])


def test_networks_must_be_networks() -> None:
    check_networks(["192.0.2.0/24", "2001:db8::/32", "10.1.2.3/8"])
    with pytest.raises(ResourceError, match="wait_for_ip_networks"):
        check_networks(["not a network"])
