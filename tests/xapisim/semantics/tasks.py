"""task.*: every ``Async.*`` call runs as a task, with progress, result, cancel and destroy.

A task sleeps for the operation's duration (scenario or control API) in a few steps, moving
``progress`` from 0 towards 1 so clients see events, then runs the operation under the store
lock and records the result as xapi does: the XML-RPC encoding of the value, as a string.
"""
from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any, Callable

from ..errors import XapiError
from ..registry import handles
from ..store import NULL_REF, utcnow
from ..wire import encode_xmlrpc_value

if TYPE_CHECKING:
    from ..core import CallContext, Simulator

FINISHED_TASKS_KEPT = 200
PROGRESS_STEPS = 4


class TaskRunner:
    def __init__(self, sim: "Simulator") -> None:
        self.sim = sim
        self.finished_order: list[str] = []
        self.owners: dict[str, str] = {}  # task -> the session that created it

    def create(self, label: str, description: str = "", session: str = NULL_REF) -> str:
        """A pending task, listed in ``session.tasks`` of the session that made it, as in xapi."""
        store = self.sim.store
        task = store.create("task", {
            "name_label": label, "name_description": description, "created": utcnow(),
            "status": "pending", "progress": 0.0, "resident_on": self.sim.master_ref,
            "allowed_operations": ["cancel"], "type": "<none/>", "result": "", "error_info": [],
        })
        if store.exists("session", session):
            store.update("session", session, tasks=store.get("session", session)["tasks"] + [task])
            self.owners[task] = session
        return task

    def forget(self, task: str) -> None:
        """Destroy a task and take it out of its session's list."""
        store = self.sim.store
        session = self.owners.pop(task, NULL_REF)
        if store.exists("session", session):
            store.update("session", session, tasks=[t for t in store.get("session", session)["tasks"] if t != task])
        if store.exists("task", task):
            store.destroy("task", task)

    def spawn(self, ctx: "CallContext", handler: Callable[..., Any], args: list[Any]) -> str:
        with self.sim.store.lock:
            task = self.create(f"Async.{ctx.method}", session=ctx.session)
        ctx.task = task
        worker = threading.Thread(target=self._run, args=(ctx, handler, args), name=f"task {task}", daemon=True)
        worker.start()
        return task

    def _run(self, ctx: "CallContext", handler: Callable[..., Any], args: list[Any]) -> None:
        store = self.sim.store
        task = ctx.task or NULL_REF
        ctx.duration = self.sim.duration(ctx.method, args)
        step = ctx.duration / PROGRESS_STEPS
        for index in range(1, PROGRESS_STEPS):
            with store.changed:
                store.changed.wait_for(lambda: self._cancelling(task), timeout=step)
                if self._cancelling(task):
                    self._finish(task, "cancelled", error=["TASK_CANCELLED", task])
                    return
                if store.exists("task", task):
                    store.update("task", task, progress=round(index / PROGRESS_STEPS, 2))
        injected = self.sim.faults.task_failure(ctx.method)
        if injected is not None:
            # An injected failure happens inside the task, as xapi reports a failing operation.
            self._finish(task, "failure", error=[str(part) for part in injected])
            return
        with store.lock:
            try:
                value = handler(ctx, *args)
            except XapiError as err:
                self._finish(task, "failure", error=err.description())
                return
            except Exception as exc:  # a simulator bug must still end the task, visibly
                self._finish(task, "failure", error=["INTERNAL_ERROR", f"{type(exc).__name__}: {exc}"])
                return
            self._finish(task, "success", result=encode_task_result(value))

    def _cancelling(self, task: str) -> bool:
        record = self.sim.store.records("task").get(task)
        return record is None or record["status"] == "cancelling"

    def _finish(self, task: str, status: str, result: str = "", error: list[str] | None = None) -> None:
        store = self.sim.store
        with store.lock:
            if not store.exists("task", task):
                return
            store.update("task", task, status=status, progress=1.0, finished=utcnow(), result=result,
                         error_info=error or [], allowed_operations=[])
            self.finished_order.append(task)
            self._prune()

    def _prune(self) -> None:
        """xapi keeps about 200 finished tasks; the oldest go first."""
        store = self.sim.store
        self.finished_order = [t for t in self.finished_order if store.exists("task", t)]
        while len(self.finished_order) > FINISHED_TASKS_KEPT:
            self.forget(self.finished_order.pop(0))


def encode_task_result(value: Any) -> str:
    if value == "" or value is None:
        return ""
    return encode_xmlrpc_value(value)


@handles("task.cancel")
def cancel(ctx: "CallContext", task: str) -> str:
    record = ctx.store.get("task", task)
    if record["status"] == "pending":
        ctx.store.update("task", task, status="cancelling")
    return ""


@handles("task.create")
def create(ctx: "CallContext", label: str, description: str) -> str:
    return ctx.sim.tasks.create(label, description, session=ctx.session)


@handles("task.destroy")
def destroy(ctx: "CallContext", task: str) -> str:
    ctx.store.get("task", task)
    ctx.sim.tasks.forget(task)
    return ""


def _task_setter(field: str) -> Callable[..., Any]:
    def handler(ctx: "CallContext", task: str, value: Any) -> str:
        ctx.store.get("task", task)
        ctx.store.update("task", task, **{field: value})
        return ""
    return handler


for _field in ("status", "progress", "result", "error_info"):
    handles(f"task.set_{_field}")(_task_setter(_field))
