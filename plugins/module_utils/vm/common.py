# Copyright: (c) 2026, xen.xapi maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the families share: the planning context, changes that need the VM off, and map writers."""

from __future__ import annotations

import dataclasses
import typing as t

from ansible_collections.xen.xapi.plugins.module_utils._client import XapiClient
from ansible_collections.xen.xapi.plugins.module_utils._engine import Change
from ansible_collections.xen.xapi.plugins.module_utils._tasks import run_async
from ansible_collections.xen.xapi.plugins.module_utils.vm.view import RUNNING, PoolObjects, VmView

Params = t.Mapping[str, t.Any]


@dataclasses.dataclass
class VmChange(Change):
    """A change of the shared engine, which may need the VM halted to be applied."""

    offline: bool = False


def change(option: str, before: t.Any, after: t.Any, apply: t.Callable[[], None], offline: bool = False) -> VmChange:
    return VmChange(option=option, before=before, after=after, apply=apply, offline=offline)


class PowerTracker:
    """The VM's power state as the plan unfolds: power changes update it when they apply, and
    device changes read it then, to hot-plug only into a running VM."""

    def __init__(self, state: str) -> None:
        self.state = state

    @property
    def running(self) -> bool:
        return self.state == RUNNING


class MapWriter:
    """One (string -> string) map field of the VM, written whole with its set_ message.

    Several changes may touch the same map (firmware and cores_per_socket both live in `platform`):
    each applies its keys to the map as the previous ones left it, so none undoes another.
    """

    def __init__(self, ctx: PlanContext, field: str, current: t.Mapping[str, str]) -> None:
        self.ctx = ctx
        self.field = field
        self.current = dict(current)

    def write(self, updates: t.Mapping[str, t.Optional[str]]) -> None:
        """Set keys (a None value removes the key) and send the whole map."""
        target = dict(self.current)
        for key, value in updates.items():
            if value is None:
                target.pop(key, None)
            else:
                target[key] = value
        self.ctx.call("VM.set_" + self.field, self.ctx.vm_ref, target)
        self.current = target


@dataclasses.dataclass
class PlanContext:
    """What every family plans against: the options, the VM as read, and how to reach the server."""

    client: XapiClient
    params: Params
    view: VmView
    tracker: PowerTracker = dataclasses.field(init=False)
    maps: t.Dict[str, MapWriter] = dataclasses.field(init=False)

    def __post_init__(self) -> None:
        record = self.view.record
        self.tracker = PowerTracker(self.view.power_state)
        self.maps = dict((field, MapWriter(self, field, record.get(field) or {})) for field in ("platform", "HVM_boot_params"))

    @property
    def vm_ref(self) -> str:
        return self.view.ref

    @property
    def pool(self) -> PoolObjects:
        return self.view.pool

    @property
    def record(self) -> t.Dict[str, t.Any]:
        return self.view.record

    def call(self, method: str, *args: t.Any) -> t.Any:
        return self.client.call(method, *args)

    def run(self, method: str, *args: t.Any, timeout: t.Optional[float] = None) -> t.Any:
        """A long operation, as a task waited for on events."""
        if timeout is None:
            return run_async(self.client, method, *args)
        return run_async(self.client, method, *args, timeout=timeout)


def once(apply: t.Callable[[], None]) -> t.Callable[[], None]:
    """An apply shared by several reported changes that one call makes (e.g. all memory limits)."""
    done: t.List[bool] = []

    def run() -> None:
        if not done:
            done.append(True)
            apply()
    return run
