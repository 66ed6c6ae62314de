# Copyright: (c) 2026, xen.xapi maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What xen_vbd decides, without talking to XAPI: which drive the options name, what changes in place,
what needs the drive recreated, CD media, hot-plugging, and the returned view of a drive."""

from __future__ import annotations

import dataclasses
import re
import typing as t

from ansible_collections.xen.xapi.plugins.module_utils import _engine, _setters
from ansible_collections.xen.xapi.plugins.module_utils._xapi import errors, query
from ansible_collections.xen.xapi.plugins.module_utils.disks import lookup

AUTODETECT = "autodetect"
_NAMED_DEVICE = re.compile(r"^(?:xvd|hd|sd)([a-z]+)$")


def device_position(name: t.Optional[str]) -> t.Optional[int]:
    """The disk position a device name means: "1", "xvdb", "hdb" and "sdb" are all position 1."""
    if not name:
        return None
    if name.isdigit():
        return int(name)
    named = _NAMED_DEVICE.match(name)
    if named is None:
        return None
    position = 0
    for letter in named.group(1):
        position = position * 26 + (ord(letter) - ord("a") + 1)
    return position - 1


def same_device(a: str, b: str) -> bool:
    position = device_position(a)
    return a == b if position is None else position == device_position(b)


@dataclasses.dataclass(frozen=True)
class Wanted:
    """The drive the options describe. ``vdi_ref`` is None when vdi is not set, NULL_REF for an empty CD drive."""

    vdi_ref: t.Optional[str]
    vdi_name: t.Optional[str]
    vdi_read_only: bool
    userdevice: t.Optional[str]
    mode: t.Optional[str]
    type: t.Optional[str]
    bootable: t.Optional[bool]
    unpluggable: t.Optional[bool]
    other_config: t.Optional[t.Mapping[str, t.Any]]
    purge: bool
    plugged: t.Optional[bool]

    @property
    def wants_empty(self) -> bool:
        return self.vdi_ref == lookup.NULL_REF

    @property
    def drive_type(self) -> str:
        return self.type or "Disk"


# --- which drive ------------------------------------------------------------------------------

def find_drive(vm_record: _engine.Record, vbds: query.Records, wanted: Wanted) -> _engine.Found:
    """The VM's drive the options name: the one at userdevice; else the one holding vdi (to be moved
    there, when userdevice is set); else, for type=CD without userdevice, the VM's only CD drive."""
    drives = [(ref, vbds[ref]) for ref in sorted(vm_record.get("VBDs") or []) if ref in vbds]
    vm_name = vm_record.get("name_label", "")
    position = wanted.userdevice if wanted.userdevice != AUTODETECT else None
    by_position = position is not None
    if position is not None:
        found = _engine.one_or_none([d for d in drives if same_device(d[1]["userdevice"], position)],
                                    "userdevice: drives of VM {0!r} at".format(vm_name), position)
        if found is not None:
            return found
    if wanted.vdi_ref is not None and not wanted.wants_empty:
        found = _engine.one_or_none([d for d in drives if d[1]["VDI"] == wanted.vdi_ref], "vdi: drives of VM {0!r} holding".format(vm_name),
                                    wanted.vdi_name or "")
        if found is not None:
            return found
    if wanted.type == "CD" and not by_position:
        return _engine.one_or_none([d for d in drives if d[1]["type"] == "CD"], "type: CD drives of VM", vm_name)
    if by_position or wanted.vdi_ref is not None:
        return None
    raise errors.ResourceError("userdevice: say which drive of VM {0!r} is meant, by its position (userdevice) or by its disk (vdi).".format(vm_name))


# --- a new drive ------------------------------------------------------------------------------

def create_record(vm_ref: str, wanted: Wanted) -> _engine.Record:
    """The argument of VBD.create; refuses combinations XAPI would refuse, naming the option."""
    drive_type = wanted.drive_type
    if wanted.vdi_ref is None or (wanted.wants_empty and drive_type != "CD"):
        raise errors.ResourceError("vdi: required to create a {0} drive; give the disk's name or uuid (only CD drives can be empty).".format(drive_type))
    mode = wanted.mode or ("RO" if drive_type == "CD" or wanted.vdi_read_only else "RW")
    check_mode(drive_type, mode, wanted)
    return {
        "VM": vm_ref,
        "VDI": wanted.vdi_ref,
        "userdevice": wanted.userdevice or AUTODETECT,
        "bootable": bool(wanted.bootable),
        "mode": mode,
        "type": drive_type,
        "unpluggable": True if wanted.unpluggable is None else wanted.unpluggable,
        "empty": wanted.wants_empty,
        "other_config": _engine.string_map(wanted.other_config or {}) or {},
        "qos_algorithm_type": "",
        "qos_algorithm_params": {},
    }


def check_mode(drive_type: str, mode: str, wanted: Wanted) -> None:
    if drive_type == "CD" and mode != "RO":
        raise errors.ResourceError("mode: CD drives are read-only; set mode to RO or leave it unset.")
    if mode == "RW" and wanted.vdi_read_only:
        raise errors.ResourceError("mode: disk {0!r} is read-only, so it can only be attached with mode RO.".format(wanted.vdi_name))


# --- changes to an existing drive -------------------------------------------------------------

@dataclasses.dataclass
class DrivePlan:
    """What an existing drive needs.

    Either in-place ``setters`` and a CD ``media`` change (``eject`` the current disc, ``insert``
    another); or, when an option that only a new drive can have changes (``recreate``: mode, type,
    the disk of a Disk drive, the position of a plugged drive), a ``replacement`` with every final
    value. ``plug`` is True/False to hot-plug/unplug (for a replacement: whether to plug it once
    made); ``note`` explains an ignored plugged=true.
    """

    setters: t.List[_setters.Setter] = dataclasses.field(default_factory=list)
    recreate: t.List[t.Tuple[str, t.Any, t.Any]] = dataclasses.field(default_factory=list)
    replacement: t.Optional[Wanted] = None
    media: t.Optional[t.Tuple[str, t.Any, t.Any]] = None
    eject: bool = False
    insert: t.Optional[str] = None
    plug: t.Optional[bool] = None
    note: str = ""


def default_mode(drive_type: str, vdi_read_only: bool) -> str:
    return "RO" if drive_type == "CD" or vdi_read_only else "RW"


def final_mode(record: _engine.Record, wanted: Wanted, drive_type: str) -> str:
    """The mode asked for; else the default of a new type; else the current one (RO if the new disk is read-only)."""
    if wanted.mode is not None:
        mode = wanted.mode
    elif drive_type != record["type"]:
        mode = default_mode(drive_type, wanted.vdi_read_only)
    else:
        mode = "RO" if wanted.vdi_read_only else record["mode"]
    check_mode(drive_type, mode, wanted)
    return mode


def plan_drive(record: _engine.Record, vdi_name: str, vm_record: _engine.Record, vbds: query.Records, wanted: Wanted) -> DrivePlan:
    """Compare an existing drive with the options. ``wanted.vdi_read_only`` must describe the disk the
    drive will hold (the current one when vdi is not set)."""
    plan = DrivePlan()
    drive_type = wanted.type or record["type"]
    mode = final_mode(record, wanted, drive_type)
    vdi_ref = record["VDI"] if wanted.vdi_ref is None else wanted.vdi_ref
    if drive_type != "CD" and lookup.is_null(vdi_ref):
        raise errors.ResourceError("vdi: only CD drives can be empty; give the disk for this {0} drive, or remove it with state=absent.".format(drive_type))
    for option, before, after in (("type", record["type"], drive_type), ("mode", record["mode"], mode)):
        if before != after:
            plan.recreate.append((option, before, after))
    if vdi_ref != record["VDI"]:
        vdi_change = ("vdi", vdi_name, "" if lookup.is_null(vdi_ref) else (wanted.vdi_name or ""))
        if drive_type == "CD" and record["type"] == "CD":
            plan.media = vdi_change
            plan.eject = not record["empty"]
            plan.insert = None if lookup.is_null(vdi_ref) else vdi_ref
        else:
            _check_not_attached_elsewhere(record, vdi_name, vm_record, vbds, wanted)
            plan.recreate.append(vdi_change)
    userdevice = _planned_userdevice(plan, record, vm_record, vbds, wanted)
    plan.setters += (_setters.setter_if_changed("bootable", record["bootable"], wanted.bootable, "VBD.set_bootable")
                     + _setters.setter_if_changed("unpluggable", record["unpluggable"], wanted.unpluggable, "VBD.set_unpluggable")
                     + _setters.map_setter("other_config", record["other_config"], wanted.other_config, wanted.purge, "VBD.set_other_config"))
    if plan.recreate:
        _plan_replacement(plan, record, vm_record, wanted, dict(vdi_ref=vdi_ref, mode=mode, type=drive_type, userdevice=userdevice))
    else:
        _plan_plugging(plan, record, vm_record, wanted)
    return plan


def _check_not_attached_elsewhere(record: _engine.Record, vdi_name: str, vm_record: _engine.Record, vbds: query.Records, wanted: Wanted) -> None:
    """Putting a disk that the VM already has in another drive is a move the user must make explicit."""
    for ref in vm_record.get("VBDs") or []:
        other = vbds.get(ref)
        if other is not None and other["uuid"] != record["uuid"] and other["VDI"] == wanted.vdi_ref:
            raise errors.ResourceError("vdi: disk {0!r} is already attached to VM {1!r} at position {2}, and position {3} holds disk {4!r}. "
                                       "Detach one of them first (state=absent), or choose a free position.".format(
                                           wanted.vdi_name, vm_record.get("name_label", ""), other["userdevice"], record["userdevice"], vdi_name))


def _planned_userdevice(plan: DrivePlan, record: _engine.Record, vm_record: _engine.Record, vbds: query.Records, wanted: Wanted) -> str:
    """Moving a drive to another position: in place while unplugged, by recreating it while plugged."""
    if wanted.userdevice in (None, AUTODETECT) or same_device(record["userdevice"], wanted.userdevice):
        return record["userdevice"]
    for ref in vm_record.get("VBDs") or []:
        other = vbds.get(ref)
        if other is not None and other["uuid"] != record["uuid"] and same_device(other["userdevice"], wanted.userdevice):
            raise errors.ResourceError("userdevice: VM {0!r} already has drive {1} at position {2}; choose a free position.".format(
                vm_record.get("name_label", ""), other["uuid"], wanted.userdevice))
    if record["currently_attached"]:
        plan.recreate.append(("userdevice", record["userdevice"], wanted.userdevice))
    else:
        plan.setters.append(_setters.Setter("userdevice", record["userdevice"], wanted.userdevice, "VBD.set_userdevice", wanted.userdevice))
    return wanted.userdevice


def _plan_replacement(plan: DrivePlan, record: _engine.Record, vm_record: _engine.Record, wanted: Wanted, final: t.Dict[str, t.Any]) -> None:
    """The new drive gets every final value at creation, so the setters become part of the recreation."""
    plan.recreate.extend((s.option, s.before, s.after) for s in plan.setters)
    if plan.media is not None:
        plan.recreate.append(plan.media)
    plan.setters, plan.media, plan.eject, plan.insert = [], None, False, None
    attached = bool(record["currently_attached"])
    if attached:
        check_unpluggable_for_recreate(record, vm_record)
    replug = attached if wanted.plugged is None else wanted.plugged
    if replug and not lookup.is_live(vm_record):
        plan.note = not_running_note(vm_record)
    plan.plug = replug and lookup.is_live(vm_record)
    if plan.plug != attached:
        plan.recreate.append(("currently_attached", attached, plan.plug))
    other_config = _setters.map_setter("other_config", record["other_config"], wanted.other_config, wanted.purge, "")
    plan.replacement = dataclasses.replace(
        wanted, vdi_ref=final["vdi_ref"], userdevice=final["userdevice"], mode=final["mode"], type=final["type"],
        bootable=record["bootable"] if wanted.bootable is None else wanted.bootable,
        unpluggable=record["unpluggable"] if wanted.unpluggable is None else wanted.unpluggable,
        other_config=other_config[0].value if other_config else dict(record["other_config"]), purge=True)


def check_unpluggable_for_recreate(record: _engine.Record, vm_record: _engine.Record) -> None:
    """Recreating a plugged drive means unplugging it: refuse when that cannot be done."""
    if not lookup.is_live(vm_record):
        raise errors.ResourceError("VM {0!r} is {1}: its drive {2} cannot be recreated in that state; resume it or shut it down first.".format(
            vm_record.get("name_label", ""), vm_record.get("power_state", ""), record["uuid"]))
    if not record["unpluggable"]:
        raise errors.ResourceError("mode, type, vdi or userdevice: changing them recreates the drive, which means unplugging it from running VM {0!r}, "
                                   "but it is not unpluggable; shut the VM down first.".format(vm_record.get("name_label", "")))


def _plan_plugging(plan: DrivePlan, record: _engine.Record, vm_record: _engine.Record, wanted: Wanted) -> None:
    attached = bool(record["currently_attached"])
    if wanted.plugged is None or wanted.plugged == attached:
        return
    if lookup.is_live(vm_record):
        unpluggable = record["unpluggable"] if wanted.unpluggable is None else wanted.unpluggable
        if not wanted.plugged and not unpluggable:
            raise errors.ResourceError("plugged: this drive of running VM {0!r} is not unpluggable, so it cannot be unplugged while the VM runs; "
                                       "set unpluggable=true or shut the VM down first.".format(vm_record.get("name_label", "")))
        plan.plug = wanted.plugged
    elif wanted.plugged:
        plan.note = not_running_note(vm_record)
    else:
        raise errors.ResourceError("plugged: VM {0!r} is {1}, and drives can only be unplugged from a running VM; resume it or shut it down first.".format(
            vm_record.get("name_label", ""), vm_record.get("power_state", "")), power_state=vm_record.get("power_state", ""))


def not_running_note(vm_record: _engine.Record) -> str:
    return ("plugged=true is ignored: VM {0!r} is {1}, not running; its drives are attached when it starts.".format(
        vm_record.get("name_label", ""), vm_record.get("power_state", "")))


# --- the returned view ------------------------------------------------------------------------

def vbd_view(record: _engine.Record, vm_record: _engine.Record, vdi_record: t.Optional[_engine.Record]) -> _engine.Record:
    """The drive as returned by the module (documented in RETURN)."""
    vdi = vdi_record or {}
    return {
        "uuid": record["uuid"],
        "vm": vm_record.get("name_label", ""),
        "vm_uuid": vm_record.get("uuid", ""),
        "vdi": "" if lookup.is_null(record["VDI"]) else vdi.get("name_label", ""),
        "vdi_uuid": "" if lookup.is_null(record["VDI"]) else vdi.get("uuid", ""),
        "userdevice": record["userdevice"],
        "device": record["device"],
        "mode": record["mode"],
        "type": record["type"],
        "bootable": record["bootable"],
        "unpluggable": record["unpluggable"],
        "empty": record["empty"],
        "currently_attached": record["currently_attached"],
        "other_config": dict(record["other_config"]),
    }
