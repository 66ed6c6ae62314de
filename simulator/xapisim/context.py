"""What a handler sees: the call it serves (``CallContext``) and the pool it acts on (``SimulatorView``).

The semantic layer, the generic layer and the scenarios type against these two names only, so
none of them imports the core that dispatches to them (``core.Simulator`` satisfies the view).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Optional, Protocol

from .store import NULL_REF, Store

if TYPE_CHECKING:
    from .disk_contents import DiskContents
    from .faults import Faults, Stats
    from .pace import Pace
    from .schema import Schema
    from .session_table import SessionTable
    from .task_table import TaskTable
    from .update_catalog import UpdateCatalog


class Peers(Protocol):
    """The other pools this process serves, by address: what pool.join and pool.eject reach (``lan.py``)."""

    def pool_at(self, address: str) -> Optional["SimulatorView"]: ...

    def join(self, address: str, name: str, pool: "SimulatorView") -> None: ...

    def ejected(self, address: str, name: str, pool: "SimulatorView") -> None: ...


class SimulatorView(Protocol):
    """The simulated pool as handlers use it: its store and schema, its tables (sessions, tasks, disk contents), its hosts and its pace."""

    schema: Schema
    store: Store
    users: dict[str, str]
    pace: Pace
    stats: Stats
    faults: Faults
    sessions: SessionTable
    tasks: TaskTable
    disks: DiskContents
    updates: UpdateCatalog
    # Set by the HTTP front: starts a listener for a host that joins at run time.
    host_joined: Optional[Callable[[int, str], None]]
    # Set by the command line when it serves several pools (standalone hosts): None otherwise.
    peers: Optional[Peers]

    @property
    def hosts(self) -> list[tuple[str, str]]: ...

    @property
    def host_refs(self) -> list[str]: ...

    @property
    def master_ref(self) -> str: ...

    @property
    def master_index(self) -> int: ...

    @property
    def durations(self) -> dict[str, float]: ...

    def duration(self, method: str, args: list[Any] | None = None) -> float: ...


@dataclass
class CallContext:
    """What a handler knows about the call it serves."""

    sim: SimulatorView
    method: str
    session: str = NULL_REF
    host: str = NULL_REF
    task: str | None = None
    # Seconds the operation takes at the pool's pace; set for Async calls before the task starts.
    duration: float = 0.0

    @property
    def store(self) -> Store:
        return self.sim.store
