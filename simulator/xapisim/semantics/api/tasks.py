"""task.*: cancel, create, destroy and the setters; the task table and the runner are in ``task_table.py``.

A cancel marks a pending task ``cancelling``; the running operation notices it between its progress
steps and ends the task ``cancelled``, as xapi's cancellable operations do.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

from ...registry import handles

if TYPE_CHECKING:
    from ...context import CallContext


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
