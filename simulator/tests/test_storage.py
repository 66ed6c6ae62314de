"""Storage in the simulator (SR, PBD, VDI, VBD) through the official XenAPI client over HTTP.

The demo pool has three hosts, a local LVM SR per host, a shared NFS SR (the pool default), an
ISO library, and guests: web01 (running on host1), db01 (running, two disks), build01 (halted),
legacy01 (suspended). Each test makes the objects it changes, so the tests run in any order.
"""

from __future__ import annotations

import time
from typing import Any, Iterator

import pytest
import XenAPI
from xapi_helpers import failure


GIB = 1024 ** 3


@pytest.fixture(name="api", scope="module")
def fixture_api(sim_http: Any) -> Iterator[Any]:
    """One XenAPI session on the demo pool for the whole module."""
    session = XenAPI.Session(sim_http.url)
    session.xenapi.login_with_password(sim_http.info["username"], sim_http.info["password"], "1.0", "test_storage")
    try:
        yield session.xenapi
    finally:
        session.xenapi.session.logout()


def vm_named(api: Any, name: str) -> str:
    return api.VM.get_by_name_label(name)[0]


def sr_of_type(api: Any, sr_type: str) -> str:
    return next(ref for ref, rec in api.SR.get_all_records().items() if rec["type"] == sr_type)


def new_disk(api: Any, sr: str, size: int = GIB, name: str = "test disk", read_only: bool = False) -> str:
    return api.VDI.create({"name_label": name, "name_description": "", "SR": sr, "virtual_size": str(size), "type": "user",
                           "sharable": False, "read_only": read_only, "other_config": {}, "xenstore_data": {},
                           "sm_config": {}, "tags": []})


def vbd_record(vm: str, vdi: str, *, userdevice: str = "autodetect", vbd_type: str = "Disk", mode: str = "RW",  # pylint: disable=too-many-arguments
               empty: bool = False) -> dict[str, Any]:
    return {"VM": vm, "VDI": vdi, "userdevice": userdevice, "bootable": False, "mode": mode, "type": vbd_type,
            "unpluggable": True, "empty": empty, "other_config": {}, "qos_algorithm_type": "", "qos_algorithm_params": {}}


def iso_named(api: Any, name: str) -> str:
    return api.VDI.get_by_name_label(name)[0]


def root_vbd(api: Any, vm: str) -> str:
    return next(vbd for vbd in api.VM.get_VBDs(vm) if api.VBD.get_userdevice(vbd) == "0")


# ---- VDI and VBD: the SDK's walk-through -------------------------------------------------------


def test_blank_disk_hotplugged_into_running_vm(api: Any) -> None:
    sr = api.pool.get_default_SR(api.pool.get_all()[0])
    allocated = int(api.SR.get_virtual_allocation(sr))
    vdi = new_disk(api, sr, 4 * GIB, name="hotplug data")
    record = api.VDI.get_record(vdi)
    assert (record["SR"], record["virtual_size"], record["managed"], record["location"]) == (sr, str(4 * GIB), True, record["uuid"])
    assert int(api.SR.get_virtual_allocation(sr)) == allocated + 4 * GIB

    web01 = vm_named(api, "web01")
    vbd = api.VBD.create(vbd_record(web01, vdi))
    created = api.VBD.get_record(vbd)
    assert (created["userdevice"], created["device"], created["currently_attached"]) == ("1", "", False)
    assert "plug" in created["allowed_operations"]

    api.VBD.plug(vbd)
    plugged = api.VBD.get_record(vbd)
    assert (plugged["currently_attached"], plugged["device"]) == (True, "xvdb")
    assert sorted(api.VDI.get_allowed_operations(vdi)) == ["clone", "snapshot"]
    assert failure(api.VDI.destroy, vdi) == ["VDI_IN_USE", vdi, "destroy"]

    api.VBD.unplug(vbd)
    assert api.VBD.get_currently_attached(vbd) is False
    api.VBD.destroy(vbd)
    api.VDI.destroy(vdi)
    assert int(api.SR.get_virtual_allocation(sr)) == allocated


def test_autodetect_takes_the_first_free_slot_and_taken_slots_are_refused(api: Any) -> None:
    db01 = vm_named(api, "db01")  # disks 0 and 1
    sr = sr_of_type(api, "nfs")
    vbd = api.VBD.create(vbd_record(db01, new_disk(api, sr)))
    assert api.VBD.get_userdevice(vbd) == "2"
    spare = new_disk(api, sr)
    assert failure(api.VBD.create, vbd_record(db01, spare, userdevice="0")) == ["DEVICE_ALREADY_EXISTS", "0"]
    assert failure(api.VBD.create, vbd_record(db01, spare, userdevice="xvdb")) == ["DEVICE_ALREADY_EXISTS", "xvdb"]
    assert failure(api.VBD.create, vbd_record(db01, spare, userdevice="disk9")) == ["INVALID_DEVICE", "disk9"]


def test_vbd_constructor_errors(api: Any) -> None:
    build01 = vm_named(api, "build01")
    iso = iso_named(api, "debian-12.7.0-amd64-netinst.iso")
    assert failure(api.VBD.create, vbd_record(build01, iso, vbd_type="CD", mode="RW")) == ["VBD_CDS_MUST_BE_READONLY"]
    assert failure(api.VBD.create, vbd_record(build01, iso)) == ["VDI_READONLY", iso]
    assert failure(api.VBD.create, vbd_record(build01, "OpaqueRef:NULL", empty=True)) == ["VBD_NOT_REMOVABLE_MEDIA", "in constructor"]
    missing = vbd_record(build01, iso)
    del missing["mode"]
    assert failure(api.VBD.create, missing) == ["FIELD_TYPE_ERROR", "mode"]


def test_plug_and_unplug_errors(api: Any) -> None:
    build01, web01 = vm_named(api, "build01"), vm_named(api, "web01")
    halted_vbd = api.VBD.create(vbd_record(build01, new_disk(api, sr_of_type(api, "nfs"))))
    assert failure(api.VBD.plug, halted_vbd) == ["VM_BAD_POWER_STATE", build01, "running", "halted"]
    assert failure(api.VBD.unplug, halted_vbd) == ["VM_BAD_POWER_STATE", build01, "running", "halted"]

    root = root_vbd(api, web01)  # attached, and not unpluggable
    assert failure(api.VBD.plug, root) == ["DEVICE_ALREADY_ATTACHED", root]
    assert failure(api.VBD.unplug, root) == ["VBD_NOT_UNPLUGGABLE", root]
    assert failure(api.VBD.unplug_force, root) == ["VBD_NOT_UNPLUGGABLE", root]
    vm_uuid, vbd_uuid = api.VM.get_uuid(web01), api.VBD.get_uuid(root)
    assert failure(api.VBD.destroy, root) == ["OPERATION_NOT_ALLOWED", f"VBD '{vbd_uuid}' still attached to '{vm_uuid}'"]

    spare = api.VBD.create(vbd_record(web01, new_disk(api, sr_of_type(api, "nfs"))))
    assert failure(api.VBD.unplug, spare) == ["DEVICE_ALREADY_DETACHED", spare]
    api.VBD.plug(spare)
    api.VBD.unplug_force(spare)
    assert api.VBD.get_currently_attached(spare) is False


def test_cd_drive_insert_and_eject(api: Any) -> None:
    build01 = vm_named(api, "build01")
    drive = api.VBD.create(vbd_record(build01, "OpaqueRef:NULL", userdevice="3", vbd_type="CD", mode="RO", empty=True))
    assert (api.VBD.get_empty(drive), api.VBD.get_VDI(drive)) == (True, "OpaqueRef:NULL")
    assert "insert" in api.VBD.get_allowed_operations(drive)
    assert failure(api.VBD.eject, drive) == ["VBD_IS_EMPTY", drive]

    iso = iso_named(api, "ubuntu-24.04.1-live-server-amd64.iso")
    api.VBD.insert(drive, iso)
    assert (api.VBD.get_empty(drive), api.VBD.get_VDI(drive)) == (False, iso)
    assert failure(api.VBD.insert, drive, iso) == ["VBD_NOT_EMPTY", drive]
    api.VBD.eject(drive)
    assert (api.VBD.get_empty(drive), api.VBD.get_VDI(drive)) == (True, "OpaqueRef:NULL")

    disk = root_vbd(api, build01)
    assert failure(api.VBD.insert, disk, iso) == ["VBD_NOT_REMOVABLE_MEDIA", disk]
    assert failure(api.VBD.eject, disk) == ["VBD_NOT_REMOVABLE_MEDIA", disk]


def test_cd_drives_of_running_and_suspended_guests(api: Any) -> None:
    web01, legacy01 = vm_named(api, "web01"), vm_named(api, "legacy01")
    iso = iso_named(api, "xcp-ng-guest-tools.iso")
    drive = api.VBD.create(vbd_record(web01, "OpaqueRef:NULL", vbd_type="CD", mode="RO", empty=True))
    api.VBD.insert(drive, iso)  # a running guest changes media without a hotplug
    assert failure(api.VBD.plug, drive) == ["OPERATION_NOT_ALLOWED", "HVM CDROMs cannot be hotplugged/unplugged, only inserted or ejected"]
    api.VBD.eject(drive)

    suspended = api.VBD.create(vbd_record(legacy01, "OpaqueRef:NULL", vbd_type="CD", mode="RO", empty=True))
    assert failure(api.VBD.insert, suspended, iso) == ["VM_BAD_POWER_STATE", legacy01, "halted, running", "suspended"]


def test_vdi_resize_grows_only_within_the_sr(api: Any) -> None:
    sr = sr_of_type(api, "nfs")
    vdi = new_disk(api, sr, 2 * GIB)
    allocated = int(api.SR.get_virtual_allocation(sr))
    api.VDI.resize(vdi, str(3 * GIB))
    assert api.VDI.get_virtual_size(vdi) == str(3 * GIB)
    assert int(api.SR.get_virtual_allocation(sr)) == allocated + GIB
    assert failure(api.VDI.resize, vdi, str(GIB)) == ["SR_BACKEND_FAILURE_79", "", "VDI Invalid size [opterr=shrinking not allowed]", ""]

    free = int(api.SR.get_physical_size(sr)) - int(api.SR.get_virtual_allocation(sr))
    too_big = 3 * GIB + free + 1
    assert failure(api.VDI.resize, vdi, str(too_big)) == ["SR_FULL", str(free + 1), str(free)]
    assert failure(new_disk, api, sr, free + 1) == ["SR_FULL", str(free + 1), str(free)]
    assert failure(api.VDI.resize_online, vdi, str(4 * GIB)) == ["SR_OPERATION_NOT_SUPPORTED", sr]

    vbd = api.VBD.create(vbd_record(vm_named(api, "web02"), vdi))
    api.VBD.plug(vbd)
    assert failure(api.VDI.resize, vdi, str(4 * GIB)) == ["VDI_IN_USE", vdi, "resize"]


def test_vdi_snapshot_clone_and_copy(api: Any) -> None:
    nfs, local = sr_of_type(api, "nfs"), api.SR.get_by_name_label("Local storage on host2")[0]
    vdi = new_disk(api, nfs, GIB, name="source")
    snap = api.VDI.snapshot(vdi, {})
    snap_record = api.VDI.get_record(snap)
    assert (snap_record["is_a_snapshot"], snap_record["snapshot_of"], snap_record["name_label"]) == (True, vdi, "source")
    assert api.VDI.get_snapshots(vdi) == [snap]
    clone = api.VDI.clone(vdi, {})
    assert (api.VDI.get_is_a_snapshot(clone), api.VDI.get_SR(clone)) == (False, nfs)

    copy = api.VDI.copy(iso_named(api, "Win2022_EN-US.iso"), local, "OpaqueRef:NULL", "OpaqueRef:NULL")
    assert (api.VDI.get_SR(copy), api.VDI.get_read_only(copy)) == (local, False)
    small = new_disk(api, local, GIB // 2)
    assert failure(api.VDI.copy, vdi, "OpaqueRef:NULL", "OpaqueRef:NULL", small) == ["VDI_TOO_SMALL", small, str(GIB)]
    big = new_disk(api, local, 2 * GIB)
    assert api.VDI.copy(vdi, "OpaqueRef:NULL", "OpaqueRef:NULL", big) == big

    vbd = api.VBD.create(vbd_record(vm_named(api, "web01"), vdi))
    api.VBD.plug(vbd)
    assert failure(api.VDI.copy, vdi, local, "OpaqueRef:NULL", "OpaqueRef:NULL") == ["VDI_IN_USE", vdi, "copy"]
    second_writer = api.VBD.create(vbd_record(vm_named(api, "web02"), vdi))
    assert failure(api.VBD.plug, second_writer) == ["VDI_IN_USE", vdi]
    assert api.VDI.get_SR(api.VDI.snapshot(vdi, {})) == nfs  # snapshots and clones work on a disk in use


def test_vdi_destroy_removes_detached_vbds(api: Any) -> None:
    build01 = vm_named(api, "build01")
    vdi = new_disk(api, sr_of_type(api, "nfs"))
    vbd = api.VBD.create(vbd_record(build01, vdi))
    api.VDI.destroy(vdi)
    assert vbd not in api.VM.get_VBDs(build01)
    assert failure(api.VBD.get_record, vbd) == ["HANDLE_INVALID", "VBD", vbd]


def test_async_vdi_create_reports_the_new_disk(api: Any) -> None:
    task = api.Async.VDI.create({"SR": sr_of_type(api, "nfs"), "virtual_size": str(GIB), "type": "user", "sharable": False,
                                 "read_only": False, "other_config": {}, "name_label": "async disk"})
    deadline = time.monotonic() + 10
    while api.task.get_status(task) == "pending" and time.monotonic() < deadline:
        time.sleep(0.05)
    assert api.task.get_status(task) == "success"
    vdi = api.task.get_result(task).replace("<value>", "").replace("</value>", "")
    assert api.VDI.get_name_label(vdi) == "async disk"
    api.task.destroy(task)


def test_vbd_mode_changes_only_while_halted(api: Any) -> None:
    web01, build01 = vm_named(api, "web01"), vm_named(api, "build01")
    running = api.VBD.create(vbd_record(web01, new_disk(api, sr_of_type(api, "nfs"))))
    assert failure(api.VBD.set_mode, running, "RO") == ["VM_BAD_POWER_STATE", web01, "halted", "running"]
    halted = api.VBD.create(vbd_record(build01, new_disk(api, sr_of_type(api, "nfs"))))
    api.VBD.set_mode(halted, "RO")
    assert api.VBD.get_mode(halted) == "RO"


def test_vdi_forget_then_introduce_brings_the_record_back(api: Any) -> None:
    sr = sr_of_type(api, "nfs")
    vdi = new_disk(api, sr, 3 * GIB, name="kept on storage")
    record = api.VDI.get_record(vdi)
    api.VDI.forget(vdi)
    assert vdi not in api.SR.get_VDIs(sr)
    back = api.VDI.introduce(record["uuid"], "kept on storage", "", sr, "user", False, False, {}, record["location"], {}, {},
                             True, str(3 * GIB), str(3 * GIB // 4), "OpaqueRef:NULL", False, record["snapshot_time"],
                             "OpaqueRef:NULL")
    assert (api.VDI.get_uuid(back), api.VDI.get_virtual_size(back)) == (record["uuid"], str(3 * GIB))
    other = "9f0d2c4e-1b3a-4c5d-8e7f-a0b1c2d3e4f5"
    assert failure(api.VDI.introduce, other, "", "", sr, "user", False, False, {}, record["location"], {}, {}, True, "0", "0",
                   "OpaqueRef:NULL", False, record["snapshot_time"], "OpaqueRef:NULL") == ["LOCATION_NOT_UNIQUE", sr, record["location"]]


# ---- SR and PBD --------------------------------------------------------------------------------

NFS_CONFIG = {"server": "192.0.2.20", "serverpath": "/export/more"}


def new_nfs_sr(api: Any, name: str) -> str:
    master = api.pool.get_master(api.pool.get_all()[0])
    return api.SR.create(master, NFS_CONFIG, "0", name, "", "nfs", "user", True, {})


def test_sr_create_checks_the_driver_and_its_configuration(api: Any) -> None:
    host = api.host.get_all()[0]
    assert failure(api.SR.create, host, {}, "0", "x", "", "zfs-nope", "user", False, {}) == ["SR_UNKNOWN_DRIVER", "zfs-nope"]
    assert failure(api.SR.create, host, {"serverpath": "/x"}, "0", "x", "", "nfs", "user", True, {}) == \
        ["SR_BACKEND_FAILURE_102", "", "The request is missing the server parameter", ""]
    assert not api.SR.get_by_name_label("x")
    assert "nfs" in api.SR.get_supported_types()


def test_shared_sr_create_makes_a_plugged_pbd_per_host(api: Any) -> None:
    sr = new_nfs_sr(api, "shared nfs")
    record = api.SR.get_record(sr)
    assert (record["shared"], record["physical_size"], record["type"]) == (True, str(1024 * GIB), "nfs")
    pbds = [api.PBD.get_record(pbd) for pbd in record["PBDs"]]
    assert sorted(p["host"] for p in pbds) == sorted(api.host.get_all())
    assert all(p["currently_attached"] and p["device_config"] == NFS_CONFIG for p in pbds)


def test_local_sr_create_has_one_pbd(api: Any) -> None:
    host2 = api.host.get_by_name_label("host2")[0]
    sr = api.SR.create(host2, {"device": "/dev/sdc"}, str(200 * GIB), "second local", "", "lvm", "user", False, {})
    (pbd,) = api.SR.get_PBDs(sr)
    assert (api.PBD.get_host(pbd), api.PBD.get_currently_attached(pbd), api.SR.get_physical_size(sr)) == (host2, True, str(200 * GIB))


def test_reconfigure_shared_storage_on_every_host(api: Any) -> None:
    """The SDK's fixpbds.py: for each host, unplug the PBD, destroy it, create one with new settings, plug it."""
    sr = new_nfs_sr(api, "moving nfs")
    vdi = new_disk(api, sr)
    api.VBD.create(vbd_record(vm_named(api, "build01"), vdi))  # a halted guest does not hold the SR
    new_config = {"server": "192.0.2.30", "serverpath": "/export/moved"}
    for pbd in api.SR.get_PBDs(sr):
        host = api.PBD.get_host(pbd)
        assert failure(api.PBD.create, {"host": host, "SR": sr, "device_config": new_config}) == ["PBD_EXISTS", sr, host, pbd]
        assert failure(api.PBD.destroy, pbd) == ["OPERATION_NOT_ALLOWED", "PBD is currently attached"]
        api.PBD.unplug(pbd)
        api.PBD.unplug(pbd)  # already detached: nothing to do
        api.PBD.destroy(pbd)
        replacement = api.PBD.create({"host": host, "SR": sr, "device_config": new_config, "other_config": {}})
        assert api.PBD.get_currently_attached(replacement) is False
        api.PBD.plug(replacement)
        api.PBD.plug(replacement)  # already attached: nothing to do
    pbds = [api.PBD.get_record(pbd) for pbd in api.SR.get_PBDs(sr)]
    assert len(pbds) == 3 and all(p["device_config"] == new_config and p["currently_attached"] for p in pbds)
    assert api.VDI.get_SR(vdi) == sr


def test_pbd_unplug_refused_while_a_running_guest_uses_the_sr(api: Any) -> None:
    nfs = sr_of_type(api, "nfs")
    host1 = api.host.get_by_name_label("host1")[0]
    pbd = next(p for p in api.SR.get_PBDs(nfs) if api.PBD.get_host(p) == host1)
    web01_root = api.VBD.get_VDI(root_vbd(api, vm_named(api, "web01")))
    details = failure(api.PBD.unplug, pbd)
    assert details[0] == "VDI_IN_USE" and web01_root in details[1:]
    assert failure(api.SR.forget, nfs) == ["SR_HAS_PBD", nfs]
    assert failure(api.SR.destroy, nfs) == ["SR_HAS_PBD", nfs]


def test_introduce_plug_and_forget_an_existing_sr(api: Any) -> None:
    uuid = "0b5e3a3c-5f4e-4d1e-9c1a-2f6b7d8e9f01"
    sr = api.SR.introduce(uuid, "found nfs", "", "nfs", "user", True, {})
    record = api.SR.get_record(sr)
    assert (record["uuid"], record["PBDs"], record["physical_size"]) == (uuid, [], "-1")
    assert failure(api.SR.introduce, uuid, "again", "", "nfs", "user", True, {}) == ["SR_UUID_EXISTS", uuid]
    assert failure(new_disk, api, sr) == ["SR_HAS_NO_PBDS", sr]

    pbds = [api.PBD.create({"host": host, "SR": sr, "device_config": NFS_CONFIG}) for host in api.host.get_all()]
    for pbd in pbds:
        api.PBD.plug(pbd)
    assert api.SR.get_physical_size(sr) == str(1024 * GIB)
    vdi = new_disk(api, sr)
    assert failure(api.SR.forget, sr) == ["SR_HAS_PBD", sr]
    for pbd in pbds:
        api.PBD.unplug(pbd)
    api.SR.forget(sr)
    assert not api.SR.get_by_name_label("found nfs")
    assert failure(api.PBD.get_record, pbds[0]) == ["HANDLE_INVALID", "PBD", pbds[0]]
    assert failure(api.VDI.get_record, vdi) == ["HANDLE_INVALID", "VDI", vdi]


def test_sr_destroy_needs_an_empty_detached_sr(api: Any) -> None:
    sr = new_nfs_sr(api, "short-lived nfs")
    vdi = new_disk(api, sr)
    for pbd in api.SR.get_PBDs(sr):
        api.PBD.unplug(pbd)
    assert "destroy" not in api.SR.get_allowed_operations(sr)
    assert failure(api.SR.destroy, sr) == ["SR_NOT_EMPTY"]
    api.PBD.plug(api.SR.get_PBDs(sr)[0])
    api.VDI.destroy(vdi)
    api.PBD.unplug(api.SR.get_PBDs(sr)[0])
    assert "destroy" in api.SR.get_allowed_operations(sr)
    api.SR.destroy(sr)
    assert not api.SR.get_by_name_label("short-lived nfs")


def test_probe_finds_srs_by_their_device_config(api: Any) -> None:
    host, nfs = api.host.get_all()[0], sr_of_type(api, "nfs")
    config = {"server": "192.0.2.10", "serverpath": "/export/vms"}
    assert f"<UUID>{api.SR.get_uuid(nfs)}</UUID>" in api.SR.probe(host, config, "nfs", {})
    (found,) = api.SR.probe_ext(host, config, "nfs", {})
    assert found["complete"] is True and found["sr"][0]["uuid"] == [api.SR.get_uuid(nfs)]
    assert api.SR.probe_ext(host, {**config, "serverpath": "/nowhere"}, "nfs", {}) == []
    assert failure(api.SR.probe, host, {}, "nope", {}) == ["SR_UNKNOWN_DRIVER", "nope"]


def test_sr_scan_and_sharing(api: Any) -> None:
    sr = new_nfs_sr(api, "scanned nfs")
    new_disk(api, sr, 2 * GIB)
    api.SR.scan(sr)
    assert (api.SR.get_virtual_allocation(sr), api.SR.get_physical_utilisation(sr)) == (str(2 * GIB), str(2 * GIB // 4))
    pbds = api.SR.get_PBDs(sr)
    assert failure(api.SR.set_shared, sr, False) == ["SR_HAS_MULTIPLE_PBDS", *pbds]
    api.SR.set_name_label(sr, "renamed nfs")
    assert api.SR.get_name_label(sr) == "renamed nfs"
