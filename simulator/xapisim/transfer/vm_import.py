"""``PUT /import``: an XVA archive becomes a new VM (import.ml ``handler``, ``stream_import``, the handlers).

The SR is ``sr_id`` or ``sr_uuid``, else the pool's default SR (DEFAULT_SR_NOT_FOUND); an ISO library
is refused (SR_OPERATION_NOT_SUPPORTED). A chunked body is refused with 403 and
IMPORT_ERROR_CANNOT_HANDLE_CHUNKED. Otherwise the answer's headers go out at once and the archive is
read as it arrives, plain, gzip or zstd. Networks are matched by name, then bridge, else created;
disks are created on the SR; CD drives find their ISO by name or stay empty; VIFs get fresh MACs
unless ``restore=true``. Any failure removes what the import made (``cleanup``) and fails the task;
success leaves the task's result the new VM, as a set of one reference.
"""
from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any, Callable

from ..context import CallContext
from ..disk_contents import CHUNK_SIZE
from ..errors import XapiError
from ..semantics.network.networks import create as create_network
from ..semantics.network.vifs import destroy_vif_record
from ..semantics.storage.vdi import new_vdi, remove_vdi
from ..semantics.vm.records import mac_from_seed
from ..semantics.vm.runtime import ensure_metrics
from ..store import NULL_REF, new_uuid
from ..coercion import coerce_record
from .compression import open_source
from .http_session import Transfer, TransferFailed, redirected, resolve, transfer_task
from .xva import EXPORT_VERSION, XvaReader

if TYPE_CHECKING:
    from ..context import SimulatorView
    from ..http_handler import DataExchange

# Fields an imported VM does not take from the archive: identity, runtime state and links.
_VM_FRESH = frozenset({"uuid", "power_state", "domid", "resident_on", "scheduled_to_be_resident_on", "affinity",
                       "allowed_operations", "current_operations", "is_a_snapshot", "snapshot_time", "snapshot_info",
                       "is_default_template", "suspend_SR", "suspend_VDI", "metrics", "guest_metrics"})
_DEVICE_FRESH = frozenset({"uuid", "VM", "VDI", "network", "currently_attached", "current_operations",
                           "allowed_operations", "metrics", "status_code", "status_detail", "runtime_properties"})


def import_vm(sim: SimulatorView, exchange: DataExchange) -> None:
    with transfer_task(sim, exchange, "VM.import") as transfer:
        sr = _target_sr(sim, transfer)
        if redirected(transfer, [sr]):
            transfer.keep_pending = True
            return
        if exchange.chunked:
            raise TransferFailed(403, XapiError("IMPORT_ERROR_CANNOT_HANDLE_CHUNKED"))
        exchange.start(200, {"task-id": transfer.task, "Content-Type": "application/octet-stream", "Content-Length": "0"})
        reader = XvaReader(open_source(exchange))
        document = reader.metadata()
        _check_version(document.get("version"))
        undo: list[Callable[[], None]] = []
        try:
            with sim.store.lock:
                vm, disks = _create_objects(sim, transfer, document["objects"], sr, undo)
            _receive_disks(sim, transfer, reader, disks)
        except BaseException:
            with sim.store.lock:
                for action in reversed(undo):
                    action()
            raise
        while exchange.read(CHUNK_SIZE):
            pass  # the end-of-archive blocks, so that the client sees its upload through
        transfer.result = [vm]


def _target_sr(sim: SimulatorView, transfer: Transfer) -> str:
    store = sim.store
    if transfer.param("sr_id") or transfer.param("sr_uuid"):
        sr = resolve(sim, "SR", transfer.param("sr_id"), transfer.param("sr_uuid"))
    else:
        pool = next(iter(store.records("pool").values()))
        sr = pool["default_SR"]
        if not store.exists("SR", sr):
            raise TransferFailed(500, XapiError("DEFAULT_SR_NOT_FOUND", sr))
    if store.get("SR", sr)["content_type"] == "iso":
        raise TransferFailed(400, XapiError("SR_OPERATION_NOT_SUPPORTED", sr))
    return sr


def _check_version(version: Any) -> None:
    """importexport.ml ``assert_compatible``: an archive from a newer xapi is refused."""
    if not isinstance(version, dict):
        raise XapiError("IMPORT_ERROR", "ova.xml has no version")
    theirs = (int(version.get("xapi_major", 0)), int(version.get("xapi_minor", 0)))
    if theirs > (EXPORT_VERSION["xapi_major"], EXPORT_VERSION["xapi_minor"]):
        raise XapiError("IMPORT_INCOMPATIBLE_VERSION")


def _create_objects(sim: SimulatorView, transfer: Transfer, objects: list[dict[str, Any]], sr: str,
                    undo: list[Callable[[], None]]) -> tuple[str, dict[str, str]]:
    """Make the networks, disks, VM and its devices of ``objects``; return the VM and ``{disk id: VDI}``."""
    store = sim.store
    by_class: dict[str, list[dict[str, Any]]] = {}
    for obj in objects:
        by_class.setdefault(str(obj.get("class")), []).append(obj)
    vms = [obj for obj in by_class.get("VM", []) if not obj["snapshot"].get("is_a_snapshot")]
    if len(vms) != 1:
        raise XapiError("IMPORT_ERROR", f"the archive holds {len(vms)} VMs; one is expected")
    ids: dict[str, str] = {}
    for obj in by_class.get("network", []):
        ids[obj["id"]] = _network(sim, transfer, obj["snapshot"], undo)
    cd_disks = {vbd["snapshot"].get("VDI") for vbd in by_class.get("VBD", []) if vbd["snapshot"].get("type") == "CD"}
    disks: dict[str, str] = {}
    for obj in by_class.get("VDI", []):
        snapshot = coerce_record(sim.schema, "VDI", obj["snapshot"])
        if obj["id"] in cd_disks:
            iso = _iso_named(sim, snapshot.get("name_label", ""))
            if iso is not None:
                ids[obj["id"]] = iso
            continue
        vdi = new_vdi(store, sr, {key: snapshot[key] for key in ("name_label", "name_description", "virtual_size",
                                                                 "type", "sharable", "read_only", "other_config")
                                  if key in snapshot})
        undo.append(functools.partial(_remove_disk, sim, vdi))
        ids[obj["id"]] = disks[obj["id"]] = vdi
    vm = _vm(sim, vms[0]["snapshot"], undo)
    restore = transfer.param("restore") == "true"
    for obj in by_class.get("VBD", []):
        fields = _device_fields(sim, "VBD", obj["snapshot"])
        vdi = ids.get(obj["snapshot"].get("VDI"), NULL_REF)
        fields.update(VM=vm, VDI=vdi, empty=vdi == NULL_REF, currently_attached=False)
        store.create("VBD", fields)
    seed = store.get("VM", vm)["other_config"].get("mac_seed", new_uuid())
    for obj in by_class.get("VIF", []):
        fields = _device_fields(sim, "VIF", obj["snapshot"])
        network = ids.get(obj["snapshot"].get("network"))
        if network is None:
            raise XapiError("IMPORT_ERROR_FAILED_TO_FIND_OBJECT", str(obj["snapshot"].get("network")))
        fields.update(VM=vm, network=network, currently_attached=False, metrics=store.create("VIF_metrics", {}))
        if not restore or not fields.get("MAC"):
            fields.update(MAC=mac_from_seed(seed, fields.get("device", "0")), MAC_autogenerated=True)
        store.create("VIF", fields)
    return vm, disks


def _remove_disk(sim: SimulatorView, vdi: str) -> None:
    if sim.store.exists("VDI", vdi):
        remove_vdi(sim.store, vdi)
    sim.disks.forget(vdi)


def _network(sim: SimulatorView, transfer: Transfer, snapshot: dict[str, Any], undo: list[Callable[[], None]]) -> str:
    store = sim.store
    for field in ("name_label", "bridge"):
        found = store.find_one("network", **{field: snapshot.get(field, "")}) if snapshot.get(field) else None
        if found:
            return found
    ctx = CallContext(sim, "network.create", session=transfer.session)
    network = create_network(ctx, {key: snapshot[key] for key in ("name_label", "name_description", "MTU", "other_config")
                                   if key in snapshot})
    undo.append(lambda: store.destroy("network", network) if store.exists("network", network) else None)
    return network


def _iso_named(sim: SimulatorView, name: str) -> str | None:
    store = sim.store
    for ref, record in store.records("VDI").items():
        if record["name_label"] == name and store.get("SR", record["SR"])["content_type"] == "iso":
            return ref
    return None


def _vm(sim: SimulatorView, snapshot: dict[str, Any], undo: list[Callable[[], None]]) -> str:
    store = sim.store
    fields = {key: value for key, value in _plain_fields(sim, "VM", snapshot).items() if key not in _VM_FRESH}
    other = dict(fields.get("other_config", {}))
    other["mac_seed"] = new_uuid()  # import.ml: not a full restore, so a fresh MAC seed
    fields.update(other_config=other, power_state="Halted", domid=-1)
    vm = store.create("VM", fields)
    ensure_metrics(store, vm)
    undo.append(lambda: _remove_vm(store, vm))
    return vm


def _remove_vm(store: Any, vm: str) -> None:
    if not store.exists("VM", vm):
        return
    record = store.get("VM", vm)
    for vbd in record["VBDs"]:
        if store.exists("VBD", vbd):
            store.destroy("VBD", vbd)
    for vif in record["VIFs"]:
        if store.exists("VIF", vif):
            destroy_vif_record(store, vif)
    if store.exists("VM_metrics", record["metrics"]):
        store.destroy("VM_metrics", record["metrics"])
    store.destroy("VM", vm)


def _plain_fields(sim: SimulatorView, cls: str, snapshot: dict[str, Any]) -> dict[str, Any]:
    """The archive's fields of ``cls`` that are not references, typed as the schema says."""
    fields = sim.schema.cls(cls).fields
    plain = {}
    for key, value in snapshot.items():
        kind = fields[key].type if key in fields else None
        if kind is None or kind.kind == "ref" or (kind.kind == "set" and kind.elem is not None and kind.elem.kind == "ref"):
            continue
        plain[key] = value
    return coerce_record(sim.schema, cls, plain)


def _device_fields(sim: SimulatorView, cls: str, snapshot: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in _plain_fields(sim, cls, snapshot).items() if key not in _DEVICE_FRESH}


def _receive_disks(sim: SimulatorView, transfer: Transfer, reader: XvaReader, disks: dict[str, str]) -> None:
    """Write every chunk into its new disk; chunks the archive leaves out stay zero (sparse)."""
    total = sum(int(sim.store.get("VDI", vdi)["virtual_size"]) for vdi in disks.values()) or 1
    received = 0
    for prefix, number, data in reader.chunks():
        vdi = disks.get(prefix)
        if vdi is None:
            raise XapiError("IMPORT_ERROR_FAILED_TO_FIND_OBJECT", prefix)
        sim.disks.write(vdi, number * CHUNK_SIZE, data)
        received += len(data)
        transfer.progress(received / total)
