# Copyright: (c) 2026, xen.xapi maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Disk matching and disk plans of xen_vm, computed from records only."""

from __future__ import annotations

import typing as t

import pytest

from ansible_collections.xen.xapi.plugins.module_utils._xapi.errors import ResourceError
from ansible_collections.xen.xapi.plugins.module_utils.vm import disks
from ansible_collections.xen.xapi.plugins.module_utils.vm.common import PlanContext
from ansible_collections.xen.xapi.plugins.module_utils.vm.options import disk_specs
from ansible_collections.xen.xapi.plugins.module_utils.vm.slots import free_slots, new_cd_slot
from ansible_collections.xen.xapi.plugins.module_utils.vm.view import PoolObjects, VmView

GiB = 1024 ** 3
MiB = 1024 ** 2


def drive(slot: str, name: str, size: int, attached: bool = False, **vdi_fields: t.Any) -> t.Tuple[dict, dict]:
    vbd = {"type": "Disk", "userdevice": slot, "VDI": "OpaqueRef:vdi" + slot, "empty": False, "bootable": slot == "0",
           "mode": "RW", "currently_attached": attached, "allowed_operations": ["unplug"] if slot != "0" else []}
    vdi = dict({"uuid": "uuid-" + slot, "name_label": name, "virtual_size": size, "SR": "OpaqueRef:sr1",
                "VBDs": ["OpaqueRef:vbd" + slot], "allowed_operations": []}, **vdi_fields)
    return vbd, vdi


def view(*drives: t.Tuple[dict, dict], power_state: str = "Halted", cd_slot: t.Optional[str] = None) -> VmView:
    vbds = dict(("OpaqueRef:vbd" + vbd["userdevice"], vbd) for vbd, _vdi in drives)
    vdis = dict((vbd["VDI"], vdi) for vbd, vdi in drives)
    if cd_slot:
        vbds["OpaqueRef:cd"] = {"type": "CD", "userdevice": cd_slot, "VDI": "OpaqueRef:NULL", "empty": True}
    srs = {"OpaqueRef:sr1": {"uuid": "uuid-sr1", "name_label": "NFS"}, "OpaqueRef:sr2": {"uuid": "uuid-sr2", "name_label": "Local"}}
    return VmView(ref="OpaqueRef:vm", record={"name_label": "vm1", "power_state": power_state}, vbds=vbds, vdis=vdis,
                  pool=PoolObjects(srs=srs, pool={"default_SR": "OpaqueRef:sr1"}))


def plan(params: dict, vm: VmView) -> t.List[t.Tuple[str, t.Any, t.Any, bool]]:
    changes = disks.plan(PlanContext(None, params, vm))  # type: ignore[arg-type]  # no server call on these paths
    return [(c.option, c.before, c.after, c.offline) for c in changes]


SYSTEM, DATA = drive("0", "system", 10 * GiB), drive("2", "data", GiB)
# A running VM's disks are plugged in.
RUNNING_SYSTEM = drive("0", "system", 10 * GiB, attached=True)


def test_items_match_by_vdi_then_slot_then_position() -> None:
    existing = disks.drives(view(SYSTEM, DATA))
    specs = disk_specs({"disks": [{"size": "1GiB"}, {"vdi": "data"}]}) or []
    assert disks.match_drives(specs, existing) == ({1: 1, 0: 0}, [])
    specs = disk_specs({"disks": [{"userdevice": "2"}, {}, {}]}) or []
    assert disks.match_drives(specs, existing) == ({0: 1, 1: 0}, [])
    specs = disk_specs({"disks": [{"userdevice": "5"}]}) or []
    assert disks.match_drives(specs, existing) == ({}, [0, 1])


def test_a_slot_holding_another_disk_cannot_take_a_vdi() -> None:
    specs = disk_specs({"disks": [{"vdi": "other", "userdevice": "2"}]}) or []
    with pytest.raises(ResourceError, match=r"disks\[0\].vdi: slot 2 already holds another disk"):
        disks.match_drives(specs, disks.drives(view(SYSTEM, DATA)))


def test_growing_a_disk_in_use_needs_the_vm_halted_unless_online_resize_is_allowed() -> None:
    params = {"disks": [{}, {"size": "2GiB"}]}
    assert plan(params, view(SYSTEM, DATA)) == [("disks[1].size", "1 GiB", "2 GiB", False)]
    in_use = drive("2", "data", GiB, attached=True)
    assert plan(params, view(RUNNING_SYSTEM, in_use, power_state="Running")) == [("disks[1].size", "1 GiB", "2 GiB", True)]
    online = drive("2", "data", GiB, attached=True, allowed_operations=["resize_online"])
    assert plan(params, view(RUNNING_SYSTEM, online, power_state="Running")) == [("disks[1].size", "1 GiB", "2 GiB", False)]


def test_a_listed_drive_left_unplugged_in_a_running_vm_is_plugged_in() -> None:
    params = {"disks": [{}, {}]}
    assert plan(params, view(RUNNING_SYSTEM, DATA, power_state="Running")) == [("disks[1].attached", False, True, False)]
    # Not when the VM is meant to stop, nor when it is not running: a start plugs every drive anyway.
    assert plan(dict(params, state="halted"), view(RUNNING_SYSTEM, DATA, power_state="Running")) == []
    assert plan(params, view(SYSTEM, DATA)) == []


def test_shrinking_is_refused_but_rounding_is_tolerated() -> None:
    with pytest.raises(ResourceError, match=r"disks\[1\].size: disk 'data' is 1 GiB; XAPI cannot shrink a disk to 512 MiB"):
        plan({"disks": [{}, {"size": "512MiB"}]}, view(SYSTEM, DATA))
    assert plan({"disks": [{}, {"size": 1020}]}, view(SYSTEM, DATA)) == []


def test_renames_bootable_and_mode() -> None:
    params = {"disks": [{"name": "root", "bootable": False}, {"mode": "RO"}]}
    assert plan(params, view(SYSTEM, DATA)) == [
        ("disks[0].name", "system", "root", False), ("disks[0].bootable", True, False, False), ("disks[1].mode", "RW", "RO", True)]


def test_new_disks_take_free_slots_around_the_cd_slot() -> None:
    params = {"disks": [{}, {}, {}, {"size": "1GiB"}, {"size": 512, "sr": "Local", "name": "scratch"}], "cdrom": {"iso": "x.iso"}}
    vm = view(SYSTEM, drive("1", "one", GiB), drive("2", "two", GiB))
    assert plan(params, vm) == [("disks[3]", None, "vm1 disk 4 (1 GiB) on NFS in slot 4", False),
                                ("disks[4]", None, "scratch (512 MiB) on Local in slot 5", False)]


def test_new_disk_errors() -> None:
    with pytest.raises(ResourceError, match=r"disks\[1\].size: a new disk needs a size"):
        plan({"disks": [{}, {"name": "x"}]}, view(SYSTEM))
    with pytest.raises(ResourceError, match=r"disks\[1\].userdevice: slot 3 is taken by a CD drive"):
        plan({"disks": [{}, {"size": 1, "userdevice": 3}]}, view(SYSTEM, cd_slot="3"))
    with pytest.raises(ResourceError, match=r"disks\[0\].sr: disk 'system' is on SR 'NFS'"):
        plan({"disks": [{"sr": "Local"}]}, view(SYSTEM))


def test_unmatched_drives_are_purged_only_when_asked() -> None:
    assert plan({"disks": [{}]}, view(SYSTEM, DATA)) == []
    assert plan({"disks": [{}], "purge_disks": True}, view(SYSTEM, DATA)) == [
        ("disks", {"userdevice": "2", "name": "data", "size": "1 GiB"}, None, False)]
    # A system disk that cannot be hot-unplugged from a running VM needs it halted.
    running = view(drive("0", "system", GiB, attached=True), power_state="Running")
    assert plan({"disks": [], "purge_disks": True}, running)[0][3] is True


def test_slots() -> None:
    assert list(free_slots(["0", "1"], ["3", None]))[:3] == ["2", "4", "5"]
    assert new_cd_slot(view(SYSTEM), {"cdrom": {"iso": "x.iso"}}) == "3"
    assert new_cd_slot(view(SYSTEM), {"cdrom": {"iso": "x.iso"}, "disks": [{"userdevice": "3"}]}) == "4"
    assert new_cd_slot(view(SYSTEM, cd_slot="5"), {"cdrom": {"iso": "x.iso"}}) is None
    assert new_cd_slot(view(SYSTEM), {"cdrom": {"iso": ""}}) is None
