#!/usr/bin/env python
"""Derive the simulator's schema.json from xapi's published datamodel.

Usage::

    python simulator/xapisim/gen_schema.py --datamodel PATH/TO/datamodel.json --out simulator/xapisim/schema.json

The datamodel is the JSON that xapi's documentation generator emits, enriched with per-message
async flags, class object flags and error parameter names. The output keeps facts only: names,
type strings, typed defaults, signatures, flags and error parameters. No descriptions.

Relations (pairs of fields xapi keeps in step, like VBD.VM and VM.VBDs) are not listed in the
datamodel. They come from ``KNOWN_RELATIONS`` in ``gen_relations.py``, which mirrors xapi's ``all_relations``,
checked against the fields that actually exist; pairs guessed from field types are compared
with that list and any disagreement is reported on stderr.
"""
from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

# Reuse the simulator's own type parser (one definition of the type grammar). The package is
# imported through its parent folder so that sibling modules never shadow standard ones.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from xapisim.gen_relations import Fields, candidate_relations, known_relations, relation_report  # noqa: E402
from xapisim.schema import XType, parse_type  # noqa: E402

_CTOR_ARGS = re.compile(r"The constructor args are: (.*?) \(\* = non-optional\)", re.DOTALL)
_DATETIME = re.compile(r"\d{8}T\d{2}:\d{2}:\d{2}Z?")
_NULL_REF_SPELLINGS = {"OpaqueRef:NULL", "Null", "None", ""}


# ---- defaults ---------------------------------------------------------------------------------
class _Unparseable(ValueError):
    """A default the datamodel renders in a form we do not understand; written as null."""


def parse_default(text: str, ftype: XType, enums: dict[str, list[str]]) -> Any:
    """Turn xapi's rendering of an OCaml default into a value of the field's type (or None)."""
    try:
        return _typed_value(text.strip(), ftype, enums)
    except _Unparseable:
        return None


def _typed_value(text: str, ftype: XType, enums: dict[str, list[str]]) -> Any:
    kind = ftype.kind
    if kind == "string":
        return _unquote(text)
    if kind == "int":
        return _convert(int, text)
    if kind == "float":
        return _convert(float, text)
    if kind == "bool":
        if text not in ("true", "false"):
            raise _Unparseable(text)
        return text == "true"
    if kind == "datetime":
        if not _DATETIME.fullmatch(text):
            raise _Unparseable(text)
        return text if text.endswith("Z") else text + "Z"
    if kind == "ref":
        return "OpaqueRef:NULL" if text in _NULL_REF_SPELLINGS else _ref(text)
    if kind == "enum":
        if text not in enums.get(ftype.name or "", ()):
            raise _Unparseable(text)
        return text
    if kind == "set" and ftype.elem is not None:
        return [_typed_value(item, ftype.elem, enums) for item in _braced_items(text)]
    if kind == "map" and ftype.key is not None and ftype.elem is not None:
        return {
            str(_typed_value(key, ftype.key, enums)): _typed_value(value, ftype.elem, enums)
            for key, value in (_map_entry(item) for item in _braced_items(text))
        }
    raise _Unparseable(text)


def _convert(kind: type, text: str) -> Any:
    try:
        return kind(_unquote(text) if text.startswith('"') else text)
    except ValueError as exc:
        raise _Unparseable(text) from exc


def _unquote(text: str) -> str:
    """Read an OCaml string literal (``"abc"``); a bare word is taken as it is."""
    if len(text) >= 2 and text[0] == '"' and text[-1] == '"':
        return re.sub(r"\\(.)", r"\1", text[1:-1])
    return text


def _ref(text: str) -> str:
    text = _unquote(text)
    if not text.startswith("OpaqueRef:"):
        raise _Unparseable(text)
    return text


def _braced_items(text: str) -> list[str]:
    """Split ``{a, b}`` / ``{a; b}`` into its top-level items, honouring quoted strings."""
    if not (text.startswith("{") and text.endswith("}")):
        raise _Unparseable(text)
    items: list[str] = []
    current: list[str] = []
    in_quotes = escaped = False
    for char in text[1:-1]:
        if in_quotes:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_quotes = False
        elif char == '"':
            in_quotes = True
        elif char in ",;":
            items.append("".join(current).strip())
            current = []
            continue
        current.append(char)
    items.append("".join(current).strip())
    if in_quotes:
        raise _Unparseable(text)
    return [item for item in items if item]


def _map_entry(item: str) -> tuple[str, str]:
    match = re.fullmatch(r'("(?:[^"\\]|\\.)*"|[^"\s]+)\s*->\s*(.+)', item, re.DOTALL)
    if not match:
        raise _Unparseable(item)
    return match.group(1), match.group(2).strip()


# ---- classes and messages ---------------------------------------------------------------------
def constructor_fields(cls: dict[str, Any]) -> dict[str, bool]:
    """Fields of an implicit ``create(record)``, mapped to whether the record must give them."""
    create = next((m for m in cls["messages"] if m["name"] == "create"), None)
    if create is None or not create["implicit"]:
        return {}
    params = [p for p in create["params"] if p["type"] != "session ref"]
    if len(params) != 1 or parse_type(params[0]["type"]).kind != "record":
        return {}
    match = _CTOR_ARGS.search(create["description"])
    if match is None:
        return {}
    args = [arg.strip() for arg in match.group(1).split(",") if arg.strip()]
    return {arg.rstrip("*"): arg.endswith("*") for arg in args}


def message_entry(message: dict[str, Any]) -> dict[str, Any]:
    params = message["params"]
    takes_session = bool(params) and params[0]["type"] == "session ref" and params[0]["name"] == "session_id"
    if takes_session:
        params = params[1:]
    entry: dict[str, Any] = {
        "params": [[p["type"], p["name"]] for p in params],
        "result": message["result"][0] if message["result"] else "void",
        "async": bool(message["async"]),
        "implicit": bool(message["implicit"]),
        "session": takes_session,
        "errors": [error["name"] for error in message["errors"]],
    }
    # Optional parameters are always trailing; record how many must be given when some may not.
    required = sum(1 for p in params if p.get("required", True))
    if required != len(params):
        entry["required_params"] = required
    return entry


def class_entry(cls: dict[str, Any], enums: dict[str, list[str]]) -> dict[str, Any]:
    flags = cls.get("obj_flags", {})
    entry: dict[str, Any] = {
        "gen_events": flags.get("gen_events") == "true",
        "ctor": flags.get("gen_constructor_destructor") == "true",
        "in_db": flags.get("in_db", "true") == "true",
        "fields": [
            [
                f["name"],
                f["type"],
                f["qualifier"],
                parse_default(f["default"], parse_type(f["type"]), enums) if "default" in f else None,
            ]
            for f in cls["fields"]
        ],
    }
    ctor_fields = constructor_fields(cls)
    if ctor_fields:
        entry["ctor_fields"] = ctor_fields
    entry["messages"] = {m["name"]: message_entry(m) for m in cls["messages"]}
    return entry


# ---- output -----------------------------------------------------------------------------------
def build_schema(datamodel: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    classes = datamodel["classes"]
    enums: dict[str, list[str]] = {}
    for cls in classes:
        for enum in cls.get("enums", ()):
            enums.setdefault(enum["name"], [value["name"] for value in enum["values"]])
    fields: Fields = {cls["name"]: {f["name"]: f for f in cls["fields"]} for cls in classes}
    kept, dropped = known_relations(fields)
    report = relation_report(kept, dropped, candidate_relations(fields))
    schema = {
        "source": datamodel.get("source", ""),
        "enums": dict(sorted(enums.items())),
        "errors": {code: list(info.get("params", [])) for code, info in sorted(datamodel["errors"].items())},
        "relations": sorted([list(rel) for rel in kept]),
        "classes": {cls["name"]: class_entry(cls, enums) for cls in classes},
    }
    return schema, report


def _compact(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _lines(items: Iterable[str]) -> str:
    return ",\n".join(items)


def render(schema: dict[str, Any]) -> str:
    """Compact JSON with one enum, error, relation or class per line, so diffs stay readable."""
    sections = [
        f'"source":{_compact(schema["source"])}',
        '"enums":{\n' + _lines(f"{_compact(k)}:{_compact(v)}" for k, v in schema["enums"].items()) + "\n}",
        '"errors":{\n' + _lines(f"{_compact(k)}:{_compact(v)}" for k, v in schema["errors"].items()) + "\n}",
        '"relations":[\n' + _lines(_compact(rel) for rel in schema["relations"]) + "\n]",
        '"classes":{\n' + _lines(f"{_compact(k)}:{_compact(v)}" for k, v in schema["classes"].items()) + "\n}",
    ]
    return "{\n" + ",\n".join(sections) + "\n}\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datamodel", required=True, type=Path, help="xapi datamodel.json")
    parser.add_argument("--out", required=True, type=Path, help="where to write schema.json")
    args = parser.parse_args(argv)
    with args.datamodel.open(encoding="utf-8") as handle:
        datamodel = json.load(handle)
    schema, report = build_schema(datamodel)
    text = render(schema)
    json.loads(text)  # the hand-laid-out JSON must still be valid JSON
    args.out.write_text(text, encoding="utf-8")
    for line in report:
        print(line, file=sys.stderr)
    print(
        f"wrote {args.out}: {len(schema['classes'])} classes, {len(schema['enums'])} enums, "
        f"{len(schema['errors'])} errors, {len(schema['relations'])} relations",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
