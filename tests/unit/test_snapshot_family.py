# Copyright: (c) 2026, xen.xapi maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What xen_vm_snapshot knows of one VM: the returned views, the disks that go with a snapshot, and look-ups."""

from __future__ import annotations

import typing as t

import pytest

from ansible_collections.xen.xapi.plugins.module_utils._xapi.errors import ResourceError
from ansible_collections.xen.xapi.plugins.module_utils.vm.snapshots import HALTED, NULL_REF, RUNNING, SUSPENDED, SnapshotFamily

GIB = 1024 ** 3


def vbd(vm: str, vdi: str, userdevice: str, kind: str = "Disk", empty: bool = False) -> t.Dict[str, t.Any]:
    return {"VM": vm, "VDI": vdi, "userdevice": userdevice, "type": kind, "empty": empty}


def vdi(uuid: str, name: str, vbds: t.List[str], is_a_snapshot: bool = True, size: int = 10 * GIB) -> t.Dict[str, t.Any]:
    return {"uuid": uuid, "name_label": name, "virtual_size": size, "VBDs": vbds, "is_a_snapshot": is_a_snapshot}


def family() -> SnapshotFamily:
    """web01 with a root and a data disk and a CD; a disk-only snapshot and a checkpoint of it.

    The checkpoint's data disk is also used by another VM (a clone attached it), so it is not the snapshot's alone.
    """
    vm = {"uuid": "vm-uuid", "name_label": "web01", "power_state": RUNNING, "VBDs": ["vbd-root", "vbd-data", "vbd-cd"],
          "snapshots": ["snap-disks", "snap-live"]}
    snapshots = {
        "snap-disks": {"uuid": "disks-uuid", "name_label": "before upgrade", "name_description": "manual", "power_state": HALTED,
                       "suspend_VDI": NULL_REF, "snapshot_time": "20240501T02:00:00Z", "parent": NULL_REF,
                       "VBDs": ["s1-data", "s1-root", "s1-cd"]},
        "snap-live": {"uuid": "live-uuid", "name_label": "live", "name_description": "", "power_state": SUSPENDED,
                      "suspend_VDI": "vdi-memory", "snapshot_time": "20240502T02:00:00Z", "parent": "snap-disks",
                      "VBDs": ["s2-root", "s2-data"]},
    }
    vbds = {
        "vbd-root": vbd("vm", "vdi-root", "0"), "vbd-data": vbd("vm", "vdi-data", "1"), "vbd-cd": vbd("vm", NULL_REF, "3", "CD", True),
        "s1-root": vbd("snap-disks", "s1-vdi-root", "0"), "s1-data": vbd("snap-disks", "s1-vdi-data", "1"),
        "s1-cd": vbd("snap-disks", "iso", "3", "CD"),
        "s2-root": vbd("snap-live", "s2-vdi-root", "0"), "s2-data": vbd("snap-live", "s2-vdi-data", "1"),
    }
    vdis = {
        "vdi-root": vdi("root-uuid", "web01 root", ["vbd-root"], is_a_snapshot=False),
        "vdi-data": vdi("data-uuid", "web01 data", ["vbd-data"], is_a_snapshot=False, size=100 * GIB),
        "s1-vdi-root": vdi("s1-root-uuid", "web01 root", ["s1-root"]),
        "s1-vdi-data": vdi("s1-data-uuid", "web01 data", ["s1-data"], size=100 * GIB),
        "iso": vdi("iso-uuid", "debian.iso", ["s1-cd"], is_a_snapshot=False),
        "s2-vdi-root": vdi("s2-root-uuid", "web01 root", ["s2-root"]),
        "s2-vdi-data": vdi("s2-data-uuid", "web01 data", ["s2-data", "clone-vbd"]),
    }
    return SnapshotFamily("vm", vm, snapshots, vbds, vdis)


def test_a_snapshot_is_returned_with_its_disks_in_slot_order_and_without_cds() -> None:
    assert family().view("snap-disks") == {
        "uuid": "disks-uuid", "name": "before upgrade", "description": "manual", "time": "2024-05-01T02:00:00Z", "with_memory": False,
        "disks": [{"uuid": "s1-root-uuid", "name": "web01 root", "size": 10 * GIB, "userdevice": "0"},
                  {"uuid": "s1-data-uuid", "name": "web01 data", "size": 100 * GIB, "userdevice": "1"}],
    }


def test_a_missing_snapshot_is_returned_empty() -> None:
    assert family().view(None) == {}
    assert family().view("snap-gone") == {}


def test_all_snapshots_come_newest_first_and_the_vm_in_module_words() -> None:
    snapshots = family()
    assert [view["name"] for view in snapshots.views()] == ["live", "before upgrade"]
    assert snapshots.views()[0]["with_memory"] is True
    assert snapshots.vm_view() == {"uuid": "vm-uuid", "name": "web01", "power_state": "running"}


def test_only_disks_no_other_vm_uses_go_with_a_snapshot() -> None:
    snapshots = family()
    assert snapshots.owned_disks("snap-disks") == ["s1-vdi-root", "s1-vdi-data"]
    assert snapshots.owned_disks("snap-live") == ["s2-vdi-root"]


def test_a_disk_that_is_not_a_snapshot_never_goes_with_the_snapshot() -> None:
    snapshots = family()
    snapshots.vdis["s1-vdi-data"]["is_a_snapshot"] = False
    assert snapshots.owned_disks("snap-disks") == ["s1-vdi-root"]


def test_snapshots_are_found_by_name_or_uuid() -> None:
    snapshots = family()
    assert snapshots.named("live") == ("snap-live", snapshots.snapshots["snap-live"])
    assert snapshots.named("nope") is None
    assert snapshots.with_uuid("disks-uuid") == ("snap-disks", snapshots.snapshots["snap-disks"])
    assert snapshots.with_uuid("nope") is None


def test_a_name_two_snapshots_share_fails_listing_their_uuids() -> None:
    snapshots = family()
    snapshots.snapshots["snap-live"]["name_label"] = "before upgrade"
    with pytest.raises(ResourceError, match="'before upgrade' matches 2 objects") as failure:
        snapshots.named("before upgrade")
    assert failure.value.details["uuids"] == ["disks-uuid", "live-uuid"]


def test_a_missing_name_is_described_with_the_known_ones() -> None:
    assert family().describe_missing("nope") == "name: VM 'web01' has no snapshot named 'nope' (its snapshots: before upgrade, live)."


def test_ignored_disks_are_found_among_the_vms_disks_by_name_or_uuid() -> None:
    snapshots = family()
    assert snapshots.ignored_vdis(["web01 data"]) == ["vdi-data"]
    assert snapshots.ignored_vdis(["root-uuid", "web01 data"]) == ["vdi-data", "vdi-root"]


def test_an_unknown_ignored_disk_fails_listing_the_vms_disks() -> None:
    with pytest.raises(ResourceError, match=r"ignore_disks: VM 'web01' has no disk named 'swap' .*\(its disks: web01 root, web01 data\)"):
        family().ignored_vdis(["swap"])
