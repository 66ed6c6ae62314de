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
from ansible_collections.xen.xapi.plugins.module_utils._xapi.client import XapiClient
from ansible_collections.xen.xapi.plugins.module_utils._xapi.urls import ConnectionParams
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


def test_finished_tasks_go_with_the_logout_in_one_round_trip(sim) -> None:
    with client_for(sim) as client:
        template = client.call("VM.get_by_name_label", "Debian Bookworm 12")[0]
        clones = [run_async(client, "VM.clone", template, "logout-tasks-{0}".format(index)) for index in range(2)]
        finished = client.call("session.get_tasks", client.session_ref)
        assert len(finished) == 2  # kept until the logout
        sim.control_post("reset_stats")
    stats = sim.control_get("stats")
    assert stats["calls"] == {"task.destroy": 2, "session.logout": 1} and stats["round_trips"] == 1, stats
    with client_for(sim) as client:
        assert not set(finished) & set(client.call("task.get_all"))
        for clone in clones:
            client.call("VM.destroy", clone)


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


def _read_one_by_one(client, classes, objects):
    """What query.snapshot should return, read with one plain call after another."""
    expected = {}
    for cls in classes:
        expected[cls] = client.call(cls + ".get_all_records")
    for cls, refs in objects.items():
        expected.setdefault(cls, {}).update((ref, client.call(cls + ".get_record", ref)) for ref in refs if ref != "OpaqueRef:NULL")
    return dict((cls, dict((ref, client.normalize(cls, record)) for ref, record in records.items())) for cls, records in expected.items())


@pytest.mark.parametrize("protocol", ["jsonrpc", "xmlrpc"])
def test_a_snapshot_reads_one_class_per_call_all_sent_in_one_round_trip(sim, protocol) -> None:
    with client_for(sim, protocol=protocol) as client:
        web01 = client.call("VM.get_by_name_label", "web01")[0]
        record = client.call("VM.get_record", web01)
        objects = {"VBD": record["VBDs"], "VIF": record["VIFs"], "VM": [web01, "OpaqueRef:NULL"]}
        expected = _read_one_by_one(client, ("host", "SR"), objects)
        sim.control_post("reset_stats")
        found = query.snapshot(client, ("host", "SR"), objects)
        stats = sim.control_get("stats")
        assert found == expected
        assert sorted(found["VM"]) == [web01] and len(found["host"]) == 3 and found["VIF"]
        assert stats["calls"] == {"host.get_all_records": 1, "SR.get_all_records": 1, "VBD.get_all_records_where": 1,
                                  "VIF.get_all_records_where": 1, "VM.get_all_records_where": 1}, stats
        # Sent together: the simulator saw the first request make the trip and the other four pipelined behind it.
        assert stats["round_trips"] == 1, stats
        # The connection stays usable for plain calls afterwards.
        assert client.call("VM.get_uuid", web01) == record["uuid"]
        # A class read whole takes in the single objects named of it; nothing to read, nothing called.
        every_vm = query.snapshot(client, ("VM",), {"VM": [web01]})["VM"]
        assert web01 in every_vm and len(every_vm) == len(client.call("VM.get_all"))
        sim.control_post("reset_stats")
        assert query.snapshot(client, objects={"VBD": [], "VIF": ["OpaqueRef:NULL"]}) == {"VBD": {}, "VIF": {}}
        assert sim.control_get("stats")["total_calls"] == 0


@pytest.mark.parametrize("fault, served", [
    # The connection drops after the second answer: the calls behind it never reached the pool.
    ({"lose_replies": {"methods": ["SR.get_all_records"], "max": 1}}, {"host": 1, "SR": 2, "network": 1, "pool": 1}),
    # It drops before the first answer, which is not served either.
    ({"reset_connections": {"fraction": 1.0, "max": 1}}, {"host": 1, "SR": 1, "network": 1, "pool": 1}),
    # Every answer is SESSION_INVALID: one login, then each call once more.
    ({"evict_sessions": True}, {"host": 2, "SR": 2, "network": 2, "pool": 2}),
])
def test_a_snapshot_whose_pipeline_breaks_reads_the_rest_again_one_by_one(sim, fault, served) -> None:
    classes = ("host", "SR", "network", "pool")
    with client_for(sim) as client:
        expected = _read_one_by_one(client, classes, {})
        sim.control_post("reset_stats")
        try:
            sim.control_post("faults", fault)
            found = query.snapshot(client, classes)
        finally:
            sim.control_post("faults", {"clear": True})
        assert found == expected
        calls = sim.control_get("stats")["calls"]
        assert dict((cls, calls.get(cls + ".get_all_records", 0)) for cls in classes) == served, calls
        assert calls.get("session.login_with_password", 0) == (1 if "evict_sessions" in fault else 0), calls
