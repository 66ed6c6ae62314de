# Copyright: (c) 2026, xen.xapi maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""xen_network's resource: a network found by uuid or name, its VLAN on every host, its removal.

Reads: one ``query.snapshot`` of the network, PIF and host classes (a call per class, sent together: one round
trip). Removing a network with VM interfaces reads those interfaces and their VMs (two
more calls).
"""

from __future__ import annotations

import typing as t

from ansible_collections.xen.xapi.plugins.module_utils import _engine, _setters
from ansible_collections.xen.xapi.plugins.module_utils._xapi import errors, query
from ansible_collections.xen.xapi.plugins.module_utils.disks import lookup
from ansible_collections.xen.xapi.plugins.module_utils.network import plan, removal

READ_CLASSES = ("network", "PIF", "host")


class NetworkResource(_engine.BatchedResource):
    read_classes = READ_CLASSES
    result_key = "network"

    def __init__(self, *args: t.Any, **kwargs: t.Any) -> None:
        super().__init__(*args, **kwargs)
        self._predicted: _engine.Record = {}

    # -- reads ------------------------------------------------------------------------------
    def _pifs_of(self, record: _engine.Record) -> t.Dict[str, _engine.Record]:
        return plan.network_pifs(record, self.world()["PIF"])

    # -- identity ---------------------------------------------------------------------------
    @classmethod
    def check_params(cls, params: t.Mapping[str, t.Any]) -> None:
        plan.check_params(params)

    def locate(self) -> _engine.Found:
        networks = self.world()["network"]
        if self.params["uuid"] is not None:
            return query.find_by_uuid(networks, self.params["uuid"])
        return _engine.one_or_none(query.find_by_name(networks, self.params["name"]), "name: network", self.params["name"])

    # -- plans ------------------------------------------------------------------------------
    def plan_create(self) -> t.Callable[[], str]:
        if self.params["uuid"] is not None:
            raise errors.ResourceError("uuid: no network has the uuid {0!r}. XAPI chooses the uuid of a new network: to create one, "
                                       "give name instead of uuid.".format(self.params["uuid"]))
        plan.check_create(self.params)
        spec = plan.vlan_spec(self.params["vlan"])
        steps: t.List[plan.VlanStep] = []
        if spec is not None:
            world = self.world()
            steps = plan.vlan_steps(self.params["name"], {}, world["PIF"], world["host"], world["network"], spec)
        record = plan.create_record(self.params)
        hosts = self.world()["host"]
        predicted = plan.network_view(dict(record, uuid=None, VIFs=[]), {}, hosts)
        if spec is not None:
            predicted["pifs"] = plan.predicted_pifs([], steps, spec)
            predicted["vlan"] = spec.as_dict()
        self._predicted = predicted
        return lambda: self._create(record, steps, spec)

    def predict_created(self) -> _engine.Record:
        return dict(self._predicted)

    def _create(self, record: _engine.Record, steps: t.Sequence[plan.VlanStep], spec: t.Optional[plan.VlanSpec]) -> str:
        ref = str(self.call("network.create", record))
        self.journal.object_created()
        if spec is not None:
            self.journal.begin("vlan", None, spec.as_dict())
            self._apply_vlan_steps(ref, steps, spec)
        return ref

    def plan_update(self, ref: str, record: _engine.Record) -> t.List[_engine.Change]:
        plan.check_unchangeable(record, self.params)
        changes = _setters.setter_changes(ref, plan.metadata_setters(record, self.params), self.call)
        spec = plan.vlan_spec(self.params["vlan"])
        if spec is None:
            return changes
        world = self.world()
        net_pifs = self._pifs_of(record)
        steps = plan.vlan_steps(record["name_label"], net_pifs, world["PIF"], world["host"], world["network"], spec)
        if steps:
            before = plan.pifs_view(net_pifs, world["host"])
            reported: t.List[t.Tuple[str, t.Any, t.Any]] = [("pifs", before, plan.predicted_pifs(before, steps, spec))]
            if plan.current_vlan(before) is None:
                reported.insert(0, ("vlan", None, spec.as_dict()))
            changes.extend(_setters.applied_together(reported, lambda: self._apply_vlan_steps(ref, steps, spec)))
        return changes

    def plan_delete(self, ref: str, record: _engine.Record) -> t.List[_engine.Change]:
        name = record["name_label"]
        hosts = self.world()["host"]
        net_pifs = self._pifs_of(record)
        removal.check_no_physical_interfaces(name, net_pifs, hosts)
        uses = self._vif_uses(record)
        steps = removal.vif_steps(name, uses, bool(self.params["force"]))
        changes: t.List[_engine.Change] = []
        if steps:
            changes.extend(_setters.applied_together([("vifs", [use.describe() for use in uses], [])], lambda: self._remove_vifs(steps)))
        vlans = removal.vlan_interfaces(net_pifs, hosts)
        if vlans:
            changes.extend(_setters.applied_together([("pifs", plan.pifs_view(net_pifs, hosts), [])], lambda: self._remove_vlans(vlans)))
        changes.append(_engine.Change("state", "present", "absent", lambda: self.call("network.destroy", ref)))
        return changes

    def _vif_uses(self, record: _engine.Record) -> t.List[removal.VifUse]:
        """The VMs' interfaces on the network: read only when it has some (two calls)."""
        vif_refs = record.get("VIFs") or []
        if not vif_refs:
            return []
        vifs = query.snapshot(self.client, objects={"VIF": vif_refs})["VIF"]
        vms = query.snapshot(self.client, objects={"VM": [vif["VM"] for vif in vifs.values()]})["VM"]
        return removal.vif_uses(record, vifs, vms)

    # -- writes -----------------------------------------------------------------------------
    def _apply_vlan_steps(self, ref: str, steps: t.Sequence[plan.VlanStep], spec: plan.VlanSpec) -> None:
        for step in steps:
            if step.action == "create":
                self.run_task("VLAN.create", step.pif_ref, spec.tag, ref)
            else:
                self.change_state("PIF.plug", step.pif_ref)

    def _remove_vifs(self, steps: t.Sequence[removal.VifStep]) -> None:
        for step in steps:
            if step.action == "unplug":
                self.change_state("VIF.unplug", step.use.vif_ref)
            else:
                self.call("VIF.destroy", step.use.vif_ref)

    def _remove_vlans(self, vlans: t.Sequence[t.Tuple[str, _engine.Record]]) -> None:
        """VLAN.destroy takes the VLAN interface down and removes it (PIF.destroy for an interface without its VLAN record)."""
        for pif_ref, pif in vlans:
            vlan = pif.get("VLAN_master_of")
            if lookup.is_null(vlan):
                self.run_task("PIF.destroy", pif_ref)
            else:
                self.run_task("VLAN.destroy", vlan)

    # -- view -------------------------------------------------------------------------------
    def present(self, ref: t.Optional[str]) -> _engine.Record:
        if ref is None:
            return {}
        world = self.world()
        record = world["network"].get(ref)
        if record is None:
            return {}
        return plan.network_view(record, self._pifs_of(record), world["host"])
