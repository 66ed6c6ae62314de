"""Which VBD operations are allowed now, and the error that refuses each of the others.

One table serves both ``VBD.allowed_operations`` and the checks before plug, unplug, insert and
eject, so the two always agree. As in xapi, the first reason found for an operation wins, in
this order: unpluggable flag, removable media, empty drive, power state, VM operations in
progress, hotplug support of HVM guests, suspended CD drives, then the disk behind the VBD.
"""
from __future__ import annotations

from typing import Any

from ...errors import XapiError, bad_power_state
from ...store import Store
from .devices import is_hvm

VBD_OPERATIONS = ("attach", "eject", "insert", "plug", "unplug", "unplug_force", "pause", "unpause")
HOTPLUG_OPERATIONS = ("plug", "unplug", "unplug_force")
# VM operations during which the guest's devices must not change.
VM_OPERATIONS_BLOCKING_HOTPLUG = frozenset({"clean_shutdown", "hard_shutdown", "suspend", "pause"})
# VDI types a VBD may point at (HA state files and redo logs are for the host only).
ATTACHABLE_VDI_TYPES = frozenset({"system", "user", "ephemeral", "suspend", "crashdump", "metadata", "rrd", "pvs_cache"})


class OperationTable:
    """Operation -> the first error found for it, or None."""

    def __init__(self) -> None:
        self.errors: dict[str, XapiError | None] = {op: None for op in VBD_OPERATIONS}

    def refuse(self, ops: tuple[str, ...] | list[str], error: XapiError) -> None:
        """Refuse ``ops`` with ``error``, unless an earlier check already refused them."""
        for op in ops:
            if self.errors[op] is None:
                self.errors[op] = error

    def allowed(self) -> list[str]:
        """The operations nothing refused."""
        return [op for op, error in self.errors.items() if error is None]


def vbd_operations(store: Store, vbd: str, record: dict[str, Any], sharing_checks: bool = True) -> OperationTable:
    """The operation table of one VBD. ``sharing_checks`` adds the checks against other VBDs of
    the same disk; like xapi, allowed_operations leaves them out and the operations run them."""
    table = OperationTable()
    vms = store.records("VM")
    vm = record["VM"]
    vm_record = vms.get(vm)
    if vm_record is None:
        table.refuse(VBD_OPERATIONS, XapiError("HANDLE_INVALID", "VM", vm))
        return table
    if not record["unpluggable"]:
        table.refuse(("unplug", "unplug_force"), XapiError("VBD_NOT_UNPLUGGABLE", vbd))
    if record["type"] != "CD":
        table.refuse(("insert", "eject"), XapiError("VBD_NOT_REMOVABLE_MEDIA", vbd))
    if record["empty"]:
        table.refuse(("eject",), XapiError("VBD_IS_EMPTY", vbd))
    else:
        table.refuse(("insert",), XapiError("VBD_NOT_EMPTY", vbd))
    _check_power_state(table, vbd, record, vm, vm_record)
    for op in vm_record["current_operations"].values():
        if op in VM_OPERATIONS_BLOCKING_HOTPLUG:
            table.refuse(("plug", "unplug"), XapiError("OPERATION_NOT_ALLOWED", f"Current operation on VM:{vm} is {op}"))
    if vm_record["power_state"] == "Running" and is_hvm(vm_record):
        _check_hotplug_support(table, store, record, vm, vm_record)
    if record["type"] == "CD" and vm_record["power_state"] == "Suspended":
        table.refuse(("insert", "eject"), bad_power_state(vm, ["Halted", "Running"], "Suspended"))
    if not record["empty"]:
        _check_disk(table, store, vbd, record, vm_record, sharing_checks)
    return table


def _check_power_state(table: OperationTable, vbd: str, record: dict[str, Any], vm: str, vm_record: dict[str, Any]) -> None:
    power_state = vm_record["power_state"]
    if power_state == "Running":
        if record["currently_attached"]:
            table.refuse(("plug",), XapiError("DEVICE_ALREADY_ATTACHED", vbd))
        else:
            table.refuse(("unplug", "unplug_force"), XapiError("DEVICE_ALREADY_DETACHED", vbd))
        return
    refused = HOTPLUG_OPERATIONS if power_state == "Paused" else HOTPLUG_OPERATIONS + ("pause", "unpause")
    table.refuse(refused, bad_power_state(vm, "Running", power_state))


def _check_hotplug_support(table: OperationTable, store: Store, record: dict[str, Any], vm: str, vm_record: dict[str, Any]) -> None:
    """HVM guests hotplug disks only with PV drivers that say they can; CD drives never hotplug."""
    metrics = store.records("VM_guest_metrics").get(vm_record["guest_metrics"])
    support = metrics["can_use_hotplug_vbd"] if metrics else "unspecified"
    if support == "no":
        table.refuse(HOTPLUG_OPERATIONS, XapiError("OPERATION_NOT_ALLOWED", "VM states it does not support VBD hotplug."))
    elif support == "unspecified" and not (metrics and (metrics["PV_drivers_detected"] or metrics["PV_drivers_version"].get("major"))):
        table.refuse(HOTPLUG_OPERATIONS, XapiError("VM_MISSING_PV_DRIVERS", vm))
    if record["type"] == "CD":
        table.refuse(HOTPLUG_OPERATIONS, XapiError("OPERATION_NOT_ALLOWED", "HVM CDROMs cannot be hotplugged/unplugged, only inserted or ejected"))


def _check_disk(table: OperationTable, store: Store, vbd: str, record: dict[str, Any],  # pylint: disable=too-many-arguments,too-many-positional-arguments
                vm_record: dict[str, Any], sharing_checks: bool) -> None:
    vdi = record["VDI"]
    vdi_record = store.records("VDI").get(vdi)
    if vdi_record is None:
        table.refuse(("attach", "plug", "insert"), XapiError("HANDLE_INVALID", "VDI", vdi))
        return
    if not vdi_record["managed"]:
        # xapi names the VBD, not the VDI, in this error.
        table.refuse(VBD_OPERATIONS, XapiError("VDI_NOT_MANAGED", vbd))
    if record["currently_attached"] or not sharing_checks:
        return
    need_write = record["mode"] == "RW"
    others = _active_users(store, vbd, vdi_record)
    someone_writes = any(other["mode"] == "RW" for other in others)
    if not vdi_record["sharable"] and not vm_record["is_control_domain"] and (someone_writes or (need_write and others)):
        table.refuse(("attach", "insert", "plug"), XapiError("VDI_IN_USE", vdi))
    if need_write and vdi_record["read_only"]:
        table.refuse(("attach", "insert", "plug"), XapiError("VDI_READONLY", vdi))


def _active_users(store: Store, vbd: str, vdi_record: dict[str, Any]) -> list[dict[str, Any]]:
    """Other VBDs of the same disk that hold it now; suspended guests and control domains do not count."""
    vbds, vms = store.records("VBD"), store.records("VM")
    active = []
    for other in vdi_record["VBDs"]:
        other_record = vbds.get(other)
        if other == vbd or other_record is None:
            continue
        owner = vms.get(other_record["VM"], {})
        if owner.get("power_state") == "Suspended" or owner.get("is_control_domain"):
            continue
        if other_record["currently_attached"] or other_record["current_operations"]:
            active.append(other_record)
    return active


def assert_vbd_operation(store: Store, vbd: str, op: str) -> dict[str, Any]:
    """Raise the error that refuses ``op`` on ``vbd``; returns the VBD record when it is allowed."""
    record = store.get("VBD", vbd)
    error = vbd_operations(store, vbd, record).errors[op]
    if error is not None:
        raise error
    return record
