"""A standalone host: a fresh install that is a pool of its own, ready to join another (``--standalone N``).

One host (its own master) with a local LVM SR, networks on eth0 (management) and eth1, and the default
templates; no VM and no shared storage, so ``pool.join`` accepts it.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from .builder import GiB, PoolBuilder

if TYPE_CHECKING:
    from ..context import SimulatorView


def build_standalone(sim: "SimulatorView", name: str, address: str, password: str) -> None:
    b = PoolBuilder(sim)
    b.pool(name)
    host = b.host(name, address)
    sim.users["root"] = password
    b.sr(f"Local storage on {name}", "lvm", 500 * GiB, [host], device_config={"device": "/dev/sdb"}, default=True)
    b.network("Pool-wide network associated with eth0", "xenbr0", "eth0", management=True)
    b.network("Pool-wide network associated with eth1", "xenbr1", "eth1")
    b.default_templates()
