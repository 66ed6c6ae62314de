"""Build a simulator from a scenario, and save/restore its state (``--state-file``).

The top of the simulator's layers: it knows every scenario and the core, and nothing imports it
but the command line.
"""
from __future__ import annotations

import json
import os
from datetime import datetime
from typing import Any

from . import schema
from .coercion import parse_datetime
from .core import Simulator
from .scenario.catalog import build_catalog
from .scenario.demo import build_demo
from .scenario.generated import build_generated
from .scenario.standalone import build_standalone
from .scenario.yaml_file import build_from_file
from .semantics.vm.placement import refresh_host_memory
from .store import Store


def build_simulator(scenario: str | None = None, hosts: int | None = None, vms: int | None = None,
                    state_file: str | None = None) -> Simulator:
    """The demo pool, a generated one (``hosts``/``vms``), the catalog or a scenario file; a saved state wins."""
    sim = Simulator(schema.load(), Store(schema.load()))
    if state_file and os.path.exists(state_file):
        load_state(sim, state_file)
        return sim
    if hosts or vms:
        build_generated(sim, hosts or 1, vms or 0)
    elif scenario in (None, "demo"):
        build_demo(sim)
    elif scenario == "catalog":
        build_catalog(sim)
    else:
        build_from_file(sim, scenario)
    refresh_derived_fields(sim)
    return sim


def build_standalone_simulator(name: str, address: str, password: str) -> Simulator:
    """A fresh standalone host, a pool of its own (``--standalone``)."""
    sim = Simulator(schema.load(), Store(schema.load()))
    build_standalone(sim, name, address, password)
    refresh_derived_fields(sim)
    return sim


def refresh_derived_fields(sim: Simulator) -> None:
    """Hosts' free memory depends on every VM resident on them: computed once the pool is built."""
    with sim.store.lock:
        for host in sim.store.records("host"):
            refresh_host_memory(sim.store, host)


def save_state(sim: Simulator, path: str) -> None:
    document = {"users": sim.users, "durations": sim.durations, "tables": sim.store.dump()}
    tmp = f"{path}.tmp"
    with open(tmp, "w", encoding="utf-8") as handle:
        json.dump(document, handle, default=_encode)
    os.replace(tmp, path)


def load_state(sim: Simulator, path: str) -> None:
    with open(path, encoding="utf-8") as handle:
        document = json.load(handle, object_hook=_decode)
    sim.users.update(document.get("users", {}))
    sim.durations.update(document.get("durations", {}))
    sim.store.load(document["tables"])


def _encode(value: Any) -> Any:
    if isinstance(value, datetime):
        return {"__datetime__": value.strftime("%Y%m%dT%H:%M:%SZ")}
    raise TypeError(type(value).__name__)


def _decode(obj: dict[str, Any]) -> Any:
    if set(obj) == {"__datetime__"}:
        return parse_datetime(obj["__datetime__"])
    return obj
