"""A host failing, and what HA does about it: a new master, and the protected VMs restarted elsewhere.

A failed host stops answering on its address, is no longer live, and its guests are gone (Halted, as xapi
records VMs of a dead host once it is declared dead). Without HA, nothing else happens: members keep naming the
dead master in HOST_IS_SLAVE until someone runs ``pool.emergency_transition_to_master``. With HA on, after the
pace's ``ha_failover`` seconds, xapi_ha.ml ``on_master_failure`` has the first live host that proposes itself
become the master (here the first live member in address order), and xapi_ha_vm_failover.ml restarts the VMs HA
protects (``ha_restart_priority`` "restart", or ``ha_always_run``) on the live hosts. A recovered host boots
again, as a member when another host took over.
"""
from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING

from ...context import CallContext
from ...errors import XapiError
from ...store import NULL_REF
from ..vm.placement import choose_host
from ..vm.runtime import bring_up, shut_down
from .master import make_master, pool_ref
from .reboot import set_live, start_times

if TYPE_CHECKING:
    from ...context import SimulatorView

_INSTANT_FAILOVER = 0.5
_REALISTIC_FAILOVER = 60.0


def failover_delay(sim: "SimulatorView") -> float:
    if "ha_failover" in sim.pace.explicit:
        return sim.pace.explicit["ha_failover"]
    return _INSTANT_FAILOVER if sim.pace.profile == "instant" else _REALISTIC_FAILOVER * sim.pace.scale


def fail_host(sim: "SimulatorView", host: str) -> list[str]:
    """The host dies now; returns the guests it took down. With HA on, failover follows after its delay."""
    store = sim.store
    with store.lock:
        record = store.get("host", host)
        lost = [vm for vm in record["resident_VMs"] if not store.get("VM", vm)["is_control_domain"]]
        for vm in lost:
            shut_down(store, vm)
        set_live(sim, host, False)
        ha_on = store.get("pool", pool_ref(sim))["ha_enabled"]
    if ha_on:
        timer = threading.Timer(failover_delay(sim), _fail_over, args=(sim, host, lost))
        timer.daemon = True
        timer.start()
    return lost


def recover_host(sim: "SimulatorView", host: str) -> None:
    """The failed host boots again (a member, when another host became the master meanwhile)."""
    with sim.store.lock:
        record = sim.store.get("host", host)
        sim.store.update("host", host, other_config=dict(record["other_config"], **start_times(time.time(), record["other_config"])))
        set_live(sim, host, True)


def _fail_over(sim: "SimulatorView", dead: str, lost: list[str]) -> None:
    store = sim.store
    with store.lock:
        if not store.get("pool", pool_ref(sim))["ha_enabled"]:
            return
        live = [host for host in sim.host_refs if _is_live(sim, host)]
        if sim.master_ref == dead and live:
            make_master(sim, live[0])
        for vm in lost:
            record = store.get("VM", vm)
            if record["power_state"] == "Halted" and (record["ha_always_run"] or record["ha_restart_priority"] == "restart"):
                try:
                    bring_up(sim, vm, choose_host(CallContext(sim=sim, method="HA.restart"), vm), False)
                except XapiError:
                    continue  # no host can take it: xapi raises an alert and leaves it halted


def _is_live(sim: "SimulatorView", host: str) -> bool:
    metrics = sim.store.get("host", host)["metrics"]
    return metrics == NULL_REF or not sim.store.exists("host_metrics", metrics) or bool(sim.store.get("host_metrics", metrics)["live"])
