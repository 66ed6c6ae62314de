"""message.*: the pool's alert messages (created by xapi and by clients, read by dashboards)."""
from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from ...errors import XapiError
from ...registry import handles
from ...store import utcnow

if TYPE_CHECKING:
    from ...context import CallContext


@handles("message.create")
def create(ctx: "CallContext", name: str, priority: int, cls: str, obj_uuid: str, body: str) -> str:
    # The cls enum spells classes its own way ("Host" for host, "VM", "SR", "Pool"): matched without case.
    target = ctx.sim.schema.by_lower(cls.lower())
    if cls != "Pool" and (target is None or ctx.store.ref_of_uuid(target.name, obj_uuid) is None):
        raise XapiError("UUID_INVALID", cls, obj_uuid)
    return ctx.store.create("message", {"name": name, "priority": priority, "cls": cls, "obj_uuid": obj_uuid,
                                        "timestamp": utcnow(), "body": body})


@handles("message.destroy")
def destroy(ctx: "CallContext", message: str) -> str:
    ctx.store.get("message", message)
    ctx.store.destroy("message", message)
    return ""


@handles("message.destroy_many")
def destroy_many(ctx: "CallContext", messages: list[str]) -> str:
    for message in messages:
        if ctx.store.exists("message", message):
            ctx.store.destroy("message", message)
    return ""


@handles("message.get_since")
def get_since(ctx: "CallContext", since: datetime) -> dict[str, Any]:
    return {ref: rec for ref, rec in ctx.store.records("message").items() if rec["timestamp"] > since}


@handles("message.get")
def get(ctx: "CallContext", cls: str, obj_uuid: str, since: datetime) -> dict[str, Any]:
    return {ref: rec for ref, rec in ctx.store.records("message").items()
            if rec["cls"] == cls and rec["obj_uuid"] == obj_uuid and rec["timestamp"] > since}
