"""The connection layer when hosts hang, TLS is wrong, answers are lost or connections drop, over real HTTPS.

Each test injects its faults through the simulator's control API and lifts them afterwards. Times are
bounds on what a user waits (a dead host costs about one timeout), never a dependency on the simulator
being quick.
"""
from __future__ import annotations

import time
from typing import Iterator

import pytest
from harness import run_playbook
from xapisim.process import SimProcess

from ansible_collections.xen.xapi.plugins.module_utils._xapi import query
from ansible_collections.xen.xapi.plugins.module_utils._xapi.client import ORIGINATOR, XapiClient
from ansible_collections.xen.xapi.plugins.module_utils._xapi.urls import ConnectionParams
from ansible_collections.xen.xapi.plugins.module_utils._xapi.errors import XapiConnectionError, XapiTimeoutError, XapiTlsError
from ansible_collections.xen.xapi.plugins.module_utils._xapi.tasks import run_async, run_state_change

TEMPLATE = "Debian Bookworm 12"


def client_for(sim: SimProcess, **overrides) -> XapiClient:
    params = dict(hostname=sim.url, username=sim.info["username"], password=sim.info["password"], ca_path=sim.ca_cert)
    params.update(overrides)
    return XapiClient(ConnectionParams(**params))


def our_sessions(sim: SimProcess) -> int:
    return sim.control_get("stats")["sessions_by_originator"].get(ORIGINATOR, 0)


@pytest.fixture(autouse=True)
def lift_faults(sim: SimProcess) -> Iterator[None]:
    yield
    sim.control_post("faults", {"clear": True, "master": "host1", "up_hosts": ["host1", "host2", "host3"]})


def vms_named(client: XapiClient, name: str) -> list[str]:
    return client.call("VM.get_by_name_label", name)


# ---- time per host ------------------------------------------------------------


def test_a_hung_master_costs_about_one_timeout(sim: SimProcess) -> None:
    hosts = sim.info["hosts"]
    sim.control_post("faults", {"master": "host2", "hung_hosts": ["host1"]})
    began = time.monotonic()
    # host3 answers HOST_IS_SLAVE naming host2, which answers; host1 is given one timeout and never asked again.
    with client_for(sim, hostname=hosts["host1"], fallback_hosts=[hosts["host3"], hosts["host2"]], timeout=2) as client:
        assert client.call("pool.get_all")
        assert client.base_url == hosts["host2"]
    assert time.monotonic() - began < 2 * 2
    assert our_sessions(sim) == 0


def test_reads_sent_together_to_a_master_that_hangs_wait_for_it_once(sim: SimProcess) -> None:
    hosts = sim.info["hosts"]
    with client_for(sim, hostname=hosts["host1"], fallback_hosts=[hosts["host2"]], timeout=2) as client:
        # The master hangs mid-run and host2 takes over: the pipelined reads wait one timeout, then go to host2.
        sim.control_post("faults", {"hung_hosts": ["host1"], "master": "host2"})
        began = time.monotonic()
        found = query.snapshot(client, ("host", "SR", "pool"))
        assert time.monotonic() - began < 2 * 2
        assert client.base_url == hosts["host2"]
        assert len(found["host"]) == 3 and len(found["pool"]) == 1 and found["SR"]
    with client_for(sim, hostname=hosts["host2"], timeout=1) as client:
        # With nowhere else to go, the timeout is reported after one wait, not after each read is tried again.
        sim.control_post("faults", {"hung_hosts": ["host2"]})
        began = time.monotonic()
        with pytest.raises(XapiConnectionError, match="no answer within 1 seconds"):
            query.snapshot(client, ("host", "SR", "pool"))
        assert time.monotonic() - began < 2 * 1
        sim.control_post("faults", {"up_hosts": ["host2"]})


def test_when_no_host_answers_each_is_asked_once(sim: SimProcess) -> None:
    hosts = sim.info["hosts"]
    sim.control_post("faults", {"hung_hosts": ["host1", "host2", "host3"]})
    began = time.monotonic()
    with pytest.raises(XapiConnectionError, match="no host of the pool answered") as caught:
        with client_for(sim, hostname=hosts["host1"], fallback_hosts=[hosts["host2"], hosts["host3"]], timeout=1):
            pass
    # One timeout per host (3 s), not rounds x hosts x timeout.
    assert time.monotonic() - began < 3 * 1 + 1.5
    assert "no answer within 1 seconds" in str(caught.value)


# ---- TLS ----------------------------------------------------------------------------


def test_tls_failures_are_reported_at_once_and_never_retried(sim: SimProcess) -> None:
    hosts = sim.info["hosts"]
    began = time.monotonic()
    with pytest.raises(XapiTlsError, match="certificate verification failed"):
        with client_for(sim, ca_path=None, fallback_hosts=[hosts["host2"], hosts["host3"]]):
            pass
    assert time.monotonic() - began < 1.0
    with pytest.raises(XapiTlsError, match="cannot load CA certificates from /nonexistent/ca.pem"):
        with client_for(sim, ca_path="/nonexistent/ca.pem"):
            pass


# ---- lost answers and dropped connections ---------------------------------------------


def test_an_async_call_whose_answer_is_lost_is_taken_up_not_sent_again(sim: SimProcess) -> None:
    sim.control_post("reset_stats")
    sim.control_post("faults", {"lose_replies": {"fraction": 1.0, "max": 1, "methods": ["Async.VM.clone"]}})
    with client_for(sim) as client:
        template = client.call("VM.get_by_name_label", TEMPLATE)[0]
        clone = run_async(client, "VM.clone", template, "lost-answer clone")
        assert vms_named(client, "lost-answer clone") == [clone]
        # One task: the clone was taken up, not sent again. Its record goes with the logout.
        tasks = client.call("session.get_tasks", client.session_ref)
        assert len(tasks) == 1
    calls = sim.control_get("stats")["calls"]
    assert calls["session.get_tasks"] >= 1 and calls["Async.VM.clone"] == 1
    with client_for(sim) as client:
        assert tasks[0] not in client.call("task.get_all")


def test_a_wait_broken_off_is_resumed_by_the_next_start_of_the_same_operation(sim: SimProcess) -> None:
    with client_for(sim) as client:
        template = client.call("VM.get_by_name_label", TEMPLATE)[0]
        sim.control_post("durations", {"VM.clone": 0.5})
        # Every answer to event.from is lost for a while: the wait for the clone gives up.
        sim.control_post("faults", {"lose_replies": {"fraction": 1.0, "max": 4, "methods": ["event.from"]}})
        with pytest.raises(XapiConnectionError):
            run_async(client, "VM.clone", template, "resumed clone")
        sim.control_post("faults", {"clear": True})
        # The same operation, started again in the same run, waits on the first task instead.
        clone = run_async(client, "VM.clone", template, "resumed clone")
        assert vms_named(client, "resumed clone") == [clone]
    sim.control_post("durations", {"VM.clone": 0.05})


def a_halted_vm(client: XapiClient) -> str:
    vm = vms_named(client, "build01")[0]
    if client.call("VM.get_power_state", vm) != "Halted":
        client.call("VM.hard_shutdown", vm)
    return vm


def test_a_state_change_answered_late_is_followed_on_its_task(sim: SimProcess) -> None:
    # The start outlasts the connection timeout: its task is found and waited on, the call is not sent again,
    # and the master is not taken for silent.
    sim.control_post("durations", {"VM.start": 2.5})
    sim.control_post("reset_stats", {})
    try:
        with client_for(sim, timeout=1) as client:
            vm = a_halted_vm(client)
            run_state_change(client, "VM.start", vm, False, False, timeout=30)
            assert client.call("VM.get_power_state", vm) == "Running"
            assert client.call("session.get_tasks", client.session_ref) == []
            run_state_change(client, "VM.hard_shutdown", vm, timeout=30)
        calls = sim.control_get("stats")["calls"]
        assert calls["VM.start"] == 1 and calls["session.get_tasks"] >= 1
    finally:
        sim.control_post("durations", {"VM.start": 0.05})


def test_a_state_change_past_its_timeout_is_cancelled(sim: SimProcess) -> None:
    sim.control_post("durations", {"VM.start": 3.0})
    try:
        with client_for(sim) as client:
            vm = a_halted_vm(client)
            began = time.monotonic()
            with pytest.raises(XapiTimeoutError, match="VM.start did not finish within 0.5 seconds; its task was asked to cancel and was "
                                                       "cancelled"):
                run_state_change(client, "VM.start", vm, False, False, timeout=0.5)
            assert time.monotonic() - began < 2.5
            assert client.call("VM.get_power_state", vm) == "Halted"
    finally:
        sim.control_post("durations", {"VM.start": 0.05})


def test_a_state_change_whose_answer_is_lost_is_left_to_the_next_read(sim: SimProcess) -> None:
    sim.control_post("faults", {"lose_replies": {"fraction": 1.0, "max": 1, "methods": ["VM.start"]}})
    sim.control_post("reset_stats", {})
    with client_for(sim) as client:
        vm = a_halted_vm(client)
        with pytest.raises(XapiConnectionError) as caught:
            run_state_change(client, "VM.start", vm, False, False, timeout=30)
        assert caught.value.request_sent
        # It ran (the answer alone was lost): the read the engine makes next finds the VM running.
        assert client.call("VM.get_power_state", vm) == "Running"
        client.call("VM.hard_shutdown", vm)
    assert sim.control_get("stats")["calls"]["VM.start"] == 1


def test_logout_is_attempted_again_on_a_fresh_connection(sim: SimProcess) -> None:
    client = client_for(sim)
    client.login()
    assert our_sessions(sim) == 1
    sim.control_post("faults", {"reset_connections": {"fraction": 1.0, "max": 2}})
    client.logout()
    assert our_sessions(sim) == 0


def test_reads_survive_dropped_connections_and_writes_are_not_resent(sim: SimProcess) -> None:
    with client_for(sim) as client:
        sim.control_post("faults", {"reset_connections": {"fraction": 1.0, "max": 2}})
        assert client.call("pool.get_all")
        vm = client.call("VM.get_by_name_label", "build01")[0]
        sim.control_post("faults", {"reset_connections": {"fraction": 1.0, "max": 1}})
        with pytest.raises(XapiConnectionError) as caught:
            client.call("VM.set_name_description", vm, "lost write")
        assert caught.value.request_sent and caught.value.method == "VM.set_name_description"


def test_plain_http_fallback_hosts_warn(sim: SimProcess) -> None:
    result = run_playbook(sim, "connection_plain_fallback.yml")
    assert "http://127.0.0.3" in result.stderr and "plain HTTP" in result.stderr


@pytest.mark.parametrize("ha", [True, False])
def test_a_failed_master_under_ha_is_followed_and_without_ha_explained(sim_factory, ha: bool) -> None:
    sim = sim_factory()
    # The election takes a few seconds here (a minute or two on a real pool); the module waits for it, not on time.
    sim.control_post("durations", {"ha_failover": 3})
    run_playbook(sim, "connection_ha_failover.yml", "-e", f"ha={str(ha).lower()}")


def test_a_creation_resumes_after_a_drop_between_copy_and_provisioning(sim: SimProcess) -> None:
    run_playbook(sim, "connection_resumed_creation.yml")


def test_power_operations_answered_late_or_lost_are_sent_once(sim: SimProcess) -> None:
    run_playbook(sim, "connection_power_answers.yml")
