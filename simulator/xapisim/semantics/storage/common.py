"""Helpers shared by the storage handlers (SR, PBD, VDI, VBD): constructor records, SR attachment,
storage-backend errors, and refreshing the derived ``allowed_operations`` of related objects.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

from ...errors import XapiError
from ...store import NULL_REF, Store

if TYPE_CHECKING:
    from ...context import CallContext

POOL_SR_FIELDS = ("default_SR", "suspend_image_SR", "crash_dump_SR")


def constructor_fields(ctx: "CallContext", cls: str, record: dict[str, Any]) -> dict[str, Any]:
    """The constructor fields of a ``<cls>.create`` record, after checking the required ones are there.

    The record was already converted by type at dispatch; fields that are not constructor
    fields are dropped, as xapi ignores them.
    """
    ctor = ctx.sim.schema.cls(cls).ctor_fields
    for name, required in ctor.items():
        if required and name not in record:
            raise XapiError("FIELD_TYPE_ERROR", name)
    return {name: value for name, value in record.items() if name in ctor}


def plain_setter(cls: str, field: str) -> Callable[..., str]:
    """A handler for an explicit ``set_<field>`` message that only stores the value."""
    def handler(ctx: "CallContext", ref: str, value: Any) -> str:
        ctx.store.get(cls, ref)
        ctx.store.update(cls, ref, **{field: value})
        return ""
    return handler


def attached_pbds(store: Store, sr: str) -> list[str]:
    """The PBDs through which some host has the SR attached now."""
    pbds = store.records("PBD")
    return [pbd for pbd in store.get("SR", sr)["PBDs"] if pbds.get(pbd, {}).get("currently_attached")]


def assert_sr_plugged(store: Store, sr: str) -> None:
    """Most storage operations need the SR attached on at least one host (xapi's assert_pbd_is_plugged)."""
    if not attached_pbds(store, sr):
        raise XapiError("SR_HAS_NO_PBDS", sr)


def backend_failure(code: int, description: str, opterr: str = "") -> XapiError:
    """An error raised by a storage driver, shaped as xapi forwards it: ``SR_BACKEND_FAILURE_<n> ["", text, ""]``."""
    text = f"{description} [opterr={opterr}]" if opterr else description
    return XapiError(f"SR_BACKEND_FAILURE_{code}", "", text, "")


def sr_type_of_vdi(store: Store, vdi_record: dict[str, Any]) -> str:
    """The driver type of the SR a VDI lives on ("" if the SR is gone)."""
    sr = store.records("SR").get(vdi_record["SR"])
    return sr["type"] if sr else ""


def driver_capabilities(store: Store, sr_type: str) -> list[str]:
    """Capabilities the SM record of a driver advertises (empty for an unknown driver)."""
    for record in store.records("SM").values():
        if record["type"] == sr_type:
            return record["capabilities"]
    return []


def refresh(store: Store, cls: str, ref: str) -> None:
    """Recompute the derived fields of one record after a change elsewhere (a relation, another record)."""
    deriver = store.derived.get(cls)
    record = store.records(cls).get(ref)
    if deriver is not None and record is not None:
        store.update(cls, ref, **deriver(store, record))


def refresh_disk_operations(store: Store, vm: str) -> None:
    """Refresh ``allowed_operations`` of a VM's VBDs and of the VDIs behind them.

    They depend on the VM's power state and on which VBDs are attached, so call this after a
    power transition or any change to ``VBD.currently_attached``.
    """
    record = store.records("VM").get(vm)
    if record is None:
        return
    for vbd in record["VBDs"]:
        refresh(store, "VBD", vbd)
        vdi = store.records("VBD").get(vbd, {}).get("VDI", NULL_REF)
        refresh(store, "VDI", vdi)


def forget_sr_in_pool(store: Store, sr: str) -> None:
    """The pool's default, suspend-image and crash-dump SR fields stop pointing at a vanished SR."""
    for pool, record in store.records("pool").items():
        stale = {name: NULL_REF for name in POOL_SR_FIELDS if record.get(name) == sr}
        if stale:
            store.update("pool", pool, **stale)


def refresh_storage_operations(store: Store) -> None:
    """Recompute ``allowed_operations`` of every SR, VDI and VBD.

    A scenario builder writes relations directly (a VBD made after its VDI, PBDs after their SR),
    which does not re-derive the other end; call this once the pool is built.
    """
    for cls in ("SR", "VDI", "VBD"):
        for ref in list(store.records(cls)):
            refresh(store, cls, ref)
