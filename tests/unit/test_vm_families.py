# Copyright: (c) 2026, xen.xapi maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What each xen_vm family plans for a VM as read (hardware, boot, metadata, CD drive, networks, placement), and what it returns.

Plans are computed from records only; nothing here reaches a server (the client is None), and
the changes are inspected, never applied.
"""

from __future__ import annotations

import typing as t

import pytest

from ansible_collections.xen.xapi.plugins.module_utils._xapi.errors import ResourceError
from ansible_collections.xen.xapi.plugins.module_utils.vm import boot, cdrom, disks, hardware, metadata, networks, placement, power, resource
from ansible_collections.xen.xapi.plugins.module_utils.vm.common import PlanContext, VmChange
from ansible_collections.xen.xapi.plugins.module_utils.vm.present import present
from ansible_collections.xen.xapi.plugins.module_utils.vm.view import NULL_REF, LazyRecords, PoolObjects, VmView

GiB = 1024 ** 3
MiB = 1024 ** 2
ETH0, ETH1 = "OpaqueRef:net0", "OpaqueRef:net1"


def pool() -> PoolObjects:
    return PoolObjects(
        hosts={"OpaqueRef:h1": {"uuid": "uuid-h1", "name_label": "host1"}, "OpaqueRef:h2": {"uuid": "uuid-h2", "name_label": "host2"}},
        networks={ETH0: {"uuid": "uuid-n0", "name_label": "eth0 net", "MTU": 1500}, ETH1: {"uuid": "uuid-n1", "name_label": "eth1 net", "MTU": 1500}},
        srs={"OpaqueRef:sr1": {"uuid": "uuid-sr1", "name_label": "NFS"}, "OpaqueRef:iso": {"uuid": "uuid-iso", "name_label": "ISO library"}},
        pool={"default_SR": "OpaqueRef:sr1"},
    )


def vm_record(**fields: t.Any) -> t.Dict[str, t.Any]:
    record = {
        "uuid": "uuid-vm", "name_label": "vm1", "name_description": "", "power_state": "Halted", "is_a_template": False,
        "VCPUs_max": 2, "VCPUs_at_startup": 2, "memory_static_min": 512 * MiB, "memory_dynamic_min": 2 * GiB,
        "memory_dynamic_max": 2 * GiB, "memory_static_max": 2 * GiB, "HVM_boot_policy": "BIOS order",
        "HVM_boot_params": {"order": "cd"}, "platform": {"acpi": "1"}, "tags": ["a"], "other_config": {"k": "v"},
        "xenstore_data": {}, "affinity": NULL_REF, "ha_restart_priority": "", "resident_on": NULL_REF,
    }
    record.update(fields)
    return record


def context(params: t.Dict[str, t.Any], vbds: t.Optional[dict] = None, vdis: t.Optional[dict] = None,
            vifs: t.Optional[dict] = None, **fields: t.Any) -> PlanContext:
    view = VmView(ref="OpaqueRef:vm", record=vm_record(**fields), vbds=vbds or {}, vdis=vdis or {}, vifs=vifs or {}, pool=pool())
    return PlanContext(None, params, view)  # type: ignore[arg-type]  # planning never calls the server here


def summary(changes: t.List[VmChange]) -> t.List[t.Tuple[str, t.Any, t.Any, bool]]:
    return [(c.option, c.before, c.after, c.offline) for c in changes]


# -- hardware --------------------------------------------------------------------------------------

def test_vcpus_are_added_live_up_to_the_maximum() -> None:
    assert summary(hardware.plan(context({"vcpus": 3}, power_state="Running", VCPUs_max=4))) == [("vcpus", 2, 3, False)]


def test_fewer_vcpus_or_a_new_maximum_need_the_vm_halted() -> None:
    assert summary(hardware.plan(context({"vcpus": 1}))) == [("vcpus", 2, 1, True)]
    # The maximum rises before the count, and falls after it.
    assert summary(hardware.plan(context({"vcpus": 4}))) == [("vcpus_max", 2, 4, True), ("vcpus", 2, 4, True)]
    assert summary(hardware.plan(context({"vcpus": 1, "vcpus_max": 1}))) == [("vcpus", 2, 1, True), ("vcpus_max", 2, 1, True)]


def test_vcpus_max_below_the_vcpus_fails() -> None:
    with pytest.raises(ResourceError, match="lower vcpus as well"):
        hardware.plan(context({"vcpus_max": 1}))


def test_cores_per_socket_must_divide_the_maximum() -> None:
    assert summary(hardware.plan(context({"cores_per_socket": 2}))) == [("cores_per_socket", None, 2, True)]
    assert hardware.plan(context({"cores_per_socket": 2}, platform={"cores-per-socket": "2"})) == []
    with pytest.raises(ResourceError, match="multiple"):
        hardware.plan(context({"cores_per_socket": 4}))


def test_memory_alone_fixes_the_whole_range_while_halted() -> None:
    assert summary(hardware.plan(context({"memory": "4GiB"}))) == [
        ("memory", "2 GiB", "4 GiB", True), ("memory_dynamic_min", "2 GiB", "4 GiB", True), ("memory_dynamic_max", "2 GiB", "4 GiB", True)]
    assert hardware.plan(context({"memory": 2048})) == []


def test_a_dynamic_range_within_the_static_one_changes_live() -> None:
    changes = hardware.plan(context({"memory_dynamic_min": "1GiB"}, power_state="Running"))
    assert summary(changes) == [("memory_dynamic_min", "2 GiB", "1 GiB", False)]


def test_wanted_memory_keeps_static_min_below_the_dynamic_min() -> None:
    current = hardware.MemoryLimits(2 * GiB, 2 * GiB, 2 * GiB, 2 * GiB)
    assert hardware.wanted_memory(current, None, GiB, None) == hardware.MemoryLimits(GiB, GiB, 2 * GiB, 2 * GiB)
    with pytest.raises(ResourceError, match="raise memory as well"):
        hardware.wanted_memory(current, None, None, 4 * GiB)


# -- boot ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("fields, expected", [
    ({}, "bios"),
    ({"HVM_boot_params": {"firmware": "uefi"}}, "uefi"),
    ({"HVM_boot_params": {"firmware": "uefi"}, "platform": {"secureboot": "auto"}}, "uefi"),
    ({"HVM_boot_params": {"firmware": "uefi"}, "platform": {"secureboot": "true"}}, "uefi-secure"),
    ({"HVM_boot_policy": ""}, None),
])
def test_firmware_is_read_from_boot_params_and_platform(fields: dict, expected: t.Optional[str]) -> None:
    assert boot.firmware(vm_record(**fields)) == expected


def test_firmware_needs_the_vm_halted_boot_order_and_platform_do_not() -> None:
    changes = boot.plan(context({"firmware": "uefi-secure", "boot_order": "dcn", "platform": {"acpi": 1, "viridian": "true"}}))
    assert summary(changes) == [("firmware", "bios", "uefi-secure", True), ("boot_order", "cd", "dcn", False),
                                ("platform", {"acpi": "1"}, {"acpi": "1", "viridian": "true"}, False)]
    assert boot.plan(context({"firmware": "bios", "boot_order": "cd", "platform": {"acpi": "1"}})) == []


# -- metadata ---------------------------------------------------------------------------------------

def test_tags_merge_or_purge_and_ignore_order() -> None:
    assert metadata.wanted_tags(["a", "b"], ["c"], purge=False) == ["a", "b", "c"]
    assert metadata.wanted_tags(["a", "b"], ["b"], purge=False) is None
    assert metadata.wanted_tags(["a", "b"], ["b", "a"], purge=True) is None
    assert metadata.wanted_tags(["a", "b"], ["b"], purge=True) == ["b"]
    assert metadata.wanted_tags(["a"], None, purge=True) is None


def test_metadata_changes() -> None:
    params = {"name": "vm2", "description": "d", "tags": ["z"], "other_config": {"n": 1}, "purge_other_config": True,
              "xenstore_data": {"vm-data/x": "y"}, "affinity": "host2", "ha_restart_priority": "restart", "is_a_template": True}
    assert summary(metadata.plan(context(params))) == [
        ("name", "vm1", "vm2", False), ("description", "", "d", False), ("tags", ["a"], ["a", "z"], False),
        ("other_config", {"k": "v"}, {"n": "1"}, False), ("xenstore_data", {}, {"vm-data/x": "y"}, False),
        ("affinity", None, "host2", False), ("ha_restart_priority", "", "restart", False), ("is_a_template", False, True, True)]


def test_affinity_can_be_cleared_and_must_name_a_known_host() -> None:
    assert summary(metadata.plan(context({"affinity": ""}, affinity="OpaqueRef:h1"))) == [("affinity", "host1", None, False)]
    assert metadata.plan(context({"affinity": ""})) == []
    assert metadata.plan(context({"affinity": "uuid-h1"}, affinity="OpaqueRef:h1")) == []
    with pytest.raises(ResourceError, match="affinity: no host is named 'host9'"):
        metadata.plan(context({"affinity": "host9"}))


# -- CD drive ----------------------------------------------------------------------------------------

CD = {"OpaqueRef:cd": {"type": "CD", "userdevice": "3", "VDI": "OpaqueRef:iso1", "empty": False}}
ISO = {"OpaqueRef:iso1": {"uuid": "uuid-iso1", "name_label": "debian.iso", "SR": "OpaqueRef:iso"}}


def test_an_inserted_iso_is_recognised_by_name_or_uuid() -> None:
    assert cdrom.plan(context({"cdrom": {"iso": "debian.iso"}}, vbds=CD, vdis=ISO)) == []
    assert cdrom.plan(context({"cdrom": {"iso": "uuid-iso1"}}, vbds=CD, vdis=ISO)) == []


def test_eject_only_what_is_inserted() -> None:
    assert summary(cdrom.plan(context({"cdrom": {"iso": ""}}, vbds=CD, vdis=ISO))) == [("cdrom", "debian.iso", "", False)]
    empty = {"OpaqueRef:cd": dict(CD["OpaqueRef:cd"], VDI=NULL_REF, empty=True)}
    assert cdrom.plan(context({"cdrom": {"iso": ""}}, vbds=empty)) == []
    assert cdrom.plan(context({"cdrom": {"iso": ""}})) == []


# -- network interfaces ---------------------------------------------------------------------------

VIF0 = {"OpaqueRef:vif0": {"device": "0", "network": ETH0, "MAC": "02:00:00:00:00:01", "MTU": 1500, "currently_attached": True}}


def test_missing_interfaces_are_added_in_device_order() -> None:
    changes = networks.plan(context({"networks": [{"network": "eth0 net"}, {"network": "uuid-n1"}]}, vifs=VIF0))
    assert summary(changes) == [("networks[1]", None, "device 1 on eth1 net", False)]


def test_one_operation_per_interface_reports_each_difference() -> None:
    moved = networks.plan(context({"networks": [{"network": "eth1 net"}]}, vifs=VIF0))
    assert summary(moved) == [("networks[0].network", "eth0 net", "eth1 net", False)]
    replaced = networks.plan(context({"networks": [{"network": "eth1 net", "mac": "02:00:00:00:00:02", "mtu": 9000}]}, vifs=VIF0))
    assert [c.option for c in replaced] == ["networks[0].network", "networks[0].mac", "networks[0].mtu"]
    assert len(set(id(c.apply) for c in replaced)) == 1


def test_unnamed_interfaces_go_only_with_purge() -> None:
    params = {"networks": [{"network": "eth0 net", "device": "1"}]}
    assert [c.option for c in networks.plan(context(params, vifs=VIF0))] == ["networks[0]"]
    purged = networks.plan(context(dict(params, purge_networks=True), vifs=VIF0))
    assert summary(purged)[1] == ("networks", {"device": "0", "network": "eth0 net", "mac": "02:00:00:00:00:01"}, None, False)
    with pytest.raises(ResourceError, match=r"networks\[0\].network: no network is named 'nope'"):
        networks.plan(context({"networks": [{"network": "nope"}]}))


# -- placement ----------------------------------------------------------------------------------------

def test_a_running_vm_elsewhere_is_migrated_after_everything_else() -> None:
    ctx = context({"target_host": "host2"}, power_state="Running", resident_on="OpaqueRef:h1")
    power_plan = power.plan(ctx, [], placement.target_host(ctx))
    assert summary(placement.plan(ctx, "OpaqueRef:h2", power_plan)) == [("host", "host1", "host2", False)]


def test_a_vm_the_plan_starts_is_started_on_the_host_instead() -> None:
    ctx = context({"target_host": "host2", "state": "running"})
    power_plan = power.plan(ctx, [], placement.target_host(ctx))
    assert power_plan.steps.after == ["start"]
    assert placement.plan(ctx, "OpaqueRef:h2", power_plan) == []


def test_a_running_vm_becomes_a_template_only_with_force_and_stays_halted() -> None:
    params = {"is_a_template": True}
    config = metadata.plan(context(params, power_state="Running"))
    with pytest.raises(ResourceError, match=r"need the VM halted: is_a_template \(False -> True\)"):
        power.plan(context(params, power_state="Running"), config, None)
    forced = context(dict(params, force=True), power_state="Running")
    assert power.plan(forced, metadata.plan(forced), None).steps == power.Transitions(["shutdown"], [])


def test_the_returned_vm_names_what_it_refers_to() -> None:
    vifs = dict(VIF0)
    vbds = dict(CD, **{"OpaqueRef:root": {"type": "Disk", "userdevice": "0", "VDI": "OpaqueRef:root-vdi", "bootable": True, "mode": "RW"}})
    vdis = dict(ISO, **{"OpaqueRef:root-vdi": {"uuid": "uuid-root", "name_label": "root", "virtual_size": GiB, "SR": "OpaqueRef:sr1"}})
    view = VmView(ref="OpaqueRef:vm", record=vm_record(power_state="Running", resident_on="OpaqueRef:h2", tags=["b", "a"]),
                  vbds=vbds, vdis=vdis, vifs=vifs, guest_metrics={"networks": {"0/ipv4/0": "10.0.0.9"}}, pool=pool())
    vm = present(view)
    assert (vm["power_state"], vm["host"], vm["affinity"], vm["tags"], vm["firmware"]) == ("running", "host2", None, ["a", "b"], "bios")
    assert vm["disks"] == [{"uuid": "uuid-root", "name": "root", "size": GiB, "sr": "NFS", "userdevice": "0", "bootable": True, "mode": "RW"}]
    assert vm["cdrom"] == {"iso": "debian.iso", "uuid": "uuid-iso1", "userdevice": "3"}
    assert vm["networks"] == [{"device": "0", "mac": "02:00:00:00:00:01", "mtu": 1500, "network": "eth0 net", "network_uuid": "uuid-n0",
                               "ipv4": ["10.0.0.9"], "ipv6": []}]


# -- disks read on first use -------------------------------------------------------------------------

def test_a_power_transition_plans_without_the_disks_and_presenting_reads_them_once() -> None:
    loads = []

    def read_disks() -> t.Dict[str, t.Dict[str, t.Any]]:
        loads.append(1)
        return {"OpaqueRef:vdi1": {"uuid": "uuid-vdi1", "name_label": "root", "virtual_size": 10 * GiB, "SR": "OpaqueRef:sr1",
                                   "other_config": {}}}
    vbds = {"OpaqueRef:vbd1": {"type": "Disk", "userdevice": "0", "VDI": "OpaqueRef:vdi1", "bootable": True, "mode": "RW"}}
    view = VmView(ref="OpaqueRef:vm", record=vm_record(power_state="Running"), vbds=vbds, vdis=LazyRecords(read_disks), pool=pool())
    planned = resource.plan_changes(None, {"state": "halted"}, view)  # type: ignore[arg-type]  # planning never calls the server here
    assert [c.option for c in planned.changes] == ["power_state"]
    assert loads == []
    presented = present(view)
    assert presented["disks"] == [{"uuid": "uuid-vdi1", "name": "root", "size": 10 * GiB, "sr": "NFS", "userdevice": "0",
                                   "bootable": True, "mode": "RW"}]
    present(view)
    assert loads == [1]


def test_planning_the_disks_option_reads_the_disks() -> None:
    loads = []

    def read_disks() -> t.Dict[str, t.Dict[str, t.Any]]:
        loads.append(1)
        return {"OpaqueRef:vdi1": {"uuid": "uuid-vdi1", "name_label": "root", "virtual_size": 10 * GiB, "SR": "OpaqueRef:sr1",
                                   "other_config": {}, "VBDs": ["OpaqueRef:vbd1"]}}
    vdis = LazyRecords(read_disks)
    vbds = {"OpaqueRef:vbd1": {"type": "Disk", "userdevice": "0", "VDI": "OpaqueRef:vdi1", "bootable": True, "mode": "RW"}}
    view = VmView(ref="OpaqueRef:vm", record=vm_record(), vbds=vbds, vdis=vdis, pool=pool())
    ctx = PlanContext(None, {"disks": [{"size": "10GiB"}]}, view)  # type: ignore[arg-type]  # planning never calls the server here
    assert disks.plan(ctx) == []
    assert loads == [1]
