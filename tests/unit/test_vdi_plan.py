# Copyright: (c) 2026, xen.xapi maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""xen_vdi's decisions: sizes, in-place changes, refusals, removal steps, the returned view, and lookups."""

from __future__ import annotations

import typing as t

import pytest

from ansible_collections.xen.xapi.plugins.module_utils._xapi.errors import ResourceError
from ansible_collections.xen.xapi.plugins.module_utils._setters import map_setter, tags_setter
from ansible_collections.xen.xapi.plugins.module_utils.disks.lookup import pool_default_sr, resolve_sr, resolve_vdi, vdi_candidates
from ansible_collections.xen.xapi.plugins.module_utils.disks.vdi_plan import (
    SIZE_ROUNDING_SLACK,
    Attachment,
    attachments,
    check_copy,
    check_unchangeable,
    create_record,
    driver_capabilities,
    metadata_setters,
    parse_size_option,
    removal_steps,
    resize_method,
    size_target,
    vdi_view,
)

GIB = 1024 ** 3


def vdi(**fields: t.Any) -> t.Dict[str, t.Any]:
    record = {"uuid": "vdi-uuid", "name_label": "data", "name_description": "", "SR": "OpaqueRef:sr", "virtual_size": 10 * GIB,
              "physical_utilisation": GIB, "type": "user", "sharable": False, "read_only": False, "other_config": {},
              "sm_config": {}, "tags": [], "VBDs": [], "is_a_snapshot": False}
    record.update(fields)
    return record


def params(**options: t.Any) -> t.Dict[str, t.Any]:
    values: t.Dict[str, t.Any] = dict.fromkeys(("name", "description", "sharable", "read_only", "other_config", "sm_config", "tags", "type",
                                                "size", "source", "sr", "uuid"))
    values.update(purge=False, force=False)
    values.update(options)
    return values


def user(vm_name: str, power_state: str, plugged: bool, unpluggable: bool = True, userdevice: str = "1") -> Attachment:
    vbd = {"uuid": "vbd-" + vm_name, "VM": "OpaqueRef:" + vm_name, "userdevice": userdevice, "device": "xvdb" if plugged else "",
           "mode": "RW", "currently_attached": plugged, "unpluggable": unpluggable}
    return Attachment("OpaqueRef:vbd-" + vm_name, vbd, vbd["VM"], {"name_label": vm_name, "uuid": vm_name + "-uuid", "power_state": power_state})


# --- sizes ------------------------------------------------------------------------------------

@pytest.mark.parametrize("value, expected", [(None, None), ("10GiB", 10 * GIB), (4096, 4096), ("1.5 GiB", 3 * GIB // 2), ("2GB", 2 * GIB)])
def test_size_option_accepts_bytes_and_units(value: t.Any, expected: t.Optional[int]) -> None:
    assert parse_size_option(value) == expected


@pytest.mark.parametrize("value", ["ten", "10 parsecs", 0, "-1GiB", True])
def test_size_option_refusals_name_the_option(value: t.Any) -> None:
    with pytest.raises(ResourceError, match="^size: "):
        parse_size_option(value)


def test_growing_gives_the_new_size_and_equal_sizes_change_nothing() -> None:
    assert size_target(10 * GIB, 20 * GIB) == 20 * GIB
    assert size_target(10 * GIB, 10 * GIB) is None
    assert size_target(10 * GIB, None) is None


def test_a_size_rounded_up_by_the_storage_is_not_a_shrink() -> None:
    assert size_target(10 * GIB + SIZE_ROUNDING_SLACK - 1, 10 * GIB) is None


def test_shrinking_is_refused_with_both_sizes() -> None:
    with pytest.raises(ResourceError, match="never shrink") as caught:
        size_target(20 * GIB, 10 * GIB)
    assert "20 GiB" in caught.value.msg and "10 GiB" in caught.value.msg
    assert caught.value.details == {"current_size": 20 * GIB, "requested_size": 10 * GIB}


# --- in-place changes and refusals ------------------------------------------------------------

def test_no_option_set_means_no_change() -> None:
    assert metadata_setters(vdi(), params()) == []


def test_each_metadata_option_maps_to_its_setter() -> None:
    setters = metadata_setters(vdi(tags=["a"], other_config={"k": "v"}), params(
        name="renamed", description="new", sharable=True, read_only=True, other_config={"x": 1}, sm_config={"y": "2"}, tags=["b"]))
    assert [(s.option, s.method, s.value) for s in setters] == [
        ("name", "VDI.set_name_label", "renamed"),
        ("description", "VDI.set_name_description", "new"),
        ("sharable", "VDI.set_sharable", True),
        ("read_only", "VDI.set_read_only", True),
        ("other_config", "VDI.set_other_config", {"k": "v", "x": "1"}),
        ("sm_config", "VDI.set_sm_config", {"y": "2"}),
        ("tags", "VDI.set_tags", ["a", "b"]),
    ]


def test_purge_makes_other_config_and_tags_exact_but_never_touches_other_sm_config_keys() -> None:
    record = vdi(other_config={"old": "1", "keep": "2"}, sm_config={"vhd-parent": "p"}, tags=["old", "keep"])
    options = params(purge=True, other_config={"keep": "2"}, sm_config={"mine": "x"}, tags=["keep"])
    setters = dict((s.option, s.value) for s in metadata_setters(record, options))
    assert setters == {"other_config": {"keep": "2"}, "sm_config": {"vhd-parent": "p", "mine": "x"}, "tags": ["keep"]}


def test_tags_in_another_order_are_the_same_tags() -> None:
    assert tags_setter(["a", "b"], ["b", "a"], True, "VDI.set_tags") == []
    assert tags_setter(["a", "b"], ["b"], False, "VDI.set_tags") == []
    assert map_setter("other_config", {"a": "1"}, {"a": 1}, False, "m") == []


def test_the_type_of_an_existing_disk_cannot_change() -> None:
    check_unchangeable(vdi(), params(type="user"), None)
    with pytest.raises(ResourceError, match="^type: .*'system'"):
        check_unchangeable(vdi(), params(type="system"), None)


def test_a_disk_found_by_uuid_in_another_sr_is_not_moved() -> None:
    check_unchangeable(vdi(), params(), "OpaqueRef:sr")
    with pytest.raises(ResourceError, match="^sr: .*source"):
        check_unchangeable(vdi(), params(), "OpaqueRef:other")


def test_create_record_has_every_constructor_field_with_defaults() -> None:
    record = create_record(params(name="data", other_config={"a": 1}, tags=["x", "x"]), "OpaqueRef:sr", GIB)
    assert record == {"name_label": "data", "name_description": "", "SR": "OpaqueRef:sr", "virtual_size": GIB, "type": "user",
                      "sharable": False, "read_only": False, "other_config": {"a": "1"}, "xenstore_data": {}, "sm_config": {}, "tags": ["x"]}


def test_a_copy_keeps_the_source_type_and_cannot_be_smaller() -> None:
    check_copy(vdi(), params(), None)
    check_copy(vdi(), params(type="user"), 20 * GIB)
    with pytest.raises(ResourceError, match="^type: "):
        check_copy(vdi(), params(type="system"), None)
    with pytest.raises(ResourceError, match="never shrink"):
        check_copy(vdi(), params(), GIB)


# --- growing a disk in use --------------------------------------------------------------------

def test_a_disk_unused_by_running_guests_grows_offline() -> None:
    assert resize_method("data", [user("build01", "Halted", False), user("web01", "Running", False)], []) == "VDI.resize"


def test_a_disk_plugged_into_a_running_guest_grows_online_when_the_driver_can() -> None:
    assert resize_method("data", [user("web01", "Running", True)], ["VDI_RESIZE_ONLINE"]) == "VDI.resize_online"
    with pytest.raises(ResourceError, match="^size: .*'web01'.*plugged=false"):
        resize_method("data", [user("web01", "Running", True)], ["VDI_RESIZE"])


def test_driver_capabilities_come_from_the_sm_record_of_the_sr_type() -> None:
    sms = {"OpaqueRef:sm1": {"type": "lvm", "capabilities": ["VDI_RESIZE"]}, "OpaqueRef:sm2": {"type": "nfs", "capabilities": ["X"]}}
    assert driver_capabilities({"type": "nfs"}, sms) == ["X"]
    assert driver_capabilities({"type": "zfs"}, sms) == []


# --- removal ----------------------------------------------------------------------------------

def test_a_disk_of_a_halted_vm_is_only_detached() -> None:
    steps = removal_steps("data", [user("build01", "Halted", False)], force=False)
    assert [(step.action, step.user.vm_name) for step in steps] == [("detach", "build01")]
    assert steps[0].describe() == ("build01: attached at position 1", "build01: detached")


def test_a_disk_in_use_by_a_running_vm_needs_force() -> None:
    with pytest.raises(ResourceError, match="force=true") as caught:
        removal_steps("data", [user("web01", "Running", True)], force=False)
    assert caught.value.details == {"vm": "web01", "power_state": "Running"}
    steps = removal_steps("data", [user("web01", "Running", True)], force=True)
    assert [step.action for step in steps] == ["unplug", "detach"]
    assert steps[0].describe() == ("web01: plugged as xvdb", "web01: unplugged")


def test_removal_is_refused_when_the_drive_cannot_be_unplugged() -> None:
    with pytest.raises(ResourceError, match="not unpluggable"):
        removal_steps("data", [user("web01", "Running", True, unpluggable=False)], force=True)
    with pytest.raises(ResourceError, match="Suspended"):
        removal_steps("data", [user("legacy01", "Suspended", True)], force=True)


# --- view and attachments ---------------------------------------------------------------------

def test_the_view_names_the_sr_and_lists_attached_vms_sorted() -> None:
    vbds = {"OpaqueRef:b1": {"uuid": "b1", "VM": "OpaqueRef:vm2", "userdevice": "1", "device": "", "mode": "RW", "currently_attached": False},
            "OpaqueRef:b2": {"uuid": "b2", "VM": "OpaqueRef:vm1", "userdevice": "2", "device": "xvdc", "mode": "RO", "currently_attached": True}}
    vms = {"OpaqueRef:vm1": {"name_label": "alpha", "uuid": "u1", "power_state": "Running"},
           "OpaqueRef:vm2": {"name_label": "beta", "uuid": "u2", "power_state": "Halted"}}
    record = vdi(VBDs=["OpaqueRef:b1", "OpaqueRef:b2", "OpaqueRef:gone"])
    view = vdi_view(record, {"OpaqueRef:sr": {"name_label": "NFS", "uuid": "sr-uuid"}}, attachments(record, vbds, vms))
    assert view["sr"] == "NFS" and view["sr_uuid"] == "sr-uuid" and view["size"] == 10 * GIB
    assert [(vm["name"], vm["device"], vm["currently_attached"]) for vm in view["vms"]] == [("alpha", "xvdc", True), ("beta", "", False)]


# --- lookups ----------------------------------------------------------------------------------

SRS = {"OpaqueRef:sr1": {"uuid": "s1", "name_label": "Local"}, "OpaqueRef:sr2": {"uuid": "s2", "name_label": "Local"},
       "OpaqueRef:sr3": {"uuid": "s3", "name_label": "NFS"}}


def test_srs_resolve_by_uuid_or_unique_name() -> None:
    assert resolve_sr(SRS, "s2")[0] == "OpaqueRef:sr2"
    assert resolve_sr(SRS, "NFS")[0] == "OpaqueRef:sr3"
    with pytest.raises(ResourceError, match="^sr: .*'Local' matches 2 objects \\(s1, s2\\)"):
        resolve_sr(SRS, "Local")
    with pytest.raises(ResourceError, match="^sr: no storage repository .*Known names: Local, NFS"):
        resolve_sr(SRS, "nowhere")


def test_the_default_sr_comes_from_the_pool() -> None:
    assert pool_default_sr({"OpaqueRef:p": {"default_SR": "OpaqueRef:sr3"}}, SRS)[0] == "OpaqueRef:sr3"
    with pytest.raises(ResourceError, match="no default storage repository"):
        pool_default_sr({"OpaqueRef:p": {"default_SR": "OpaqueRef:NULL"}}, SRS)


def test_vdi_names_skip_snapshots_and_other_srs_but_uuids_match_anywhere() -> None:
    vdis = {"OpaqueRef:a": vdi(uuid="a", SR="OpaqueRef:sr1"), "OpaqueRef:b": vdi(uuid="b", SR="OpaqueRef:sr3"),
            "OpaqueRef:s": vdi(uuid="s", SR="OpaqueRef:sr1", is_a_snapshot=True)}
    assert [match[0] for match in vdi_candidates(vdis, "data")] == ["OpaqueRef:a", "OpaqueRef:b"]
    assert [match[0] for match in vdi_candidates(vdis, "data", "OpaqueRef:sr1")] == ["OpaqueRef:a"]
    assert resolve_vdi(vdis, "s", "OpaqueRef:sr3", "vdi")[0] == "OpaqueRef:s"
    with pytest.raises(ResourceError, match="^source: .*matches 2 objects"):
        resolve_vdi(vdis, "data", None, "source")
    with pytest.raises(ResourceError, match="^vdi: no virtual disk .*in that storage repository"):
        resolve_vdi(vdis, "data", "OpaqueRef:sr2", "vdi")
