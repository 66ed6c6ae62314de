"""The simulator object: one pool's store plus the dispatch of every wire call.

The path of a call: statistics and faults, method lookup in the generated schema, arity,
master check, session check, parameter types, then either a hand-written handler from the
semantic layer (``semantics/``) or the generic layer (``generic.py``). ``Async.*`` calls run
the same handler inside a task (``task_table.py``) on a thread of their own; plain calls of
messages that have an ``Async`` form run inside a task too, and answer when it ends.

The core imports what it dispatches to and the tables it keeps; the control API (``control.py``),
the scenarios and the persistence (``world.py``) are built on it and are never imported here.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any, Callable, Optional

from . import generic, semantics
from .coercion import coerce
from .context import CallContext, Peers
from .disk_contents import DiskContents
from .errors import XapiError
from .faults import Faults, Stats
from .pace import Pace
from .registry import DERIVED, HANDLERS
from .schema import Message, Schema
from .session_table import SessionTable
from .store import NULL_REF, Store
from .task_table import TaskTable
from .update_catalog import UpdateCatalog

# Login-type calls take no session; login_with_password accepts 2 to 4 parameters.
NO_SESSION_METHODS = frozenset({"session.login_with_password", "session.slave_local_login_with_password"})
# Calls a pool member answers itself instead of redirecting to the master.
MEMBER_METHODS = frozenset({"session.slave_local_login_with_password", "session.logout", "session.local_logout",
                            "pool.emergency_transition_to_master", "pool.emergency_reset_master"})
# Handlers that block (waiting for events) must not hold the store lock while they wait.
UNLOCKED_METHODS = frozenset({"event.from", "event.next"})
# Bookkeeping classes whose async-capable messages (task.cancel, event.register) take no time.
INSTANT_CLASSES = frozenset({"task", "event", "session"})


@dataclass
class Simulator:
    """One simulated pool: satisfies ``context.SimulatorView`` for the handlers it dispatches to."""

    schema: Schema
    store: Store
    users: dict[str, str] = field(default_factory=lambda: {"root": "xapisim"})
    pace: Pace = field(default_factory=Pace)
    # Set by the HTTP front: starts a listener for a host that joins at run time.
    host_joined: Optional[Callable[[int, str], None]] = None
    # The other pools of this process, for pool.join and pool.eject (``lan.py``); None when it serves one pool.
    peers: Optional[Peers] = None

    def __post_init__(self) -> None:
        semantics.register_all()
        self.stats = Stats()
        self.faults = Faults()
        self.store.derived.update(DERIVED)
        # The master moves (designate_new_master): the tables read it when they need it.
        self.sessions = SessionTable(self.store, self._current_master)
        self.tasks = TaskTable(self.store, self._current_master)
        self.disks = DiskContents()
        self.updates = UpdateCatalog()

    # ---- pool topology seen by the HTTP front ------------------------------------------------
    @property
    def hosts(self) -> list[tuple[str, str]]:
        records = sorted(self.store.records("host").values(), key=lambda r: _address_key(r["address"]))
        return [(r["name_label"], r["address"]) for r in records]

    @property
    def host_refs(self) -> list[str]:
        table = self.store.records("host")
        return sorted(table, key=lambda ref: _address_key(table[ref]["address"]))

    @property
    def master_ref(self) -> str:
        pool = next(iter(self.store.records("pool").values()))
        return pool["master"]

    def _current_master(self) -> str:
        return self.master_ref

    @property
    def master_index(self) -> int:
        return self.host_refs.index(self.master_ref)

    @property
    def username(self) -> str:
        return "root"

    @property
    def password(self) -> str:
        return self.users["root"]

    @property
    def durations(self) -> dict[str, float]:
        """Seconds per operation set explicitly (control API, scenario, state file); they override the pace."""
        return self.pace.explicit

    def duration(self, method: str, args: list | None = None) -> float:
        """Seconds ``method`` takes at the pool's pace (``slow_tasks`` overrides everything)."""
        return self.faults.slow_tasks or self.pace.seconds(method, args, self._bytes_moved)

    def _bytes_moved(self, method: str, args: list) -> int:
        """The disk bytes a copy moves: the VDI's size, or the sum of the VM's disks."""
        vdis = self.store.records("VDI")
        if not args:
            return 0
        if method.startswith("VDI."):
            return int(vdis.get(args[0], {}).get("virtual_size", 0))
        vm = self.store.records("VM").get(args[0], {})
        vbds = self.store.records("VBD")
        disks = [vbds.get(vbd, {}).get("VDI") for vbd in vm.get("VBDs", [])]
        return sum(int(vdis.get(vdi, {}).get("virtual_size", 0)) for vdi in disks if vdi in vdis)

    # ---- the wire entry points ----------------------------------------------------------------
    def wire_action(self, host_index: int) -> str:
        action = self.faults.wire_action(host_index)
        if action != "ok":
            self.stats.count_fault(action)
        return action

    def lose_reply(self, method: str) -> bool:
        """Whether the answer to a call just served never reaches the client (the call took effect)."""
        lost = self.faults.lose_reply(method)
        if lost:
            self.stats.count_fault("lost_reply")
        return lost

    def is_hung(self, host_index: int) -> bool:
        return self.faults.is_hung(host_index)

    def call(self, method: str, params: list, host_index: int = 0, pipelined: bool = False) -> Any:
        """Run one call; ``pipelined``: its request came on a connection behind an earlier one not yet answered."""
        self.stats.count_call(method, pipelined)
        writes_before = self.store.writes_by_this_thread()
        try:
            self.faults.before_call(method, pipelined)
            return self._dispatch(method, params, host_index)
        finally:
            if self.store.writes_by_this_thread() != writes_before:
                self.stats.count_write()

    def _dispatch(self, method: str, params: list, host_index: int) -> Any:
        if method.startswith("system."):
            return self._system_call(method, params)
        is_async = method.startswith("Async.")
        name = method[len("Async."):] if is_async else method
        message, cls = self._lookup(name, method)
        expected = len(message.params) + (1 if message.takes_session else 0)
        if name == "session.login_with_password":
            if not 2 <= len(params) <= 4:
                raise XapiError("MESSAGE_PARAMETER_COUNT_MISMATCH", method, 4, len(params))
            params = list(params) + [""] * (4 - len(params))
        else:
            params = self._check_arity(message, method, params, expected)
        host_refs = self.host_refs
        host = host_refs[host_index] if host_index < len(host_refs) else NULL_REF
        if host != self.master_ref and name not in MEMBER_METHODS:
            master = self.store.get("host", self.master_ref)
            raise XapiError("HOST_IS_SLAVE", master["address"])
        ctx = CallContext(self, name, host=host)
        if message.takes_session:
            ctx.session = self.sessions.check(params[0])
            params = params[1:]
        args = [coerce(self.schema, value, ptype, pname) for value, (pname, ptype) in zip(params, message.params)]
        handler = self._handler(cls, message, name)
        if is_async:
            if not message.is_async:
                raise XapiError("MESSAGE_METHOD_UNKNOWN", method)
            return self._spawn_task(ctx, handler, args)
        if name in UNLOCKED_METHODS:
            return handler(ctx, *args)
        if message.is_async and not message.implicit and cls not in INSTANT_CLASSES:
            return self._run_as_call_task(ctx, handler, args)
        with self.store.lock:
            return handler(ctx, *args)

    def _spawn_task(self, ctx: CallContext, handler: Callable[..., Any], args: list[Any]) -> str:
        """Answer an ``Async.*`` call with a pending task at once; the operation runs on the task's thread."""
        with self.store.lock:
            task = self.tasks.create(f"Async.{ctx.method}", session=ctx.session)
        ctx.task = task
        ctx.duration = self.duration(ctx.method, args)
        threading.Thread(target=self.tasks.run, name=f"task {task}", daemon=True,
                         args=(task, ctx.duration, lambda: handler(ctx, *args),
                               lambda: self.faults.task_failure(ctx.method))).start()
        return task

    def _run_as_call_task(self, ctx: CallContext, handler: Callable[..., Any], args: list[Any]) -> Any:
        """A plain call of a message that has an ``Async`` form, answered when the operation ends.

        xapi runs it as a task all the same: named after the call ("VM.start"), listed in the session's
        ``tasks`` and in the object's ``current_operations``, cancellable while it runs; the task is
        destroyed once the call answers (``context.ml`` ``of_http_req``, ``server_helpers.ml`` ``do_dispatch``).
        """
        store = self.store
        writes_before = store.writes_by_this_thread()
        with store.lock:
            task = self.tasks.create(ctx.method, session=ctx.session)
        ctx.task = task
        ctx.duration = self.duration(ctx.method, args)
        values: list[Any] = []
        operation_writes: list[int] = []

        def operation() -> None:
            start = store.writes_by_this_thread()
            try:
                values.append(handler(ctx, *args))
            finally:
                operation_writes.append(store.writes_by_this_thread() - start)

        try:
            self.tasks.run(task, ctx.duration, operation, lambda: self.faults.task_failure(ctx.method))
            with store.lock:
                record = dict(store.records("task").get(task) or {})
        finally:
            with store.lock:
                self.tasks.forget(task)
            # The task is the call's own bookkeeping: a call is a write only if its operation changed something.
            store.uncount_writes(store.writes_by_this_thread() - writes_before - sum(operation_writes))
        if record.get("status") == "success" and values:
            return values[0]
        raise XapiError(*(record.get("error_info") or ["TASK_CANCELLED", task]))

    def _system_call(self, method: str, params: list) -> Any:
        """The calls outside the classes (gen_server.ml): introspection and the liveness probe, with no session.

        ``system.listMethods`` lists the synchronous wire name of every message of every class, as xapi's
        generated dispatcher does; ``system.isAlive:<anything>`` echoes its first parameter.
        """
        if method == "system.listMethods":
            return [f"{cls.name}.{name}" for cls in self.schema.classes.values() for name in cls.messages]
        if method.startswith("system.isAlive:") and params:
            return params[0]
        raise XapiError("MESSAGE_METHOD_UNKNOWN", method)

    def _check_arity(self, message: Message, method: str, params: list, expected: int) -> list:
        """Trailing optional parameters (``required_params``) may be left out; they take their zero value."""
        minimum = message.required_params + (1 if message.takes_session else 0)
        if not minimum <= len(params) <= expected:
            raise XapiError("MESSAGE_PARAMETER_COUNT_MISMATCH", method, expected, len(params))
        missing = message.params[len(params) - expected:] if len(params) < expected else []
        return list(params) + [self.schema.zero(param[1]) for param in missing]

    def _lookup(self, name: str, method: str) -> tuple[Message, str]:
        cls_name, _dot, msg_name = name.partition(".")
        cdef = self.schema.classes.get(cls_name) or self.schema.by_lower(cls_name.lower())
        if cdef is None or not msg_name:
            raise XapiError("MESSAGE_METHOD_UNKNOWN", method)
        message = cdef.messages.get(msg_name) or generic.synthetic_message(self.schema, cdef.name, msg_name)
        if message is None:
            raise XapiError("MESSAGE_METHOD_UNKNOWN", method)
        return message, cdef.name

    def _handler(self, cls: str, message: Message, name: str) -> Callable[..., Any]:
        handler = HANDLERS.get(f"{cls}.{message.name}")
        if handler is not None:
            return handler
        if message.implicit or message.name in generic.GENERIC_READS:
            return generic.implicit_handler(cls, message)
        return _not_implemented(name)


def _not_implemented(name: str) -> Callable[..., Any]:
    def handler(ctx: CallContext, *args: Any) -> Any:
        raise XapiError("NOT_IMPLEMENTED", name)

    return handler


def _address_key(address: str) -> tuple[int, ...]:
    try:
        return tuple(int(part) for part in address.split("."))
    except ValueError:
        return (999,)
