# Copyright: (c) 2026, xen.xapi maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the families share: the planning context, changes that need the VM off, and map writers."""

from __future__ import annotations

import dataclasses
import typing as t

from ansible_collections.xen.xapi.plugins.module_utils import _engine, _journal
from ansible_collections.xen.xapi.plugins.module_utils._xapi import client as xapi_client, guest_tools, tasks
from ansible_collections.xen.xapi.plugins.module_utils.vm import view as vm_view

Params = t.Mapping[str, t.Any]


@dataclasses.dataclass
class VmChange(_engine.Change):
    """A change of the shared engine, which may need the VM halted to be applied."""

    offline: bool = False


def change(option: str, before: t.Any, after: t.Any, apply: t.Callable[[], None], offline: bool = False,
           predict: t.Optional[t.Callable[[vm_view.Record], None]] = None) -> VmChange:
    return VmChange(option=option, before=before, after=after, apply=apply, offline=offline, predict=predict)


def sets(key: str, value: t.Any) -> t.Callable[[vm_view.Record], None]:
    """A prediction that sets one key of the returned VM (when the shown value is not what is returned)."""
    def predict(vm: vm_view.Record) -> None:
        vm[key] = value
    return predict


def in_list(key: str, match: t.Callable[[vm_view.Record], bool], **values: t.Any) -> t.Callable[[vm_view.Record], None]:
    """A prediction that updates the item of a returned list (disks, networks) that `match` picks."""
    def predict(vm: vm_view.Record) -> None:
        for item in vm.get(key) or []:
            if match(item):
                item.update(values)
    return predict


def appends(key: str, item: vm_view.Record) -> t.Callable[[vm_view.Record], None]:
    def predict(vm: vm_view.Record) -> None:
        vm.setdefault(key, []).append(dict(item))
    return predict


def removes(key: str, match: t.Callable[[vm_view.Record], bool]) -> t.Callable[[vm_view.Record], None]:
    def predict(vm: vm_view.Record) -> None:
        vm[key] = [item for item in vm.get(key) or [] if not match(item)]
    return predict


class PowerTracker:
    """The VM's power state as the plan unfolds: power changes update it when they apply, and
    device changes read it then, to hot-plug only into a running VM."""

    def __init__(self, state: str) -> None:
        self.state = state
        # Set when this run (re)booted the VM: what was read of its guest tools no longer holds.
        self.booted = False

    @property
    def running(self) -> bool:
        return self.state == vm_view.RUNNING


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


# xen_vm can make the change itself with the VM halted for a moment.
_HOTPLUG_ADVICE = ("Install the guest tools (PV drivers) in the VM, raise guest_tools_timeout if they start slowly, or make the change "
                   "with the VM halted (state: halted, or force: true to restart it around the change).")


@dataclasses.dataclass
class PlanContext:
    """What every family plans against: the options, the VM as read, and how to reach the server.

    `journal` is the run's record (see _journal): objects made in an earlier round of the run are
    found there, so that a round after a dropped connection reuses them instead of making them twice.
    """

    client: xapi_client.XapiClient
    params: Params
    view: vm_view.VmView
    journal: _journal.Journal = dataclasses.field(default_factory=_journal.Journal)
    tracker: PowerTracker = dataclasses.field(init=False)
    maps: t.Dict[str, MapWriter] = dataclasses.field(init=False)
    tools_seen: t.Set[str] = dataclasses.field(init=False, default_factory=set)
    # Notes for the user (module warnings) from planning.
    warnings: t.List[str] = dataclasses.field(init=False, default_factory=list)

    def __post_init__(self) -> None:
        record = self.view.record
        self.tracker = PowerTracker(self.view.power_state)
        self.maps = dict((field, MapWriter(self, field, record.get(field) or {})) for field in ("platform", "HVM_boot_params"))

    @property
    def vm_ref(self) -> str:
        return self.view.ref

    @property
    def pool(self) -> vm_view.PoolObjects:
        return self.view.pool

    @property
    def record(self) -> t.Dict[str, t.Any]:
        return self.view.record

    def call(self, method: str, *args: t.Any) -> t.Any:
        return self.client.call(method, *args)

    def made(self, cls: str, ref: t.Any) -> None:
        """Note an object made for the VM (a VBD, VDI or VIF), so the read after the changes includes it (VmView.made)."""
        self.view.made.setdefault(cls, []).append(str(ref))

    def run(self, method: str, *args: t.Any, timeout: t.Optional[float] = None) -> t.Any:
        """A long operation, as a task waited for on events (within task_timeout unless told otherwise)."""
        if timeout is None:
            timeout = float(self.params.get("task_timeout") or tasks.DEFAULT_TASK_TIMEOUT)
        return tasks.run_async(self.client, method, *args, timeout=timeout)

    def change_state(self, method: str, ref: str, *args: t.Any, timeout: t.Optional[float] = None) -> None:
        """An operation that brings an object (the VM, a drive, an interface) to a state, in one plain call
        (run_state_change: an answer that is late or lost is settled by the object's state)."""
        if timeout is None:
            timeout = float(self.params.get("task_timeout") or tasks.DEFAULT_TASK_TIMEOUT)
        tasks.run_state_change(self.client, method, ref, *args, timeout=timeout)

    def needs_plugging(self, device: vm_view.Record) -> bool:
        """Whether a listed disk or interface needs plugging in: the VM runs, or is paused and about to run, and
        the device is not attached (left so by a run that lost its connection, or added while the VM was paused)."""
        state = self.params.get("state") or "present"
        if self.view.power_state == vm_view.RUNNING:
            will_run = state in ("present", "running")
        else:
            will_run = self.view.power_state == vm_view.PAUSED and state == "running"
        return will_run and not device.get("currently_attached")

    def added_while_paused(self, option: str) -> None:
        """A device added to a paused VM that stays paused cannot be plugged in now: say when it will be."""
        if self.view.power_state == vm_view.PAUSED and (self.params.get("state") or "present") in ("present", "paused"):
            self.warnings.append("{0}: the VM is paused, so the new device is attached but not plugged in; it is plugged in when "
                                 "the VM runs again through this module (state: running).".format(option))

    def ensure_tools(self, need: str, option: str) -> None:
        """Before an operation that needs the guest's tools in the running VM: wait until they are up.

        Free when the VM was read with its tools already up; otherwise waits on events, within
        guest_tools_timeout, and fails with what to do about it.
        """
        if not self.tracker.running or need in self.tools_seen:
            return
        if not self.tracker.booted and guest_tools.tools_state(self.record, self.view.guest_metrics, need) == guest_tools.READY:
            self.tools_seen.add(need)
            return
        timeout = float(self.params.get("guest_tools_timeout", guest_tools.DEFAULT_GUEST_TOOLS_TIMEOUT) or 0)
        advice = _HOTPLUG_ADVICE if need in (guest_tools.HOTPLUG_DISK, guest_tools.HOTPLUG_NIC) else None
        guest_tools.ensure_tools(self.client, self.vm_ref, self.record, need, timeout, option, advice)
        self.tools_seen.add(need)


def once(apply: t.Callable[[], None]) -> t.Callable[[], None]:
    """An apply shared by several reported changes that one call makes (e.g. all memory limits)."""
    done: t.List[bool] = []

    def run() -> None:
        if not done:
            done.append(True)
            apply()
    return run
