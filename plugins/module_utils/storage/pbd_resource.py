# Copyright: (c) 2026, xen.xapi maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""xen_pbd's resource: the PBDs of one SR on one, several or all hosts of the pool.

The object the engine reconciles is the SR's set of PBDs on the hosts asked for: ``locate`` finds
the SR, and the plans create, re-create, plug, unplug or remove the PBD of each host. One PBD
(found by uuid, or a single host) is returned as ``pbd``; several as ``pbds``, keyed by host name.

Reads: one ``query.snapshot`` of the SR, PBD, host and pool classes (a call per class, sent together: one round trip).
Unplugging also reads which VMs use the SR's disks.
"""

from __future__ import annotations

import typing as t

from ansible_collections.xen.xapi.plugins.module_utils import _engine, _setters
from ansible_collections.xen.xapi.plugins.module_utils._xapi import errors, query
from ansible_collections.xen.xapi.plugins.module_utils.disks import lookup
from ansible_collections.xen.xapi.plugins.module_utils.pool import hosts as pool_hosts
from ansible_collections.xen.xapi.plugins.module_utils.storage import disk_users, pbd_plan

READ_CLASSES = ("SR", "PBD", "host", "pool")
Pbd = t.Tuple[str, _engine.Record]


class PbdResource(_engine.BatchedResource):
    read_classes = READ_CLASSES

    def __init__(self, *args: t.Any, **kwargs: t.Any) -> None:
        super().__init__(*args, **kwargs)
        self._targets: t.Optional[t.List[str]] = None
        hosts = self.params["hosts"] or []
        self.single = self.params["uuid"] is not None or (len(hosts) == 1 and hosts[0] != pool_hosts.ALL_HOSTS)
        self.result_key = "pbd" if self.single else "pbds"

    # -- reads ------------------------------------------------------------------------------
    def _pbd_on(self, sr_record: _engine.Record, host_ref: str) -> t.Optional[Pbd]:
        pbds = self.world()["PBD"]
        for ref in sorted(sr_record.get("PBDs") or []):
            if ref in pbds and pbds[ref].get("host") == host_ref:
                return ref, pbds[ref]
        return None

    def _target_hosts(self) -> t.List[str]:
        """The host refs asked for; kept from the first read, so a re-created PBD is found on the same host."""
        if self._targets is None:
            world = self.world()
            if self.params["uuid"] is not None:
                found = query.find_by_uuid(world["PBD"], self.params["uuid"])
                self._targets = [found[1]["host"]] if found else []
            else:
                self._targets = pool_hosts.resolve_hosts(world["host"], self.params["hosts"], "hosts")
        return self._targets

    # -- identity ---------------------------------------------------------------------------
    def locate(self) -> _engine.Found:
        """The SR whose PBDs are managed (the object the engine reconciles)."""
        world = self.world()
        if self.params["uuid"] is not None:
            found = query.find_by_uuid(world["PBD"], self.params["uuid"])
            sr_ref = found[1]["SR"] if found else None
            return (sr_ref, world["SR"][sr_ref]) if sr_ref in world["SR"] else None
        self._target_hosts()  # fail early on unknown hosts
        try:
            return lookup.resolve_sr(world["SR"], self.params["sr"])
        except errors.ResourceError:
            if self.params["state"] == "absent":
                return None  # no SR, so no PBD to remove
            raise

    # -- plans ------------------------------------------------------------------------------
    def plan_create(self) -> t.Callable[[], str]:
        # Only reached when the PBD named by uuid does not exist: XAPI chooses the uuid of new PBDs.
        raise errors.ResourceError("uuid: no PBD has the uuid {0!r}. To attach a storage repository to a host, give sr and hosts "
                                   "instead of uuid.".format(self.params["uuid"]))

    def plan_update(self, ref: str, record: _engine.Record) -> t.List[_engine.Change]:
        hosts = self.world()["host"]
        sibling = self._sibling_config(record)
        plans = [pbd_plan.plan_presence(host_ref, pool_hosts.host_name(hosts, host_ref), self._pbd_on(record, host_ref), self.params, sibling,
                                        record["name_label"])
                 for host_ref in self._target_hosts()]
        pbd_plan.check_sharing(record, plans, self._plugged_elsewhere(record))
        return self._changes(ref, record, plans)

    def plan_delete(self, ref: str, record: _engine.Record) -> t.List[_engine.Change]:
        hosts = self.world()["host"]
        plans = [pbd_plan.plan_removal(host_ref, pool_hosts.host_name(hosts, host_ref), self._pbd_on(record, host_ref)) for host_ref in self._target_hosts()]
        return self._changes(ref, record, plans)

    def _sibling_config(self, sr_record: _engine.Record) -> t.Optional[t.Dict[str, str]]:
        """The settings of another host's PBD (the master's when it has one), to attach the SR to hosts that lack it."""
        world = self.world()
        master = pool_hosts.pool_master(world["pool"])
        pbds = [world["PBD"][ref] for ref in sorted(sr_record.get("PBDs") or []) if ref in world["PBD"]]
        pbds.sort(key=lambda pbd: pbd.get("host") != master)
        return dict(pbds[0].get("device_config") or {}) if pbds else None

    def _plugged_elsewhere(self, sr_record: _engine.Record) -> t.List[str]:
        """Names of the hosts outside the targets that have the SR plugged."""
        world = self.world()
        targets = set(self._target_hosts())
        return [pool_hosts.host_name(world["host"], pbd["host"]) for pbd in (world["PBD"].get(ref) for ref in sr_record.get("PBDs") or [])
                if pbd and pbd.get("currently_attached") and pbd.get("host") not in targets]

    def _changes(self, sr_ref: str, sr_record: _engine.Record, plans: t.Sequence[pbd_plan.HostPbd]) -> t.List[_engine.Change]:
        changed = [plan for plan in plans if plan.changed]
        if not changed:
            return []
        self._check_unplug_safe(sr_record, [plan for plan in changed if plan.needs(pbd_plan.UNPLUG)])
        world = self.world()
        ordered = pbd_plan.operations(changed, world["host"], pool_hosts.pool_master(world["pool"]))
        reported: t.List[t.Tuple[str, t.Any, t.Any]] = []
        for plan in sorted(changed, key=lambda item: item.host):
            before = pbd_plan.pbd_view(plan.record, world["host"], world["SR"]) if plan.record else {}
            after = pbd_plan.predicted_view(plan, before, sr_record)
            reported.extend(pbd_plan.field_changes(plan, before, after) if self.single else [(plan.host, before, after)])
        return _setters.applied_together(reported, lambda: self._run(sr_ref, ordered))

    def _check_unplug_safe(self, sr_record: _engine.Record, unplugging: t.Sequence[pbd_plan.HostPbd]) -> None:
        """PBD.unplug fails with VDI_IN_USE while guests running on the host use the SR's disks: refuse before any change."""
        if not unplugging:
            return
        disks = disk_users.read_sr_disks(self.client, sr_record.get("VDIs") or [])
        for plan in unplugging:
            users = disks.live_on(plan.host_ref)
            if users:
                raise errors.ResourceError("{0}: storage repository {1!r} cannot be unplugged from {2}, where running VMs use its disks: {3}. "
                                           "Shut them down or migrate them first.".format(
                                               "state=absent" if plan.remove else "device_config" if plan.recreate else "plugged",
                                               sr_record["name_label"], plan.host, disk_users.describe_users(users)),
                                           error_code="VDI_IN_USE", host=plan.host, vms=[user.as_dict() for user in users])

    # -- writes -----------------------------------------------------------------------------
    def _run(self, sr_ref: str, ordered: t.Sequence[t.Tuple[str, pbd_plan.HostPbd]]) -> None:
        created: t.Dict[str, str] = {}
        for operation, plan in ordered:
            if operation == pbd_plan.UNPLUG:
                self.change_state("PBD.unplug", _existing(plan))
            elif operation == pbd_plan.DESTROY:
                self.call("PBD.destroy", _existing(plan))
            elif operation == pbd_plan.CREATE:
                other_config = dict((plan.record or {}).get("other_config") or {})
                record = {"host": plan.host_ref, "SR": sr_ref, "device_config": plan.config, "other_config": other_config}
                created[plan.host_ref] = str(self.call("PBD.create", record))
            else:
                self.change_state("PBD.plug", created.get(plan.host_ref) or _existing(plan))

    def settle_changes(self, done: t.List[_engine.Record], after: _engine.Record) -> None:
        """A PBD made anew (added, or re-created with other settings) is reported with the uuid XAPI gave it."""
        if self.single:
            return
        for entry in done:
            if isinstance(entry["after"], dict) and entry["option"] in after:
                entry["after"] = after[entry["option"]]

    # -- view -------------------------------------------------------------------------------
    def present(self, ref: t.Optional[str]) -> _engine.Record:
        if ref is None:
            return {}
        world = self.world()
        sr_record = world["SR"].get(ref)
        if sr_record is None:
            return {}
        views = {}
        for host_ref in self._target_hosts():
            pbd = self._pbd_on(sr_record, host_ref)
            if pbd is not None:
                views[pool_hosts.host_name(world["host"], host_ref)] = pbd_plan.pbd_view(pbd[1], world["host"], world["SR"])
        if self.single:
            return next(iter(views.values()), {})
        return views


def _existing(plan: pbd_plan.HostPbd) -> str:
    """The PBD a step on an existing attachment acts on (pbd_plan plans those only for hosts that have one)."""
    if plan.pbd_ref is None:
        raise AssertionError("a step on the PBD of host {0} was planned, but the host has none".format(plan.host_ref))
    return plan.pbd_ref
