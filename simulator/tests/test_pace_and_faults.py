"""The pool's pace and the faults that make it production-like, through the official XenAPI client.

Pace: the instant default, the realistic profile (operations in real proportions, scaled), sizes that
make copies longer, the guest agent's delay. Faults: answers lost after the call took effect, failures
inside tasks, hung hosts, and the session's own list of tasks that lets a client find a task whose
answer it lost.
"""
from __future__ import annotations

import http.client
import json
import threading
import time
from typing import TYPE_CHECKING, Iterator

import pytest
import XenAPI
from xapi_helpers import failure

from xapisim.pace import GIB, REALISTIC_SECONDS, XAPI_EVENT_BATCHING, Pace

if TYPE_CHECKING:
    from xapisim.process import SimProcess


@pytest.fixture(scope="module")
def xapi(sim_http: SimProcess) -> Iterator[XenAPI.Session]:
    session = XenAPI.Session(sim_http.url)
    session.xenapi.login_with_password(sim_http.info["username"], sim_http.info["password"], "2.21", "pace-tests")
    yield session
    session.xenapi.session.logout()


@pytest.fixture
def clean_faults(sim_http: SimProcess) -> Iterator[None]:
    yield
    sim_http.control_post("faults", {"clear": True})
    sim_http.control_post("pace", {"profile": "instant", "reset_durations": True})


# ---- pace (pure) ------------------------------------------------------------


def test_the_realistic_pace_keeps_real_proportions() -> None:
    pace = Pace()
    assert pace.seconds("VM.start") == pace.seconds("VM.clone") == 0.05
    pace.set_profile("realistic", 0.1)
    start, clone, provision = pace.seconds("VM.start"), pace.seconds("VM.clone"), pace.seconds("VM.provision")
    assert start == pytest.approx(REALISTIC_SECONDS["VM.start"] * 0.1)
    # Starting and provisioning take longest; guest tools come up well after a start; unknown operations take a second, scaled.
    assert start > clone and provision > clone
    assert pace.guest_agent_delay() > start
    assert pace.seconds("VM.get_record") == pytest.approx(0.1)
    # A full copy takes time in proportion to the data it moves.
    small = pace.seconds("VDI.copy", ["vdi"], lambda _method, _args: 1 * GIB)
    large = pace.seconds("VDI.copy", ["vdi"], lambda _method, _args: 20 * GIB)
    assert large > 10 * small
    # Explicit durations win over the profile, and "*" over the profile's defaults.
    pace.explicit.update({"VM.start": 0.2})
    assert pace.seconds("VM.start") == 0.2
    with pytest.raises(ValueError, match="unknown pace"):
        pace.set_profile("glacial")
    with pytest.raises(ValueError, match="scale"):
        pace.set_profile("realistic", 0)


def test_the_pace_is_set_and_read_through_the_control_api(sim_http: SimProcess, clean_faults: None) -> None:
    answer = sim_http.control_post("pace", {"profile": "realistic", "scale": 0.02})
    assert (answer["profile"], answer["scale"]) == ("realistic", 0.02)
    assert sim_http.control_get("pace")["profile"] == "realistic"
    status, error = sim_http.control("POST", "pace", {"profile": "glacial"})
    assert status == 400 and "unknown pace" in error["error"]


def test_event_calls_batch_as_xapi_configures_them_in_the_realistic_pace() -> None:
    pace = Pace()
    assert pace.event_batching("event_from") == pace.event_batching("event_from_task") == (0.0, 0.0)
    pace.set_profile("realistic", 0.01)
    # xapi's defaults, unscaled: a setting of the server, not a duration of the hardware.
    assert pace.event_batching("event_from") == (0.05, 0.05) == XAPI_EVENT_BATCHING["event_from"]
    assert pace.event_batching("event_from_task") == (0.0, 0.05)
    assert pace.event_batching("event_next") == (0.2, 0.05)
    pace.set_event_batching({"event_from": [0, 0.01]})
    assert pace.event_batching("event_from") == (0.0, 0.01)
    pace.set_event_batching({"event_from": None})
    assert pace.event_batching("event_from") == (0.05, 0.05)
    with pytest.raises(ValueError, match="unknown event batching"):
        pace.set_event_batching({"event_to": [0, 0]})
    with pytest.raises(ValueError, match="between 0 and 10"):
        pace.set_event_batching({"event_from": [-1, 0]})


def _timed_event_from(xapi: XenAPI.Session, classes: list[str], token: str = "", timeout: float = 5.0) -> tuple[float, dict]:
    began = time.monotonic()
    answer = getattr(xapi.xenapi.event, "from")(classes, token, timeout)
    return time.monotonic() - began, answer


def test_event_from_waits_before_answering_unless_it_is_only_about_tasks(
        sim_http: SimProcess, xapi: XenAPI.Session, clean_faults: None) -> None:
    sim_http.control_post("pace", {"event_batching": {"event_from": [0.3, 0.05], "event_from_task": [0, 0.05]}})
    vm = xapi.xenapi.VM.get_by_name_label("Debian Bookworm 12")[0]
    task = xapi.xenapi.task.create("batching", "")
    try:
        # Even a snapshot (empty token) of one object waits first; a subscription only to tasks does not.
        slow, snapshot = _timed_event_from(xapi, ["vm/" + vm])
        quick, tasks = _timed_event_from(xapi, ["task/" + task])
        mixed, _answer = _timed_event_from(xapi, ["task/" + task, "vm/" + vm])
        assert [event["ref"] for event in snapshot["events"]] == [vm]
        assert [event["ref"] for event in tasks["events"]] == [task]
        assert slow >= 0.3 and mixed >= 0.3
        assert quick < 0.25
        # The instant pace answers at once.
        sim_http.control_post("pace", {"profile": "instant", "reset_durations": True})
        assert _timed_event_from(xapi, ["vm/" + vm])[0] < 0.25
    finally:
        xapi.xenapi.task.destroy(task)


def test_changes_close_together_come_in_one_answer(sim_http: SimProcess, xapi: XenAPI.Session, clean_faults: None) -> None:
    # Woken by the first change, event.from waits a sixteenth of "between", doubled (0.2 s here), before it reads.
    sim_http.control_post("pace", {"event_batching": {"event_from": [0, 1.6]}})
    first, second = xapi.xenapi.VM.get_all()[:2]
    token = getattr(xapi.xenapi.event, "from")(["vm"], "", 0.0)["token"]
    writer = XenAPI.Session(sim_http.url)
    writer.xenapi.login_with_password(sim_http.info["username"], sim_http.info["password"], "2.21", "pace-tests")

    def two_changes() -> None:
        time.sleep(0.2)
        writer.xenapi.VM.add_to_other_config(first, "batching", "1")
        time.sleep(0.05)
        writer.xenapi.VM.add_to_other_config(second, "batching", "1")
    thread = threading.Thread(target=two_changes)
    thread.start()
    try:
        answer = getattr(xapi.xenapi.event, "from")(["vm"], token, 5.0)
    finally:
        thread.join()
        for vm in (first, second):
            writer.xenapi.VM.remove_from_other_config(vm, "batching")
        writer.xenapi.session.logout()
    assert {event["ref"] for event in answer["events"]} == {first, second}


def test_in_the_realistic_pace_a_start_outlasts_a_clone_and_tools_come_later(
        sim_http: SimProcess, xapi: XenAPI.Session, clean_faults: None) -> None:
    sim_http.control_post("pace", {"profile": "realistic", "scale": 0.05})
    template = xapi.xenapi.VM.get_by_name_label("Debian Bookworm 12")[0]
    began = time.monotonic()
    vm = xapi.xenapi.VM.clone(template, "pace-clone")
    cloned = time.monotonic()
    xapi.xenapi.VM.provision(vm)
    xapi.xenapi.VM.start(vm, False, False)
    started = time.monotonic()
    assert started - cloned > cloned - began
    # Right after the start the guest tools have not reported yet; they do a few seconds later.
    assert xapi.xenapi.VM.get_guest_metrics(vm) == "OpaqueRef:NULL"
    token, deadline = "", time.monotonic() + 10
    while xapi.xenapi.VM.get_guest_metrics(vm) == "OpaqueRef:NULL" and time.monotonic() < deadline:
        token = getattr(xapi.xenapi.event, "from")(["vm/" + vm], token, 5.0)["token"]
    assert xapi.xenapi.VM.get_guest_metrics(vm) != "OpaqueRef:NULL"
    assert time.monotonic() - started >= REALISTIC_SECONDS["guest_agent"] * 0.05 * 0.9
    xapi.xenapi.VM.hard_shutdown(vm)


# ---- faults -----------------------------------------------------------------


def test_a_lost_answer_means_the_call_took_effect(sim_http: SimProcess, xapi: XenAPI.Session, clean_faults: None) -> None:
    sim_http.control_post("faults", {"lose_replies": {"fraction": 1.0, "max": 1, "methods": ["network.create"]}})
    record = {"name_label": "lost answer", "name_description": "", "MTU": "1500", "other_config": {}, "tags": []}
    # A raw request: Python's XML-RPC transport silently sends a request again when the connection drops.
    body = json.dumps({"jsonrpc": "2.0", "method": "network.create", "params": [xapi._session, record], "id": 1})  # pylint: disable=protected-access
    connection = http.client.HTTPConnection(sim_http.url.split("//", 1)[1], timeout=10)
    with pytest.raises((ConnectionError, http.client.BadStatusLine)):
        connection.request("POST", "/jsonrpc", body, {"Content-Type": "application/json"})
        connection.getresponse().read()
    connection.close()
    assert len(xapi.xenapi.network.get_by_name_label("lost answer")) == 1
    assert sim_http.control_get("stats")["faults_fired"].get("lost_reply") == 1


def test_an_async_call_whose_answer_is_lost_is_found_in_the_sessions_tasks(
        sim_http: SimProcess, xapi: XenAPI.Session, clean_faults: None) -> None:
    # The SDK keeps the session ref in a private attribute.
    session = xapi._session  # pylint: disable=protected-access
    assert xapi.xenapi.session.get_tasks(session) == []
    sim_http.control_post("faults", {"lose_replies": {"fraction": 1.0, "max": 1, "methods": ["Async.VM.clone"]}})
    template = xapi.xenapi.VM.get_by_name_label("Debian Bookworm 12")[0]
    body = json.dumps({"jsonrpc": "2.0", "method": "Async.VM.clone", "params": [session, template, "lost clone"], "id": 1})
    connection = http.client.HTTPConnection(sim_http.url.split("//", 1)[1], timeout=10)
    with pytest.raises((ConnectionError, http.client.BadStatusLine)):
        connection.request("POST", "/jsonrpc", body, {"Content-Type": "application/json"})
        connection.getresponse().read()
    connection.close()
    tasks = xapi.xenapi.session.get_tasks(session)
    assert [xapi.xenapi.task.get_name_label(task) for task in tasks] == ["Async.VM.clone"]
    xapi.xenapi.task.destroy(tasks[0])
    assert xapi.xenapi.session.get_tasks(session) == []


def test_a_plain_call_of_an_async_message_runs_as_a_cancellable_task_of_the_session(
        sim_http: SimProcess, xapi: XenAPI.Session, clean_faults: None) -> None:
    # xapi gives a plain VM.clone a task too (named after the call), listed while it runs and destroyed once it answers.
    template = xapi.xenapi.VM.get_by_name_label("Debian Bookworm 12")[0]
    sim_http.control_post("durations", {"VM.clone": 2.0})
    outcome: list[object] = []

    def clone() -> None:
        other = XenAPI.Session(sim_http.url)
        other.xenapi.login_with_password(sim_http.info["username"], sim_http.info["password"], "2.21", "pace-tests")
        try:
            outcome.append(other.xenapi.VM.clone(template, "plain clone"))
        except XenAPI.Failure as err:
            outcome.append(err.details)
        finally:
            other.xenapi.session.logout()

    caller = threading.Thread(target=clone)
    caller.start()
    deadline = time.monotonic() + 5
    tasks: list[str] = []
    while not tasks and time.monotonic() < deadline:
        tasks = [task for task in xapi.xenapi.task.get_all() if xapi.xenapi.task.get_name_label(task) == "VM.clone"]
        time.sleep(0.05)
    assert len(tasks) == 1, outcome
    assert xapi.xenapi.task.get_status(tasks[0]) == "pending"
    xapi.xenapi.task.cancel(tasks[0])
    caller.join(10)
    assert outcome and outcome[0][0] == "TASK_CANCELLED"
    assert xapi.xenapi.VM.get_by_name_label("plain clone") == []
    assert tasks[0] not in xapi.xenapi.task.get_all()
    # Not cancelled, the call answers with the operation's value, and the task is gone with the answer.
    sim_http.control_post("durations", {"VM.clone": 0.05})
    clone_ref = xapi.xenapi.VM.clone(template, "plain clone")
    assert xapi.xenapi.VM.get_name_label(clone_ref) == "plain clone"
    assert [task for task in xapi.xenapi.task.get_all() if xapi.xenapi.task.get_name_label(task) == "VM.clone"] == []
    xapi.xenapi.VM.destroy(clone_ref)


def test_a_failure_injected_into_a_task_fails_the_task_not_the_call(
        sim_http: SimProcess, xapi: XenAPI.Session, clean_faults: None) -> None:
    sim_http.control_post("faults", {"fail_in_task": {"method": "VM.clone", "times": 1, "error": ["SR_FULL", "1", "0"]}})
    template = xapi.xenapi.VM.get_by_name_label("Debian Bookworm 12")[0]
    task = xapi.xenapi.Async.VM.clone(template, "doomed clone")
    token = ""
    while xapi.xenapi.task.get_status(task) == "pending":
        token = getattr(xapi.xenapi.event, "from")(["task/" + task], token, 5.0)["token"]
    assert xapi.xenapi.task.get_status(task) == "failure"
    assert xapi.xenapi.task.get_error_info(task) == ["SR_FULL", "1", "0"]
    assert xapi.xenapi.VM.get_by_name_label("doomed clone") == []
    # Only once: the next clone works.
    assert xapi.xenapi.VM.clone(template, "lucky clone")


def test_a_failure_injected_into_a_task_fails_a_plain_call_of_the_same_operation(
        sim_http: SimProcess, xapi: XenAPI.Session, clean_faults: None) -> None:
    sim_http.control_post("faults", {"fail_in_task": {"method": "VM.clone", "times": 1, "error": ["SR_FULL", "1", "0"]}})
    template = xapi.xenapi.VM.get_by_name_label("Debian Bookworm 12")[0]
    assert failure(lambda: xapi.xenapi.VM.clone(template, "doomed plain clone")) == ["SR_FULL", "1", "0"]
    assert xapi.xenapi.VM.get_by_name_label("doomed plain clone") == []
    assert [task for task in xapi.xenapi.task.get_all() if xapi.xenapi.task.get_name_label(task) == "VM.clone"] == []


def test_a_hung_host_takes_requests_and_never_answers(sim_http: SimProcess, clean_faults: None) -> None:
    sim_http.control_post("faults", {"hung_hosts": ["host2"]})
    session = XenAPI.Session(sim_http.info["hosts"]["host2"], transport=_TimeoutTransport(0.5))
    began = time.monotonic()
    with pytest.raises(OSError):
        session.xenapi.login_with_password("root", sim_http.info["password"])
    assert time.monotonic() - began >= 0.5
    sim_http.control_post("faults", {"up_hosts": ["host2"]})
    # Back up, the member answers again (with HOST_IS_SLAVE, as members do).
    assert failure(XenAPI.Session(sim_http.info["hosts"]["host2"]).xenapi.login_with_password, "root", sim_http.info["password"])[0] \
        == "HOST_IS_SLAVE"


class _TimeoutTransport(XenAPI.xmlrpclib.Transport):
    def __init__(self, timeout: float) -> None:
        super().__init__()
        self._timeout = timeout

    def make_connection(self, host):  # type: ignore[no-untyped-def]
        connection = super().make_connection(host)
        connection.timeout = self._timeout
        return connection
