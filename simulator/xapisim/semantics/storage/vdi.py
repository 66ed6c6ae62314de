"""VDI.*: create, introduce, destroy, forget, resize, the explicit setters, and allowed_operations.

Clone, snapshot and copy are in ``storage_vdi_copy.py``. The checks follow xapi: an operation
that cannot run on a disk in use fails with ``VDI_IN_USE [vdi, operation]`` while any VBD of it is
attached; most operations need the SR attached on some host (``SR_HAS_NO_PBDS [sr]``).
"""
from __future__ import annotations

import re
from datetime import datetime
from typing import TYPE_CHECKING, Any

from ...errors import XapiError
from ...registry import derives, handles
from ...store import NULL_REF, Store
from .common import (assert_sr_plugged, attached_pbds, backend_failure, constructor_fields, driver_capabilities, plain_setter, refresh,
                     sr_type_of_vdi)
from .drivers import is_physical_device_sr
from .space import allocate_vdi, charge, release_vdi, resize_vdi

if TYPE_CHECKING:
    from ...context import CallContext

# Operations listed in allowed_operations, in the order a real host reports them.
VDI_OPERATIONS = ("forget", "generate_config", "update", "resize", "destroy", "clone", "copy", "snapshot", "resize_online")
# Operations that may run while the disk is attached to a running guest.
LIVE_OPERATIONS = frozenset({"clone", "snapshot", "resize_online", "blocked"})
# VDIs of these types hold HA or database state and must not be copied.
HA_TYPES = frozenset({"ha_statefile", "redo_log"})
UUID_PATTERN = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


def is_attached(store: Store, vdi_record: dict[str, Any]) -> bool:
    """Whether a guest holds the disk now (some VBD of it is attached)."""
    vbds = store.records("VBD")
    return any(vbds.get(vbd, {}).get("currently_attached") for vbd in vdi_record["VBDs"])


def operation_error(store: Store, vdi: str, record: dict[str, Any], op: str) -> XapiError | None:
    """Why ``op`` is refused on this VDI now, or None when it may run."""
    sr = record["SR"]
    if op == "resize" and store.exists("SR", sr) and not attached_pbds(store, sr):
        return XapiError("SR_HAS_NO_PBDS", sr)
    if op not in LIVE_OPERATIONS and is_attached(store, record):
        return XapiError("VDI_IN_USE", vdi, op)
    if op == "snapshot" and record["on_boot"] == "reset":
        return XapiError("VDI_ON_BOOT_MODE_INCOMPATIBLE_WITH_OPERATION")
    if op == "copy" and record["type"] in HA_TYPES:
        return XapiError("OPERATION_NOT_ALLOWED", "VDI containing HA statefile or redo log cannot be copied (check the VDI's allowed operations).")
    return _driver_error(store, vdi, record, op)


def _driver_error(store: Store, vdi: str, record: dict[str, Any], op: str) -> XapiError | None:
    """What the SR's driver cannot do: physical devices (udev) are fixed, and few drivers resize online."""
    sr = record["SR"]
    if is_physical_device_sr(store, sr) and op in ("destroy", "resize", "clone", "snapshot"):
        return XapiError("VDI_IS_A_PHYSICAL_DEVICE", vdi) if op == "destroy" else XapiError("SR_OPERATION_NOT_SUPPORTED", sr)
    if op == "resize_online" and "VDI_RESIZE_ONLINE" not in driver_capabilities(store, sr_type_of_vdi(store, record)):
        return XapiError("SR_OPERATION_NOT_SUPPORTED", sr)
    return None


def assert_operation(store: Store, vdi: str, op: str) -> dict[str, Any]:
    """Raise the error that refuses ``op`` on ``vdi``; returns the VDI record when it is allowed."""
    record = store.get("VDI", vdi)
    error = operation_error(store, vdi, record, op)
    if error is not None:
        raise error
    return record


def assert_managed(vdi: str, record: dict[str, Any]) -> None:
    """Disks the storage layer does not manage (``managed`` false) cannot be changed through the API."""
    if not record["managed"]:
        raise XapiError("VDI_NOT_MANAGED", vdi)


@derives("VDI")
def derive_vdi(store: Store, record: dict[str, Any]) -> dict[str, Any]:
    """``allowed_operations`` from the disk's attachments and its SR."""
    allowed = [op for op in VDI_OPERATIONS if operation_error(store, "", record, op) is None]
    return {"allowed_operations": allowed}


def new_vdi(store: Store, sr: str, fields: dict[str, Any]) -> str:
    """A fresh managed VDI on ``sr`` as the SM backend makes it (VDI.create, clone, copy)."""
    store.get("SR", sr)
    if is_physical_device_sr(store, sr):
        raise XapiError("SR_OPERATION_NOT_SUPPORTED", sr)
    assert_sr_plugged(store, sr)
    if fields.get("virtual_size", 0) < 0:
        raise backend_failure(79, "VDI Invalid size", "size must not be negative")
    return allocate_vdi(store, sr, fields)


@handles("VDI.create")
def create(ctx: "CallContext", record: dict[str, Any]) -> str:
    """A blank disk on the record's SR."""
    fields = constructor_fields(ctx, "VDI", record)
    return new_vdi(ctx.store, fields.pop("SR"), fields)


@handles("VDI.introduce")
def introduce(  # pylint: disable=too-many-arguments,too-many-positional-arguments,too-many-locals
        ctx: "CallContext", uuid: str, name_label: str, name_description: str, sr: str, vdi_type: str,
        sharable: bool, read_only: bool, other_config: dict[str, str], location: str,
        xenstore_data: dict[str, str], sm_config: dict[str, str], managed: bool, virtual_size: int,
        physical_utilisation: int, metadata_of_pool: str, is_a_snapshot: bool, snapshot_time: datetime,
        snapshot_of: str) -> str:
    """Make the record of a disk that already exists on the storage; nothing is written there."""
    store = ctx.store
    store.get("SR", sr)
    assert_sr_plugged(store, sr)
    if not UUID_PATTERN.match(uuid) or store.ref_of_uuid("VDI", uuid) is not None:
        raise XapiError("UUID_INVALID", "VDI", uuid)
    vdis = store.records("VDI")
    if any(vdis[v]["location"] == location for v in store.get("SR", sr)["VDIs"] if v in vdis):
        raise XapiError("LOCATION_NOT_UNIQUE", sr, location)
    vdi = store.create("VDI", {
        "uuid": uuid, "name_label": name_label, "name_description": name_description, "SR": sr, "type": vdi_type,
        "sharable": sharable, "read_only": read_only, "other_config": other_config, "location": location,
        "xenstore_data": xenstore_data, "sm_config": sm_config, "managed": managed, "missing": False,
        "virtual_size": virtual_size, "physical_utilisation": physical_utilisation, "storage_lock": False,
        "metadata_of_pool": metadata_of_pool if store.exists("pool", metadata_of_pool) else NULL_REF,
        "is_a_snapshot": is_a_snapshot, "snapshot_time": snapshot_time,
        "snapshot_of": snapshot_of if store.exists("VDI", snapshot_of) else NULL_REF,
    })
    charge(store, sr, virtual_size, physical_utilisation)
    return vdi


@handles("VDI.destroy")
def destroy(ctx: "CallContext", vdi: str) -> str:
    """Delete the disk from the storage, with the detached VBDs that point at it."""
    store = ctx.store
    record = assert_operation(store, vdi, "destroy")
    assert_sr_plugged(store, record["SR"])
    assert_managed(vdi, record)
    remove_vdi(store, vdi)
    return ""


def remove_vdi(store: Store, vdi: str) -> None:
    """Drop a VDI, the (detached) VBDs that still point at it, and suspend images referring to it."""
    record = store.get("VDI", vdi)
    release_vdi(store, vdi)
    vbds = list(record["VBDs"])
    store.destroy("VDI", vdi)
    for vbd in vbds:
        if store.exists("VBD", vbd):
            store.destroy("VBD", vbd)
    for vm in store.find("VM", suspend_VDI=vdi):
        store.update("VM", vm, suspend_VDI=NULL_REF)
    refresh(store, "SR", record["SR"])


@handles("VDI.forget")
def forget(ctx: "CallContext", vdi: str) -> str:
    """Remove the record only: the data stays on the storage and a scan would find it again."""
    sr = assert_operation(ctx.store, vdi, "forget")["SR"]
    release_vdi(ctx.store, vdi)
    ctx.store.destroy("VDI", vdi)
    refresh(ctx.store, "SR", sr)
    return ""


@handles("VDI.resize")
def resize(ctx: "CallContext", vdi: str, size: int) -> str:
    """Grow a detached disk (drivers refuse to shrink)."""
    return _resize(ctx.store, vdi, size, "resize")


@handles("VDI.resize_online")
def resize_online(ctx: "CallContext", vdi: str, size: int) -> str:
    """Grow a disk in use, on drivers that can (``VDI_RESIZE_ONLINE`` in their SM capabilities)."""
    return _resize(ctx.store, vdi, size, "resize_online")


def _resize(store: Store, vdi: str, size: int, op: str) -> str:
    record = assert_operation(store, vdi, op)
    assert_sr_plugged(store, record["SR"])
    assert_managed(vdi, record)
    # The VHD and LVM backends only grow disks; they refuse to shrink with their "VDI Invalid size" error.
    if size < record["virtual_size"]:
        raise backend_failure(79, "VDI Invalid size", "shrinking not allowed")
    resize_vdi(store, vdi, size)
    return ""


@handles("VDI.update")
def update(ctx: "CallContext", vdi: str) -> str:
    """Re-read the disk's details from the storage: nothing changes behind the API's back here."""
    assert_sr_plugged(ctx.store, ctx.store.get("VDI", vdi)["SR"])
    return ""


@handles("VDI.set_on_boot")
def set_on_boot(ctx: "CallContext", vdi: str, value: str) -> str:
    """``persist`` or ``reset`` (changes discarded when the guest boots); the driver needs the SR attached."""
    assert_sr_plugged(ctx.store, ctx.store.get("VDI", vdi)["SR"])
    ctx.store.update("VDI", vdi, on_boot=value)
    return ""


# Explicit messages in the datamodel (so not served by the generic layer) that only store the value.
for _field in ("name_label", "name_description", "sharable", "read_only", "allow_caching"):
    handles(f"VDI.set_{_field}")(plain_setter("VDI", _field))
