"""The generic layer of the simulator, seen through the official XenAPI client over XML-RPC.

Implicit messages (get_record, get_all*, get_by_*, getters, setters, map and set helpers,
create, destroy, the where-expression queries), dispatch errors with their exact parameters,
relations kept consistent on both ends, and the call / write counters of the control API.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Iterator

import pytest
import XenAPI
from xapi_helpers import failure

from xapisim.schema import load as load_schema

if TYPE_CHECKING:
    from xapisim.process import SimProcess

ORIGINATOR = "xapisim-tests generic"
BOGUS_REF = "OpaqueRef:00000000-0000-0000-0000-000000000000"
# A sample of classes that have records in the demo pool.
SAMPLED_CLASSES = ("VM", "host", "SR", "VDI", "network", "PIF", "PBD", "VBD", "VIF")


@pytest.fixture(scope="module")
def xapi(sim_http: SimProcess) -> Iterator[XenAPI.Session]:
    session = XenAPI.Session(sim_http.url)
    session.xenapi.login_with_password(sim_http.info["username"], sim_http.info["password"], "2.21", ORIGINATOR)
    yield session
    session.xenapi.session.logout()


def method(xapi: XenAPI.Session, name: str) -> Any:
    """The client's callable for a dotted wire name such as ``"VM.set_power_state"``."""
    dispatcher: Any = xapi.xenapi
    for part in name.split("."):
        dispatcher = getattr(dispatcher, part)
    return dispatcher


def vm_named(xapi: XenAPI.Session, name: str) -> str:
    refs = xapi.xenapi.VM.get_by_name_label(name)
    assert len(refs) == 1, f"expected one VM called {name!r}, found {refs}"
    return refs[0]


# ---- reading --------------------------------------------------------------------------------
@pytest.mark.parametrize("cls", SAMPLED_CLASSES)
def test_get_all_get_all_records_and_get_record_agree(xapi: XenAPI.Session, cls: str) -> None:
    api = getattr(xapi.xenapi, cls)
    refs = api.get_all()
    records = api.get_all_records()
    assert refs, f"the demo pool has {cls} objects"
    assert sorted(refs) == sorted(records)
    for ref in refs:
        assert ref.startswith("OpaqueRef:")
        assert api.get_record(ref) == records[ref]


@pytest.mark.parametrize("cls", SAMPLED_CLASSES)
def test_get_by_uuid_round_trips_and_rejects_unknown_uuids(xapi: XenAPI.Session, cls: str) -> None:
    api = getattr(xapi.xenapi, cls)
    for ref, record in api.get_all_records().items():
        assert api.get_by_uuid(record["uuid"]) == ref
        assert api.get_uuid(ref) == record["uuid"]
    unknown = "00000000-1111-2222-3333-444444444444"
    assert failure(api.get_by_uuid, unknown) == ["UUID_INVALID", cls, unknown]


def test_get_by_name_label_returns_a_set_of_refs(xapi: XenAPI.Session) -> None:
    web01 = vm_named(xapi, "web01")
    assert xapi.xenapi.VM.get_name_label(web01) == "web01"
    assert xapi.xenapi.VM.get_by_name_label("no VM has this name") == []
    networks = xapi.xenapi.network.get_by_name_label("Pool-wide network associated with eth0")
    assert len(networks) == 1 and xapi.xenapi.network.get_bridge(networks[0]) == "xenbr0"


@pytest.mark.parametrize("cls", ("VM", "host", "SR", "VDI"))
def test_every_field_getter_returns_the_record_value(xapi: XenAPI.Session, cls: str) -> None:
    schema = load_schema()
    api = getattr(xapi.xenapi, cls)
    ref = api.get_all()[0]
    record = api.get_record(ref)
    getters = [name for name in schema.cls(cls).fields if f"get_{name}" in schema.cls(cls).messages]
    assert len(getters) == len(schema.cls(cls).fields), "every field has an implicit getter"
    for name in getters:
        assert getattr(api, f"get_{name}")(ref) == record[name], name


# ---- writing --------------------------------------------------------------------------------
def test_setters_of_read_write_fields_round_trip(xapi: XenAPI.Session) -> None:
    vm = vm_named(xapi, "build01")
    api = xapi.xenapi.VM
    api.set_name_description(vm, "rebuilt & <tested>")
    api.set_user_version(vm, "7")
    api.set_xenstore_data(vm, {"vm-data/owner": "ci", "vm-data/purpose": "builds"})
    api.set_tags(vm, ["ci", "builds"])
    record = api.get_record(vm)
    assert record["name_description"] == "rebuilt & <tested>"
    assert record["user_version"] == "7"  # ints travel as strings over XML-RPC
    assert record["xenstore_data"] == {"vm-data/owner": "ci", "vm-data/purpose": "builds"}
    assert record["tags"] == ["ci", "builds"]


# The datamodel declares these setters explicitly (xapi gives them custom code), yet each one
# stores a field like an implicit setter does; clients such as Ansible modules use them all the time.
EXPLICIT_FIELD_MESSAGES = [
    ("VM", "web01", "set_other_config", "other_config", {"owner": "ops"}),
    ("VM", "web01", "add_to_other_config", "other_config", ("backup", "nightly")),
    ("VM", "build01", "set_VCPUs_max", "VCPUs_max", "4"),
    ("SR", "NFS storage", "set_name_description", "name_description", "shared VM storage"),
    ("VDI", "web01 root", "set_name_label", "name_label", "web01 system disk"),
]


@pytest.mark.parametrize("case", EXPLICIT_FIELD_MESSAGES, ids=[f"{case[0]}.{case[2]}" for case in EXPLICIT_FIELD_MESSAGES])
def test_explicit_field_messages_store_the_field(xapi: XenAPI.Session, case: tuple[str, str, str, str, Any]) -> None:
    cls, name, message, field, value = case
    api = getattr(xapi.xenapi, cls)
    ref = api.get_by_name_label(name)[0]
    before = api.get_record(ref)[field]
    args = value if isinstance(value, tuple) else (value,)
    getattr(api, message)(ref, *args)
    expected = {**before, args[0]: args[1]} if message.startswith("add_to_") else value
    assert api.get_record(ref)[field] == expected


@pytest.mark.parametrize("name", ("VM.set_power_state", "VM.set_uuid", "VM.set_resident_on", "host.set_PBDs",
                                  "SR.set_physical_utilisation", "VDI.set_virtual_size"))
def test_read_only_fields_have_no_setter(xapi: XenAPI.Session, name: str) -> None:
    ref = method(xapi, name.split(".")[0] + ".get_all")()[0]
    assert failure(method(xapi, name), ref, "x") == ["MESSAGE_METHOD_UNKNOWN", name]


@pytest.mark.parametrize("cls, field", [("VM", "xenstore_data"), ("host", "other_config"), ("SR", "other_config")])
def test_map_fields_add_and_remove_keys(xapi: XenAPI.Session, cls: str, field: str) -> None:
    api = getattr(xapi.xenapi, cls)
    ref = api.get_all()[-1]
    get, add, remove = (getattr(api, f"{verb}{field}") for verb in ("get_", "add_to_", "remove_from_"))
    before = get(ref)
    add(ref, "backup", "nightly")
    assert get(ref) == {**before, "backup": "nightly"}
    uuid = api.get_uuid(ref)
    assert failure(add, ref, "backup", "weekly") == ["MAP_DUPLICATE_KEY", cls, field, uuid, "backup"]
    assert get(ref)["backup"] == "nightly"
    remove(ref, "backup")
    remove(ref, "backup")  # removing a missing key is not an error
    assert get(ref) == before


def test_set_fields_add_and_remove_members(xapi: XenAPI.Session) -> None:
    vm = vm_named(xapi, "db01")
    api = xapi.xenapi.VM
    assert api.get_tags(vm) == ["db"]
    api.add_tags(vm, "critical")
    api.add_tags(vm, "critical")  # a set holds a member once
    assert api.get_tags(vm) == ["db", "critical"]
    api.remove_tags(vm, "critical")
    api.remove_tags(vm, "never-there")
    assert api.get_tags(vm) == ["db"]


def test_create_and_destroy_through_the_record_constructor(xapi: XenAPI.Session) -> None:
    api = xapi.xenapi.VM_group
    group = api.create({"name_label": "anti-affinity web", "name_description": "keep apart", "placement": "anti_affinity"})
    record = api.get_record(group)
    assert set(record) == set(load_schema().cls("VM_group").fields)
    assert (record["name_label"], record["placement"], record["VMs"]) == ("anti-affinity web", "anti_affinity", [])
    assert api.get_by_uuid(record["uuid"]) == group
    api.destroy(group)
    assert failure(api.get_record, group) == ["HANDLE_INVALID", "VM_group", group]
    assert failure(api.destroy, group) == ["HANDLE_INVALID", "VM_group", group]


def test_create_checks_required_fields_and_references(xapi: XenAPI.Session) -> None:
    assert failure(xapi.xenapi.secret.create, {}) == ["FIELD_TYPE_ERROR", "value"]
    assert failure(xapi.xenapi.PVS_cache_storage.create, {"host": BOGUS_REF}) == ["HANDLE_INVALID", "host", BOGUS_REF]
    assert failure(xapi.xenapi.host.create, {}) == ["MESSAGE_METHOD_UNKNOWN", "host.create"]


# ---- where expressions ----------------------------------------------------------------------
def _expected(records: dict[str, dict[str, Any]], keep: Callable[[dict[str, Any]], bool]) -> list[str]:
    return sorted(ref for ref, record in records.items() if keep(record))


WHERE_CASES: list[tuple[str, Callable[[dict[str, Any]], bool]]] = [
    ("true", lambda r: True),
    ("false", lambda r: False),
    ('field "power_state" = "Running"', lambda r: r["power_state"] == "Running"),
    ('field "power_state" = "Running" and field "is_control_domain" = "false"',
     lambda r: r["power_state"] == "Running" and not r["is_control_domain"]),
    ('field "power_state" = "Suspended" or field "name__label" = "build01"',
     lambda r: r["power_state"] == "Suspended" or r["name_label"] == "build01"),
    ('not field "is_a_template" = "true"', lambda r: not r["is_a_template"]),
    ('(field "power_state" = "Halted" or field "power_state" = "Suspended") and not (field "is_a_template" = "true")',
     lambda r: r["power_state"] in ("Halted", "Suspended") and not r["is_a_template"]),
    ('field "name__label" <> "web01" and field "VCPUs__max" = "4"', lambda r: r["name_label"] != "web01" and r["VCPUs_max"] == "4"),
    ('field "memory__static_max" = "8589934592"', lambda r: r["memory_static_max"] == "8589934592"),
]


@pytest.mark.parametrize("expr, keep", WHERE_CASES, ids=[expr for expr, _unused in WHERE_CASES])
def test_where_expressions_select_like_a_client_side_filter(
    xapi: XenAPI.Session, expr: str, keep: Callable[[dict[str, Any]], bool]
) -> None:
    records = xapi.xenapi.VM.get_all_records()
    expected = _expected(records, keep)
    assert sorted(xapi.xenapi.VM.get_all_where(expr)) == expected
    selected = xapi.xenapi.VM.get_all_records_where(expr)
    assert sorted(selected) == expected
    assert all(selected[ref] == records[ref] for ref in expected)


@pytest.mark.parametrize("field", ["name_label", "VCPUs_max", "memory_static_max", "powerstate"])
def test_where_fields_are_database_columns_as_in_xapi(xapi: XenAPI.Session, field: str) -> None:
    # The API spells name_label, the database name__label: xapi fails on a column it does not have.
    assert failure(xapi.xenapi.VM.get_all_records_where, f'field "{field}" = "x"') == ["INTERNAL_ERROR", "missing field", field, ""]
    # ... but only when there is a row to look it up in.
    assert xapi.xenapi.VTPM.get_all_records_where(f'field "{field}" = "x"') == {} or xapi.xenapi.VTPM.get_all()


def test_where_expressions_may_name_a_rows_own_reference(xapi: XenAPI.Session) -> None:
    # Every row holds its reference as "_ref": a set of objects of one class comes in one call.
    first, second, third = sorted(xapi.xenapi.VM.get_all())[:3]
    records = xapi.xenapi.VM.get_all_records_where(f'field "_ref" = "{first}" or field "_ref" = "{third}"')
    assert sorted(records) == [first, third]
    assert records[first] == xapi.xenapi.VM.get_record(first) and "_ref" not in records[first]
    assert xapi.xenapi.VM.get_all_where(f'not (field "_ref" = "{second}")') == [ref for ref in xapi.xenapi.VM.get_all() if ref != second]
    assert xapi.xenapi.VM.get_all_records_where('field "_ref" = "OpaqueRef:NULL"') == {}


def test_where_expression_syntax_error_names_the_position(xapi: XenAPI.Session) -> None:
    details = failure(xapi.xenapi.VM.get_all_where, "true true")
    assert details[0] == "INTERNAL_ERROR" and len(details) == 2
    assert details[1].startswith("Db_filter.Expression_error:") and "position 5" in details[1]


# ---- dispatch errors ------------------------------------------------------------------------
@pytest.mark.parametrize("name", ("VM.no_such_message", "NoSuchClass.get_all", "VM"))
def test_unknown_methods(xapi: XenAPI.Session, name: str) -> None:
    assert failure(method(xapi, name)) == ["MESSAGE_METHOD_UNKNOWN", name]


def test_parameter_count_mismatch_counts_the_session(xapi: XenAPI.Session) -> None:
    vm = vm_named(xapi, "web01")
    assert failure(xapi.xenapi.VM.get_record) == ["MESSAGE_PARAMETER_COUNT_MISMATCH", "VM.get_record", "2", "1"]
    assert failure(xapi.xenapi.VM.get_record, vm, vm) == ["MESSAGE_PARAMETER_COUNT_MISMATCH", "VM.get_record", "2", "3"]
    assert failure(xapi.xenapi.VM.set_name_label, vm) == ["MESSAGE_PARAMETER_COUNT_MISMATCH", "VM.set_name_label", "3", "2"]


def test_handle_invalid_names_the_class_and_the_ref(xapi: XenAPI.Session) -> None:
    host = xapi.xenapi.host.get_all()[0]
    assert failure(xapi.xenapi.VM.get_record, BOGUS_REF) == ["HANDLE_INVALID", "VM", BOGUS_REF]
    assert failure(xapi.xenapi.VM.set_name_label, BOGUS_REF, "x") == ["HANDLE_INVALID", "VM", BOGUS_REF]
    # A ref of another class is just as invalid.
    assert failure(xapi.xenapi.VM.get_name_label, host) == ["HANDLE_INVALID", "VM", host]


def test_values_of_the_wrong_type_fail_with_field_type_error(xapi: XenAPI.Session) -> None:
    vm = vm_named(xapi, "web01")
    assert failure(xapi.xenapi.VM.set_user_version, vm, "not a number") == ["FIELD_TYPE_ERROR", "value"]
    assert failure(xapi.xenapi.VM.set_tags, vm, "not a list") == ["FIELD_TYPE_ERROR", "value"]
    assert failure(xapi.xenapi.VM.set_xenstore_data, vm, ["not", "a", "map"]) == ["FIELD_TYPE_ERROR", "value"]


@pytest.mark.parametrize("name", ("Async.VM.get_record", "Async.VM.set_name_label"))
def test_async_form_of_a_message_without_one_is_unknown(xapi: XenAPI.Session, name: str) -> None:
    vm = vm_named(xapi, "web01")
    args = (vm,) if name.endswith("get_record") else (vm, "x")
    assert failure(method(xapi, name), *args) == ["MESSAGE_METHOD_UNKNOWN", name]


# ---- relations ------------------------------------------------------------------------------
def _pointers(value: Any) -> list[str]:
    values = value if isinstance(value, list) else [value]
    return [ref for ref in values if ref != "OpaqueRef:NULL"]


def assert_relations_consistent(xapi: XenAPI.Session) -> None:
    """Every relation of the datamodel, checked from both ends over every record."""
    schema = load_schema()
    tables: dict[str, dict[str, dict[str, Any]]] = {}

    def table(cls: str) -> dict[str, dict[str, Any]]:
        if cls not in tables:
            tables[cls] = getattr(xapi.xenapi, cls).get_all_records()
        return tables[cls]

    for rel in schema.relations:
        for cls, field, other_cls, other_field in ((rel.a_class, rel.a_field, rel.b_class, rel.b_field),
                                                   (rel.b_class, rel.b_field, rel.a_class, rel.a_field)):
            if not table(cls):
                continue
            for ref, record in table(cls).items():
                for target in _pointers(record[field]):
                    assert target in table(other_cls), f"{cls}.{field} of {ref} points at a missing {other_cls}"
                    assert ref in _pointers(table(other_cls)[target][other_field]), (
                        f"{cls}.{field} of {ref} is {target} but {other_cls}.{other_field} does not list it")


def test_relations_of_the_demo_pool_are_consistent(xapi: XenAPI.Session) -> None:
    assert_relations_consistent(xapi)
    host1 = xapi.xenapi.host.get_by_name_label("host1")[0]
    web01 = vm_named(xapi, "web01")
    assert xapi.xenapi.VM.get_resident_on(web01) == host1
    assert web01 in xapi.xenapi.host.get_resident_VMs(host1)
    nfs = xapi.xenapi.SR.get_by_name_label("NFS storage")[0]
    nfs_pbds = xapi.xenapi.SR.get_PBDs(nfs)
    assert sorted(xapi.xenapi.PBD.get_host(pbd) for pbd in nfs_pbds) == sorted(xapi.xenapi.host.get_all())
    assert all(pbd in xapi.xenapi.host.get_PBDs(xapi.xenapi.PBD.get_host(pbd)) for pbd in nfs_pbds)
    eth0 = xapi.xenapi.network.get_by_name_label("Pool-wide network associated with eth0")[0]
    assert len(xapi.xenapi.network.get_PIFs(eth0)) == 3
    assert all(xapi.xenapi.VIF.get_network(vif) == eth0 for vif in xapi.xenapi.network.get_VIFs(eth0))


def test_vbd_create_and_destroy_update_the_vm_and_the_vdi(xapi: XenAPI.Session) -> None:
    vm = vm_named(xapi, "build01")
    iso_sr = xapi.xenapi.SR.get_by_name_label("ISO library")[0]
    iso = xapi.xenapi.SR.get_VDIs(iso_sr)[0]
    vbd = xapi.xenapi.VBD.create({
        "VM": vm, "VDI": iso, "userdevice": "3", "bootable": False, "mode": "RO", "type": "CD", "empty": False,
        "other_config": {}, "qos_algorithm_type": "", "qos_algorithm_params": {},
    })
    assert (xapi.xenapi.VBD.get_VM(vbd), xapi.xenapi.VBD.get_VDI(vbd)) == (vm, iso)
    assert vbd in xapi.xenapi.VM.get_VBDs(vm)
    assert vbd in xapi.xenapi.VDI.get_VBDs(iso)
    assert_relations_consistent(xapi)
    xapi.xenapi.VBD.destroy(vbd)
    assert vbd not in xapi.xenapi.VM.get_VBDs(vm)
    assert vbd not in xapi.xenapi.VDI.get_VBDs(iso)


def test_snapshots_are_listed_on_the_snapshotted_vm(xapi: XenAPI.Session) -> None:
    vm = vm_named(xapi, "build01")
    snapshot = xapi.xenapi.VM.snapshot(vm, "build01 before upgrade")
    assert xapi.xenapi.VM.get_snapshot_of(snapshot) == vm
    assert snapshot in xapi.xenapi.VM.get_snapshots(vm)
    assert_relations_consistent(xapi)
    xapi.xenapi.VM.destroy(snapshot)
    assert snapshot not in xapi.xenapi.VM.get_snapshots(vm)


# ---- call statistics ------------------------------------------------------------------------
def test_stats_count_calls_and_only_real_writes(xapi: XenAPI.Session, sim_http: SimProcess) -> None:
    vm = vm_named(xapi, "web01")
    sim_http.control_post("reset_stats")
    xapi.xenapi.VM.get_record(vm)
    xapi.xenapi.VM.get_record(vm)
    xapi.xenapi.host.get_all()
    reads = sim_http.control_get("stats")
    assert reads["calls"] == {"VM.get_record": 2, "host.get_all": 1}
    assert (reads["total_calls"], reads["write_calls"]) == (3, 0)
    xapi.xenapi.VM.set_name_description(vm, "counted")
    failure(xapi.xenapi.VM.get_record, BOGUS_REF)  # failed calls count as calls, not writes
    stats = sim_http.control_get("stats")
    assert stats["calls"] == {"VM.get_record": 3, "host.get_all": 1, "VM.set_name_description": 1}
    assert (stats["total_calls"], stats["write_calls"]) == (5, 1)
    assert stats["live_sessions"] >= 1
    assert stats["sessions_by_originator"][ORIGINATOR] == 1
    sim_http.control_post("reset_stats")
    assert sim_http.control_get("stats")["total_calls"] == 0
