"""``GET /export``: a VM as an XVA archive (export.ml ``handler``, ``export``, ``make_all``).

The VM must allow the ``export`` operation (halted or suspended: a running VM is refused with
VM_BAD_POWER_STATE) and shows it in ``current_operations`` while the archive streams. The archive
holds the VM, its VBDs and VIFs, their networks, its disks (not CD images) and their SRs; a
reference to anything else is written as ``OpaqueRef:NULL``, as xapi's ``lookup`` does.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..errors import XapiError
from ..semantics.vm.state import assert_operation_valid, begin_operation, end_operation
from ..store import NULL_REF
from .compression import Sink
from .http_session import TransferFailed, redirected, resolve, transfer_task
from .xva import XvaWriter

if TYPE_CHECKING:
    from ..context import SimulatorView
    from ..http_handler import DataExchange

_COMPRESSION = {"true": "gzip", "gzip": "gzip", "zstd": "zstd"}


def export_vm(sim: SimulatorView, exchange: DataExchange) -> None:
    with transfer_task(sim, exchange, "VM.export") as transfer:
        vm = resolve(sim, "VM", transfer.param("ref"), transfer.param("uuid"))
        store = sim.store
        if redirected(transfer, _disk_srs(sim, vm)):
            transfer.keep_pending = True
            return
        with store.lock:
            try:
                assert_operation_valid(store, vm, "export")
            except XapiError as err:
                raise TransferFailed(500, err) from err
            begin_operation(store, vm, transfer.task, "export")
            objects, disks = _metadata(sim, vm)
        try:
            compression = _COMPRESSION.get(exchange.query.get("use_compression", ""))
            exchange.start(200, {"Content-Type": "application/octet-stream", "task-id": transfer.task,
                                 "Content-Disposition": 'attachment; filename="export.xva"'})
            sink = Sink(exchange.write, compression)
            writer = XvaWriter(sink)
            writer.metadata(objects)
            total = sum(size for _prefix, _vdi, size in disks) or 1
            sent = [0]

            def progress(length: int) -> None:
                sent[0] += length
                transfer.progress(sent[0] / total)

            for prefix, vdi, size in sorted(disks):
                writer.disk(prefix, vdi, size, sim.disks, progress)
            writer.close()
            sink.close()
        finally:
            with store.lock:
                end_operation(store, vm, transfer.task)


def _metadata(sim: SimulatorView, vm: str) -> tuple[list[dict[str, Any]], list[tuple[str, str, int]]]:
    """The objects of ``ova.xml`` and the disks to stream as ``(prefix, VDI, virtual size)``."""
    store = sim.store
    record = store.get("VM", vm)
    vbds = [vbd for vbd in record["VBDs"] if store.exists("VBD", vbd)]
    vifs = [vif for vif in record["VIFs"] if store.exists("VIF", vif)]
    vdis = []
    for vbd in vbds:
        vdi = store.get("VBD", vbd)["VDI"]
        if vdi != NULL_REF and store.exists("VDI", vdi) and vdi not in vdis:
            vdis.append(vdi)
    networks = list(dict.fromkeys(store.get("VIF", vif)["network"] for vif in vifs))
    srs = list(dict.fromkeys(store.get("VDI", vdi)["SR"] for vdi in vdis))
    members = [("VM", vm)] + [("VBD", r) for r in vbds] + [("VIF", r) for r in vifs] + \
        [("network", r) for r in networks if store.exists("network", r)] + [("VDI", r) for r in vdis] + \
        [("SR", r) for r in srs if store.exists("SR", r)]
    ids = {ref: f"Ref:{index}" for index, (_cls, ref) in enumerate(members)}
    objects = [{"class": cls, "id": ids[ref], "snapshot": _rewrite(sim, cls, store.get(cls, ref), ids)}
               for cls, ref in members]
    objects[0]["snapshot"].update(power_state="Halted", suspend_VDI=NULL_REF, is_a_snapshot=False,
                                  snapshot_of=NULL_REF, snapshots=[])
    disks = []
    for vdi in vdis:
        vdi_record = store.get("VDI", vdi)
        if store.get("SR", vdi_record["SR"])["content_type"] != "iso" and _is_disk(store, vdi, vbds):
            disks.append((ids[vdi], vdi, int(vdi_record["virtual_size"])))
    return objects, disks


def _disk_srs(sim: SimulatorView, vm: str) -> list[str]:
    store = sim.store
    srs = []
    for vbd in store.get("VM", vm)["VBDs"]:
        vdi = store.get("VBD", vbd)["VDI"] if store.exists("VBD", vbd) else NULL_REF
        if vdi != NULL_REF and store.exists("VDI", vdi) and store.get("VDI", vdi)["SR"] not in srs:
            srs.append(store.get("VDI", vdi)["SR"])
    return srs


def _is_disk(store: Any, vdi: str, vbds: list[str]) -> bool:
    return any(store.get("VBD", vbd)["VDI"] == vdi and store.get("VBD", vbd)["type"] != "CD" for vbd in vbds)


def _rewrite(sim: SimulatorView, cls: str, record: dict[str, Any], ids: dict[str, str]) -> dict[str, Any]:
    """A record with every reference replaced by its export id, or ``OpaqueRef:NULL`` outside the export."""
    fields = sim.schema.cls(cls).fields
    out: dict[str, Any] = {}
    for name, value in record.items():
        kind = fields[name].type if name in fields else None
        if kind is not None and kind.kind == "ref":
            out[name] = ids.get(value, NULL_REF)
        elif kind is not None and kind.kind == "set" and kind.elem is not None and kind.elem.kind == "ref":
            out[name] = [ids[ref] for ref in value if ref in ids]
        else:
            out[name] = value
    return out
