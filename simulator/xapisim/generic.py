"""The generic layer: xapi's implicit messages, for every class, driven by the schema.

get_record, get_all, get_all_records, get_all_where, get_all_records_where, get_by_uuid,
get_by_name_label, get_<field>, set_<field>, add_to_<field>/remove_from_<field> (maps),
add_<field>/remove_<field> (sets), create and destroy.
"""
from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, Any, Callable

from .errors import XapiError
from .schema import Message, Schema, parse_type
from .store import NULL_REF
from .coercion import coerce_record
from .where import WhereSyntaxError, compile_where, where_fields

if TYPE_CHECKING:
    from .context import CallContext

WHERE_MESSAGES = ("get_all_where", "get_all_records_where")
# Reads some classes (e.g. ``message``) declare explicitly but which behave exactly as the implicit ones.
GENERIC_READS = frozenset(WHERE_MESSAGES + ("get_record", "get_all", "get_all_records", "get_by_uuid"))


def synthetic_message(schema: Schema, cls: str, name: str) -> Message | None:
    """The two messages every class answers though the datamodel does not list them."""
    if name not in WHERE_MESSAGES:
        return None
    result = parse_type(f"{cls} ref set") if name == "get_all_where" else parse_type(f"({cls} ref -> {cls} record) map")
    return Message(name=name, params=[("expr", parse_type("string"))], takes_session=True, result=result,
                   is_async=False, implicit=True, errors=[], required_params=1)


def implicit_handler(cls: str, message: Message) -> Callable[..., Any]:
    return _implicit_handler(cls, message.name)


@lru_cache(maxsize=None)
def _implicit_handler(cls: str, name: str) -> Callable[..., Any]:
    if name in ("get_record", "get_all", "get_all_records", "get_by_uuid", "get_by_name_label", "destroy", "create"):
        return _SIMPLE[name](cls)
    if name in WHERE_MESSAGES:
        return _where(cls, records=name == "get_all_records_where")
    for prefix, factory in _FIELD_OPS:
        if name.startswith(prefix):
            return factory(cls, name[len(prefix):])
    raise XapiError("NOT_IMPLEMENTED", f"{cls}.{name}")


def _get_record(cls: str) -> Callable[..., Any]:
    def handler(ctx: CallContext, ref: str) -> dict[str, Any]:
        return ctx.store.get(cls, ref)
    return handler


def _get_all(cls: str) -> Callable[..., Any]:
    def handler(ctx: CallContext) -> list[str]:
        return list(ctx.store.records(cls))
    return handler


def _get_all_records(cls: str) -> Callable[..., Any]:
    def handler(ctx: CallContext) -> dict[str, dict[str, Any]]:
        return dict(ctx.store.records(cls))
    return handler


def _get_by_uuid(cls: str) -> Callable[..., Any]:
    def handler(ctx: CallContext, uuid: str) -> str:
        ref = ctx.store.ref_of_uuid(cls, uuid)
        if ref is None:
            raise XapiError("UUID_INVALID", cls, uuid)
        return ref
    return handler


def _get_by_name_label(cls: str) -> Callable[..., Any]:
    def handler(ctx: CallContext, label: str) -> list[str]:
        return [ref for ref, rec in ctx.store.records(cls).items() if rec.get("name_label") == label]
    return handler


def _create(cls: str) -> Callable[..., Any]:
    def handler(ctx: CallContext, record: dict[str, Any]) -> str:
        return create_checked(ctx, cls, record)
    return handler


def create_checked(ctx: CallContext, cls: str, record: dict[str, Any]) -> str:
    """``<class>.create``: required constructor fields present, refs valid, then store it."""
    cdef = ctx.sim.schema.cls(cls)
    for fname, required in cdef.ctor_fields.items():
        if required and fname not in record:
            raise XapiError("FIELD_TYPE_ERROR", fname)
    fields = {k: v for k, v in coerce_record(ctx.sim.schema, cls, record).items() if k in cdef.ctor_fields or k == "uuid"}
    for fname, value in fields.items():
        ftype = cdef.fields[fname].type
        if ftype.kind == "ref" and value != NULL_REF and ftype.name and not ctx.store.exists(ftype.name, value):
            raise XapiError("HANDLE_INVALID", ftype.name, value)
    return ctx.store.create(cls, fields)


def _destroy(cls: str) -> Callable[..., Any]:
    def handler(ctx: CallContext, ref: str) -> str:
        ctx.store.get(cls, ref)
        ctx.store.destroy(cls, ref)
        return ""
    return handler


REF_COLUMN = "_ref"


def _where(cls: str, records: bool) -> Callable[..., Any]:
    def handler(ctx: CallContext, expr: str) -> Any:
        try:
            predicate = compile_where(expr)
        except WhereSyntaxError as exc:
            raise XapiError("INTERNAL_ERROR", f"Db_filter.Expression_error: {exc}") from None
        table = ctx.store.records(cls)
        # Fields are named by database column (name__label, memory__static_max): xapi's filter looks each one up in
        # the rows it scans (db_cache_impl.ml, find_refs_with_filter) and fails on a column it lacks
        # (DBCache_NotFound "missing field", which exnHelper.ml turns into INTERNAL_ERROR); an empty table never looks.
        # Every row also holds its own reference as "_ref" (db_cache_impl.ml, create_row), which filters may name.
        fields = where_fields(expr)
        columns = ctx.sim.schema.db_columns(cls)
        missing = sorted(name for name in fields if name not in columns and name != REF_COLUMN)
        if missing and table:
            raise XapiError("INTERNAL_ERROR", "missing field", missing[0], "")
        if REF_COLUMN in fields:
            matching = [ref for ref, rec in table.items() if predicate({**rec, REF_COLUMN: ref})]
        else:
            matching = [ref for ref, rec in table.items() if predicate(rec)]
        return {ref: table[ref] for ref in matching} if records else matching
    return handler


def _field(ctx: CallContext, cls: str, ref: str, field: str) -> Any:
    return ctx.store.get(cls, ref)[field]


def _getter(cls: str, field: str) -> Callable[..., Any]:
    def handler(ctx: CallContext, ref: str) -> Any:
        return _field(ctx, cls, ref, field)
    return handler


def _setter(cls: str, field: str) -> Callable[..., Any]:
    def handler(ctx: CallContext, ref: str, value: Any) -> str:
        ctx.store.get(cls, ref)
        ctx.store.update(cls, ref, **{field: value})
        return ""
    return handler


def _map_add(cls: str, field: str) -> Callable[..., Any]:
    def handler(ctx: CallContext, ref: str, key: Any, value: Any) -> str:
        record = ctx.store.get(cls, ref)
        if key in record[field]:
            raise XapiError("MAP_DUPLICATE_KEY", cls, field, record["uuid"], key)
        ctx.store.update(cls, ref, **{field: {**record[field], key: value}})
        return ""
    return handler


def _map_remove(cls: str, field: str) -> Callable[..., Any]:
    def handler(ctx: CallContext, ref: str, key: Any) -> str:
        current = _field(ctx, cls, ref, field)
        if key in current:
            ctx.store.update(cls, ref, **{field: {k: v for k, v in current.items() if k != key}})
        return ""
    return handler


def _set_add(cls: str, field: str) -> Callable[..., Any]:
    def handler(ctx: CallContext, ref: str, value: Any) -> str:
        current = _field(ctx, cls, ref, field)
        if value not in current:
            ctx.store.update(cls, ref, **{field: current + [value]})
        return ""
    return handler


def _set_remove(cls: str, field: str) -> Callable[..., Any]:
    def handler(ctx: CallContext, ref: str, value: Any) -> str:
        current = _field(ctx, cls, ref, field)
        if value in current:
            ctx.store.update(cls, ref, **{field: [v for v in current if v != value]})
        return ""
    return handler


_SIMPLE: dict[str, Callable[[str], Callable[..., Any]]] = {
    "get_record": _get_record,
    "get_all": _get_all,
    "get_all_records": _get_all_records,
    "get_by_uuid": _get_by_uuid,
    "get_by_name_label": _get_by_name_label,
    "create": _create,
    "destroy": _destroy,
}
# Longest prefixes first: "remove_from_" before "remove_", "add_to_" before "add_".
_FIELD_OPS: list[tuple[str, Callable[[str, str], Callable[..., Any]]]] = [
    ("get_", _getter),
    ("set_", _setter),
    ("add_to_", _map_add),
    ("remove_from_", _map_remove),
    ("add_", _set_add),
    ("remove_", _set_remove),
]
