"""``GET /export_raw_vdi`` and ``PUT /import_raw_vdi``: one disk's bytes (export_raw_vdi.ml, import_raw_vdi.ml).

``vdi`` names the disk (a reference or a uuid). ``format`` is ``raw`` (the default) or ``tar`` (the
disk's chunks as in an XVA); ``vhd`` and ``qcow2`` need xapi's vhd-tool and qcow-tool and are refused
here with a clear INTERNAL_ERROR. An import without ``vdi`` but with ``sr_id`` creates "Imported VDI"
the size of the body. A body that is chunked, or larger than the disk, is refused.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from ..disk_contents import CHUNK_SIZE
from ..errors import XapiError
from ..semantics.storage.vdi import new_vdi
from .compression import Sink
from .http_session import Transfer, TransferFailed, resolve, transfer_task
from .xva import XvaReader, XvaWriter

if TYPE_CHECKING:
    from ..context import SimulatorView
    from ..http_handler import DataExchange

TAR_PREFIX = "VDI"  # Xapi_globs.vdi_tar_export_dir
_FORMATS = ("raw", "tar")


def _format(transfer: Transfer) -> str:
    name = (transfer.param("format") or "raw").lower()
    if name in ("vhd", "qcow2"):
        raise TransferFailed(404, XapiError("INTERNAL_ERROR", f"the simulator does not convert {name} images"))
    if name not in _FORMATS:
        raise TransferFailed(404, XapiError("INTERNAL_ERROR", f"Unknown format {name}"))
    return name


def _disk(sim: SimulatorView, transfer: Transfer) -> str:
    named = transfer.param("vdi")
    ref = named if named and named.startswith("OpaqueRef:") else None
    return resolve(sim, "VDI", ref, None if ref else named)


def export_raw_vdi(sim: SimulatorView, exchange: DataExchange) -> None:
    with transfer_task(sim, exchange, "VDI.export_raw") as transfer:
        vdi = _disk(sim, transfer)
        kind = _format(transfer)
        size = int(sim.store.get("VDI", vdi)["virtual_size"])
        transfer.result = vdi
        if kind == "tar":
            exchange.start(200, {"Content-Type": "application/x-tar", "task-id": transfer.task})
            writer = XvaWriter(Sink(exchange.write, None))
            writer.disk(TAR_PREFIX, vdi, size, sim.disks, lambda length: None)
            writer.close()
            return
        exchange.start(200, {"Content-Type": "application/octet-stream", "Content-Length": str(size),
                             "task-id": transfer.task})
        for offset in range(0, size, CHUNK_SIZE):
            exchange.write(sim.disks.read(vdi, offset, min(CHUNK_SIZE, size - offset)))
            transfer.progress((offset + CHUNK_SIZE) / max(size, 1))


def import_raw_vdi(sim: SimulatorView, exchange: DataExchange) -> None:
    with transfer_task(sim, exchange, "VDI.import_raw") as transfer:
        kind = _format(transfer)
        if exchange.chunked:
            raise TransferFailed(404, XapiError("INTERNAL_ERROR", "Cannot handle encoding: chunked"))
        length = exchange.content_length
        if transfer.param("vdi"):
            vdi = _disk(sim, transfer)
        elif (transfer.param("sr_id") or transfer.param("sr_uuid")) and kind == "raw" and length is not None:
            sr = resolve(sim, "SR", transfer.param("sr_id"), transfer.param("sr_uuid"))
            with sim.store.lock:
                vdi = new_vdi(sim.store, sr, {"name_label": "Imported VDI", "virtual_size": length, "type": "user"})
        else:
            raise TransferFailed(400, XapiError("INTERNAL_ERROR", "Not enough info supplied to import"))
        size = int(sim.store.get("VDI", vdi)["virtual_size"])
        if kind == "raw" and (length is None or length > size):
            raise TransferFailed(400, XapiError("INTERNAL_ERROR", f"the body ({length} bytes) does not fit the disk ({size} bytes)"))
        exchange.start(200, {"task-id": transfer.task, "Content-Type": "application/octet-stream", "Content-Length": "0"})
        if kind == "tar":
            for prefix, number, data in XvaReader(exchange).chunks():
                if prefix != TAR_PREFIX or (number * CHUNK_SIZE + len(data)) > size:
                    raise XapiError("IMPORT_ERROR", f"unexpected chunk {prefix}/{number:08d}")
                sim.disks.write(vdi, number * CHUNK_SIZE, data)
        else:
            _receive_raw(sim, transfer, vdi, length or 0)
        transfer.result = vdi


def _receive_raw(sim: SimulatorView, transfer: Transfer, vdi: str, length: int) -> None:
    offset = 0
    while offset < length:
        data = transfer.exchange.read(min(CHUNK_SIZE, length - offset))
        if not data:
            raise XapiError("IMPORT_ERROR_PREMATURE_EOF")
        sim.disks.write(vdi, offset, data)
        offset += len(data)
        transfer.progress(offset / length)
