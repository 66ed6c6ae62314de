# Copyright: (c) 2026, xen.xapi maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""xen_host: whether a host of the pool accepts new VMs (host.enable / host.disable).

A disabled host keeps running the VMs it has, but XAPI starts, resumes and migrates no VM onto it,
which is how a host is drained for maintenance. Hosts join and leave a pool by other means, so the
module never creates nor removes one.
"""

from __future__ import annotations

import typing as t

from ansible_collections.xen.xapi.plugins.module_utils._engine import BatchedResource, Change, Found, Record, ResourceError
from ansible_collections.xen.xapi.plugins.module_utils.pool.hosts import pool_master, resolve_host


def enabled_method(record: Record, wanted: t.Optional[bool]) -> t.Optional[str]:
    """The message that brings the host to the wanted state, None when it is there (or nothing is asked)."""
    if wanted is None or bool(record.get("enabled")) == wanted:
        return None
    return "host.enable" if wanted else "host.disable"


def host_view(ref: str, record: Record, master: str) -> Record:
    """The host as the module returns it."""
    control_domain = record.get("control_domain")
    return {
        "uuid": record.get("uuid", ""),
        "name": record.get("name_label", ""),
        "description": record.get("name_description", ""),
        "hostname": record.get("hostname", ""),
        "address": record.get("address", ""),
        "enabled": bool(record.get("enabled")),
        "is_master": ref == master,
        # resident_VMs lists the host's control domain too, which is no guest.
        "vm_count": len([vm for vm in record.get("resident_VMs") or [] if vm != control_domain]),
    }


class HostResource(BatchedResource):
    result_key = "host"
    # One event.from call reads the hosts, and the pool for its master.
    read_classes = ("host", "pool")

    def locate(self) -> Found:
        key = self.params.get("uuid") or self.params.get("name")
        option = "uuid" if self.params.get("uuid") else "name"
        return resolve_host(self.world()["host"], str(key), option)

    def plan_create(self) -> t.Callable[[], str]:
        # locate() fails for a host the pool does not have, so this only guards the engine's contract.
        raise ResourceError("Hosts join a pool from the host itself; this module only manages the hosts of the pool.")

    def plan_update(self, ref: str, record: Record) -> t.List[Change]:
        method = enabled_method(record, self.params.get("enabled"))
        if method is None:
            return []
        return [Change("enabled", bool(record.get("enabled")), method == "host.enable", lambda: self.run_task(method, ref))]

    def present(self, ref: t.Optional[str]) -> Record:
        if ref is None:
            return {}
        world = self.world()
        if ref not in world["host"]:
            raise ResourceError("The host was removed from the pool while the module ran.")
        return host_view(ref, world["host"][ref], pool_master(world["pool"]))
