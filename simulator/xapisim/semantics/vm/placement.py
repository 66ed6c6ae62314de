"""Where a VM may run: host checks before start, resume and migrate, and host memory accounting.

A host can run a VM when it is enabled and live, has the memory, sees every SR holding the
VM's disks (an attached PBD) and carries every network of its VIFs (a PIF, unless the network
is host-internal). ``VM.start`` prefers the VM's affinity host, then the master, then any host;
a VM of an anti-affinity group prefers the hosts running the fewest VMs of its group (``groups``).
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ...errors import XapiError
from ...registry import handles
from ...store import NULL_REF, Store
from ..network.common import network_on_host
from .groups import rank_for_anti_affinity

if TYPE_CHECKING:
    from ...context import CallContext


def vm_memory_footprint(vm: dict[str, Any]) -> int:
    """Memory a resident VM holds on its host."""
    return vm["memory_target"] or vm["memory_dynamic_max"]


def host_free_memory(store: Store, host: str) -> int:
    record = store.get("host", host)
    metrics = store.records("host_metrics").get(record["metrics"])
    total = metrics["memory_total"] if metrics else 0
    used = sum(vm_memory_footprint(store.get("VM", vm)) for vm in record["resident_VMs"])
    return max(0, total - record["memory_overhead"] - used)


def refresh_host_memory(store: Store, host: str) -> None:
    """Keep host_metrics.memory_free in step with the VMs resident on the host."""
    if host == NULL_REF or not store.exists("host", host):
        return
    metrics = store.get("host", host)["metrics"]
    if store.exists("host_metrics", metrics):
        store.update("host_metrics", metrics, memory_free=host_free_memory(store, host))


def boot_error(store: Store, vm: str, host: str) -> XapiError | None:
    """Why ``vm`` cannot run on ``host`` (checked in xapi's order), or None."""
    host_record = store.get("host", host)
    if not host_record["enabled"]:
        return XapiError("HOST_DISABLED", host)
    metrics = store.records("host_metrics").get(host_record["metrics"])
    if metrics is not None and not metrics["live"]:
        return XapiError("HOST_NOT_LIVE")
    record = store.get("VM", vm)
    needed = record["memory_static_max"]
    available = host_free_memory(store, host)
    if record["resident_on"] != host and needed > available:
        return XapiError("HOST_NOT_ENOUGH_FREE_MEMORY", needed, available)
    for sr in _srs_of(store, record):
        if not _host_sees_sr(store, host, sr):
            return XapiError("VM_REQUIRES_SR", vm, sr)
    for vif in record["VIFs"]:
        network = store.get("VIF", vif)["network"]
        if not store.exists("network", network) or not network_on_host(store, network, host):
            return XapiError("VM_REQUIRES_NETWORK", vm, network)
    return None


def _srs_of(store: Store, record: dict[str, Any]) -> list[str]:
    srs: list[str] = []
    vdis = [store.get("VBD", vbd)["VDI"] for vbd in record["VBDs"]]
    if record["suspend_VDI"] != NULL_REF:
        vdis.append(record["suspend_VDI"])
    for vdi in vdis:
        if vdi != NULL_REF and store.exists("VDI", vdi):
            sr = store.get("VDI", vdi)["SR"]
            if sr not in srs:
                srs.append(sr)
    return srs


def _host_sees_sr(store: Store, host: str, sr: str) -> bool:
    return any(pbd["host"] == host and pbd["currently_attached"]
               for pbd in (store.get("PBD", ref) for ref in store.get("SR", sr)["PBDs"]))


def assert_can_boot_here(store: Store, vm: str, host: str) -> None:
    error = boot_error(store, vm, host)
    if error is not None:
        raise error


def possible_hosts(store: Store, vm: str) -> list[str]:
    return [host for host in store.records("host") if boot_error(store, vm, host) is None]


def choose_host(ctx: "CallContext", vm: str) -> str:
    """The host ``VM.start`` picks: the affinity host if it can, else the master, else any host."""
    store = ctx.store
    affinity = store.get("VM", vm)["affinity"]
    candidates = [h for h in (affinity, ctx.sim.master_ref) if h != NULL_REF and store.exists("host", h)]
    candidates += [h for h in ctx.sim.host_refs if h not in candidates]
    for host in rank_for_anti_affinity(store, vm, candidates):
        if boot_error(store, vm, host) is None:
            return host
    raise XapiError("NO_HOSTS_AVAILABLE")


@handles("VM.assert_can_boot_here")
def assert_can_boot_here_handler(ctx: "CallContext", vm: str, host: str) -> str:
    store = ctx.store
    store.get("VM", vm)
    store.get("host", host)
    assert_can_boot_here(store, vm, host)
    return ""


@handles("VM.get_possible_hosts")
def get_possible_hosts(ctx: "CallContext", vm: str) -> list[str]:
    ctx.store.get("VM", vm)
    return possible_hosts(ctx.store, vm)
