"""The Event-Driven Ansible source xen.xapi.xapi_events, run as ansible-rulebook runs it (``main(queue, args)``)
against the simulator: power changes, tag and field filters, the initial snapshot, a master switch and session
eviction mid-stream, dropped connections and lost answers (every change told exactly once), a refused token
(resync), and a cancel that leaves no session behind."""
from __future__ import annotations

import asyncio
import http.client
import typing as t

import pytest
from harness import xenapi
from xapisim.process import SimProcess

from ansible_collections.xen.xapi.extensions.eda.plugins.event_source.xapi_events import main

ORIGINATOR = "xen.xapi/"
Action = t.Callable[[t.Any], None]


def args_for(sim: SimProcess, **extra: t.Any) -> dict[str, t.Any]:
    return dict({"hostname": sim.url, "username": sim.info["username"], "password": sim.info["password"],
                 "ca_path": sim.ca_cert, "poll_timeout": 2}, **extra)


def our_sessions(sim: SimProcess) -> int:
    by_originator = sim.control_get("stats")["sessions_by_originator"]
    return sum(count for originator, count in by_originator.items() if originator.startswith(ORIGINATOR))


def stream(sim: SimProcess, args: dict[str, t.Any], steps: t.Sequence[tuple[Action, int]], settle: float = 1.0) -> list[dict[str, t.Any]]:
    """Run the source; for each step, do its action then wait for that many events; then make sure no more come."""
    async def scenario() -> list[dict[str, t.Any]]:
        queue: asyncio.Queue = asyncio.Queue()
        source = asyncio.create_task(main(queue, args))
        received: list[dict[str, t.Any]] = []
        try:
            await asyncio.sleep(0.5)  # the source reads the pool before the first action
            for action, count in steps:
                await asyncio.to_thread(_with_api, sim, action)
                for _event in range(count):
                    received.append((await asyncio.wait_for(queue.get(), timeout=60))["xapi"])
            await asyncio.sleep(settle)
            while not queue.empty():
                received.append(queue.get_nowait()["xapi"])
        finally:
            source.cancel()
            with pytest.raises(asyncio.CancelledError):
                await source
        return received
    return asyncio.run(scenario())


def _with_api(sim: SimProcess, action: Action) -> None:
    # Injected resets hit the test's own connections too; a reset request was never served, so it is sent again.
    for attempt in range(8):
        try:
            with xenapi(sim, "test_eda_source") as api:
                action(api)
            return
        except (OSError, http.client.HTTPException):
            if attempt == 7:
                raise


def vm(api: t.Any, name: str) -> str:
    return api.VM.get_by_name_label(name)[0]


def test_power_changes_with_the_changed_fields(sim_factory) -> None:
    sim = sim_factory()
    events = stream(sim, args_for(sim, classes=["VM"], filters={"fields": ["power_state"]}), [
        (lambda api: api.VM.hard_shutdown(vm(api, "web01")), 1),
        (lambda api: api.VM.start(vm(api, "web01"), False, False), 1),
    ])
    assert [(e["class"], e["operation"], e["name"], e["changes"]["power_state"]) for e in events] == [
        ("VM", "mod", "web01", {"old": "Running", "new": "Halted"}),
        ("VM", "mod", "web01", {"old": "Halted", "new": "Running"}),
    ]
    assert events[1]["record"]["power_state"] == "Running" and events[1]["uuid"] == events[1]["record"]["uuid"]


def test_tag_filter_and_initial_snapshot(sim_factory) -> None:
    sim = sim_factory()
    with xenapi(sim) as api:
        guests = [rec["name_label"] for rec in api.VM.get_all_records().values()
                  if not (rec["is_a_template"] or rec["is_control_domain"] or rec["is_a_snapshot"])]
    events = stream(sim, args_for(sim, classes=["VM"], initial_snapshot=True, filters={"tags": ["auto-restart"]}), [
        (lambda api: None, 0),
        (lambda api: api.VM.add_tags(vm(api, "web02"), "auto-restart"), 1),
        (lambda api: api.VM.hard_shutdown(vm(api, "web01")), 0),
        (lambda api: api.VM.hard_shutdown(vm(api, "web02")), 1),
    ])
    # No VM had the tag at start: the snapshot is empty under that filter. The shutdown changes web02 more than
    # once (xapi shows it in current_operations while it runs), and only once its power state.
    assert {(e["operation"], e["name"]) for e in events} == {("mod", "web02")}
    assert events[0]["changes"]["tags"] == {"old": ["web", "production"], "new": ["web", "production", "auto-restart"]}
    assert [e["changes"]["power_state"] for e in events[1:] if "power_state" in e["changes"]] == [{"old": "Running", "new": "Halted"}]
    unfiltered = stream(sim, args_for(sim, classes=["VM"], initial_snapshot=True), [(lambda api: None, len(guests))])
    assert sorted(e["name"] for e in unfiltered) == sorted(guests) and {e["operation"] for e in unfiltered} == {"snapshot"}


def test_master_switch_and_session_eviction_mid_stream(sim_factory) -> None:
    sim = sim_factory()
    baseline = our_sessions(sim)

    def switch_master(_api: t.Any) -> None:
        sim.control_post("faults", {"master": "host2"})
        with xenapi(sim, "test_eda_source") as api:
            api.VM.add_tags(vm(api, "web01"), "after-switch")

    events = stream(sim, args_for(sim, classes=["VM"], filters={"fields": ["tags"]},
                                  fallback_hosts=[sim.info["hosts"]["host2"], sim.info["hosts"]["host3"]]), [
        (lambda api: api.VM.add_tags(vm(api, "web01"), "before"), 1),
        (switch_master, 1),
        (lambda api: sim.control_post("faults", {"evict_sessions": True}), 0),
        (lambda api: api.VM.add_tags(vm(api, "web01"), "after-eviction"), 1),
    ])
    assert [e["changes"]["tags"]["new"][-1] for e in events] == ["before", "after-switch", "after-eviction"]
    assert our_sessions(sim) == baseline, "cancelled, the source logged out"


def test_dropped_connections_and_lost_answers_lose_and_repeat_nothing(sim_factory) -> None:
    sim = sim_factory()
    sim.control_post("faults", {"reset_connections": {"fraction": 0.3, "max": 12},
                                "lose_replies": {"fraction": 0.3, "max": 8, "methods": ["event.from"]}})
    steps = [(lambda api, n=n: api.VM.set_name_description(vm(api, "db01"), f"change {n}"), 1) for n in range(15)]
    events = stream(sim, args_for(sim, classes=["VM"], filters={"fields": ["name_description"]}), steps)
    fired = sim.control_get("stats")["faults_fired"]
    sim.control_post("faults", {"clear": True})
    assert fired.get("reset", 0) + fired.get("lost_reply", 0) >= 5, fired
    assert [e["changes"]["name_description"]["new"] for e in events] == [f"change {n}" for n in range(15)]


def test_a_refused_token_resyncs_without_losing_changes(sim_factory) -> None:
    sim = sim_factory()

    def change_lost_then_token_refused(api: t.Any) -> None:
        # The answer that carries the change is lost, and XAPI then refuses the token: only a fresh read can tell.
        sim.control_post("faults", {"lose_replies": {"fraction": 1.0, "max": 1, "methods": ["event.from"]},
                                    "fail": {"method": "event.from", "error": ["EVENTS_LOST"], "times": 1}})
        api.VM.set_name_description(vm(api, "web02"), "changed while the token was refused")

    events = stream(sim, args_for(sim, classes=["VM"], filters={"fields": ["name_description"]}), [(change_lost_then_token_refused, 2)])
    assert sim.control_get("stats")["faults_fired"].get("lost_reply") == 1
    assert events[0]["operation"] == "resync" and events[0]["reason"] == "EVENTS_LOST"
    assert events[1]["name"] == "web02" and events[1]["changes"]["name_description"]["new"] == "changed while the token was refused"
    assert len(events) == 2


def test_connection_arguments_come_from_the_environment_as_for_the_modules(monkeypatch) -> None:
    from ansible_collections.xen.xapi.extensions.eda.plugins.event_source.xapi_events import connection_params

    monkeypatch.setenv("XAPI_HOST", "https://pool.example.com")
    monkeypatch.setenv("XAPI_PASSWORD", "from-env")
    monkeypatch.setenv("XAPI_VALIDATE_CERTS", "false")
    params = connection_params({"username": "admin"})
    assert (params.hostname, params.username, params.password, params.validate_certs) == ("https://pool.example.com", "admin", "from-env", False)
    assert connection_params({"hostname": "other", "password": "given"}).hostname == "other"
    monkeypatch.delenv("XAPI_HOST")
    monkeypatch.delenv("XENSERVER_HOST", raising=False)
    with pytest.raises(ValueError, match="hostname"):
        connection_params({})


def test_alerts_arrive_as_message_events(sim_factory) -> None:
    sim = sim_factory()

    def raise_alert(api: t.Any) -> None:
        host = api.host.get_by_name_label("host2")[0]
        api.message.create("HOST_CLOCK_SKEW_DETECTED", 3, "Host", api.host.get_uuid(host), "The clock of host2 is off.")

    events = stream(sim, args_for(sim, classes=["message"]), [(raise_alert, 1)])
    assert [(e["class"], e["operation"], e["name"]) for e in events] == [("message", "add", "HOST_CLOCK_SKEW_DETECTED")]
    assert events[0]["record"]["body"] == "The clock of host2 is off." and events[0]["changes"] == {}
