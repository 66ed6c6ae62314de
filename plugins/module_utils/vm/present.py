# Copyright: (c) 2026, xen.xapi maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The VM as the module returns it: names instead of references, sizes in bytes, addresses per interface."""

from __future__ import annotations

import typing as t

from ansible_collections.xen.xapi.plugins.module_utils.vm import boot, cloud_init, guest, hardware, view as vm_view


def present(view: vm_view.VmView) -> vm_view.Record:
    record, pool = view.record, view.pool
    memory = hardware.current_memory(record)
    return {
        "uuid": record.get("uuid"),
        "name": record.get("name_label"),
        "description": record.get("name_description"),
        "power_state": vm_view.STATE_NAMES.get(view.power_state, view.power_state.lower()),
        "is_a_template": bool(record.get("is_a_template")),
        "host": pool.name_of(pool.hosts, record.get("resident_on")),
        "affinity": pool.name_of(pool.hosts, record.get("affinity")),
        "vcpus": record.get("VCPUs_at_startup"),
        "vcpus_max": record.get("VCPUs_max"),
        "cores_per_socket": hardware.cores_per_socket(record),
        "memory": memory.static_max,
        "memory_dynamic_min": memory.dynamic_min,
        "memory_dynamic_max": memory.dynamic_max,
        "firmware": boot.firmware(record),
        "boot_order": boot.boot_order(record),
        "platform": dict(record.get("platform") or {}),
        "disks": [_disk(view, vbd) for _ref, vbd in view.disks()],
        "cdrom": _cdrom(view),
        "networks": _networks(view),
        "tags": sorted(record.get("tags") or []),
        "other_config": dict(record.get("other_config") or {}),
        "xenstore_data": dict(record.get("xenstore_data") or {}),
        "ha_restart_priority": record.get("ha_restart_priority", ""),
        "cloud_init": cloud_init.presented(cloud_init.drive_of(view)),
    }


def _disk(view: vm_view.VmView, vbd: vm_view.Record) -> vm_view.Record:
    vdi = view.vdi_of(vbd) or {}
    return {
        "uuid": vdi.get("uuid"),
        "name": vdi.get("name_label"),
        "size": vdi.get("virtual_size"),
        "sr": view.pool.name_of(view.pool.srs, vdi.get("SR")),
        "userdevice": vbd.get("userdevice"),
        "bootable": bool(vbd.get("bootable")),
        "mode": vbd.get("mode"),
    }


def _cdrom(view: vm_view.VmView) -> t.Optional[vm_view.Record]:
    drives = view.cd_drives()
    if not drives:
        return None
    vbd = drives[0][1]
    iso = view.vdi_of(vbd) or {}
    return {"iso": iso.get("name_label", ""), "uuid": iso.get("uuid", ""), "userdevice": vbd.get("userdevice")}


def _networks(view: vm_view.VmView) -> t.List[vm_view.Record]:
    addresses = guest.addresses_by_device(view.guest_metrics)
    interfaces = []
    for vif in sorted(view.vifs.values(), key=vm_view.userdevice_order):
        device = vif.get("device", "")
        network = view.pool.networks.get(vif.get("network", ""), {})
        found = addresses.get(device, {"ipv4": [], "ipv6": []})
        interfaces.append({"device": device, "mac": vif.get("MAC"), "mtu": vif.get("MTU"), "network": network.get("name_label"),
                           "network_uuid": network.get("uuid"), "ipv4": found["ipv4"], "ipv6": found["ipv6"]})
    return interfaces
