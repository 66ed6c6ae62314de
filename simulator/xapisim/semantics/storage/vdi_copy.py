"""VDI.clone, VDI.snapshot and VDI.copy: new disks made from an existing one.

Clone and snapshot are copy-on-write in the disk's own SR and may run while the disk is in use;
copy writes a full copy into another SR (or into an existing VDI) and needs the disk detached.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ...errors import XapiError
from ...registry import handles
from ...store import NULL_REF, utcnow
from .common import assert_sr_plugged
from .vdi import assert_managed, assert_operation, new_vdi

if TYPE_CHECKING:
    from ...context import CallContext

# Metadata a clone or snapshot takes from its source; the storage backend fills in the rest.
INHERITED_FIELDS = ("name_label", "name_description", "type", "sharable", "read_only", "other_config",
                    "xenstore_data", "on_boot", "allow_caching", "virtual_size")


def _inherited(source: dict[str, Any]) -> dict[str, Any]:
    return {name: source[name] for name in INHERITED_FIELDS}


def _derive_in_place(ctx: "CallContext", vdi: str, op: str, extra: dict[str, Any]) -> str:
    """A copy-on-write child of ``vdi`` in the same SR (clone or snapshot)."""
    store = ctx.store
    source = assert_operation(store, vdi, op)
    assert_sr_plugged(store, source["SR"])
    assert_managed(vdi, source)
    return new_vdi(store, source["SR"], {**_inherited(source), "sm_config": {}, **extra})


@handles("VDI.clone")
def clone(ctx: "CallContext", vdi: str, _driver_params: dict[str, str]) -> str:
    """A writable copy-on-write child of the disk, in its SR."""
    return _derive_in_place(ctx, vdi, "clone", {})


@handles("VDI.snapshot")
def snapshot(ctx: "CallContext", vdi: str, _driver_params: dict[str, str]) -> str:
    """A copy-on-write child recording the disk as it is now (``is_a_snapshot``, ``snapshot_of``)."""
    return _derive_in_place(ctx, vdi, "snapshot", {"is_a_snapshot": True, "snapshot_of": vdi, "snapshot_time": utcnow()})


@handles("VDI.copy")
def copy(ctx: "CallContext", vdi: str, sr: str, _base_vdi: str, into_vdi: str) -> str:
    """Copy into ``into_vdi`` when it is a valid VDI, else into a new VDI on ``sr``.

    The base VDI only tells the backend which blocks it may skip; the result is the same.
    """
    store = ctx.store
    source = assert_operation(store, vdi, "copy")
    assert_managed(vdi, source)
    if into_vdi != NULL_REF and store.exists("VDI", into_vdi):
        target = store.get("VDI", into_vdi)
        if target["read_only"]:
            raise XapiError("VDI_READONLY", into_vdi)
        if target["virtual_size"] < source["virtual_size"]:
            raise XapiError("VDI_TOO_SMALL", into_vdi, source["virtual_size"])
        return into_vdi
    # A fresh copy is always writable, even from a read-only source; the backend's own sm_config is not copied.
    fields = {**_inherited(source), "read_only": False, "sm_config": {}, "tags": list(source["tags"])}
    return new_vdi(store, sr, fields)
