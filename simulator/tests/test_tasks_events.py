"""Tasks and events through the official XenAPI client.

Tasks: ``Async.*`` calls, their life from pending to success / failure / cancelled, results in
xapi's XML text form, task.destroy, and the cap on finished tasks. Events: ``event.from``
snapshots, blocking, filters, merging, deletions and errors, and the legacy
``register`` / ``next`` / ``unregister`` interface with its EVENTS_LOST overflow.
"""
from __future__ import annotations

import re
import threading
import time
import xmlrpc.client
from typing import TYPE_CHECKING, Any, Callable, Iterator

import pytest
import XenAPI
from xapi_helpers import failure

if TYPE_CHECKING:
    from xapisim.process import SimProcess

BOGUS_REF = "OpaqueRef:00000000-0000-0000-0000-000000000000"
REF_RESULT = re.compile(r"<value>(OpaqueRef:[0-9a-f-]{36})</value>")
FINISHED_TASKS_KEPT = 200
EVENT_QUEUE_LIMIT = 10_000
DEFAULT_DURATION = 0.05


def login(sim: SimProcess, originator: str) -> XenAPI.Session:
    session = XenAPI.Session(sim.url)
    session.xenapi.login_with_password(sim.info["username"], sim.info["password"], "2.21", originator)
    return session


@pytest.fixture(scope="module")
def xapi(sim_http: SimProcess) -> Iterator[XenAPI.Session]:
    session = login(sim_http, "xapisim-tests tasks-events")
    yield session
    session.xenapi.session.logout()


@pytest.fixture
def other(sim_http: SimProcess) -> Iterator[XenAPI.Session]:
    """A second client, for changes that another session's event.from must see."""
    session = login(sim_http, "xapisim-tests other client")
    yield session
    session.xenapi.session.logout()


@pytest.fixture
def durations(sim_http: SimProcess) -> Iterator[Callable[[dict[str, float]], None]]:
    """Set operation durations for one test; they go back to the default after it."""
    changed: set[str] = set()

    def set_durations(seconds: dict[str, float]) -> None:
        changed.update(seconds)
        sim_http.control_post("durations", seconds)

    yield set_durations
    sim_http.control_post("durations", {name: DEFAULT_DURATION for name in changed})


@pytest.fixture
def quick_tasks(durations: Callable[[dict[str, float]], None]) -> None:
    durations({"*": 0})


def event_from(session: XenAPI.Session, classes: list[str], token: str, timeout: float) -> dict[str, Any]:
    return getattr(session.xenapi.event, "from")(classes, token, timeout)


def wait_for_task(xapi: XenAPI.Session, task: str, timeout: float = 10.0) -> dict[str, Any]:
    """Poll as the SDK guide does until the task leaves ``pending``; the final record."""
    deadline = time.monotonic() + timeout
    while xapi.xenapi.task.get_status(task) in ("pending", "cancelling"):
        assert time.monotonic() < deadline, f"task {task} still running after {timeout} s"
        time.sleep(0.01)
    return xapi.xenapi.task.get_record(task)


def vm_named(xapi: XenAPI.Session, name: str) -> str:
    return xapi.xenapi.VM.get_by_name_label(name)[0]


def master(xapi: XenAPI.Session) -> str:
    return xapi.xenapi.pool.get_master(xapi.xenapi.pool.get_all()[0])


# ---- tasks ----------------------------------------------------------------------------------
def test_an_async_call_returns_a_task_that_goes_from_pending_to_success(
    xapi: XenAPI.Session, durations: Callable[[dict[str, float]], None]
) -> None:
    durations({"VM.clone": 0.4})
    source = vm_named(xapi, "build01")
    task = xapi.xenapi.Async.VM.clone(source, "build01 async clone")
    record = xapi.xenapi.task.get_record(task)
    assert (record["status"], record["name_label"], record["result"], record["error_info"]) == (
        "pending", "Async.VM.clone", "", [])
    assert record["allowed_operations"] == ["cancel"]
    assert record["resident_on"] == master(xapi)
    assert 0.0 <= record["progress"] < 1.0
    progress = [record["progress"]]
    while xapi.xenapi.task.get_status(task) == "pending":
        progress.append(xapi.xenapi.task.get_progress(task))
        time.sleep(0.02)
    assert progress == sorted(progress) and len(set(progress)) > 1, "progress moves forward while pending"
    done = xapi.xenapi.task.get_record(task)
    assert (done["status"], done["progress"], done["error_info"]) == ("success", 1.0, [])
    assert isinstance(done["created"], xmlrpc.client.DateTime) and done["created"].value != "19700101T00:00:00Z"
    assert done["finished"].value >= done["created"].value
    match = REF_RESULT.fullmatch(done["result"])
    assert match, done["result"]
    clone = match.group(1)
    assert xapi.xenapi.VM.get_name_label(clone) == "build01 async clone"
    xapi.xenapi.task.destroy(task)
    assert failure(xapi.xenapi.task.get_record, task) == ["HANDLE_INVALID", "task", task]
    xapi.xenapi.VM.destroy(clone)


def test_a_void_async_call_has_an_empty_result(xapi: XenAPI.Session) -> None:
    task = xapi.xenapi.Async.pool.designate_new_master(master(xapi))
    record = wait_for_task(xapi, task)
    assert record["status"] == "success"
    assert record["result"] in ("", "<value></value>")
    xapi.xenapi.task.destroy(task)


def test_a_failed_async_call_records_the_error(xapi: XenAPI.Session) -> None:
    task = xapi.xenapi.Async.pool.designate_new_master(BOGUS_REF)
    record = wait_for_task(xapi, task)
    assert (record["status"], record["progress"], record["result"]) == ("failure", 1.0, "")
    assert record["error_info"] == ["HANDLE_INVALID", "host", BOGUS_REF]
    xapi.xenapi.task.destroy(task)


def test_cancelling_a_slow_task(sim_http: SimProcess, xapi: XenAPI.Session) -> None:
    sim_http.control_post("faults", {"slow_tasks": 2})
    try:
        started = time.monotonic()
        task = xapi.xenapi.Async.session.get_all_subject_identifiers()
        assert xapi.xenapi.task.get_status(task) == "pending"
        xapi.xenapi.task.cancel(task)
        record = wait_for_task(xapi, task)
        assert time.monotonic() - started < 1.5, "cancelling does not wait for the operation"
        assert (record["status"], record["error_info"]) == ("cancelled", ["TASK_CANCELLED", task])
        assert record["finished"].value != "19700101T00:00:00Z"
        xapi.xenapi.task.destroy(task)
    finally:
        sim_http.control_post("faults", {"clear": True})


def test_task_create_and_destroy(xapi: XenAPI.Session) -> None:
    task = xapi.xenapi.task.create("backup run", "made by a client")
    record = xapi.xenapi.task.get_record(task)
    assert (record["name_label"], record["name_description"], record["status"], record["progress"]) == (
        "backup run", "made by a client", "pending", 0.0)
    xapi.xenapi.task.destroy(task)
    assert task not in xapi.xenapi.task.get_all()
    assert failure(xapi.xenapi.task.destroy, task) == ["HANDLE_INVALID", "task", task]


@pytest.mark.usefixtures("quick_tasks")
def test_at_most_200_finished_tasks_are_kept(xapi: XenAPI.Session) -> None:
    tasks = [xapi.xenapi.Async.session.get_all_subject_identifiers() for _unused in range(FINISHED_TASKS_KEPT + 20)]
    deadline = time.monotonic() + 10
    while any(record["status"] == "pending" for ref, record in xapi.xenapi.task.get_all_records().items() if ref in tasks):
        assert time.monotonic() < deadline
        time.sleep(0.05)
    finished = [ref for ref, record in xapi.xenapi.task.get_all_records().items() if record["status"] != "pending"]
    assert len(finished) == FINISHED_TASKS_KEPT
    assert set(tasks[-FINISHED_TASKS_KEPT:]) <= set(finished), "the newest finished tasks stay"
    assert failure(xapi.xenapi.task.get_record, tasks[0]) == ["HANDLE_INVALID", "task", tasks[0]]


# ---- event.from -----------------------------------------------------------------------------
def test_an_empty_token_returns_a_snapshot(xapi: XenAPI.Session) -> None:
    batch = event_from(xapi, ["vm"], "", 0.0)
    assert set(batch) == {"events", "valid_ref_counts", "token"}
    records = xapi.xenapi.VM.get_all_records()
    assert batch["valid_ref_counts"] == {"vm": str(len(records))}  # an int, so a string over XML-RPC
    assert sorted(event["ref"] for event in batch["events"]) == sorted(records)
    for event in batch["events"]:
        assert (event["class"], event["operation"]) == ("vm", "add")
        assert event["snapshot"] == records[event["ref"]]
        assert {"id", "timestamp"} <= set(event)
    everything = event_from(xapi, ["*"], "", 0.0)
    classes = {event["class"] for event in everything["events"]}
    assert {"vm", "host", "sr", "vdi", "pool"} <= classes
    assert "session" not in classes, "sessions never produce events"


def test_event_from_blocks_until_another_session_changes_something(xapi: XenAPI.Session, other: XenAPI.Session) -> None:
    token = event_from(xapi, ["vm"], "", 0.0)["token"]
    answers: list[tuple[float, dict[str, Any]]] = []
    started = time.monotonic()
    watcher = threading.Thread(target=lambda: answers.append((time.monotonic(), event_from(xapi, ["vm"], token, 5.0))))
    watcher.start()
    time.sleep(0.3)
    assert watcher.is_alive(), "nothing changed yet, so event.from is still waiting"
    vm = vm_named(other, "web02")
    changed_at = time.monotonic()
    other.xenapi.VM.set_name_description(vm, "seen by the watcher")
    watcher.join(5.0)
    returned_at, batch = answers[0]
    assert returned_at - changed_at < 0.5 and returned_at - started < 2.0
    assert [(e["ref"], e["operation"], e["snapshot"]["name_description"]) for e in batch["events"]] == [
        (vm, "mod", "seen by the watcher")]
    assert batch["token"] > token


def test_event_from_returns_empty_after_the_timeout(xapi: XenAPI.Session) -> None:
    token = event_from(xapi, ["vm"], "", 0.0)["token"]
    started = time.monotonic()
    batch = event_from(xapi, ["vm"], token, 1.0)
    assert 0.9 <= time.monotonic() - started < 2.0
    assert batch["events"] == []
    event_from(xapi, ["vm"], batch["token"], 0.0)  # the new token is usable


def test_a_token_is_the_latest_change_the_answer_reports(xapi: XenAPI.Session, other: XenAPI.Session) -> None:
    # xapi_event.ml collect_events: the latest generation among the changes the subscription matched, or the token
    # the call was given when none did; not the pool's latest change.
    web02, db01 = vm_named(xapi, "web02"), vm_named(xapi, "db01")
    token = event_from(xapi, [f"vm/{web02}"], "", 0.0)["token"]
    other.xenapi.VM.set_name_description(db01, "not watched")
    quiet = event_from(xapi, [f"vm/{web02}"], token, 0.0)
    assert quiet["events"] == [] and quiet["token"] == token
    assert event_from(xapi, [f"vm/{web02}"], "", 0.0)["token"] == token
    # An object that does not exist matches nothing: the empty token's own generation, zero.
    nothing = event_from(xapi, ["task/OpaqueRef:NULL"], "", 0.0)
    assert nothing["events"] == [] and int(nothing["token"].split(",")[0]) == 0
    # Any subscription may start from a token: this one sees the change made after it.
    batch = event_from(xapi, ["vm"], token, 0.0)
    assert db01 in {event["ref"] for event in batch["events"]} and batch["token"] > token
    other.xenapi.VM.set_name_description(db01, "")


def test_a_task_subscription_sees_only_that_task(xapi: XenAPI.Session) -> None:
    watched, ignored = (xapi.xenapi.task.create(name, "") for name in ("watched", "ignored"))
    snapshot = event_from(xapi, [f"task/{watched}"], "", 0.0)
    assert [event["ref"] for event in snapshot["events"]] == [watched]
    xapi.xenapi.task.set_progress(ignored, 0.5)
    xapi.xenapi.task.set_progress(watched, 0.5)
    batch = event_from(xapi, [f"task/{watched}"], snapshot["token"], 0.0)
    assert [(e["ref"], e["snapshot"]["progress"]) for e in batch["events"]] == [(watched, 0.5)]
    for task in (watched, ignored):
        xapi.xenapi.task.destroy(task)


def test_several_changes_to_one_object_merge_into_one_event(xapi: XenAPI.Session, other: XenAPI.Session) -> None:
    vm = vm_named(xapi, "db01")
    token = event_from(xapi, ["vm"], "", 0.0)["token"]
    other.xenapi.VM.set_name_description(vm, "first")
    other.xenapi.VM.set_user_version(vm, "9")
    other.xenapi.VM.set_name_description(vm, "last")
    events = event_from(xapi, ["vm"], token, 0.0)["events"]
    assert len(events) == 1
    assert (events[0]["ref"], events[0]["operation"]) == (vm, "mod")
    assert (events[0]["snapshot"]["name_description"], events[0]["snapshot"]["user_version"]) == ("last", "9")


def test_add_and_del_events(xapi: XenAPI.Session, other: XenAPI.Session) -> None:
    token = event_from(xapi, ["vm_group"], "", 0.0)["token"]
    group = other.xenapi.VM_group.create({"name_label": "event test"})
    batch = event_from(xapi, ["vm_group"], token, 0.0)
    assert [(e["ref"], e["operation"], e["snapshot"]["name_label"]) for e in batch["events"]] == [(group, "add", "event test")]
    other.xenapi.VM_group.destroy(group)
    deleted = event_from(xapi, ["vm_group"], batch["token"], 0.0)["events"]
    assert [(e["ref"], e["operation"]) for e in deleted] == [(group, "del")]
    assert "snapshot" not in deleted[0], "a deleted object has no snapshot"


def test_tasks_show_up_in_the_event_stream(xapi: XenAPI.Session) -> None:
    token = event_from(xapi, ["task"], "", 0.0)["token"]
    task = xapi.xenapi.Async.session.get_all_subject_identifiers()
    seen: dict[str, Any] = {}
    deadline = time.monotonic() + 5
    while seen.get("status") != "success":
        assert time.monotonic() < deadline
        batch = event_from(xapi, ["task"], token, 1.0)
        token = batch["token"]
        seen.update(next((e["snapshot"] for e in batch["events"] if e["ref"] == task), {}))
    assert seen["name_label"] == "Async.session.get_all_subject_identifiers"
    xapi.xenapi.task.destroy(task)


@pytest.mark.parametrize("token", ["garbage", "12,zz", "-5", "00000000000000000012,"])
def test_a_bad_token_fails_to_parse(xapi: XenAPI.Session, token: str) -> None:
    assert failure(event_from, xapi, ["vm"], token, 0.0) == ["EVENT_FROM_TOKEN_PARSE_FAILURE", token]


@pytest.mark.parametrize("subscription", ["nosuchclass", "nosuchclass/OpaqueRef:x"])
def test_a_bad_subscription_fails_to_parse(xapi: XenAPI.Session, subscription: str) -> None:
    assert failure(event_from, xapi, ["vm", subscription], "", 0.0) == ["EVENT_SUBSCRIPTION_PARSE_FAILURE", subscription]


# ---- legacy event.register / event.next -----------------------------------------------------
def test_event_next_without_register_is_refused(other: XenAPI.Session) -> None:
    assert failure(other.xenapi.event.next) == ["SESSION_NOT_REGISTERED", other.handle]


def test_register_next_and_unregister(xapi: XenAPI.Session, other: XenAPI.Session) -> None:
    """The SDK guide's watch-all-events loop, for one round."""
    other.xenapi.event.register(["*"])
    vm = vm_named(xapi, "web01")
    xapi.xenapi.VM.set_name_description(vm, "watched by a legacy client")
    events = other.xenapi.event.next()
    names = {(e["class"], e["operation"], e.get("snapshot", {}).get("name_label")) for e in events}
    assert ("vm", "mod", "web01") in names
    assert all({"id", "class", "operation", "ref"} <= set(e) for e in events)
    other.xenapi.event.unregister(["*"])
    assert failure(other.xenapi.event.register, ["nosuchclass"]) == ["EVENT_SUBSCRIPTION_PARSE_FAILURE", "nosuchclass"]


@pytest.mark.usefixtures("quick_tasks")
def test_a_client_that_falls_far_behind_gets_events_lost(xapi: XenAPI.Session, other: XenAPI.Session) -> None:
    """More than the queue's 10,000 changes between two event.next calls lose events.

    Quick tasks are the cheapest way to make that many changes: each one adds a task, moves
    its progress, finishes it and, past 200 finished tasks, removes an old one.
    """
    other.xenapi.event.register(["vm"])
    start = int(xapi.xenapi.event.get_current_id())
    while int(xapi.xenapi.event.get_current_id()) - start <= EVENT_QUEUE_LIMIT:
        for _unused in range(100):
            xapi.xenapi.Async.session.get_all_subject_identifiers()
    assert failure(other.xenapi.event.next) == ["EVENTS_LOST"]
    # As the SDK guide says: register again and carry on.
    other.xenapi.event.register(["vm"])
    xapi.xenapi.VM.set_name_description(vm_named(xapi, "web01"), "after the overflow")
    assert any(e["class"] == "vm" for e in other.xenapi.event.next())
