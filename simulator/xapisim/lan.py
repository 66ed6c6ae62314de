"""The pools one simulator process serves, by address, and hosts moving between them.

``--standalone N`` adds N standalone hosts (each a pool of its own, ``scenario/standalone.py``) beside the main
pool, on 127.0.1.1, 127.0.1.2, ... and the same port. ``pool.join`` sent to one of them makes it a member of the
pool it names: the pool's database gains the host (``scenario/joining.py``) and its address is served by that
pool from then on. ``pool.eject`` takes a member out: its address stops answering while it reboots (the pace's
``host_boot``), then answers as a fresh standalone host.
"""
from __future__ import annotations

import threading
from typing import Any, Optional

from .context import SimulatorView
from .control import ServedSimulator
from .core import Simulator
from .http_handler import DataExchange
from .scenario.joining import join_host
from .server import RunningServer
from .world import build_standalone_simulator

STANDALONE_PREFIX = "127.0.1."


def standalone_addresses(count: int) -> list[str]:
    return [f"{STANDALONE_PREFIX}{index + 1}" for index in range(count)]


class _Rebooting:
    """What a host's address serves while it reboots: nothing."""

    def __init__(self, name: str, address: str) -> None:
        self._hosts = [(name, address)]

    @property
    def hosts(self) -> list[tuple[str, str]]:
        return self._hosts

    def call(self, method: str, params: list[Any], host_index: int, pipelined: bool = False) -> Any:
        raise ConnectionResetError("the host is rebooting")

    def control(self, verb: str, path: str, body: dict[str, Any] | None) -> tuple[int, Any]:
        return 503, {"error": "the host is rebooting"}

    def wire_action(self, host_index: int) -> str:
        return "down"

    def lose_reply(self, method: str) -> bool:
        return False

    def is_hung(self, host_index: int) -> bool:
        return False

    def transfer(self, exchange: DataExchange) -> None:
        raise ConnectionResetError("the host is rebooting")


class Lan:
    """Implements ``context.Peers`` for every pool of the process."""

    def __init__(self, server: RunningServer, password: str) -> None:
        self._server = server
        self._password = password
        self._lock = threading.Lock()
        self._pools: dict[str, Simulator] = {}
        self._fronts: dict[int, ServedSimulator] = {}

    def serve(self, sim: Simulator, front: ServedSimulator) -> None:
        """Make the pool known by each of its addresses, and let its handlers reach the others."""
        with self._lock:
            self._fronts[id(sim)] = front
            for _name, address in sim.hosts:
                self._pools[address] = sim
        sim.peers = self

    def add_standalone(self, name: str, address: str) -> Simulator:
        sim = build_standalone_simulator(name, address, self._password)
        front = ServedSimulator(sim)
        self.serve(sim, front)
        self._server.add_listener(address, front, 0)
        return sim

    # -- context.Peers ----------------------------------------------------------------------
    def pool_at(self, address: str) -> Optional[SimulatorView]:
        with self._lock:
            return self._pools.get(address)

    def join(self, address: str, name: str, pool: SimulatorView) -> None:
        assert isinstance(pool, Simulator)
        index, _address = join_host(pool, name, ["eth0", "eth1"], True, address=address)
        with self._lock:
            self._pools[address] = pool
            front = self._fronts[id(pool)]
        self._server.repoint(address, front, index)

    def ejected(self, address: str, name: str, pool: SimulatorView) -> None:
        with self._lock:
            self._pools.pop(address, None)
            front = self._fronts[id(pool)]
        self._server.reindex(front)
        self._server.repoint(address, _Rebooting(name, address), 0)
        timer = threading.Timer(pool.pace.host_boot_delay(), self._reinstall, args=(name, address))
        timer.daemon = True
        timer.start()

    def _reinstall(self, name: str, address: str) -> None:
        sim = build_standalone_simulator(name, address, self._password)
        front = ServedSimulator(sim)
        self.serve(sim, front)
        self._server.repoint(address, front, 0)
