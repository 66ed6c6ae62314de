# Copyright: (c) 2026, xen.xapi maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The VM resource of the shared reconcile path: the families' plans put in the order they apply.

    power steps that stop the VM ─▶ hardware, boot, metadata, disks, CD, networks
        ─▶ power steps that start it ─▶ live migration ─▶ wait for the guest's addresses

A no-op run reads the VM with the pool objects (and the template it would be made from), its devices, and its disks
(three round trips; see reader), the last of them with the logout, and writes nothing; a power transition reads the
disks only with the VM after it. The pool objects are read once per round.
"""

from __future__ import annotations

import typing as t

from ansible_collections.xen.xapi.plugins.module_utils import _engine, _journal
from ansible_collections.xen.xapi.plugins.module_utils._xapi import client as xapi_client, codec, errors, tasks
from ansible_collections.xen.xapi.plugins.module_utils.vm import (
    boot,
    cdrom,
    cloud_init,
    common,
    disks,
    guest,
    hardware,
    last_run,
    metadata,
    networks,
    options,
    placement,
    power,
    present,
    reader,
    view as vm_view,
)

CONFIG_FAMILIES = (hardware, boot, metadata, disks, cdrom, networks, cloud_init)
# Journal keys: the VM this run made, and whether making it (copy and provisioning) is still under way.
CREATED_VM, CREATION_PENDING = "vm", "vm/creation-pending"


class VmPlan(t.NamedTuple):
    changes: t.List[common.VmChange]
    final_state: str
    warnings: t.List[str]


def plan_changes(client: xapi_client.XapiClient, params: options.Params, view: vm_view.VmView, journal: t.Optional[_journal.Journal] = None,
                 end_early: bool = False) -> VmPlan:
    """Every change the options ask of this VM, in the order they must be applied.

    With ``end_early``, a run that has found nothing to change by the time it needs the VM's disks ends its session
    with their read (see _read_disks_last).
    """
    ctx = common.PlanContext(client, params, view, journal or _journal.Journal())
    host = placement.target_host(ctx)
    config: t.List[common.VmChange] = []
    for family in CONFIG_FAMILIES:
        if family is disks and end_early and not config:
            _read_disks_last(ctx, host)
        config += family.plan(ctx)
    power_plan = power.plan(ctx, config, host)
    migration = placement.plan(ctx, host, power_plan)
    return VmPlan(power_plan.before + config + power_plan.after + migration, power_plan.final_state or view.power_state, ctx.warnings)


def _read_disks_last(ctx: common.PlanContext, host: t.Optional[str]) -> None:
    """Read the VM's disks now, with the logout, when the run most likely changes nothing: a round trip less.

    Called once hardware, boot and metadata asked for nothing: if the power state stays and the VM is where asked,
    what is left to plan (disks, CD, interfaces, cloud-init) rarely differs, and the disks' read is then the run's
    last. Should something differ all the same, the client logs in again before its first call: a round trip more,
    for those runs only. Only when the disks are still to be read (those the options give need them), so that the
    logout never goes with another read.
    """
    vdis = ctx.view.vdis
    if not (isinstance(vdis, vm_view.LazyRecords) and vdis.pending and ctx.params.get("disks")):
        return
    if not power.stays(ctx.view.power_state, ctx.params.get("state") or "present", bool(ctx.params.get("force"))):
        return
    if host is not None and host != ctx.record.get("resident_on"):
        return
    if _devices_will_change(ctx.params, ctx.view):
        return
    ctx.client.end_with_next_read()
    vdis.load()


def _devices_will_change(params: options.Params, view: vm_view.VmView) -> bool:
    """Whether the drives and interfaces as read already show a change the options ask for (more disks or interfaces
    than the VM has, a disk given by name, a CD to insert into an empty drive or to eject), or cloud-init is asked,
    whose drive only the disks' records tell. False tells nothing: the plan decides."""
    wanted_disks = params.get("disks") or []
    disk_drives = view.vbds_of_type("Disk")
    if len(wanted_disks) > len(disk_drives) or any(disk.get("vdi") for disk in wanted_disks):
        return True
    if params.get("purge_disks") and len(disk_drives) > len(wanted_disks):
        return True
    wanted_networks = params.get("networks")
    if wanted_networks is not None and (len(wanted_networks) > len(view.vifs)
                                        or (params.get("purge_networks") and len(view.vifs) > len(wanted_networks))):
        return True
    cdrom = params.get("cdrom")
    if cdrom is not None:
        loaded = [vbd for _ref, vbd in view.cd_drives() if not vbd.get("empty")]
        if bool(cdrom.get("iso")) != bool(loaded):
            return True
    return bool(params.get("cloud_init"))


class VmResource(_engine.Resource):
    result_key = "vm"
    # With the references of the last run, the VM, its devices and its disks come in the first read (see last_run).
    reads_at_once = True
    unkeyed_options = ("cloud_init",)

    def __init__(self, *args: t.Any, **kwargs: t.Any) -> None:
        super().__init__(*args, **kwargs)
        self.view: t.Optional[vm_view.VmView] = None
        self.stale = False
        self.first: t.Optional[reader.FirstRead] = None
        self.timeout = float(self.params.get("task_timeout") or tasks.DEFAULT_TASK_TIMEOUT)
        # The VM a creation would make, and the steps after it, as planned (for check mode's changes and diff).
        self._prospect: t.Optional[t.Tuple[vm_view.VmView, t.List[common.VmChange]]] = None

    # -- hooks of the reconcile path -------------------------------------------------------------
    @classmethod
    def check_params(cls, params: t.Mapping[str, t.Any]) -> None:
        options.check_top_level(params)
        guest.check_networks(params.get("wait_for_ip_networks") or ())

    def locate(self) -> _engine.Found:
        if self.journal.recall(CREATION_PENDING):
            # This run's copy is still a template, which a name lookup would take for a template made from a VM:
            # reported as not there yet, it is taken up by the creation (plan_create), which finishes it.
            return None
        found = self._made_by_this_run()
        if found is None:
            self.first = reader.first_read(self.client, self.params, may_create=self.wanted_state() != "absent", last=self._last_run())
            found = self.first.vm
        if found is not None:
            whole = self.first.whole if self.first is not None else None
            self.view = whole or reader.read_view(self.client, *found, pool=self.first.pool if self.first is not None else None)
        return found

    def _last_run(self) -> t.Optional[last_run.LastRun]:
        """The references the last run with these options found, for the first read of this run's first round."""
        if self.journal.rounds > 1 or self.journal.wrote:
            return None
        return last_run.recalled(self.last_run)

    def facts_to_keep(self, result: _engine.Record) -> t.Dict[str, t.Any]:
        found = self.view is not None and bool(result.get(self.result_key))
        return last_run.facts(self.view if found else None)

    def new_round(self) -> None:
        self.view, self.stale, self.first = None, True, None

    def _made_by_this_run(self) -> _engine.Found:
        """The VM an earlier round of this run made, once it is complete (not a template any more).

        Found by its reference, not by name: a name can match another VM made meanwhile.
        """
        ref = self.journal.recall(CREATED_VM)
        if ref is None:
            return None
        return ref, codec.normalize_record("VM", self.client.call("VM.get_record", ref))

    def present(self, ref: t.Optional[str]) -> _engine.Record:
        if ref is None:
            return {}
        if self.view is None or self.view.ref != ref or self.stale:
            self.view, self.stale = reader.reread(self.client, ref, self.view), False
        return present.present(self.view)

    def plan_update(self, ref: str, record: _engine.Record) -> t.List[_engine.Change]:
        view = self.located()
        # Waiting for addresses reads after planning, and a round after one that wrote reads the VM again: neither ends early.
        waits = bool(self.params.get("wait_for_ip")) and not self._addresses_reported(view)
        planned = plan_changes(self.client, self.params, view, self.journal, end_early=not waits and not self.journal.wrote)
        for warning in planned.warnings:
            self.module.warn(warning)
        changes = [self._tracked(c) for c in planned.changes]
        missing = self._must_wait(planned.final_state, view)
        if self.params.get("wait_for_ip") and changes:
            changes[-1] = self._then_wait(changes[-1], ref)
        elif missing and not self.module.check_mode:
            # Nothing to change, addresses to wait for: the VM is presented after the wait (marked stale by it).
            self.wait(ref)
        return list(changes)

    def plan_create(self) -> t.Callable[[], str]:
        name = self.params.get("name")
        if self.params.get("uuid") or not name:
            raise errors.ResourceError("uuid: no VM has uuid {0!r}; to create a VM, leave uuid out and give its name and a template or source."
                                       .format(self.params.get("uuid")))
        if not self.params.get("template") and not self.params.get("source"):
            raise errors.ResourceError("VM {0!r} does not exist; give template (or source) to create it.".format(name))
        # Imported here: only a run that makes the VM needs it (and XML parsing with it); every other run starts faster.
        from ansible_collections.xen.xapi.plugins.module_utils.vm import create  # pylint: disable=import-outside-toplevel

        creation = create.plan(self.client, self.params, self.first)
        # Check the other options against the VM-to-be, so mistakes fail before anything is made.
        prospect = plan_changes(self.client, self.params, creation.prospect)
        self._must_wait(prospect.final_state, creation.prospect)
        self._prospect = (creation.prospect, prospect.changes)

        def make() -> str:
            # Resumable: a round after a dropped connection finds the VM an earlier one made, or takes up the
            # copy's task if the connection dropped while it ran (run_async).
            ref = self.journal.recall(CREATED_VM)
            fresh = ref is None
            if ref is None:
                if self.journal.recall(CREATION_PENDING) is None:
                    # Marked before the copy starts: until it is complete, a VM of this name may be this run's copy.
                    self.journal.remember(CREATION_PENDING, name)
                ref = creation.copy(self.client, name, self.params.get("linked_clone", True), self.timeout)
                self.journal.remember(CREATED_VM, ref)
            try:
                creation.complete(self.client, ref, self.timeout, fresh=fresh)
            except errors.XapiError as err:
                raise creation.discard(self.client, ref, name, err, self.timeout)
            self.journal.forget(CREATION_PENDING)
            self.journal.object_created()
            # Kept as the view the final read starts from (see reread), marked stale for the steps below.
            self.view, self.stale = reader.reread(self.client, ref, pool=creation.prospect.pool), True
            planned = plan_changes(self.client, self.params, self.view, self.journal)
            for step in planned.changes:
                self.journal.run(step)
            if self.params.get("wait_for_ip"):
                self.wait(ref)
            return ref
        return make

    def predict_created(self) -> _engine.Record:
        view, _steps = self._prospect or (None, [])
        return dict(present.present(view), uuid=None) if view is not None else {}

    def create_steps(self) -> t.List[_engine.Change]:
        return list(self._prospect[1]) if self._prospect else []

    def plan_delete(self, ref: str, record: _engine.Record) -> t.List[_engine.Change]:
        view = self.located()
        ctx = common.PlanContext(self.client, self.params, view, self.journal)
        changes: t.List[_engine.Change] = []
        if view.power_state in (vm_view.RUNNING, vm_view.PAUSED):
            def stop() -> None:
                if ctx.tracker.state == vm_view.PAUSED:
                    ctx.change_state("VM.hard_shutdown", ref)
                else:
                    # The VM is going: a guest that ignores the clean shutdown is stopped hard.
                    power.clean_or_hard(ctx, "shutdown", force=True)
            changes.append(common.change("power_state", vm_view.STATE_NAMES[view.power_state], "halted", stop))
        owned = [] if self.params.get("keep_disks") else [vbd["VDI"] for _r, vbd in view.disks() if view.owns_vdi(vbd.get("VDI", ""))]

        def destroy() -> None:
            ctx.run("VM.destroy", ref)
            for vdi in owned:
                ctx.run("VDI.destroy", vdi)
        changes.append(common.change("state", "present", "absent", destroy))
        return changes

    # -- helpers -----------------------------------------------------------------------------------
    def located(self) -> vm_view.VmView:
        """The VM read by locate(); the engine only plans changes for a VM it found."""
        if self.view is None:
            raise AssertionError("plan called before locate found the VM")
        return self.view

    def _tracked(self, step: common.VmChange) -> common.VmChange:
        """The change, marking the VM as read stale once it has applied."""
        apply = step.apply

        def run() -> None:
            apply()
            self.stale = True
        step.apply = run
        return step

    def _must_wait(self, final_state: str, view: vm_view.VmView) -> bool:
        if not self.params.get("wait_for_ip"):
            return False
        if final_state != vm_view.RUNNING:
            raise errors.ResourceError("wait_for_ip: the VM will be {0}; only a running VM reports addresses. Give state: running."
                                       .format(vm_view.STATE_NAMES.get(final_state, final_state.lower())))
        # Addresses a running VM reports already do; after any change they are waited for again.
        return not self._addresses_reported(view)

    def _addresses_reported(self, view: vm_view.VmView) -> bool:
        return view.power_state == vm_view.RUNNING and guest.has_addresses(view.guest_metrics, self.params["wait_for_ip_families"],
                                                                           self.params.get("wait_for_ip_networks") or ())

    def _then_wait(self, last: common.VmChange, ref: str) -> common.VmChange:
        apply = last.apply

        def run() -> None:
            apply()
            self.wait(ref)
        last.apply = run
        return last

    def wait(self, ref: str) -> None:
        metrics, _record = guest.wait_for_ip(self.client, ref, self.params["wait_for_ip_families"], float(self.params["wait_for_ip_timeout"]),
                                             self.params.get("wait_for_ip_networks") or ())
        if self.view is not None and self.view.ref == ref:
            # The agent may have come up during the wait: the read after it asks for its metrics with the rest.
            self.view.made.setdefault("VM_guest_metrics", []).append(metrics)
        self.stale = True
