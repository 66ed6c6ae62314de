"""pool.join and pool.eject: a standalone host joining a pool, a member leaving it.

xapi_pool.ml ``join_common`` runs on the joining host: it logs in to the master (unreachable:
POOL_JOINING_HOST_CONNECTION_FAILED; a member's address: HOST_IS_SLAVE; bad credentials:
SESSION_AUTHENTICATION_FAILED), then ``pre_join_checks``: not itself (OPERATION_NOT_ALLOWED "Host cannot become
slave of itself" / "Host is already part of a pool"), HA on neither side (HA_IS_ENABLED), no other host
(POOL_JOINING_HOST_CANNOT_BE_MASTER_OF_OTHER_HOSTS), no running VM (POOL_JOINING_HOST_CANNOT_HAVE_RUNNING_VMS),
no shared SR (POOL_JOINING_HOST_CANNOT_CONTAIN_SHARED_SRS). The host then becomes a member: the master's
database gains it, with its interfaces on the pool's networks, a plugged PBD for every shared SR and its local
SR; its address is served by the pool from then on (``Peers.join``).

``eject`` runs on the master: HA_IS_ENABLED; the master itself (``Cannot_eject_master``, an INTERNAL_ERROR);
a guest resident and not halted (OPERATION_NOT_ALLOWED "VM resident on host"). The host's records go (its
PBDs, interfaces, CPUs, metrics, control domain, and its local SRs with their disks) and the host reboots
into a fresh standalone install (``Peers.ejected``).
"""
from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from ...errors import XapiError
from ...registry import handles
from ...store import NULL_REF, Store
from .master import pool_ref

if TYPE_CHECKING:
    from ...context import CallContext, SimulatorView


def _address(master_address: str) -> str:
    """The address part of what a user gives as master_address: a name, an address, or a URL."""
    return urlsplit(master_address if "//" in master_address else "//" + master_address).hostname or master_address


@handles("pool.join")
def join(ctx: "CallContext", master_address: str, master_username: str, master_password: str) -> str:
    me, peers = ctx.sim, ctx.sim.peers
    pool = peers.pool_at(_address(master_address)) if peers is not None else None
    if peers is None or pool is None:
        raise XapiError("POOL_JOINING_HOST_CONNECTION_FAILED")
    master = pool.store.get("host", pool.master_ref)
    if master["address"] != _address(master_address):
        raise XapiError("HOST_IS_SLAVE", master["address"])
    if pool.users.get(master_username) != master_password:
        raise XapiError("SESSION_AUTHENTICATION_FAILED", master_username, "Authentication failure")
    hosts = me.store.records("host")
    if pool is me:
        raise XapiError("OPERATION_NOT_ALLOWED", "Host is already part of a pool" if len(hosts) > 1 else "Host cannot become slave of itself")
    _pre_join_checks(me, pool)
    record = hosts[me.master_ref]
    peers.join(record["address"], record["name_label"], pool)
    return ""


def _pre_join_checks(me: "SimulatorView", pool: "SimulatorView") -> None:
    if me.store.get("pool", pool_ref(me))["ha_enabled"] or pool.store.get("pool", pool_ref(pool))["ha_enabled"]:
        raise XapiError("HA_IS_ENABLED")
    if len(me.store.records("host")) > 1:
        raise XapiError("POOL_JOINING_HOST_CANNOT_BE_MASTER_OF_OTHER_HOSTS")
    if any(vm["power_state"] == "Running" and not vm["is_control_domain"] for vm in me.store.records("VM").values()):
        raise XapiError("POOL_JOINING_HOST_CANNOT_HAVE_RUNNING_VMS")
    if any(sr["shared"] and not sr.get("is_tools_sr") for sr in me.store.records("SR").values()):
        raise XapiError("POOL_JOINING_HOST_CANNOT_CONTAIN_SHARED_SRS")


@handles("pool.eject")
def eject(ctx: "CallContext", host: str) -> str:
    store = ctx.store
    record = store.get("host", host)
    if store.get("pool", pool_ref(ctx.sim))["ha_enabled"]:
        raise XapiError("HA_IS_ENABLED")
    if host == ctx.sim.master_ref:
        raise XapiError("INTERNAL_ERROR", "Xapi_pool.Cannot_eject_master")
    for vm in record["resident_VMs"]:
        vm_record = store.get("VM", vm)
        if not vm_record["is_control_domain"] and vm_record["power_state"] != "Halted":
            raise XapiError("OPERATION_NOT_ALLOWED", "VM resident on host")
    name, address = record["name_label"], record["address"]
    forget_host(store, host)
    if ctx.sim.peers is not None:
        ctx.sim.peers.ejected(address, name, ctx.sim)
    return ""


def forget_host(store: Store, host: str) -> None:
    """Remove a host and what only it had from the pool's database."""
    record = store.get("host", host)
    for sr in list(store.records("SR")):
        pbds = store.get("SR", sr)["PBDs"]
        if pbds and all(store.get("PBD", pbd)["host"] == host for pbd in pbds):
            for vdi in list(store.get("SR", sr)["VDIs"]):
                for vbd in list(store.get("VDI", vdi)["VBDs"]):
                    store.destroy("VBD", vbd)
                store.destroy("VDI", vdi)
            for pbd in list(pbds):
                store.destroy("PBD", pbd)
            store.destroy("SR", sr)
    for cls in ("PBD", "PIF", "host_cpu"):
        for ref in [ref for ref, other in store.records(cls).items() if other["host"] == host]:
            store.destroy(cls, ref)
    for vm in store.find("VM", affinity=host):
        store.update("VM", vm, affinity=NULL_REF)
    if store.exists("VM", record["control_domain"]):
        store.destroy("VM", record["control_domain"])
    metrics = record["metrics"]
    store.destroy("host", host)
    if store.exists("host_metrics", metrics):
        store.destroy("host_metrics", metrics)
