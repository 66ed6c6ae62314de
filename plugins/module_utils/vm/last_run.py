# Copyright: (c) 2026, xen.xapi maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the last run of xen_vm with the same options found: the references of the VM and its devices, and whether
it changed anything.

A run reads a VM in a chain of round trips, each needing the answer of the one before: the VM (by name or uuid),
then the drives, interfaces and guest metrics its record lists, then the disks in those drives. Given the references
an earlier run with the same options found, all of them are read in the first round trip, beside the VM. The
references only say which objects to read: every record still comes from the pool, in this run, and is used only
if the records agree with each other (the VM found is the one remembered and lists exactly the drives and
interfaces read, which hold exactly the disks read). When they do not (the VM made again under its name, a drive
added or removed), the usual reads follow: a few calls spent, never a wrong view.

When that earlier run changed nothing, this one most likely changes nothing either (a playbook run again on a pool
that already matches it), and the logout goes with that first read: a no-op in two round trips. Should the run find
a change all the same, it logs in again first, one round trip more.

Kept in the user's cache (see _user_cache), ``xen.xapi/xen_vm/<SHA-256>.json``, one small file per pool, user and
options; what goes into the name leaves secrets out (the password, cloud-init's data). References are of no use
without a session. Files no run has written for FORGET_AFTER seconds are removed, by a run once a day at most.
"""

from __future__ import annotations

import json
import os
import typing as t

from ansible_collections.xen.xapi.plugins.module_utils import _user_cache
from ansible_collections.xen.xapi.plugins.module_utils.vm import view as vm_view

# Options that never go into the file's name: secrets, and what may hold them.
UNKEYED_OPTIONS = frozenset(("password", "cloud_init"))
# Files of tasks not run for this long are removed (their options changed, or their VMs went).
FORGET_AFTER = 90 * 24 * 3600
# A run looks for such files when the last look is older than this (the marker file's age tells).
TIDY_EVERY = 24 * 3600
_TIDY_MARKER = ".tidied"


class LastRun(t.NamedTuple):
    """The references a run found (``vm`` empty when there was no VM), and whether the run changed anything."""

    vm: str
    vbds: t.List[str]
    vifs: t.List[str]
    vdis: t.List[str]
    guest_metrics: str
    changed: bool


def _location(params: t.Mapping[str, t.Any]) -> t.Optional[t.Tuple[str, str]]:
    """(folder, file name) of the memory of runs with these options, None when the user has no cache."""
    import hashlib  # pylint: disable=import-outside-toplevel  # here: only a run that uses the memory needs it

    folder = _user_cache.directory("xen_vm")
    if folder is None:
        return None
    keyed = dict((option, value) for option, value in params.items() if option not in UNKEYED_OPTIONS)
    digest = hashlib.sha256(json.dumps(keyed, sort_keys=True, default=str).encode("utf-8")).hexdigest()
    return folder, digest + ".json"


def recall(params: t.Mapping[str, t.Any]) -> t.Optional[LastRun]:
    """The last run with these options, if one was kept (and its file is whole and the user's own)."""
    location = _location(params)
    data = _user_cache.read_own(os.path.join(*location)) if location is not None else None
    if data is None:
        return None
    try:
        fields = json.loads(data.decode("utf-8"))
        last = LastRun(vm=str(fields["vm"]), vbds=_refs(fields["vbds"]), vifs=_refs(fields["vifs"]), vdis=_refs(fields["vdis"]),
                       guest_metrics=str(fields["guest_metrics"]), changed=fields["changed"] is not False)
    except (ValueError, KeyError, TypeError):
        return None
    return last


def _refs(value: t.Any) -> t.List[str]:
    if not isinstance(value, list):
        raise TypeError("not a list of references")
    return [str(ref) for ref in value]


def keep(params: t.Mapping[str, t.Any], view: t.Optional[vm_view.VmView], changed: bool) -> None:
    """Remember what this run found (``view`` None: no VM); a cache that cannot be written keeps nothing."""
    location = _location(params)
    if location is None:
        return
    fields: t.Dict[str, t.Any] = {"vm": "", "vbds": [], "vifs": [], "vdis": [], "guest_metrics": "", "changed": changed}
    if view is not None:
        disks = view.vdis
        loaded = not isinstance(disks, vm_view.LazyRecords) or not disks.pending
        fields.update(vm=view.ref, vbds=sorted(view.vbds), vifs=sorted(view.vifs), vdis=sorted(disks) if loaded else [],
                      guest_metrics=view.record.get("guest_metrics", ""))
    try:
        _user_cache.write_whole(location[0], location[1], json.dumps(fields, sort_keys=True).encode("utf-8"))
        _tidy(location[0])
    except OSError:
        pass  # nothing kept: the next run reads the VM in the usual round trips


def _tidy(folder: str, now: t.Optional[float] = None) -> None:
    """Remove the files no run wrote for FORGET_AFTER seconds, when no run looked for them in TIDY_EVERY seconds."""
    import time  # pylint: disable=import-outside-toplevel  # here: only a run that writes needs it

    now = time.time() if now is None else now
    marker = os.path.join(folder, _TIDY_MARKER)
    try:
        if now - os.stat(marker).st_mtime < TIDY_EVERY:
            return
    except OSError:
        pass  # never looked: look now
    with open(marker, "w", encoding="utf-8"):
        pass  # (re)written first: forks running side by side look once
    for name in os.listdir(folder):
        path = os.path.join(folder, name)
        try:
            if name.endswith(".json") and now - os.stat(path).st_mtime > FORGET_AFTER:
                os.unlink(path)
        except OSError:
            pass  # removed by another run meanwhile
