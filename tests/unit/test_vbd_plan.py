# Copyright: (c) 2026, xen.xapi maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""xen_vbd's decisions: which drive, new drives, in-place changes, recreation, CD media and plugging."""

from __future__ import annotations

import dataclasses
import typing as t

import pytest

from ansible_collections.xen.xapi.plugins.module_utils._xapi.errors import ResourceError
from ansible_collections.xen.xapi.plugins.module_utils._setters import applied_together
from ansible_collections.xen.xapi.plugins.module_utils.disks.lookup import NULL_REF
from ansible_collections.xen.xapi.plugins.module_utils.disks.vbd_plan import (
    Wanted,
    create_record,
    device_position,
    find_drive,
    plan_drive,
    same_device,
    vbd_view,
)

DISK, ISO = "OpaqueRef:disk", "OpaqueRef:iso"


def wanted(**fields: t.Any) -> Wanted:
    values: t.Dict[str, t.Any] = dict(vdi_ref=None, vdi_name=None, vdi_read_only=False, userdevice=None, mode=None, type=None, bootable=None,
                                      unpluggable=None, other_config=None, purge=False, plugged=None)
    values.update(fields)
    return Wanted(**values)


def drive(uuid: str = "d1", **fields: t.Any) -> t.Dict[str, t.Any]:
    record = {"uuid": uuid, "VM": "OpaqueRef:vm", "VDI": DISK, "userdevice": "1", "device": "", "mode": "RW", "type": "Disk",
              "bootable": False, "unpluggable": True, "empty": False, "currently_attached": False, "other_config": {}}
    record.update(fields)
    return record


def vm(power_state: str = "Halted", vbds: t.Sequence[str] = ("OpaqueRef:d1",)) -> t.Dict[str, t.Any]:
    return {"name_label": "web01", "uuid": "vm-uuid", "power_state": power_state, "VBDs": list(vbds)}


def plan(record: t.Dict[str, t.Any], want: Wanted, power_state: str = "Halted", others: t.Optional[t.Dict[str, t.Any]] = None) -> t.Any:
    vbds = dict({"OpaqueRef:d1": record}, **(others or {}))
    return plan_drive(record, "data", vm(power_state, list(vbds)), vbds, want)


# --- device names -----------------------------------------------------------------------------

@pytest.mark.parametrize("name, position", [("0", 0), ("1", 1), ("xvdb", 1), ("hdc", 2), ("sdz", 25), ("xvdaa", 26), ("fda", None),
                                            ("", None), (None, None)])
def test_device_positions(name: t.Optional[str], position: t.Optional[int]) -> None:
    assert device_position(name) == position


def test_same_device_compares_positions_or_else_text() -> None:
    assert same_device("1", "xvdb") and same_device("fda", "fda") and not same_device("1", "2")


# --- which drive ------------------------------------------------------------------------------

def test_the_drive_is_found_by_position_then_by_disk_then_as_the_only_cd() -> None:
    vbds = {"OpaqueRef:d0": drive("d0", userdevice="0", VDI="OpaqueRef:root"), "OpaqueRef:d1": drive("d1"),
            "OpaqueRef:cd": drive("cd", userdevice="3", type="CD", VDI=NULL_REF, empty=True)}
    record = vm(vbds=list(vbds))
    assert find_drive(record, vbds, wanted(userdevice="xvdb"))[0] == "OpaqueRef:d1"
    assert find_drive(record, vbds, wanted(vdi_ref="OpaqueRef:root", userdevice="autodetect"))[0] == "OpaqueRef:d0"
    assert find_drive(record, vbds, wanted(type="CD", vdi_ref=ISO))[0] == "OpaqueRef:cd"
    assert find_drive(record, vbds, wanted(type="CD", vdi_ref=NULL_REF))[0] == "OpaqueRef:cd"
    assert find_drive(record, vbds, wanted(userdevice="5")) is None
    assert find_drive(record, vbds, wanted(vdi_ref="OpaqueRef:other")) is None


def test_a_drive_needs_a_position_or_a_disk_to_be_named() -> None:
    with pytest.raises(ResourceError, match="^userdevice: say which drive"):
        find_drive(vm(), {}, wanted())


def test_a_disk_attached_twice_is_ambiguous() -> None:
    vbds = {"OpaqueRef:a": drive("a"), "OpaqueRef:b": drive("b", userdevice="2")}
    with pytest.raises(ResourceError, match="matches 2 objects \\(a, b\\)"):
        find_drive(vm(vbds=list(vbds)), vbds, wanted(vdi_ref=DISK, vdi_name="data"))


# --- new drives -------------------------------------------------------------------------------

def test_a_new_disk_drive_defaults_to_rw_unpluggable_and_autodetect() -> None:
    record = create_record("OpaqueRef:vm", wanted(vdi_ref=DISK, other_config={"k": 1}))
    assert record == {"VM": "OpaqueRef:vm", "VDI": DISK, "userdevice": "autodetect", "bootable": False, "mode": "RW", "type": "Disk",
                      "unpluggable": True, "empty": False, "other_config": {"k": "1"}, "qos_algorithm_type": "", "qos_algorithm_params": {}}


def test_new_cd_drives_and_read_only_disks_default_to_ro() -> None:
    assert create_record("OpaqueRef:vm", wanted(vdi_ref=NULL_REF, type="CD"))["mode"] == "RO"
    assert create_record("OpaqueRef:vm", wanted(vdi_ref=NULL_REF, type="CD"))["empty"] is True
    assert create_record("OpaqueRef:vm", wanted(vdi_ref=DISK, vdi_read_only=True))["mode"] == "RO"


@pytest.mark.parametrize("want, message", [
    (wanted(), "^vdi: required to create a Disk drive"),
    (wanted(vdi_ref=NULL_REF), "^vdi: required"),
    (wanted(vdi_ref=ISO, type="CD", mode="RW"), "^mode: CD drives are read-only"),
    (wanted(vdi_ref=DISK, vdi_name="iso", vdi_read_only=True, mode="RW"), "^mode: disk 'iso' is read-only"),
])
def test_impossible_new_drives_are_refused_naming_the_option(want: Wanted, message: str) -> None:
    with pytest.raises(ResourceError, match=message):
        create_record("OpaqueRef:vm", want)


# --- existing drives --------------------------------------------------------------------------

def test_a_matching_drive_needs_nothing() -> None:
    result = plan(drive(), wanted(vdi_ref=DISK, userdevice="xvdb", mode="RW", type="Disk", bootable=False, unpluggable=True, other_config={}))
    assert (result.setters, result.recreate, result.media, result.plug, result.note) == ([], [], None, None, "")


def test_flags_maps_and_the_position_of_an_unplugged_drive_change_in_place() -> None:
    result = plan(drive(other_config={"a": "1"}), wanted(bootable=True, unpluggable=False, other_config={"b": "2"}, userdevice="4"))
    assert [(s.option, s.method, s.value) for s in result.setters] == [
        ("userdevice", "VBD.set_userdevice", "4"), ("bootable", "VBD.set_bootable", True),
        ("unpluggable", "VBD.set_unpluggable", False), ("other_config", "VBD.set_other_config", {"a": "1", "b": "2"})]
    assert result.recreate == [] and result.replacement is None


def test_moving_onto_a_taken_position_is_refused() -> None:
    with pytest.raises(ResourceError, match="^userdevice: VM 'web01' already has drive d2 at position 2"):
        plan(drive(), wanted(userdevice="2"), others={"OpaqueRef:d2": drive("d2", userdevice="2")})


def test_mode_change_on_a_running_vm_recreates_and_plugs_again() -> None:
    result = plan(drive(currently_attached=True, bootable=True), wanted(mode="RO", other_config={"k": "v"}), power_state="Running")
    assert result.recreate == [("mode", "RW", "RO"), ("other_config", {}, {"k": "v"})]
    assert result.plug is True and result.setters == []
    replacement = result.replacement
    assert (replacement.vdi_ref, replacement.userdevice, replacement.mode, replacement.type, replacement.bootable, replacement.unpluggable,
            replacement.other_config) == (DISK, "1", "RO", "Disk", True, True, {"k": "v"})
    assert create_record("OpaqueRef:vm", replacement)["mode"] == "RO"


def test_recreating_can_also_leave_the_new_drive_unplugged() -> None:
    result = plan(drive(currently_attached=True), wanted(type="CD", plugged=False), power_state="Running")
    assert result.recreate == [("type", "Disk", "CD"), ("mode", "RW", "RO"), ("currently_attached", True, False)]
    assert result.plug is False


def test_a_plugged_drive_that_is_not_unpluggable_cannot_be_recreated() -> None:
    with pytest.raises(ResourceError, match="not unpluggable"):
        plan(drive(currently_attached=True, unpluggable=False), wanted(mode="RO"), power_state="Running")
    with pytest.raises(ResourceError, match="Suspended"):
        plan(drive(currently_attached=True), wanted(mode="RO"), power_state="Suspended")


def test_another_disk_in_a_disk_drive_recreates_it_and_a_read_only_disk_gets_ro() -> None:
    result = plan(drive(), wanted(vdi_ref="OpaqueRef:other", vdi_name="other", vdi_read_only=True))
    assert result.recreate == [("mode", "RW", "RO"), ("vdi", "data", "other")]
    assert result.replacement.vdi_ref == "OpaqueRef:other"


def test_cd_media_is_inserted_swapped_and_ejected_in_place() -> None:
    empty_cd = drive(type="CD", mode="RO", VDI=NULL_REF, empty=True)
    inserted = plan(empty_cd, wanted(vdi_ref=ISO, vdi_name="debian.iso", type="CD"))
    assert (inserted.media, inserted.eject, inserted.insert, inserted.recreate) == (("vdi", "data", "debian.iso"), False, ISO, [])
    full_cd = drive(type="CD", mode="RO", VDI=ISO)
    swapped = plan(full_cd, wanted(vdi_ref="OpaqueRef:iso2", vdi_name="ubuntu.iso"))
    assert (swapped.eject, swapped.insert) == (True, "OpaqueRef:iso2")
    ejected = plan(full_cd, wanted(vdi_ref=NULL_REF, type="CD"))
    assert (ejected.media, ejected.eject, ejected.insert) == (("vdi", "data", ""), True, None)
    assert plan(empty_cd, wanted(vdi_ref=NULL_REF, type="CD")).media is None


def test_only_cd_drives_can_be_empty() -> None:
    with pytest.raises(ResourceError, match="^vdi: only CD drives can be empty"):
        plan(drive(), wanted(vdi_ref=NULL_REF))


def test_plugging_follows_the_power_state() -> None:
    assert plan(drive(), wanted(plugged=True), power_state="Running").plug is True
    assert plan(drive(currently_attached=True), wanted(plugged=False), power_state="Paused").plug is False
    halted = plan(drive(), wanted(plugged=True))
    assert halted.plug is None and "ignored" in halted.note and "Halted" in halted.note
    with pytest.raises(ResourceError, match="^plugged: VM 'web01' is Suspended"):
        plan(drive(currently_attached=True), wanted(plugged=False), power_state="Suspended")


def test_unplugging_needs_an_unpluggable_drive_unless_made_so_in_the_same_run() -> None:
    with pytest.raises(ResourceError, match="^plugged: .*not unpluggable"):
        plan(drive(currently_attached=True, unpluggable=False), wanted(plugged=False), power_state="Running")
    result = plan(drive(currently_attached=True, unpluggable=False), wanted(plugged=False, unpluggable=True), power_state="Running")
    assert [s.option for s in result.setters] == ["unpluggable"] and result.plug is False


# --- grouped changes and the view -------------------------------------------------------------

def test_changes_applied_together_run_their_action_once_at_the_end() -> None:
    calls: t.List[str] = []
    changes = applied_together([("mode", "RW", "RO"), ("type", "Disk", "CD")], lambda: calls.append("recreate"))
    assert [(c.option, c.before, c.after) for c in changes] == [("mode", "RW", "RO"), ("type", "Disk", "CD")]
    changes[0].apply()
    assert calls == []
    changes[1].apply()
    assert calls == ["recreate"]
    assert applied_together([], lambda: calls.append("never")) == []


def test_the_view_names_vm_and_disk_and_is_empty_for_an_empty_cd() -> None:
    view = vbd_view(drive(device="xvdb", currently_attached=True), vm(), {"name_label": "data", "uuid": "disk-uuid"})
    assert (view["vm"], view["vm_uuid"], view["vdi"], view["vdi_uuid"], view["device"]) == ("web01", "vm-uuid", "data", "disk-uuid", "xvdb")
    empty = vbd_view(drive(VDI=NULL_REF, empty=True, type="CD"), vm(), None)
    assert (empty["vdi"], empty["vdi_uuid"], empty["empty"]) == ("", "", True)


def test_wanted_is_a_value_object() -> None:
    assert dataclasses.replace(wanted(), mode="RO").mode == "RO"
    assert wanted(vdi_ref=NULL_REF).wants_empty and wanted().drive_type == "Disk"


def test_a_drive_holding_the_disk_is_moved_to_a_free_position_not_duplicated() -> None:
    vbds = {"OpaqueRef:d1": drive("d1")}
    assert find_drive(vm(vbds=list(vbds)), vbds, wanted(vdi_ref=DISK, userdevice="5"))[0] == "OpaqueRef:d1"
    assert find_drive(vm(vbds=list(vbds)), vbds, wanted(vdi_ref=ISO, type="CD", userdevice="5")) is None


def test_putting_a_disk_the_vm_already_has_into_another_drive_is_refused() -> None:
    root = drive("d1", userdevice="0", VDI="OpaqueRef:root")
    with pytest.raises(ResourceError, match="^vdi: disk 'data' is already attached to VM 'web01' at position 1, and position 0"):
        plan(root, wanted(vdi_ref=DISK, vdi_name="data", userdevice="0"), others={"OpaqueRef:d2": drive("d2")})
