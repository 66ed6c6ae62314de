# Copyright: (c) 2026, xen.xapi maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""xen_host: whether a host of the pool accepts new VMs (host.enable / host.disable).

A disabled host keeps running the VMs it has, but XAPI starts, resumes and migrates no VM onto it,
which is how a host is drained for maintenance. Hosts join and leave a pool by other means, so the
module never creates nor removes one.
"""

from __future__ import annotations

import typing as t

from ansible_collections.xen.xapi.plugins.module_utils._engine import Change, Found, Record, Resource, ResourceError
from ansible_collections.xen.xapi.plugins.module_utils._query import Records, snapshot
from ansible_collections.xen.xapi.plugins.module_utils._tasks import run_async
from ansible_collections.xen.xapi.plugins.module_utils.pool_objects.hosts import pool_master, resolve_host


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


class HostResource(Resource):
    result_key = "host"

    def __init__(self, *args: t.Any, **kwargs: t.Any) -> None:
        super().__init__(*args, **kwargs)
        self.hosts: Records = {}
        self.master = ""
        # Set once a change is made: the result must show the host as it then is.
        self.stale = False

    def _read(self) -> None:
        # One event.from call reads the hosts and the pool (for its master) together.
        world = snapshot(self.client, ["host", "pool"])
        self.hosts, self.master = world["host"], pool_master(world["pool"])

    def locate(self) -> Found:
        self._read()
        key = self.params.get("uuid") or self.params.get("name")
        option = "uuid" if self.params.get("uuid") else "name"
        return resolve_host(self.hosts, str(key), option)

    def plan_create(self) -> t.Callable[[], str]:
        # locate() fails for a host the pool does not have, so this only guards the engine's contract.
        raise ResourceError("Hosts join a pool from the host itself; this module only manages the hosts of the pool.")

    def plan_update(self, ref: str, record: Record) -> t.List[Change]:
        method = enabled_method(record, self.params.get("enabled"))
        if method is None:
            return []
        timeout = float(self.params["task_timeout"])

        def apply() -> None:
            run_async(self.client, method, ref, timeout=timeout)
            self.stale = True
        return [Change("enabled", bool(record.get("enabled")), method == "host.enable", apply)]

    def present(self, ref: t.Optional[str]) -> Record:
        if ref is None:
            return {}
        if self.stale:
            self._read()
            self.stale = False
        if ref not in self.hosts:
            raise ResourceError("The host was removed from the pool while the module ran.")
        return host_view(ref, self.hosts[ref], self.master)
