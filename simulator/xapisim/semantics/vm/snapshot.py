"""VM.snapshot, VM.checkpoint and VM.revert.

A snapshot is a VM with ``is_a_snapshot`` (and ``is_a_template``), ``snapshot_of`` its VM, and
snapshot VDIs of the VM's disks. A checkpoint is a snapshot of a running VM that also holds its
memory: it is Suspended, with a suspend VDI. Reverting puts the VM back in the snapshot's state:
its disks replaced by clones of the snapshot's disks, Halted, or Suspended for a checkpoint (so
that resuming it brings back the running VM).
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ...errors import XapiError
from ...registry import handles
from ...store import NULL_REF, Store
from ..storage.vdi import remove_vdi
from .disks import create_suspend_image, duplicate_vdi, suspend_sr
from .records import copies_disk, copy_vbds, copy_vifs, duplicate_disks, duplicate_vm, vm_fields
from .runtime import ensure_metrics, shut_down
from ..network.vifs import destroy_vif_record
from .state import HALTED, SUSPENDED, vm_operation

if TYPE_CHECKING:
    from ...context import CallContext

# The configuration a revert restores; the VM keeps its name, identity and relations.
_REVERTED_FIELDS = ("name_description", "user_version", "memory_overhead", "memory_target", "memory_static_max",
                    "memory_dynamic_max", "memory_dynamic_min", "memory_static_min", "VCPUs_params", "VCPUs_max",
                    "VCPUs_at_startup", "actions_after_softreboot", "actions_after_shutdown", "actions_after_reboot",
                    "actions_after_crash", "PV_bootloader", "PV_kernel", "PV_ramdisk", "PV_args",
                    "PV_bootloader_args", "PV_legacy_args", "HVM_boot_policy", "HVM_boot_params",
                    "HVM_shadow_multiplier", "platform", "PCI_bus", "other_config", "recommendations",
                    "xenstore_data", "bios_strings", "has_vendor_device", "domain_type", "NVRAM")


@handles("VM.snapshot")
def snapshot(ctx: "CallContext", vm: str, new_name: str, ignore_vdis: list[str]) -> str:
    with vm_operation(ctx, vm, "snapshot"):
        return duplicate_vm(ctx.store, vm, new_name, "snapshot", ignore_vdis=ignore_vdis)


@handles("VM.checkpoint")
def checkpoint(ctx: "CallContext", vm: str, new_name: str) -> str:
    store = ctx.store
    with vm_operation(ctx, vm, "checkpoint"):
        if suspend_sr(store, store.get("VM", vm)) == NULL_REF:
            raise XapiError("VM_NO_SUSPEND_SR", vm)
        new = duplicate_vm(store, vm, new_name, "checkpoint")
        store.update("VM", new, suspend_VDI=create_suspend_image(store, new))
        return new


@handles("VM.revert")
def revert(ctx: "CallContext", snapshot_ref: str) -> str:
    store = ctx.store
    with vm_operation(ctx, snapshot_ref, "revert"):
        snap = store.get("VM", snapshot_ref)
        vm = snap["snapshot_of"]
        if not store.exists("VM", vm):
            vm = _recreate_vm(store, snapshot_ref)
        image = snap["suspend_VDI"] if snap["power_state"] == SUSPENDED else NULL_REF
        images = [image] if image != NULL_REF and store.exists("VDI", image) else []
        # Disks first: if the SRs are full the VM is left as it was.
        extra = {store.get("VDI", v)["SR"]: store.get("VDI", v)["virtual_size"] for v in images}
        disks = duplicate_disks(store, snap["VBDs"], "clone", extra_needs=extra)
        if store.get("VM", vm)["power_state"] != HALTED:
            shut_down(store, vm)
        _drop_reverted_devices(store, vm, snap)
        state = SUSPENDED if images else HALTED
        store.update("VM", vm, power_state=state, parent=snapshot_ref,
                     **{field: snap[field] for field in _REVERTED_FIELDS})
        copy_vbds(store, snap["VBDs"], vm, disks, attached=state == SUSPENDED)
        copy_vifs(store, snap["VIFs"], vm, keep_macs=True)
        if images:
            store.update("VM", vm, suspend_VDI=duplicate_vdi(store, images[0], "clone"))
    return ""


def _drop_reverted_devices(store: Store, vm: str, snap: dict[str, Any]) -> None:
    """The VM's devices go; so do the disks the snapshot has a copy of (their state is being replaced).

    Disks added after the snapshot was taken are only detached from the VM, as xapi does.
    """
    snapshotted = set()
    for vbd in snap["VBDs"]:
        vbd_record = store.get("VBD", vbd)
        if copies_disk(vbd_record) and store.exists("VDI", vbd_record["VDI"]):
            snapshotted.add(store.get("VDI", vbd_record["VDI"])["snapshot_of"])
    record = store.get("VM", vm)
    for vbd in record["VBDs"]:
        vdi = store.get("VBD", vbd)["VDI"]
        store.destroy("VBD", vbd)
        if vdi in snapshotted and store.exists("VDI", vdi) and not store.get("VDI", vdi)["VBDs"]:
            remove_vdi(store, vdi)
    for vif in record["VIFs"]:
        destroy_vif_record(store, vif)


def _recreate_vm(store: Store, snapshot_ref: str) -> str:
    """The snapshot's VM was destroyed: revert brings it back as a new VM made from the snapshot."""
    snap = store.get("VM", snapshot_ref)
    fields = vm_fields(snap, snap["name_label"], "copy", HALTED, snapshot_ref)
    fields.update(is_a_template=False, other_config=dict(snap["other_config"]))
    vm = store.create("VM", fields)
    ensure_metrics(store, vm)
    store.update("VM", snapshot_ref, snapshot_of=vm)
    return vm
