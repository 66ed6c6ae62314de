"""Making a new VM from an existing one: the record, its disks and its devices.

Clone, copy, snapshot and checkpoint all produce a VM the way xapi does: the configuration is
copied, the identity and runtime state are not, ``other_config`` gets a new MAC seed (except
for snapshots, which keep their MACs), the default-template marks go, and a VM made from a
template remembers the template's name. Disks are duplicated first, after checking that every
SR has the space, so a failing operation leaves nothing behind.
"""
from __future__ import annotations

import hashlib
from typing import Any, Iterable

from ...store import NULL_REF, Store, new_uuid, utcnow
from .disks import check_space, duplicate_vdi, space_needed, suspend_sr
from .runtime import ensure_metrics
from .state import HALTED, SUSPENDED

# VM fields that describe one particular VM and its runtime state, never copied to a new one.
_VM_NOT_COPIED = frozenset({
    "uuid", "allowed_operations", "current_operations", "name_label", "power_state", "resident_on",
    "scheduled_to_be_resident_on", "domid", "metrics", "guest_metrics", "VBDs", "VIFs", "VUSBs", "VTPMs",
    "VGPUs", "consoles", "crash_dumps", "attached_PCIs", "snapshots", "snapshot_of", "children", "parent",
    "is_a_snapshot", "snapshot_time", "snapshot_info", "snapshot_metadata", "transportable_snapshot_id",
    "blocked_operations", "suspend_VDI", "appliance", "protection_policy", "snapshot_schedule",
    "is_vmss_snapshot", "is_snapshot_from_vmpp", "groups", "ha_always_run", "is_default_template",
    "start_delay", "shutdown_delay", "order", "version", "requires_reboot", "blobs", "pending_guidances",
    "pending_guidances_recommended", "pending_guidances_full",
})
_DEVICE_NOT_COPIED = frozenset({"uuid", "VM", "VDI", "currently_attached", "current_operations", "metrics",
                                "status_code", "status_detail", "runtime_properties", "storage_lock"})
_DISK_OPERATION = {"clone": "clone", "copy": "copy", "snapshot": "snapshot", "checkpoint": "snapshot"}
SNAPSHOT_KINDS = ("snapshot", "checkpoint")


def new_other_config(source: dict[str, Any], is_snapshot: bool) -> dict[str, str]:
    other = dict(source["other_config"])
    if not is_snapshot:
        other["mac_seed"] = new_uuid()
    for key in ("default_template", "xensource_internal"):
        other.pop(key, None)
    if source["is_a_template"] and not source["is_a_snapshot"]:
        other.setdefault("base_template_name", source["name_label"])
    return other


def vm_fields(source: dict[str, Any], new_name: str, kind: str, power_state: str, source_ref: str) -> dict[str, Any]:
    """The record of a VM made from ``source`` by ``kind`` (clone, copy, snapshot, checkpoint)."""
    is_snapshot = kind in SNAPSHOT_KINDS
    fields = {k: v for k, v in source.items() if k not in _VM_NOT_COPIED}
    fields.update(name_label=new_name, power_state=power_state, other_config=new_other_config(source, is_snapshot),
                  is_a_template=is_snapshot or source["is_a_template"], is_default_template=False, domid=-1)
    if is_snapshot:
        fields.update(is_a_snapshot=True, snapshot_of=source_ref, snapshot_time=utcnow(), parent=source["parent"],
                      snapshot_info={"power-state-at-snapshot": source["power_state"],
                                     "disk-snapshot-type": "crash_consistent"})
    return fields


def mac_from_seed(seed: str, device: str) -> str:
    """A stable, locally administered unicast MAC for VIF ``device`` of a VM with this MAC seed."""
    digest = hashlib.sha256(f"{seed}/{device}".encode()).digest()
    return ":".join(f"{octet:02x}" for octet in [(digest[0] & 0xFC) | 0x02, *digest[1:6]])


def copies_disk(vbd: dict[str, Any]) -> bool:
    """CD images are shared, not copied (an ISO is known by its name); empty drives have no disk."""
    return vbd["type"] == "Disk" and not vbd["empty"] and vbd["VDI"] != NULL_REF


def copy_vbds(store: Store, vbds: Iterable[str], vm: str, disks: dict[str, str], attached: bool) -> None:
    """New VBDs on ``vm`` like ``vbds``, each on its duplicated disk (``disks``: old VDI -> new VDI).

    The new VM owns its new disks, so they go when it is destroyed with its disks.
    """
    for vbd in vbds:
        source = store.get("VBD", vbd)
        fields = {k: v for k, v in source.items() if k not in _DEVICE_NOT_COPIED}
        fields.update(VM=vm, VDI=disks.get(source["VDI"], source["VDI"]), currently_attached=attached,
                      device=source["device"] if attached else "")
        if source["type"] == "Disk":
            fields["other_config"] = {"owner": "", **source["other_config"]}
        store.create("VBD", fields)


def copy_vifs(store: Store, vifs: Iterable[str], vm: str, keep_macs: bool) -> None:
    seed = store.get("VM", vm)["other_config"].get("mac_seed", new_uuid())
    for vif in vifs:
        source = store.get("VIF", vif)
        fields = {k: v for k, v in source.items() if k not in _DEVICE_NOT_COPIED}
        fields.update(VM=vm, currently_attached=False, metrics=store.create("VIF_metrics", {}))
        if not keep_macs:
            fields.update(MAC=mac_from_seed(seed, source["device"]), MAC_autogenerated=True)
        store.create("VIF", fields)


def duplicate_disks(store: Store, vbds: list[str], how: str, sr: str = NULL_REF,
                    extra_needs: dict[str, int] | None = None) -> dict[str, str]:
    """Duplicate the disks behind ``vbds`` (after checking space for them and ``extra_needs``)."""
    disks = [store.get("VBD", vbd)["VDI"] for vbd in vbds if copies_disk(store.get("VBD", vbd))]
    needs = space_needed(store, disks, how, sr)
    for extra_sr, size in (extra_needs or {}).items():
        needs[extra_sr] = needs.get(extra_sr, 0) + size
    check_space(store, needs)
    return {vdi: duplicate_vdi(store, vdi, how, sr) for vdi in disks}


def duplicate_vm(store: Store, vm: str, new_name: str, kind: str, sr: str = NULL_REF,
                 ignore_vdis: Iterable[str] = ()) -> str:
    """A new VM made from ``vm`` by ``kind``; a checkpoint also gets a new memory image."""
    source = store.get("VM", vm)
    is_snapshot = kind in SNAPSHOT_KINDS
    how = _DISK_OPERATION[kind]
    ignored = set(ignore_vdis) if is_snapshot else set()
    vbds = [vbd for vbd in source["VBDs"] if store.get("VBD", vbd)["VDI"] not in ignored]
    image = source["suspend_VDI"] if not is_snapshot and source["power_state"] == SUSPENDED else NULL_REF
    extra: dict[str, int] = {}
    if image != NULL_REF:
        extra = space_needed(store, [image], how, sr)
    elif kind == "checkpoint":
        extra = {suspend_sr(store, source): source["memory_static_max"]}
    extra.pop(NULL_REF, None)
    disks = duplicate_disks(store, vbds, how, sr, extra)
    power_state = SUSPENDED if kind == "checkpoint" or image != NULL_REF else HALTED
    new = store.create("VM", vm_fields(source, new_name, kind, power_state, vm))
    ensure_metrics(store, new)
    copy_vbds(store, vbds, new, disks, attached=power_state == SUSPENDED and not is_snapshot)
    copy_vifs(store, source["VIFs"], new, keep_macs=is_snapshot)
    if image != NULL_REF:
        store.update("VM", new, suspend_VDI=duplicate_vdi(store, image, how, sr))
    if is_snapshot:
        # The VM now descends from its newest snapshot (the snapshot tree).
        store.update("VM", vm, parent=new)
    return new
