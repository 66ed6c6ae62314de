"""The object database: every record of every class, relations, and the change log behind events.

Records are copy-on-write: a record dict is never mutated once stored, an update stores a new
dict. Readers can therefore hand stored records to the wire encoder without copying, even while
another thread changes the object.
"""
from __future__ import annotations

import threading
import uuid as uuidlib
from bisect import bisect_right
from datetime import datetime, timezone
from typing import Any, Callable, Iterable, Iterator

from .errors import XapiError, handle_invalid
from .schema import Schema

NULL_REF = "OpaqueRef:NULL"
# Classes whose changes are bookkeeping, not state a client asked to change: they never count
# as writes in the statistics (a module in check mode still logs in and out).
NON_WRITE_CLASSES = frozenset({"session"})
LOG_LIMIT = 200_000


def new_ref() -> str:
    return f"OpaqueRef:{uuidlib.uuid4()}"


def new_uuid() -> str:
    return str(uuidlib.uuid4())


EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(microsecond=0)


class Change:
    __slots__ = ("gen", "cls", "ref", "op", "time")

    def __init__(self, gen: int, cls: str, ref: str, op: str, time: datetime) -> None:
        self.gen, self.cls, self.ref, self.op, self.time = gen, cls, ref, op, time


class Store:
    """All records, keyed by class then ref, with both ends of every relation kept in step."""

    def __init__(self, schema: Schema) -> None:
        self.schema = schema
        self.lock = threading.RLock()
        self.changed = threading.Condition(self.lock)
        self.tables: dict[str, dict[str, dict[str, Any]]] = {name: {} for name in schema.classes}
        self.uuids: dict[str, dict[str, str]] = {name: {} for name in schema.classes}
        self.generation = 0
        self.log: list[Change] = []
        self._log_gens: list[int] = []
        # ref -> the generation of the object's latest change (its deletion too), and class -> that of its latest
        # deletion: the token of an empty-token event.from, which covers the deletions xapi remembers.
        self.last_changed: dict[str, int] = {}
        self.last_deleted: dict[str, int] = {}
        self._writes = threading.local()
        # Fields computed from the rest of a record (e.g. VM.allowed_operations from power_state),
        # registered by the semantic layer and refreshed on every create and update.
        self.derived: dict[str, Callable[["Store", dict[str, Any]], dict[str, Any]]] = {}
        self._emits_events = {name: c.gen_events for name, c in schema.classes.items()}
        # relation index: cls -> field -> (other class, other field, other field is a set)
        self.relations: dict[str, dict[str, tuple[str, str, bool]]] = {}
        for rel in schema.relations:
            self._index_relation(rel.a_class, rel.a_field, rel.b_class, rel.b_field)
            self._index_relation(rel.b_class, rel.b_field, rel.a_class, rel.a_field)

    def _index_relation(self, cls: str, field: str, other: str, other_field: str) -> None:
        other_is_set = self.schema.cls(other).fields[other_field].type.kind == "set"
        self.relations.setdefault(cls, {})[field] = (other, other_field, other_is_set)

    # ---- reading ---------------------------------------------------------------------------
    def get(self, cls: str, ref: str) -> dict[str, Any]:
        record = self.tables[cls].get(ref)
        if record is None:
            raise handle_invalid(cls, ref)
        return record

    def exists(self, cls: str, ref: str) -> bool:
        return ref in self.tables[cls]

    def records(self, cls: str) -> dict[str, dict[str, Any]]:
        return self.tables[cls]

    def ref_of_uuid(self, cls: str, uuid: str) -> str | None:
        return self.uuids[cls].get(uuid)

    def find(self, cls: str, **equals: Any) -> list[str]:
        items = equals.items()
        return [ref for ref, rec in self.tables[cls].items() if all(rec.get(k) == v for k, v in items)]

    def find_one(self, cls: str, **equals: Any) -> str | None:
        found = self.find(cls, **equals)
        return found[0] if found else None

    def class_of_ref(self, ref: str, candidates: Iterable[str]) -> str | None:
        for cls in candidates:
            if ref in self.tables[cls]:
                return cls
        return None

    # ---- writing ---------------------------------------------------------------------------
    def create(self, cls: str, fields: dict[str, Any] | None = None, ref: str | None = None) -> str:
        with self.lock:
            ref = ref or new_ref()
            record = self.schema.default_record(cls)
            if fields:
                unknown = set(fields) - set(record)
                if unknown:
                    raise XapiError("INTERNAL_ERROR", f"{cls} has no field {sorted(unknown)[0]}")
                record.update(fields)
            if not record.get("uuid"):
                record["uuid"] = new_uuid()
            if cls in self.derived:
                record.update(self.derived[cls](self, record))
            self.tables[cls][ref] = record
            self.uuids[cls][record["uuid"]] = ref
            self._record_change(cls, ref, "add")
            for field, value in record.items():
                if field in self.relations.get(cls, {}):
                    self._link(cls, ref, field, _as_list(value), add=True)
            self._committed()
            return ref

    def update(self, cls: str, ref: str, **fields: Any) -> None:
        with self.lock:
            old = self.get(cls, ref)
            changed = {k: v for k, v in fields.items() if old.get(k, _MISSING) != v}
            if not changed:
                return
            for field in changed:
                if field not in old:
                    raise XapiError("INTERNAL_ERROR", f"{cls} has no field {field}")
            new = {**old, **changed}
            if cls in self.derived:
                new.update(self.derived[cls](self, new))
            self.tables[cls][ref] = new
            if "uuid" in changed:
                self.uuids[cls].pop(old["uuid"], None)
                self.uuids[cls][changed["uuid"]] = ref
            self._record_change(cls, ref, "mod")
            related = self.relations.get(cls, {})
            for field, value in changed.items():
                if field in related:
                    before, after = _as_list(old[field]), _as_list(value)
                    self._link(cls, ref, field, [r for r in before if r not in after], add=False)
                    self._link(cls, ref, field, [r for r in after if r not in before], add=True)
            self._committed()

    def destroy(self, cls: str, ref: str) -> None:
        with self.lock:
            record = self.get(cls, ref)
            for field in self.relations.get(cls, {}):
                self._link(cls, ref, field, _as_list(record[field]), add=False)
            del self.tables[cls][ref]
            self.uuids[cls].pop(record["uuid"], None)
            self._record_change(cls, ref, "del")
            self._committed()

    def touch(self, cls: str, ref: str) -> None:
        """Record a ``mod`` event for an unchanged object (``event.inject``)."""
        with self.lock:
            self.get(cls, ref)
            self._record_change(cls, ref, "mod")
            self._committed()

    def _link(self, cls: str, ref: str, field: str, targets: list[str], add: bool) -> None:
        """Make the other end of relation ``cls.field`` agree that ``ref`` points (or not) at it."""
        other_cls, other_field, other_is_set = self.relations[cls][field]
        table = self.tables[other_cls]
        for target in targets:
            other = table.get(target)
            if other is None:
                continue
            current = other[other_field]
            if other_is_set:
                new_value = current + [ref] if add and ref not in current else current
                if not add:
                    new_value = [r for r in current if r != ref]
            else:
                new_value = ref if add else (NULL_REF if current == ref else current)
            if new_value != current:
                updated = {**other, other_field: new_value}
                if other_cls in self.derived:
                    # e.g. an SR's allowed_operations depend on its PBDs: re-derive the other end too
                    updated.update(self.derived[other_cls](self, updated))
                table[target] = updated
                self._record_change(other_cls, target, "mod")

    # ---- change log and events -----------------------------------------------------------
    def _record_change(self, cls: str, ref: str, op: str) -> None:
        if cls not in NON_WRITE_CLASSES:
            self._writes.count = getattr(self._writes, "count", 0) + 1
        if not self._emits_events[cls]:
            return
        self.generation += 1
        self.log.append(Change(self.generation, cls, ref, op, utcnow()))
        self._log_gens.append(self.generation)
        self.last_changed[ref] = self.generation
        if op == "del":
            self.last_deleted[cls] = self.generation

    def _committed(self) -> None:
        if len(self.log) > LOG_LIMIT:
            drop = len(self.log) - LOG_LIMIT // 2
            for change in self.log[:drop]:
                if change.op == "del" and self.last_changed.get(change.ref) == change.gen:
                    del self.last_changed[change.ref]  # forgotten with the change, as xapi's deletion log forgets
            del self.log[:drop]
            del self._log_gens[:drop]
        self.changed.notify_all()

    def writes_by_this_thread(self) -> int:
        """Mutations made so far by the calling thread (the statistics use differences)."""
        return getattr(self._writes, "count", 0)

    def uncount_writes(self, count: int) -> None:
        """Take back mutations of the calling thread that were bookkeeping, not changes a caller asked for."""
        self._writes.count = getattr(self._writes, "count", 0) - count

    def oldest_generation(self) -> int:
        return self.log[0].gen - 1 if self.log else self.generation

    def changes_since(self, generation: int) -> Iterator[Change]:
        start = bisect_right(self._log_gens, generation)
        return iter(self.log[start:])

    # ---- persistence -----------------------------------------------------------------------
    def dump(self) -> dict[str, dict[str, dict[str, Any]]]:
        with self.lock:
            return {cls: dict(table) for cls, table in self.tables.items() if table and cls not in NON_WRITE_CLASSES}

    def load(self, tables: dict[str, dict[str, dict[str, Any]]]) -> None:
        with self.lock:
            for cls, table in tables.items():
                defaults = self.schema.default_record(cls)
                for ref, record in table.items():
                    full = {**defaults, **{k: v for k, v in record.items() if k in defaults}}
                    self.tables[cls][ref] = full
                    self.uuids[cls][full["uuid"]] = ref


class _Missing:
    pass


_MISSING = _Missing()


def _as_list(value: Any) -> list[str]:
    if isinstance(value, list):
        return value
    if isinstance(value, str) and value and value != NULL_REF:
        return [value]
    return []
