"""Tasks: the records every ``Async.*`` call, plain call of an async-capable message and ``task.create`` make.

xapi keeps a finished task until its client destroys it or about 200 newer ones have finished;
a task's ``result`` is the XML-RPC encoding of the operation's value, as a string. The
``task.*`` handlers in ``semantics/api/tasks.py`` and the core's ``Async.*`` dispatch use this table.
"""
from __future__ import annotations

from typing import Any, Callable

from .errors import XapiError
from .store import NULL_REF, Store, utcnow
from .wire import encode_xmlrpc_value

FINISHED_TASKS_KEPT = 200
# A task moves its progress in this many steps over the operation's duration, so clients see events.
PROGRESS_STEPS = 4


class TaskTable:
    def __init__(self, store: Store, master_ref: Callable[[], str]) -> None:
        self.store = store
        self._master_ref = master_ref
        self.finished_order: list[str] = []
        self.owners: dict[str, str] = {}  # task -> the session that created it

    def create(self, label: str, description: str = "", session: str = NULL_REF) -> str:
        """A pending task, listed in ``session.tasks`` of the session that made it, as in xapi."""
        store = self.store
        task = store.create("task", {
            "name_label": label, "name_description": description, "created": utcnow(),
            "status": "pending", "progress": 0.0, "resident_on": self._master_ref(),
            "allowed_operations": ["cancel"], "type": "<none/>", "result": "", "error_info": [],
        })
        if store.exists("session", session):
            store.update("session", session, tasks=store.get("session", session)["tasks"] + [task])
            self.owners[task] = session
        return task

    def forget(self, task: str) -> None:
        """Destroy a task and take it out of its session's list."""
        store = self.store
        session = self.owners.pop(task, NULL_REF)
        if store.exists("session", session):
            store.update("session", session, tasks=[t for t in store.get("session", session)["tasks"] if t != task])
        if store.exists("task", task):
            store.destroy("task", task)

    def run(self, task: str, duration: float, operation: Callable[[], Any],
            injected_failure: Callable[[], list[Any] | None]) -> None:
        """Run ``operation`` as ``task``: wait ``duration`` seconds in steps (a cancel ends the wait), then apply it.

        Called on the task's own thread. ``injected_failure`` is asked once, just before the operation
        would take effect: a fault injected through the control API fails the task the way xapi
        reports a failing operation, and the operation then does not happen.
        """
        store = self.store
        step = duration / PROGRESS_STEPS
        for index in range(1, PROGRESS_STEPS):
            with store.changed:
                store.changed.wait_for(lambda: self._cancelling(task), timeout=step)
                if self._cancelling(task):
                    self._finish(task, "cancelled", error=["TASK_CANCELLED", task])
                    return
                if store.exists("task", task):
                    store.update("task", task, progress=round(index / PROGRESS_STEPS, 2))
        injected = injected_failure()
        if injected is not None:
            self._finish(task, "failure", error=[str(part) for part in injected])
            return
        with store.lock:
            try:
                value = operation()
            except XapiError as err:
                self._finish(task, "failure", error=err.description())
                return
            except Exception as exc:  # a simulator bug must still end the task, visibly
                self._finish(task, "failure", error=["INTERNAL_ERROR", f"{type(exc).__name__}: {exc}"])
                return
            self._finish(task, "success", result=encode_task_result(value))

    def set_progress(self, task: str, fraction: float) -> None:
        with self.store.lock:
            if self.store.exists("task", task) and self.store.get("task", task)["status"] == "pending":
                self.store.update("task", task, progress=round(min(max(fraction, 0.0), 0.99), 2))

    def complete(self, task: str, result: str = "") -> None:
        """End a task that an HTTP handler ran (xapi's ``TaskHelper.complete``)."""
        self._finish(task, "success", result=result)

    def fail(self, task: str, error: list[str]) -> None:
        self._finish(task, "failure", error=[str(part) for part in error])

    def _cancelling(self, task: str) -> bool:
        record = self.store.records("task").get(task)
        return record is None or record["status"] == "cancelling"

    def _finish(self, task: str, status: str, result: str = "", error: list[str] | None = None) -> None:
        store = self.store
        with store.lock:
            if not store.exists("task", task):
                return
            store.update("task", task, status=status, progress=1.0, finished=utcnow(), result=result,
                         error_info=error or [], allowed_operations=[])
            self.finished_order.append(task)
            self._prune()

    def _prune(self) -> None:
        """xapi keeps about 200 finished tasks; the oldest go first."""
        store = self.store
        self.finished_order = [t for t in self.finished_order if store.exists("task", t)]
        while len(self.finished_order) > FINISHED_TASKS_KEPT:
            self.forget(self.finished_order.pop(0))


def encode_task_result(value: Any) -> str:
    if value == "" or value is None:
        return ""
    return encode_xmlrpc_value(value)
