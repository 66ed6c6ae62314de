"""host.evacuate, host.get_vms_which_prevent_evacuation and host.assert_can_evacuate, as xapi_host.ml decides."""
from __future__ import annotations

from typing import Any, Iterator

import pytest
import XenAPI
from xapi_helpers import failure


@pytest.fixture(name="api")
def fixture_api(sim_factory: Any) -> Iterator[Any]:
    sim = sim_factory("--http")
    session = XenAPI.Session(sim.url)
    session.xenapi.login_with_password(sim.info["username"], sim.info["password"], "1.0", "test_host_evacuation")
    try:
        yield session.xenapi
    finally:
        session.xenapi.session.logout()


def guests_on(api: Any, host: str) -> list[str]:
    return [vm for vm in api.host.get_resident_VMs(host) if not api.VM.get_is_control_domain(vm)]


def test_evacuate_moves_every_guest_to_the_other_hosts(api: Any) -> None:
    host1 = api.host.get_by_name_label("host1")[0]
    moving = guests_on(api, host1)
    assert moving, "the demo pool runs guests on host1"
    assert api.host.get_vms_which_prevent_evacuation(host1) == {}
    api.host.disable(host1)
    api.host.evacuate(host1)
    assert guests_on(api, host1) == []
    assert all(api.VM.get_power_state(vm) == "Running" and api.VM.get_resident_on(vm) != host1 for vm in moving)


def test_a_guest_on_local_storage_prevents_evacuation_and_is_named(api: Any) -> None:
    host2 = api.host.get_by_name_label("host2")[0]
    local = next(ref for ref, rec in api.SR.get_all_records().items()
                 if rec["type"] == "lvm" and api.PBD.get_host(rec["PBDs"][0]) == host2)
    vm = api.VM.clone(api.VM.get_by_name_label("build01")[0], "local guest")
    for vbd in api.VM.get_VBDs(vm):
        api.VBD.destroy(vbd)
    disk = api.VDI.create({"name_label": "local", "name_description": "", "SR": local, "virtual_size": str(2 ** 30), "type": "user",
                           "sharable": False, "read_only": False, "other_config": {}, "xenstore_data": {}, "sm_config": {}, "tags": []})
    api.VBD.create({"VM": vm, "VDI": disk, "userdevice": "0", "bootable": True, "mode": "RW", "type": "Disk", "unpluggable": True,
                    "empty": False, "other_config": {}, "qos_algorithm_type": "", "qos_algorithm_params": {}})
    api.VM.start_on(vm, host2, False, False)
    assert api.host.get_vms_which_prevent_evacuation(host2) == {vm: ["VM_REQUIRES_SR", vm, local]}
    assert failure(api.host.assert_can_evacuate, host2) == ["CANNOT_EVACUATE_HOST", f"VM_REQUIRES_SR,{vm},{local}"]
    before = sorted(guests_on(api, host2))
    assert failure(api.host.evacuate, host2) == ["VM_REQUIRES_SR", vm, local]
    assert sorted(guests_on(api, host2)) == before, "nothing moves when the plan has an error"


def test_no_other_enabled_host_and_ha_protection(api: Any) -> None:
    host1, host2, host3 = (api.host.get_by_name_label(name)[0] for name in ("host1", "host2", "host3"))
    guests = guests_on(api, host1)
    api.host.disable(host2)
    api.host.disable(host3)
    assert api.host.get_vms_which_prevent_evacuation(host1) == {vm: ["NO_HOSTS_AVAILABLE", vm] for vm in guests}
    api.host.enable(host2)
    api.host.enable(host3)
    api.pool.enable_ha([], {})
    assert api.host.get_vms_which_prevent_evacuation(host1) == {vm: ["HOST_EVACUATE_VM_NOT_HA_PROTECTED", vm] for vm in guests}
