# Copyright: (c) 2026, xen.xapi maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""xen_vm_group's decisions, kept apart from the calls so they can be unit-tested: which VMs the ``vms`` option
names, which join and which leave the group, and the group as the module returns it.

XAPI keeps a VM in at most one group (``TOO_MANY_GROUPS``) and fixes a group's placement when it is created.
"""

from __future__ import annotations

import re
import typing as t

from ansible_collections.xen.xapi.plugins.module_utils import _engine
from ansible_collections.xen.xapi.plugins.module_utils._xapi import errors

Records = t.Dict[str, _engine.Record]
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.IGNORECASE)


class Membership(t.NamedTuple):
    """The VMs that join the group and those that leave it, by ref."""

    joining: t.List[str]
    leaving: t.List[str]

    def __bool__(self) -> bool:
        return bool(self.joining or self.leaving)


def label(record: _engine.Record) -> str:
    return "{0} ({1})".format(record.get("name_label", ""), record.get("uuid", ""))


def resolve_vms(entries: t.Sequence[str], vms: Records) -> Records:
    """The VMs that ``entries`` (names or uuids) name, by ref; an entry matching no VM, or several, fails."""
    chosen: Records = {}
    for entry in entries:
        key, value = ("uuid", entry.lower()) if UUID.match(entry) else ("name_label", entry)
        matches = sorted(ref for ref, record in vms.items() if record.get(key) == value)
        if not matches:
            raise errors.ResourceError("vms: no VM has the {0} {1!r}. Give the name or the uuid of an existing VM (not a template "
                                       "nor a snapshot).".format("uuid" if key == "uuid" else "name", entry))
        if len(matches) > 1:
            raise errors.ResourceError("vms: {0!r} names {1} VMs ({2}); give the uuid of the one meant.".format(
                entry, len(matches), ", ".join(sorted(vms[ref]["uuid"] for ref in matches))))
        chosen[matches[0]] = vms[matches[0]]
    return chosen


def membership(group: t.Optional[str], members: t.Iterable[str], wanted: Records, groups: Records) -> Membership:
    """Who joins and who leaves so that the group holds exactly ``wanted``.

    A VM already in another group is refused rather than moved: it would leave that group's placement silently.
    """
    current = set(members)
    for ref, record in sorted(wanted.items()):
        others = [other for other in record.get("groups") or [] if other != group and other in groups]
        if others and ref not in current:
            raise errors.ResourceError("vms: {0} is in the VM group {1!r}; a VM is in one group at most. Remove it from that group "
                                       "first.".format(label(record), groups[others[0]].get("name_label", "")))
    return Membership(joining=sorted(ref for ref in wanted if ref not in current), leaving=sorted(current - set(wanted)))


def member_view(records: Records, hosts: Records) -> t.List[_engine.Record]:
    """The members as returned: name, uuid, power state and the host each runs on (empty when not running), by name."""
    view = []
    for record in records.values():
        host = hosts.get(record.get("resident_on") or "", {})
        running = record.get("power_state") == "Running"
        view.append({"name": record.get("name_label", ""), "uuid": record.get("uuid", ""),
                     "power_state": str(record.get("power_state", "")).lower(),
                     "host": host.get("name_label", "") if running else ""})
    return sorted(view, key=lambda member: (member["name"], member["uuid"]))


def members_fields(members: Records, hosts: Records) -> _engine.Record:
    """The returned keys that follow from the members: ``vms`` and ``hosts`` (where the running ones are)."""
    view = member_view(members, hosts)
    return {"vms": view, "hosts": sorted(set(member["host"] for member in view if member["host"]))}


def group_view(record: _engine.Record, members: Records, hosts: Records) -> _engine.Record:
    """The group as the module returns it, with its members and where they run."""
    return dict({
        "uuid": record.get("uuid"),
        "name": record.get("name_label", ""),
        "description": record.get("name_description", ""),
        "placement": record.get("placement", "normal"),
    }, **members_fields(members, hosts))


def check_placement(record: _engine.Record, wanted: t.Optional[str]) -> None:
    """XAPI sets a group's placement only when it creates it."""
    if wanted is not None and wanted != record.get("placement"):
        raise errors.ResourceError("placement: the VM group {0} has the placement {1!r}, which XAPI cannot change. Remove the group "
                                   "(state: absent) and create it again with placement: {2}.".format(label(record), record.get("placement"), wanted))
