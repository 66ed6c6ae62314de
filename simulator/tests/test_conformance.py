"""Schema conformance: the simulator's records against xapi's datamodel and real XenServer records.

* schema.json (what the simulator serves) matches the published datamodel it is generated from;
* ``get_record`` of every class answers exactly the datamodel's fields, each value in the wire
  form of its type (ints as decimal strings, datetimes as ``dateTime.iso8601``, refs as
  ``OpaqueRef:...``, enums from their enum);
* records recorded from a real XenServer 7.2 host have no field ours lack and the same value
  shapes. The reference files live beside the repository, not in it: those tests skip in a
  clone that does not have them.
"""
from __future__ import annotations

import json
import re
import xmlrpc.client
from pathlib import Path
from typing import Any, Iterator

import pytest
import XenAPI

from xapisim.process import SimProcess, start_simulator

from xapisim.schema import SCHEMA_FILE, Schema, XType
from xapisim.schema import load as load_schema

REFERENCE_DIR = Path(__file__).resolve().parents[3] / "shared" / "xapi"
RECORDS_DIR = REFERENCE_DIR / "records"
DATAMODEL_FILE = REFERENCE_DIR / "datamodel.json"
INT_TEXT = re.compile(r"-?[0-9]+")
DATETIME_TEXT = re.compile(r"[0-9]{8}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z?")
REF_TEXT = re.compile(r"OpaqueRef:(NULL|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})")

# Fields of the 7.2 records that the current datamodel no longer has at all: none. xapi keeps
# the fields it marks "removed" in its records (with their default values), so a 7.2 record is
# a subset of a current one. Any class listed here would name fields we may lack.
FIELDS_GONE_SINCE_7_2: dict[str, list[str]] = {}
# Fields the datamodel marks removed (lifecycle "removed") that the 7.2 host still returned:
# our records must keep serving them, as xapi does.
REMOVED_BUT_STILL_SERVED: dict[str, list[str]] = {
    "VM": ["is_snapshot_from_vmpp"],
    "VM_metrics": ["VCPUs_utilisation"],
    "VM_guest_metrics": ["memory", "disks"],
    "VIF": ["metrics"],
    "VBD": ["metrics"],
}

SCHEMA = load_schema()


# ---- schema.json against the datamodel ---------------------------------------------------------
@pytest.fixture(scope="module")
def datamodel() -> dict[str, Any]:
    if not DATAMODEL_FILE.is_file():
        pytest.skip("xapi's datamodel.json is not beside this repository (it is not shipped with the collection)")
    return json.loads(DATAMODEL_FILE.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def schema_json() -> dict[str, Any]:
    return json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))


def test_schema_has_the_datamodel_classes_fields_and_flags(datamodel: dict[str, Any], schema_json: dict[str, Any]) -> None:
    classes = {c["name"]: c for c in datamodel["classes"]}
    assert list(schema_json["classes"]) == list(classes)
    for name, source in classes.items():
        ours = schema_json["classes"][name]
        expected_fields = [(f["name"], f["type"], f["qualifier"]) for f in source["fields"]]
        assert [(f[0], f[1], f[2]) for f in ours["fields"]] == expected_fields, name
        assert ours["gen_events"] == (source["obj_flags"]["gen_events"] == "true"), name
        assert ours["ctor"] == (source["obj_flags"]["gen_constructor_destructor"] == "true"), name


def test_schema_has_the_datamodel_messages(datamodel: dict[str, Any], schema_json: dict[str, Any]) -> None:
    for source in datamodel["classes"]:
        ours = schema_json["classes"][source["name"]]["messages"]
        assert sorted(ours) == sorted(m["name"] for m in source["messages"]), source["name"]
        for message in source["messages"]:
            mine = ours[message["name"]]
            where = f"{source['name']}.{message['name']}"
            takes_session = bool(message["params"]) and message["params"][0]["type"] == "session ref"
            params = message["params"][1:] if takes_session else message["params"]
            assert mine["session"] == takes_session, where
            assert [name for _unused, name in mine["params"]] == [p["name"] for p in params], where
            assert (mine["async"], mine["implicit"]) == (message["async"], message["implicit"]), where
            assert mine["result"] == message["result"][0], where


def test_schema_has_the_datamodel_error_table(datamodel: dict[str, Any], schema_json: dict[str, Any]) -> None:
    assert schema_json["errors"] == {code: entry["params"] for code, entry in datamodel["errors"].items()}


# ---- every class's records over the wire -------------------------------------------------------
@pytest.fixture(scope="module")
def catalog() -> Iterator[SimProcess]:
    """The catalog pool: the demo pool plus one object of every stored class it lacks."""
    process = start_simulator("--http", "--scenario", "catalog")
    try:
        yield process
    finally:
        process.stop()


@pytest.fixture(scope="module")
def xapi(catalog: SimProcess) -> Iterator[XenAPI.Session]:
    session = XenAPI.Session(catalog.url)
    session.xenapi.login_with_password(catalog.info["username"], catalog.info["password"], "2.21", "xapisim-tests conformance")
    yield session
    session.xenapi.session.logout()


def _first(xapi: XenAPI.Session, cls: str, **where: Any) -> str:
    for ref, record in getattr(xapi.xenapi, cls).get_all_records().items():
        if all(record.get(key) == value for key, value in where.items()):
            return ref
    raise AssertionError(f"no {cls} with {where}")


def _built_on_demand(xapi: XenAPI.Session, cls: str) -> dict[str, dict[str, Any]]:
    """Records of the classes xapi does not store but builds for an answer, keyed by where they came from."""
    api = xapi.xenapi
    if cls == "event":
        events = getattr(api.event, "from")(["vm"], "", 0.0)["events"]
        return {f"event.from[{index}]": event for index, event in enumerate(events[:3])}
    if cls == "data_source":
        sources = api.host.get_data_sources(_first(xapi, "host")) + api.VM.get_data_sources(_first(xapi, "VM", name_label="web01"))
        return {f"get_data_sources[{index}]": source for index, source in enumerate(sources)}
    if cls in ("probe_result", "sr_stat"):
        nfs = _first(xapi, "SR", name_label="NFS storage")
        pbd = api.PBD.get_record(api.SR.get_PBDs(nfs)[0])
        results = api.SR.probe_ext(pbd["host"], pbd["device_config"], "nfs", {})
        if cls == "probe_result":
            return {f"SR.probe_ext[{index}]": result for index, result in enumerate(results)}
        return {f"SR.probe_ext[{index}].sr": result["sr"][0] for index, result in enumerate(results) if result["sr"]}
    if cls == "vdi_nbd_server_info":
        infos = api.VDI.get_nbd_info(_first(xapi, "VDI", name_label="web01 root"))
        return {f"VDI.get_nbd_info[{index}]": info for index, info in enumerate(infos)}
    if cls == "auth":
        return {"auth (a class of calls, with no fields)": {}}
    raise AssertionError(f"{cls} has no get_record and no known answer that carries its records")


def _wire_zero(t: XType, existing: dict[str, list[str]]) -> Any:
    """A value of type t for a constructor argument; refs point at an existing object when one exists."""
    if t.kind == "ref":
        return (existing.get(t.name or "") or ["OpaqueRef:NULL"])[0]
    if t.kind == "int":
        return "0"
    if t.kind == "datetime":
        return xmlrpc.client.DateTime("19700101T00:00:00Z")
    return SCHEMA.zero(t)


def records_of(xapi: XenAPI.Session, cls: str) -> dict[str, dict[str, Any]]:
    """Records of ``cls``, making one with the class's constructor when the demo pool has none."""
    cdef = SCHEMA.cls(cls)
    api = getattr(xapi.xenapi, cls)
    if "get_record" not in cdef.messages:
        return _built_on_demand(xapi, cls)
    if cls == "session":
        return {xapi.handle: api.get_record(xapi.handle)}
    records = api.get_all_records() if "get_all_records" in cdef.messages else {}
    if not records and cdef.gen_events:
        # No get_all_records (LVHD): the event stream lists the objects.
        events = getattr(xapi.xenapi.event, "from")([cls.lower()], "", 0.0)["events"]
        records = {event["ref"]: api.get_record(event["ref"]) for event in events}
    if records:
        return records
    ref = _create_one(xapi, cls)
    return {ref: api.get_record(ref)}


def _create_one(xapi: XenAPI.Session, cls: str) -> str:
    cdef = SCHEMA.cls(cls)
    api = getattr(xapi.xenapi, cls)
    if cls == "task":
        return api.create("conformance", "made by the conformance test")
    if cls == "message":
        vm_uuid = xapi.xenapi.VM.get_uuid(xapi.xenapi.VM.get_all()[0])
        return api.create("CONFORMANCE_CHECK", "5", "VM", vm_uuid, "made by the conformance test")
    if not cdef.has_ctor:
        raise AssertionError(f"the catalog pool has no {cls}, and the class has no record constructor")
    targets = {f.type.name for f in cdef.fields.values() if f.type.kind == "ref" and f.type.name}
    existing = {name: getattr(xapi.xenapi, name).get_all() for name in targets if "get_all" in SCHEMA.cls(name).messages}
    return api.create({name: _wire_zero(cdef.fields[name].type, existing)
                       for name, required in cdef.ctor_fields.items() if required})


def wire_shape_problems(schema: Schema, value: Any, t: XType, where: str) -> list[str]:
    """Where ``value`` (decoded by the XML-RPC client) is not the wire form of datamodel type t."""
    kind = t.kind
    ok = True
    if kind == "string":
        ok = isinstance(value, str)
    elif kind == "int":
        ok = isinstance(value, str) and INT_TEXT.fullmatch(value) is not None
    elif kind == "float":
        ok = isinstance(value, float)
    elif kind == "bool":
        ok = isinstance(value, bool)
    elif kind == "datetime":
        ok = isinstance(value, xmlrpc.client.DateTime) and DATETIME_TEXT.fullmatch(value.value) is not None
    elif kind == "ref":
        ok = isinstance(value, str) and REF_TEXT.fullmatch(value) is not None
    elif kind == "enum":
        ok = value in schema.enums[t.name or ""]
    elif kind == "set":
        if not isinstance(value, list):
            return [f"{where}: {value!r} is not an array"]
        assert t.elem is not None
        return [p for index, item in enumerate(value) for p in wire_shape_problems(schema, item, t.elem, f"{where}[{index}]")]
    elif kind == "map":
        if not isinstance(value, dict):
            return [f"{where}: {value!r} is not a struct"]
        assert t.elem is not None
        return [p for key, item in value.items() for p in wire_shape_problems(schema, item, t.elem, f"{where}[{key!r}]")]
    return [] if ok else [f"{where}: {value!r} is not the wire form of {kind} {t.name or ''}".rstrip()]


@pytest.mark.parametrize("cls", list(SCHEMA.classes))
def test_get_record_has_exactly_the_datamodel_fields_in_wire_form(xapi: XenAPI.Session, cls: str) -> None:
    cdef = SCHEMA.cls(cls)
    records = records_of(xapi, cls)
    assert records, f"no {cls} record to check"
    for ref, record in records.items():
        assert sorted(record) == sorted(cdef.fields), f"{cls} {ref}"
        problems = [p for name, field in cdef.fields.items()
                    for p in wire_shape_problems(SCHEMA, record[name], field.type, f"{cls}.{name}")]
        assert not problems, "\n".join(problems)


# ---- real XenServer 7.2 records ----------------------------------------------------------------
@pytest.fixture(scope="module")
def real_records() -> dict[str, list[dict[str, Any]]]:
    files = sorted(RECORDS_DIR.glob("*.json")) if RECORDS_DIR.is_dir() else []
    if not files:
        pytest.skip("the real XenServer records are not beside this repository (they are not shipped with the collection)")
    by_class: dict[str, list[dict[str, Any]]] = {}
    for path in files:
        for cls, records in json.loads(path.read_text(encoding="utf-8")).items():
            by_class.setdefault(cls, []).extend(records.values())
    return by_class


def test_real_records_have_no_field_that_ours_lack(xapi: XenAPI.Session, real_records: dict[str, list[dict[str, Any]]]) -> None:
    for cls, records in real_records.items():
        ours = set(next(iter(records_of(xapi, cls).values())))
        for record in records:
            assert sorted(set(record) - ours) == sorted(FIELDS_GONE_SINCE_7_2.get(cls, [])), cls


def test_removed_fields_are_still_served_like_a_real_host(
    xapi: XenAPI.Session, real_records: dict[str, list[dict[str, Any]]]
) -> None:
    for cls, fields in REMOVED_BUT_STILL_SERVED.items():
        ours = next(iter(records_of(xapi, cls).values()))
        for field in fields:
            assert all(field in record for record in real_records[cls]), f"the 7.2 {cls} records have {field}"
            assert field in ours, f"our {cls} records lack {field}"


def _json_shape(value: Any) -> Any:
    """The shape of a decoded wire value: datetimes written out as text, as the recorded JSON has them."""
    if isinstance(value, xmlrpc.client.DateTime):
        return "datetime"
    if isinstance(value, str):
        return "datetime" if DATETIME_TEXT.fullmatch(value) and not INT_TEXT.fullmatch(value) else "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "struct"
    return type(value).__name__


def test_our_values_have_the_wire_shapes_of_a_real_host(
    xapi: XenAPI.Session, real_records: dict[str, list[dict[str, Any]]]
) -> None:
    mismatches = []
    for cls, records in real_records.items():
        fields = SCHEMA.cls(cls).fields
        ours = list(records_of(xapi, cls).values())
        for name in records[0]:
            if fields[name].type.kind == "string":
                continue  # free text may look like anything, a date included
            real_shapes = {_json_shape(record[name]) for record in records}
            our_shapes = {_json_shape(record[name]) for record in ours}
            if our_shapes != real_shapes:
                mismatches.append(f"{cls}.{name}: real {sorted(real_shapes)}, ours {sorted(our_shapes)}")
    assert not mismatches, "\n".join(mismatches)
