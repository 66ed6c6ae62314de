"""VBD.*: create and destroy, hotplug (plug, unplug, unplug_force), CD media (insert, eject),
set_mode, assert_attachable, and allowed_operations.

The checks come from one operation table (``storage_vbd_checks.py``). A new VBD is detached with
an empty ``device`` unless its VM is suspended; plugging it gives the guest device name (``xvdb``).
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ...errors import XapiError, bad_power_state, operation_not_allowed
from ...registry import derives, handles
from ...store import NULL_REF, Store
from .common import constructor_fields, refresh
from .devices import allowed_vbd_devices, guest_device_name, is_valid_userdevice, parse_device, used_devices
from .vbd_checks import ATTACHABLE_VDI_TYPES, assert_vbd_operation, vbd_operations

if TYPE_CHECKING:
    from ...context import CallContext


@derives("VBD")
def derive_vbd(store: Store, record: dict[str, Any]) -> dict[str, Any]:
    """``allowed_operations`` from the VBD, its VM's power state and its disk."""
    return {"allowed_operations": vbd_operations(store, "", record, sharing_checks=False).allowed()}


def _check_new_vbd(store: Store, fields: dict[str, Any]) -> None:
    """xapi's constructor checks, in its order."""
    store.get("VM", fields["VM"])
    vdi, empty, vbd_type, mode = fields["VDI"], fields["empty"], fields["type"], fields["mode"]
    vdi_record = None if empty else store.get("VDI", vdi)
    if vdi_record is not None and vdi_record["type"] not in ATTACHABLE_VDI_TYPES:
        raise XapiError("VDI_INCOMPATIBLE_TYPE", vdi, vdi_record["type"])
    if vbd_type == "CD" and mode != "RO":
        raise XapiError("VBD_CDS_MUST_BE_READONLY")
    if vbd_type != "CD" and empty:
        raise XapiError("VBD_NOT_REMOVABLE_MEDIA", "in constructor")
    if mode == "RW" and vdi_record is not None and vdi_record["read_only"]:
        raise XapiError("VDI_READONLY", vdi)


def _resolve_userdevice(store: Store, vm: str, userdevice: str, vbd_type: str) -> str:
    """Turn ``autodetect`` into the first free slot, and refuse invalid or taken devices."""
    free = allowed_vbd_devices(store, vm, vbd_type)
    if not is_valid_userdevice(userdevice) or (userdevice == "autodetect" and not free):
        raise XapiError("INVALID_DEVICE", userdevice)
    if userdevice == "autodetect":
        return free[0]
    if parse_device(userdevice) in used_devices(store, store.get("VM", vm)):
        raise XapiError("DEVICE_ALREADY_EXISTS", userdevice)
    return userdevice


@handles("VBD.create")
def create(ctx: "CallContext", record: dict[str, Any]) -> str:
    """Connect a disk (or an empty CD drive) to a VM; the guest sees it at its next boot or plug."""
    store = ctx.store
    fields = constructor_fields(ctx, "VBD", record)
    _check_new_vbd(store, fields)
    vm = fields["VM"]
    fields["userdevice"] = _resolve_userdevice(store, vm, fields["userdevice"], fields["type"])
    # Only a suspended VM keeps devices that are attached while it is not running.
    if store.get("VM", vm)["power_state"] != "Suspended":
        fields.update(device="", currently_attached=False)
    if fields["empty"]:
        fields["VDI"] = NULL_REF
    vbd = store.create("VBD", fields)
    refresh(store, "VDI", fields["VDI"])
    return vbd


@handles("VBD.destroy")
def destroy(ctx: "CallContext", vbd: str) -> str:
    """Remove a detached VBD; the disk stays."""
    store = ctx.store
    record = store.get("VBD", vbd)
    if record["currently_attached"]:
        vm_uuid = store.records("VM").get(record["VM"], {}).get("uuid", "")
        raise operation_not_allowed(f"VBD '{record['uuid']}' still attached to '{vm_uuid}'")
    store.destroy("VBD", vbd)
    refresh(store, "VDI", record["VDI"])
    return ""


def _hotplug(op: str, attached: bool) -> Any:
    """The handler of plug (``attached`` true), unplug and unplug_force on a running guest."""
    def handler(ctx: "CallContext", vbd: str) -> str:
        record = assert_vbd_operation(ctx.store, vbd, op)
        _set_attached(ctx.store, vbd, record, attached)
        return ""
    return handler


for _op, _attached in (("plug", True), ("unplug", False), ("unplug_force", False)):
    handles(f"VBD.{_op}")(_hotplug(_op, _attached))


def _set_attached(store: Store, vbd: str, record: dict[str, Any], attached: bool) -> None:
    # The guest keeps the device name after an unplug; the next plug gives the same one.
    device = guest_device_name(record["userdevice"]) if attached else record["device"]
    store.update("VBD", vbd, currently_attached=attached, device=device)
    refresh(store, "VDI", record["VDI"])


@handles("VBD.insert")
def insert(ctx: "CallContext", vbd: str, vdi: str) -> str:
    """Put a disk (an ISO) into an empty CD drive, of a halted or running guest."""
    store = ctx.store
    assert_vbd_operation(store, vbd, "insert")
    vdi_record = store.get("VDI", vdi)
    if not vdi_record["managed"]:
        raise XapiError("VDI_NOT_MANAGED", vdi)
    store.update("VBD", vbd, VDI=vdi, empty=False)
    refresh(store, "VDI", vdi)
    return ""


@handles("VBD.eject")
def eject(ctx: "CallContext", vbd: str) -> str:
    """Take the disk out of a CD drive, leaving it empty."""
    store = ctx.store
    record = assert_vbd_operation(store, vbd, "eject")
    store.update("VBD", vbd, VDI=NULL_REF, empty=True)
    refresh(store, "VDI", record["VDI"])
    return ""


@handles("VBD.assert_attachable")
def assert_attachable(ctx: "CallContext", vbd: str) -> str:
    """Fail as VM.start would if this VBD could not be attached (disk in use, read-only, unmanaged)."""
    assert_vbd_operation(ctx.store, vbd, "attach")
    return ""


@handles("VBD.set_mode")
def set_mode(ctx: "CallContext", vbd: str, value: str) -> str:
    """RO or RW; only while the VM is halted."""
    store = ctx.store
    vm = store.get("VBD", vbd)["VM"]
    power_state = store.get("VM", vm)["power_state"]
    if power_state != "Halted":
        raise bad_power_state(vm, "Halted", power_state)
    store.update("VBD", vbd, mode=value)
    return ""
