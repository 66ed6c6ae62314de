# Copyright: (c) 2026, xen.xapi maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""xen_pool's decisions, pure: the pool as returned, the settings that differ, and the HA steps.

Everything here reads records already fetched and names objects by name; the resource turns the
steps into XAPI calls.
"""

from __future__ import annotations

import typing as t

from ansible_collections.xen.xapi.plugins.module_utils import _setters
from ansible_collections.xen.xapi.plugins.module_utils._xapi import errors
from ansible_collections.xen.xapi.plugins.module_utils.disks import lookup

Record = t.Dict[str, t.Any]
Records = t.Mapping[str, Record]
NULL_REF = "OpaqueRef:NULL"
# (option, pool field, setter) of the pool's SR fields.
SR_FIELDS = (("default_sr", "default_SR", "pool.set_default_SR"),
             ("suspend_image_sr", "suspend_image_SR", "pool.set_suspend_image_SR"),
             ("crash_dump_sr", "crash_dump_SR", "pool.set_crash_dump_SR"))


def _name(records: Records, ref: t.Optional[str]) -> t.Optional[str]:
    record = records.get(ref or "")
    return record.get("name_label") if record else None


def pool_view(record: Record, hosts: Records, srs: Records, heartbeat_srs: t.Sequence[str] = ()) -> Record:
    """The pool as the module returns it: objects by name (``heartbeat_srs``: the SRs of its HA statefiles)."""
    master = record.get("master")
    return {
        "uuid": record.get("uuid", ""),
        "name": record.get("name_label", ""),
        "description": record.get("name_description", ""),
        "master": _name(hosts, master),
        "hosts": sorted(host.get("name_label", "") for host in hosts.values()),
        "default_sr": _name(srs, record.get("default_SR")),
        "suspend_image_sr": _name(srs, record.get("suspend_image_SR")),
        "crash_dump_sr": _name(srs, record.get("crash_dump_SR")),
        "other_config": dict(record.get("other_config") or {}),
        "tags": sorted(record.get("tags") or []),
        "migration_compression": bool(record.get("migration_compression")),
        "ha_enabled": bool(record.get("ha_enabled")),
        "ha_host_failures_to_tolerate": int(record.get("ha_host_failures_to_tolerate") or 0),
        "ha_heartbeat_srs": sorted(set(name for name in (_name(srs, ref) for ref in heartbeat_srs) if name)),
    }


def setters(record: Record, params: t.Mapping[str, t.Any], srs: Records) -> t.List[_setters.Setter]:
    """The pool's plain settings that differ from the options, in a fixed order."""
    found: t.List[_setters.Setter] = []
    found += _setters.setter_if_changed("name", record.get("name_label"), params.get("name"), "pool.set_name_label")
    found += _setters.setter_if_changed("description", record.get("name_description"), params.get("description"), "pool.set_name_description")
    for option, field, method in SR_FIELDS:
        key = params.get(option)
        if key is None:
            continue
        ref = lookup.resolve_sr(srs, key, option)[0]
        if ref != record.get(field):
            found.append(_setters.Setter(option, _name(srs, record.get(field)), _name(srs, ref), method, ref))
    purge = bool(params.get("purge"))
    found += _setters.map_setter("other_config", record.get("other_config") or {}, params.get("other_config"), purge, "pool.set_other_config")
    found += _setters.tags_setter(record.get("tags") or [], params.get("tags"), purge, "pool.set_tags")
    found += _setters.setter_if_changed("migration_compression", bool(record.get("migration_compression")), params.get("migration_compression"),
                                        "pool.set_migration_compression")
    return found


class HaStep(t.NamedTuple):
    option: str
    before: t.Any
    after: t.Any
    method: str
    args: t.Tuple[t.Any, ...]


def ha_steps(record: Record, params: t.Mapping[str, t.Any], srs: Records) -> t.List[HaStep]:
    """Enabling or disabling HA, then the number of host failures it tolerates, as the options ask."""
    steps: t.List[HaStep] = []
    enabled = bool(record.get("ha_enabled"))
    wanted = params.get("ha_enabled")
    heartbeat = [lookup.resolve_sr(srs, key, "ha_heartbeat_srs")[0] for key in params.get("ha_heartbeat_srs") or []]
    failures = params.get("ha_host_failures_to_tolerate")
    if failures is not None and failures < 0:
        raise errors.ResourceError("ha_host_failures_to_tolerate: give 0 or more host failures, not {0}.".format(failures))
    if wanted is True and not enabled:
        steps.append(HaStep("ha_enabled", False, True, "pool.enable_ha", (heartbeat, {})))
        enabled = True
    elif wanted is False and enabled:
        steps.append(HaStep("ha_enabled", True, False, "pool.disable_ha", ()))
        enabled = False
    current = int(record.get("ha_host_failures_to_tolerate") or 0)
    if failures is not None and failures != current:
        if not enabled:
            raise errors.ResourceError("ha_host_failures_to_tolerate: HA is off; set ha_enabled: true to have failures tolerated.")
        steps.append(HaStep("ha_host_failures_to_tolerate", current, failures, "pool.set_ha_host_failures_to_tolerate", (failures,)))
    return steps
