# Copyright: (c) 2026, xen.xapi maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which VMs have the disks of an SR plugged: what must not be pulled from under a guest.

Read in a constant number of calls whatever the size of the pool: the attached drives (VBDs) through a
where-expression, then the disks and VMs behind them in one ``query.snapshot``.
"""

from __future__ import annotations

import dataclasses
import typing as t

from ansible_collections.xen.xapi.plugins.module_utils import _engine
from ansible_collections.xen.xapi.plugins.module_utils._xapi import client as xapi_client, query

# A suspended VM keeps its drives attached: its memory image refers to them.
HOLDING_POWER_STATES = ("Running", "Paused", "Suspended")
LIVE_POWER_STATES = ("Running", "Paused")


@dataclasses.dataclass(frozen=True)
class DiskUser:
    """A VM with a drive plugged on one of the SR's disks."""

    vm_name: str
    vm_uuid: str
    power_state: str
    resident_on: str
    disk_name: str

    def describe(self) -> str:
        return "{0} ({1}, disk {2!r})".format(self.vm_name, self.power_state, self.disk_name)

    def as_dict(self) -> _engine.Record:
        return {"vm": self.vm_name, "vm_uuid": self.vm_uuid, "power_state": self.power_state, "disk": self.disk_name}


@dataclasses.dataclass
class SrDisks:
    """The SR's disks as read, and the VMs using them."""

    vdis: query.Records
    users: t.List[DiskUser]

    def holding(self) -> t.List[DiskUser]:
        """Users whose VM is running, paused or suspended: the disk is part of a live guest."""
        return [user for user in self.users if user.power_state in HOLDING_POWER_STATES]

    def live_on(self, host_ref: str) -> t.List[DiskUser]:
        """Users running on one host: they need that host's attachment of the SR."""
        return [user for user in self.users if user.power_state in LIVE_POWER_STATES and user.resident_on == host_ref]


def read_sr_disks(client: xapi_client.XapiClient, vdi_refs: t.Iterable[str]) -> SrDisks:
    """The disks (by ref) and the VMs with a drive currently attached to one of them."""
    wanted = set(vdi_refs)
    if not wanted:
        return SrDisks({}, [])
    attached = query.get_all_records_where(client, "VBD", query.where(currently_attached=True))
    drives = [vbd for vbd in attached.values() if vbd.get("VDI") in wanted]
    world = query.snapshot(client, objects={"VDI": wanted, "VM": set(vbd["VM"] for vbd in drives)})
    vdis, vms = world["VDI"], world["VM"]
    users = [_user(vms.get(vbd["VM"], {}), vdis.get(vbd["VDI"], {})) for vbd in drives]
    return SrDisks(vdis, sorted(users, key=lambda user: (user.vm_name, user.disk_name)))


def _user(vm: _engine.Record, vdi: _engine.Record) -> DiskUser:
    return DiskUser(vm_name=str(vm.get("name_label", "")), vm_uuid=str(vm.get("uuid", "")), power_state=str(vm.get("power_state", "")),
                    resident_on=str(vm.get("resident_on", "")), disk_name=str(vdi.get("name_label", "")))


def describe_users(users: t.Sequence[DiskUser]) -> str:
    return ", ".join(user.describe() for user in users)
