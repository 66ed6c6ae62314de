"""Disks for VM operations: new VDIs copied from a VM's disks, memory images, and the space they need.

Space accounting itself is the storage layer's (``storage_space.allocate_vdi``, reached through
``storage_vdi.new_vdi``, and ``storage_vdi.remove_vdi``): VM operations create and remove disks
through the same functions as ``VDI.create`` and ``VDI.destroy``, so SR counters always match.
Multi-disk operations check the space on every SR first, so they are all-or-nothing.
"""
from __future__ import annotations

from typing import Any

from ...errors import XapiError
from ...store import NULL_REF, Store, utcnow
from ..storage.space import ensure_space
from ..storage.vdi import new_vdi
from ..storage.vdi_copy import INHERITED_FIELDS

DISK_OPERATIONS = ("clone", "copy", "snapshot")


def check_space(store: Store, needs: dict[str, int]) -> None:
    """SR_FULL [requested, available] unless every SR in ``needs`` (SR -> bytes) has that much free."""
    for sr, size in needs.items():
        ensure_space(store, sr, size)


def _target_sr(source: dict[str, Any], how: str, sr: str) -> str:
    return sr if how == "copy" and sr != NULL_REF else source["SR"]


def space_needed(store: Store, vdis: list[str], how: str, sr: str = NULL_REF) -> dict[str, int]:
    """Bytes that ``duplicate_vdi(vdi, how, sr)`` of every VDI would take, per SR."""
    needs: dict[str, int] = {}
    for vdi in vdis:
        source = store.get("VDI", vdi)
        target = _target_sr(source, how, sr)
        needs[target] = needs.get(target, 0) + source["virtual_size"]
    return needs


def duplicate_vdi(store: Store, vdi: str, how: str, sr: str = NULL_REF) -> str:
    """A new VDI made from ``vdi`` by ``how``.

    ``clone``: a copy-on-write child in the same SR (its sm_config names the parent image, as a
    VHD clone's does); ``copy``: a full, independent copy into ``sr`` (the source's SR when NULL);
    ``snapshot``: a child in the same SR marked as a snapshot of the source.
    """
    if how not in DISK_OPERATIONS:
        raise ValueError(how)
    source = store.get("VDI", vdi)
    fields: dict[str, Any] = {name: source[name] for name in INHERITED_FIELDS}
    fields["tags"] = list(source["tags"])
    if how == "clone":
        fields["sm_config"] = {"vhd-parent": source["uuid"]}
    elif how == "snapshot":
        fields.update(is_a_snapshot=True, snapshot_of=vdi, snapshot_time=utcnow())
    return new_vdi(store, _target_sr(source, how, sr), fields)


def suspend_sr(store: Store, vm: dict[str, Any]) -> str:
    """Where a memory image goes: the VM's suspend_SR, else the pool's suspend image SR, else its default SR."""
    pool = next(iter(store.records("pool").values()))
    for candidate in (vm["suspend_SR"], pool["suspend_image_SR"], pool["default_SR"]):
        if candidate != NULL_REF and store.exists("SR", candidate):
            return candidate
    return NULL_REF


def create_suspend_image(store: Store, vm_ref: str) -> str:
    """A suspend VDI holding the VM's memory, in its suspend SR (VM_NO_SUSPEND_SR if there is none)."""
    vm = store.get("VM", vm_ref)
    sr = suspend_sr(store, vm)
    if sr == NULL_REF:
        raise XapiError("VM_NO_SUSPEND_SR", vm_ref)
    return new_vdi(store, sr, {
        "name_label": "Suspend image", "name_description": "Suspend image", "type": "suspend",
        "virtual_size": vm["memory_static_max"], "sharable": False, "read_only": False, "other_config": {},
        "sm_config": {"vm_uuid": vm["uuid"]},
    })
