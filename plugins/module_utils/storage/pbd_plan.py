# Copyright: (c) 2026, xen.xapi maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What xen_pbd decides, without talking to XAPI: what each host's PBD becomes, and in which order
the operations run across the pool.

XAPI cannot change the ``device_config`` of a PBD in place, so a PBD with other settings is
reconfigured the way the SDK's ``fixpbds.py`` does it: unplug, destroy, create with the new
settings, plug (when it was plugged). Across hosts, the pool master's PBD is unplugged last and
plugged first, since the master coordinates shared storage.
"""

from __future__ import annotations

import dataclasses
import typing as t

from ansible_collections.xen.xapi.plugins.module_utils import _engine
from ansible_collections.xen.xapi.plugins.module_utils._xapi import errors, query
from ansible_collections.xen.xapi.plugins.module_utils.pool import hosts as pool_hosts
from ansible_collections.xen.xapi.plugins.module_utils.storage import credentials, device_config

# The operations on PBDs, in the order they run: everything is taken down before anything is brought up.
UNPLUG, DESTROY, CREATE, PLUG = "unplug", "destroy", "create", "plug"


@dataclasses.dataclass(frozen=True)
class HostPbd:
    """One host's attachment of the SR: the PBD it has (if any) and what it becomes."""

    host_ref: str
    host: str
    pbd_ref: t.Optional[str] = None
    record: t.Optional[_engine.Record] = None
    remove: bool = False
    # The device_config of a PBD to create (or to re-create in place of the current one); None keeps the current PBD.
    config: t.Optional[device_config.StrMap] = None
    # Whether the PBD is plugged at the end (ignored when it is removed).
    plug: bool = False

    @property
    def plugged_now(self) -> bool:
        return bool(self.record and self.record.get("currently_attached"))

    @property
    def recreate(self) -> bool:
        return self.pbd_ref is not None and self.config is not None

    def needs(self, operation: str) -> bool:
        if operation == UNPLUG:
            return self.plugged_now and (self.remove or self.recreate or not self.plug)
        if operation == DESTROY:
            return self.pbd_ref is not None and (self.remove or self.recreate)
        if operation == CREATE:
            return self.config is not None and not self.remove
        return not self.remove and self.plug and (self.config is not None or not self.plugged_now)

    @property
    def changed(self) -> bool:
        return any(self.needs(operation) for operation in (UNPLUG, DESTROY, CREATE, PLUG))


def plan_removal(host_ref: str, host: str, pbd: t.Optional[t.Tuple[str, _engine.Record]]) -> HostPbd:
    if pbd is None:
        return HostPbd(host_ref, host)
    return HostPbd(host_ref, host, pbd[0], pbd[1], remove=True)


def plan_presence(host_ref: str, host: str, pbd: t.Optional[t.Tuple[str, _engine.Record]], params: t.Mapping[str, t.Any],
                  sibling_config: t.Optional[t.Mapping[str, str]], sr_name: str) -> HostPbd:
    """What the host's PBD becomes for state=present: created, re-created with other settings, plugged or unplugged."""
    wanted, purge, plugged = params.get("device_config"), bool(params.get("purge")), params.get("plugged")
    if pbd is None:
        config = device_config.new_config(sibling_config, wanted, purge)
        if config is None:
            raise errors.ResourceError("device_config: required to attach storage repository {0!r} to {1}, since no other host has a PBD "
                                       "for it to copy the settings from.".format(sr_name, host))
        return HostPbd(host_ref, host, config=config, plug=plugged is not False)
    ref, record = pbd
    attached = bool(record.get("currently_attached"))
    target = device_config.target_config(record.get("device_config") or {}, wanted, purge)
    return HostPbd(host_ref, host, ref, record, config=target, plug=attached if plugged is None else bool(plugged))


def operations(plans: t.Sequence[HostPbd], hosts: query.Records, master: str) -> t.List[t.Tuple[str, HostPbd]]:
    """Every operation of every host, in the order they must run across the pool."""
    by_host = dict((plan.host_ref, plan) for plan in plans)
    down = [by_host[ref] for ref in pool_hosts.master_last(hosts, by_host, master)]
    up = [by_host[ref] for ref in pool_hosts.master_first(hosts, by_host, master)]
    ordered: t.List[t.Tuple[str, HostPbd]] = []
    for operation, order in ((UNPLUG, down), (DESTROY, down), (CREATE, up), (PLUG, up)):
        ordered.extend((operation, plan) for plan in order if plan.needs(operation))
    return ordered


def check_sharing(sr_record: _engine.Record, plans: t.Sequence[HostPbd], other_plugged: t.Sequence[str]) -> None:
    """A local (not shared) SR can be plugged on one host at a time; refuse a plan that plugs it on several."""
    if sr_record.get("shared"):
        return
    plugged = sorted(set(other_plugged) | set(plan.host for plan in plans if not plan.remove and plan.plug))
    if len(plugged) > 1:
        raise errors.ResourceError("plugged: storage repository {0!r} is not shared, so only one host can have it plugged, not {1}. "
                                   "Make it shared with xen.xapi.xen_sr first, or plug it on one host.".format(sr_record.get("name_label"),
                                                                                                               ", ".join(plugged)),
                                   error_code="SR_NOT_SHARABLE")


# --- the returned view ------------------------------------------------------------------------

def pbd_view(record: _engine.Record, hosts: query.Records, srs: query.Records) -> _engine.Record:
    sr = srs.get(record.get("SR", ""), {})
    return {
        "uuid": record.get("uuid", ""),
        "host": pool_hosts.host_name(hosts, record.get("host", "")),
        "sr": sr.get("name_label", ""),
        "sr_uuid": sr.get("uuid", ""),
        "plugged": bool(record.get("currently_attached")),
        "device_config": credentials.masked(record.get("device_config") or {}),
    }


def predicted_view(plan: HostPbd, before: _engine.Record, sr_record: _engine.Record) -> _engine.Record:
    """The PBD once the plan is done, for diff mode; a PBD made anew has a uuid XAPI has not chosen yet ("")."""
    if plan.remove:
        return {}
    config = plan.config if plan.config is not None else (plan.record or {}).get("device_config") or {}
    return {
        "uuid": "" if plan.config is not None else before.get("uuid", ""),
        "host": plan.host,
        "sr": sr_record.get("name_label", ""),
        "sr_uuid": sr_record.get("uuid", ""),
        "plugged": plan.plug,
        "device_config": credentials.masked(config),
    }


def field_changes(plan: HostPbd, before: _engine.Record, after: _engine.Record) -> t.List[t.Tuple[str, t.Any, t.Any]]:
    """How one PBD's change is reported: its state, or the fields that change."""
    if plan.remove:
        return [("state", "present", "absent")]
    if plan.pbd_ref is None:
        return [("state", "absent", "present")]
    return [(field, before.get(field), after.get(field)) for field in ("device_config", "plugged")
            # A re-created PBD is reported even when only a masked secret changes.
            if (plan.recreate and field == "device_config") or before.get(field) != after.get(field)]
