# Copyright: (c) 2026, xen.xapi maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Batched reads for the disk modules, and resolving the names or uuids users type.

A no-op run of xen_vdi or xen_vbd reads each class it needs once: ``query.snapshot`` mixes whole classes
and single objects, one call per class sent together (one round trip), and the resolvers below only look inside
records already read.
"""

from __future__ import annotations

import typing as t

from ansible_collections.xen.xapi.plugins.module_utils import _engine
from ansible_collections.xen.xapi.plugins.module_utils._xapi import client as xapi_client, errors, query

NULL_REF = "OpaqueRef:NULL"
# Power states in which a guest's drives can be hot-plugged and unplugged.
LIVE_POWER_STATES = ("Running", "Paused")


def is_null(ref: t.Optional[str]) -> bool:
    return not ref or ref == NULL_REF


def is_live(vm_record: t.Optional[_engine.Record]) -> bool:
    return vm_record is not None and vm_record.get("power_state") in LIVE_POWER_STATES


# --- storage repositories ---------------------------------------------------------------------

def resolve_sr(srs: t.Mapping[str, _engine.Record], key: str, option: str = "sr") -> t.Tuple[str, _engine.Record]:
    """The SR a user named by uuid or name; fails naming the option when none or several match."""
    found = _engine.one_or_none(find_by_uuid_or_name(srs, key), "{0}: storage repository".format(option), key)
    if found is None:
        names = sorted(set(record.get("name_label", "") for record in srs.values()))
        raise errors.ResourceError("{0}: no storage repository has the name or uuid {1!r}. Known names: {2}.".format(option, key, ", ".join(names)))
    return found


def pool_default_sr(pools: query.Records, srs: query.Records) -> t.Tuple[str, _engine.Record]:
    """The pool's default SR, for options documented as defaulting to it."""
    for record in pools.values():
        ref = record.get("default_SR")
        if not is_null(ref) and ref in srs:
            return ref, srs[ref]
    raise errors.ResourceError("sr: the pool has no default storage repository; name one with the sr option.")


def find_by_uuid_or_name(records: t.Mapping[str, _engine.Record], key: str) -> t.List[t.Tuple[str, _engine.Record]]:
    """A uuid match wins; otherwise every record with this name_label."""
    by_uuid = query.find_by_uuid(records, key)
    return [by_uuid] if by_uuid is not None else query.find_by_name(records, key)


# --- virtual disks ----------------------------------------------------------------------------

def vdi_candidates(vdis: query.Records, key: str, sr_ref: t.Optional[str] = None) -> t.List[t.Tuple[str, _engine.Record]]:
    """The VDIs a user means by ``key``: the one with that uuid, else the disks (not snapshots) with
    that name, in ``sr_ref`` when given."""
    by_uuid = query.find_by_uuid(vdis, key)
    if by_uuid is not None:
        return [by_uuid]
    return [(ref, record) for ref, record in query.find_by_name(vdis, key)
            if not record.get("is_a_snapshot") and (sr_ref is None or record.get("SR") == sr_ref)]


def resolve_vdi(vdis: query.Records, key: str, sr_ref: t.Optional[str], option: str, sr_hint: str = "sr") -> t.Tuple[str, _engine.Record]:
    """Exactly one VDI for ``key``; fails naming ``option`` when there is none or several."""
    found = _engine.one_or_none(vdi_candidates(vdis, key, sr_ref), "{0}: virtual disk".format(option), key)
    if found is None:
        where_text = " in that storage repository" if sr_ref else ""
        raise errors.ResourceError("{0}: no virtual disk has the name or uuid {1!r}{2}; check the name, or give its uuid or the {3} it is in.".format(
            option, key, where_text, sr_hint))
    return found


def iso_libraries(srs: query.Records) -> t.Set[str]:
    """The SRs that hold CD images: ISO libraries (content type iso) and hosts' physical drives (udev)."""
    return set(ref for ref, sr in srs.items() if sr.get("content_type") == "iso" or sr.get("type") in ("iso", "udev"))


def resolve_iso(vdis: query.Records, srs: query.Records, key: str, option: str, sr_ref: t.Optional[str] = None) -> t.Tuple[str, _engine.Record]:
    """Exactly one ISO image for ``key`` (in ``sr_ref`` when given): a disk in an ISO library, never a VM's virtual disk."""
    libraries = iso_libraries(srs)
    candidates = vdi_candidates(vdis, key, sr_ref)
    images = [(ref, record) for ref, record in candidates if record.get("SR") in libraries]
    found = _engine.one_or_none(images, "{0}: ISO image".format(option), key)
    if found is not None:
        return found
    if candidates:
        ref, record = candidates[0]
        sr_name = srs.get(record.get("SR", ""), {}).get("name_label", record.get("SR"))
        raise errors.ResourceError("{0}: {1!r} ({2}) is a virtual disk in storage repository {3!r}, not an ISO image; a CD drive takes "
                                   "images from an ISO library.".format(option, record.get("name_label"), record.get("uuid"), sr_name))
    known = sorted(set(record.get("name_label", "") for record in vdis.values() if record.get("SR") in libraries))
    raise errors.ResourceError("{0}: no ISO image has the name or uuid {1!r}. Known images: {2}.".format(option, key, ", ".join(known) or "none"))


# --- virtual machines -------------------------------------------------------------------------

def vm_clause(key: str) -> str:
    """Matches the VMs whose uuid or name_label is ``key``."""
    return query.where_any(query.where(uuid=key), query.where(name_label=key))


def find_vms(client: xapi_client.XapiClient, key: str) -> query.Records:
    """The VM records whose uuid or name_label is ``key`` (one call)."""
    return query.get_all_records_where(client, "VM", vm_clause(key))


def pick_vm(vms: query.Records, key: str, option: str = "vm") -> _engine.Found:
    """The VM a user means: the uuid match, else the one VM (not a snapshot) with that name."""
    by_uuid = query.find_by_uuid(vms, key)
    if by_uuid is not None:
        return by_uuid
    named = [(ref, record) for ref, record in query.find_by_name(vms, key) if not record.get("is_a_snapshot")]
    return _engine.one_or_none(named, "{0}: VM".format(option), key)
