# Copyright: (c) 2026, xen.xapi maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""xen_vm_group's resource: a VM group found by name, its description, and which VMs belong to it.

Reads: one ``query.snapshot`` of the groups and hosts, one call for the group's members, and one
``VM.get_all_records_where`` for the VMs the ``vms`` option names, whatever their number. Membership is
``VM.set_groups`` on each VM that joins or leaves; after a dropped connection the next round reads the
members again and only sends what is still missing.
"""

from __future__ import annotations

import typing as t

from ansible_collections.xen.xapi.plugins.module_utils import _engine, _setters
from ansible_collections.xen.xapi.plugins.module_utils._xapi import errors, query
from ansible_collections.xen.xapi.plugins.module_utils.vm import group_plan, reader


class VmGroupResource(_engine.BatchedResource):
    result_key = "vm_group"
    read_classes = ("VM_group", "host")
    # The group's members and the VMs the options name come in reads of their own, after the group's.
    reads_at_once = False

    def __init__(self, *args: t.Any, **kwargs: t.Any) -> None:
        super().__init__(*args, **kwargs)
        self._wanted: t.Optional[group_plan.Records] = None
        self._members_read: t.Optional[group_plan.Records] = None
        self._predicted: _engine.Record = {}

    def forget_reads(self) -> None:
        super().forget_reads()
        self._members_read = None

    def new_round(self) -> None:
        super().new_round()
        self._wanted = None

    # -- reads ------------------------------------------------------------------------------
    def _members(self, record: _engine.Record) -> group_plan.Records:
        """The group's VMs, read once until the next write (the module manages one group)."""
        if self._members_read is None:
            refs = list(record.get("VMs") or [])
            self._members_read = query.snapshot(self.client, objects={"VM": refs})["VM"] if refs else {}
        return self._members_read

    def _wanted_vms(self) -> t.Optional[group_plan.Records]:
        """The VMs the vms option names (None when it is not given), read in one call."""
        entries = self.params.get("vms")
        if entries is None:
            return None
        if self._wanted is None:
            clauses = [query.field_equals("uuid", entry.lower()) if group_plan.UUID.match(entry) else query.field_equals("name__label", entry)
                       for entry in entries]
            found = query.get_all_records_where(self.client, "VM", query.where_all(reader.PLAIN_VM, query.where_any(*clauses))) if clauses else {}
            self._wanted = group_plan.resolve_vms(entries, found)
        return self._wanted

    # -- plans ------------------------------------------------------------------------------
    def locate(self) -> _engine.Found:
        return _engine.one_or_none(query.find_by_name(self.world()["VM_group"], self.params["name"]), "name: VM group", self.params["name"])

    def plan_create(self) -> t.Callable[[], str]:
        wanted = self._wanted_vms() or {}
        joining = group_plan.membership(None, [], wanted, self.world()["VM_group"])
        fields = {"name_label": self.params["name"], "name_description": self.params.get("description") or "",
                  "placement": self.params.get("placement") or "normal"}
        self._predicted = group_plan.group_view(dict(fields, uuid=None), wanted, self.world()["host"])

        def make() -> str:
            ref = str(self.call("VM_group.create", fields))
            self.journal.object_created()
            if joining:
                self.journal.run(self._membership_change(ref, {}, wanted, joining))
            return ref
        return make

    def predict_created(self) -> _engine.Record:
        return dict(self._predicted)

    def create_steps(self) -> t.List[_engine.Change]:
        wanted = self._wanted_vms()
        if not wanted:
            return []
        # Reported only: predict_created() already holds the members.
        return [_engine.Change("vms", [], sorted(record["name_label"] for record in wanted.values()), lambda: None, predict=lambda after: None)]

    def plan_update(self, ref: str, record: _engine.Record) -> t.List[_engine.Change]:
        group_plan.check_placement(record, self.params.get("placement"))
        changes = _setters.setter_changes(ref, _setters.setter_if_changed("description", record.get("name_description"), self.params.get("description"),
                                                                          "VM_group.set_name_description"), self.call)
        wanted = self._wanted_vms()
        if wanted is not None:
            members = self._members(record)
            moves = group_plan.membership(ref, members, wanted, self.world()["VM_group"])
            if moves:
                changes.append(self._membership_change(ref, members, wanted, moves))
        return changes

    def _membership_change(self, ref: str, members: group_plan.Records, wanted: group_plan.Records, moves: group_plan.Membership) -> _engine.Change:
        hosts = self.world()["host"]
        names = sorted(record["name_label"] for record in wanted.values())

        def apply() -> None:
            for vm in moves.leaving:
                self.call("VM.set_groups", vm, [])
            for vm in moves.joining:
                self.call("VM.set_groups", vm, [ref])
        return _engine.Change("vms", sorted(record["name_label"] for record in members.values()), names, apply,
                              predict=lambda after: after.update(group_plan.members_fields(wanted, hosts)))

    def plan_delete(self, ref: str, record: _engine.Record) -> t.List[_engine.Change]:
        # XAPI takes the group's VMs out of it; they keep running where they are.
        return [_engine.Change("state", "present", "absent", lambda: self.call("VM_group.destroy", ref))]

    # -- view -------------------------------------------------------------------------------
    def present(self, ref: t.Optional[str]) -> _engine.Record:
        if ref is None:
            return {}
        world = self.world()
        record = world["VM_group"].get(ref)
        if record is None:
            raise errors.ResourceError("The VM group was removed while the module ran.")
        return group_plan.group_view(record, self._members(record), world["host"])
