"""The simulator's datamodel (schema.py over schema.json) and its filter language (where.py)."""
from __future__ import annotations

import time
from datetime import datetime, timezone
from typing import Any

import pytest

from xapisim.schema import EPOCH, NULL_REF, Schema, XType, load, parse_type
from xapisim.where import WhereSyntaxError, compile_where, render_db_value


@pytest.fixture(scope="module")
def schema() -> Schema:
    return load()


# ---- parse_type -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "text, expected",
    [
        ("string", XType("string")),
        ("int", XType("int")),
        ("float", XType("float")),
        ("bool", XType("bool")),
        ("datetime", XType("datetime")),
        ("void", XType("void")),
        ("VM ref", XType("ref", "VM")),
        ("VM ref set", XType("set", elem=XType("ref", "VM"))),
        ("enum vm_power_state", XType("enum", "vm_power_state")),
        ("enum vm_operations set", XType("set", elem=XType("enum", "vm_operations"))),
        ("string set set", XType("set", elem=XType("set", elem=XType("string")))),
        ("(string -> string) map", XType("map", elem=XType("string"), key=XType("string"))),
        (
            "(string -> enum vm_operations) map",
            XType("map", elem=XType("enum", "vm_operations"), key=XType("string")),
        ),
        (
            "(VM ref -> (string -> string) map) map",
            XType("map", elem=XType("map", elem=XType("string"), key=XType("string")), key=XType("ref", "VM")),
        ),
        (
            "(int -> string set) map",
            XType("map", elem=XType("set", elem=XType("string")), key=XType("int")),
        ),
        ("VM record", XType("record", "VM")),
        ("event record set", XType("set", elem=XType("record", "event"))),
        ("<class> record", XType("record", None)),
        ("an event batch", XType("other", "an event batch")),
        ("string option", XType("other", "string option", elem=XType("string"))),
    ],
)
def test_parse_type(text: str, expected: XType) -> None:
    assert parse_type(text) == expected


def test_parse_type_is_cached() -> None:
    assert parse_type("(string -> enum vm_operations) map") is parse_type("(string -> enum vm_operations) map")


# ---- classes, fields, defaults ------------------------------------------------------------------
def test_all_classes_are_present(schema: Schema) -> None:
    assert len(schema.classes) == 72
    for name in ("VM", "VBD", "VDI", "SR", "PBD", "host", "pool", "network", "VIF", "PIF", "task", "session", "event"):
        assert schema.cls(name).name == name


def test_lookup_by_lower_case_name(schema: Schema) -> None:
    assert schema.by_lower("vm") is schema.cls("VM")
    assert schema.by_lower("vbd") is schema.cls("VBD")
    assert schema.by_lower("pvs_proxy") is schema.cls("PVS_proxy")
    assert schema.by_lower("vm_guest_metrics") is schema.cls("VM_guest_metrics")
    assert schema.by_lower("nosuchclass") is None


def test_fields_keep_datamodel_order_and_qualifiers(schema: Schema) -> None:
    vm = schema.cls("VM")
    assert list(vm.fields)[:3] == ["uuid", "allowed_operations", "current_operations"]
    assert vm.fields["power_state"].qualifier == "RO/constructor"
    assert vm.fields["uuid"].qualifier == "RO/runtime"
    assert "name_label" in vm.rw_fields() and "power_state" not in vm.rw_fields()


def test_defaults_are_typed(schema: Schema) -> None:
    vm = schema.default_record("VM")
    assert vm["power_state"] == "Halted"
    assert vm["name_label"] == ""
    assert vm["is_a_template"] is False
    assert vm["resident_on"] == NULL_REF
    assert vm["VBDs"] == [] and vm["other_config"] == {}
    assert vm["memory_static_max"] == 0 and isinstance(vm["memory_static_max"], int)
    vdi = schema.default_record("VDI")
    assert vdi["virtual_size"] == 0 and isinstance(vdi["virtual_size"], int) and not isinstance(vdi["virtual_size"], bool)
    assert vdi["snapshot_time"] == EPOCH and vdi["snapshot_time"].tzinfo is not None
    assert vdi["snapshot_of"] == NULL_REF
    host = schema.default_record("host")
    assert host["license_server"] == {"address": "localhost", "port": "27000"}
    assert host["virtual_hardware_platform_versions"] == [0]
    assert schema.default_record("tunnel")["status"] == {"active": "false"}
    assert schema.default_record("PIF")["ip_configuration_mode"] == "None"


def test_default_records_do_not_share_mutable_values(schema: Schema) -> None:
    first, second = schema.default_record("host"), schema.default_record("host")
    first["license_server"]["port"] = "1"
    first["PIFs"].append("OpaqueRef:x")
    assert second["license_server"]["port"] == "27000"
    assert second["PIFs"] == []
    assert schema.default_record("host")["license_server"]["port"] == "27000"


def _conforms(schema: Schema, value: Any, t: XType) -> bool:
    """Whether a value fits the simulator's value model for type t."""
    simple = {"string": str, "float": float, "datetime": datetime}
    if t.kind in simple:
        return isinstance(value, simple[t.kind])
    if t.kind == "int":
        return isinstance(value, int) and not isinstance(value, bool)
    if t.kind == "bool":
        return isinstance(value, bool)
    if t.kind == "ref":
        return isinstance(value, str) and value.startswith("OpaqueRef:")
    if t.kind == "enum":
        return value in schema.enums[t.name or ""]
    if t.kind == "set":
        return isinstance(value, list) and all(_conforms(schema, item, t.elem) for item in value)  # type: ignore[arg-type]
    if t.kind == "map":
        return isinstance(value, dict) and all(_conforms(schema, item, t.elem) for item in value.values())  # type: ignore[arg-type]
    return True  # records and the non-database "other" types


def test_every_default_record_fits_its_field_types(schema: Schema) -> None:
    for name, cdef in schema.classes.items():
        record = schema.default_record(name)
        assert list(record) == list(cdef.fields)
        for field_name, field in cdef.fields.items():
            assert _conforms(schema, record[field_name], field.type), (name, field_name, record[field_name])


@pytest.mark.parametrize(
    "text, zero",
    [
        ("string", ""),
        ("int", 0),
        ("float", 0.0),
        ("bool", False),
        ("VM ref", NULL_REF),
        ("enum vm_power_state", "Halted"),
        ("string set", []),
        ("(string -> string) map", {}),
        ("datetime", datetime(1970, 1, 1, tzinfo=timezone.utc)),
    ],
)
def test_zero_values(schema: Schema, text: str, zero: Any) -> None:
    assert schema.zero(parse_type(text)) == zero


def test_enums(schema: Schema) -> None:
    assert schema.enums["vm_power_state"] == ["Halted", "Paused", "Running", "Suspended"]
    assert "clean_shutdown" in schema.enums["vm_operations"]


def test_flags_and_constructor_fields(schema: Schema) -> None:
    vm, session, vdi = schema.cls("VM"), schema.cls("session"), schema.cls("VDI")
    assert vm.gen_events and vm.has_ctor
    assert not session.gen_events and not session.has_ctor
    assert vdi.ctor_fields["SR"] is True and vdi.ctor_fields["virtual_size"] is True
    assert vdi.ctor_fields["name_label"] is False
    assert schema.cls("VBD").ctor_fields["userdevice"] is True
    assert schema.cls("SR").ctor_fields == {}  # SR.create takes plain parameters


# ---- messages and errors ------------------------------------------------------------------------
def test_message_signatures(schema: Schema) -> None:
    start = schema.cls("VM").messages["start"]
    assert [(name, t.kind) for name, t in start.params] == [("vm", "ref"), ("start_paused", "bool"), ("force", "bool")]
    assert start.takes_session and start.is_async and not start.implicit
    assert start.result == XType("void")
    assert "VM_BAD_POWER_STATE" in start.errors
    assert start.required_params == 3

    login = schema.cls("session").messages["login_with_password"]
    assert not login.takes_session and not login.is_async
    assert [name for name, _unused in login.params] == ["uname", "pwd", "version", "originator"]
    assert login.required_params == 2
    assert schema.cls("VM").messages["snapshot"].required_params == 2

    get_record = schema.cls("VM").messages["get_record"]
    assert get_record.implicit and get_record.result == XType("record", "VM")
    assert schema.cls("event").messages["from"].result.kind == "other"


def test_errors_table(schema: Schema) -> None:
    assert schema.errors["HANDLE_INVALID"] == ["class", "handle"]
    assert schema.errors["VM_BAD_POWER_STATE"] == ["vm", "expected", "actual"]
    assert schema.errors["SESSION_AUTHENTICATION_FAILED"] == []
    for cdef in schema.classes.values():
        for message in cdef.messages.values():
            assert set(message.errors) <= set(schema.errors), (cdef.name, message.name)


# ---- relations --------------------------------------------------------------------------------
KEY_RELATIONS = {
    ("VBD", "VM", "VM", "VBDs"),
    ("VBD", "VDI", "VDI", "VBDs"),
    ("VDI", "SR", "SR", "VDIs"),
    ("PBD", "SR", "SR", "PBDs"),
    ("PBD", "host", "host", "PBDs"),
    ("VIF", "network", "network", "VIFs"),
    ("VIF", "VM", "VM", "VIFs"),
    ("PIF", "network", "network", "PIFs"),
    ("PIF", "host", "host", "PIFs"),
    ("VM", "resident_on", "host", "resident_VMs"),
    ("VM", "snapshot_of", "VM", "snapshots"),
    ("VM", "groups", "VM_group", "VMs"),
}


def test_key_relations_present(schema: Schema) -> None:
    present = {(r.a_class, r.a_field, r.b_class, r.b_field) for r in schema.relations}
    assert KEY_RELATIONS <= present


def _points_to(schema: Schema, cls: str, field: str) -> tuple[str, str]:
    t = schema.cls(cls).fields[field].type
    if t.kind == "set":
        assert t.elem is not None and t.elem.kind == "ref"
        return t.elem.name or "", "set"
    assert t.kind == "ref"
    return t.name or "", "ref"


def test_every_relation_joins_matching_reference_fields(schema: Schema) -> None:
    seen: set[tuple[str, str]] = set()
    for rel in schema.relations:
        a_target, a_kind = _points_to(schema, rel.a_class, rel.a_field)
        b_target, b_kind = _points_to(schema, rel.b_class, rel.b_field)
        assert (a_target, b_target) == (rel.b_class, rel.a_class), rel
        assert "set" in (a_kind, b_kind), rel
        for end in ((rel.a_class, rel.a_field), (rel.b_class, rel.b_field)):
            assert end not in seen, f"{end} is in two relations"
            seen.add(end)


def test_relations_of_gives_both_ends(schema: Schema) -> None:
    vm_ends = schema.relations_of("VM")
    assert ("VBDs", "VBD", "VM", "set") in vm_ends
    assert ("resident_on", "host", "resident_VMs", "ref") in vm_ends
    assert ("snapshot_of", "VM", "snapshots", "ref") in vm_ends
    assert ("snapshots", "VM", "snapshot_of", "set") in vm_ends
    assert ("VM", "VM", "VBDs", "ref") in schema.relations_of("VBD")
    assert schema.relations_of("session") == []


# ---- where expressions --------------------------------------------------------------------------
VM_RUNNING = {
    "name_label": 'say "hi"\\now',
    "power_state": "Running",
    "is_a_template": False,
    "memory_static_max": 4294967296,
    "resident_on": "OpaqueRef:host-1",
    "tags": ["web", "prod"],
    "other_config": {"k": "v"},
    "start_time": datetime(2024, 1, 2, 3, 4, 5, tzinfo=timezone.utc),
    "HVM_shadow_multiplier": 1.0,
}


@pytest.mark.parametrize(
    "expr, expected",
    [
        ("true", True),
        ("false", False),
        ('field "power_state" = "Running"', True),
        ('field "power_state" <> "Running"', False),
        ('"Running" = field "power_state"', True),
        ('field "is_a_template" = "false"', True),
        ('field "is_a_template" = "false" and field "power_state" = "Running"', True),
        ('field "is_a_template" = "true" or field "power_state" = "Halted"', False),
        ('not field "power_state" = "Halted"', True),
        ("not not true", True),
        ("not true and false", False),  # (not true) and false
        ("true or false and false", True),  # true or (false and false)
        ("(true or false) and false", False),
        ("not (true and false)", True),
        ('field "memory_static_max" = "4294967296"', True),
        ('field "HVM_shadow_multiplier" = "1.0"', True),
        ('field "resident_on" = "OpaqueRef:host-1"', True),
        ('field "start_time" = "20240102T03:04:05Z"', True),
        ("field \"tags\" = \"('web' 'prod')\"", True),
        ("field \"other_config\" = \"(('k' 'v'))\"", True),
        ('field "name__label" = "say \\"hi\\"\\\\now"', True),
        ('field "name_label" = "say \\"hi\\"\\\\now"', True),
        ('field "no_such_field" = ""', True),
        ('field "power_state" = field "power_state"', True),
        ('"a" = "a"', True),
        ('"a" <> "a"', False),
        ('  ( field "power_state"="Running" )  ', True),
    ],
)
def test_where_evaluates(expr: str, expected: bool) -> None:
    assert compile_where(expr)(VM_RUNNING) is expected


def test_where_prefers_exact_name_before_namespace_alias() -> None:
    predicate = compile_where('field "name__label" = "x"')
    assert predicate({"name__label": "x", "name_label": "y"})
    assert predicate({"name_label": "x"})
    assert not predicate({})


def test_where_is_cached() -> None:
    assert compile_where('field "a" = "b"') is compile_where('field "a" = "b"')


@pytest.mark.parametrize(
    "expr, position",
    [
        ("", 0),
        ("   ", 3),
        ("field", 5),
        ('field "a"', 9),
        ('field "a" =', 11),
        ('field "a" == "b"', 11),
        ('field a = "b"', 6),
        ('"a" = "b" and', 13),
        ("(true", 5),
        ("true)", 4),
        ("true true", 5),
        ("not", 3),
        ('field "a" = "unterminated', 12),
        ("True", 0),
        ('field "a" = "b" & true', 16),
    ],
)
def test_where_syntax_errors_name_the_position(expr: str, position: int) -> None:
    with pytest.raises(WhereSyntaxError) as caught:
        compile_where(expr)
    assert caught.value.position == position
    assert f"position {position}" in str(caught.value)
    assert isinstance(caught.value, ValueError)


def test_render_db_value() -> None:
    assert render_db_value(True) == "true"
    assert render_db_value(0) == "0"
    assert render_db_value(0.5) == "0.5"
    assert render_db_value(datetime(1970, 1, 1, tzinfo=timezone.utc)) == "19700101T00:00:00Z"
    assert render_db_value([]) == "()"
    assert render_db_value(["it's"]) == "('it\\'s')"


def test_where_is_fast_on_a_large_table(schema: Schema) -> None:
    records = []
    for index in range(10_000):
        record = schema.default_record("VM")
        record["power_state"] = "Running" if index % 3 == 0 else "Halted"
        record["is_a_template"] = index % 5 == 0
        record["name_label"] = f"vm-{index}"
        records.append(record)
    predicate = compile_where(
        'field "power_state" = "Running" and not field "is_a_template" = "true" and field "name__label" <> "vm-3"'
    )
    best = float("inf")
    for _unused in range(3):
        started = time.perf_counter()
        matched = [record for record in records if predicate(record)]
        best = min(best, time.perf_counter() - started)
    expected = sum(1 for i in range(10_000) if i % 3 == 0 and i % 5 != 0 and i != 3)
    assert len(matched) == expected
    assert best < 0.1, f"{best * 1000:.1f} ms for 10,000 records"
