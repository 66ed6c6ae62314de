"""VM groups and their anti-affinity placement.

xapi_vm.ml ``set_groups``: control domains, templates and snapshots cannot join a group
(OPERATION_NOT_ALLOWED) and a VM is in at most one group (TOO_MANY_GROUPS). ``VM_group.create`` and
``destroy`` are the generic constructor and destructor (the store keeps ``VM.groups`` and
``VM_group.VMs`` in step, so a destroyed group leaves its VMs, as xapi_vm_group.ml does).

xapi_vm_helpers.ml ``rank_hosts_by_placement``: a VM of an ``anti_affinity`` group starts on its
affinity host if it can, otherwise on the hosts running the fewest VMs of its group first; a VM being
migrated counts on the host it is scheduled to, a paused one nowhere.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from ...errors import XapiError
from ...registry import handles
from ...store import NULL_REF, Store

if TYPE_CHECKING:
    from ...context import CallContext

ANTI_AFFINITY = "anti_affinity"


@handles("VM.set_groups")
def set_groups(ctx: "CallContext", vm: str, value: list[str]) -> str:
    store = ctx.store
    record = store.get("VM", vm)
    if record["is_control_domain"] or record["is_a_template"] or record["is_a_snapshot"]:
        raise XapiError("OPERATION_NOT_ALLOWED", "Control domains, templates, and snapshots cannot be added to VM groups.")
    if len(value) > 1:
        raise XapiError("TOO_MANY_GROUPS")
    for group in value:
        store.get("VM_group", group)
    store.update("VM", vm, groups=list(value))
    return ""


def anti_affinity_group(store: Store, vm: str) -> str | None:
    """The VM's anti-affinity group, None when it has none (then placement ignores groups)."""
    for group in store.get("VM", vm)["groups"]:
        if store.exists("VM_group", group) and store.get("VM_group", group)["placement"] == ANTI_AFFINITY:
            return group
    return None


def group_count_by_host(store: Store, group: str, leaving: str | None = None) -> dict[str, int]:
    """How many running VMs of ``group`` each host holds (``leaving``, the VM being placed, left out)."""
    counts: dict[str, int] = {}
    for member in store.get("VM_group", group)["VMs"]:
        if member == leaving or not store.exists("VM", member):
            continue
        record = store.get("VM", member)
        if record["scheduled_to_be_resident_on"] != NULL_REF:
            host = record["scheduled_to_be_resident_on"]
        elif record["power_state"] == "Running" and record["resident_on"] != NULL_REF:
            host = record["resident_on"]
        else:
            continue
        counts[host] = counts.get(host, 0) + 1
    return counts


def rank_for_anti_affinity(store: Store, vm: str, hosts: list[str]) -> list[str]:
    """``hosts`` in the order a VM of an anti-affinity group tries them: affinity host, then fewest group members
    (the sort is stable, so equal hosts keep the caller's order)."""
    group = anti_affinity_group(store, vm)
    if group is None:
        return hosts
    affinity = store.get("VM", vm)["affinity"]
    counts = group_count_by_host(store, group, leaving=vm)
    ranked = sorted((host for host in hosts if host != affinity), key=lambda host: counts.get(host, 0))
    return ([affinity] if affinity in hosts else []) + ranked
