"""The connection layer against a real simulator over HTTPS: sessions, redirects, TLS, tasks, secrets.

Playbook runs prove what users see; direct calls to the connection layer measure what only
the wire shows (re-login, redirects, event-driven task waits).
"""
from __future__ import annotations

import time

import pytest
from harness import run_playbook
from xapisim.process import start_simulator

from ansible_collections.xen.xapi.plugins.module_utils._xapi import query
from ansible_collections.xen.xapi.plugins.module_utils._xapi.client import ConnectionParams, XapiClient
from ansible_collections.xen.xapi.plugins.module_utils._xapi.errors import XapiConnectionError, XapiTimeoutError
from ansible_collections.xen.xapi.plugins.module_utils._xapi.tasks import run_async


def client_for(sim, **overrides) -> XapiClient:
    params = dict(hostname=sim.url, username=sim.info["username"], password=sim.info["password"], ca_path=sim.ca_cert)
    params.update(overrides)
    return XapiClient(ConnectionParams(**params))


def live_sessions(sim) -> int:
    return sim.control_get("stats")["live_sessions"]


def test_every_module_run_logs_out_also_after_failures(sim) -> None:
    before = live_sessions(sim)
    run_playbook(sim, "connection_sessions.yml")
    assert live_sessions(sim) == before


def test_session_invalid_logs_in_again_once(sim) -> None:
    with client_for(sim) as client:
        first = client.session_ref
        sim.control_post("faults", {"evict_sessions": True})
        assert client.call("pool.get_all")  # would fail with SESSION_INVALID without the re-login
        assert client.session_ref != first
        assert live_sessions(sim) >= 1
    stats = sim.control_get("stats")
    assert stats["sessions_by_originator"].get(next(iter(stats["sessions_by_originator"]), ""), 0) >= 0


def test_member_redirects_to_master_and_fallback_hosts(sim) -> None:
    hosts = sim.info["hosts"]
    with client_for(sim, hostname=hosts["host2"]) as client:
        assert client.call("pool.get_all")
        assert client.base_url == hosts["host1"]
    # The master fails and host2 takes over; host3 answers HOST_IS_SLAVE naming host2.
    sim.control_post("faults", {"master": "host2", "down_hosts": ["host1"]})
    try:
        with client_for(sim, hostname=hosts["host1"], fallback_hosts=[hosts["host3"], hosts["host2"]]) as client:
            assert client.call("pool.get_all")
            assert client.base_url == hosts["host2"]
        run_playbook(sim, "connection_fallback.yml")
        with pytest.raises(XapiConnectionError):
            with client_for(sim, hostname=hosts["host1"]):
                pass
    finally:
        sim.control_post("faults", {"clear": True, "master": "host1", "up_hosts": ["host1"]})


def test_tls_is_verified_by_default(sim) -> None:
    with pytest.raises(XapiConnectionError) as refused:
        with client_for(sim, ca_path=None):
            pass
    assert "certificate" in str(refused.value).lower()
    run_playbook(sim, "connection_tls.yml")


def test_password_never_appears_in_output(sim) -> None:
    result = run_playbook(sim, "connection_secrets.yml", "-vvvv", XAPI_PASSWORD="")
    output = result.stdout + result.stderr
    assert sim.info["password"] not in output
    assert "Wr0ng-s3cret-value" not in output
    assert "SESSION_AUTHENTICATION_FAILED" in output  # the failure itself is reported


def test_task_wait_is_event_driven_and_prompt(sim) -> None:
    sim.control_post("durations", {"VM.clone": 1.0})
    with client_for(sim) as client:
        template = client.call("VM.get_by_name_label", "Debian Bookworm 12")[0]
        sim.control_post("reset_stats")
        started = time.monotonic()
        clone = run_async(client, "VM.clone", template, "event-driven clone")
        elapsed = time.monotonic() - started
        assert clone.startswith("OpaqueRef:")
    calls = sim.control_get("stats")["calls"]
    # It did wait for the task; how soon it noticed the end is measured by tests/bench/bench_xen_vm.py, not here.
    assert elapsed >= 1.0, elapsed
    # A poller would call task.get_record many times in a second; waiting on events takes a few calls.
    assert calls.get("event.from", 0) <= 6, calls
    assert "task.get_record" not in calls and "task.get_status" not in calls
    assert calls.get("task.destroy") == 1


def test_task_timeout_cancels_the_task(sim) -> None:
    sim.control_post("durations", {"VM.clone": 5.0})
    try:
        with client_for(sim) as client:
            template = client.call("VM.get_by_name_label", "Debian Bookworm 12")[0]
            sim.control_post("reset_stats")
            with pytest.raises(XapiTimeoutError) as timed_out:
                run_async(client, "VM.clone", template, "never finished", timeout=0.5)
            assert "cancel" in str(timed_out.value)
            assert client.call("VM.get_by_name_label", "never finished") == []
        calls = sim.control_get("stats")["calls"]
        assert calls.get("task.cancel") == 1 and calls.get("task.destroy") == 1
    finally:
        sim.control_post("durations", {"VM.clone": 0.05})


def test_plain_http_works_with_a_warning() -> None:
    pool = start_simulator("--http")
    try:
        result = run_playbook(pool, "connection_http.yml")
        assert "plain HTTP" in result.stdout + result.stderr
    finally:
        pool.stop()


def test_a_snapshot_reads_the_same_records_in_one_event_from_or_one_call_per_class(sim) -> None:
    with client_for(sim) as client:
        web01 = client.call("VM.get_by_name_label", "web01")[0]
        record = client.call("VM.get_record", web01)
        objects = {"VBD": record["VBDs"], "VIF": record["VIFs"], "VM": [web01, "OpaqueRef:NULL"]}

        def snapshot_and_calls(quickest_answer):
            sim.control_post("reset_stats")
            client.quickest_answer = quickest_answer  # as measured on a quick network, or nothing measured yet
            found = query.snapshot(client, ("host", "SR"), objects)
            return found, sim.control_get("stats")["calls"]
        per_class, per_class_calls = snapshot_and_calls(0.001)
        one_call, one_call_calls = snapshot_and_calls(None)
        assert per_class == one_call
        assert sorted(per_class["VM"]) == [web01] and sorted(per_class["VBD"]) == sorted(record["VBDs"])
        assert len(per_class["host"]) == 3 and per_class["VIF"]
        assert per_class_calls == {"host.get_all_records": 1, "SR.get_all_records": 1, "VBD.get_all_records_where": 1,
                                   "VIF.get_all_records_where": 1, "VM.get_all_records_where": 1}, per_class_calls
        assert one_call_calls == {"event.from": 1}, one_call_calls
        # One class is always one plain call; a class read whole takes in the single objects named of it.
        sim.control_post("reset_stats")
        client.quickest_answer = None
        assert query.snapshot(client, objects={"VM": [web01]}) == {"VM": {web01: per_class["VM"][web01]}}
        every_vm = query.snapshot(client, ("VM",), {"VM": [web01]})["VM"]
        assert web01 in every_vm and len(every_vm) == len(client.call("VM.get_all"))
        # Nothing to read, nothing called.
        assert query.snapshot(client, objects={"VBD": [], "VIF": ["OpaqueRef:NULL"]}) == {"VBD": {}, "VIF": {}}
        assert sim.control_get("stats")["calls"] == {"VM.get_all_records_where": 1, "VM.get_all_records": 1, "VM.get_all": 1}
