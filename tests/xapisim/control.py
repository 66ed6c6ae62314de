"""The control API under ``/_sim/`` (loopback only): statistics, faults, task durations.

GET  /_sim/stats        calls per method, total calls, write calls, live sessions
POST /_sim/reset_stats  zero the counters
POST /_sim/faults       inject faults (see ``Faults.apply``); ``{"clear": true}`` removes them
POST /_sim/durations    seconds per operation, e.g. ``{"VM.start": 0.5, "*": 0.01}``
GET  /_sim/hosts        the hosts' names and addresses, and the master's index
POST /_sim/hosts        a host joins the pool: ``{"name": "host4", "devices": ["eth0", "eth1"], "join_shared_srs": true}``
"""
from __future__ import annotations

import random
import threading
import time
from collections import Counter
from typing import TYPE_CHECKING, Any

from .errors import XapiError

if TYPE_CHECKING:
    from .core import Simulator


class Stats:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.calls: Counter[str] = Counter()
        self.writes = 0

    def count_call(self, method: str) -> None:
        with self._lock:
            self.calls[method] += 1

    def count_write(self) -> None:
        with self._lock:
            self.writes += 1

    def reset(self) -> None:
        with self._lock:
            self.calls.clear()
            self.writes = 0

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {"calls": dict(self.calls), "total_calls": sum(self.calls.values()), "write_calls": self.writes}


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
        self._random = random.Random(4242)

    def apply(self, sim: "Simulator", body: dict[str, Any]) -> None:
        with self._lock:
            if body.get("clear"):
                self.clear()
            if "latency_ms" in body:
                self.latency_ms = float(body["latency_ms"])
            if "fail" in body:
                spec = body["fail"]
                self.failures[spec["method"]] = [int(spec.get("times", 1)), list(spec["error"])]
            if "reset_connections" in body:
                spec = body["reset_connections"]
                self.reset_fraction = float(spec.get("fraction", 1.0))
                self.resets_left = int(spec.get("max", 1))
            if "slow_tasks" in body:
                self.slow_tasks = float(body["slow_tasks"])
            for name in body.get("down_hosts", []):
                self.down_hosts.add(_host_index(sim, name))
            for name in body.get("up_hosts", []):
                self.down_hosts.discard(_host_index(sim, name))
        if body.get("evict_sessions"):
            sim.sessions.evict_all()
        if "master" in body:
            from .semantics.pool import make_master

            with sim.store.lock:
                make_master(sim, sim.host_refs[_host_index(sim, body["master"])])

    def wire_action(self, host_index: int) -> str:
        with self._lock:
            if host_index in self.down_hosts:
                return "down"
            if self.resets_left > 0 and self._random.random() < self.reset_fraction:
                self.resets_left -= 1
                return "reset"
        return "ok"

    def before_call(self, method: str) -> None:
        if self.latency_ms:
            time.sleep(self.latency_ms / 1000.0)
        with self._lock:
            failure = self.failures.get(method)
            if failure and failure[0] > 0:
                failure[0] -= 1
                raise XapiError(*failure[1])


def _host_index(sim: "Simulator", name: Any) -> int:
    if isinstance(name, int):
        return name
    for index, (label, address) in enumerate(sim.hosts):
        if name in (label, address):
            return index
    raise ValueError(f"no host {name!r}")


def handle_control(sim: "Simulator", verb: str, path: str, body: dict[str, Any]) -> tuple[int, Any]:
    path = path.strip("/")
    try:
        if verb == "GET" and path == "stats":
            return 200, {**sim.stats.snapshot(), "live_sessions": sim.sessions.live_count(),
                         "sessions_by_originator": sim.sessions.count_by_originator()}
        if verb == "POST" and path == "reset_stats":
            sim.stats.reset()
            return 200, {"ok": True}
        if verb == "POST" and path == "faults":
            sim.faults.apply(sim, body)
            return 200, {"ok": True}
        if verb == "POST" and path == "durations":
            sim.durations.update({k: float(v) for k, v in body.items()})
            return 200, {"ok": True, "durations": sim.durations}
        if verb == "GET" and path == "hosts":
            return 200, {"hosts": sim.hosts, "master_index": sim.master_index}
        if verb == "POST" and path == "hosts":
            from .semantics.pool import join_host

            index, address = join_host(sim, str(body["name"]), list(body.get("devices", ["eth0", "eth1"])),
                                       bool(body.get("join_shared_srs", True)))
            return 200, {"index": index, "address": address}
    except (KeyError, ValueError, TypeError) as exc:
        return 400, {"error": f"bad control request: {exc}"}
    return 404, {"error": f"unknown control endpoint {verb} /_sim/{path}"}
