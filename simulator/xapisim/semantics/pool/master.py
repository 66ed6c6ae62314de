"""pool.* and host.*: the master, and moving it (designate_new_master, emergency transition)."""
from __future__ import annotations

from typing import TYPE_CHECKING

from ...errors import XapiError
from ...registry import handles

if TYPE_CHECKING:
    from ...context import CallContext, SimulatorView


def pool_ref(sim: "SimulatorView") -> str:
    return next(iter(sim.store.records("pool")))


def make_master(sim: "SimulatorView", host: str) -> None:
    """Point the pool at a new master; sessions survive, as the database is replicated."""
    sim.store.get("host", host)
    sim.store.update("pool", pool_ref(sim), master=host)


@handles("pool.designate_new_master")
def designate_new_master(ctx: "CallContext", host: str) -> str:
    """xapi_pool.ml designate_new_master: refused while HA is on (HA elects masters itself)."""
    ctx.store.get("host", host)
    if ctx.store.get("pool", pool_ref(ctx.sim))["ha_enabled"]:
        raise XapiError("HA_IS_ENABLED")
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
    """xapi_host.ml assert_safe_to_reenable: not while updates wait for a reboot or a toolstack restart."""
    record = ctx.store.get("host", host)
    if not record["enabled"] and record["pending_guidances"]:
        raise XapiError("HOST_PENDING_MANDATORY_GUIDANCE_NOT_EMPTY", host)
    ctx.store.update("host", host, enabled=True)
    return ""
