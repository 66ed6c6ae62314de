#!/usr/bin/env python
"""Derive the simulator's schema.json from xapi's published datamodel.

Usage::

    python tests/xapisim/gen_schema.py --datamodel PATH/TO/datamodel.json --out tests/xapisim/schema.json

The datamodel is the JSON that xapi's documentation generator emits, enriched with per-message
async flags, class object flags and error parameter names. The output keeps facts only: names,
type strings, typed defaults, signatures, flags and error parameters. No descriptions.

Relations (pairs of fields xapi keeps in step, like VBD.VM and VM.VBDs) are not listed in the
datamodel. They come from ``KNOWN_RELATIONS`` below, which mirrors xapi's ``all_relations``,
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
from xapisim.schema import XType, parse_type  # noqa: E402

# xapi's all_relations (datamodel.ml), "many" end first. Self-pairs such as subject.roles and
# role.subroles are plain stored sets rather than two ends of a relation, so they are left out.
KNOWN_RELATIONS: tuple[tuple[str, str], ...] = (
    ("VM.snapshot_of", "VM.snapshots"),
    ("VDI.snapshot_of", "VDI.snapshots"),
    ("VM.parent", "VM.children"),
    ("task.subtask_of", "task.subtasks"),
    ("task.session", "session.tasks"),
    ("PIF.bond_slave_of", "Bond.slaves"),
    ("Bond.master", "PIF.bond_master_of"),
    ("VLAN.tagged_PIF", "PIF.VLAN_slave_of"),
    ("tunnel.access_PIF", "PIF.tunnel_access_PIF_of"),
    ("tunnel.transport_PIF", "PIF.tunnel_transport_PIF_of"),
    ("PBD.host", "host.PBDs"),
    ("PBD.SR", "SR.PBDs"),
    ("VBD.VDI", "VDI.VBDs"),
    ("crashdump.VDI", "VDI.crash_dumps"),
    ("VBD.VM", "VM.VBDs"),
    ("crashdump.VM", "VM.crash_dumps"),
    ("VIF.VM", "VM.VIFs"),
    ("VIF.network", "network.VIFs"),
    ("Cluster_host.cluster", "Cluster.cluster_hosts"),
    ("PIF.host", "host.PIFs"),
    ("PIF.network", "network.PIFs"),
    ("VDI.SR", "SR.VDIs"),
    ("VTPM.VM", "VM.VTPMs"),
    ("console.VM", "VM.consoles"),
    ("VM.resident_on", "host.resident_VMs"),
    ("host_cpu.host", "host.host_CPUs"),
    ("host_crashdump.host", "host.crashdumps"),
    ("host_patch.host", "host.patches"),
    ("host_patch.pool_patch", "pool_patch.host_patches"),
    ("host.updates", "pool_update.hosts"),
    ("VM.protection_policy", "VMPP.VMs"),
    ("VM.snapshot_schedule", "VMSS.VMs"),
    ("VM.appliance", "VM_appliance.VMs"),
    ("PGPU.GPU_group", "GPU_group.PGPUs"),
    ("VGPU.GPU_group", "GPU_group.VGPUs"),
    ("VGPU.type", "VGPU_type.VGPUs"),
    ("VGPU.VM", "VM.VGPUs"),
    ("VGPU.resident_on", "PGPU.resident_VGPUs"),
    ("PGPU.supported_VGPU_types", "VGPU_type.supported_on_PGPUs"),
    ("PGPU.enabled_VGPU_types", "VGPU_type.enabled_on_PGPUs"),
    ("GPU_group.supported_VGPU_types", "VGPU_type.supported_on_GPU_groups"),
    ("GPU_group.enabled_VGPU_types", "VGPU_type.enabled_on_GPU_groups"),
    ("PCI.host", "host.PCIs"),
    ("PGPU.host", "host.PGPUs"),
    ("PCI.attached_VMs", "VM.attached_PCIs"),
    ("PCI.physical_function", "PCI.virtual_functions"),
    ("VDI.metadata_of_pool", "pool.metadata_VDIs"),
    ("SR.introduced_by", "DR_task.introduced_SRs"),
    ("PVS_server.site", "PVS_site.servers"),
    ("PVS_proxy.site", "PVS_site.proxies"),
    ("PVS_cache_storage.site", "PVS_site.cache_storage"),
    ("PUSB.host", "host.PUSBs"),
    ("PUSB.USB_group", "USB_group.PUSBs"),
    ("VUSB.USB_group", "USB_group.VUSBs"),
    ("VUSB.VM", "VM.VUSBs"),
    ("Feature.host", "host.features"),
    ("network_sriov.physical_PIF", "PIF.sriov_physical_PIF_of"),
    ("network_sriov.logical_PIF", "PIF.sriov_logical_PIF_of"),
    ("Certificate.host", "host.certificates"),
    ("VM.groups", "VM_group.VMs"),
    ("Driver_variant.driver", "Host_driver.variants"),
)

RelationEnds = tuple[str, str, str, str]  # (class_a, field_a, class_b, field_b)
Fields = dict[str, dict[str, dict[str, Any]]]  # class -> field name -> raw datamodel field

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


# ---- relations --------------------------------------------------------------------------------
def _target(fields: Fields, cls: str, field: str) -> tuple[str, str] | None:
    """(target class, "ref" or "set") when ``cls.field`` is a reference or a set of references."""
    raw = fields.get(cls, {}).get(field)
    if raw is None:
        return None
    ftype = parse_type(raw["type"])
    if ftype.kind == "ref" and ftype.name:
        return ftype.name, "ref"
    if ftype.kind == "set" and ftype.elem is not None and ftype.elem.kind == "ref" and ftype.elem.name:
        return ftype.elem.name, "set"
    return None


def known_relations(fields: Fields) -> tuple[list[RelationEnds], list[str]]:
    """KNOWN_RELATIONS whose two fields exist and point at each other, and why others were dropped."""
    kept, dropped = [], []
    for end_a, end_b in KNOWN_RELATIONS:
        class_a, field_a = end_a.split(".")
        class_b, field_b = end_b.split(".")
        target_a, target_b = _target(fields, class_a, field_a), _target(fields, class_b, field_b)
        if target_a is None or target_b is None:
            missing = [end for end, target in ((end_a, target_a), (end_b, target_b)) if target is None]
            dropped.append(f"{end_a} / {end_b}: no reference field {', '.join(missing)}")
        elif target_a[0] != class_b or target_b[0] != class_a or (target_a[1], target_b[1]) == ("ref", "ref"):
            dropped.append(f"{end_a} / {end_b}: field types do not point at each other")
        else:
            kept.append((class_a, field_a, class_b, field_b))
    return kept, dropped


def _has_ref_between(fields: Fields, class_a: str, class_b: str) -> bool:
    return any(_target(fields, class_a, f) == (class_b, "ref") for f in fields.get(class_a, {})) or any(
        _target(fields, class_b, f) == (class_a, "ref") for f in fields.get(class_b, {})
    )


def candidate_relations(fields: Fields) -> list[RelationEnds]:
    """Pairs guessed from types alone: a ``X ref`` (or ``X ref set``) on A whose only counterpart
    is a runtime ``A ref set`` on X, with no other field of A pointing at X the same way."""
    found: list[RelationEnds] = []
    for class_a, class_fields in fields.items():
        for field_a in class_fields:
            target = _target(fields, class_a, field_a)
            if target is None:
                continue
            class_b, kind_a = target
            if kind_a == "set" and (class_b == class_a or _has_ref_between(fields, class_a, class_b)):
                # A set of its own class (role.subroles) is not two ends; and where a plain
                # reference links the classes, their sets are the far ends of ref<->set pairs
                # (PIF.bond_master_of belongs with Bond.master, not with Bond.slaves).
                continue
            same_way = [f for f in class_fields if _target(fields, class_a, f) == target]
            back = [
                f
                for f, raw in fields.get(class_b, {}).items()
                if _target(fields, class_b, f) == (class_a, "set")
                and raw["qualifier"] == "RO/runtime"
                and (class_b, f) != (class_a, field_a)
            ]
            if len(same_way) == 1 and len(back) == 1:
                found.append((class_a, field_a, class_b, back[0]))
    # A set<->set pair is found from both sides; keep one.
    unique: dict[frozenset[tuple[str, str]], RelationEnds] = {}
    for rel in found:
        unique.setdefault(frozenset({(rel[0], rel[1]), (rel[2], rel[3])}), rel)
    return list(unique.values())


def _ends(rel: RelationEnds) -> frozenset[tuple[str, str]]:
    return frozenset({(rel[0], rel[1]), (rel[2], rel[3])})


def relation_report(kept: list[RelationEnds], dropped: list[str], candidates: list[RelationEnds]) -> list[str]:
    known = {_ends(rel) for rel in kept}
    guessed = {_ends(rel) for rel in candidates}

    def show(rel: RelationEnds) -> str:
        return f"{rel[0]}.{rel[1]} / {rel[2]}.{rel[3]}"

    lines = [f"dropped (known to xapi, absent here): {reason}" for reason in dropped]
    lines += [f"kept, not guessable from types alone: {show(r)}" for r in kept if _ends(r) not in guessed]
    lines += [f"guessed from types, not a known relation (left out): {show(r)}" for r in candidates
              if _ends(r) not in known]
    return lines


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
