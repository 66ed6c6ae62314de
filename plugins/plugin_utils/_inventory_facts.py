# Copyright: (c) 2026, xen.xapi maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""From a pool's records to inventory objects: which objects, their facts, and their address.

Pure functions over the data of _inventory_snapshot; nothing here talks to a pool or to Ansible.
Facts are named without the variable prefix, which the plugin adds.
"""

from __future__ import annotations

import collections
import dataclasses
import ipaddress
import re
import typing as t

from ansible_collections.xen.xapi.plugins.plugin_utils._inventory_snapshot import NULL_REF, PoolData

ADDRESS_FAMILIES = ("ipv4", "ipv6")
VM_DETAILS = ("networks", "disks")

# Keys of VM_guest_metrics.networks: "0/ip" (legacy, first IPv4), "0/ipv4/1", "0/ipv6/0".
_GUEST_NETWORK_KEY = re.compile(r"^(\d+)/(ip|ipv4|ipv6)(?:/(\d+))?$")


@dataclasses.dataclass(frozen=True)
class Selection:
    """Which objects of a pool become inventory hosts."""

    include_pool_hosts: bool = False
    include_templates: bool = False
    include_snapshots: bool = False
    include_control_domains: bool = False
    power_states: tuple[str, ...] = ()  # empty: every power state


@dataclasses.dataclass(frozen=True)
class AddressRule:
    """How to choose a VM's ansible_host among the addresses its guest agent reports."""

    families: tuple[str, ...] = ADDRESS_FAMILIES
    networks: tuple[str, ...] = ()  # network names or uuids, in order of preference; empty: any


@dataclasses.dataclass
class InventoryObject:
    """A VM or physical host about to become an inventory host."""

    kind: str  # the XAPI class: "VM" or "host"
    facts: dict[str, t.Any]
    address: t.Optional[str]


# --- Guest addresses --------------------------------------------------------------------------

def _device_order(device: str) -> tuple[int, str]:
    return (int(device), "") if device.isdigit() else (1 << 30, device)


def guest_addresses(networks: t.Mapping[str, str]) -> dict[str, dict[str, list[str]]]:
    """The addresses of VM_guest_metrics.networks per VIF device: {"0": {"ipv4": [...], "ipv6": [...]}}.

    Addresses keep the agent's numbering; the legacy "<device>/ip" key only counts when the
    agent reported no numbered IPv4 address for that device.
    """
    numbered: dict[str, dict[str, list[tuple[int, str]]]] = collections.defaultdict(lambda: {"ipv4": [], "ipv6": [], "ip": []})
    for key, value in networks.items():
        match = _GUEST_NETWORK_KEY.match(key)
        if match is None or not value:
            continue
        device, family, index = match.groups()
        numbered[device][family].append((int(index or 0), value.strip()))
    result: dict[str, dict[str, list[str]]] = {}
    for device in sorted(numbered, key=_device_order):
        found = numbered[device]
        ipv4 = [address for _index, address in sorted(found["ipv4"])] or [address for _index, address in sorted(found["ip"])]
        ipv6 = [address for _index, address in sorted(found["ipv6"])]
        result[device] = {"ipv4": list(dict.fromkeys(ipv4)), "ipv6": list(dict.fromkeys(ipv6))}
    return result


def is_usable_address(address: str) -> bool:
    """Whether Ansible could connect to the address: not link-local, loopback or unparsable."""
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return False
    return not (parsed.is_link_local or parsed.is_loopback or parsed.is_unspecified)


def choose_address(networks: t.Sequence[t.Mapping[str, t.Any]], rule: AddressRule) -> t.Optional[str]:
    """The first usable address, by network preference, then family preference, then device order.

    `networks` is a VM's network list as built by vm_networks (device order).
    """
    if rule.networks:
        preferred = [[entry for entry in networks if wanted in (entry["network"], entry["network_uuid"])]
                     for wanted in rule.networks]
    else:
        preferred = [list(networks)]
    for candidates in preferred:
        for family in rule.families:
            for entry in candidates:
                for address in entry[family]:
                    if is_usable_address(address):
                        return address
    return None


# --- Per-VM summaries -------------------------------------------------------------------------

def os_family(os_version: t.Mapping[str, t.Any]) -> str:
    """The OS family: "windows", "linux", "bsd", or "" when the guest agent did not say.

    Windows agents report a name such as "Microsoft Windows Server 2022|C:\\Windows|...";
    Linux agents report a distro and a uname.
    """
    name = str(os_version.get("name", "")).lower()
    distro = str(os_version.get("distro", "")).lower()
    if "windows" in name or distro == "windows":
        return "windows"
    if "bsd" in name or "bsd" in distro:
        return "bsd"
    if distro or "uname" in os_version or "linux" in name:
        return "linux"
    return ""


def vm_networks(vifs: t.Sequence[t.Mapping[str, t.Any]], networks: t.Mapping[str, t.Mapping[str, t.Any]],
                addresses: t.Mapping[str, t.Mapping[str, list[str]]]) -> list[dict[str, t.Any]]:
    """One entry per VIF, in device order, with the addresses the guest reports on it.

    A device the guest reports without a matching VIF (a VIF removed since) is listed too,
    with an empty network, so no reported address is lost.
    """
    entries: dict[str, dict[str, t.Any]] = {}
    for vif in vifs:
        device = str(vif.get("device", ""))
        network = networks.get(vif.get("network", NULL_REF), {})
        entries[device] = {"device": device, "network": network.get("name_label", ""), "network_uuid": network.get("uuid", ""),
                           "mac": vif.get("MAC", ""), "ipv4": [], "ipv6": []}
    for device, found in addresses.items():
        entry = entries.setdefault(device, {"device": device, "network": "", "network_uuid": "", "mac": "", "ipv4": [], "ipv6": []})
        entry["ipv4"] = list(found["ipv4"])
        entry["ipv6"] = list(found["ipv6"])
    return [entries[device] for device in sorted(entries, key=_device_order)]


def disk_sizes_by_vbd(vdis: t.Mapping[str, t.Mapping[str, t.Any]], srs: t.Mapping[str, t.Mapping[str, t.Any]]) -> dict[str, int]:
    """The virtual size of the disk behind each VBD (VBD ref -> bytes), CD images left out.

    Made from the VDIs' own VBDs lists, so that the pool's VBD records (one per disk and per CD
    drive) need not be read at all. What a CD drive holds is an ISO image or a DVD drive, both in
    SRs whose content type is "iso", and an empty drive has no VDI: neither is counted.
    """
    sizes: dict[str, int] = {}
    for vdi in vdis.values():
        if srs.get(vdi.get("SR", NULL_REF), {}).get("content_type") == "iso":
            continue
        for vbd in vdi.get("VBDs") or ():
            sizes[vbd] = vdi.get("virtual_size", 0)
    return sizes


def disks_summary(vbd_refs: t.Iterable[str], sizes_by_vbd: t.Mapping[str, int]) -> dict[str, int]:
    """How many virtual disks a VM has and their total virtual size in bytes.

    A summary rather than a list of disks: every value of every host costs ansible-core time when
    it stores and prints variables, and per-disk detail is one xen_info call away.
    """
    sizes = [sizes_by_vbd[ref] for ref in vbd_refs if ref in sizes_by_vbd]
    return {"count": len(sizes), "size": sum(sizes)}


# --- Objects of a pool ------------------------------------------------------------------------

def _group_by_vm(records: t.Mapping[str, t.Mapping[str, t.Any]]) -> dict[str, list[t.Mapping[str, t.Any]]]:
    grouped: dict[str, list[t.Mapping[str, t.Any]]] = collections.defaultdict(list)
    for record in records.values():
        grouped[record.get("VM", NULL_REF)].append(record)
    return grouped


def pool_name(data: PoolData) -> str:
    """The pool's name; a pool without one (a standalone host) is named after its master."""
    for pool in data["pool"].values():
        return pool.get("name_label") or data["host"].get(pool.get("master", NULL_REF), {}).get("name_label", "")
    return ""


def is_selected_vm(vm: t.Mapping[str, t.Any], selection: Selection) -> bool:
    """Control domains, snapshots and templates only when asked (snapshots are templates too in XAPI)."""
    if vm.get("is_control_domain"):
        wanted = selection.include_control_domains
    elif vm.get("is_a_snapshot"):
        wanted = selection.include_snapshots
    elif vm.get("is_a_template"):
        wanted = selection.include_templates
    else:
        wanted = True
    return wanted and (not selection.power_states or vm.get("power_state") in selection.power_states)


def _host_object(ref: str, host: t.Mapping[str, t.Any], pool_name: str, master: str) -> InventoryObject:
    facts = {
        "class": "host", "uuid": host.get("uuid", ""), "name_label": host.get("name_label", ""),
        "address": host.get("address", ""), "hostname": host.get("hostname", ""), "pool": pool_name,
        "is_master": ref == master, "enabled": bool(host.get("enabled")),
        "software_version": dict(host.get("software_version") or {}), "tags": list(host.get("tags") or []),
        "other_config": dict(host.get("other_config") or {}),
    }
    return InventoryObject("host", facts, host.get("address") or None)


def _vm_object(vm: t.Mapping[str, t.Any], data: PoolData, pool_name: str, vifs: list[t.Mapping[str, t.Any]],
               disk_sizes: t.Mapping[str, int], rule: AddressRule, details: t.Collection[str]) -> InventoryObject:
    metrics = data["VM_guest_metrics"].get(vm.get("guest_metrics", NULL_REF), {})
    os_version = dict(metrics.get("os_version") or {})
    # Without the networks detail there are no VIFs: the guest's devices alone give the addresses.
    networks = vm_networks(vifs, data["network"], guest_addresses(metrics.get("networks") or {}))
    resident = data["host"].get(vm.get("resident_on", NULL_REF), {})
    facts: dict[str, t.Any] = {
        "class": "VM", "uuid": vm.get("uuid", ""), "name_label": vm.get("name_label", ""),
        "power_state": vm.get("power_state", ""), "host": resident.get("name_label", ""), "pool": pool_name,
        "vcpus": vm.get("VCPUs_at_startup", 0), "memory": vm.get("memory_static_max", 0),
        "os_version": os_version, "os_family": os_family(os_version), "tags": list(vm.get("tags") or []),
        "other_config": dict(vm.get("other_config") or {}), "is_a_template": bool(vm.get("is_a_template")),
        "is_a_snapshot": bool(vm.get("is_a_snapshot")), "is_control_domain": bool(vm.get("is_control_domain")),
    }
    if "networks" in details:
        # network_uuid only serves address_networks; every other key is a host variable.
        facts["networks"] = [dict((key, value) for key, value in entry.items() if key != "network_uuid") for entry in networks]
    if "disks" in details:
        facts["disks"] = disks_summary(vm.get("VBDs") or (), disk_sizes)
    return InventoryObject("VM", facts, choose_address(networks, rule))


def pool_objects(data: PoolData, selection: Selection, rule: AddressRule,
                 details: t.Collection[str] = VM_DETAILS) -> list[InventoryObject]:
    """The pool's physical hosts (when selected) then its selected VMs, each in uuid order."""
    name = pool_name(data)
    master = next(iter(data["pool"].values()), {}).get("master", NULL_REF)
    objects: list[InventoryObject] = []
    if selection.include_pool_hosts:
        hosts = sorted(data["host"].items(), key=lambda item: item[1].get("uuid", ""))
        objects.extend(_host_object(ref, host, name, master) for ref, host in hosts)
    vifs_by_vm = _group_by_vm(data["VIF"])
    disk_sizes = disk_sizes_by_vbd(data["VDI"], data["SR"])
    vms = sorted(((ref, vm) for ref, vm in data["VM"].items() if is_selected_vm(vm, selection)),
                 key=lambda item: item[1].get("uuid", ""))
    objects.extend(_vm_object(vm, data, name, vifs_by_vm.get(ref, []), disk_sizes, rule, details)
                   for ref, vm in vms)
    return objects
