"""pool.* and host.*: the master, and moving it (designate_new_master, emergency transition)."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..errors import XapiError
from ..registry import handles

if TYPE_CHECKING:
    from ..core import CallContext, Simulator


def pool_ref(sim: "Simulator") -> str:
    return next(iter(sim.store.records("pool")))


def make_master(sim: "Simulator", host: str) -> None:
    """Point the pool at a new master; sessions survive, as the database is replicated."""
    sim.store.get("host", host)
    sim.store.update("pool", pool_ref(sim), master=host)


@handles("pool.designate_new_master")
def designate_new_master(ctx: "CallContext", host: str) -> str:
    ctx.store.get("host", host)
    make_master(ctx.sim, host)
    return ""


@handles("pool.emergency_transition_to_master")
def emergency_transition_to_master(ctx: "CallContext") -> str:
    make_master(ctx.sim, ctx.host)
    return ""


@handles("session.slave_local_login_with_password")
def slave_local_login(ctx: "CallContext", uname: str, pwd: str) -> str:
    if ctx.sim.users.get(uname) != pwd:
        raise XapiError("SESSION_AUTHENTICATION_FAILED", uname, "Authentication failure")
    return ctx.sim.sessions.login(uname, "")


def join_host(sim: "Simulator", name: str, devices: list[str], join_shared_srs: bool = True) -> tuple[int, str]:
    """A new member joins the pool (``POST /_sim/hosts``), as a fresh install does on ``pool.join``.

    It gets a physical PIF for each device on the pool-wide network already bridged to that
    device elsewhere, and, like xapi's join, a plugged PBD for every shared SR, with the
    master's device_config. Returns the new host's index and loopback address.
    """
    from ..scenario.builder import PoolBuilder

    store = sim.store
    with store.lock:
        if store.find("host", name_label=name):
            raise ValueError(f"a host named {name!r} exists already")
        address = f"127.0.0.{len(sim.host_refs) + 1}"
        builder = PoolBuilder(sim, seed=len(sim.host_refs))
        host = builder.host(name, address)
        for device in devices:
            network = _network_on_device(sim, device)
            if network is None:
                raise ValueError(f"no pool network is bridged to {device!r}")
            builder.physical_pif(host, network, device, management=device == "eth0")
        if join_shared_srs:
            for sr, record in store.records("SR").items():
                master_pbd = _pbd_of(sim, sr, sim.master_ref)
                if record["shared"] and master_pbd is not None:
                    store.create("PBD", {"host": host, "SR": sr, "device_config": dict(master_pbd["device_config"]),
                                         "currently_attached": True, "other_config": {}})
    index = sim.host_refs.index(host)
    if sim.host_joined is not None:
        sim.host_joined(index, address)
    return index, address


def _network_on_device(sim: "Simulator", device: str) -> str | None:
    for pif in sim.store.records("PIF").values():
        if pif["device"] == device and pif["physical"] and pif["VLAN"] == -1:
            return pif["network"]
    return None


def _pbd_of(sim: "Simulator", sr: str, host: str) -> dict[str, Any] | None:
    for pbd in sim.store.records("PBD").values():
        if pbd["SR"] == sr and pbd["host"] == host:
            return pbd
    return None


@handles("host.disable")
def host_disable(ctx: "CallContext", host: str, auto_enable: bool) -> str:
    """No new VMs start or migrate here; resident VMs keep running (evacuate moves them).

    ``auto_enable`` (optional, default true) says whether the host enables itself after a toolstack
    restart; nothing restarts here, so it is accepted and has no effect."""
    ctx.store.get("host", host)
    ctx.store.update("host", host, enabled=False)
    return ""


@handles("host.enable")
def host_enable(ctx: "CallContext", host: str) -> str:
    ctx.store.get("host", host)
    ctx.store.update("host", host, enabled=True)
    return ""
