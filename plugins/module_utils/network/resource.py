# Copyright: (c) 2026, xen.xapi maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""xen_network's resource: a network found by uuid or name, its VLAN on every host, its removal.

Reads: one ``event.from`` for the network, PIF and host classes, so a run that changes nothing
costs three calls with login and logout. Removing a network with VM interfaces reads those
interfaces and their VMs (two more calls).
"""

from __future__ import annotations

import typing as t

from ansible_collections.xen.xapi.plugins.module_utils._engine import BatchedResource, Change, Found, Record, ResourceError, one_or_none
from ansible_collections.xen.xapi.plugins.module_utils._xapi.query import find_by_name, find_by_uuid, snapshot
from ansible_collections.xen.xapi.plugins.module_utils.network.plan import (
    VlanSpec,
    VlanStep,
    check_create,
    check_params,
    check_unchangeable,
    create_record,
    current_vlan,
    metadata_setters,
    network_pifs,
    network_view,
    pifs_view,
    predicted_pifs,
    vlan_spec,
    vlan_steps,
)
from ansible_collections.xen.xapi.plugins.module_utils.network.removal import (
    VifStep,
    VifUse,
    check_no_physical_interfaces,
    vif_steps,
    vif_uses,
    vlan_interfaces,
)
from ansible_collections.xen.xapi.plugins.module_utils._setters import applied_together, setter_changes
from ansible_collections.xen.xapi.plugins.module_utils.disks.lookup import is_null

READ_CLASSES = ("network", "PIF", "host")


class NetworkResource(BatchedResource):
    read_classes = READ_CLASSES
    result_key = "network"

    def __init__(self, *args: t.Any, **kwargs: t.Any) -> None:
        super().__init__(*args, **kwargs)
        self._predicted: Record = {}

    # -- reads ------------------------------------------------------------------------------
    def _pifs_of(self, record: Record) -> t.Dict[str, Record]:
        return network_pifs(record, self.world()["PIF"])

    # -- identity ---------------------------------------------------------------------------
    @classmethod
    def check_params(cls, params: t.Mapping[str, t.Any]) -> None:
        check_params(params)

    def locate(self) -> Found:
        networks = self.world()["network"]
        if self.params["uuid"] is not None:
            return find_by_uuid(networks, self.params["uuid"])
        return one_or_none(find_by_name(networks, self.params["name"]), "name: network", self.params["name"])

    # -- plans ------------------------------------------------------------------------------
    def plan_create(self) -> t.Callable[[], str]:
        if self.params["uuid"] is not None:
            raise ResourceError("uuid: no network has the uuid {0!r}. XAPI chooses the uuid of a new network: to create one, "
                                "give name instead of uuid.".format(self.params["uuid"]))
        check_create(self.params)
        spec = vlan_spec(self.params["vlan"])
        steps: t.List[VlanStep] = []
        if spec is not None:
            world = self.world()
            steps = vlan_steps(self.params["name"], {}, world["PIF"], world["host"], world["network"], spec)
        record = create_record(self.params)
        hosts = self.world()["host"]
        predicted = network_view(dict(record, uuid=None, VIFs=[]), {}, hosts)
        if spec is not None:
            predicted["pifs"] = predicted_pifs([], steps, spec)
            predicted["vlan"] = spec.as_dict()
        self._predicted = predicted
        return lambda: self._create(record, steps, spec)

    def predict_created(self) -> Record:
        return dict(self._predicted)

    def _create(self, record: Record, steps: t.Sequence[VlanStep], spec: t.Optional[VlanSpec]) -> str:
        ref = str(self.call("network.create", record))
        self.journal.object_created()
        if spec is not None:
            self.journal.begin("vlan", None, spec.as_dict())
            self._apply_vlan_steps(ref, steps, spec)
        return ref

    def plan_update(self, ref: str, record: Record) -> t.List[Change]:
        check_unchangeable(record, self.params)
        changes = setter_changes(ref, metadata_setters(record, self.params), self.call)
        spec = vlan_spec(self.params["vlan"])
        if spec is None:
            return changes
        world = self.world()
        net_pifs = self._pifs_of(record)
        steps = vlan_steps(record["name_label"], net_pifs, world["PIF"], world["host"], world["network"], spec)
        if steps:
            before = pifs_view(net_pifs, world["host"])
            reported = [("pifs", before, predicted_pifs(before, steps, spec))]
            if current_vlan(before) is None:
                reported.insert(0, ("vlan", None, spec.as_dict()))
            changes.extend(applied_together(reported, lambda: self._apply_vlan_steps(ref, steps, spec)))
        return changes

    def plan_delete(self, ref: str, record: Record) -> t.List[Change]:
        name = record["name_label"]
        hosts = self.world()["host"]
        net_pifs = self._pifs_of(record)
        check_no_physical_interfaces(name, net_pifs, hosts)
        uses = self._vif_uses(record)
        steps = vif_steps(name, uses, bool(self.params["force"]))
        changes: t.List[Change] = []
        if steps:
            changes.extend(applied_together([("vifs", [use.describe() for use in uses], [])], lambda: self._remove_vifs(steps)))
        vlans = vlan_interfaces(net_pifs, hosts)
        if vlans:
            changes.extend(applied_together([("pifs", pifs_view(net_pifs, hosts), [])], lambda: self._remove_vlans(vlans)))
        changes.append(Change("state", "present", "absent", lambda: self.call("network.destroy", ref)))
        return changes

    def _vif_uses(self, record: Record) -> t.List[VifUse]:
        """The VMs' interfaces on the network: read only when it has some (two calls)."""
        vif_refs = record.get("VIFs") or []
        if not vif_refs:
            return []
        vifs = snapshot(self.client, objects={"VIF": vif_refs})["VIF"]
        vms = snapshot(self.client, objects={"VM": [vif["VM"] for vif in vifs.values()]})["VM"]
        return vif_uses(record, vifs, vms)

    # -- writes -----------------------------------------------------------------------------
    def _apply_vlan_steps(self, ref: str, steps: t.Sequence[VlanStep], spec: VlanSpec) -> None:
        for step in steps:
            if step.action == "create":
                self.run_task("VLAN.create", step.pif_ref, spec.tag, ref)
            else:
                self.change_state("PIF.plug", step.pif_ref)

    def _remove_vifs(self, steps: t.Sequence[VifStep]) -> None:
        for step in steps:
            if step.action == "unplug":
                self.change_state("VIF.unplug", step.use.vif_ref)
            else:
                self.call("VIF.destroy", step.use.vif_ref)

    def _remove_vlans(self, vlans: t.Sequence[t.Tuple[str, Record]]) -> None:
        """VLAN.destroy takes the VLAN interface down and removes it (PIF.destroy for an interface without its VLAN record)."""
        for pif_ref, pif in vlans:
            vlan = pif.get("VLAN_master_of")
            if is_null(vlan):
                self.run_task("PIF.destroy", pif_ref)
            else:
                self.run_task("VLAN.destroy", vlan)

    # -- view -------------------------------------------------------------------------------
    def present(self, ref: t.Optional[str]) -> Record:
        if ref is None:
            return {}
        world = self.world()
        record = world["network"].get(ref)
        if record is None:
            return {}
        return network_view(record, self._pifs_of(record), world["host"])
