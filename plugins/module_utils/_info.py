# Copyright: (c) 2026, xen.xapi maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""xen_info's logic: which records the options select, resolving references, and hiding secrets.

Filters are checked against the class's fields (a misspelled field fails, listing the fields) and
applied to the records read, comparing values as xapi's database writes them. They are not sent to
the server: its filter language names fields by database column ("name__label", "memory__static_max"),
which the API's field names do not always spell out.
"""

from __future__ import annotations

import typing as t

from ansible_collections.xen.xapi.plugins.module_utils._xapi import datamodel_fields, query
from ansible_collections.xen.xapi.plugins.module_utils.storage import credentials

NULL_REF = "OpaqueRef:NULL"
Record = t.Dict[str, t.Any]
# Kinds of fields a filter can compare (one value each).
_COMPARABLE = ("string", "int", "float", "bool", "datetime", "ref", "enum")


class InfoError(ValueError):
    """Options that cannot select anything, with a message naming the option."""


# --- selection ------------------------------------------------------------------------------------

def server_expression(params: t.Mapping[str, t.Any]) -> str:
    """The where-expression sent to the server: uuid and name (``true`` selects all)."""
    clauses = []
    if params.get("uuid"):
        clauses.append('field "uuid" = ' + query.quote(params["uuid"]))
    if params.get("name") is not None:
        clauses.append('field "name__label" = ' + query.quote(params["name"]))
    return query.where_all(*clauses) if clauses else "true"


def check_filters(cls: str, filters: t.Mapping[str, t.Any]) -> None:
    """Every filter names a field of the class that holds one value; InfoError otherwise."""
    fields = datamodel_fields.FIELDS.get(cls, {})
    for name in sorted(filters):
        kind = fields.get(name)
        if kind is None:
            raise InfoError("filters: {0} has no field {1!r}. Its fields are: {2}.".format(cls, name, ", ".join(sorted(fields))))
        if kind not in _COMPARABLE:
            raise InfoError("filters: field {0!r} of {1} holds a {2}; filters compare fields that hold one value (a string, "
                            "number, boolean, reference, enum or date).".format(name, cls, kind))
        if filters[name] is None:
            raise InfoError("filters: give a value for field {0!r} (it is empty).".format(name))


def db_text(value: t.Any) -> str:
    """A value as xapi's database writes it: booleans true/false, numbers in decimal."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def matches(record: Record, filters: t.Mapping[str, t.Any]) -> bool:
    """Whether a record has every filtered value; numbers compare by value ("1.0" matches 1)."""
    for name, wanted in filters.items():
        have = record.get(name)
        if isinstance(have, (int, float)) and not isinstance(have, bool):
            try:
                if float(wanted) != float(have):
                    return False
            except (TypeError, ValueError):
                return False
        elif db_text(have) != db_text(wanted):
            return False
    return True


# --- references -----------------------------------------------------------------------------------

def resolve_plan(cls: str, paths: t.Sequence[str]) -> t.Dict[t.Tuple[str, ...], str]:
    """Map each path prefix, e.g. ("VBDs", "VDI"), to the class it points at; InfoError if a step is not a reference."""
    plan: t.Dict[t.Tuple[str, ...], str] = {}
    for path in paths:
        current = cls
        steps: t.Tuple[str, ...] = ()
        for step in path.split("."):
            target = datamodel_fields.REF_FIELDS.get(current, {}).get(step)
            if target is None:
                raise InfoError("resolve: {0!r} is not a reference field of {1} (in {2!r}).".format(step, current, path))
            steps = steps + (step,)
            plan[steps] = target
            current = target
    return plan


def resolve_records(records: t.Dict[str, Record], plan: t.Dict[t.Tuple[str, ...], str], objects: t.Dict[str, t.Dict[str, Record]]) -> t.List[Record]:
    """Embed referenced records in place, following every planned path (pure: no API calls)."""

    def embed(record: Record, prefix: t.Tuple[str, ...]) -> Record:
        result = dict(record)
        for steps, target in plan.items():
            if len(steps) != len(prefix) + 1 or steps[:-1] != prefix:
                continue
            field = steps[-1]
            value = record.get(field)
            if isinstance(value, list):
                result[field] = [lookup(ref, target, steps) for ref in value]
            elif isinstance(value, str) and value != NULL_REF:
                result[field] = lookup(value, target, steps)
        return result

    def lookup(ref: str, target: str, steps: t.Tuple[str, ...]) -> t.Any:
        found = objects.get(target, {}).get(ref)
        if found is None:
            return ref
        return embed(dict(found, ref=ref), steps)

    return [embed(dict(record, ref=ref), ()) for ref, record in sorted(records.items(), key=lambda item: item[1].get("uuid", ""))]


# --- secrets --------------------------------------------------------------------------------------

def without_secrets(cls: str, record: Record) -> Record:
    """A record fit to return: storage credentials (PBD device_config) and secret values masked."""
    if cls == "PBD" and isinstance(record.get("device_config"), dict):
        return dict(record, device_config=credentials.masked(record["device_config"]))
    if cls == "secret" and "value" in record:
        return dict(record, value=credentials.SECRET_MARKER)
    return record
