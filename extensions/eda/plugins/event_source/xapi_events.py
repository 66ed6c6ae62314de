# Copyright: (c) 2026, xen.xapi maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""xen.xapi.xapi_events: the events of a XenServer or XCP-ng pool, for Event-Driven Ansible.

Follows the pool's event stream (one ``event.from`` long-poll at a time, no polling loop) and puts one event on
the queue per change of a followed object::

    {"xapi": {"class": "VM", "operation": "mod", "ref": "OpaqueRef:...", "uuid": "...", "name": "web01",
              "changes": {"power_state": {"old": "Running", "new": "Halted"}}, "record": {...}}}

``operation`` is ``add``, ``mod`` or ``del`` (``snapshot`` for the objects read at start with
``initial_snapshot``); ``changes`` lists each field a ``mod`` changed, with its old and new value (empty for the
others, so a condition on ``changes`` only matches modifications); ``record`` is the whole record as XAPI has it
now (as it was, for a ``del``); SR events also carry ``usage_percent``. After a gap
the stream could not bridge (XAPI refused the token), the source reads everything again, puts one
``{"xapi": {"operation": "resync", ...}}`` event, then the changes it finds, so that no change is lost.

Arguments (the connection ones as for the collection's modules, with the same environment variables):

hostname         the pool master (or any member); ``XAPI_HOST``
username         default ``root``; ``XAPI_USERNAME``
password         ``XAPI_PASSWORD``
validate_certs   default true; ``XAPI_VALIDATE_CERTS``
ca_path          CA certificates of the pool's hosts; ``XAPI_CA_PATH``
fallback_hosts   other hosts of the pool to try when the master does not answer
protocol, timeout  as for the modules (``jsonrpc``, 60 seconds)
classes          the XAPI classes to follow; default ``[VM, host, SR, message]``
filters          ``tags``: only objects with one of these tags (classes without tags pass);
                 ``fields``: only modifications of one of these fields (additions and deletions pass);
                 ``include_templates``: VM templates, snapshots and control domains too (default false)
initial_snapshot put the objects that exist at start on the queue first (default false)
poll_timeout     seconds one ``event.from`` waits for news (default 30); stopping the source takes at most that

It survives what production does: the master moving (HOST_IS_SLAVE, ``fallback_hosts``), its session being
ended (it logs in again) and dropped connections (it reconnects, with growing pauses, and resumes from its last
token, so events are neither repeated nor lost). When cancelled it logs out.

Example rulebook source::

    sources:
      - xen.xapi.xapi_events:
          hostname: pool-master.example.com
          password: "{{ xapi_password }}"
          classes: [VM]
          filters:
            tags: [auto-restart]
            fields: [power_state]
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import os
import sys
import time
import typing as t
from pathlib import Path

# ansible-rulebook runs this file by path: the collection's own code is importable once the directory that holds
# ansible_collections/ is on the path (the file's path as installed, symlinks kept).
_INSTALLED = Path(os.path.abspath(__file__)).parents[6]
if _INSTALLED.name == "ansible_collections" and str(_INSTALLED.parent) not in sys.path:
    sys.path.append(str(_INSTALLED.parent))

from ansible_collections.xen.xapi.plugins.module_utils._module import CONNECTION_ARGUMENT_SPEC  # noqa: E402
from ansible_collections.xen.xapi.plugins.module_utils._xapi.client import XapiClient  # noqa: E402
from ansible_collections.xen.xapi.plugins.module_utils._xapi.codec import api_class_name  # noqa: E402
from ansible_collections.xen.xapi.plugins.module_utils._xapi.errors import XapiConnectionError, XapiError  # noqa: E402
from ansible_collections.xen.xapi.plugins.module_utils._xapi.event_stream import EventFilter, EventTracker  # noqa: E402
from ansible_collections.xen.xapi.plugins.module_utils._xapi.query import event_class_name  # noqa: E402
from ansible_collections.xen.xapi.plugins.module_utils._xapi.urls import ConnectionParams  # noqa: E402

DEFAULT_CLASSES = ("VM", "host", "SR", "message")
# XAPI's answers to a token it can no longer serve: read everything again.
TOKEN_REFUSED = ("EVENTS_LOST", "EVENT_FROM_TOKEN_PARSE_FAILURE")
# Pauses between reconnection attempts, the last one repeated.
RECONNECT_PAUSES = (1.0, 2.0, 5.0, 10.0, 30.0)
_TRUE = ("1", "true", "yes", "on")


def connection_params(args: t.Mapping[str, t.Any]) -> ConnectionParams:
    """The connection arguments, completed from the environment as the modules' options are."""
    values: t.Dict[str, t.Any] = {}
    for name, spec in CONNECTION_ARGUMENT_SPEC.items():
        value = args.get(name)
        if value is None and "fallback" in spec:
            value = next((os.environ[var] for var in spec["fallback"][1] if os.environ.get(var)), None)
        values[name] = spec.get("default") if value is None else value
    if not values.get("hostname"):
        raise ValueError("xapi_events: give hostname (or set XAPI_HOST).")
    if isinstance(values["validate_certs"], str):
        values["validate_certs"] = values["validate_certs"].lower() in _TRUE
    return ConnectionParams.from_module_params(values)


class EventSource:
    """The stream of one pool, run in a thread of its own (the XAPI client is synchronous)."""

    def __init__(self, args: t.Mapping[str, t.Any], sleep: t.Callable[[float], None]) -> None:
        self.params = connection_params(args)
        self.classes = [api_class_name(str(name)) for name in args.get("classes") or DEFAULT_CLASSES]
        filters = dict(args.get("filters") or {})
        self.tracker = EventTracker(EventFilter(tags=filters.get("tags") or (), fields=filters.get("fields") or (),
                                                include_templates=bool(filters.get("include_templates"))))
        self.initial_snapshot = bool(args.get("initial_snapshot"))
        self.poll_timeout = float(args.get("poll_timeout") or 30)
        self.client = XapiClient(self.params, sleep=sleep)
        self.sleep = sleep
        self.token = ""
        self.subscription = [event_class_name(name) for name in self.classes]

    def start(self) -> t.List[t.Dict[str, t.Any]]:
        """Log in and read what exists: the starting point of the stream."""
        self.client.login()
        events = self._read_all()
        return events if self.initial_snapshot else []

    def _read_all(self) -> t.List[t.Dict[str, t.Any]]:
        answer = self.client.call("event.from", self.subscription, "", 0.0)
        self.token = answer.get("token", "")
        records: t.Dict[str, t.Dict[str, t.Any]] = {name: {} for name in self.classes}
        names = {event_class_name(name): name for name in self.classes}
        for event in answer.get("events") or []:
            cls = names.get(str(event.get("class", "")).lower())
            if cls is not None and event.get("snapshot") is not None and event.get("operation") != "del":
                records[cls][event["ref"]] = self.client.normalize(cls, event["snapshot"])
        return self.tracker.snapshot(records)

    def next_events(self) -> t.List[t.Dict[str, t.Any]]:
        """Wait for news (one long-poll) and return the events they make; reconnects and resyncs on the way."""
        pauses = list(RECONNECT_PAUSES)
        while True:
            try:
                answer = self.client.call("event.from", self.subscription, self.token, self.poll_timeout)
            except XapiError as err:
                if err.code not in TOKEN_REFUSED:
                    raise
                # The token cannot be served any more: read everything, tell what changed meanwhile.
                return [{"class": None, "operation": "resync", "reason": err.code}] + self._read_all()
            except XapiConnectionError as err:
                if not err.recoverable:
                    raise
                self.sleep(pauses.pop(0) if len(pauses) > 1 else pauses[0])
                self._reconnect()
                continue
            return self._events_of(answer)

    def _reconnect(self) -> None:
        try:
            self.client.forget_silent_hosts()
            self.client.login()
        except XapiConnectionError as err:
            if not err.recoverable:
                raise

    def _events_of(self, answer: t.Mapping[str, t.Any]) -> t.List[t.Dict[str, t.Any]]:
        names = {event_class_name(name): name for name in self.classes}
        events = []
        for event in answer.get("events") or []:
            cls = names.get(str(event.get("class", "")).lower())
            if cls is None:
                continue
            snapshot = event.get("snapshot")
            record = self.client.normalize(cls, snapshot) if snapshot is not None else None
            made = self.tracker.event(cls, str(event.get("operation", "mod")), str(event.get("ref", "")), record)
            if made is not None:
                events.append(made)
        # The token moves on only once the batch is taken in: a batch lost with its connection is asked for again.
        self.token = answer.get("token", self.token)
        return events

    def close(self) -> None:
        self.client.logout()


async def main(queue: asyncio.Queue, args: t.Dict[str, t.Any]) -> None:
    """Event-Driven Ansible's entry point: put the pool's events on ``queue`` until cancelled."""
    loop = asyncio.get_running_loop()
    executor = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="xapi_events")
    source = EventSource(args, sleep=time.sleep)
    pending: t.Optional[asyncio.Future] = None
    try:
        for event in await loop.run_in_executor(executor, source.start):
            await queue.put({"xapi": event})
        while True:
            pending = loop.run_in_executor(executor, source.next_events)
            events = await pending
            pending = None
            for event in events:
                await queue.put({"xapi": event})
    finally:
        # Cancelled (or failed): let the poll under way end (at most poll_timeout), then log out, in the same thread.
        if pending is not None:
            await asyncio.shield(asyncio.wait([pending]))
        await asyncio.shield(loop.run_in_executor(executor, source.close))
        executor.shutdown(wait=False)


if __name__ == "__main__":
    # A quick look at a pool's events: XAPI_HOST=... XAPI_PASSWORD=... python xapi_events.py
    class _Printer:
        async def put(self, event: t.Dict[str, t.Any]) -> None:
            print(event)

    asyncio.run(main(_Printer(), {}))  # type: ignore[arg-type]
