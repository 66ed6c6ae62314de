"""host.reboot and host.restart_agent: a host going away and coming back.

xapi_host.ml ``reboot`` (through ``shutdown_and_reboot_common`` and ``prepare_for_poweroff_precheck``) only
checks that the host is disabled (HOST_NOT_DISABLED) and returns; the host then stops its guests
(``Vm_evacuation.ensure_no_vms``: they are shut down, not moved), goes down and boots. Here the host stops
answering on its address and its metrics say it is not live for the pace's ``host_boot`` seconds; then it is
live again, enabled (xapi enables a host at start-up unless it was disabled with ``auto_enable: false``) and
without the guidance a reboot satisfies, and with new ``boot_time`` and ``agent_start_time`` in its
``other_config`` (dbsync_slave.ml writes them at each start, as OCaml prints whole-second floats:
"1532019557."). A rebooting master leaves the pool without its API for that time, as a real one does
without HA. ``restart_agent`` clears the toolstack guidance.
"""
from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING, Any

from ...errors import XapiError
from ...registry import handles
from ...store import NULL_REF
from ..vm.runtime import shut_down

if TYPE_CHECKING:
    from ...context import CallContext, SimulatorView

# What a reboot satisfies (xapi's Guidance: a reboot also restarts the toolstack and the device models).
_SATISFIED_BY_REBOOT = ("reboot_host", "reboot_host_on_livepatch_failure", "reboot_host_on_kernel_livepatch_failure",
                        "reboot_host_on_xen_livepatch_failure", "restart_toolstack", "restart_device_model")


@handles("host.reboot")
def reboot(ctx: "CallContext", host: str) -> str:
    store = ctx.store
    record = store.get("host", host)
    if record["enabled"]:
        raise XapiError("HOST_NOT_DISABLED")
    for vm in list(record["resident_VMs"]):
        if not store.get("VM", vm)["is_control_domain"]:
            shut_down(store, vm)
    set_live(ctx.sim, host, False)
    timer = threading.Timer(ctx.sim.pace.host_boot_delay(), _boot, args=(ctx.sim, host))
    timer.daemon = True
    timer.start()
    return ""


def start_times(now: float, previous: dict[str, Any] | None = None) -> dict[str, str]:
    """The start-up keys of a host's other_config; a start in the same second as the last still moves them on."""
    last = float(str((previous or {}).get("agent_start_time", "0")).rstrip(".") or 0)
    stamp = "{0:.0f}.".format(max(int(now), int(last) + 1))
    return {"boot_time": stamp, "agent_start_time": stamp}


def _boot(sim: "SimulatorView", host: str) -> None:
    with sim.store.lock:
        if not sim.store.exists("host", host):
            return
        record = sim.store.get("host", host)
        pending = [item for item in record["pending_guidances"] if item not in _SATISFIED_BY_REBOOT]
        other_config = dict(record["other_config"], **start_times(time.time(), record["other_config"]))
        sim.store.update("host", host, enabled=True, pending_guidances=pending, other_config=other_config)
        set_live(sim, host, True)


def set_live(sim: "SimulatorView", host: str, live: bool) -> None:
    """The host is up (answers on its address, live) or down."""
    metrics = sim.store.get("host", host)["metrics"]
    if metrics != NULL_REF and sim.store.exists("host_metrics", metrics):
        sim.store.update("host_metrics", metrics, live=live)
    sim.faults.set_down(sim.host_refs.index(host), not live)


@handles("host.restart_agent")
def restart_agent(ctx: "CallContext", host: str) -> str:
    store = ctx.store
    record = store.get("host", host)
    pending = [item for item in record["pending_guidances"] if item != "restart_toolstack"]
    other_config = dict(record["other_config"], agent_start_time=start_times(time.time(), record["other_config"])["agent_start_time"])
    store.update("host", host, pending_guidances=pending, other_config=other_config)
    return ""
