"""Check and convert decoded wire values into the simulator's value model, by datamodel type.

XML-RPC clients send 64-bit ints as strings and datetimes as ``dateTime.iso8601``; JSON-RPC
sends numbers and strings. Both arrive here and leave as int / float / bool / str / list / dict /
datetime, or fail with FIELD_TYPE_ERROR naming the parameter, as xapi does.
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from .errors import XapiError
from .schema import Schema, XType

_DATETIME_FORMATS = ("%Y%m%dT%H:%M:%SZ", "%Y%m%dT%H:%M:%S", "%Y-%m-%dT%H:%M:%SZ", "%Y-%m-%dT%H:%M:%S")


def parse_datetime(text: str) -> datetime:
    for fmt in _DATETIME_FORMATS:
        try:
            return datetime.strptime(text, fmt).replace(tzinfo=timezone.utc)
        except ValueError:
            continue
    raise ValueError(text)


def coerce(schema: Schema, value: Any, t: XType, name: str) -> Any:
    """Return ``value`` as type ``t``, or raise FIELD_TYPE_ERROR [name]."""
    kind = t.kind
    try:
        if kind in ("string", "ref"):
            if isinstance(value, str):
                return value
        elif kind == "int":
            if isinstance(value, int) and not isinstance(value, bool):
                return value
            if isinstance(value, str):
                return int(value)
        elif kind == "float":
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                return float(value)
            if isinstance(value, str):
                return float(value)
        elif kind == "bool":
            if isinstance(value, bool):
                return value
            if isinstance(value, str) and value.lower() in ("true", "false"):
                return value.lower() == "true"
        elif kind == "datetime":
            if isinstance(value, datetime):
                return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
            if isinstance(value, str):
                return parse_datetime(value)
        elif kind == "enum":
            if isinstance(value, str):
                return _enum_value(schema, t, value, name)
        elif kind == "set":
            if isinstance(value, list):
                assert t.elem is not None
                return [coerce(schema, item, t.elem, name) for item in value]
        elif kind == "map":
            if isinstance(value, dict):
                assert t.key is not None and t.elem is not None
                return {coerce(schema, k, t.key, name): coerce(schema, v, t.elem, name) for k, v in value.items()}
        elif kind == "record":
            if isinstance(value, dict):
                return coerce_record(schema, t.name or "", value)
        else:
            return value
    except ValueError:
        pass
    raise XapiError("FIELD_TYPE_ERROR", name)


def _enum_value(schema: Schema, t: XType, value: str, name: str) -> str:
    allowed = schema.enums.get(t.name or "", [])
    for candidate in allowed:
        if candidate.lower() == value.lower():
            return candidate
    raise XapiError("FIELD_TYPE_ERROR", name)


def coerce_record(schema: Schema, cls: str, record: dict[str, Any]) -> dict[str, Any]:
    """Convert the known fields of a record argument (``VM.create(args)``); unknown keys are ignored, as xapi does."""
    fields = schema.cls(cls).fields
    return {key: coerce(schema, value, fields[key].type, key) for key, value in record.items() if key in fields}


def render(value: Any) -> str:
    """A value as xapi's database stores it as a string (task results, where expressions)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.strftime("%Y%m%dT%H:%M:%SZ")
    return str(value)
