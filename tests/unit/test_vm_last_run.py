# Copyright: (c) 2026, xen.xapi maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What xen_vm keeps of its last run (vm/last_run.py), and the VM put together from records read by reference."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from ansible_collections.xen.xapi.plugins.module_utils.vm import last_run, reader
from ansible_collections.xen.xapi.plugins.module_utils.vm.view import LazyRecords, PoolObjects, VmView

PARAMS = {"hostname": "https://pool.example", "username": "root", "password": "s3cret", "name": "web01", "vcpus": 2,
          "cloud_init": {"user_data": "#cloud-config\npassword: hunter2\n"}, "state": "running"}
VM, VBD, VBD2, VDI, VIF, METRICS = ("OpaqueRef:vm", "OpaqueRef:vbd", "OpaqueRef:vbd2", "OpaqueRef:vdi", "OpaqueRef:vif", "OpaqueRef:gm")
RECORD = {"uuid": "u-vm", "VBDs": [VBD], "VIFs": [VIF], "guest_metrics": METRICS}
OBJECTS = {"VBD": {VBD: {"VDI": VDI, "type": "Disk"}}, "VIF": {VIF: {"device": "0"}}, "VDI": {VDI: {"uuid": "u-vdi"}},
           "VM_guest_metrics": {METRICS: {"networks": {}}}}


@pytest.fixture(autouse=True)
def cache_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return tmp_path / "cache"


def view() -> VmView:
    return VmView(ref=VM, record=RECORD, vbds=dict(OBJECTS["VBD"]), vdis=dict(OBJECTS["VDI"]), vifs=dict(OBJECTS["VIF"]))


def test_a_run_is_recalled_by_a_run_with_the_same_options() -> None:
    assert last_run.recall(PARAMS) is None
    last_run.keep(PARAMS, view(), changed=False)
    assert last_run.recall(PARAMS) == last_run.LastRun(vm=VM, vbds=[VBD], vifs=[VIF], vdis=[VDI], guest_metrics=METRICS, changed=False)
    assert last_run.recall(dict(PARAMS, vcpus=4)) is None
    assert last_run.recall(dict(PARAMS, hostname="https://other.example")) is None


def test_secrets_stay_out_of_the_file_and_its_name(cache_home: Path) -> None:
    last_run.keep(PARAMS, view(), changed=True)
    # Another password or other cloud-init data: the same task, the same file.
    assert last_run.recall(dict(PARAMS, password="changed", cloud_init={"user_data": "other"})) is not None
    (path,) = (cache_home / "xen.xapi" / "xen_vm").glob("*.json")
    text = path.read_text(encoding="utf-8")
    assert "s3cret" not in text and "hunter2" not in text and "web01" not in text
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and stat.S_IMODE(path.parent.stat().st_mode) == 0o700


def test_an_absent_vm_and_disks_never_read_are_kept_as_nothing_known() -> None:
    last_run.keep(PARAMS, None, changed=False)
    assert last_run.recall(PARAMS) == last_run.LastRun(vm="", vbds=[], vifs=[], vdis=[], guest_metrics="", changed=False)
    lazy = VmView(ref=VM, record=RECORD, vbds=dict(OBJECTS["VBD"]), vdis=LazyRecords(dict), vifs={})
    last_run.keep(PARAMS, lazy, changed=True)
    recalled = last_run.recall(PARAMS)
    assert recalled is not None and recalled.vbds == [VBD] and recalled.vdis == []


@pytest.mark.parametrize("content", [b"", b"{", b"[]", b'{"vm": "x"}',
                                     b'{"vm": "x", "vbds": "y", "vifs": [], "vdis": [], "guest_metrics": "", "changed": false}'])
def test_a_damaged_file_is_not_used(content: bytes) -> None:
    last_run.keep(PARAMS, view(), changed=False)
    folder = Path(os.environ["XDG_CACHE_HOME"]) / "xen.xapi" / "xen_vm"
    (path,) = folder.glob("*.json")
    path.write_bytes(content)
    assert last_run.recall(PARAMS) is None


def test_a_file_others_can_write_is_not_used(cache_home: Path) -> None:
    last_run.keep(PARAMS, view(), changed=False)
    (path,) = (cache_home / "xen.xapi" / "xen_vm").glob("*.json")
    path.chmod(0o666)
    assert last_run.recall(PARAMS) is None


def test_a_cache_that_cannot_be_made_keeps_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", "/dev/null/cache")
    last_run.keep(PARAMS, view(), changed=False)  # no error
    assert last_run.recall(PARAMS) is None


def test_records_that_hold_every_device_make_the_whole_vm() -> None:
    whole = reader.assembled(None, VM, RECORD, OBJECTS, PoolObjects())  # type: ignore[arg-type]  # no read needed
    assert whole is not None
    assert dict(whole.vdis) == OBJECTS["VDI"] and whole.guest_metrics == {"networks": {}} and list(whole.vifs) == [VIF]


@pytest.mark.parametrize("record", [
    dict(RECORD, VBDs=[VBD, VBD2]),  # a drive added since
    dict(RECORD, VIFs=[VIF, "OpaqueRef:vif2"]),  # an interface added since
    dict(RECORD, guest_metrics="OpaqueRef:gm2"),  # the guest agent came up again
])
def test_records_missing_a_device_make_nothing(record: dict) -> None:
    assert reader.assembled(None, VM, record, OBJECTS, PoolObjects()) is None  # type: ignore[arg-type]


def test_missing_disks_are_left_to_a_read_on_first_use() -> None:
    objects = dict(OBJECTS, VDI={})
    assert reader.assembled(None, VM, RECORD, objects, PoolObjects()) is None  # type: ignore[arg-type]
    whole = reader.assembled(None, VM, RECORD, objects, PoolObjects(), lazy_disks=True)  # type: ignore[arg-type]
    assert whole is not None and isinstance(whole.vdis, LazyRecords) and whole.vdis.pending


def test_a_vm_without_guest_metrics_needs_none() -> None:
    record = dict(RECORD, guest_metrics="OpaqueRef:NULL")
    whole = reader.assembled(None, VM, record, dict(OBJECTS, VM_guest_metrics={}), PoolObjects())  # type: ignore[arg-type]
    assert whole is not None and whole.guest_metrics == {}


def test_files_of_tasks_not_run_for_long_are_removed_once_a_day(cache_home: Path) -> None:
    folder = cache_home / "xen.xapi" / "xen_vm"
    last_run.keep(PARAMS, view(), changed=False)
    last_run.keep(dict(PARAMS, vcpus=8), view(), changed=False)
    old, recent = folder.glob("*.json")
    now = old.stat().st_mtime + last_run.FORGET_AFTER + 10
    os.utime(recent, (now, now))
    marker = folder / ".tidied"
    os.utime(marker, (now - 60, now - 60))
    last_run._tidy(str(folder), now=now)  # pylint: disable=protected-access  # looked a minute ago: not again
    assert old.exists()
    os.utime(marker, (now - last_run.TIDY_EVERY - 1, now - last_run.TIDY_EVERY - 1))
    last_run._tidy(str(folder), now=now)  # pylint: disable=protected-access
    assert not old.exists() and recent.exists()
