"""The XAPI datamodel as the simulator sees it: classes, fields, messages, enums, errors, relations.

Everything comes from ``schema.json`` beside this file, which ``gen_schema.py`` derives from
xapi's published datamodel. The file holds facts only (names, type strings, typed defaults,
signatures, async flags, error parameters), so it can be read once and shared.

Value model used by the simulator and followed here: ``str``, ``int``, ``float``, ``bool``,
``list`` (sets), ``dict`` (maps), ``datetime.datetime`` (UTC aware); refs are
``"OpaqueRef:<uuid>"`` strings and the null ref is ``"OpaqueRef:NULL"``.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import cache
from pathlib import Path
from typing import Any

NULL_REF = "OpaqueRef:NULL"
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
# How xapi writes datetimes in defaults and on the wire (always UTC).
DATETIME_FORMAT = "%Y%m%dT%H:%M:%SZ"

SCHEMA_FILE = Path(__file__).with_name("schema.json")

_PRIMITIVE_KINDS = {"string", "int", "float", "bool", "datetime", "void"}


@dataclass(frozen=True)
class XType:
    """A parsed datamodel type string such as ``VM ref`` or ``(string -> enum vm_operations) map``.

    ``kind`` is one of string, int, float, bool, datetime, ref, enum, set, map, record, void,
    other. ``name`` is the class for ref/record (None for the event snapshot's ``<class> record``),
    the enum name for enum, and the original text for ``other``. ``elem`` is the set element or
    map value type (or the wrapped type of an ``option``), ``key`` the map key type.
    """

    kind: str
    name: str | None = None
    elem: XType | None = None
    key: XType | None = None


@cache
def parse_type(text: str) -> XType:
    """Parse one datamodel type string; anything unrecognised becomes kind ``other``."""
    text = text.strip()
    if text in _PRIMITIVE_KINDS:
        return XType(text)
    if text.endswith(" set"):
        return XType("set", elem=parse_type(text[: -len(" set")]))
    if text.endswith(" map") and text.startswith("("):
        inner = _map_inner(text[: -len(" map")])
        if inner is not None:
            key_text, value_text = inner
            return XType("map", elem=parse_type(value_text), key=parse_type(key_text))
    if text.endswith(" option"):
        # Only non-database records (sr_stat, probe_result) use options; keep the wrapped type.
        return XType("other", name=text, elem=parse_type(text[: -len(" option")]))
    if text.startswith("enum ") and " " not in text[len("enum "):]:
        return XType("enum", name=text[len("enum "):])
    words = text.split(" ")
    if len(words) == 2 and words[1] == "ref":
        return XType("ref", name=words[0])
    if len(words) == 2 and words[1] == "record":
        # "<class> record" is event.snapshot: a record of whichever class the event is about.
        return XType("record", name=None if words[0] == "<class>" else words[0])
    return XType("other", name=text)


def _map_inner(text: str) -> tuple[str, str] | None:
    """Split ``(K -> V)`` into ``K`` and ``V`` at the top-level arrow, or None if it is not one."""
    if not (text.startswith("(") and text.endswith(")")):
        return None
    body = text[1:-1]
    depth = 0
    for index, char in enumerate(body):
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth < 0:
                return None  # the opening paren closed early: "(a) x (b)" is not a map
        elif depth == 0 and body.startswith(" -> ", index):
            return body[:index], body[index + len(" -> "):]
    return None


@dataclass(frozen=True)
class Field:
    name: str
    type: XType
    qualifier: str  # "RW", "RO/constructor" or "RO/runtime"
    default: Any  # typed default from the datamodel, or None when it gives none


@dataclass(frozen=True)
class Message:
    name: str
    params: list[tuple[str, XType]]  # (name, type), without the leading session_id
    takes_session: bool
    result: XType
    is_async: bool
    implicit: bool
    errors: list[str]
    # Trailing parameters past this count are optional (e.g. VM.snapshot's ignore_vdis).
    required_params: int


@dataclass(frozen=True)
class ClassDef:
    name: str
    fields: dict[str, Field]  # datamodel order
    messages: dict[str, Message]
    gen_events: bool
    has_ctor: bool  # implicit create/destroy exist
    ctor_fields: dict[str, bool]  # create(record) fields -> required; empty when no record constructor
    in_db: bool

    def rw_fields(self) -> list[str]:
        return [name for name, field in self.fields.items() if field.qualifier == "RW"]


# Namespaces of xapi's datamodel (ocaml/idl/datamodel.ml, datamodel_vm.ml, datamodel_host.ml: `namespace ~name:`).
# A field in one travels as "<namespace>_<field>" (memory_static_max) but is stored, and filtered on, as the
# database column "<namespace>__<field>" (memory__static_max). Every class with name_label has the "name" namespace.
NAMESPACES: dict[str, tuple[str, ...]] = {
    "VM": ("memory", "VCPUs", "actions", "PV", "HVM"), "VM_metrics": ("memory", "VCPUs"), "host": ("memory", "API_version"),
    "host_metrics": ("memory",), "VIF": ("qos",), "VBD": ("qos",), "VIF_metrics": ("io",), "VBD_metrics": ("io",),
    "PIF_metrics": ("io",),
}


def db_column(cls: str, field: str, fields: Any) -> str:
    """The database column of a wire field of ``cls``."""
    namespaces = NAMESPACES.get(cls, ()) + (("name",) if "name_label" in fields else ())
    for namespace in namespaces:
        if field.startswith(namespace + "_"):
            return namespace + "__" + field[len(namespace) + 1:]
    return field


@dataclass(frozen=True)
class Relation:
    """Two fields xapi keeps consistent: setting ``a_class.a_field`` updates ``b_class.b_field``."""

    a_class: str
    a_field: str
    b_class: str
    b_field: str


class Schema:
    def __init__(
        self,
        classes: dict[str, ClassDef],
        enums: dict[str, list[str]],
        errors: dict[str, list[str]],
        relations: list[Relation],
        source: str = "",
    ) -> None:
        self.classes = classes
        self.enums = enums
        self.errors = errors
        self.relations = relations
        self.source = source
        self._by_lower = {name.lower(): cdef for name, cdef in classes.items()}
        self._relations_by_class: dict[str, list[tuple[str, str, str, str]]] = {}
        for rel in relations:
            self._add_relation_end(rel.a_class, rel.a_field, rel.b_class, rel.b_field)
            self._add_relation_end(rel.b_class, rel.b_field, rel.a_class, rel.a_field)
        # Per class: every field's default, and the names whose defaults are lists or dicts.
        self._templates: dict[str, tuple[dict[str, Any], list[str]]] = {}
        self._columns: dict[str, dict[str, str]] = {}

    def _add_relation_end(self, cls: str, field: str, other: str, other_field: str) -> None:
        kind = "set" if self.classes[cls].fields[field].type.kind == "set" else "ref"
        self._relations_by_class.setdefault(cls, []).append((field, other, other_field, kind))

    def cls(self, name: str) -> ClassDef:
        """The class with exactly this name; KeyError if there is none."""
        return self.classes[name]

    def db_columns(self, cls: str) -> dict[str, str]:
        """Database column -> wire field, for the fields of ``cls`` (and the object's ``ref``)."""
        cached = self._columns.get(cls)
        if cached is None:
            fields = self.classes[cls].fields
            cached = self._columns[cls] = {db_column(cls, name, fields): name for name in fields}
            cached["ref"] = "ref"
        return cached

    def by_lower(self, lower: str) -> ClassDef | None:
        """Look a class up by its lower-case name, as event subscriptions spell it ("vm", "vbd")."""
        return self._by_lower.get(lower.lower())

    def zero(self, t: XType) -> Any:
        """The value xapi uses for a field of this type when nothing else is known."""
        if t.kind == "string" or t.kind == "void":
            return ""
        if t.kind == "int":
            return 0
        if t.kind == "float":
            return 0.0
        if t.kind == "bool":
            return False
        if t.kind == "datetime":
            return EPOCH
        if t.kind == "ref":
            return NULL_REF
        if t.kind == "enum":
            values = self.enums.get(t.name or "")
            return values[0] if values else ""
        if t.kind == "set":
            return []
        if t.kind in ("map", "record"):
            return {}
        if t.elem is not None:  # an option: an absent value of the wrapped type
            return self.zero(t.elem)
        return ""

    def default_record(self, cls: str) -> dict[str, Any]:
        """A fresh record of ``cls`` with every field at its datamodel default (or zero value)."""
        cached = self._templates.get(cls)
        if cached is None:
            values = {name: self._typed_default(field) for name, field in self.classes[cls].fields.items()}
            mutable = [name for name, value in values.items() if isinstance(value, (list, dict))]
            cached = self._templates[cls] = (values, mutable)
        values, mutable = cached
        record = dict(values)
        for name in mutable:  # records must never share a list or dict
            record[name] = _fresh(values[name])
        return record

    def _typed_default(self, field: Field) -> Any:
        if field.default is None:
            return self.zero(field.type)
        if field.type.kind == "datetime" and isinstance(field.default, str):
            return parse_datetime(field.default)
        return field.default

    def relations_of(self, cls: str) -> list[tuple[str, str, str, str]]:
        """(my_field, other_class, other_field, my_kind) for each relation end on ``cls``;
        ``my_kind`` is "ref" for a single reference and "set" for a set of references."""
        return list(self._relations_by_class.get(cls, ()))


def _fresh(value: Any) -> Any:
    """A deep copy of nested lists and dicts; other values are immutable and shared as they are."""
    if isinstance(value, list):
        return [_fresh(item) for item in value]
    if isinstance(value, dict):
        return {key: _fresh(item) for key, item in value.items()}
    return value


def parse_datetime(text: str) -> datetime:
    """Read xapi's ``YYYYMMDDTHH:MM:SSZ`` (also accepted without the trailing Z) as UTC."""
    return datetime.strptime(text.rstrip("Z"), DATETIME_FORMAT.rstrip("Z")).replace(tzinfo=timezone.utc)


def _message_from_json(name: str, raw: dict[str, Any]) -> Message:
    params = [(param_name, parse_type(type_text)) for type_text, param_name in raw["params"]]
    return Message(
        name=name,
        params=params,
        takes_session=raw["session"],
        result=parse_type(raw["result"]),
        is_async=raw["async"],
        implicit=raw["implicit"],
        errors=list(raw["errors"]),
        required_params=raw.get("required_params", len(params)),
    )


def _class_from_json(name: str, raw: dict[str, Any]) -> ClassDef:
    fields = {
        field_name: Field(field_name, parse_type(type_text), qualifier, default)
        for field_name, type_text, qualifier, default in raw["fields"]
    }
    return ClassDef(
        name=name,
        fields=fields,
        messages={msg_name: _message_from_json(msg_name, msg) for msg_name, msg in raw["messages"].items()},
        gen_events=raw["gen_events"],
        has_ctor=raw["ctor"],
        ctor_fields=dict(raw.get("ctor_fields", {})),
        in_db=raw.get("in_db", True),
    )


def schema_from_json(data: dict[str, Any]) -> Schema:
    """Build a Schema from the decoded contents of schema.json."""
    return Schema(
        classes={name: _class_from_json(name, raw) for name, raw in data["classes"].items()},
        enums={name: list(values) for name, values in data["enums"].items()},
        errors={code: list(params) for code, params in data["errors"].items()},
        relations=[Relation(*ends) for ends in data["relations"]],
        source=data.get("source", ""),
    )


@cache
def load() -> Schema:
    """The schema from schema.json next to this file, read once per process."""
    with SCHEMA_FILE.open(encoding="utf-8") as handle:
        return schema_from_json(json.load(handle))
