# Copyright: (c) 2026, xen.xapi maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run XAPI messages as asynchronous tasks and wait for them through the event stream, or, for operations that
bring an object to a state, as one plain call whose late or lost answer is settled by its task or the object."""

from __future__ import annotations

import json
import time
import typing as t
import xml.parsers.expat
import xmlrpc.client

from ansible_collections.xen.xapi.plugins.module_utils._xapi import client as xapi_client, codec, errors

DEFAULT_TASK_TIMEOUT = 600.0
# Share of the HTTP timeout one blocking event.from may use, so the server always answers
# before the socket gives up on it.
_EVENT_WAIT_SHARE = 0.8
_FINISHED = ("success", "failure", "cancelled")
# Seconds a cancelled task is followed to learn whether it stopped or completed all the same.
_CANCEL_GRACE = 30.0
# Sends of one Async call whose answers were lost (each one checked against the session's tasks first).
_START_ATTEMPTS = 3
# A pending task is left to run between two looks at it only once it has run _PAUSE_AFTER seconds, and then for at
# most _PAUSE_SHARE of the time it has run and _MAX_PAUSE seconds: how late its end can be noticed.
_PAUSE_AFTER = 1.0
_PAUSE_SHARE = 0.1
_MAX_PAUSE = 1.0
# Seconds a task look's token serves as the start of the next task's first look: the look returns every task
# of the pool changed since, few when it is recent.
_TOKEN_FRESHNESS = 30.0


def decode_task_result(text: str) -> t.Any:
    """Decode a task's `result`: the XML-RPC encoding of the return value, e.g. "<value>OpaqueRef:1</value>".

    Returns plain strings, bools, floats, lists and dicts; "" for a void result. Ints stay strings,
    as XML-RPC carries them.
    """
    text = (text or "").strip()
    if not text:
        return ""
    # The value is wrapped in a minimal response document so the standard XML-RPC reader parses it.
    document = "<methodResponse><params><param>{0}</param></params></methodResponse>".format(text)
    try:
        (value,), _method = xmlrpc.client.loads(document)
    except (ValueError, xml.parsers.expat.ExpatError, xmlrpc.client.ResponseError) as err:
        raise errors.XapiError("INTERNAL_ERROR", ["unreadable task result {0!r}: {1}".format(text, err)])
    return codec.plain_values(value)


class _TaskGone(Exception):
    """The task was destroyed; carries its last snapshot seen, if any."""

    def __init__(self, last: t.Optional[dict[str, t.Any]]) -> None:
        super().__init__("task destroyed")
        self.last = last
        self.cancel_requested = False


def _task_snapshot(task_ref: str, events: t.Iterable[t.Mapping[str, t.Any]]) -> t.Optional[dict[str, t.Any]]:
    """The latest snapshot of the task among events; raise _TaskGone if it was deleted."""
    snapshot = None
    for event in events:
        if event.get("ref") != task_ref:
            continue
        if event.get("operation") == "del":
            raise _TaskGone(snapshot)
        if event.get("snapshot") is not None:
            snapshot = codec.normalize_record("task", event["snapshot"])
    return snapshot


def pause_before_next_look(progress: t.Any, elapsed: float, time_left: float) -> float:
    """Seconds to let a pending task run before asking about it again.

    xapi copies every progress step of an operation into ``task.progress`` (xapi_xenops.ml, ``update_task``) and
    event.from wakes on each of them, though only the end matters here: a long copy reports hundreds of steps.
    Once a task has run a while, the next look waits for the time its progress says is left (as if the pace stays
    the same), but at most a tenth of the time it has run and a second, so its end is noticed late by at most that
    much; the look then blocks until the task changes again. Tasks shorter than ``_PAUSE_AFTER`` are followed step
    by step: a pause would only make their end noticed later. No pause before any progress is reported.
    """
    try:
        fraction = float(progress)
    except (TypeError, ValueError):
        return 0.0
    if not 0.0 < fraction < 1.0 or elapsed < _PAUSE_AFTER:
        return 0.0
    estimated_left = elapsed * (1.0 - fraction) / fraction
    return max(0.0, min(estimated_left, _PAUSE_SHARE * elapsed, _MAX_PAUSE, time_left))


Look = t.Tuple[str, t.Optional[t.Dict[str, t.Any]]]


def wait_for_task(client: xapi_client.XapiClient, task_ref: str, timeout: float, method: str = "task",
                  first_look: t.Optional[Look] = None) -> dict[str, t.Any]:
    """Block until the task is no longer pending and return its record.

    Uses event.from on "task/<ref>": the first call (empty token) returns the current
    snapshot at once, later calls block until the task changes, so nothing polls; a long
    task is left to run for a while between looks (see pause_before_next_look).
    On timeout the task is asked to cancel, and followed a little longer: an operation that
    completed all the same is reported as done (its record is returned), one that was
    cancelled raises XapiTimeoutError. A task destroyed meanwhile raises HANDLE_INVALID.
    ``first_look`` (token, snapshot), when the task was looked at already (see start_task), stands for the first call.
    """
    try:
        return _follow_task(client, task_ref, timeout, method, first_look)
    except _TaskGone:
        raise errors.XapiError("HANDLE_INVALID", ["task", task_ref])


def _follow_task(client: xapi_client.XapiClient, task_ref: str, timeout: float, method: str,
                 first_look: t.Optional[Look] = None) -> dict[str, t.Any]:
    """wait_for_task, raising _TaskGone when the task is destroyed before it is seen finished."""
    started = time.monotonic()
    deadline = started + timeout
    cancel_requested = False
    max_wait = max(0.1, client.http_timeout * _EVENT_WAIT_SHARE)
    token = ""
    while True:
        wait = 0.0 if token == "" else max(0.0, min(deadline - time.monotonic(), max_wait))
        try:
            if first_look is not None:
                (token, record), first_look = first_look, None
            else:
                token, record = _look_at_task(client, task_ref, token, wait)
        except _TaskGone as gone:
            gone.cancel_requested = cancel_requested
            raise
        if record is not None and record.get("status") in _FINISHED:
            if cancel_requested and record.get("status") == "cancelled":
                raise errors.XapiTimeoutError(method, timeout, task_ref)
            return record
        if time.monotonic() >= deadline:
            if cancel_requested:
                raise errors.XapiTimeoutError(method, timeout, task_ref, settled=False)
            # The operation may be past the point where it can stop: see how it ends before saying it did not happen.
            _quietly(client, "task.cancel", task_ref)
            cancel_requested = True
            deadline = time.monotonic() + min(_CANCEL_GRACE, max(1.0, timeout))
        elif record is not None and not cancel_requested:
            now = time.monotonic()
            pause = pause_before_next_look(record.get("progress"), now - started, deadline - now)
            if pause > 0.0:
                time.sleep(pause)


def _look_at_task(client: xapi_client.XapiClient, task_ref: str, token: str, wait: float) -> t.Tuple[str, t.Optional[dict[str, t.Any]]]:
    """(the next token, the task's latest snapshot if it changed): event.from on the task, blocking up to wait.

    The first look (empty token) answers at once, with the task read directly if the events did not carry it.
    """
    answer = client.call("event.from", ["task/" + task_ref], token, float(wait))
    _keep_token(client, answer)
    record = _task_snapshot(task_ref, answer.get("events") or [])
    if record is None and token == "":
        try:
            record = codec.normalize_record("task", client.call("task.get_record", task_ref))
        except errors.XapiError as err:
            if err.code == "HANDLE_INVALID":
                raise _TaskGone(None)
            raise
    return answer.get("token", token), record


def task_outcome(record: t.Mapping[str, t.Any]) -> t.Any:
    """The decoded result of a finished task, or its error raised as XapiError."""
    if record.get("status") == "success":
        return decode_task_result(record.get("result", ""))
    error_info = list(record.get("error_info") or [])
    if not error_info:
        error_info = ["TASK_CANCELLED"] if record.get("status") == "cancelled" else ["INTERNAL_ERROR", "task failed without error_info"]
    error = errors.XapiError(error_info[0], error_info[1:])
    # The task's name is the call that ran as it, "Async.VM.start".
    error.method = str(record.get("name_label", ""))[len("Async."):] if str(record.get("name_label", "")).startswith("Async.") else ""
    raise error


def find_started_task(client: xapi_client.XapiClient, method: str, known: t.Collection[str] = (), prefix: str = "Async.") -> t.Optional[str]:
    """The task of ``Async.<method>`` this session started but never heard back about, if any.

    xapi lists the tasks a session created in ``session.tasks``; a client that runs one task at a
    time knows every task of its session but the one whose answer was lost. A plain call of a
    message that has an Async form runs as a task named after the call (prefix "").
    """
    refs = [ref for ref in client.call("session.get_tasks", client.session_ref) if ref not in known]
    matches = []
    for ref in refs:
        try:
            if client.call("task.get_name_label", ref) == prefix + method:
                matches.append(ref)
        except errors.XapiError as err:
            if err.code != "HANDLE_INVALID":
                raise
    return matches[-1] if matches else None


def _look_for_task(client: xapi_client.XapiClient, method: str, known: t.Collection[str], prefix: str = "Async.") -> t.Tuple[bool, t.Optional[str]]:
    """(whether the session's tasks could be listed, the task found among them)."""
    try:
        return True, find_started_task(client, method, known, prefix)
    except errors.XapiBaseError:
        return False, None


def call_key(method: str, args: t.Sequence[t.Any]) -> str:
    """Identifies one operation (message and arguments) across the rounds of a run."""
    return method + json.dumps(list(args), sort_keys=True, default=str)


def start_task(client: xapi_client.XapiClient, method: str, *args: t.Any) -> t.Tuple[str, t.Optional[Look]]:
    """Send ``Async.<method>`` and return its task (and the first look at it, when that went along), without ever
    starting the operation twice.

    When the answer is lost the operation may or may not have started: the session's own tasks
    tell. Found, it is the task; not found, the request never ran, and only then is it sent again.
    When the tasks cannot be listed right then, or the wait for the task broke off, the same
    operation started again later in the run (the next round) takes that task up instead.
    """
    client.resume_session()  # the session its task is looked for in, should the answer be lost
    ledger = client.task_ledger
    key = call_key(method, args)
    session, task = ledger.pending.pop(key, (None, ""))
    if session is not None and not task and session == client.session_ref:
        task = find_started_task(client, method, ledger.seen) or ""
    if task:
        return task, None
    for attempt in range(_START_ATTEMPTS):
        session = client.session_ref
        try:
            task, look = _send_async(client, method, args)
            ledger.seen.add(task)
            return task, look
        except errors.XapiConnectionError as err:
            if not err.recoverable or not err.request_sent:
                raise
            unanswered: errors.XapiBaseError = err
        except errors.XapiError as err:
            if err.method != "event.from":
                raise
            # The call was answered (the look after it failed): its task is among the session's.
            unanswered = err
        listed, found = _look_for_task(client, method, ledger.seen)
        if found is not None:
            ledger.seen.add(found)
            return found, None
        if not listed or attempt + 1 == _START_ATTEMPTS or client.session_ref != session:
            # Outcome unknown: whoever starts this operation next in the run looks for its task first.
            ledger.pending[key] = (session or "", "")
            raise unanswered
    raise AssertionError("unreachable")


def _send_async(client: xapi_client.XapiClient, method: str, args: t.Sequence[t.Any]) -> t.Tuple[str, t.Optional[Look]]:
    """``Async.<method>``, and with it, when a recent look at a task left a token, the first look at the new task.

    xapi serves a connection's requests in order and makes the task before it answers the call, so a look at the
    pool's tasks changed since that token, sent right behind the call, holds the new task: its first look costs no
    round trip of its own, and an operation that ends within it is done in one. Without a recent token the first
    look is the task's own (wait_for_task).
    """
    ledger = client.task_ledger
    if not ledger.token or time.monotonic() - ledger.token_time > _TOKEN_FRESHNESS:
        return str(client.call("Async." + method, *args)), None
    task_value, answer = client.call_in_order([("Async." + method, list(args)), ("event.from", [["task"], ledger.token, 0.0])])
    task = str(task_value)
    _keep_token(client, answer)
    try:
        record = _task_snapshot(task, answer.get("events") or [])
    except _TaskGone:
        return task, None  # its own first look reports it gone
    return task, ((answer.get("token") or "", record) if record is not None else None)


def _keep_token(client: xapi_client.XapiClient, answer: t.Mapping[str, t.Any]) -> None:
    if answer.get("token"):
        client.task_ledger.token, client.task_ledger.token_time = str(answer["token"]), time.monotonic()


def run_async(client: xapi_client.XapiClient, method: str, *args: t.Any, timeout: float = DEFAULT_TASK_TIMEOUT) -> t.Any:
    """Call Async.<method>(*args), wait for the task and return its decoded result.

    Raises the task's XAPI error, or XapiTimeoutError after `timeout` seconds (the task is
    cancelled). The task record is destroyed at logout (XapiClient.forget_task); a wait that the connection breaks off
    leaves it for the next round of the run to wait on again (see start_task).
    """
    task_ref, first_look = start_task(client, method, *args)
    try:
        record = wait_for_task(client, task_ref, timeout, method, first_look)
    except errors.XapiConnectionError:
        client.task_ledger.pending[call_key(method, args)] = (client.session_ref or "", task_ref)
        raise
    except BaseException:
        client.forget_task(task_ref)
        raise
    client.forget_task(task_ref)
    return task_outcome(record)


def _power_state(paused: t.Any) -> t.Tuple[str, t.Any]:
    return ("power_state", "Paused" if paused else "Running")


# Operations that bring their object (the first argument) to a state, and the (field, value) the object shows once
# each is done, given the other arguments: how a lost answer is settled by reading the object.
STATE_AFTER: t.Dict[str, t.Callable[..., t.Tuple[str, t.Any]]] = {
    "VM.start": lambda paused, _force: _power_state(paused),
    "VM.start_on": lambda _host, paused, _force: _power_state(paused),
    "VM.resume": lambda paused, _force: _power_state(paused),
    "VM.resume_on": lambda _host, paused, _force: _power_state(paused),
    "VM.unpause": lambda: ("power_state", "Running"),
    "VM.pause": lambda: ("power_state", "Paused"),
    "VM.suspend": lambda: ("power_state", "Suspended"),
    "VM.clean_shutdown": lambda: ("power_state", "Halted"),
    "VM.hard_shutdown": lambda: ("power_state", "Halted"),
    "VBD.plug": lambda: ("currently_attached", True),
    "VBD.unplug": lambda: ("currently_attached", False),
    "VIF.plug": lambda: ("currently_attached", True),
    "VIF.unplug": lambda: ("currently_attached", False),
    "PIF.plug": lambda: ("currently_attached", True),
    "PBD.plug": lambda: ("currently_attached", True),
    "PBD.unplug": lambda: ("currently_attached", False),
    "VBD.eject": lambda: ("empty", True),
    "VBD.insert": lambda vdi: ("VDI", vdi),
}


def run_state_change(client: xapi_client.XapiClient, method: str, ref: str, *args: t.Any, timeout: float = DEFAULT_TASK_TIMEOUT) -> None:
    """Call <method>(ref, *args) plainly, in one round trip: an operation of STATE_AFTER, which brings ref to a state.

    xapi runs a plain call of a message that has an Async form as a task all the same, named after the call,
    listed in ``session.tasks`` and cancellable while it runs, and destroys it when it answers (context.ml
    ``of_http_req``, server_helpers.ml ``do_dispatch``). So the answer is awaited at most ``timeout`` seconds
    and at most the connection timeout, which keeps a silent master noticed as soon as with a task. When the
    answer is late or lost, the session's tasks tell whether the operation still runs: if so, its task is
    followed on the event stream as an Async one is, and cancelled at ``timeout``. Once it is gone (event.from
    then reports only its deletion, not how it ended), the object's field tells whether it took effect. When
    it no longer runs, or cannot be looked for, XapiConnectionError says that the outcome is unknown: the
    engine's next round reads the object again and plans from what it finds; sent again then, such an
    operation does no harm.
    """
    field, value = STATE_AFTER[method](*args)
    deadline = time.monotonic() + timeout
    try:
        client.call(method, ref, *args, reply_within=max(0.1, min(timeout, client.http_timeout)))
        return
    except errors.XapiConnectionError as err:
        if not err.recoverable or not err.request_sent:
            raise
        unanswered = err
    session = client.session_ref
    listed, task_ref = _look_for_task(client, method, (), prefix="")
    if not listed or task_ref is None or client.session_ref != session:
        raise unanswered
    try:
        task_outcome(_follow_task(client, task_ref, max(0.0, deadline - time.monotonic()), method))
    except _TaskGone as gone:
        last = gone.last or {}
        if gone.cancel_requested and last.get("status") == "cancelled":
            raise errors.XapiTimeoutError(method, timeout, task_ref)
        if last.get("status") in _FINISHED:
            task_outcome(last)
        elif client.call("{0}.get_{1}".format(method.split(".", 1)[0], field), ref) != value:
            if gone.cancel_requested:
                raise errors.XapiTimeoutError(method, timeout, task_ref)
            # It ended without taking effect, and how is not known: the next round sends it again and hears why.
            raise unanswered


def _quietly(client: xapi_client.XapiClient, method: str, *args: t.Any) -> None:
    """Best-effort clean-up call: its failure must not hide the outcome being reported."""
    try:
        client.call(method, *args)
    except errors.XapiBaseError:
        pass
