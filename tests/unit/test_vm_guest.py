# Copyright: (c) 2026, xen.xapi maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Addresses reported by the guest agent, as xen_vm reads them."""

from __future__ import annotations

from ansible_collections.xen.xapi.plugins.module_utils.vm.guest import addresses_by_device, has_addresses

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
