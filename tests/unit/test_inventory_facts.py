# Copyright: (c) 2026, xen.xapi maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which objects of a pool become inventory hosts, with which facts and which address."""

from __future__ import annotations

import typing as t

import pytest

from ansible_collections.xen.xapi.plugins.plugin_utils._inventory_facts import (
    AddressRule,
    Selection,
    choose_address,
    disk_sizes_by_vbd,
    disks_summary,
    guest_addresses,
    is_usable_address,
    os_family,
    pool_objects,
    vm_networks,
)
from ansible_collections.xen.xapi.plugins.plugin_utils._inventory_snapshot import PoolData, empty_pool_data

GIB = 1024 ** 3


def _vm(uuid: str, name: str, **fields: t.Any) -> dict[str, t.Any]:
    record = {"uuid": uuid, "name_label": name, "power_state": "Running", "resident_on": "OpaqueRef:h1",
              "VCPUs_at_startup": 2, "memory_static_max": 2 * GIB, "guest_metrics": "OpaqueRef:NULL", "tags": [],
              "other_config": {}, "is_a_template": False, "is_a_snapshot": False, "is_control_domain": False}
    record.update(fields)
    return record


def _pool() -> PoolData:
    data = empty_pool_data()
    data["pool"]["OpaqueRef:p"] = {"uuid": "p-uuid", "name_label": "", "master": "OpaqueRef:h1"}
    data["host"]["OpaqueRef:h1"] = {"uuid": "h1-uuid", "name_label": "xs01", "address": "192.0.2.1", "hostname": "xs01",
                                    "enabled": True, "software_version": {"product_version": "8.3.0"}, "tags": ["rack1"],
                                    "other_config": {}}
    data["host"]["OpaqueRef:h2"] = dict(data["host"]["OpaqueRef:h1"], uuid="h2-uuid", name_label="xs02", address="192.0.2.2")
    data["network"]["OpaqueRef:n0"] = {"uuid": "n0-uuid", "name_label": "management"}
    data["network"]["OpaqueRef:n1"] = {"uuid": "n1-uuid", "name_label": "storage"}
    data["VM"]["OpaqueRef:web"] = _vm("b-web", "web01", guest_metrics="OpaqueRef:gm", tags=["web"], VBDs=["OpaqueRef:b0", "OpaqueRef:cd"])
    data["VM_guest_metrics"]["OpaqueRef:gm"] = {
        "os_version": {"name": "Debian GNU/Linux 12", "distro": "debian"},
        "networks": {"0/ip": "10.0.0.5", "0/ipv4/0": "10.0.0.5", "0/ipv6/0": "fe80::1", "1/ipv4/0": "172.16.0.5",
                     "1/ipv6/0": "2001:db8::5"},
    }
    data["VIF"]["OpaqueRef:v0"] = {"VM": "OpaqueRef:web", "network": "OpaqueRef:n0", "device": "0", "MAC": "aa:00"}
    data["VIF"]["OpaqueRef:v1"] = {"VM": "OpaqueRef:web", "network": "OpaqueRef:n1", "device": "1", "MAC": "aa:01"}
    data["SR"]["OpaqueRef:nfs"] = {"content_type": "user"}
    data["VDI"]["OpaqueRef:d0"] = {"SR": "OpaqueRef:nfs", "virtual_size": 20 * GIB, "VBDs": ["OpaqueRef:b0"]}  # cd: an empty drive
    data["VM"]["OpaqueRef:off"] = _vm("a-off", "build01", power_state="Halted", resident_on="OpaqueRef:NULL")
    data["VM"]["OpaqueRef:tpl"] = _vm("c-tpl", "Debian 12", is_a_template=True, power_state="Halted")
    data["VM"]["OpaqueRef:snap"] = _vm("d-snap", "web01 snap", is_a_template=True, is_a_snapshot=True, power_state="Halted")
    data["VM"]["OpaqueRef:dom0"] = _vm("e-dom0", "Control domain on host: xs01", is_control_domain=True)
    return data


def _names(objects: t.Sequence[t.Any]) -> list[str]:
    return [obj.facts["name_label"] for obj in objects]


def test_guest_addresses_by_device_with_numbered_keys_first() -> None:
    found = guest_addresses({"1/ip": "172.16.0.9", "0/ip": "10.0.0.1", "0/ipv4/1": "10.0.0.2", "0/ipv4/0": "10.0.0.1",
                             "0/ipv6/0": "fe80::1", "10/ipv4/0": "10.9.9.9", "bogus": "x", "2/ip": ""})
    assert list(found) == ["0", "1", "10"]
    assert found["0"] == {"ipv4": ["10.0.0.1", "10.0.0.2"], "ipv6": ["fe80::1"]}
    assert found["1"] == {"ipv4": ["172.16.0.9"], "ipv6": []}  # only the legacy key


@pytest.mark.parametrize("address, usable", [("10.0.0.1", True), ("2001:db8::1", True), ("fe80::1", False),
                                             ("169.254.1.1", False), ("127.0.0.1", False), ("::1", False),
                                             ("0.0.0.0", False), ("not-an-ip", False)])
def test_usable_addresses(address: str, usable: bool) -> None:
    assert is_usable_address(address) is usable


def test_choose_address_by_network_then_family_then_device() -> None:
    networks = [
        {"device": "0", "network": "management", "network_uuid": "n0", "ipv4": [], "ipv6": ["fe80::1", "2001:db8::1"]},
        {"device": "1", "network": "storage", "network_uuid": "n1", "ipv4": ["172.16.0.5"], "ipv6": []},
    ]
    assert choose_address(networks, AddressRule()) == "172.16.0.5"  # any IPv4 beats device 0's IPv6
    assert choose_address(networks, AddressRule(families=("ipv6", "ipv4"))) == "2001:db8::1"
    assert choose_address(networks, AddressRule(families=("ipv4",), networks=("management",))) is None
    assert choose_address(networks, AddressRule(networks=("n0", "storage"))) == "2001:db8::1"
    assert choose_address(networks, AddressRule(networks=("elsewhere",))) is None


@pytest.mark.parametrize("os_version, family", [
    ({"name": "Microsoft Windows Server 2022 Standard|C:\\Windows|\\Device\\Harddisk0\\Partition2"}, "windows"),
    ({"name": "Microsoft Windows 11", "distro": "microsoft"}, "windows"),
    ({"name": "FreeBSD 14", "distro": "freebsd"}, "bsd"),
    ({"name": "CentOS Linux 7", "distro": "centos", "uname": "3.10"}, "linux"),
    ({"uname": "6.1.0"}, "linux"),
    ({}, ""),
])
def test_os_family(os_version: dict[str, str], family: str) -> None:
    assert os_family(os_version) == family


def test_networks_follow_vifs_and_keep_addresses_of_unknown_devices() -> None:
    networks = {"OpaqueRef:n0": {"uuid": "n0", "name_label": "management"}}
    vifs = [{"device": "0", "network": "OpaqueRef:n0", "MAC": "aa"}, {"device": "2", "network": "OpaqueRef:gone", "MAC": "bb"}]
    entries = vm_networks(vifs, networks, guest_addresses({"0/ipv4/0": "10.0.0.1", "1/ipv4/0": "10.0.1.1"}))
    assert [(entry["device"], entry["network"], entry["mac"], entry["ipv4"]) for entry in entries] == [
        ("0", "management", "aa", ["10.0.0.1"]), ("1", "", "", ["10.0.1.1"]), ("2", "", "bb", [])]


def test_disks_summary_counts_virtual_disks_only() -> None:
    srs = {"OpaqueRef:nfs": {"content_type": "user"}, "OpaqueRef:isos": {"content_type": "iso"}}
    vdis = {"OpaqueRef:d1": {"SR": "OpaqueRef:nfs", "virtual_size": 5 * GIB, "VBDs": ["OpaqueRef:b1"]},
            "OpaqueRef:d0": {"SR": "OpaqueRef:nfs", "virtual_size": 9 * GIB, "VBDs": ["OpaqueRef:b0", "OpaqueRef:other-vm"]},
            "OpaqueRef:unused": {"SR": "OpaqueRef:nfs", "virtual_size": GIB, "VBDs": []},
            "OpaqueRef:iso": {"SR": "OpaqueRef:isos", "virtual_size": GIB, "VBDs": ["OpaqueRef:cd"]}}  # an inserted CD image
    sizes = disk_sizes_by_vbd(vdis, srs)
    assert sizes == {"OpaqueRef:b1": 5 * GIB, "OpaqueRef:b0": 9 * GIB, "OpaqueRef:other-vm": 9 * GIB}
    # b0 and b1 are disks; cd holds an ISO, empty is an empty drive (no VDI), gone was destroyed since.
    vm_vbds = ["OpaqueRef:b0", "OpaqueRef:b1", "OpaqueRef:cd", "OpaqueRef:empty", "OpaqueRef:gone"]
    assert disks_summary(vm_vbds, sizes) == {"count": 2, "size": 14 * GIB}
    assert disks_summary([], sizes) == {"count": 0, "size": 0}


def test_default_selection_lists_plain_vms_in_uuid_order() -> None:
    objects = pool_objects(_pool(), Selection(), AddressRule())
    assert _names(objects) == ["build01", "web01"]
    web = objects[1]
    assert web.kind == "VM" and web.address == "10.0.0.5"
    assert web.facts["pool"] == "xs01"  # a pool without a name is named after its master
    assert web.facts["host"] == "xs01" and objects[0].facts["host"] == ""
    assert web.facts["os_family"] == "linux" and web.facts["tags"] == ["web"]
    assert web.facts["networks"][1] == {"device": "1", "network": "storage", "mac": "aa:01", "ipv4": ["172.16.0.5"],
                                        "ipv6": ["2001:db8::5"]}
    assert web.facts["disks"] == {"count": 1, "size": 20 * GIB}
    assert objects[0].address is None


def test_selection_flags_and_power_states() -> None:
    everything = Selection(include_pool_hosts=True, include_templates=True, include_snapshots=True, include_control_domains=True)
    objects = pool_objects(_pool(), everything, AddressRule())
    assert [obj.kind for obj in objects][:2] == ["host", "host"]
    assert _names(objects) == ["xs01", "xs02", "build01", "web01", "Debian 12", "web01 snap", "Control domain on host: xs01"]
    assert objects[0].facts["is_master"] is True and objects[1].facts["is_master"] is False
    assert objects[1].address == "192.0.2.2"
    # A snapshot is a template too, but only include_snapshots lets it in.
    assert _names(pool_objects(_pool(), Selection(include_templates=True), AddressRule())) == ["build01", "web01", "Debian 12"]
    halted = Selection(include_pool_hosts=True, power_states=("Halted",))
    assert _names(pool_objects(_pool(), halted, AddressRule())) == ["xs01", "xs02", "build01"]


def test_details_decide_which_summaries_exist() -> None:
    lean = pool_objects(_pool(), Selection(), AddressRule(), details=())[1]
    assert "networks" not in lean.facts and "disks" not in lean.facts
    assert lean.address == "10.0.0.5"  # the guest's devices alone give the address
    only_disks = pool_objects(_pool(), Selection(), AddressRule(), details=("disks",))[1]
    assert "networks" not in only_disks.facts and only_disks.facts["disks"]
