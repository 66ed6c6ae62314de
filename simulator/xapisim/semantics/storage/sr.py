"""SR.*: create, introduce, forget, destroy, scan, update, probe, the explicit setters, and
allowed_operations.

``SR.create`` makes the SR, a PBD for the given host (for every host when shared) and plugs them.
``SR.introduce`` makes the record only; PBDs are created and plugged by the client. Forget and
destroy refuse while any PBD is attached (``SR_HAS_PBD [sr]``).
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ...errors import XapiError
from ...registry import derives, handles
from ...store import Store, new_uuid
from .common import assert_sr_plugged, forget_sr_in_pool, plain_setter
from .drivers import DEFAULT_DRIVER, DRIVERS, check_device_config, driver_for, known_types
from .pbd import attach, new_pbd
from .space import recount
from .vdi import remove_vdi

if TYPE_CHECKING:
    from ...context import CallContext

SR_OPERATIONS = ("scan", "destroy", "forget", "plug", "unplug", "update", "vdi_create", "vdi_introduce", "vdi_destroy",
                 "vdi_resize", "vdi_clone", "vdi_snapshot", "vdi_mirror", "pbd_create", "pbd_destroy")
# What a driver over physical devices (udev) cannot do with its VDIs.
VDI_LIFECYCLE_OPERATIONS = frozenset({"vdi_create", "vdi_destroy", "vdi_resize", "vdi_clone", "vdi_snapshot"})


def _has_managed_vdis(store: Store, record: dict[str, Any]) -> bool:
    vdis = store.records("VDI")
    return any(vdis[v]["managed"] and vdis[v]["type"] != "rrd" for v in record["VDIs"] if v in vdis)


def operation_error(store: Store, sr: str, record: dict[str, Any], op: str) -> XapiError | None:
    """Why ``op`` is refused on this SR now, or None (xapi's order: backend, PBDs, contents)."""
    if op in VDI_LIFECYCLE_OPERATIONS and DRIVERS.get(record["type"], DEFAULT_DRIVER).physical_devices:
        return XapiError("SR_OPERATION_NOT_SUPPORTED", sr)
    pbds = store.records("PBD")
    if op in ("destroy", "forget") and any(pbds.get(p, {}).get("currently_attached") for p in record["PBDs"]):
        return XapiError("SR_HAS_PBD", sr)
    if op == "destroy" and not record["PBDs"]:
        return XapiError("SR_HAS_NO_PBDS", sr)
    if op == "destroy" and _has_managed_vdis(store, record):
        return XapiError("SR_NOT_EMPTY")
    return None


def assert_operation(store: Store, sr: str, op: str) -> dict[str, Any]:
    """Raise the error that refuses ``op`` on ``sr``; returns the SR record when it is allowed."""
    record = store.get("SR", sr)
    error = operation_error(store, sr, record, op)
    if error is not None:
        raise error
    return record


@derives("SR")
def derive_sr(store: Store, record: dict[str, Any]) -> dict[str, Any]:
    """``allowed_operations`` from the SR's driver, PBDs and contents."""
    return {"allowed_operations": [op for op in SR_OPERATIONS if operation_error(store, "", record, op) is None]}


@handles("SR.create")
def create(  # pylint: disable=too-many-arguments,too-many-positional-arguments,too-many-locals
        ctx: "CallContext", host: str, device_config: dict[str, str], physical_size: int, name_label: str,
        name_description: str, sr_type: str, content_type: str, shared: bool, sm_config: dict[str, str]) -> str:
    """Make a new SR on the storage, with a plugged PBD on ``host`` (on every host when shared).

    A ``physical_size`` of 0 lets the driver report the size it finds.
    """
    store = ctx.store
    store.get("host", host)
    driver = driver_for(store, sr_type.lower())
    # The driver checks its configuration before anything is recorded, so a failed create leaves nothing behind.
    check_device_config(driver, device_config)
    sr = store.create("SR", {
        "name_label": name_label, "name_description": name_description, "type": sr_type.lower(),
        "content_type": content_type, "shared": shared, "sm_config": dict(sm_config), "other_config": {},
        "physical_size": physical_size or driver.default_size, "physical_utilisation": 0, "virtual_allocation": 0,
    })
    master = ctx.sim.master_ref
    hosts = [master] + [h for h in ctx.sim.host_refs if h != master] if shared else [host]
    for member in hosts:
        attach(store, new_pbd(store, sr, member, device_config, {}))
    return sr


@handles("SR.introduce")
def introduce(  # pylint: disable=too-many-arguments,too-many-positional-arguments
        ctx: "CallContext", uuid: str, name_label: str, name_description: str, sr_type: str, content_type: str,
        shared: bool, sm_config: dict[str, str]) -> str:
    """The record of an SR that exists on storage; its size is unknown (-1) until a PBD is plugged."""
    store = ctx.store
    uuid = uuid or new_uuid()
    if store.ref_of_uuid("SR", uuid) is not None:
        raise XapiError("SR_UUID_EXISTS", uuid)
    return store.create("SR", {
        "uuid": uuid, "name_label": name_label, "name_description": name_description, "type": sr_type.lower(),
        "content_type": content_type, "shared": shared, "sm_config": dict(sm_config), "other_config": {},
        "physical_size": -1, "physical_utilisation": -1, "virtual_allocation": 0,
    })


def _drop_sr(store: Store, sr: str) -> None:
    """Remove an SR's PBDs, VDI records and the SR itself (the PBDs are all detached by now)."""
    record = store.get("SR", sr)
    for pbd in record["PBDs"]:
        store.destroy("PBD", pbd)
    for vdi in record["VDIs"]:
        if store.exists("VDI", vdi):
            remove_vdi(store, vdi)
    store.destroy("SR", sr)
    forget_sr_in_pool(store, sr)


@handles("SR.forget")
def forget(ctx: "CallContext", sr: str) -> str:
    """Remove the SR's records (PBDs, VDIs, SR); the data stays on the storage."""
    assert_operation(ctx.store, sr, "forget")
    _drop_sr(ctx.store, sr)
    return ""


@handles("SR.destroy")
def destroy(ctx: "CallContext", sr: str) -> str:
    """Delete an empty, detached SR from the storage, with its records."""
    record = assert_operation(ctx.store, sr, "destroy")
    if record["other_config"].get("indestructible") == "true":
        raise XapiError("SR_INDESTRUCTIBLE", sr)
    _drop_sr(ctx.store, sr)
    return ""


@handles("SR.scan")
def scan(ctx: "CallContext", sr: str) -> str:
    """Nothing appears on simulated storage behind the API's back: a scan only recounts the space in use."""
    assert_sr_plugged(ctx.store, sr)
    recount(ctx.store, sr)
    return ""


@handles("SR.update")
def update(ctx: "CallContext", sr: str) -> str:
    """Refresh the SR's size and usage from the storage."""
    assert_sr_plugged(ctx.store, sr)
    recount(ctx.store, sr)
    return ""


@handles("SR.set_shared")
def set_shared(ctx: "CallContext", sr: str, value: bool) -> str:
    """An SR reached from several hosts must stay shared (SR_HAS_MULTIPLE_PBDS [pbds...])."""
    pbds = ctx.store.get("SR", sr)["PBDs"]
    if not value and len(pbds) > 1:
        raise XapiError("SR_HAS_MULTIPLE_PBDS", *pbds)
    ctx.store.update("SR", sr, shared=value)
    return ""


# Explicit messages in the datamodel (so not served by the generic layer) that only store the value.
for _field in ("name_label", "name_description", "physical_size"):
    handles(f"SR.set_{_field}")(plain_setter("SR", _field))


@handles("SR.get_supported_types")
def get_supported_types(ctx: "CallContext") -> list[str]:
    """The SR types the pool has a driver for."""
    return known_types(ctx.store)


@handles("SR.make")
def make(_ctx: "CallContext", *_args: Any) -> str:
    """Replaced by SR.create long ago."""
    raise XapiError("MESSAGE_DEPRECATED")
