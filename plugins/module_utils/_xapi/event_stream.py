# Copyright: (c) 2026, xen.xapi maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Following XAPI's event stream: what changed in each record, filtered, as events for people to react to.

``event.from`` gives, per object, the operation (add, mod, del) and the record as it is now. The tracker keeps
the last record of every object it has seen, so each modification can say which fields changed, from what to
what (additions and deletions carry the whole record, and no changes); a deleted object still has its name and
uuid. After a gap (the token was refused, or the stream restarted), a
fresh snapshot is compared with what was known: the differences come out as ordinary events, so nothing is
lost and nothing is told twice. Pure bookkeeping: it never talks to the server.
"""

from __future__ import annotations

import typing as t

Record = t.Dict[str, t.Any]
Event = t.Dict[str, t.Any]

# Classes whose records name themselves with "name" rather than "name_label".
_NAME_FIELD = {"message": "name"}


def _name(cls: str, record: Record) -> str:
    return str(record.get(_NAME_FIELD.get(cls.lower(), "name_label"), "") or "")


def changed_fields(before: Record, after: Record) -> t.Dict[str, t.Dict[str, t.Any]]:
    """Each field whose value differs, with its old and new value."""
    return {field: {"old": before.get(field), "new": after.get(field)}
            for field in sorted(set(before) | set(after)) if before.get(field) != after.get(field)}


class EventFilter:
    """Which events users want.

    ``tags``: objects with at least one of these tags (classes without tags pass); ``fields``: modifications of at
    least one of these fields (additions and deletions always pass); ``include_templates``: VM templates, snapshots
    and control domains, left out by default.
    """

    def __init__(self, tags: t.Sequence[str] = (), fields: t.Sequence[str] = (), include_templates: bool = False) -> None:
        self.tags = set(tags)
        self.fields = set(fields)
        self.include_templates = include_templates

    def wants_object(self, cls: str, record: Record) -> bool:
        if cls == "VM" and not self.include_templates and (
                record.get("is_a_template") or record.get("is_a_snapshot") or record.get("is_control_domain")):
            return False
        if self.tags and "tags" in record:
            return bool(self.tags & set(record.get("tags") or []))
        return True

    def wants(self, cls: str, operation: str, record: Record, changes: t.Mapping[str, t.Any]) -> bool:
        if not self.wants_object(cls, record):
            return False
        return operation != "mod" or not self.fields or bool(self.fields & set(changes))


class EventTracker:
    """The last known record of every object followed, and the events their changes make."""

    def __init__(self, event_filter: EventFilter) -> None:
        self.filter = event_filter
        self.known: t.Dict[t.Tuple[str, str], Record] = {}

    def event(self, cls: str, operation: str, ref: str, record: t.Optional[Record]) -> t.Optional[Event]:
        """Take in one change; the event to emit, or None when it is filtered out (or changed nothing)."""
        key = (cls, ref)
        before = self.known.get(key)
        if operation == "del":
            if before is None:
                return None
            del self.known[key]
            return self._emit(cls, "del", ref, before, {})
        if record is None:
            return None
        self.known[key] = record
        if before is None:
            return self._emit(cls, "add", ref, record, {})
        changes = changed_fields(before, record)
        if not changes:
            return None
        return self._emit(cls, "mod", ref, record, changes, before)

    def snapshot(self, records: t.Mapping[str, t.Mapping[str, Record]]) -> t.List[Event]:
        """Take in a full read (class -> ref -> record): the events that tell what changed since the last one known.

        The first snapshot only records what exists (and returns its objects as ``snapshot`` events, for those who
        want them); a later one, after a gap, returns additions, modifications and deletions missed meanwhile.
        """
        first = not self.known
        events: t.List[Event] = []
        seen = set()
        for cls, objects in records.items():
            for ref, record in sorted(objects.items()):
                seen.add((cls, ref))
                if first:
                    self.known[(cls, ref)] = record
                    if self.filter.wants_object(cls, record):
                        events.append(self._event_dict(cls, "snapshot", ref, record, {}))
                    continue
                event = self.event(cls, "add" if (cls, ref) not in self.known else "mod", ref, record)
                if event is not None:
                    events.append(event)
        for cls, ref in sorted(key for key in self.known if key[0] in records and key not in seen):
            event = self.event(cls, "del", ref, None)
            if event is not None:
                events.append(event)
        return events

    def _emit(self, cls: str, operation: str, ref: str, record: Record, changes: t.Dict[str, t.Any],
              before: t.Optional[Record] = None) -> t.Optional[Event]:
        # A filter on tags looks at the record before and after: an object that loses its last wanted tag is told.
        wanted = self.filter.wants(cls, operation, record, changes) or (
            before is not None and self.filter.wants(cls, operation, before, changes))
        return self._event_dict(cls, operation, ref, record, changes) if wanted else None

    @staticmethod
    def _event_dict(class_name: str, operation: str, ref: str, record: Record, changes: t.Dict[str, t.Any]) -> Event:
        cls = class_name
        event = {"class": cls, "operation": operation, "ref": ref, "uuid": record.get("uuid", ""), "name": _name(cls, record),
                 "changes": changes, "record": record}
        if cls == "SR" and int(record.get("physical_size") or 0) > 0:
            # Rule conditions compare values but do not divide: the SR's fill level, ready to compare.
            event["usage_percent"] = round(100.0 * int(record.get("physical_utilisation") or 0) / int(record["physical_size"]), 1)
        return event
