"""event.*: ``event.from`` with tokens and class filters, and the legacy register/next/unregister.

Tokens are change generations, zero-padded. As in xapi (``collect_events``), a token is the latest
generation among the changes the answer reports, or the one the call was given when none matched: an
empty token returns every matching object as an ``add`` event (a consistent snapshot) with the
generation of the latest of them; later calls block until something matching changed or the timeout
passed, and merge several changes to one object into one event.

Like xapi, event calls batch (``Batching``): they sleep before their first read (50 ms for an
``event.from`` not only about tasks, 200 ms for ``event.next``, none for task-only ``event.from``) and,
once woken by a change, a little before reading again, so that a burst of changes comes as one answer.
The pace sets the delays: xapi's in the realistic pace, none in the instant one.
"""
from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from ...errors import XapiError
from ...registry import handles
from ...store import Change, utcnow

if TYPE_CHECKING:
    from ...context import CallContext
    from ...store import Store

NEXT_TIMEOUT = 30.0
QUEUE_LIMIT = 10_000


class Subscription:
    """Parsed ``["vm", "task/OpaqueRef:..", "*"]``: which classes, and which single objects."""

    def __init__(self, ctx: "CallContext", classes: list[str]) -> None:
        self.everything = False
        self.classes: set[str] = set()
        self.objects: set[tuple[str, str]] = set()
        for item in classes:
            name, _slash, ref = item.partition("/")
            if name == "*":
                self.everything = True
                continue
            cdef = ctx.sim.schema.by_lower(name.lower())
            if cdef is None:
                raise XapiError("EVENT_SUBSCRIPTION_PARSE_FAILURE", item)
            if ref:
                self.objects.add((cdef.name, ref))
            else:
                self.classes.add(cdef.name)

    @property
    def task_only(self) -> bool:
        """Only tasks: xapi's ``is_task_only``, whose event.from answers without a first delay."""
        return not self.everything and all(cls == "task" for cls in self.classes | {cls for cls, _ref in self.objects})

    def wants(self, cls: str, ref: str) -> bool:
        return self.everything or cls in self.classes or (cls, ref) in self.objects

    def snapshot_classes(self, ctx: "CallContext") -> list[str]:
        if self.everything:
            return [name for name, c in ctx.sim.schema.classes.items() if c.gen_events]
        return sorted(self.classes)


def _token(generation: int) -> str:
    return f"{generation:020d},{0:020d}"


def _parse_token(token: str) -> int:
    head = token.split(",", 1)[0]
    if not all(part.isdigit() for part in token.split(",")):
        raise XapiError("EVENT_FROM_TOKEN_PARSE_FAILURE", token)
    return int(head)


def _event(store: "Store", change: Change | None, cls: str, ref: str, op: str) -> dict[str, Any]:
    event: dict[str, Any] = {
        "id": change.gen if change else store.generation,
        "timestamp": change.time if change else utcnow(),
        "class": cls.lower(), "operation": op, "ref": ref,
    }
    record = store.tables[cls].get(ref)
    if op != "del" and record is not None:
        event["snapshot"] = record
        event["obj_uuid"] = record.get("uuid", "")
    return event


def _collect(store: "Store", since: int, sub: Subscription) -> list[dict[str, Any]]:
    """Changes after ``since`` that the subscription wants, one event per object (the latest)."""
    latest: dict[tuple[str, str], tuple[Change, str]] = {}
    for change in store.changes_since(since):
        if not sub.wants(change.cls, change.ref):
            continue
        key = (change.cls, change.ref)
        first_op = latest[key][1] if key in latest else change.op
        op = "del" if change.op == "del" else ("add" if first_op == "add" else "mod")
        latest[key] = (change, op)
    return [_event(store, change, cls, ref, op) for (cls, ref), (change, op) in latest.items()]


class _Batching:
    """xapi's ``Throttle.Batching.with_recursive_loop``: a delay before the first read, then, after each
    wake-up, one that starts at a sixteenth of ``between`` and doubles up to it. Sleeps with the store unlocked."""

    def __init__(self, delays: tuple[float, float]) -> None:
        self.before, self.between = delays
        self.next_delay = self.between / 16

    def first(self) -> None:
        if self.before > 0:
            time.sleep(self.before)

    def again(self) -> None:
        if self.between > 0:
            self.next_delay = min(self.between, 2 * self.next_delay)
            time.sleep(self.next_delay)


@handles("event.from")
def event_from(ctx: "CallContext", classes: list[str], token: str, timeout: float) -> dict[str, Any]:
    store = ctx.store
    sub = Subscription(ctx, classes)
    since = None if token == "" else _parse_token(token)
    deadline = time.monotonic() + max(0.0, timeout)
    batching = _Batching(ctx.sim.pace.event_batching("event_from_task" if sub.task_only else "event_from"))
    batching.first()
    while True:
        with store.changed:
            if since is None:
                events: list[dict[str, Any]] = []
                for cls in sub.snapshot_classes(ctx):
                    events.extend(_event(store, None, cls, ref, "add") for ref in store.records(cls))
                for cls, ref in sorted(sub.objects):
                    if store.exists(cls, ref):
                        events.append(_event(store, None, cls, ref, "add"))
                return _batch(ctx, sub, events, _snapshot_generation(ctx, sub, events))
            events = _collect(store, since, sub)
            remaining = deadline - time.monotonic()
            if events or remaining <= 0:
                latest = max((event["id"] for event in events), default=since)
                return _batch(ctx, sub, events, latest)
            store.changed.wait(remaining)
        batching.again()


def _snapshot_generation(ctx: "CallContext", sub: Subscription, events: list[dict[str, Any]]) -> int:
    """The token of a snapshot: the latest change among its objects and the deletions the subscription covers."""
    store = ctx.store
    generations = [store.last_changed.get(event["ref"], 0) for event in events]
    generations += [store.last_deleted.get(cls, 0) for cls in sub.snapshot_classes(ctx)]
    generations += [store.last_changed.get(ref, 0) for _cls, ref in sub.objects]
    return max(generations, default=0)


def _batch(ctx: "CallContext", sub: Subscription, events: list[dict[str, Any]], generation: int) -> dict[str, Any]:
    counts = {cls.lower(): len(ctx.store.records(cls)) for cls in sub.snapshot_classes(ctx)}
    return {"events": events, "valid_ref_counts": counts, "token": _token(generation)}


@handles("event.register")
def register(ctx: "CallContext", classes: list[str]) -> str:
    state = ctx.sim.sessions.state(ctx.session)
    Subscription(ctx, classes)  # validates the names
    if state.registered is None:
        state.registered = set()
        state.cursor = ctx.store.generation
    state.registered.update(classes)
    return ""


@handles("event.unregister")
def unregister(ctx: "CallContext", classes: list[str]) -> str:
    state = ctx.sim.sessions.state(ctx.session)
    if state.registered is not None:
        state.registered.difference_update(classes)
    return ""


@handles("event.next")
def event_next(ctx: "CallContext") -> list[dict[str, Any]]:
    store = ctx.store
    state = ctx.sim.sessions.state(ctx.session)
    if state.registered is None:
        raise XapiError("SESSION_NOT_REGISTERED", ctx.session)
    sub = Subscription(ctx, sorted(state.registered))
    deadline = time.monotonic() + NEXT_TIMEOUT
    batching = _Batching(ctx.sim.pace.event_batching("event_next"))
    batching.first()
    while True:
        with store.changed:
            if state.cursor < store.oldest_generation() or store.generation - state.cursor > QUEUE_LIMIT:
                state.cursor = store.generation
                raise XapiError("EVENTS_LOST")
            events = _collect(store, state.cursor, sub)
            state.cursor = store.generation
            remaining = deadline - time.monotonic()
            if events or remaining <= 0:
                return events
            store.changed.wait(remaining)
        batching.again()


@handles("event.get_current_id")
def get_current_id(ctx: "CallContext") -> int:
    return ctx.store.generation


@handles("event.inject")
def inject(ctx: "CallContext", cls: str, ref: str) -> str:
    cdef = ctx.sim.schema.by_lower(cls.lower()) or ctx.sim.schema.classes.get(cls)
    if cdef is None:
        raise XapiError("EVENT_SUBSCRIPTION_PARSE_FAILURE", cls)
    ctx.store.touch(cdef.name, ref)
    return _token(ctx.store.generation)
