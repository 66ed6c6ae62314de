# Copyright: (c) 2026, xen.xapi maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""xen_sr's resource: a storage repository found by uuid, or by name (on a host), created, changed,
destroyed or forgotten.

Reads: one ``query.snapshot`` of the SR, PBD, host, pool and SM classes (a call per class, sent together: one round trip).
Removing an SR also reads the drives plugged on its disks and their VMs.
"""

from __future__ import annotations

import typing as t

from ansible_collections.xen.xapi.plugins.module_utils import _engine, _setters
from ansible_collections.xen.xapi.plugins.module_utils._xapi import errors, query
from ansible_collections.xen.xapi.plugins.module_utils.pool import hosts as pool_hosts
from ansible_collections.xen.xapi.plugins.module_utils.storage import disk_users, sr_plan

READ_CLASSES = ("SR", "PBD", "host", "pool", "SM")
REMOVED_STATES = ("absent", "forgotten")


class SrResource(_engine.BatchedResource):
    read_classes = READ_CLASSES
    result_key = "sr"

    def __init__(self, *args: t.Any, **kwargs: t.Any) -> None:
        super().__init__(*args, **kwargs)
        self._predicted: _engine.Record = {}

    def wanted_state(self) -> str:
        # Forgetting is a removal too: the engine plans it through plan_delete.
        return "absent" if self.params["state"] in REMOVED_STATES else "present"

    # -- reads ------------------------------------------------------------------------------
    def _host(self) -> t.Optional[t.Tuple[str, str]]:
        """The target_host option as (ref, name), None when not set."""
        if self.params["target_host"] is None:
            return None
        ref, record = pool_hosts.resolve_host(self.world()["host"], self.params["target_host"], "target_host")
        return ref, str(record.get("name_label", ref))

    # -- identity ---------------------------------------------------------------------------
    def locate(self) -> _engine.Found:
        world = self.world()
        if self.params["uuid"] is not None:
            return query.find_by_uuid(world["SR"], self.params["uuid"])
        named = query.find_by_name(world["SR"], self.params["name"])
        host = self._host()
        if host is not None:
            # Local SRs of different hosts often share a name: the one on this host is meant.
            named = [(ref, record) for ref, record in named if sr_plan.attached_to(record, world["PBD"], host[0])]
        return _engine.one_or_none(named, "name: storage repository", self.params["name"])

    # -- plans ------------------------------------------------------------------------------
    def plan_create(self) -> t.Callable[[], str]:
        if self.params["uuid"] is not None:
            raise errors.ResourceError("uuid: no storage repository has the uuid {0!r}. XAPI chooses the uuid of a new SR: to create one, "
                                       "give name and type instead of uuid.".format(self.params["uuid"]))
        world = self.world()
        sr_type = sr_plan.check_type(self.params["type"], self.params["name"], world["SM"])
        host = self._host()
        host_ref = host[0] if host is not None else pool_hosts.pool_master(world["pool"])
        args = sr_plan.create_args(self.params, host_ref, sr_type)
        pools = world["pool"]
        record = {"uuid": None, "name_label": args[3], "name_description": args[4], "type": args[5], "content_type": args[6],
                  "shared": args[7], "physical_size": 0, "physical_utilisation": 0, "virtual_allocation": 0,
                  "other_config": _engine.string_map(self.params["other_config"]) or {}, "sm_config": args[8],
                  "tags": list(dict.fromkeys(self.params["tags"] or [])), "PBDs": [], "VDIs": []}
        self._predicted = dict(sr_plan.sr_view("", record, {}, world["host"], {}), default=bool(self.params["default"]))
        return lambda: self._create(args, pools)

    def predict_created(self) -> _engine.Record:
        return dict(self._predicted)

    def _create(self, args: t.List[t.Any], pools: t.Dict[str, _engine.Record]) -> str:
        ref = str(self.run_task("SR.create", *args))
        self.journal.object_created()
        # Entries are added one by one: a driver may have put its own entries in other_config already.
        for key, value in sorted((_engine.string_map(self.params["other_config"]) or {}).items()):
            self.journal.begin("other_config", None, {key: value})
            self.call("SR.add_to_other_config", ref, key, value)
        if self.params["tags"]:
            tags = list(dict.fromkeys(self.params["tags"]))
            self.journal.begin("tags", [], tags)
            self.call("SR.set_tags", ref, tags)
        self.journal.begin("default", False, bool(self.params["default"]))
        self._set_pool_fields(pools, sr_plan.default_updates(ref, pools, self.params["default"]))
        return ref

    def plan_update(self, ref: str, record: _engine.Record) -> t.List[_engine.Change]:
        world = self.world()
        sr_plan.check_unchangeable(record, self.params, world["PBD"], self._host())
        changes = _setters.setter_changes(ref, sr_plan.metadata_setters(record, self.params), self.call)
        updates = sr_plan.default_updates(ref, world["pool"], self.params["default"])
        if updates:
            pools = world["pool"]
            changes.append(_engine.Change("default", sr_plan.is_default(ref, pools), bool(self.params["default"]),
                                          lambda: self._set_pool_fields(pools, updates)))
        differing = sr_plan.hosts_with_other_config(record, world["PBD"], world["host"], self.params["device_config"])
        if differing:
            self.module.warn("device_config: storage repository {0!r} is reached with other settings on {1}; device_config is only used "
                             "to create an SR. Reconfigure its PBDs with xen.xapi.xen_pbd.".format(record["name_label"], ", ".join(differing)))
        return changes

    def plan_delete(self, ref: str, record: _engine.Record) -> t.List[_engine.Change]:
        state = self.params["state"]
        name = record["name_label"]
        disks = disk_users.read_sr_disks(self.client, record.get("VDIs") or [])
        sr_plan.check_not_in_use(name, disks.holding(), state)
        if state == "absent":
            sr_plan.check_destroyable(name, record, disks.vdis)
        world = self.world()
        pbds = sr_plan.sr_pbds(record, world["PBD"])
        attached = dict((pbd_ref, pbd) for pbd_ref, pbd in pbds.items() if pbd.get("currently_attached"))
        changes: t.List[_engine.Change] = []
        if attached:
            before = sr_plan.pbd_summaries(record, world["PBD"], world["host"])
            after = [dict(view, plugged=False) for view in before]
            order = pool_hosts.order_by_host(attached, world["host"], pool_hosts.pool_master(world["pool"]), master_at_end=True)
            changes.extend(_setters.applied_together([("pbds", before, after)], lambda: self._unplug(order)))
        method = "SR.destroy" if state == "absent" else "SR.forget"
        changes.append(_engine.Change("state", "present", state, lambda: self.run_task(method, ref)))
        return changes

    # -- writes -----------------------------------------------------------------------------
    def _unplug(self, pbd_refs: t.Sequence[str]) -> None:
        for pbd_ref in pbd_refs:
            self.change_state("PBD.unplug", pbd_ref)

    def _set_pool_fields(self, pools: t.Dict[str, _engine.Record], updates: t.Dict[str, str]) -> None:
        for pool_ref in pools:
            for field, value in updates.items():
                self.call("pool.set_" + field, pool_ref, value)

    # -- view -------------------------------------------------------------------------------
    def present(self, ref: t.Optional[str]) -> _engine.Record:
        if ref is None:
            return {}
        world = self.world()
        record = world["SR"].get(ref)
        if record is None:
            return {}
        return sr_plan.sr_view(ref, record, world["PBD"], world["host"], world["pool"])
