"""host.evacuate and what decides it: host.get_vms_which_prevent_evacuation, host.assert_can_evacuate.

xapi_host.ml ``compute_evacuation_plan_no_wlb``: the targets are the other enabled hosts; with none,
every guest gets NO_HOSTS_AVAILABLE. With HA on, a guest HA does not protect gets
HOST_EVACUATE_VM_NOT_HA_PROTECTED. A guest must be able to run on every target (its SRs and networks
seen there: VM_REQUIRES_SR, VM_REQUIRES_NETWORK; memory aside) and allow ``pool_migrate``; then the
guests are packed by memory onto the targets, and one that does not fit gets HOST_NOT_ENOUGH_FREE_MEMORY.
Guests of an anti-affinity VM group are planned first (xapi_ha_vm_failover.ml ``compute_anti_aff_evac_plan``,
its "spread evenly" phase): smallest first, each onto the target running the fewest VMs of its group, the
one with the least free memory among equals; a guest that fits nowhere that way is packed with the rest
(xapi's "no breach" middle phase is not modelled).
``evacuate`` fails with the first error of the plan, or live-migrates every guest as planned.
``assert_can_evacuate`` reports all errors in one CANNOT_EVACUATE_HOST, ``code,params|code,params``.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Union

from ...errors import XapiError
from ...registry import handles
from ..vm.groups import anti_affinity_group, group_count_by_host
from ..vm.placement import boot_error, host_free_memory, refresh_host_memory
from ..vm.runtime import next_domid
from ..vm.state import operation_error

if TYPE_CHECKING:
    from ...context import CallContext
    from ...store import Store

# vm -> the host it goes to, or the error that keeps it where it is ([code, params...]).
Plan = dict[str, Union[str, list[str]]]
_MEMORY_CODES = ("HOST_NOT_ENOUGH_FREE_MEMORY",)


def evacuation_plan(store: Store, host: str, ignore_ha: bool = False) -> Plan:
    targets = [ref for ref, record in sorted(store.records("host").items()) if ref != host and record["enabled"]]
    guests = [vm for vm in store.get("host", host)["resident_VMs"]
              if store.exists("VM", vm) and not store.get("VM", vm)["is_control_domain"]]
    plan: Plan = {}
    if not targets:
        return {vm: ["NO_HOSTS_AVAILABLE", vm] for vm in guests}
    pool = store.get("pool", next(iter(store.records("pool"))))
    movable = []
    for vm in guests:
        record = store.get("VM", vm)
        if pool["ha_enabled"] and not ignore_ha and not (record["ha_always_run"] or record["ha_restart_priority"] == "restart"):
            plan[vm] = ["HOST_EVACUATE_VM_NOT_HA_PROTECTED", vm]
            continue
        error = _first_boot_error(store, vm, targets)
        if error is None:
            error = operation_error(record, "pool_migrate", vm, store.records("VM_guest_metrics").get(record["guest_metrics"]),
                                    store.records("VM_metrics").get(record["metrics"]), strict=True)
        if error is not None:
            plan[vm] = error.description()
        else:
            movable.append(vm)
    free = {target: host_free_memory(store, target) for target in targets}
    movable = _spread_anti_affinity(store, movable, targets, free, plan)
    for vm in sorted(movable, key=lambda ref: -store.get("VM", ref)["memory_static_max"]):
        needed = store.get("VM", vm)["memory_static_max"]
        roomiest = max(targets, key=lambda target: free[target])
        if free[roomiest] < needed:
            plan[vm] = ["HOST_NOT_ENOUGH_FREE_MEMORY", vm]
            continue
        free[roomiest] -= needed
        plan[vm] = roomiest
    return plan


def _spread_anti_affinity(store: Store, guests: list[str], targets: list[str], free: dict[str, int], plan: Plan) -> list[str]:
    """Plan the guests of anti-affinity groups onto ``targets`` (updating ``free``); return the guests left to pack."""
    counts: dict[str, dict[str, int]] = {}
    rest = []
    for vm in sorted(guests, key=lambda ref: store.get("VM", ref)["memory_static_max"]):
        group = anti_affinity_group(store, vm)
        if group is None:
            rest.append(vm)
            continue
        in_group = counts.setdefault(group, group_count_by_host(store, group, leaving=vm))
        needed = store.get("VM", vm)["memory_static_max"]
        fitting = [target for target in targets if free[target] >= needed]
        if not fitting:
            rest.append(vm)
            continue
        target = min(fitting, key=lambda host: (in_group.get(host, 0), free[host]))
        plan[vm] = target
        free[target] -= needed
        in_group[target] = in_group.get(target, 0) + 1
    return rest


def _first_boot_error(store: Store, vm: str, targets: list[str]) -> XapiError | None:
    for target in targets:
        error = boot_error(store, vm, target)
        if error is not None and error.code not in _MEMORY_CODES:
            return error
    return None


@handles("host.get_vms_which_prevent_evacuation")
def get_vms_which_prevent_evacuation(ctx: "CallContext", host: str) -> dict[str, list[str]]:
    ctx.store.get("host", host)
    return {vm: outcome for vm, outcome in evacuation_plan(ctx.store, host).items() if isinstance(outcome, list)}


@handles("host.assert_can_evacuate")
def assert_can_evacuate(ctx: "CallContext", host: str) -> str:
    ctx.store.get("host", host)
    errors = [",".join(outcome) for outcome in evacuation_plan(ctx.store, host).values() if isinstance(outcome, list)]
    if errors:
        raise XapiError("CANNOT_EVACUATE_HOST", "|".join(errors))
    return ""


@handles("host.evacuate")
def evacuate(ctx: "CallContext", host: str, network: str, evacuate_batch_size: int) -> str:
    store = ctx.store
    store.get("host", host)
    plan = evacuation_plan(store, host)
    for outcome in plan.values():
        if isinstance(outcome, list):
            raise XapiError(*outcome)
    for vm, target in plan.items():
        assert isinstance(target, str)
        store.update("VM", vm, resident_on=target, domid=next_domid(store, target))
        refresh_host_memory(store, target)
    refresh_host_memory(store, host)
    return ""
