"""A host joins the running pool (``POST /_sim/hosts``), as a fresh install does on ``pool.join``."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .builder import GiB, PoolBuilder

if TYPE_CHECKING:
    from ..context import SimulatorView


def join_host(sim: SimulatorView, name: str, devices: list[str], join_shared_srs: bool = True,
              address: str | None = None) -> tuple[int, str]:
    """Add member ``name`` and return its index and loopback address (the next free one, or ``address``).

    It gets a physical PIF for each device on the pool-wide network already bridged to that
    device elsewhere, and, like xapi's join, a plugged PBD for every shared SR, with the
    master's device_config. The HTTP front starts listening on the new address
    (``sim.host_joined``).
    """
    store = sim.store
    with store.lock:
        if store.find("host", name_label=name):
            raise ValueError(f"a host named {name!r} exists already")
        served_elsewhere = address is not None
        address = address or f"127.0.0.{len(sim.host_refs) + 1}"
        builder = PoolBuilder(sim, seed=len(sim.host_refs))
        host = builder.host(name, address)
        for device in devices:
            network = _network_on_device(sim, device)
            if network is None:
                raise ValueError(f"no pool network is bridged to {device!r}")
            builder.physical_pif(host, network, device, management=device == "eth0")
        if join_shared_srs:
            for sr, record in store.records("SR").items():
                master_pbd = _pbd_of(sim, sr, sim.master_ref)
                if record["shared"] and master_pbd is not None:
                    store.create("PBD", {"host": host, "SR": sr, "device_config": dict(master_pbd["device_config"]),
                                         "currently_attached": True, "other_config": {}})
        if served_elsewhere:
            # A host with an address of its own (a standalone host joining) keeps its local storage.
            builder.sr(f"Local storage on {name}", "lvm", 500 * GiB, [host], device_config={"device": "/dev/sdb"})
    index = sim.host_refs.index(host)
    if sim.host_joined is not None and not served_elsewhere:
        sim.host_joined(index, address)
    return index, address


def _network_on_device(sim: SimulatorView, device: str) -> str | None:
    for pif in sim.store.records("PIF").values():
        if pif["device"] == device and pif["physical"] and pif["VLAN"] == -1:
            return pif["network"]
    return None


def _pbd_of(sim: SimulatorView, sr: str, host: str) -> dict[str, Any] | None:
    for pbd in sim.store.records("PBD").values():
        if pbd["SR"] == sr and pbd["host"] == host:
            return pbd
    return None
