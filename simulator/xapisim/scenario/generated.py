"""Generated pools of any size: ``python -m xapisim --hosts 50 --vms 10000``.

The pool: hosts ``host1..hostN`` on 127.0.0.1, 127.0.0.2, ... (127.0.1.x past 254 hosts), a local
LVM SR on every host, a shared NFS SR (the pool's default SR), an ISO library, two networks with
a PIF on every host (eth0 carries management) plus the host-internal network, the default
templates, and the requested number of VMs spread round-robin across the hosts. Most VMs run
(with guest metrics and IP addresses); some are Halted, Suspended or Paused. Each VM has one or
two disks on the NFS SR, one or two VIFs, and some carry tags. The same arguments always give
the same pool (a fixed random seed).

Guests are written through ``BulkWriter``: tens of thousands of records stored one by one would
pay, for every record, the copy of growing reverse-relation lists (``SR.VDIs``, ``network.VIFs``)
and a change-log entry nobody can read yet.
"""
from __future__ import annotations

import copy
import gc
import random
from collections import defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable

from ..errors import XapiError
from ..semantics.vm.placement import refresh_host_memory
from ..store import NULL_REF, Store
from .builder import GiB, MiB, PoolBuilder, format_uuid4
from .demo import DEMO_PASSWORD, ISO_NAMES

if TYPE_CHECKING:
    from ..context import SimulatorView

SEED = 2024
# Power states and how often each occurs, out of 100 VMs.
POWER_STATE_WEIGHTS = (("Running", 82), ("Halted", 10), ("Suspended", 5), ("Paused", 3))
MEMORY_CHOICES = (1 * GiB, 2 * GiB, 2 * GiB, 4 * GiB, 8 * GiB)
VCPU_CHOICES = (1, 2, 2, 4)
TAG_CHOICES = ((), (), (), ("web",), ("web", "production"), ("db",), ("db", "production"), ("batch",))
# The templates generated VMs were installed from (the default ones, and one long removed); their agents report that OS.
OS_CHOICES = ("Debian Bookworm 12", "Ubuntu Noble Numbat 24.04", "CentOS 7", "Windows Server 2022 (64-bit)")
DOM0_MEMORY = 4 * GiB
MIN_HOST_MEMORY = 256 * GiB


class BulkWriter:
    """Collects new records, then stores them all in one pass (``commit``).

    It has ``Store.create``'s signature so ``PoolBuilder`` can write guests through it. It writes
    into ``store.tables`` / ``store.uuids`` directly, which the store's own API does not offer:
    ``commit`` fills the reverse end of every relation with one copy per target record instead
    of one per new record, and records no change-log entries. Use it only while a pool is being
    built, before it serves clients: nobody can hold an event token older than the new records.
    """

    def __init__(self, store: Store, seed: int = SEED) -> None:
        self.store = store
        self.pending: list[tuple[str, str, dict[str, Any]]] = []
        # Refs and uuids from a seeded generator: uuid4() costs several times more per call.
        self.random = random.Random(seed)
        self._defaults: dict[str, tuple[dict[str, Any], list[tuple[str, Callable[[], Any]]]]] = {}

    def create(self, cls: str, fields: dict[str, Any] | None = None, ref: str | None = None) -> str:
        record = self._default_record(cls, fields or {})
        if not record["uuid"]:
            record["uuid"] = format_uuid4(self.random.getrandbits(128))
        ref = ref or f"OpaqueRef:{format_uuid4(self.random.getrandbits(128))}"
        self.pending.append((cls, ref, record))
        return ref

    def _default_record(self, cls: str, fields: dict[str, Any]) -> dict[str, Any]:
        """Defaults overlaid with ``fields``; only the defaults kept get a fresh list or dict."""
        cached = self._defaults.get(cls)
        if cached is None:
            defaults = self.store.schema.default_record(cls)
            fresh = [(name, _fresh_copier(value)) for name, value in defaults.items() if isinstance(value, (list, dict))]
            cached = self._defaults[cls] = (defaults, fresh)
        defaults, fresh = cached
        if not fields.keys() <= defaults.keys():
            unknown = sorted(fields.keys() - defaults.keys())[0]
            raise XapiError("INTERNAL_ERROR", f"{cls} has no field {unknown}")
        record = {**defaults, **fields}
        for name, make in fresh:
            if name not in fields:
                record[name] = make()
        return record

    def commit(self) -> None:
        """Store every pending record, link the reverse ends of relations, refresh derived fields."""
        store = self.store
        with store.lock:
            for cls, ref, record in self.pending:
                store.tables[cls][ref] = record
                store.uuids[cls][record["uuid"]] = ref
            touched = self._link_reverse_ends()
            # Each record once, after every relation is in place: derivers may read related records.
            # Updated in place: every record here is a dict this commit made, not yet seen by anyone.
            refreshed = dict.fromkeys([(cls, ref) for cls, ref, _record in self.pending] + sorted(touched))
            for cls, ref in refreshed:
                derive = store.derived.get(cls)
                if derive is not None:
                    record = store.tables[cls][ref]
                    record.update(derive(store, record))
            self.pending = []

    def _link_reverse_ends(self) -> set[tuple[str, str]]:
        """Point the other end of each relation at the new records; returns the records changed."""
        store = self.store
        additions: dict[tuple[str, str, str], list[str]] = defaultdict(list)
        relations = {cls: list(ends.items()) for cls, ends in store.relations.items()}
        for cls, ref, record in self.pending:
            for fname, (other_cls, other_field, _other_is_set) in relations.get(cls, ()):
                value = record[fname]
                if not value or value == NULL_REF:
                    continue
                for target in value if isinstance(value, list) else (value,):
                    additions[(other_cls, target, other_field)].append(ref)
        touched: set[tuple[str, str]] = set()
        for (other_cls, target, other_field), refs in additions.items():
            table = store.tables[other_cls]
            current = table.get(target)
            if current is None:
                continue  # a dangling ref, which Store.create tolerates too
            value = current[other_field]
            if isinstance(value, list):
                present = set(value)
                new_value: Any = list(value)
                for ref in refs:
                    if ref not in present:
                        present.add(ref)
                        new_value.append(ref)
            else:
                new_value = refs[-1]
            if new_value != value:
                table[target] = {**current, other_field: new_value}
                touched.add((other_cls, target))
        return touched


def _fresh_copier(value: list[Any] | dict[str, Any]) -> Callable[[], Any]:
    """A function making new copies of a default list or dict: records must never share one."""
    if not value:
        return type(value)
    return lambda: copy.deepcopy(value)


@dataclass
class GuestPlan:
    """One VM to create: decided before the hosts exist so they can be sized for their guests."""

    name: str
    power_state: str
    host_index: int
    memory: int
    vcpus: int
    disks: list[tuple[str, int]]
    network_indexes: list[int]
    tags: list[str]
    os_name: str

    @property
    def resident(self) -> bool:
        return self.power_state in ("Running", "Paused")


@dataclass
class PoolPlan:
    hosts: int
    guests: list[GuestPlan] = field(default_factory=list)

    def resident_memory(self) -> list[int]:
        used = [0] * self.hosts
        for guest in self.guests:
            if guest.resident:
                used[guest.host_index] += guest.memory
        return used

    def host_memory(self) -> int:
        """One size for every host: room for its dom0 and the busiest host's guests, with headroom."""
        busiest = max(self.resident_memory(), default=0) + DOM0_MEMORY
        size = MIN_HOST_MEMORY
        while size < busiest * 5 // 4:
            size *= 2
        return size


def plan_pool(hosts: int, vms: int, seed: int = SEED) -> PoolPlan:
    rng = random.Random(seed)
    states = [state for state, weight in POWER_STATE_WEIGHTS for _repeat in range(weight)]
    plan = PoolPlan(hosts)
    for index in range(vms):
        name = f"vm{index + 1:05d}"
        disks = [(f"{name} root", rng.choice((10, 20, 40)) * GiB)]
        if rng.random() < 0.4:
            disks.append((f"{name} data", rng.choice((50, 100, 200)) * GiB))
        plan.guests.append(GuestPlan(
            name=name, power_state=rng.choice(states), host_index=index % hosts,
            memory=rng.choice(MEMORY_CHOICES), vcpus=rng.choice(VCPU_CHOICES), disks=disks,
            network_indexes=[0, 1] if rng.random() < 0.3 else [0], tags=list(rng.choice(TAG_CHOICES)),
            os_name=rng.choice(OS_CHOICES),
        ))
    return plan


def host_address(index: int) -> str:
    """127.0.0.1 .. 127.0.0.254, then 127.0.1.1 ...: every host gets its own loopback address."""
    return f"127.0.{index // 254}.{index % 254 + 1}"


def build_generated(sim: "SimulatorView", hosts: int, vms: int) -> None:
    # Building allocates hundreds of thousands of long-lived dicts and lists: the cyclic garbage
    # collector would rescan them all many times over (nearly half the start-up time) and find
    # nothing to free. It is paused while building, and what was built is frozen out of its
    # reach afterwards (records hold no reference cycles; reference counting frees them).
    collecting = gc.isenabled()
    gc.disable()
    try:
        _build(sim, hosts, vms)
    finally:
        gc.freeze()
        if collecting:
            gc.enable()


def _build(sim: "SimulatorView", hosts: int, vms: int) -> None:
    plan = plan_pool(max(1, hosts), max(0, vms))
    b = PoolBuilder(sim, seed=SEED)
    b.pool("generated-pool")
    host_memory = plan.host_memory()
    host_refs = [b.host(f"host{index + 1}", host_address(index), memory=host_memory) for index in range(plan.hosts)]
    for index, host in enumerate(host_refs):
        b.sr(f"Local storage on host{index + 1}", "lvm", 500 * GiB, [host], device_config={"device": "/dev/sdb"})
    guest_disk_total = sum(size for guest in plan.guests for _name, size in guest.disks)
    nfs = b.sr("NFS storage", "nfs", max(2048 * GiB, guest_disk_total * 2), host_refs, shared=True, default=True,
               device_config={"server": "192.0.2.10", "serverpath": "/export/vms", "nfsversion": "4.1"})
    iso = b.sr("ISO library", "iso", 100 * GiB, host_refs, shared=True, content_type="iso",
               device_config={"location": "192.0.2.10:/export/iso", "type": "nfs_iso"})
    for name in ISO_NAMES:
        b.vdi(iso, name, 700 * MiB, read_only=True, location=name)
    networks = [b.network("Pool-wide network associated with eth0", "xenbr0", "eth0", management=True),
                b.network("Pool-wide network associated with eth1", "xenbr1", "eth1")]
    b.network("Host internal management network", "xenapi", None,
              other_config={"is_guest_installer_network": "true", "is_host_internal_management_network": "true"})
    b.default_templates()
    _add_guests(sim, plan, host_refs, networks, nfs)
    for host in host_refs:
        refresh_host_memory(sim.store, host)
    sim.users["root"] = DEMO_PASSWORD


def _add_guests(sim: "SimulatorView", plan: PoolPlan, host_refs: list[str], networks: list[str], sr: str) -> None:
    writer = BulkWriter(sim.store)
    guests = PoolBuilder(sim, seed=SEED + 1, writer=writer)
    for guest in plan.guests:
        guests.vm(guest.name, memory=guest.memory, vcpus=guest.vcpus, power_state=guest.power_state,
                  host=host_refs[guest.host_index], disks=guest.disks, sr=sr, base_template=guest.os_name,
                  networks=[networks[index] for index in guest.network_indexes], tags=guest.tags)
    writer.commit()
    guests.settle_space()
