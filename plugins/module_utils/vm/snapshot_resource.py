# Copyright: (c) 2026, xen.xapi maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""xen_vm_snapshot's resource: the snapshots of one VM, taken, deleted, pruned and reverted to.

The reconcile engine's object is the VM, which is always there once found: taking a snapshot,
retention and reverting are all changes planned against it, so check mode, diff mode and the list
of changes come from the engine like for every other module. What is returned under ``snapshot``
is the snapshot the options name.

Reads: the VM (one ``VM.get_all_records_where``), then, when it has snapshots, their records with their drives,
then their disks (one call each); so an unchanged run costs six calls in five round trips with login and logout,
and a VM without snapshots three.
"""

from __future__ import annotations

import typing as t

from ansible_collections.xen.xapi.plugins.module_utils import _engine
from ansible_collections.xen.xapi.plugins.module_utils._xapi import client as xapi_client, errors, guest_tools, query, tasks
from ansible_collections.xen.xapi.plugins.module_utils.vm import snapshots

# A plain VM: not a template (snapshots are templates too) and not a control domain.
_PLAIN_VM = query.where(is_a_template=False, is_control_domain=False)
# The arguments VM.start and VM.resume take after the VM: start_paused, force.
_POWER_ARGUMENTS = {"VM.start": (False, False), "VM.resume": (False, False)}


def reattached_drive(vm_ref: str, disk: snapshots.Disk, taken: t.Collection[str]) -> _engine.Record:
    """A drive for a disk the snapshot left out, as it was: same position unless the snapshot's drives took it."""
    vbd = disk.vbd
    position = str(vbd.get("userdevice", ""))
    return {"VM": vm_ref, "VDI": disk.vdi_ref, "userdevice": position if position and position not in taken else "autodetect",
            "bootable": bool(vbd.get("bootable")), "mode": vbd.get("mode") or "RW", "type": "Disk", "unpluggable": bool(vbd.get("unpluggable")),
            "empty": False, "other_config": dict(vbd.get("other_config") or {}), "qos_algorithm_type": "", "qos_algorithm_params": {}}


def find_vm(client: xapi_client.XapiClient, key: str) -> t.Tuple[str, _engine.Record]:
    """The VM the ``vm`` option names by uuid or name; fails when there is none or several."""
    expr = query.where_all(_PLAIN_VM, query.where_any(query.field_equals("uuid", key), query.field_equals("name__label", key)))
    records = query.get_all_records_where(client, "VM", expr)
    by_uuid = [(ref, record) for ref, record in records.items() if record.get("uuid") == key]
    found = _engine.one_or_none(by_uuid or sorted(records.items()), "vm: the VM name", key)
    if found is None:
        raise errors.ResourceError("vm: no VM is named {0!r} or has that uuid (templates and snapshots are not VMs here).".format(key))
    return found


def read_family(client: xapi_client.XapiClient, vm_ref: str, vm: _engine.Record, with_vm_disks: bool) -> snapshots.SnapshotFamily:
    """The VM's snapshots with their drives and disks (and the VM's own, when asked), in up to three calls and two
    round trips: the snapshots together with their drives (found by their VM field, which holds the snapshot), then
    the disks."""
    family = snapshots.SnapshotFamily(vm_ref, vm)
    snapshot_refs = [ref for ref in vm.get("snapshots") or [] if not snapshots.is_null(ref)]
    own_drives = [ref for ref in vm.get("VBDs") or [] if not snapshots.is_null(ref)] if with_vm_disks else []
    drives = [query.field_equals("VM", ref) for ref in sorted(snapshot_refs)] + ([query.ref_in(own_drives)] if own_drives else [])
    reads = ([("VM", query.ref_in(snapshot_refs))] if snapshot_refs else []) + ([("VBD", query.where_any(*drives))] if drives else [])
    answers = query.read_each(client, reads)
    family.snapshots = answers[0] if snapshot_refs else {}
    family.vbds = answers[-1] if drives else {}
    vdi_refs = [vbd["VDI"] for vbd in family.vbds.values() if vbd.get("type") == "Disk" and not snapshots.is_null(vbd.get("VDI"))]
    if vdi_refs:
        family.vdis = query.snapshot(client, objects={"VDI": vdi_refs})["VDI"]
    return family


class SnapshotResource(_engine.Resource):
    result_key = "snapshot"

    def __init__(self, *args: t.Any, **kwargs: t.Any) -> None:
        super().__init__(*args, **kwargs)
        self._family: t.Optional[snapshots.SnapshotFamily] = None
        self.target: t.Optional[str] = None
        self.stale = False
        self.timeout = float(self.params["task_timeout"])

    # -- reads ------------------------------------------------------------------------------------
    @property
    def family(self) -> snapshots.SnapshotFamily:
        """What is known of the VM and its snapshots, read again after any write."""
        if self._family is None:
            raise RuntimeError("the VM has not been located yet")
        if self.stale:
            vm = self.client.normalize("VM", self.client.call("VM.get_record", self._family.vm_ref))
            self._family, self.stale = read_family(self.client, self._family.vm_ref, vm, False), False
        return self._family

    def locate(self) -> _engine.Found:
        snapshots.check_options(self.params)
        vm_ref, vm = find_vm(self.client, self.params["vm"])
        # The VM's own disks: to resolve ignore_disks, and, for a revert, to attach again those the snapshot left out.
        # (and, for the diff of check mode, to show the disks a new snapshot would hold).
        predicting = self.module.check_mode and self.module.diff_mode
        with_vm_disks = (self.wanted_state() == "present" and (bool(self.params.get("ignore_disks")) or predicting)) \
            or self.wanted_state() == "reverted"
        self._family = read_family(self.client, vm_ref, vm, with_vm_disks)
        self.target = self._find_target()
        return vm_ref, vm

    def _find_target(self) -> t.Optional[str]:
        """The ref of the snapshot the options name, None when the VM has none such."""
        uuid, name = self.params.get("uuid"), self.params.get("name")
        if uuid is not None:
            found = self.family.with_uuid(uuid)
            if found is None:
                self._refuse_foreign(uuid)
        else:
            found = self.family.named(name) if name is not None else None
        return found[0] if found else None

    def _refuse_foreign(self, uuid: str) -> None:
        """Fail when the uuid is another VM's snapshot, or not a snapshot: acting on it would touch the wrong VM."""
        records = query.get_all_records_where(self.client, "VM", query.where(uuid=uuid))
        for record in records.values():
            if not record.get("is_a_snapshot"):
                raise errors.ResourceError("uuid: {0} is the VM or template {1!r}, not a snapshot.".format(uuid, record.get("name_label", "")))
            owner = record.get("snapshot_of")
            owner_name = self.client.call("VM.get_name_label", owner) if not snapshots.is_null(owner) else "(deleted)"
            raise errors.ResourceError("uuid: {0} is snapshot {1!r} of VM {2!r}, not of VM {3!r}; give vm={2!r} to act on it.".format(
                uuid, record.get("name_label", ""), owner_name, self.family.vm_name), owner=owner_name)

    def present(self, ref: t.Optional[str]) -> _engine.Record:
        return self.family.view(self.target) if ref is not None else {}

    def report(self) -> _engine.Record:
        """The result keys beyond ``snapshot``: all the VM's snapshots, and the VM."""
        family = self.family
        return {"snapshots": family.views(), "vm": family.vm_view()}

    # -- plans ------------------------------------------------------------------------------------
    def plan_update(self, ref: str, record: _engine.Record) -> t.List[_engine.Change]:
        if self.wanted_state() == "reverted":
            return self._plan_revert()
        changes: t.List[_engine.Change] = []
        if self.target is not None:
            changes += self._plan_metadata(self.target)
        elif self.params.get("uuid") is not None:
            raise errors.ResourceError("uuid: VM {0!r} has no snapshot with uuid {1}. XAPI chooses the uuid of a new snapshot: "
                                       "to take one, give its name instead.".format(self.family.vm_name, self.params["uuid"]))
        elif self.params.get("name") is not None:
            changes.append(_engine.Change("state", "absent", "present", self._plan_take(), predict=self._predict_take))
        if self.params.get("retain") is not None:
            changes += self._plan_retention(taking=self.target is None and self.params.get("name") is not None)
        return changes

    def plan_delete(self, ref: str, record: _engine.Record) -> t.List[_engine.Change]:
        if self.target is None:
            return []
        return [_engine.Change("state", "present", "absent", self._deletion(self.target))]

    def _plan_metadata(self, snapshot_ref: str) -> t.List[_engine.Change]:
        record = self.family.snapshots[snapshot_ref]
        changes: t.List[_engine.Change] = []
        name, description = self.params.get("name"), self.params.get("description")
        if self.params.get("uuid") is not None and name is not None:
            changes += _engine.field_change("name", record.get("name_label"), name, lambda: self._set(snapshot_ref, "name_label", name))
        if description is not None:
            changes += _engine.field_change("description", record.get("name_description"), description,
                                            lambda: self._set(snapshot_ref, "name_description", description))
        return changes

    def _plan_take(self) -> t.Callable[[], None]:
        family, params = self.family, self.params
        if params.get("with_memory") and family.vm.get("power_state") != snapshots.RUNNING:
            state = snapshots.POWER_NAMES.get(family.vm.get("power_state", ""), family.vm.get("power_state"))
            raise errors.ResourceError("with_memory: VM {0!r} is {1}; a checkpoint saves the memory of a running VM. Start the VM first, "
                                       "or take a disk-only snapshot (with_memory=false).".format(family.vm_name, state), power_state=state)
        ignored = family.ignored_vdis(params["ignore_disks"]) if params.get("ignore_disks") else []

        def take() -> None:
            if params.get("with_memory"):
                self._ensure_tools(family.vm_ref, family.vm)
                ref = tasks.run_async(self.client, "VM.checkpoint", family.vm_ref, params["name"], timeout=self.timeout)
            else:
                # ignore_vdis is a later, optional parameter: left out when empty, older hosts accept the call.
                extra = [ignored] if ignored else []
                ref = tasks.run_async(self.client, "VM.snapshot", family.vm_ref, params["name"], *extra, timeout=self.timeout)
            self.target, self.stale = str(ref), True
            if params.get("description") is not None:
                self._set(self.target, "name_description", params["description"])
        return take

    def _ensure_tools(self, vm_ref: str, vm: _engine.Record) -> None:
        """A checkpoint suspends the guest's devices: a running HVM guest needs its tools up first."""
        guest_tools.ensure_tools(self.client, vm_ref, vm, guest_tools.SUSPEND, float(self.params["guest_tools_timeout"]), "with_memory",
                                 "Install the guest tools (PV drivers) in the VM, raise guest_tools_timeout if they start slowly, or take a "
                                 "disk-only snapshot (with_memory=false).")

    def new_round(self) -> None:
        self.stale = True

    def _predict_take(self, snapshot: _engine.Record) -> None:
        """The snapshot to be taken, as returned (for check mode's diff); XAPI chooses its uuid and time."""
        params, family = self.params, self.family
        ignored = set(family.ignored_vdis(params["ignore_disks"])) if params.get("ignore_disks") else set()
        disks = [dict(disk.view(), uuid=None) for disk in family.disks(family.vm_ref) if disk.vdi_ref not in ignored]
        snapshot.update(uuid=None, name=params["name"], description=params.get("description") or "", time=None,
                        with_memory=bool(params.get("with_memory")), disks=disks)

    def _plan_retention(self, taking: bool) -> t.List[_engine.Change]:
        prefix, ordered = self.params["name_prefix"], self.family.ordered()
        pending = self.params["name"] if taking else None
        victims = snapshots.retention_victims(ordered, prefix, self.params["retain"], keep=self.target, pending_name=pending)
        if not victims:
            return []
        before = [record["name_label"] for ref, record in ordered if record.get("name_label", "").startswith(prefix)]
        after = [record["name_label"] for ref, record in ordered if record.get("name_label", "").startswith(prefix) and ref not in victims]
        if pending is not None and pending.startswith(prefix):
            after.insert(0, pending)
        deletions = [self._deletion(ref) for ref in victims]

        def prune() -> None:
            for delete in deletions:
                delete()
        return [_engine.Change("snapshots", before, after, prune)]

    def _plan_revert(self) -> t.List[_engine.Change]:
        family = self.family
        if self.target is None:
            if self.params.get("uuid") is not None:
                raise errors.ResourceError("uuid: VM {0!r} has no snapshot with uuid {1}.".format(family.vm_name, self.params["uuid"]))
            raise errors.ResourceError(family.describe_missing(self.params["name"]))
        snapshot_ref = self.target
        before = str(family.vm.get("power_state", ""))
        after = snapshots.target_power(self.params.get("power_state_after"), snapshots.is_checkpoint(family.snapshots[snapshot_ref]), before)

        left_out = family.left_out(snapshot_ref)
        taken = family.positions_of(snapshot_ref)

        def revert() -> None:
            tasks.run_async(self.client, "VM.revert", snapshot_ref, timeout=self.timeout)
            self.stale = True
            # The VM now has the snapshot's drives only: the disks left out of it are attached again, before any start.
            for disk in left_out:
                self.client.call("VBD.create", reattached_drive(family.vm_ref, disk, taken))
            current = str(self.client.call("VM.get_power_state", family.vm_ref))
            for method in snapshots.power_steps(current, after):
                tasks.run_async(self.client, method, family.vm_ref, *_POWER_ARGUMENTS.get(method, ()), timeout=self.timeout)
        changes = [_engine.Change("state", "present", "reverted", revert)]
        if left_out:
            # Reported on their own; the revert above attaches them.
            changes.append(_engine.Change("reattached_disks", [], [disk.vdi.get("name_label", "") for disk in left_out], lambda: None))
        if before != after:
            # Reported on its own; the revert above already brings the VM to this state.
            changes.append(_engine.Change("power_state", snapshots.POWER_NAMES.get(before, before.lower()), snapshots.POWER_NAMES[after], lambda: None))
        return changes

    # -- writes -----------------------------------------------------------------------------------
    def _deletion(self, snapshot_ref: str) -> t.Callable[[], None]:
        """Deleting a snapshot: the VM record, then the disks only it uses, then its memory image."""
        owned = self.family.owned_disks(snapshot_ref)
        memory = self.family.snapshots[snapshot_ref].get("suspend_VDI")

        def delete() -> None:
            self.stale = True
            # Removing the snapshot's VM record only touches the pool database: a plain call, no task to wait for.
            self.client.call("VM.destroy", snapshot_ref)
            for vdi in owned:
                tasks.run_async(self.client, "VDI.destroy", vdi, timeout=self.timeout)
            if memory is not None and not snapshots.is_null(memory):
                self._destroy_memory_image(memory)
        return delete

    def _destroy_memory_image(self, vdi: str) -> None:
        """Some releases destroy a checkpoint's memory image with the VM itself: gone already is fine."""
        try:
            tasks.run_async(self.client, "VDI.destroy", vdi, timeout=self.timeout)
        except errors.XapiError as err:
            if err.code != "HANDLE_INVALID":
                raise

    def _set(self, snapshot_ref: str, field: str, value: str) -> None:
        self.stale = True
        self.client.call("VM.set_" + field, snapshot_ref, value)
