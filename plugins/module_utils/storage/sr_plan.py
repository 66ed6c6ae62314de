# Copyright: (c) 2026, xen.xapi maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What xen_sr decides, without talking to XAPI: the arguments of a new SR, in-place changes,
the pool's default SR, refusals, and the returned view of an SR."""

from __future__ import annotations

import typing as t

from ansible_collections.xen.xapi.plugins.module_utils import _engine, _setters
from ansible_collections.xen.xapi.plugins.module_utils._xapi import errors, query
from ansible_collections.xen.xapi.plugins.module_utils.disks import lookup
from ansible_collections.xen.xapi.plugins.module_utils.pool import hosts as pool_hosts
from ansible_collections.xen.xapi.plugins.module_utils.storage import credentials, device_config, disk_users

# SR types whose repositories hold ISO images rather than VM disks.
ISO_TYPES = ("iso",)
# The pool's SR pointers that "default" sets together, as XenCenter does: new disks, suspend images, crash dumps.
DEFAULT_SR_FIELDS = ("default_SR", "suspend_image_SR", "crash_dump_SR")
# Disks that do not keep an SR from being destroyed: the driver's own statistics.
_IGNORED_VDI_TYPES = ("rrd",)


def known_types(sms: query.Records) -> t.List[str]:
    """The SR types the pool has a storage driver (SM record) for."""
    return sorted(set(str(sm.get("type", "")) for sm in sms.values()))


def check_type(sr_type: t.Optional[str], name: str, sms: query.Records) -> str:
    """The type of a new SR, which the pool must have a driver for."""
    types = known_types(sms)
    if not sr_type:
        raise errors.ResourceError("type: required to create storage repository {0!r}; the pool's storage drivers are: {1}.".format(name, ", ".join(types)))
    if sr_type.lower() not in types:
        raise errors.ResourceError("type: the pool has no storage driver {0!r}; its drivers are: {1}.".format(sr_type, ", ".join(types)),
                                   error_code="SR_UNKNOWN_DRIVER", known_types=types)
    return sr_type.lower()


def content_type_for(params: t.Mapping[str, t.Any], sr_type: str) -> str:
    if params.get("content_type"):
        return str(params["content_type"])
    return "iso" if sr_type in ISO_TYPES else "user"


def create_args(params: t.Mapping[str, t.Any], host_ref: str, sr_type: str) -> t.List[t.Any]:
    """The arguments of SR.create; a physical size of 0 lets the driver find the size of the storage."""
    return [host_ref, _engine.string_map(params.get("device_config")) or {}, 0, params["name"], params.get("description") or "", sr_type,
            content_type_for(params, sr_type), bool(params.get("shared")), _engine.string_map(params.get("sm_config")) or {}]


def sr_pbds(record: _engine.Record, pbds: query.Records) -> query.Records:
    return dict((ref, pbds[ref]) for ref in record.get("PBDs") or [] if ref in pbds)


def attached_to(record: _engine.Record, pbds: query.Records, host_ref: str) -> bool:
    return any(pbd.get("host") == host_ref for pbd in sr_pbds(record, pbds).values())


# --- existing SRs -----------------------------------------------------------------------------

def check_unchangeable(record: _engine.Record, params: t.Mapping[str, t.Any], pbds: query.Records, host: t.Optional[t.Tuple[str, str]]) -> None:
    """Refuse options that ask for what XAPI cannot change on an existing SR."""
    name = record["name_label"]
    if params.get("type") and params["type"].lower() != record["type"]:
        raise errors.ResourceError("type: storage repository {0!r} is of type {1!r}; the type of an existing SR cannot change.".format(name, record["type"]))
    if params.get("content_type") and params["content_type"] != record["content_type"]:
        raise errors.ResourceError("content_type: storage repository {0!r} holds {1!r} content, which is set when it is created and cannot change.".format(
            name, record["content_type"]))
    if host is not None and not attached_to(record, pbds, host[0]):
        raise errors.ResourceError("target_host: storage repository {0!r} is not attached to {1}; SRs do not move between hosts. "
                                   "To attach a shared SR to another host, use xen.xapi.xen_pbd.".format(name, host[1]))


def metadata_setters(record: _engine.Record, params: t.Mapping[str, t.Any]) -> t.List[_setters.Setter]:
    """The in-place changes of name, description, sharing, maps and tags the options ask for."""
    purge = bool(params.get("purge"))
    return (
        _setters.setter_if_changed("name", record["name_label"], params.get("name"), "SR.set_name_label")
        + _setters.setter_if_changed("description", record["name_description"], params.get("description"), "SR.set_name_description")
        + _setters.setter_if_changed("shared", record["shared"], params.get("shared"), "SR.set_shared")
        + _setters.map_setter("other_config", record["other_config"], params.get("other_config"), purge, "SR.set_other_config")
        # sm_config is always merged: the storage driver keeps its own keys there.
        + _setters.map_setter("sm_config", record["sm_config"], params.get("sm_config"), False, "SR.set_sm_config")
        + _setters.tags_setter(record["tags"], params.get("tags"), purge, "SR.set_tags")
    )


def is_default(sr_ref: str, pools: query.Records) -> bool:
    return any(pool.get("default_SR") == sr_ref for pool in pools.values())


def default_updates(sr_ref: str, pools: query.Records, wanted: t.Optional[bool]) -> t.Dict[str, str]:
    """The pool fields to set so the SR is (or is not) the default: {field: new value}; empty when it already is.

    Being the default is judged on ``default_SR``; making an SR the default also points the suspend
    image and crash dump SRs at it, and no longer being the default clears the fields that name it.
    """
    if wanted is None or is_default(sr_ref, pools) == wanted:
        return {}
    pool = next(iter(pools.values()), {})
    if wanted:
        return dict((field, sr_ref) for field in DEFAULT_SR_FIELDS if pool.get(field) != sr_ref)
    return dict((field, lookup.NULL_REF) for field in DEFAULT_SR_FIELDS if pool.get(field) == sr_ref)


def hosts_with_other_config(record: _engine.Record, pbds: query.Records, hosts: query.Records, wanted: t.Optional[t.Mapping[str, t.Any]]) -> t.List[str]:
    """The hosts whose PBD reaches the SR with settings other than ``device_config`` asks for."""
    if wanted is None:
        return []
    differ = [pbd["host"] for pbd in sr_pbds(record, pbds).values() if device_config.target_config(pbd.get("device_config") or {}, wanted, False) is not None]
    return [pool_hosts.host_name(hosts, ref) for ref in pool_hosts.by_name(hosts, differ)]


# --- removal ----------------------------------------------------------------------------------

def check_not_in_use(name: str, holding: t.Sequence[disk_users.DiskUser], state: str) -> None:
    if holding:
        raise errors.ResourceError("state={0}: the disks of storage repository {1!r} are in use by {2}. Shut those VMs down, or move their "
                                   "disks to another SR, first.".format(state, name, disk_users.describe_users(holding)),
                                   vms=[user.as_dict() for user in holding])


def check_destroyable(name: str, record: _engine.Record, vdis: query.Records) -> None:
    """SR.destroy deletes the storage itself: it must hold no disks and be reachable from a host."""
    disks = sorted(str(vdi.get("name_label", "")) for vdi in vdis.values() if vdi.get("managed", True) and vdi.get("type") not in _IGNORED_VDI_TYPES)
    if disks:
        raise errors.ResourceError("state=absent: storage repository {0!r} still holds {1} disk(s) ({2}); destroying it would delete them. "
                                   "Remove them first (xen.xapi.xen_vdi), or use state=forgotten to detach the SR and keep its data.".format(
                                       name, len(disks), ", ".join(disks[:10])), error_code="SR_NOT_EMPTY", disks=disks)
    if not record.get("PBDs"):
        raise errors.ResourceError("state=absent: storage repository {0!r} has no PBD, so no host can reach the storage to delete it. "
                                   "Attach it to a host with xen.xapi.xen_pbd first, or use state=forgotten.".format(name), error_code="SR_HAS_NO_PBDS")


# --- the returned view ------------------------------------------------------------------------

def pbd_summary(pbd: _engine.Record, hosts: query.Records) -> _engine.Record:
    return {"uuid": pbd.get("uuid", ""), "host": pool_hosts.host_name(hosts, pbd.get("host", "")), "plugged": bool(pbd.get("currently_attached")),
            "device_config": credentials.masked(pbd.get("device_config") or {})}


def pbd_summaries(record: _engine.Record, pbds: query.Records, hosts: query.Records) -> t.List[_engine.Record]:
    mine = sr_pbds(record, pbds)
    return sorted((pbd_summary(pbd, hosts) for pbd in mine.values()), key=lambda view: (view["host"], view["uuid"]))


def sr_view(ref: str, record: _engine.Record, pbds: query.Records, hosts: query.Records, pools: query.Records) -> _engine.Record:
    return {
        "uuid": record["uuid"],
        "name": record["name_label"],
        "description": record["name_description"],
        "type": record["type"],
        "content_type": record["content_type"],
        "shared": bool(record["shared"]),
        "default": is_default(ref, pools),
        "size": record["physical_size"],
        "utilisation": record["physical_utilisation"],
        "virtual_allocation": record["virtual_allocation"],
        "other_config": dict(record["other_config"]),
        "sm_config": dict(record["sm_config"]),
        "tags": list(record["tags"]),
        "pbds": pbd_summaries(record, pbds, hosts),
        "vdi_count": len(record.get("VDIs") or []),
    }
