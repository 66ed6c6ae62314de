"""SR space accounting: every VDI takes its virtual size from the SR's allocation.

The simulator models thin provisioning: a VDI of virtual size ``s`` allocates ``s`` bytes
(``SR.virtual_allocation``) and physically uses ``s // 4`` (``VDI.physical_utilisation``, summed
into ``SR.physical_utilisation``). A request that would take ``virtual_allocation`` past
``physical_size`` fails with ``SR_FULL [requested, maximum]``: the bytes asked for and the bytes
still free.
"""
from __future__ import annotations

from typing import Any

from ...errors import XapiError
from ...store import Store, new_uuid

PHYSICAL_SHARE = 4  # a thin VDI physically uses a quarter of its virtual size


def physical_use(virtual_size: int) -> int:
    """Bytes a thin VDI of this virtual size takes on the storage."""
    return max(virtual_size, 0) // PHYSICAL_SHARE


def free_space(sr_record: dict[str, Any]) -> int:
    """Bytes still free for new allocations on an SR."""
    return max(sr_record["physical_size"] - sr_record["virtual_allocation"], 0)


def ensure_space(store: Store, sr: str, requested: int) -> None:
    """SR_FULL [requested, available] unless the SR has ``requested`` bytes free."""
    record = store.get("SR", sr)
    available = free_space(record)
    if requested > available:
        raise XapiError("SR_FULL", requested, available)


def charge(store: Store, sr: str, virtual: int, physical: int) -> None:
    """Add (or, with negative amounts, give back) space on an SR; counters never go below zero."""
    record = store.get("SR", sr)
    store.update("SR", sr, virtual_allocation=max(record["virtual_allocation"] + virtual, 0),
                 physical_utilisation=max(record["physical_utilisation"] + physical, 0))


def allocate_vdi(store: Store, sr: str, fields: dict[str, Any]) -> str:
    """Create a managed VDI of ``fields["virtual_size"]`` bytes on ``sr``, or fail with SR_FULL.

    ``location`` defaults to the new VDI's uuid, as file-based drivers name their VHD files.
    """
    size = fields.get("virtual_size", 0)
    ensure_space(store, sr, size)
    uuid = fields.get("uuid") or new_uuid()
    record = {"managed": True, "missing": False, "storage_lock": False, "location": uuid, **fields,
              "uuid": uuid, "SR": sr, "virtual_size": size, "physical_utilisation": physical_use(size)}
    vdi = store.create("VDI", record)
    charge(store, sr, size, record["physical_utilisation"])
    return vdi


def release_vdi(store: Store, vdi: str) -> None:
    """Give a VDI's space back to its SR (call before destroying or forgetting the record)."""
    record = store.get("VDI", vdi)
    if store.exists("SR", record["SR"]):
        charge(store, record["SR"], -record["virtual_size"], -record["physical_utilisation"])


def resize_vdi(store: Store, vdi: str, size: int) -> None:
    """Change a VDI's virtual size, taking the difference from (or giving it back to) its SR."""
    record = store.get("VDI", vdi)
    growth = size - record["virtual_size"]
    if growth > 0:
        ensure_space(store, record["SR"], growth)
    physical = physical_use(size)
    store.update("VDI", vdi, virtual_size=size, physical_utilisation=physical)
    charge(store, record["SR"], growth, physical - record["physical_utilisation"])


def recount(store: Store, sr: str) -> None:
    """Recompute an SR's counters from its VDIs (what a scan finds on the storage)."""
    vdis = store.records("VDI")
    records = [vdis[v] for v in store.get("SR", sr)["VDIs"] if v in vdis]
    store.update("SR", sr, virtual_allocation=sum(r["virtual_size"] for r in records),
                 physical_utilisation=sum(r["physical_utilisation"] for r in records))
