"""What a VM's records look like when a domain comes up, goes away, or is saved to disk.

Every power operation ends in one of these transitions, so Running, Paused, Suspended and
Halted VMs always have the same shape: resident_on and domid, VM_metrics, devices attached or
not, guest metrics, and the host's free memory.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ...store import EPOCH, NULL_REF, Store, utcnow
from ..storage.devices import guest_device_name
from ..storage.vdi import remove_vdi
from .guest import clear_guest_metrics, schedule_guest_agent
from .placement import refresh_host_memory
from .state import HALTED, RUNNING, SUSPENDED, refresh_device_operations

if TYPE_CHECKING:
    from ...context import SimulatorView

_IDLE_METRICS = {"memory_actual": 0, "VCPUs_number": 0, "VCPUs_utilisation": {}, "VCPUs_CPU": {},
                 "start_time": EPOCH, "current_domain_type": "unspecified", "state": []}


def ensure_metrics(store: Store, vm: str) -> str:
    """The VM's VM_metrics record, created if it has none (VMs made through VM.create)."""
    metrics = store.get("VM", vm)["metrics"]
    if metrics != NULL_REF and store.exists("VM_metrics", metrics):
        return metrics
    metrics = store.create("VM_metrics", {**_IDLE_METRICS, "install_time": utcnow()})
    store.update("VM", vm, metrics=metrics)
    return metrics


def domain_type(record: dict[str, Any]) -> str:
    if record["domain_type"] != "unspecified":
        return record["domain_type"]
    return "hvm" if record["HVM_boot_policy"] else "pv"


def next_domid(store: Store, host: str) -> int:
    """Xen numbers domains upwards on each host; 0 is the control domain."""
    domids = [vm["domid"] for vm in (store.get("VM", ref) for ref in store.get("host", host)["resident_VMs"])]
    return max(domids, default=0) + 1


def bring_up(sim: "SimulatorView", vm: str, host: str, paused: bool) -> None:
    """A new domain for ``vm`` on ``host`` (start, resume, reboot): Running, or Paused."""
    store = sim.store
    record = store.get("VM", vm)
    previous_host = record["resident_on"]
    store.update("VM", vm, power_state="Paused" if paused else RUNNING, resident_on=host,
                 scheduled_to_be_resident_on=NULL_REF, domid=next_domid(store, host),
                 memory_target=record["memory_dynamic_max"])
    store.update("VM_metrics", ensure_metrics(store, vm), memory_actual=record["memory_dynamic_max"],
                 VCPUs_number=record["VCPUs_at_startup"], start_time=utcnow(), last_updated=utcnow(),
                 current_domain_type=domain_type(record), hvm=domain_type(record) == "hvm",
                 VCPUs_utilisation={i: 0.0 for i in range(record["VCPUs_at_startup"])})
    attach_devices(store, vm)
    refresh_device_operations(store, vm)
    refresh_host_memory(store, host)
    if previous_host not in (NULL_REF, host):
        refresh_host_memory(store, previous_host)
    if not paused:
        schedule_guest_agent(sim, vm)


def attach_devices(store: Store, vm: str) -> None:
    record = store.get("VM", vm)
    for vbd in record["VBDs"]:
        vbd_record = store.get("VBD", vbd)
        device = vbd_record["device"] or guest_device_name(vbd_record["userdevice"])
        store.update("VBD", vbd, currently_attached=True, device=device)
    for vif in record["VIFs"]:
        store.update("VIF", vif, currently_attached=True)


def detach_devices(store: Store, vm: str) -> None:
    record = store.get("VM", vm)
    for vbd in record["VBDs"]:
        store.update("VBD", vbd, currently_attached=False)
    for vif in record["VIFs"]:
        store.update("VIF", vif, currently_attached=False)


def _leave_host(store: Store, vm: str, power_state: str, **fields: Any) -> None:
    host = store.get("VM", vm)["resident_on"]
    store.update("VM", vm, power_state=power_state, resident_on=NULL_REF, scheduled_to_be_resident_on=NULL_REF,
                 domid=-1, memory_target=0, **fields)
    metrics = store.get("VM", vm)["metrics"]
    if store.exists("VM_metrics", metrics):
        store.update("VM_metrics", metrics, last_updated=utcnow(), **_IDLE_METRICS)
    refresh_host_memory(store, host)


def shut_down(store: Store, vm: str) -> None:
    """The domain is gone (or the VM's memory image is discarded): Halted."""
    suspend_vdi = store.get("VM", vm)["suspend_VDI"]
    _leave_host(store, vm, HALTED, suspend_VDI=NULL_REF, requires_reboot=False)
    if suspend_vdi != NULL_REF and store.exists("VDI", suspend_vdi):
        remove_vdi(store, suspend_vdi)
    detach_devices(store, vm)
    refresh_device_operations(store, vm)
    clear_guest_metrics(store, vm)


def save_to_disk(store: Store, vm: str, suspend_vdi: str) -> None:
    """The domain's memory is in ``suspend_vdi`` and the domain is gone: Suspended.

    A suspended VM's disks stay attached (its image refers to them) and its guest metrics stay.
    """
    _leave_host(store, vm, SUSPENDED, suspend_VDI=suspend_vdi)
    refresh_device_operations(store, vm)
