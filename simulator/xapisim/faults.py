"""Statistics and injected faults: what the control API counts and what it breaks on purpose.

Both are plain, thread-safe state; the core consults them on every call (``Faults.before_call``,
``wire_action``, ``lose_reply``, ``task_failure``) and the control API sets them (``Faults.apply``).
"""
from __future__ import annotations

import random
import threading
import time
from collections import Counter
from typing import Any, Callable

from .errors import XapiError


class Stats:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.calls: Counter[str] = Counter()
        self.writes = 0
        # Calls whose request made the trip on its own: not pipelined behind an earlier one of its connection.
        self.round_trips = 0
        self.faults: Counter[str] = Counter()  # injected wire faults that fired: "reset", "lost_reply", ...

    def count_call(self, method: str, pipelined: bool = False) -> None:
        with self._lock:
            self.calls[method] += 1
            if not pipelined:
                self.round_trips += 1

    def count_write(self) -> None:
        with self._lock:
            self.writes += 1

    def count_fault(self, kind: str) -> None:
        with self._lock:
            self.faults[kind] += 1

    def reset(self) -> None:
        with self._lock:
            self.calls.clear()
            self.faults.clear()
            self.writes = 0
            self.round_trips = 0

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {"calls": dict(self.calls), "total_calls": sum(self.calls.values()), "write_calls": self.writes,
                    "round_trips": self.round_trips, "faults_fired": dict(self.faults)}


class Faults:
    """Faults injected through the control API. All are off by default."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.clear()

    def clear(self) -> None:
        self.latency_ms = 0.0
        self.failures: dict[str, list[Any]] = {}  # method -> [remaining count, [code, params...]]
        self.reset_fraction = 0.0
        self.resets_left = 0
        self.slow_tasks = 0.0
        self.down_hosts: set[int] = set()
        self.hung_hosts: set[int] = set()
        self.lost_fraction = 0.0
        self.lost_left = 0
        self.lost_methods: set[str] = set()
        self.kept_methods: set[str] = set()
        self.task_failures: dict[str, list[Any]] = {}  # method -> [remaining count, [code, params...]]
        self._random = random.Random(4242)

    def apply(self, body: dict[str, Any], host_index: Callable[[Any], int]) -> None:
        """Set the wire and task faults in ``body``; ``host_index`` turns a host's name or address into its index."""
        with self._lock:
            if body.get("clear"):
                self.clear()
            if "seed" in body:
                self._random = random.Random(int(body["seed"]))
            if "latency_ms" in body:
                self.latency_ms = float(body["latency_ms"])
            if "fail" in body:
                spec = body["fail"]
                self.failures[spec["method"]] = [int(spec.get("times", 1)), list(spec["error"])]
            if "reset_connections" in body:
                spec = body["reset_connections"]
                self.reset_fraction = float(spec.get("fraction", 1.0))
                self.resets_left = int(spec.get("max", 1))
            if "lose_replies" in body:
                spec = body["lose_replies"]
                self.lost_fraction = float(spec.get("fraction", 1.0))
                self.lost_left = int(spec.get("max", 1))
                self.lost_methods = set(spec.get("methods") or ())
                self.kept_methods = set(spec.get("except_methods") or ())
            if "fail_in_task" in body:
                spec = body["fail_in_task"]
                self.task_failures[spec["method"]] = [int(spec.get("times", 1)), list(spec["error"])]
            if "slow_tasks" in body:
                self.slow_tasks = float(body["slow_tasks"])
            for name in body.get("down_hosts", []):
                self.down_hosts.add(host_index(name))
            for name in body.get("hung_hosts", []):
                self.hung_hosts.add(host_index(name))
            for name in body.get("up_hosts", []):
                self.down_hosts.discard(host_index(name))
                self.hung_hosts.discard(host_index(name))

    def set_down(self, host_index: int, down: bool) -> None:
        """A host stops (or starts again) answering on its address: a reboot, not an injected fault."""
        with self._lock:
            if down:
                self.down_hosts.add(host_index)
            else:
                self.down_hosts.discard(host_index)

    def wire_action(self, host_index: int) -> str:
        with self._lock:
            if host_index in self.down_hosts:
                return "down"
            if host_index in self.hung_hosts:
                return "hang"
            if self.resets_left > 0 and self._random.random() < self.reset_fraction:
                self.resets_left -= 1
                return "reset"
        return "ok"

    def is_hung(self, host_index: int) -> bool:
        with self._lock:
            return host_index in self.hung_hosts

    def lose_reply(self, method: str) -> bool:
        """Whether the answer to a call that was just served is lost on its way back."""
        with self._lock:
            if self.lost_left <= 0 or (self.lost_methods and method not in self.lost_methods) or method in self.kept_methods:
                return False
            if self._random.random() >= self.lost_fraction:
                return False
            self.lost_left -= 1
            return True

    def task_failure(self, method: str) -> list[Any] | None:
        """The error an operation run as a task fails with instead of taking effect, if one was injected."""
        with self._lock:
            failure = self.task_failures.get(method)
            if failure and failure[0] > 0:
                failure[0] -= 1
                return list(failure[1])
        return None

    def before_call(self, method: str, pipelined: bool = False) -> None:
        # latency_ms is the network's round trip: a request pipelined behind an earlier one of its connection (sent
        # before that one's answer came back) made the trip with it.
        if self.latency_ms and not pipelined:
            time.sleep(self.latency_ms / 1000.0)
        with self._lock:
            failure = self.failures.get(method)
            if failure and failure[0] > 0:
                failure[0] -= 1
                raise XapiError(*failure[1])
