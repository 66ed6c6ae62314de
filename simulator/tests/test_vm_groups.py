"""VM groups: VM.set_groups's refusals, and anti-affinity placement on start and on host evacuation
(xapi_vm.ml set_groups, xapi_vm_helpers.ml rank_hosts_by_placement, xapi_ha_vm_failover.ml)."""
from __future__ import annotations

from typing import Any, Iterator

import pytest
import XenAPI
from xapi_helpers import failure, wait_for


@pytest.fixture(name="api")
def fixture_api(sim_factory: Any) -> Iterator[Any]:
    sim = sim_factory("--http")
    session = XenAPI.Session(sim.url)
    session.xenapi.login_with_password(sim.info["username"], sim.info["password"], "1.0", "test_vm_groups")
    try:
        yield session.xenapi
    finally:
        session.xenapi.session.logout()


def replicas(api: Any, count: int, group: str) -> list[str]:
    """Halted copies of build01 in ``group``."""
    source = api.VM.get_by_name_label("build01")[0]
    made = []
    for index in range(count):
        vm = api.VM.clone(source, f"replica{index}")
        api.VM.set_groups(vm, [group])
        made.append(vm)
    return made


def test_anti_affinity_spreads_starts_over_the_hosts(api: Any) -> None:
    group = api.VM_group.create({"name_label": "replicas", "name_description": "", "placement": "anti_affinity"})
    vms = replicas(api, 3, group)
    assert sorted(api.VM_group.get_VMs(group)) == sorted(vms)
    for vm in vms:
        api.VM.start(vm, False, False)
    assert len({api.VM.get_resident_on(vm) for vm in vms}) == 3, "one replica per host"


def test_normal_placement_keeps_the_usual_choice(api: Any) -> None:
    group = api.VM_group.create({"name_label": "together", "name_description": "", "placement": "normal"})
    vms = replicas(api, 2, group)
    for vm in vms:
        api.VM.start(vm, False, False)
    assert len({api.VM.get_resident_on(vm) for vm in vms}) == 1


def test_evacuation_spreads_a_group_over_the_other_hosts(api: Any) -> None:
    host1, host2, host3 = (api.host.get_by_name_label(name)[0] for name in ("host1", "host2", "host3"))
    group = api.VM_group.create({"name_label": "pair", "name_description": "", "placement": "anti_affinity"})
    vms = replicas(api, 2, group)
    for vm in vms:
        api.VM.start_on(vm, host1, False, False)
    # Live migration needs the guest tools, which come up some time after the start.
    for vm in vms:
        wait_for(lambda vm=vm: api.VM.get_guest_metrics(vm) != "OpaqueRef:NULL", timeout=60)
    api.host.disable(host1)
    api.host.evacuate(host1)
    assert sorted(api.VM.get_resident_on(vm) for vm in vms) == sorted([host2, host3])


def test_set_groups_refusals_and_destroy(api: Any) -> None:
    one = api.VM_group.create({"name_label": "one", "name_description": "", "placement": "anti_affinity"})
    two = api.VM_group.create({"name_label": "two", "name_description": "", "placement": "normal"})
    vm = api.VM.get_by_name_label("build01")[0]
    assert failure(api.VM.set_groups, vm, [one, two]) == ["TOO_MANY_GROUPS"]
    template = next(ref for ref, rec in api.VM.get_all_records().items() if rec["is_a_template"])
    assert failure(api.VM.set_groups, template, [one])[0] == "OPERATION_NOT_ALLOWED"
    assert api.VM_group.get_placement(one) == "anti_affinity"
    api.VM.set_groups(vm, [one])
    api.VM_group.destroy(one)
    assert api.VM.get_groups(vm) == []
