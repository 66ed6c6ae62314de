"""The control API under ``/_sim/`` (loopback only): statistics, faults, pace and durations.

GET  /_sim/stats        calls per method, total calls, write calls, live sessions
POST /_sim/reset_stats  zero the counters
POST /_sim/faults       inject faults (see ``faults.Faults.apply``); ``{"clear": true}`` removes them
POST /_sim/durations    seconds per operation, e.g. ``{"VM.start": 0.5, "*": 0.01}``
GET  /_sim/pace         the pace profile, its scale and the explicit durations
POST /_sim/pace         ``{"profile": "realistic", "scale": 0.1}`` (``instant`` is the default pace);
                        ``{"event_batching": {"event_from": [0.05, 0.05]}}`` sets xapi's event delays
GET  /_sim/hosts        the hosts' names and addresses, and the master's index
POST /_sim/hosts        a host joins the pool: ``{"name": "host4", "devices": ["eth0", "eth1"], "join_shared_srs": true}``
POST /_sim/host_failure a host dies: ``{"host": "host1"}``; with HA on, a new master and the protected VMs follow
POST /_sim/host_recovery the failed host boots again: ``{"host": "host1"}``
GET  /_sim/updates      what the update repository offers, and what each host has installed
POST /_sim/updates      the repository offers ``{"updates": [{"id": "XS8-2026-001", "guidance": ["reboot_host"]}]}``
"""
from __future__ import annotations

from typing import Any

from .core import Simulator
from .http_handler import DataExchange
from .scenario.joining import join_host
from .semantics.pool.failover import fail_host, recover_host
from .semantics.pool.master import make_master
from .transfer import serve_transfer


def handle_control(sim: Simulator, verb: str, path: str, body: dict[str, Any]) -> tuple[int, Any]:
    path = path.strip("/")
    try:
        if verb == "GET" and path == "stats":
            return 200, {**sim.stats.snapshot(), "live_sessions": sim.sessions.live_count(),
                         "sessions_by_originator": sim.sessions.count_by_originator()}
        if verb == "POST" and path == "reset_stats":
            sim.stats.reset()
            return 200, {"ok": True}
        if verb == "POST" and path == "faults":
            _apply_faults(sim, body)
            return 200, {"ok": True}
        if verb == "POST" and path == "durations":
            sim.durations.update({k: float(v) for k, v in body.items()})
            return 200, {"ok": True, "durations": sim.durations}
        if verb == "GET" and path == "pace":
            return 200, sim.pace.describe()
        if verb == "POST" and path == "pace":
            sim.pace.set_profile(str(body.get("profile", sim.pace.profile)), body.get("scale"))
            if body.get("event_batching") is not None:
                sim.pace.set_event_batching(dict(body["event_batching"]))
            if body.get("reset_durations"):
                sim.pace.explicit.clear()
                sim.pace.batching.clear()
            return 200, {"ok": True, **sim.pace.describe()}
        if verb == "GET" and path == "hosts":
            return 200, {"hosts": sim.hosts, "master_index": sim.master_index}
        if verb == "POST" and path == "hosts":
            index, address = join_host(sim, str(body["name"]), list(body.get("devices", ["eth0", "eth1"])),
                                       bool(body.get("join_shared_srs", True)))
            return 200, {"index": index, "address": address}
        if verb == "POST" and path == "host_failure":
            lost = fail_host(sim, sim.host_refs[host_index(sim, body["host"])])
            return 200, {"ok": True, "vms_lost": len(lost)}
        if verb == "POST" and path == "host_recovery":
            recover_host(sim, sim.host_refs[host_index(sim, body["host"])])
            return 200, {"ok": True}
        if verb == "GET" and path == "updates":
            return 200, sim.updates.describe({ref: record["name_label"] for ref, record in sim.store.records("host").items()})
        if verb == "POST" and path == "updates":
            sim.updates.publish(list(body["updates"]))
            return 200, {"ok": True}
    except (KeyError, ValueError, TypeError) as exc:
        return 400, {"error": f"bad control request: {exc}"}
    return 404, {"error": f"unknown control endpoint {verb} /_sim/{path}"}


def _apply_faults(sim: Simulator, body: dict[str, Any]) -> None:
    """Wire and task faults go to ``sim.faults``; evicting sessions and moving the master act on the pool at once."""
    sim.faults.apply(body, lambda name: host_index(sim, name))
    if body.get("evict_sessions"):
        sim.sessions.evict_all()
    if "master" in body:
        with sim.store.lock:
            make_master(sim, sim.host_refs[host_index(sim, body["master"])])


def host_index(sim: Simulator, name: Any) -> int:
    """The index of the host named by its index, name label or address."""
    if isinstance(name, int):
        return name
    for index, (label, address) in enumerate(sim.hosts):
        if name in (label, address):
            return index
    raise ValueError(f"no host {name!r}")


class ServedSimulator:
    """The simulator as the HTTP front serves it: the pool's API on every host address, the transfers and the control API."""

    def __init__(self, sim: Simulator) -> None:
        self.sim = sim

    @property
    def hosts(self) -> list[tuple[str, str]]:
        return self.sim.hosts

    def call(self, method: str, params: list[Any], host_index: int, pipelined: bool = False) -> Any:
        return self.sim.call(method, params, host_index, pipelined)

    def wire_action(self, host_index: int) -> str:
        return self.sim.wire_action(host_index)

    def lose_reply(self, method: str) -> bool:
        return self.sim.lose_reply(method)

    def is_hung(self, host_index: int) -> bool:
        return self.sim.is_hung(host_index)

    def control(self, verb: str, path: str, body: dict[str, Any] | None) -> tuple[int, Any]:
        return handle_control(self.sim, verb, path, body or {})

    def transfer(self, exchange: DataExchange) -> None:
        serve_transfer(self.sim, exchange)
