# Copyright: (c) 2026, xen.xapi maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What xen_vdi and xen_vbd take from the memory of their last run (see _run_memory): references only, and
nothing from a memory that holds something else."""

from __future__ import annotations

import pytest

from ansible_collections.xen.xapi.plugins.module_utils import _run_memory
from ansible_collections.xen.xapi.plugins.module_utils.disks import vbd_resource, vdi_resource


def memory(**facts: object) -> _run_memory.Memory:
    return _run_memory.Memory(changed=False, facts=dict(facts))


def test_the_vms_behind_a_disks_drives_are_recalled() -> None:
    assert vdi_resource.remembered_vms(memory(vms=["OpaqueRef:a", "OpaqueRef:b"])) == ["OpaqueRef:a", "OpaqueRef:b"]
    assert vdi_resource.remembered_vms(memory(vms=[])) == []


@pytest.mark.parametrize("kept", [None, memory(), memory(vms="OpaqueRef:a"), memory(vms={"OpaqueRef:a": 1}), memory(vm="OpaqueRef:a")])
def test_a_memory_without_a_list_of_vms_recalls_none(kept: _run_memory.Memory) -> None:
    assert vdi_resource.remembered_vms(kept) == []


def test_the_vm_of_a_drive_is_recalled() -> None:
    assert vbd_resource.remembered_vm(memory(vm="OpaqueRef:a")) == "OpaqueRef:a"


@pytest.mark.parametrize("kept", [None, memory(), memory(vm=["OpaqueRef:a"]), memory(vm=7), memory(vms=["OpaqueRef:a"])])
def test_a_memory_without_a_vm_reference_recalls_none(kept: _run_memory.Memory) -> None:
    assert vbd_resource.remembered_vm(kept) == ""
