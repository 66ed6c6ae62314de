"""Disks for VM operations: space accounting in SRs, and new VDIs made by copying existing ones.

``allocate_vdi`` is the one place where a VDI takes space from its SR (and SR_FULL is raised);
``release_vdi`` gives the space back. Every code path that creates or destroys VDIs uses them,
so an SR's ``physical_utilisation`` and ``virtual_allocation`` always match its disks.
"""
from __future__ import annotations

from typing import Any

from ..errors import XapiError
from ..store import NULL_REF, Store, new_uuid, utcnow

# A new disk uses a quarter of its virtual size on the SR (thin provisioning, mostly empty).
PHYSICAL_FRACTION = 4
DEFAULT_VDI_OPERATIONS = ["clone", "copy", "resize", "snapshot", "destroy", "update", "forget"]
# Fields a copied VDI never takes from its source: identity, relations and per-copy state.
_VDI_NOT_COPIED = frozenset({"uuid", "SR", "VBDs", "crash_dumps", "snapshots", "snapshot_of", "snapshot_time",
                             "is_a_snapshot", "current_operations", "location", "parent", "physical_utilisation",
                             "metadata_of_pool", "metadata_latest", "missing", "storage_lock"})


def free_space(store: Store, sr: str) -> int:
    record = store.get("SR", sr)
    return max(0, record["physical_size"] - record["virtual_allocation"])


def check_space(store: Store, needs: dict[str, int]) -> None:
    """SR_FULL [requested, available] unless every SR in ``needs`` (SR -> bytes) has that much free.

    Checking every SR before creating anything keeps multi-disk operations all-or-nothing.
    """
    for sr, size in needs.items():
        available = free_space(store, sr)
        if size > available:
            raise XapiError("SR_FULL", size, available)


def allocate_vdi(store: Store, sr: str, fields: dict[str, Any]) -> str:
    """Create a VDI of ``fields["virtual_size"]`` bytes in ``sr`` and charge the SR for it.

    Raises SR_FULL [requested, available] when the SR's virtual allocation would pass its
    physical size. Fields left out get the values a freshly created disk has.
    """
    size = int(fields.get("virtual_size", 0))
    check_space(store, {sr: size})
    uuid = fields.get("uuid") or new_uuid()
    record = {
        "name_label": "", "name_description": "", "type": "user", "sharable": False, "read_only": False,
        "managed": True, "other_config": {}, "sm_config": {}, "allowed_operations": list(DEFAULT_VDI_OPERATIONS),
        **fields, "uuid": uuid, "SR": sr, "virtual_size": size, "physical_utilisation": size // PHYSICAL_FRACTION,
    }
    record.setdefault("location", uuid)
    vdi = store.create("VDI", record)
    _charge(store, sr, size // PHYSICAL_FRACTION, size)
    return vdi


def release_vdi(store: Store, vdi: str) -> None:
    """Destroy a VDI and give its space back to its SR."""
    record = store.get("VDI", vdi)
    store.destroy("VDI", vdi)
    if store.exists("SR", record["SR"]):
        _charge(store, record["SR"], -record["physical_utilisation"], -record["virtual_size"])


def _charge(store: Store, sr: str, physical: int, virtual: int) -> None:
    record = store.get("SR", sr)
    store.update("SR", sr, physical_utilisation=max(0, record["physical_utilisation"] + physical),
                 virtual_allocation=max(0, record["virtual_allocation"] + virtual))


def duplicate_vdi(store: Store, vdi: str, how: str, sr: str = NULL_REF) -> str:
    """A new VDI made from ``vdi``: ``clone`` (copy-on-write child in the same SR), ``copy`` (a full
    copy into ``sr``, or the source's SR when NULL) or ``snapshot`` (marked as a snapshot of it)."""
    source = store.get("VDI", vdi)
    fields = {k: v for k, v in source.items() if k not in _VDI_NOT_COPIED}
    target = source["SR"] if how != "copy" or sr == NULL_REF else sr
    if how == "clone":
        # The clone is a child of the source's image, as a VHD copy-on-write clone is.
        fields["sm_config"] = {**source["sm_config"], "vhd-parent": source["uuid"]}
    elif how == "copy":
        fields["sm_config"] = {k: v for k, v in source["sm_config"].items() if k != "vhd-parent"}
    elif how == "snapshot":
        fields.update(is_a_snapshot=True, snapshot_of=vdi, snapshot_time=utcnow())
    else:
        raise ValueError(how)
    return allocate_vdi(store, target, fields)


def space_needed(store: Store, vdis: list[str], how: str, sr: str = NULL_REF) -> dict[str, int]:
    """Bytes that ``duplicate_vdi(vdi, how, sr)`` of every VDI would take, per SR."""
    needs: dict[str, int] = {}
    for vdi in vdis:
        source = store.get("VDI", vdi)
        target = sr if how == "copy" and sr != NULL_REF else source["SR"]
        needs[target] = needs.get(target, 0) + source["virtual_size"]
    return needs


def suspend_sr(store: Store, vm: dict[str, Any]) -> str:
    """Where a memory image goes: the VM's suspend_SR, else the pool's suspend image SR, else its default SR."""
    pool = next(iter(store.records("pool").values()))
    for candidate in (vm["suspend_SR"], pool["suspend_image_SR"], pool["default_SR"]):
        if candidate != NULL_REF and store.exists("SR", candidate):
            return candidate
    return NULL_REF


def create_suspend_image(store: Store, vm_ref: str) -> str:
    """A suspend VDI large enough for the VM's memory, in the suspend SR (VM_NO_SUSPEND_SR if none)."""
    vm = store.get("VM", vm_ref)
    sr = suspend_sr(store, vm)
    if sr == NULL_REF:
        raise XapiError("VM_NO_SUSPEND_SR", vm_ref)
    return allocate_vdi(store, sr, {
        "name_label": "Suspend image", "name_description": "Suspend image", "type": "suspend",
        "virtual_size": vm["memory_static_max"], "other_config": {}, "sm_config": {"vm_uuid": vm["uuid"]},
    })
