# Copyright: (c) 2026, xen.xapi maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What xen_vdi decides, without talking to XAPI: sizes, in-place changes, refusals, removal steps
and the returned view of a disk."""

from __future__ import annotations

import dataclasses
import typing as t

from ansible_collections.xen.xapi.plugins.module_utils import _engine, _setters
from ansible_collections.xen.xapi.plugins.module_utils._xapi import errors, query, units
from ansible_collections.xen.xapi.plugins.module_utils.disks import lookup

# The values of the datamodel's vdi_type enum.
VDI_TYPES = ("system", "user", "ephemeral", "suspend", "crashdump", "ha_statefile", "metadata", "redo_log", "rrd", "pvs_cache", "cbt_metadata")
DEFAULT_TYPE = "user"
# Storage drivers round a new size up to their block size (2 MiB for VHD, 4 MiB extents for LVM),
# so a disk may end up slightly larger than asked. A requested size this close below the current
# one is the same request again, not a shrink.
SIZE_ROUNDING_SLACK = 4 * 1024 ** 2


def parse_size_option(value: t.Any, option: str = "size") -> t.Optional[int]:
    """Bytes for a size option given as a number of bytes or with a unit ("10GiB"); None when unset."""
    if value is None:
        return None
    try:
        size = units.parse_size(value)
    except ValueError as err:
        raise errors.ResourceError("{0}: {1}".format(option, err))
    if size <= 0:
        raise errors.ResourceError("{0}: a disk must be larger than 0 bytes.".format(option))
    return size


def size_target(current: int, wanted: t.Optional[int]) -> t.Optional[int]:
    """The size to grow the disk to, or None when it already has (about) the requested size.

    Disks only grow: a smaller request is refused, since shrinking would cut off the guest's data.
    """
    if wanted is None or wanted == current:
        return None
    if wanted > current:
        return wanted
    if current - wanted < SIZE_ROUNDING_SLACK:
        return None
    raise errors.ResourceError(
        "size: the disk is {0} ({1} bytes), larger than the {2} ({3} bytes) asked for; disks can grow but never shrink. "
        "Ask for at least the current size, or copy the data to a new, smaller disk.".format(
            units.format_size(current), current, units.format_size(wanted), wanted),
        current_size=current, requested_size=wanted)


def check_unchangeable(record: _engine.Record, params: t.Mapping[str, t.Any], sr_ref: t.Optional[str]) -> None:
    """Refuse options that ask for something XAPI cannot change on an existing disk."""
    if params.get("type") is not None and params["type"] != record["type"]:
        raise errors.ResourceError("type: disk {0} is of type {1!r} and the type of an existing disk cannot change; "
                                   "remove it and create it again with type {2!r}.".format(record["uuid"], record["type"], params["type"]))
    if sr_ref is not None and record["SR"] != sr_ref:
        raise errors.ResourceError("sr: disk {0} is in another storage repository; disks are not moved. "
                                   "Create a copy in that repository with the source option instead.".format(record["uuid"]))


def metadata_setters(record: _engine.Record, params: t.Mapping[str, t.Any]) -> t.List[_setters.Setter]:
    """The in-place changes of name, description, flags, maps and tags the options ask for."""
    purge = bool(params.get("purge"))
    return (
        _setters.setter_if_changed("name", record["name_label"], params.get("name"), "VDI.set_name_label")
        + _setters.setter_if_changed("description", record["name_description"], params.get("description"), "VDI.set_name_description")
        + _setters.setter_if_changed("sharable", record["sharable"], params.get("sharable"), "VDI.set_sharable")
        + _setters.setter_if_changed("read_only", record["read_only"], params.get("read_only"), "VDI.set_read_only")
        + _setters.map_setter("other_config", record["other_config"], params.get("other_config"), purge, "VDI.set_other_config")
        # sm_config is always merged: the storage driver keeps its own keys there.
        + _setters.map_setter("sm_config", record["sm_config"], params.get("sm_config"), False, "VDI.set_sm_config")
        + _setters.tags_setter(record["tags"], params.get("tags"), purge, "VDI.set_tags")
    )


def create_record(params: t.Mapping[str, t.Any], sr_ref: str, size: int) -> _engine.Record:
    """The argument of VDI.create for a new blank disk."""
    return {
        "name_label": params["name"],
        "name_description": params.get("description") or "",
        "SR": sr_ref,
        "virtual_size": size,
        "type": params.get("type") or DEFAULT_TYPE,
        "sharable": bool(params.get("sharable")),
        "read_only": bool(params.get("read_only")),
        "other_config": _engine.string_map(params.get("other_config") or {}) or {},
        "xenstore_data": {},
        "sm_config": _engine.string_map(params.get("sm_config") or {}) or {},
        "tags": list(dict.fromkeys(str(tag) for tag in params.get("tags") or [])),
    }


def check_copy(source: _engine.Record, params: t.Mapping[str, t.Any], size: t.Optional[int]) -> None:
    """Refuse a copy whose options contradict the source: another type, or a smaller size."""
    if params.get("type") is not None and params["type"] != source["type"]:
        raise errors.ResourceError("type: the source disk is of type {0!r}, and a copy keeps its type; leave type unset or set it to {0!r}."
                                   .format(source["type"]))
    if size is not None:
        size_target(source["virtual_size"], size)


# --- attachments ------------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class Attachment:
    """One drive (VBD) through which a VM uses the disk."""

    vbd_ref: str
    vbd: _engine.Record
    vm_ref: str
    vm: _engine.Record

    @property
    def vm_name(self) -> str:
        return str(self.vm.get("name_label") or self.vm_ref)

    @property
    def plugged(self) -> bool:
        return bool(self.vbd.get("currently_attached"))


def attachments(record: _engine.Record, vbds: query.Records, vms: query.Records) -> t.List[Attachment]:
    """The drives of the disk, with their VMs, in a stable order."""
    found = []
    for vbd_ref in record.get("VBDs") or []:
        vbd = vbds.get(vbd_ref)
        if vbd is None:
            continue
        found.append(Attachment(vbd_ref, vbd, vbd["VM"], vms.get(vbd["VM"], {})))
    return sorted(found, key=lambda item: (item.vm_name, item.vbd.get("userdevice", "")))


def resize_method(disk_name: str, users: t.Sequence[Attachment], sr_capabilities: t.Sequence[str]) -> str:
    """VDI.resize needs the disk unused; a disk plugged into a running guest grows with resize_online,
    which only some storage drivers offer (the VDI_RESIZE_ONLINE capability of their SM record)."""
    live = [user.vm_name for user in users if user.plugged and lookup.is_live(user.vm)]
    if not live:
        return "VDI.resize"
    if "VDI_RESIZE_ONLINE" in sr_capabilities:
        return "VDI.resize_online"
    raise errors.ResourceError("size: disk {0!r} is plugged into running VM {1!r}, and the driver of its storage repository cannot grow a disk "
                               "in use. Unplug it first (xen.xapi.xen_vbd with plugged=false) or shut the VM down, then grow it.".format(
                                   disk_name, live[0]), vm=live[0])


def driver_capabilities(sr_record: _engine.Record, sms: query.Records) -> t.List[str]:
    """The capabilities of the storage driver (SM record) behind an SR."""
    for sm in sms.values():
        if sm.get("type") == sr_record.get("type"):
            return list(sm.get("capabilities") or [])
    return []


@dataclasses.dataclass(frozen=True)
class RemovalStep:
    """Before a disk can be destroyed: unplug a drive from its running VM, or detach (destroy) a drive."""

    action: str  # "unplug" or "detach"
    user: Attachment

    def describe(self) -> t.Tuple[str, str]:
        """(before, after) as shown in the changes list."""
        device = self.user.vbd.get("device") or self.user.vbd.get("userdevice")
        if self.action == "unplug":
            return "{0}: plugged as {1}".format(self.user.vm_name, device), "{0}: unplugged".format(self.user.vm_name)
        return "{0}: attached at position {1}".format(self.user.vm_name, self.user.vbd.get("userdevice")), "{0}: detached".format(self.user.vm_name)


def removal_steps(disk_name: str, users: t.Sequence[Attachment], force: bool) -> t.List[RemovalStep]:
    """Unplug and detach every drive of the disk, or refuse when that would pull it from a running guest
    without force, or cannot be done (suspended guest, drive that is not unpluggable)."""
    steps = []
    for user in users:
        if user.plugged:
            steps.append(RemovalStep("unplug", _check_unplug(disk_name, user, force)))
        steps.append(RemovalStep("detach", user))
    return steps


def _check_unplug(disk_name: str, user: Attachment, force: bool) -> Attachment:
    power_state = user.vm.get("power_state", "unknown")
    if not lookup.is_live(user.vm):
        raise errors.ResourceError("state=absent: disk {0!r} is in use by VM {1!r}, which is {2}; its drive cannot be unplugged in that state. "
                                   "Resume the VM, or shut it down, then try again.".format(disk_name, user.vm_name, power_state),
                                   vm=user.vm_name, power_state=power_state)
    if not force:
        raise errors.ResourceError("state=absent: disk {0!r} is in use by running VM {1!r}; set force=true to unplug it from the guest and "
                                   "detach it first, or detach it with xen.xapi.xen_vbd.".format(disk_name, user.vm_name),
                                   vm=user.vm_name, power_state=power_state)
    if not user.vbd.get("unpluggable"):
        raise errors.ResourceError("state=absent: disk {0!r} is plugged into running VM {1!r} through a drive that is not unpluggable; "
                                   "shut the VM down first.".format(disk_name, user.vm_name), vm=user.vm_name, power_state=power_state)
    return user


# --- the returned view ------------------------------------------------------------------------

def vdi_view(record: _engine.Record, srs: query.Records, users: t.Sequence[Attachment]) -> _engine.Record:
    """The disk as returned by the module (documented in RETURN)."""
    sr = srs.get(record["SR"], {})
    return {
        "uuid": record["uuid"],
        "name": record["name_label"],
        "description": record["name_description"],
        "size": record["virtual_size"],
        "physical_utilisation": record["physical_utilisation"],
        "sr": sr.get("name_label", ""),
        "sr_uuid": sr.get("uuid", ""),
        "type": record["type"],
        "sharable": record["sharable"],
        "read_only": record["read_only"],
        "other_config": dict(record["other_config"]),
        "sm_config": dict(record["sm_config"]),
        "tags": list(record["tags"]),
        "vms": [_user_view(user) for user in users],
    }


def _user_view(user: Attachment) -> _engine.Record:
    return {
        "name": user.vm_name,
        "uuid": user.vm.get("uuid", ""),
        "power_state": user.vm.get("power_state", ""),
        "vbd_uuid": user.vbd["uuid"],
        "userdevice": user.vbd["userdevice"],
        "device": user.vbd["device"],
        "mode": user.vbd["mode"],
        "currently_attached": user.vbd["currently_attached"],
    }
