# Copyright: (c) 2026, xen.xapi maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The references of a VM and its devices that a run of xen_vm keeps for the next with the same options (see
_run_memory).

A run reads a VM in a chain of round trips, each needing the answer of the one before: the VM (by name or uuid),
then the drives, interfaces and guest metrics its record lists, then the disks in those drives. Given the references
an earlier run with the same options found, all of them are read in the first round trip, beside the VM. The
references only say which objects to read: every record still comes from the pool, in this run, and is used only
if the records agree with each other (the VM found is the one remembered and lists exactly the drives and
interfaces read, which hold exactly the disks read). What they lack (a drive added since, the guest metrics of a
VM started again) is read next, at most what a VM read afresh costs; a VM made again under its name is read afresh.
"""

from __future__ import annotations

import typing as t

from ansible_collections.xen.xapi.plugins.module_utils import _run_memory
from ansible_collections.xen.xapi.plugins.module_utils.vm import view as vm_view


class LastRun(t.NamedTuple):
    """The references a run found (``vm`` empty when there was no VM)."""

    vm: str
    vbds: t.List[str]
    vifs: t.List[str]
    vdis: t.List[str]
    guest_metrics: str


def recalled(memory: t.Optional[_run_memory.Memory]) -> t.Optional[LastRun]:
    """The references the memory of the last run holds, if it holds them whole."""
    if memory is None:
        return None
    facts = memory.facts
    try:
        return LastRun(vm=str(facts["vm"]), vbds=_refs(facts["vbds"]), vifs=_refs(facts["vifs"]), vdis=_refs(facts["vdis"]),
                       guest_metrics=str(facts["guest_metrics"]))
    except (KeyError, TypeError):
        return None


def _refs(value: t.Any) -> t.List[str]:
    if not isinstance(value, list):
        raise TypeError("not a list of references")
    return [str(ref) for ref in value]


def facts(view: t.Optional[vm_view.VmView]) -> t.Dict[str, t.Any]:
    """The references to keep of the VM as this run left it (``view`` None: no VM); disks never read are left out."""
    if view is None:
        return {"vm": "", "vbds": [], "vifs": [], "vdis": [], "guest_metrics": ""}
    disks = view.vdis
    loaded = not isinstance(disks, vm_view.LazyRecords) or not disks.pending
    return {"vm": view.ref, "vbds": sorted(view.vbds), "vifs": sorted(view.vifs), "vdis": sorted(disks) if loaded else [],
            "guest_metrics": view.record.get("guest_metrics", "")}
