"""The VM lifecycle in the simulator, through the official XenAPI client over HTTP.

Power operations and their errors, allowed and current operations, installing from a template,
guest metrics, tasks, clone / copy / snapshot / checkpoint / revert, destroy, configuration.
The model guest is the demo pool's build01 (halted, one VIF) with a 1 GiB disk on the NFS
default SR; each test clones the VMs it changes, so the tests run in any order.
"""
from __future__ import annotations

from typing import Any, Iterator

import pytest
import XenAPI
from xapi_helpers import failure, wait_for


GiB = 1024 ** 3
NULL = "OpaqueRef:NULL"
TEMPLATE = "Debian Bookworm 12"
MEMORY_ORDER = "Memory limits must satisfy: static_min <= dynamic_min <= dynamic_max <= static_max"


@pytest.fixture(scope="module")
def api(sim_http: Any) -> Iterator[Any]:
    # Quick operations keep the module fast; the guest agent reports a moment after boot.
    sim_http.control_post("durations", {"*": 0.01, "guest_agent": 0.2})
    session = XenAPI.Session(sim_http.url)
    session.xenapi.login_with_password(sim_http.info["username"], sim_http.info["password"], "1.0", "test_vm_lifecycle")
    try:
        yield session.xenapi
    finally:
        session.xenapi.session.logout()


def named(api: Any, cls: str, name: str) -> str:
    return getattr(api, cls).get_by_name_label(name)[0]


def host(api: Any, number: int) -> str:
    return named(api, "host", f"host{number}")


def new_disk(api: Any, sr: str, size: int) -> str:
    return api.VDI.create({"name_label": "disk", "name_description": "", "SR": sr, "virtual_size": str(size),
                           "type": "user", "sharable": False, "read_only": False, "other_config": {},
                           "xenstore_data": {}, "sm_config": {}, "tags": []})


def attach(api: Any, vm: str, vdi: str) -> str:
    return api.VBD.create({"VM": vm, "VDI": vdi, "userdevice": "autodetect", "bootable": False, "mode": "RW",
                           "type": "Disk", "unpluggable": True, "empty": False, "other_config": {},
                           "qos_algorithm_type": "", "qos_algorithm_params": {}})


@pytest.fixture(scope="module", autouse=True)
def model(api: Any) -> str:
    """build01 with a small disk, so that the many copies the tests make fit in the SR."""
    vm = api.VM.clone(named(api, "VM", "build01"), "model")
    for vbd in api.VM.get_VBDs(vm):
        vdi = api.VBD.get_VDI(vbd)
        api.VBD.destroy(vbd)
        api.VDI.destroy(vdi)
    attach(api, vm, new_disk(api, api.pool.get_default_SR(api.pool.get_all()[0]), GiB))
    return vm


def guest(api: Any, power_state: str = "Halted", name: str = "guest") -> str:
    """A fresh copy of the model guest in ``power_state``."""
    vm = api.VM.clone(api.VM.get_by_name_label("model")[0], name)
    if power_state != "Halted":
        api.VM.start(vm, power_state == "Paused", False)
    if power_state == "Suspended":
        api.VM.suspend(vm)
    assert api.VM.get_power_state(vm) == power_state
    return vm


def disks_of(api: Any, vm: str) -> list[str]:
    return [api.VBD.get_VDI(vbd) for vbd in api.VM.get_VBDs(vm) if api.VBD.get_type(vbd) == "Disk"]


# ---- power operations ------------------------------------------------------------------------
TRANSITIONS = [
    ("Halted", "start", (False, False), "Running"),
    ("Halted", "start", (True, False), "Paused"),
    ("Running", "clean_shutdown", (), "Halted"),
    ("Running", "hard_shutdown", (), "Halted"),
    ("Running", "shutdown", (), "Halted"),
    ("Running", "clean_reboot", (), "Running"),
    ("Running", "hard_reboot", (), "Running"),
    ("Running", "suspend", (), "Suspended"),
    ("Running", "pause", (), "Paused"),
    ("Paused", "unpause", (), "Running"),
    ("Paused", "hard_shutdown", (), "Halted"),
    ("Paused", "hard_reboot", (), "Running"),
    ("Suspended", "resume", (False, False), "Running"),
    ("Suspended", "hard_shutdown", (), "Halted"),
]


@pytest.mark.parametrize(("before", "operation", "args", "after"), TRANSITIONS)
def test_power_transition(api: Any, before: str, operation: str, args: tuple[Any, ...], after: str) -> None:
    vm = guest(api, before)
    domid = api.VM.get_domid(vm)
    getattr(api.VM, operation)(vm, *args)
    record = api.VM.get_record(vm)
    assert record["power_state"] == after
    live = after in ("Running", "Paused")
    assert (record["resident_on"] != NULL) == live
    assert (int(record["domid"]) > 0) == live
    if operation.endswith("reboot"):
        assert record["domid"] != domid
    assert (record["suspend_VDI"] != NULL) == (after == "Suspended")
    vbds = [api.VBD.get_record(vbd) for vbd in record["VBDs"]]
    assert all(vbd["currently_attached"] == (after != "Halted") for vbd in vbds)
    assert all(api.VIF.get_currently_attached(vif) == (after != "Halted") for vif in record["VIFs"])
    metrics = api.VM_metrics.get_record(record["metrics"])
    assert (int(metrics["VCPUs_number"]) > 0) == live
    if after == "Halted":
        assert record["guest_metrics"] == NULL


WRONG_STATES = [
    ("Halted", "clean_shutdown", (), "running"),
    ("Halted", "hard_shutdown", (), "paused, suspended, running"),
    ("Halted", "hard_reboot", (), "paused, running"),
    ("Halted", "unpause", (), "paused"),
    ("Halted", "resume", (False, False), "suspended"),
    ("Running", "start", (False, False), "halted"),
    ("Running", "destroy", (), "halted, suspended"),
    ("Running", "clone", ("x",), "halted"),
    ("Paused", "suspend", (), "running"),
    ("Suspended", "pause", (), "running"),
]


@pytest.mark.parametrize(("state", "operation", "args", "expected"), WRONG_STATES)
def test_wrong_power_state(api: Any, state: str, operation: str, args: tuple[Any, ...], expected: str) -> None:
    vm = guest(api, state)
    assert failure(getattr(api.VM, operation), vm, *args) == ["VM_BAD_POWER_STATE", vm, expected, state.lower()]


def test_allowed_operations_follow_the_power_state(api: Any) -> None:
    vm = guest(api)
    halted = api.VM.get_allowed_operations(vm)
    assert {"start", "start_on", "clone", "copy", "snapshot", "destroy", "export", "make_into_template"} <= set(halted)
    assert "clean_shutdown" not in halted
    api.VM.start(vm, False, False)
    # An HVM guest whose tools have not reported yet: xapi's strict feature checks withhold what needs them.
    booting = set(api.VM.get_allowed_operations(vm))
    assert {"hard_shutdown", "hard_reboot", "pause", "snapshot"} <= booting
    assert not booting & {"clean_shutdown", "clean_reboot", "suspend", "checkpoint", "pool_migrate", "changing_VCPUs_live"}
    token = ""
    while api.VM.get_guest_metrics(vm) == "OpaqueRef:NULL":
        token = getattr(api.event, "from")(["vm/" + vm], token, 5.0)["token"]
    running = api.VM.get_allowed_operations(vm)
    assert {"clean_shutdown", "hard_shutdown", "clean_reboot", "hard_reboot", "suspend", "pause", "pool_migrate",
            "snapshot", "checkpoint"} <= set(running)
    assert "start" not in running and "destroy" not in running
    api.VM.pause(vm)
    assert set(api.VM.get_allowed_operations(vm)) >= {"unpause", "hard_shutdown", "hard_reboot"}


def test_start_on_pool_migrate_and_host_records(api: Any) -> None:
    vm = guest(api)
    api.VM.start_on(vm, host(api, 2), False, False)
    assert api.VM.get_resident_on(vm) == host(api, 2)
    assert vm in api.host.get_resident_VMs(host(api, 2))
    api.VM.pool_migrate(vm, host(api, 3), {"live": "true"})
    assert api.VM.get_resident_on(vm) == host(api, 3)
    assert vm not in api.host.get_resident_VMs(host(api, 2))
    metrics = api.host.get_metrics(host(api, 3))
    free_with_vm = int(api.host_metrics.get_memory_free(metrics))
    api.VM.pool_migrate(vm, host(api, 2), {})
    free_without_vm = int(api.host_metrics.get_memory_free(metrics))
    assert free_without_vm - free_with_vm == int(api.VM.get_memory_dynamic_max(vm))


def test_start_prefers_the_affinity_host(api: Any) -> None:
    vm = guest(api)
    api.VM.set_affinity(vm, host(api, 3))
    api.VM.start(vm, False, False)
    assert api.VM.get_resident_on(vm) == host(api, 3)


def test_a_vm_on_local_storage_runs_only_on_that_host(api: Any) -> None:
    local = named(api, "SR", "Local storage on host1")
    vm = api.VM.copy(named(api, "VM", "build01"), "local guest", local)
    assert api.VM.get_possible_hosts(vm) == [host(api, 1)]
    assert failure(api.VM.start_on, vm, host(api, 2), False, False) == ["VM_REQUIRES_SR", vm, local]
    api.VM.start(vm, False, False)
    assert api.VM.get_resident_on(vm) == host(api, 1)


def test_blocked_operation(api: Any) -> None:
    vm = guest(api)
    api.VM.add_to_blocked_operations(vm, "start", "maintenance window")
    assert "start" not in api.VM.get_allowed_operations(vm)
    assert failure(api.VM.start, vm, False, False) == ["OPERATION_BLOCKED", vm, "maintenance window"]


# ---- templates and installation --------------------------------------------------------------
def test_templates_refuse_vm_operations(api: Any) -> None:
    template = named(api, "VM", TEMPLATE)
    assert failure(api.VM.start, template, False, False) == ["VM_IS_TEMPLATE", template, "start"]
    assert failure(api.VM.destroy, template) == ["VM_IS_TEMPLATE", template, "destroy"]
    assert failure(api.VM.provision, guest(api)) == ["PROVISION_ONLY_ALLOWED_ON_TEMPLATE"]


def test_install_from_template_clone_provision_start(api: Any) -> None:
    default_sr = api.pool.get_default_SR(api.pool.get_all()[0])
    allocated = int(api.SR.get_virtual_allocation(default_sr))
    vm = api.VM.clone(named(api, "VM", TEMPLATE), "installed")
    record = api.VM.get_record(vm)
    assert record["is_a_template"] and not record["is_default_template"]
    assert record["other_config"]["base_template_name"] == TEMPLATE
    assert "default_template" not in record["other_config"]
    api.VM.provision(vm)
    record = api.VM.get_record(vm)
    assert not record["is_a_template"] and "disks" not in record["other_config"]
    [vbd] = record["VBDs"]
    vdi = api.VBD.get_VDI(vbd)
    assert api.VBD.get_userdevice(vbd) == "0" and api.VBD.get_bootable(vbd)
    assert api.VDI.get_SR(vdi) == default_sr and api.VDI.get_virtual_size(vdi) == str(10 * GiB)
    assert int(api.SR.get_virtual_allocation(default_sr)) == allocated + 10 * GiB
    api.VM.start(vm, False, False)
    assert api.VBD.get_device(vbd) == "xvda" and api.VBD.get_currently_attached(vbd)


def test_guest_metrics_with_addresses_appear_after_start(api: Any) -> None:
    vm = guest(api, "Running")
    metrics = wait_for(lambda: api.VM.get_guest_metrics(vm) != NULL and api.VM.get_guest_metrics(vm))
    record = api.VM_guest_metrics.get_record(metrics)
    assert record["networks"]["0/ip"] == record["networks"]["0/ipv4/0"]
    assert record["networks"]["0/ip"].startswith("10.0.") and record["networks"]["0/ipv6/0"].startswith("fe80::")
    assert record["networks"]["0/ipv6/1"].startswith("2001:db8::")
    assert record["os_version"]["distro"] == "debian" and record["PV_drivers_version"]["major"]
    api.VM.clean_shutdown(vm)
    assert api.VM.get_guest_metrics(vm) == NULL
    assert failure(api.VM_guest_metrics.get_record, metrics)[0] == "HANDLE_INVALID"


# ---- tasks and operations in progress ----------------------------------------------------------
def test_async_start_runs_as_a_task(api: Any) -> None:
    vm = guest(api)
    task = api.Async.VM.start(vm, False, False)
    wait_for(lambda: api.task.get_status(task) != "pending")
    record = api.task.get_record(task)
    assert (record["status"], float(record["progress"]), record["result"]) == ("success", 1.0, "")
    assert api.VM.get_power_state(vm) == "Running" and api.VM.get_current_operations(vm) == {}
    api.task.destroy(task)


def test_other_operation_in_progress(api: Any, sim_http: Any) -> None:
    vm = guest(api)
    # The operation shows in current_operations for the last quarter of its duration.
    sim_http.control_post("durations", {"VM.start": 2.0})
    try:
        task = api.Async.VM.start(vm, False, False)
        wait_for(lambda: api.VM.get_current_operations(vm))
        assert api.VM.get_current_operations(vm) == {task: "start"}
        assert "start" not in api.VM.get_allowed_operations(vm)
        assert failure(api.VM.set_VCPUs_max, vm, 4) == ["OTHER_OPERATION_IN_PROGRESS", "VM", vm, "start", task]
        wait_for(lambda: api.task.get_status(task) == "success")
    finally:
        sim_http.control_post("durations", {"VM.start": 0.01})
    assert api.VM.get_current_operations(vm) == {}


def test_a_failing_task_carries_the_error(api: Any) -> None:
    vm = guest(api, "Running")
    task = api.Async.VM.start(vm, False, False)
    wait_for(lambda: api.task.get_status(task) != "pending")
    assert api.task.get_error_info(task) == ["VM_BAD_POWER_STATE", vm, "halted", "running"]


# ---- copies, snapshots, destroy ---------------------------------------------------------------
def test_clone_is_copy_on_write_with_new_macs(api: Any) -> None:
    source = named(api, "VM", "build01")
    vm = api.VM.clone(source, "cow")
    [disk], [original] = disks_of(api, vm), disks_of(api, source)
    assert api.VDI.get_SR(disk) == api.VDI.get_SR(original)
    assert api.VDI.get_sm_config(disk)["vhd-parent"] == api.VDI.get_uuid(original)
    macs = {api.VIF.get_MAC(vif) for vif in api.VM.get_VIFs(vm) + api.VM.get_VIFs(source)}
    assert len(macs) == 2
    assert api.VM.get_other_config(vm)["mac_seed"] != api.VM.get_other_config(source).get("mac_seed")


def test_copy_into_another_sr_and_sr_full(api: Any) -> None:
    source = guest(api)
    local = named(api, "SR", "Local storage on host2")
    copy = api.VM.copy(source, "full copy", local)
    [disk] = disks_of(api, copy)
    assert api.VDI.get_SR(disk) == local and "vhd-parent" not in api.VDI.get_sm_config(disk)
    target = named(api, "SR", "Local storage on host3")
    attach(api, source, new_disk(api, target, 450 * GiB))
    available = int(api.SR.get_physical_size(target)) - int(api.SR.get_virtual_allocation(target))
    vms, allocated = len(api.VM.get_all()), api.SR.get_virtual_allocation(target)
    assert failure(api.VM.copy, source, "too big", target) == ["SR_FULL", str(451 * GiB), str(available)]
    assert len(api.VM.get_all()) == vms and api.SR.get_virtual_allocation(target) == allocated


def test_snapshot_checkpoint_and_revert(api: Any) -> None:
    vm = guest(api, "Running")
    [disk] = disks_of(api, vm)
    snap = api.VM.snapshot(vm, "before upgrade", [])
    record = api.VM.get_record(snap)
    assert record["is_a_snapshot"] and record["is_a_template"] and record["snapshot_of"] == vm
    assert record["power_state"] == "Halted" and snap in api.VM.get_snapshots(vm)
    assert api.VDI.get_snapshot_of(disks_of(api, snap)[0]) == disk
    assert failure(api.VM.start, snap, False, False) == ["VM_IS_SNAPSHOT", snap, "start"]
    assert disks_of(api, api.VM.snapshot(vm, "no disks", [disk])) == []
    checkpoint = api.VM.checkpoint(vm, "with memory")
    assert api.VM.get_power_state(checkpoint) == "Suspended" and api.VM.get_suspend_VDI(checkpoint) != NULL
    api.VM.revert(checkpoint)
    assert api.VM.get_power_state(vm) == "Suspended" and api.VM.get_suspend_VDI(vm) != NULL
    # The disk the checkpoint has a copy of is replaced by a clone of that copy.
    assert disks_of(api, vm) != [disk] and disk not in api.VDI.get_all()
    api.VM.resume(vm, False, False)
    assert api.VM.get_power_state(vm) == "Running"
    api.VM.revert(snap)
    assert api.VM.get_power_state(vm) == "Halted" and api.VM.get_parent(vm) == snap
    assert failure(api.VM.revert, vm) == ["ONLY_REVERT_SNAPSHOT"]


def test_destroy_keeps_the_disks(api: Any) -> None:
    vm = guest(api)
    snap = api.VM.snapshot(vm, "orphan", [])
    [disk] = disks_of(api, vm)
    vbds, vifs, metrics = api.VM.get_VBDs(vm), api.VM.get_VIFs(vm), api.VM.get_metrics(vm)
    api.VM.destroy(vm)
    assert failure(api.VM.get_record, vm) == ["HANDLE_INVALID", "VM", vm]
    assert api.VDI.get_VBDs(disk) == [] and api.VDI.get_record(disk)["uuid"]
    assert all(failure(api.VBD.get_record, vbd)[0] == "HANDLE_INVALID" for vbd in vbds)
    assert all(failure(api.VIF.get_record, vif)[0] == "HANDLE_INVALID" for vif in vifs)
    assert failure(api.VM_metrics.get_record, metrics)[0] == "HANDLE_INVALID"
    assert api.VM.get_snapshot_of(snap) == NULL


# ---- configuration ---------------------------------------------------------------------------
def test_memory_limits(api: Any) -> None:
    vm = guest(api)
    api.VM.set_memory_limits(vm, str(GiB), str(4 * GiB), str(2 * GiB), str(3 * GiB))
    assert api.VM.get_memory_dynamic_max(vm) == str(3 * GiB)
    violation = ["MEMORY_CONSTRAINT_VIOLATION", MEMORY_ORDER]
    assert failure(api.VM.set_memory_limits, vm, str(GiB), str(2 * GiB), str(3 * GiB), str(2 * GiB)) == violation
    assert failure(api.VM.set_memory_dynamic_max, vm, str(8 * GiB)) == violation
    api.VM.set_memory(vm, str(2 * GiB))
    assert api.VM.get_memory_static_max(vm) == api.VM.get_memory_dynamic_min(vm) == str(2 * GiB)
    api.VM.start(vm, False, False)
    assert failure(api.VM.set_memory_static_max, vm, str(4 * GiB)) == ["VM_BAD_POWER_STATE", vm, "halted", "running"]
    api.VM.set_memory_dynamic_range(vm, str(GiB), str(GiB))
    assert api.VM_metrics.get_memory_actual(api.VM.get_metrics(vm)) == str(GiB)


def test_vcpus(api: Any) -> None:
    vm = guest(api)
    api.VM.set_VCPUs_max(vm, "4")
    api.VM.set_VCPUs_at_startup(vm, "3")
    assert failure(api.VM.set_VCPUs_at_startup, vm, "5") == ["INVALID_VALUE", "VCPUs_at_startup", "5"]
    assert failure(api.VM.set_VCPUs_max, vm, "2") == ["INVALID_VALUE", "VCPUs_max", "2"]
    api.VM.start(vm, False, False)
    assert failure(api.VM.set_VCPUs_max, vm, "8") == ["VM_BAD_POWER_STATE", vm, "halted", "running"]
    # Hot-plugging vCPUs needs the guest's tools (feature-vcpu-hotplug), even when not checked strictly.
    assert failure(api.VM.set_VCPUs_number_live, vm, "4") == ["VM_LACKS_FEATURE", vm]
    token = ""
    while api.VM.get_guest_metrics(vm) == "OpaqueRef:NULL":
        token = getattr(api.event, "from")(["vm/" + vm], token, 5.0)["token"]
    api.VM.set_VCPUs_number_live(vm, "4")
    assert api.VM_metrics.get_VCPUs_number(api.VM.get_metrics(vm)) == "4"


def test_boot_mode_and_template_flag(api: Any) -> None:
    vm = guest(api)
    api.VM.set_HVM_boot_policy(vm, "")
    assert api.VM.get_domain_type(vm) == "pv"
    api.VM.set_domain_type(vm, "hvm")
    assert api.VM.get_HVM_boot_policy(vm) == "BIOS order"
    api.VM.set_is_a_template(vm, True)
    assert api.VM.get_allowed_operations(vm) and failure(api.VM.start, vm, False, False)[0] == "VM_IS_TEMPLATE"
    api.VM.set_is_a_template(vm, False)
    api.VM.add_to_other_config(vm, "owner", "team-a")
    assert api.VM.get_other_config(vm)["owner"] == "team-a"


def test_allowed_device_slots(api: Any) -> None:
    vm = guest(api)
    assert api.VM.get_allowed_VBD_devices(vm)[:3] == ["1", "2", "3"]
    assert api.VM.get_allowed_VIF_devices(vm) == ["1", "2", "3", "4", "5", "6"]
