"""PBD.*: create, plug, unplug, destroy and set_device_config: how each host reaches an SR.

Reconfiguring shared storage (the SDK's ``fixpbds.py``) is, for each host: unplug the PBD,
destroy it, create one with the new ``device_config``, plug it.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ...errors import XapiError, operation_not_allowed
from ...registry import handles
from ...store import Store
from .common import constructor_fields, refresh
from .drivers import check_device_config, driver_for
from .space import recount

if TYPE_CHECKING:
    from ...context import CallContext

# A key the storage layer adds for the SR master; clients must not set it.
RESERVED_DEVICE_CONFIG_KEY = "SRmaster"


def assert_no_reserved_key(device_config: dict[str, str]) -> None:
    """VALUE_NOT_SUPPORTED for the storage layer's own key."""
    if RESERVED_DEVICE_CONFIG_KEY in device_config:
        raise XapiError("VALUE_NOT_SUPPORTED", RESERVED_DEVICE_CONFIG_KEY, device_config[RESERVED_DEVICE_CONFIG_KEY],
                        "This key is for internal use only")


def new_pbd(store: Store, sr: str, host: str, device_config: dict[str, str], other_config: dict[str, str]) -> str:
    """A detached PBD; one per (SR, host) pair."""
    sr_record = store.get("SR", sr)
    store.get("host", host)
    pbds = store.records("PBD")
    existing = next((pbd for pbd in sr_record["PBDs"] if pbds.get(pbd, {}).get("host") == host), None)
    if existing is not None:
        raise XapiError("PBD_EXISTS", sr, host, existing)
    assert_no_reserved_key(device_config)
    return store.create("PBD", {"SR": sr, "host": host, "device_config": dict(device_config),
                                "other_config": dict(other_config), "currently_attached": False})


def attach(store: Store, pbd: str) -> None:
    """Attach the SR on the PBD's host, as the storage driver would."""
    record = store.get("PBD", pbd)
    sr = record["SR"]
    sr_record = store.get("SR", sr)
    driver = driver_for(store, sr_record["type"])
    if record["currently_attached"]:
        return
    if not sr_record["shared"]:
        others = [p for p in sr_record["PBDs"] if p != pbd and store.records("PBD").get(p, {}).get("currently_attached")]
        if others:
            raise XapiError("SR_NOT_SHARABLE", sr, store.get("PBD", others[0])["host"])
    check_device_config(driver, record["device_config"])
    store.update("PBD", pbd, currently_attached=True)
    if sr_record["physical_size"] < 0:
        # An introduced SR learns its size and usage on first attach.
        store.update("SR", sr, physical_size=driver.default_size)
        recount(store, sr)
    refresh(store, "SR", sr)


def vdis_in_use_on_host(store: Store, pbd_record: dict[str, Any]) -> list[str]:
    """VDIs of the PBD's SR attached to guests running on the PBD's host (metadata VDIs excepted)."""
    vms, vbds, vdis = store.records("VM"), store.records("VBD"), store.records("VDI")
    in_use = []
    for vm in store.get("host", pbd_record["host"])["resident_VMs"]:
        for vbd in vms.get(vm, {}).get("VBDs", []):
            vbd_record = vbds.get(vbd)
            if vbd_record is None or not vbd_record["currently_attached"] or vbd_record["empty"]:
                continue
            vdi = vdis.get(vbd_record["VDI"])
            if vdi is not None and vdi["SR"] == pbd_record["SR"] and vdi["type"] != "metadata":
                in_use.append(vbd_record["VDI"])
    return in_use


def detach(store: Store, pbd: str) -> None:
    """Detach the SR from the PBD's host, unless guests running there use its disks."""
    record = store.get("PBD", pbd)
    if not record["currently_attached"]:
        return
    in_use = vdis_in_use_on_host(store, record)
    if in_use:
        raise XapiError("VDI_IN_USE", *in_use)
    store.update("PBD", pbd, currently_attached=False)
    refresh(store, "SR", record["SR"])


@handles("PBD.create")
def create(ctx: "CallContext", record: dict[str, Any]) -> str:
    """Give a host access to an SR (detached until plugged)."""
    fields = constructor_fields(ctx, "PBD", record)
    pbd = new_pbd(ctx.store, fields["SR"], fields["host"], fields["device_config"], fields.get("other_config", {}))
    refresh(ctx.store, "SR", fields["SR"])
    return pbd


@handles("PBD.plug")
def plug(ctx: "CallContext", pbd: str) -> str:
    """Attach the SR on the PBD's host; nothing to do when attached."""
    attach(ctx.store, pbd)
    return ""


@handles("PBD.unplug")
def unplug(ctx: "CallContext", pbd: str) -> str:
    """Detach the SR from the PBD's host; nothing to do when detached."""
    detach(ctx.store, pbd)
    return ""


@handles("PBD.destroy")
def destroy(ctx: "CallContext", pbd: str) -> str:
    """Remove a detached PBD."""
    record = ctx.store.get("PBD", pbd)
    if record["currently_attached"]:
        raise operation_not_allowed("PBD is currently attached")
    ctx.store.destroy("PBD", pbd)
    refresh(ctx.store, "SR", record["SR"])
    return ""


@handles("PBD.set_device_config")
def set_device_config(ctx: "CallContext", pbd: str, value: dict[str, str]) -> str:
    """Replace the settings used at the next plug."""
    ctx.store.get("PBD", pbd)
    assert_no_reserved_key(value)
    ctx.store.update("PBD", pbd, device_config=dict(value))
    return ""
