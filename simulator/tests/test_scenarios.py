"""Pools the simulator starts with: generated pools (``--hosts/--vms``), scenario files
(``--scenario file.yml``), and state kept across restarts (``--state-file``).
"""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path
from typing import Any, Callable

import pytest

from xapisim.process import start_simulator
from xapisim.scenario.generated import plan_pool
from xapisim.scenario.yaml_file import ScenarioError, build_from_file, parse_size
from xapisim.world import build_simulator

import XenAPI  # noqa: E402

SCENARIOS = Path(__file__).resolve().parents[1] / "xapisim" / "scenarios"
LARGE_HOSTS, LARGE_VMS = 50, 10_000


def login(process: Any, username: str | None = None, password: str | None = None) -> Any:
    session = XenAPI.Session(process.url)
    session.xenapi.login_with_password(username or process.info["username"], password or process.info["password"],
                                       "1.0", "test_scenarios")
    return session


def guests(records: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {ref: r for ref, r in records.items()
            if not r["is_a_template"] and not r["is_control_domain"] and not r["is_a_snapshot"]}


# ---- generated pools ----------------------------------------------------------------------------


def test_generated_pool_keeps_both_ends_of_every_relation() -> None:
    """The bulk path stores guests without Store.create: its records must look exactly as if it had."""
    sim = build_simulator(hosts=4, vms=120)
    store = sim.store
    for cls, relations in store.relations.items():
        for ref, record in store.records(cls).items():
            for fname, (other_cls, other_field, other_is_set) in relations.items():
                value = record[fname]
                for target in value if isinstance(value, list) else [value]:
                    if target == "OpaqueRef:NULL" or not store.exists(other_cls, target):
                        continue
                    back = store.get(other_cls, target)[other_field]
                    assert (ref in back) if other_is_set else (back == ref), (cls, fname, ref, target)
    for cls in store.tables:
        assert {r["uuid"]: ref for ref, r in store.records(cls).items()} == store.uuids[cls]
    # Derived fields of the guests' records are computed once every relation is in place.
    for cls in ("VM", "VBD", "VDI", "VIF"):
        derive = store.derived.get(cls)
        for record in store.records(cls).values() if derive else ():
            if cls != "VM" or guests({"": record}):
                assert all(record[k] == v for k, v in derive(store, record).items()), (cls, record["uuid"])


def test_generated_pool_counts_and_shape() -> None:
    sim = build_simulator(hosts=3, vms=40)
    store, plan = sim.store, plan_pool(3, 40)
    vms = guests(store.records("VM"))
    assert len(vms) == 40 and len(store.records("host")) == 3
    assert Counter(r["power_state"] for r in vms.values()) == Counter(g.power_state for g in plan.guests)
    assert [address for _name, address in sim.hosts] == ["127.0.0.1", "127.0.0.2", "127.0.0.3"]
    for record in vms.values():
        running = record["power_state"] in ("Running", "Paused")
        assert 1 <= len(record["VBDs"]) <= 2 and 1 <= len(record["VIFs"]) <= 2
        assert (record["resident_on"] != "OpaqueRef:NULL") == running
        assert (record["guest_metrics"] != "OpaqueRef:NULL") == running
    default_sr = next(iter(store.records("pool").values()))["default_SR"]
    disks = [store.get("VDI", store.get("VBD", vbd)["VDI"]) for r in vms.values() for vbd in r["VBDs"]]
    assert store.get("SR", default_sr)["virtual_allocation"] == sum(d["virtual_size"] for d in disks)
    assert sum(r["is_default_template"] for r in store.records("VM").values()) >= 4


def test_generated_pool_is_reproducible() -> None:
    first, second = build_simulator(hosts=2, vms=10), build_simulator(hosts=2, vms=10)
    names = [sorted((r["name_label"], r["memory_static_max"], r["power_state"]) for r in guests(s.store.records("VM")).values())
             for s in (first, second)]
    assert names[0] == names[1]


def test_large_generated_pool_over_the_api() -> None:
    """50 hosts and 10,000 VMs: the ready time is printed (target: under 10 s), the counts are checked."""
    started = time.monotonic()
    process = start_simulator("--http", "--hosts", str(LARGE_HOSTS), "--vms", str(LARGE_VMS), timeout=120)
    try:
        print(f"\n{LARGE_HOSTS} hosts / {LARGE_VMS} VMs ready in {time.monotonic() - started:.2f} s")
        assert len(process.info["hosts"]) == LARGE_HOSTS
        api = login(process).xenapi
        assert len(api.host.get_all()) == LARGE_HOSTS
        running = api.VM.get_all_where('field "power_state" = "Running" and field "is_control_domain" = "false"')
        halted = api.VM.get_all_where('field "is_a_template" = "false" and field "power_state" = "Halted"')
        others = api.VM.get_all_where('field "power_state" = "Suspended" or field "power_state" = "Paused"')
        assert len(running) + len(halted) + len(others) == LARGE_VMS
        assert len(running) > LARGE_VMS // 2
    finally:
        process.stop()


# ---- scenario files -----------------------------------------------------------------------------


def test_small_yaml_scenario_over_the_api() -> None:
    process = start_simulator("--http", "--scenario", str(SCENARIOS / "small.yml"))
    try:
        assert process.info["password"] == "small-Secr3t-pw"
        assert sorted(process.info["hosts"]) == ["xs1", "xs2"] and process.info["master"] == "xs1"
        api = login(process).xenapi
        vms = {r["name_label"]: r for r in guests(api.VM.get_all_records()).values()}
        assert {name: r["power_state"] for name, r in vms.items()} == \
            {"app01": "Running", "app02": "Halted", "batch01": "Suspended"}
        assert (len(vms["app01"]["VBDs"]), len(vms["app01"]["VIFs"]), vms["app01"]["tags"]) == (2, 2, ["app", "production"])
        assert vms["app02"]["memory_static_max"] == str(512 * 1024 ** 2)
        sr_names = {r["name_label"] for r in api.SR.get_all_records().values()}
        assert sr_names == {"Local storage on xs1", "Shared NFS", "ISO library"}
        assert api.network.get_PIFs(api.network.get_by_name_label("Isolated lab network")[0]) == []
        operator = login(process, "operator", "operator-pw")
        operator.xenapi.session.logout()
    finally:
        process.stop()


def test_scenario_file_errors_name_the_place(tmp_path: Path) -> None:
    def error_of(text: str) -> str:
        path = tmp_path / "pool.yml"
        path.write_text(text, encoding="utf-8")
        with pytest.raises(ScenarioError) as caught:
            build_from_file(build_simulator(), path)
        return str(caught.value)

    assert "unknown key 'host'" in error_of("host: [a]\n")
    assert "vms[0]: no network named 'nowhere'" in error_of("vms: [{name: a, networks: [nowhere]}]\n")
    assert "srs[0]: unknown SR type 'zfs'" in error_of("srs: [{name: a, type: zfs}]\n")
    assert "power_state 'Sleeping'" in error_of("vms: [{name: a, power_state: Sleeping}]\n")
    assert parse_size("1.5G", "x") == 3 * 512 * 1024 ** 2 and parse_size(42, "x") == 42


def test_json_scenario_needs_no_yaml(tmp_path: Path) -> None:
    path = tmp_path / "pool.json"
    path.write_text('{"pool": "json-pool", "hosts": ["a", "b"], "vms": [{"name": "solo"}]}', encoding="utf-8")
    sim = build_simulator(str(path))
    assert [name for name, _address in sim.hosts] == ["a", "b"]
    assert [r["name_label"] for r in guests(sim.store.records("VM")).values()] == ["solo"]


def test_bad_scenario_file_stops_the_command_line(tmp_path: Path) -> None:
    path = tmp_path / "broken.yml"
    path.write_text("hosts: [a]\nvms: [{name: x, host: b}]\n", encoding="utf-8")
    with pytest.raises(Exception, match="vms\\[0\\]: no host named 'b'"):
        start_simulator("--http", "--scenario", str(path))


# ---- state file ---------------------------------------------------------------------------------


def test_state_file_survives_a_restart(tmp_path: Path, sim_factory: Callable[..., Any]) -> None:
    state = tmp_path / "pool.json"
    first = sim_factory("--http", "--state-file", str(state))
    api = login(first).xenapi
    template = api.VM.get_by_name_label("Debian Bookworm 12")[0]
    vm = api.VM.clone(template, "survivor")
    uuid = api.VM.get_uuid(vm)
    api.VM.set_name_description(vm, "made before the restart")
    api.session.logout()
    assert first.stop() == 0
    assert state.exists()

    second = sim_factory("--http", "--state-file", str(state))
    api = login(second).xenapi
    restored = api.VM.get_by_uuid(uuid)
    assert restored == vm
    assert (api.VM.get_name_label(restored), api.VM.get_name_description(restored)) == \
        ("survivor", "made before the restart")
    assert len(api.VM.get_by_name_label("web01")) == 1


# ---- what pools hold: data a real pool would ---------------------------------------------------------


@pytest.mark.parametrize("build", [dict(), dict(hosts=3, vms=40), dict(scenario=str(SCENARIOS / "small.yml"))],
                         ids=["demo", "generated", "small.yml"])
def test_guests_look_like_a_real_pools(build: dict[str, Any]) -> None:
    from xapisim.semantics.vm.guest import addresses_for  # pylint: disable=import-outside-toplevel

    sim = build_simulator(**build)
    store = sim.store
    for ref, vm in guests(store.records("VM")).items():
        where = vm["name_label"]
        running = vm["power_state"] in ("Running", "Paused")
        metrics = store.records("VM_guest_metrics").get(vm["guest_metrics"])
        # Guest tools report only while the guest runs; what they report follows the template it came from.
        assert (metrics is not None) == running, where
        if metrics is not None:
            assert metrics["os_version"]["name"] == vm["other_config"]["base_template_name"], where
            macs = {store.get("VIF", vif)["device"]: store.get("VIF", vif)["MAC"] for vif in vm["VIFs"]}
            # The addresses are those the agent reports after any later start: they follow from the MACs.
            assert metrics["networks"] == addresses_for(macs), where
        assert store.exists("VM_metrics", vm["metrics"]), where
        allowed = set(vm["allowed_operations"])
        assert allowed, where
        assert ("start" in allowed) == (vm["power_state"] == "Halted"), where
        assert ("clean_shutdown" in allowed) == (vm["power_state"] == "Running"), where
