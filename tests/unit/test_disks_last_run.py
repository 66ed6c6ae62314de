# Copyright: (c) 2026, xen.xapi maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the resources take from the memory of their last run (see _run_memory): the references of the related objects
of a batched resource (xen_vdi's VMs, xen_pool's HA statefiles) and xen_vbd's VM; nothing from a memory that holds
something else."""

from __future__ import annotations

import pytest

from ansible_collections.xen.xapi.plugins.module_utils import _engine, _run_memory
from ansible_collections.xen.xapi.plugins.module_utils.disks import vbd_resource


def memory(**facts: object) -> _run_memory.Memory:
    return _run_memory.Memory(changed=False, facts=dict(facts))


def test_the_related_objects_are_recalled() -> None:
    assert _engine.remembered_refs(memory(related=["OpaqueRef:a", "OpaqueRef:b"])) == ["OpaqueRef:a", "OpaqueRef:b"]
    assert _engine.remembered_refs(memory(related=[])) == []


@pytest.mark.parametrize("kept", [None, memory(), memory(related="OpaqueRef:a"), memory(related={"OpaqueRef:a": 1}), memory(vm="OpaqueRef:a")])
def test_a_memory_without_a_list_of_related_objects_recalls_none(kept: _run_memory.Memory) -> None:
    assert _engine.remembered_refs(kept) is None


def test_the_vm_of_a_drive_is_recalled() -> None:
    assert vbd_resource.remembered_vm(memory(vm="OpaqueRef:a")) == "OpaqueRef:a"


@pytest.mark.parametrize("kept", [None, memory(), memory(vm=["OpaqueRef:a"]), memory(vm=7), memory(related=["OpaqueRef:a"])])
def test_a_memory_without_a_vm_reference_recalls_none(kept: _run_memory.Memory) -> None:
    assert vbd_resource.remembered_vm(kept) == ""
