# Copyright: (c) 2026, xen.xapi maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The references xen_vm keeps of its last run (vm/last_run.py), and the VM put together from records read by reference."""

from __future__ import annotations

import pytest

from ansible_collections.xen.xapi.plugins.module_utils import _run_memory
from ansible_collections.xen.xapi.plugins.module_utils.vm import last_run, reader
from ansible_collections.xen.xapi.plugins.module_utils.vm.view import LazyRecords, PoolObjects, VmView

VM, VBD, VBD2, VDI, VIF, METRICS = ("OpaqueRef:vm", "OpaqueRef:vbd", "OpaqueRef:vbd2", "OpaqueRef:vdi", "OpaqueRef:vif", "OpaqueRef:gm")
RECORD = {"uuid": "u-vm", "VBDs": [VBD], "VIFs": [VIF], "guest_metrics": METRICS}
OBJECTS = {"VBD": {VBD: {"VDI": VDI, "type": "Disk"}}, "VIF": {VIF: {"device": "0"}}, "VDI": {VDI: {"uuid": "u-vdi"}},
           "VM_guest_metrics": {METRICS: {"networks": {}}}}


def view() -> VmView:
    return VmView(ref=VM, record=RECORD, vbds=dict(OBJECTS["VBD"]), vdis=dict(OBJECTS["VDI"]), vifs=dict(OBJECTS["VIF"]))


def test_the_references_kept_are_recalled() -> None:
    memory = _run_memory.Memory(changed=False, facts=last_run.facts(view()))
    assert last_run.recalled(memory) == last_run.LastRun(vm=VM, vbds=[VBD], vifs=[VIF], vdis=[VDI], guest_metrics=METRICS)
    assert last_run.recalled(None) is None


def test_an_absent_vm_and_disks_never_read_are_kept_as_nothing_known() -> None:
    assert last_run.recalled(_run_memory.Memory(True, last_run.facts(None))) == last_run.LastRun("", [], [], [], "")
    lazy = VmView(ref=VM, record=RECORD, vbds=dict(OBJECTS["VBD"]), vdis=LazyRecords(dict), vifs={})
    recalled = last_run.recalled(_run_memory.Memory(True, last_run.facts(lazy)))
    assert recalled is not None and recalled.vbds == [VBD] and recalled.vdis == []


@pytest.mark.parametrize("facts", [{}, {"vm": VM}, dict(last_run.facts(None), vbds="OpaqueRef:vbd")])
def test_facts_missing_or_of_the_wrong_kind_give_no_references(facts: dict) -> None:
    assert last_run.recalled(_run_memory.Memory(False, facts)) is None


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


def test_new_guest_metrics_alone_are_left_to_a_read_on_first_use() -> None:
    """The VM started again since the last run: its drives and disks are as remembered, its agent's record is new."""
    record = dict(RECORD, guest_metrics="OpaqueRef:gm2")
    whole = reader.completed(None, VM, record, OBJECTS, PoolObjects())  # type: ignore[arg-type]  # nothing read here
    assert whole is not None and dict(whole.vdis) == OBJECTS["VDI"]
    assert isinstance(whole.guest_metrics, LazyRecords) and whole.guest_metrics.pending


def test_records_that_agree_with_the_vm_need_no_read() -> None:
    whole = reader.completed(None, VM, RECORD, OBJECTS, PoolObjects())  # type: ignore[arg-type]
    assert whole is not None and whole.guest_metrics == {"networks": {}}
