# Copyright: (c) 2026, xen.xapi maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reading XAPI state: where-expressions, filtered reads, and snapshots of several classes in one round trip."""

from __future__ import annotations

import re
import typing as t

from ansible_collections.xen.xapi.plugins.module_utils._xapi import client as xapi_client, codec, datamodel

# ref -> record, and class -> (ref -> record)
NULL_REF = "OpaqueRef:NULL"
Records = t.Dict[str, t.Dict[str, t.Any]]
Snapshot = t.Dict[str, Records]

_FIELD_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")


# --- Where-expressions ------------------------------------------------------------------------

def quote(value: t.Any) -> str:
    """A string literal of the where language holding value verbatim.

    Backslashes and double quotes are escaped, so no value can end the literal early and
    inject operators. Booleans become "true"/"false", as xapi renders them.
    """
    if isinstance(value, bool):
        text = "true" if value else "false"
    else:
        text = str(value)
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


# The filter language names fields by database column: a field in a datamodel namespace is stored as
# "<namespace>__<field>". The name fields are the ones filters use; xapi fails on "name_label" (missing field).
_DB_COLUMNS = {"name_label": "name__label", "name_description": "name__description"}


def field_equals(name: str, value: t.Any) -> str:
    """`field "name" = "value"`; the field name must be a plain identifier (API spellings of the name fields are
    turned into their database columns)."""
    if not _FIELD_NAME.match(name):
        raise ValueError("{0!r} is not a valid XAPI field name.".format(name))
    return "field {0} = {1}".format(quote(_DB_COLUMNS.get(name, name)), quote(value))


def where(**field_values: t.Any) -> str:
    """Comparisons joined with `and`: where(name_label="web01", is_a_template=False) gives
    `field "name_label" = "web01" and field "is_a_template" = "false"`."""
    if not field_values:
        return "true"
    return " and ".join(field_equals(name, value) for name, value in field_values.items())


def where_all(*clauses: str) -> str:
    """All clauses must hold; each is parenthesised so or-clauses keep their meaning."""
    return " and ".join("({0})".format(clause) for clause in clauses) if clauses else "true"


def where_any(*clauses: str) -> str:
    """At least one clause must hold."""
    return " or ".join("({0})".format(clause) for clause in clauses) if clauses else "false"


# --- Reads ------------------------------------------------------------------------------------

def get_all_records_where(client: xapi_client.XapiClient, cls: str, expr: str) -> Records:
    """The records of one class matching a where-expression, normalised, keyed by ref."""
    api_name = codec.api_class_name(cls)
    # Through call_each, so that a logout meant to go with the run's last read goes with it (end_with_next_read).
    records = client.call_each([(api_name + ".get_all_records_where", [expr])])[0]
    return dict((ref, codec.normalize_record(api_name, record)) for ref, record in records.items())


def event_class_name(cls: str) -> str:
    """The event.from subscription name of an API class ("VM" -> "vm"); ValueError if it has no events."""
    api_name = codec.api_class_name(cls)
    if api_name not in datamodel.CLASSES:
        raise ValueError("{0!r} is not an XAPI class.".format(cls))
    if api_name in datamodel.CLASSES_WITHOUT_EVENTS:
        raise ValueError("XAPI class {0} produces no events, so it cannot be part of a snapshot.".format(api_name))
    return datamodel.CLASSES[api_name]


def ref_in(refs: t.Iterable[str]) -> str:
    """Matches the objects with these references: every database row holds its own as "_ref"."""
    return where_any(*("field \"_ref\" = {0}".format(quote(ref)) for ref in sorted(set(refs))))


def read_each(client: xapi_client.XapiClient, reads: t.Sequence[t.Tuple[str, t.Optional[str]]]) -> t.List[Records]:
    """The records of each (class, where-expression) read, normalised and keyed by ref; a None expression reads the
    whole class. One call per read, all sent together (``XapiClient.call_each``): one round trip."""
    api_names = [codec.api_class_name(cls) for cls, _expr in reads]
    calls = [(api_name + ".get_all_records", []) if expr is None else (api_name + ".get_all_records_where", [expr])
             for api_name, (_cls, expr) in zip(api_names, reads)]
    return [dict((ref, codec.normalize_record(api_name, record)) for ref, record in answer.items())
            for api_name, answer in zip(api_names, client.call_each(calls))]


def snapshot(client: xapi_client.XapiClient, classes: t.Sequence[str] = (),
             objects: t.Optional[t.Mapping[str, t.Iterable[str]]] = None) -> Snapshot:
    """Every object of ``classes`` plus the single objects ``{class: [ref, ...]}``, in one round trip.

    Returns {API class name: {ref: normalised record}}, with an entry (maybe empty) for each class named. One call
    per class (``get_all_records``, or ``get_all_records_where`` on the references), all sent together
    (``read_each``). Not one event.from for them all: xapi 26.10 and later make every event.from that
    is not only about tasks wait 50 ms before it reads, even one with an empty token (xapi_globs.ml
    ``event_from_delay``), which the calls sent together never wait.
    """
    wanted = _wanted(classes, objects or {})
    result: Snapshot = dict((api_name, {}) for api_name in wanted)
    reads = [(api_name, None if refs is None else ref_in(refs)) for api_name, refs in wanted.items() if refs is None or refs]
    for (api_name, _expr), records in zip(reads, read_each(client, reads)):
        result[api_name] = records
    return result


# API class -> the references to read, or None for the whole class
Wanted = t.Dict[str, t.Optional[t.Set[str]]]


def _wanted(classes: t.Sequence[str], objects: t.Mapping[str, t.Iterable[str]]) -> Wanted:
    """What to read of each class; a class read whole takes in the single objects named of it."""
    wanted: Wanted = {}
    for cls in classes:
        wanted[codec.api_class_name(cls)] = None
    for cls, refs in objects.items():
        api_name = codec.api_class_name(cls)
        kept = set(ref for ref in refs if ref and ref != NULL_REF)
        if api_name not in wanted:
            wanted[api_name] = kept
        elif wanted[api_name] is not None:
            wanted[api_name] = t.cast(t.Set[str], wanted[api_name]) | kept
    return wanted


# --- Look-ups within records already read -----------------------------------------------------

def find_by_uuid(records: t.Mapping[str, t.Dict[str, t.Any]], uuid: str) -> t.Optional[t.Tuple[str, t.Dict[str, t.Any]]]:
    """The (ref, record) whose uuid matches, or None."""
    for ref, record in records.items():
        if record.get("uuid") == uuid:
            return ref, record
    return None


def find_by_name(records: t.Mapping[str, t.Dict[str, t.Any]], name_label: str) -> t.List[t.Tuple[str, t.Dict[str, t.Any]]]:
    """Every (ref, record) with this name_label, in ref order (names are not unique in XAPI)."""
    return [(ref, records[ref]) for ref in sorted(records) if records[ref].get("name_label") == name_label]


def find_by_ref_or_uuid_or_name(records: Records, key: str) -> t.List[t.Tuple[str, t.Dict[str, t.Any]]]:
    """Resolve what a user typed: an OpaqueRef, a uuid, or a name_label (possibly several matches)."""
    if key in records:
        return [(key, records[key])]
    by_uuid = find_by_uuid(records, key)
    if by_uuid is not None:
        return [by_uuid]
    return find_by_name(records, key)
