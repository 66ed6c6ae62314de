# Copyright: (c) 2026, xen.xapi maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""xen_vbd's resource: the drive of a VM named by its position or its disk, or by the drive's uuid.

Reads: the VM by name or uuid (one call), then its drives with the VDI class (one ``query.snapshot``: a call per
class, sent together); so a run that changes nothing costs four to six calls in four round trips with login and
logout. When the last run with the same options found the VM (see _run_memory), its drives are read by that
reference beside the VM and the VDI class, and used when the VM found is that one and lists exactly those drives:
everything in one round trip (two with login and logout, which goes with it after a run that changed nothing).
"""

from __future__ import annotations

import dataclasses
import typing as t

from ansible_collections.xen.xapi.plugins.module_utils import _engine, _run_memory, _setters, _validate as validate
from ansible_collections.xen.xapi.plugins.module_utils._xapi import errors, guest_tools, query, tasks
from ansible_collections.xen.xapi.plugins.module_utils.disks import lookup, vbd_plan


# Device positions of disk and CD drives (userdevice), as XAPI allows them.
MAX_USERDEVICE = 254


class VbdResource(_engine.Resource):
    result_key = "vbd"

    def __init__(self, *args: t.Any, **kwargs: t.Any) -> None:
        super().__init__(*args, **kwargs)
        self.timeout = float(self.params["task_timeout"])
        self._vm: t.Optional[t.Tuple[str, _engine.Record]] = None
        self._vbds: query.Records = {}
        self._vdis: query.Records = {}
        self._srs: query.Records = {}
        self._stale = False
        # A recreated drive has a new reference; the view follows it.
        self._replaced: t.Dict[str, str] = {}
        self._wanted: t.Optional[vbd_plan.Wanted] = None
        self._predicted: _engine.Record = {}

    @classmethod
    def check_params(cls, params: t.Mapping[str, t.Any]) -> None:
        validate.position(params.get("userdevice"), "userdevice", MAX_USERDEVICE, allow_autodetect=True)

    # -- reads ------------------------------------------------------------------------------
    @property
    def reads_at_once(self) -> bool:  # known once the last run is recalled
        return self.params["uuid"] is None and bool(remembered_vm(self.last_run))

    def facts_to_keep(self, result: _engine.Record) -> t.Dict[str, t.Any]:
        return {"vm": self._vm[0] if self._vm is not None and self.params["uuid"] is None else ""}

    def _read_by_vm(self) -> None:
        vm_key = self.params["vm"]
        remembered = remembered_vm(self.last_run)
        if not remembered:
            self._vm = lookup.pick_vm(lookup.find_vms(self.client, vm_key), vm_key)
        else:
            # The drives of the VM the last run found, beside the VM and the disks: right if it is still that VM.
            extra = self._extra_classes()
            reads = [("VM", lookup.vm_clause(vm_key)), ("VBD", query.field_equals("VM", remembered)), ("VDI", None)]
            answers = query.read_each(self.client, reads + [(cls, None) for cls in extra])
            self._vm = lookup.pick_vm(answers[0], vm_key)
            if self._vm is not None and self._vm[0] == remembered and set(self._vm[1]["VBDs"]) == set(answers[1]):
                self._vbds, self._vdis = answers[1], answers[2]
                self._srs = answers[3] if extra else {}
                self._stale = False
                return
        if self._vm is not None:
            self._read_around(classes=("VDI",), objects={"VBD": self._vm[1]["VBDs"]})

    def _read_by_uuid(self) -> None:
        drives = query.get_all_records_where(self.client, "VBD", query.where(uuid=self.params["uuid"]))
        if drives:
            vm_ref = next(iter(drives.values()))["VM"]
            self._read_around(classes=("VBD", "VDI"), objects={"VM": [vm_ref]}, vm_ref=vm_ref)

    def _read_around(self, classes: t.Sequence[str], objects: t.Mapping[str, t.Iterable[str]], vm_ref: t.Optional[str] = None) -> None:
        """One call for the drives and disks (and the VM when only its reference is known)."""
        world = query.snapshot(self.client, tuple(classes) + self._extra_classes(), objects)
        self._vbds, self._vdis = world["VBD"], world["VDI"]
        self._srs = world.get("SR", {})
        if vm_ref is not None:
            record = world["VM"].get(vm_ref)
            self._vm = (vm_ref, record) if record is not None else None
        self._stale = False

    def _extra_classes(self) -> t.Tuple[str, ...]:
        # SRs tell ISO libraries apart, for CD media; they come with the drives.
        return ("SR",) if self.params["sr"] is not None or self.params["type"] == "CD" else ()

    def _refresh(self) -> None:
        if self._stale and self._vm is not None:
            self._read_around(classes=("VBD", "VDI"), objects={"VM": [self._vm[0]]}, vm_ref=self._vm[0])

    @property
    def vm(self) -> t.Tuple[str, _engine.Record]:
        """The VM that locate found; the engine only plans once a VM was found."""
        if self._vm is None:
            raise errors.ResourceError("vm: no VM was found for this drive; give vm (name or uuid).")
        return self._vm

    @property
    def wanted(self) -> vbd_plan.Wanted:
        """The drive the options describe, as worked out by locate."""
        if self._wanted is None:
            raise errors.ResourceError("vdi: the disk named by vdi was not found.")
        return self._wanted

    # -- identity ---------------------------------------------------------------------------
    def _want(self) -> t.Optional[vbd_plan.Wanted]:
        """The drive the options describe; None when state=absent names a disk that does not exist."""
        key = self.params["vdi"]
        vdi_ref, vdi_name, read_only = None, None, False
        if key == "":
            vdi_ref, vdi_name = lookup.NULL_REF, ""
        elif key is not None:
            sr_ref = lookup.resolve_sr(self._srs, self.params["sr"])[0] if self.params["sr"] is not None else None
            if self.wanted_state() == "absent" and not lookup.vdi_candidates(self._vdis, key, sr_ref):
                return None
            if self.params["type"] == "CD":
                vdi_ref, vdi = lookup.resolve_iso(self._vdis, self._srs, key, "vdi", sr_ref)
            else:
                vdi_ref, vdi = lookup.resolve_vdi(self._vdis, key, sr_ref, "vdi")
            vdi_name, read_only = vdi["name_label"], bool(vdi["read_only"])
        return vbd_plan.Wanted(vdi_ref=vdi_ref, vdi_name=vdi_name, vdi_read_only=read_only, userdevice=self.params["userdevice"],
                               mode=self.params["mode"], type=self.params["type"], bootable=self.params["bootable"],
                               unpluggable=self.params["unpluggable"], other_config=self.params["other_config"],
                               purge=bool(self.params["purge"]), plugged=self.params["plugged"])

    def locate(self) -> _engine.Found:
        if self.params["uuid"] is not None:
            self._read_by_uuid()
        else:
            self._read_by_vm()
        if self._vm is None:
            if self.params["uuid"] is None and self.wanted_state() == "present":
                raise errors.ResourceError("vm: no VM has the name or uuid {0!r}.".format(self.params["vm"]))
            return None
        self._wanted = self._want()
        if self._wanted is None:
            return None
        if self.params["uuid"] is not None:
            return self._drive_by_uuid()
        return vbd_plan.find_drive(self._vm[1], self._vbds, self._wanted)

    def _drive_by_uuid(self) -> _engine.Found:
        vm_key, vm = self.params["vm"], self.vm[1]
        if vm_key is not None and vm_key not in (vm["uuid"], vm["name_label"]):
            raise errors.ResourceError("vm: drive {0} belongs to VM {1!r}, not to {2!r}.".format(self.params["uuid"], vm["name_label"], vm_key))
        return query.find_by_uuid(self._vbds, self.params["uuid"])

    # -- plans ------------------------------------------------------------------------------
    def plan_create(self) -> t.Callable[[], str]:
        if self.params["uuid"] is not None:
            raise errors.ResourceError("uuid: no drive has the uuid {0!r}. XAPI chooses the uuid of a new drive: to create one, "
                                       "give vm and vdi (and userdevice) instead of uuid.".format(self.params["uuid"]))
        vm_ref, vm = self.vm
        record = vbd_plan.create_record(vm_ref, self.wanted)
        plug = bool(self.wanted.plugged) and lookup.is_live(vm)
        if self.wanted.plugged and not plug:
            self.module.warn("plugged=true is ignored: VM {0!r} is {1}, not running; the new drive is attached when it starts.".format(
                vm["name_label"], vm["power_state"]))
        vdi = self._vdis.get(record["VDI"])
        self._predicted = vbd_plan.vbd_view(dict(record, uuid=None, device="", currently_attached=plug, empty=vdi is None), vm, vdi)
        return lambda: self._create(record, plug)

    def predict_created(self) -> _engine.Record:
        return dict(self._predicted)

    def plan_update(self, ref: str, record: _engine.Record) -> t.List[_engine.Change]:
        wanted = self.wanted
        current_vdi = self._vdis.get(record["VDI"], {})
        if wanted.vdi_ref is None:
            # The drive keeps its disk: the mode must suit that disk.
            wanted = dataclasses.replace(wanted, vdi_read_only=bool(current_vdi.get("read_only")))
        plan = vbd_plan.plan_drive(record, current_vdi.get("name_label", ""), self.vm[1], self._vbds, wanted)
        if plan.note:
            self.module.warn(plan.note)
        changes = _setters.setter_changes(ref, plan.setters, self._call)
        if plan.media is not None:
            changes.append(_engine.Change(plan.media[0], plan.media[1], plan.media[2], lambda: self._change_media(ref, plan)))
        replacement = plan.replacement
        if replacement is not None:
            changes += _setters.applied_together(plan.recreate, lambda: self._recreate(ref, record, replacement, bool(plan.plug)))
        elif plan.plug is not None:
            method = "VBD.plug" if plan.plug else "VBD.unplug"
            changes.append(_engine.Change("currently_attached", record["currently_attached"], plan.plug, lambda: self._task(method, ref)))
        return changes

    def plan_delete(self, ref: str, record: _engine.Record) -> t.List[_engine.Change]:
        vm = self.vm[1]
        changes = []
        if record["currently_attached"]:
            if not lookup.is_live(vm):
                raise errors.ResourceError("state=absent: the drive is in use by VM {0!r}, which is {1}; resume the VM or shut it down first.".format(
                    vm["name_label"], vm["power_state"]), power_state=vm["power_state"])
            if not record["unpluggable"]:
                raise errors.ResourceError("state=absent: the drive is plugged into running VM {0!r} and is not unpluggable; "
                                           "shut the VM down first.".format(vm["name_label"]), power_state=vm["power_state"])
            changes.append(_engine.Change("currently_attached", True, False, lambda: self._task("VBD.unplug", ref)))
        changes.append(_engine.Change("state", "present", "absent", lambda: self._call("VBD.destroy", ref)))
        return changes

    def new_round(self) -> None:
        self._stale, self._replaced, self._wanted = True, {}, None

    # -- writes -----------------------------------------------------------------------------
    def _create(self, record: _engine.Record, plug: bool, keep_on_plug_failure: bool = False) -> str:
        """Create the drive and plug it. When plugging a brand-new drive fails (disk in use, no PV drivers...),
        the drive is removed again so that the failed run leaves nothing behind, and the message says so."""
        self._stale = True
        if plug:
            self._ensure_tools(record)
        ref = str(self.client.call("VBD.create", record))
        if plug:
            try:
                tasks.run_state_change(self.client, "VBD.plug", ref, timeout=self.timeout)
            except (errors.XapiError, errors.XapiTimeoutError) as err:
                if keep_on_plug_failure:
                    raise
                self._quietly_destroy(ref)
                raise errors.ResourceError("plugged: the new drive could not be plugged into the running VM {0!r}, so it was removed "
                                           "again. {1}".format(self.vm[1]["name_label"], err.describe()),
                                           **({"error_code": err.code} if isinstance(err, errors.XapiError) else {}))
        return ref

    def _ensure_tools(self, drive: _engine.Record) -> None:
        """Hot-plugging a disk into a running HVM guest needs its tools: wait for them (guest_tools_timeout)."""
        vm_ref, vm = self.vm
        if drive.get("type") == "Disk" and lookup.is_live(vm):
            guest_tools.ensure_tools(self.client, vm_ref, vm, guest_tools.HOTPLUG_DISK, float(self.params["guest_tools_timeout"]), "plugged")

    def _quietly_destroy(self, ref: str) -> None:
        try:
            self.client.call("VBD.destroy", ref)
        except errors.XapiBaseError:
            pass  # the plug failure is what the user must see

    def _change_media(self, ref: str, plan: vbd_plan.DrivePlan) -> None:
        if plan.eject:
            self._task("VBD.eject", ref)
        if plan.insert is not None:
            self._task("VBD.insert", ref, plan.insert)

    def _recreate(self, ref: str, record: _engine.Record, replacement: vbd_plan.Wanted, plug: bool) -> None:
        """Replace the drive by one with the final values, unplugging and plugging around it on a running VM."""
        if record["currently_attached"]:
            self._task("VBD.unplug", ref)
        self._call("VBD.destroy", ref)
        # The old drive is gone by now: keep the new one even if plugging it fails, so its settings are not lost.
        self._replaced[ref] = self._create(vbd_plan.create_record(self.vm[0], replacement), plug, keep_on_plug_failure=True)

    def _call(self, method: str, *args: t.Any) -> None:
        self._stale = True
        self.client.call(method, *args)

    def _task(self, method: str, ref: str, *args: t.Any) -> None:
        """Hot-plug and media operations involve the guest: each is one plain call, settled by the drive's
        state when its answer is late or lost (run_state_change)."""
        self._stale = True
        if method in ("VBD.plug", "VBD.unplug"):
            self._ensure_tools(self._vbds.get(ref, {}))
        tasks.run_state_change(self.client, method, ref, *args, timeout=self.timeout)

    # -- view -------------------------------------------------------------------------------
    def present(self, ref: t.Optional[str]) -> _engine.Record:
        if ref is None or self._vm is None:
            return {}
        ref = self._replaced.get(ref, ref)
        self._refresh()
        record = self._vbds.get(ref)
        if record is None or self._vm is None:
            return {}
        return vbd_plan.vbd_view(record, self._vm[1], self._vdis.get(record["VDI"]))


def remembered_vm(memory: t.Optional[_run_memory.Memory]) -> str:
    """The VM the last run with the same options found ("" when it kept none)."""
    ref = memory.facts.get("vm") if memory is not None else None
    return ref if isinstance(ref, str) else ""
