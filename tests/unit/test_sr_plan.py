# Copyright: (c) 2026, xen.xapi maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""xen_sr's decisions: drivers, creation arguments, in-place changes, the default SR, refusals and the view."""

from __future__ import annotations

import typing as t

import pytest

from ansible_collections.xen.xapi.plugins.module_utils._xapi.errors import ResourceError
from ansible_collections.xen.xapi.plugins.module_utils.storage.disk_users import DiskUser, SrDisks
from ansible_collections.xen.xapi.plugins.module_utils.storage.sr_plan import (
    check_destroyable,
    check_not_in_use,
    check_type,
    check_unchangeable,
    create_args,
    default_updates,
    hosts_with_other_config,
    metadata_setters,
    sr_view,
)

SMS = {"OpaqueRef:sm1": {"type": "nfs"}, "OpaqueRef:sm2": {"type": "lvm"}, "OpaqueRef:sm3": {"type": "iso"}}
HOSTS = {"OpaqueRef:h1": {"name_label": "host1"}, "OpaqueRef:h2": {"name_label": "host2"}}
NULL = "OpaqueRef:NULL"


def params(**options: t.Any) -> t.Dict[str, t.Any]:
    values: t.Dict[str, t.Any] = dict.fromkeys(("name", "description", "type", "device_config", "shared", "content_type", "sm_config",
                                                "other_config", "tags", "default", "uuid"))
    values.update(purge=False)
    values.update(options)
    return values


def sr(**fields: t.Any) -> t.Dict[str, t.Any]:
    record = {"uuid": "sr-uuid", "name_label": "NFS", "name_description": "", "type": "nfs", "content_type": "user", "shared": True,
              "physical_size": 100, "physical_utilisation": 10, "virtual_allocation": 50, "other_config": {}, "sm_config": {}, "tags": [],
              "PBDs": ["OpaqueRef:p1", "OpaqueRef:p2"], "VDIs": []}
    record.update(fields)
    return record


PBDS = {"OpaqueRef:p1": {"uuid": "p1", "host": "OpaqueRef:h1", "currently_attached": True, "device_config": {"server": "a", "password": "pw"}},
        "OpaqueRef:p2": {"uuid": "p2", "host": "OpaqueRef:h2", "currently_attached": False, "device_config": {"server": "b"}}}


def test_the_type_must_be_a_driver_of_the_pool() -> None:
    assert check_type("NFS", "x", SMS) == "nfs"
    with pytest.raises(ResourceError) as refused:
        check_type("zfs", "x", SMS)
    assert "no storage driver 'zfs'" in refused.value.msg and "iso, lvm, nfs" in refused.value.msg
    assert refused.value.details["error_code"] == "SR_UNKNOWN_DRIVER"
    with pytest.raises(ResourceError, match="type: required to create storage repository 'x'"):
        check_type(None, "x", SMS)


def test_create_args() -> None:
    args = create_args(params(name="NFS", device_config={"server": "a", "port": 2049}, shared=True, sm_config={"k": 1}), "OpaqueRef:h1", "nfs")
    assert args == ["OpaqueRef:h1", {"server": "a", "port": "2049"}, 0, "NFS", "", "nfs", "user", True, {"k": "1"}]
    assert create_args(params(name="ISO"), "OpaqueRef:h1", "iso")[6] == "iso"
    assert create_args(params(name="L", content_type="disk"), "OpaqueRef:h1", "lvm")[6] == "disk"


def test_type_content_type_and_host_cannot_change() -> None:
    check_unchangeable(sr(), params(type="NFS", content_type="user"), PBDS, ("OpaqueRef:h1", "host1"))
    with pytest.raises(ResourceError, match="type: storage repository 'NFS' is of type 'nfs'"):
        check_unchangeable(sr(), params(type="lvm"), PBDS, None)
    with pytest.raises(ResourceError, match="content_type"):
        check_unchangeable(sr(), params(content_type="iso"), PBDS, None)
    with pytest.raises(ResourceError, match="target_host: storage repository 'NFS' is not attached to host3"):
        check_unchangeable(sr(), params(), PBDS, ("OpaqueRef:h3", "host3"))


def test_metadata_setters() -> None:
    record = sr(sm_config={"driver": "x"}, tags=["a"])
    setters = metadata_setters(record, params(name="NFS2", description="d", shared=False, sm_config={"k": "v"}, tags=["b"], other_config={"o": 1}))
    assert [(s.option, s.method, s.value) for s in setters] == [
        ("name", "SR.set_name_label", "NFS2"), ("description", "SR.set_name_description", "d"), ("shared", "SR.set_shared", False),
        ("other_config", "SR.set_other_config", {"o": "1"}), ("sm_config", "SR.set_sm_config", {"driver": "x", "k": "v"}),
        ("tags", "SR.set_tags", ["a", "b"])]
    assert metadata_setters(record, params(name="NFS", shared=True, sm_config={}, tags=["a"], purge=True)) == []


def test_default_sr() -> None:
    pools = {"OpaqueRef:pool": {"default_SR": "OpaqueRef:other", "suspend_image_SR": "OpaqueRef:sr", "crash_dump_SR": "OpaqueRef:other"}}
    assert default_updates("OpaqueRef:sr", pools, None) == {}
    assert default_updates("OpaqueRef:sr", pools, False) == {}
    assert default_updates("OpaqueRef:sr", pools, True) == {"default_SR": "OpaqueRef:sr", "crash_dump_SR": "OpaqueRef:sr"}
    current = {"OpaqueRef:pool": {"default_SR": "OpaqueRef:sr", "suspend_image_SR": "OpaqueRef:sr", "crash_dump_SR": "OpaqueRef:x"}}
    assert default_updates("OpaqueRef:sr", current, True) == {}
    assert default_updates("OpaqueRef:sr", current, False) == {"default_SR": NULL, "suspend_image_SR": NULL}


def test_hosts_reaching_the_sr_with_other_settings() -> None:
    assert hosts_with_other_config(sr(), PBDS, HOSTS, None) == []
    assert hosts_with_other_config(sr(), PBDS, HOSTS, {"server": "a"}) == ["host2"]


def user(name: str, power_state: str) -> DiskUser:
    return DiskUser(name, name + "-uuid", power_state, "OpaqueRef:h1", name + " root")


def test_srs_in_use_by_running_or_suspended_vms_are_refused() -> None:
    disks = SrDisks({}, [user("db01", "Running"), user("legacy01", "Suspended"), user("off", "Halted")])
    with pytest.raises(ResourceError) as refused:
        check_not_in_use("NFS", disks.holding(), "forgotten")
    assert refused.value.msg.startswith("state=forgotten: the disks of storage repository 'NFS' are in use by db01 (Running, disk 'db01 root'), "
                                        "legacy01 (Suspended")
    assert [vm["vm"] for vm in refused.value.details["vms"]] == ["db01", "legacy01"]
    check_not_in_use("NFS", SrDisks({}, [user("off", "Halted")]).holding(), "absent")
    assert [u.vm_name for u in disks.live_on("OpaqueRef:h1")] == ["db01"]


def test_destroy_needs_an_empty_sr_with_a_pbd() -> None:
    vdis = {"OpaqueRef:v1": {"name_label": "data", "managed": True, "type": "user"}, "OpaqueRef:v2": {"name_label": "stats", "managed": True, "type": "rrd"}}
    with pytest.raises(ResourceError) as refused:
        check_destroyable("NFS", sr(), vdis)
    assert "still holds 1 disk(s) (data)" in refused.value.msg and "state=forgotten" in refused.value.msg
    check_destroyable("NFS", sr(), {"OpaqueRef:v2": vdis["OpaqueRef:v2"]})
    with pytest.raises(ResourceError, match="has no PBD"):
        check_destroyable("NFS", sr(PBDs=[]), {})


def test_view_masks_secrets_and_sorts_pbds() -> None:
    pools = {"OpaqueRef:pool": {"default_SR": "OpaqueRef:sr"}}
    view = sr_view("OpaqueRef:sr", sr(VDIs=["OpaqueRef:v"]), PBDS, HOSTS, pools)
    assert view["default"] is True and view["vdi_count"] == 1 and view["size"] == 100 and view["utilisation"] == 10
    assert view["pbds"] == [{"uuid": "p1", "host": "host1", "plugged": True, "device_config": {"server": "a", "password": "********"}},
                            {"uuid": "p2", "host": "host2", "plugged": False, "device_config": {"server": "b"}}]
