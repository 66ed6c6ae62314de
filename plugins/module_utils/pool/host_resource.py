# Copyright: (c) 2026, xen.xapi maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""xen_host: a host's state (enabled, disabled, in maintenance) and its description, other_config and tags.

A disabled host keeps running the VMs it has, but XAPI starts, resumes and migrates no VM onto it.
Maintenance is a disabled host with no guests: before disabling anything the module asks XAPI what
would prevent the evacuation (``host.get_vms_which_prevent_evacuation``) and fails naming those VMs,
so a host that cannot be emptied is left as it was; otherwise ``host.evacuate`` live-migrates every
guest to the other hosts (in parallel, on the server). The guests it moved are remembered in the host's
``other_config``, so that ``state: enabled`` with ``restore_vms`` brings them back. Hosts join and
leave a pool by other means, so the module never creates nor removes one.
"""

from __future__ import annotations

import typing as t

from ansible_collections.xen.xapi.plugins.module_utils import _engine, _setters
from ansible_collections.xen.xapi.plugins.module_utils._xapi import errors, query, tasks as xapi_tasks
from ansible_collections.xen.xapi.plugins.module_utils.pool import host_updates, hosts as pool_hosts

# other_config key of a host in maintenance: the uuids of the guests its evacuation moved away.
EVACUATED = "xen.xapi:evacuated"


def wanted_enabled(params: t.Mapping[str, t.Any]) -> t.Optional[bool]:
    """What state (or the older enabled option) asks of host.enabled; None when neither is given."""
    state = params.get("state")
    if state is not None:
        return state == "enabled"
    return params.get("enabled")


def metadata_setters(record: _engine.Record, params: t.Mapping[str, t.Any]) -> t.List[_setters.Setter]:
    found = _setters.setter_if_changed("description", record.get("name_description"), params.get("description"), "host.set_name_description")
    if params.get("uuid") and params.get("name"):
        found += _setters.setter_if_changed("name", record.get("name_label"), params.get("name"), "host.set_name_label")
    current = dict(record.get("other_config") or {})
    target = _engine.merge_map(current, params.get("other_config"), bool(params.get("purge")))
    if target is not None:
        # The evacuation record is the module's own: purge leaves it.
        target = dict(dict((k, v) for k, v in current.items() if k == EVACUATED), **target)
        if target != current:
            found.append(_setters.Setter("other_config", current, target, "host.set_other_config", target))
    return found + _setters.tags_setter(record.get("tags") or [], params.get("tags"), bool(params.get("purge")), "host.set_tags")


def enabled_method(record: _engine.Record, wanted: t.Optional[bool]) -> t.Optional[str]:
    """The message that brings the host to the wanted state, None when it is there (or nothing is asked)."""
    if wanted is None or bool(record.get("enabled")) == wanted:
        return None
    return "host.enable" if wanted else "host.disable"


def host_view(ref: str, record: _engine.Record, master: str) -> _engine.Record:
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
        "state": "enabled" if record.get("enabled") else ("maintenance" if EVACUATED in (record.get("other_config") or {}) else "disabled"),
        "other_config": dict(record.get("other_config") or {}),
        "tags": sorted(record.get("tags") or []),
        "updates": record.get("latest_synced_updates_applied") or "unknown",
        "pending_guidances": sorted(record.get("pending_guidances") or []),
    }


def describe_host(record: _engine.Record) -> str:
    return "{0} ({1})".format(record.get("name_label", ""), record.get("uuid", ""))


def guests(record: _engine.Record) -> t.List[str]:
    control_domain = record.get("control_domain")
    return [vm for vm in record.get("resident_VMs") or [] if vm != control_domain]


class HostResource(_engine.BatchedResource):
    result_key = "host"
    # The hosts, and the pool for its master.
    read_classes = ("host", "pool")

    def locate(self) -> _engine.Found:
        key = self.params.get("uuid") or self.params.get("name")
        option = "uuid" if self.params.get("uuid") else "name"
        return pool_hosts.resolve_host(self.world()["host"], str(key), option)

    def plan_create(self) -> t.Callable[[], str]:
        # locate() fails for a host the pool does not have, so this only guards the engine's contract.
        raise errors.ResourceError("Hosts join a pool from the host itself; this module only manages the hosts of the pool.")

    def plan_update(self, ref: str, record: _engine.Record) -> t.List[_engine.Change]:
        changes = _setters.setter_changes(ref, metadata_setters(record, self.params), self.call)
        maintenance = self.params.get("state") == "maintenance"
        if maintenance:
            changes += self._maintenance(ref, record)
        updates = self._update_changes(ref, record)
        if updates:
            # Updates and reboots leave the host's enabled state to XAPI; their follow-up puts it where it belongs.
            return changes + updates
        return changes if maintenance else changes + self._state_changes(ref, record, bool(record.get("enabled")))

    def _state_changes(self, ref: str, record: _engine.Record, was_enabled: bool) -> t.List[_engine.Change]:
        """Enable or disable the host as state asks (as it was, without state), then end a maintenance."""
        wanted = False if self.params.get("state") == "maintenance" else wanted_enabled(self.params)
        method = enabled_method(record, was_enabled if wanted is None else wanted)
        changes = []
        if method is not None:
            changes.append(_engine.Change("enabled", bool(record.get("enabled")), method == "host.enable", lambda: self.run_task(method, ref)))
        evacuated = (record.get("other_config") or {}).get(EVACUATED)
        if self.params.get("state") == "enabled" and evacuated is not None:
            uuids = [uuid for uuid in evacuated.split(",") if uuid]
            if self.params.get("restore_vms") and uuids:
                changes.append(_engine.Change("vms", [], uuids, lambda: self._restore(ref, uuids), predict=lambda after: None))
            changes.append(_engine.Change("maintenance", True, False, lambda: self._forget_evacuation(ref), predict=lambda after: None))
        return changes

    # -- updates and reboots ------------------------------------------------------------------
    def _update_changes(self, ref: str, record: _engine.Record) -> t.List[_engine.Change]:
        was_enabled = bool(record.get("enabled"))
        applied = record.get("latest_synced_updates_applied") or "unknown"
        if self.params.get("apply_updates") and applied != "yes":
            if applied == "unknown":
                raise errors.ResourceError("apply_updates: whether {0} lacks updates is unknown: the pool has not synced its update "
                                           "repository. Run xen.xapi.xen_pool with sync_updates: true first.".format(describe_host(record)))
            digest = host_updates.update_hash(self.client, next(iter(self.world()["pool"].values())))
            return [_engine.Change("updates", applied, "yes", lambda: self._apply_updates(ref, digest, was_enabled),
                                   predict=lambda after: after.update(updates="yes"),
                                   follow_up=lambda: self._after_updates(ref, was_enabled))]
        if self.params.get("reboot_if_needed") and (host_updates.needs_reboot(record) or host_updates.needs_toolstack_restart(record)):
            return self._guidance_changes(ref, record, was_enabled)
        return []

    def _apply_updates(self, ref: str, digest: str, was_enabled: bool) -> None:
        """host.apply_updates; XAPI disables the host before its checks, so a refusal enables it again (as it was)."""
        try:
            self.run_task("host.apply_updates", ref, digest)
        except errors.XapiError:
            if was_enabled and self.params.get("state") != "maintenance" and not self.client.call("host.get_enabled", ref):
                self.run_task("host.enable", ref)
            raise

    def _after_updates(self, ref: str, was_enabled: bool) -> t.List[_engine.Change]:
        self.forget_reads()
        record = self.world()["host"][ref]
        if self.params.get("reboot_if_needed") and (host_updates.needs_reboot(record) or host_updates.needs_toolstack_restart(record)):
            return self._guidance_changes(ref, record, was_enabled)
        return self._state_changes(ref, record, was_enabled)

    def _guidance_changes(self, ref: str, record: _engine.Record, was_enabled: bool) -> t.List[_engine.Change]:
        """Reboot the host (or restart its toolstack) as its pending guidance asks, then settle its state."""
        pending = sorted(record.get("pending_guidances") or [])
        after = [item for item in pending if item not in host_updates.REBOOT_GUIDANCE + (host_updates.TOOLSTACK_GUIDANCE,)]

        def settle() -> t.List[_engine.Change]:
            self.forget_reads()
            return self._state_changes(ref, self.world()["host"][ref], was_enabled)
        if host_updates.needs_reboot(record):
            resident = guests(record)
            if resident:
                names = sorted(vm["name_label"] for vm in query.snapshot(self.client, objects={"VM": set(resident)})["VM"].values())
                raise errors.ResourceError("reboot_if_needed: {0} must reboot ({1}) but still runs {2}. Put it into maintenance "
                                           "(state: maintenance) so that they move first.".format(describe_host(record), ", ".join(pending), ", ".join(names)))
            return [_engine.Change("reboot", pending, after, lambda: self._restart(ref, record, "host.reboot"),
                                   predict=lambda view: view.update(pending_guidances=after), follow_up=settle)]
        return [_engine.Change("restart_toolstack", pending, after, lambda: self._restart(ref, record, "host.restart_agent"),
                               predict=lambda view: view.update(pending_guidances=after), follow_up=settle)]

    def _restart(self, ref: str, record: _engine.Record, method: str) -> None:
        """Reboot the host or restart its toolstack and wait until it is back.

        A plain call (xapi answers at once and restarts in the background): a connection lost on it may mean
        the host already went down, so the waiter, not a second call, tells whether it happened.
        """
        if method == "host.reboot" and record.get("enabled"):
            self.run_task("host.disable", ref)
        started = host_updates.agent_start_time(record)
        self.forget_reads()
        try:
            self.client.call(method, ref)
        except errors.XapiConnectionError as err:
            if not err.recoverable:
                raise
        try:
            host_updates.wait_until_restarted(self.client, ref, record.get("metrics", ""), started, float(self.params.get("reboot_timeout") or 1800))
        except errors.ResourceError as err:
            raise errors.ResourceError("{0}: {1} {2}".format(method, describe_host(record), err.msg))

    def _maintenance(self, ref: str, record: _engine.Record) -> t.List[_engine.Change]:
        """Disable and evacuate, after checking that nothing prevents it (so a refused host stays as it was)."""
        resident = guests(record)
        remembered = EVACUATED in (record.get("other_config") or {})
        if not record.get("enabled") and not resident and remembered:
            return []
        preventing = self.client.call("host.get_vms_which_prevent_evacuation", ref) if resident else {}
        if preventing:
            names, reasons = self._preventing(preventing)
            raise errors.ResourceError("state: {0} cannot be evacuated, so nothing was changed: {1}. Move or shut down these VMs "
                                       "first.".format(record.get("name_label"), reasons), vms_preventing_evacuation=names)
        changes = []
        if record.get("enabled"):
            changes.append(_engine.Change("enabled", True, False, lambda: self.run_task("host.disable", ref)))
        in_maintenance = dict(vm_count=0, state="maintenance")
        if resident:
            vm_records = query.snapshot(self.client, objects={"VM": set(resident)})["VM"]
            uuids = sorted(vm_records[vm]["uuid"] for vm in resident if vm in vm_records)
            changes.append(_engine.Change("vms", sorted(vm_records[vm]["name_label"] for vm in resident if vm in vm_records), [],
                                          lambda: self._evacuate(ref, uuids), predict=lambda after: after.update(in_maintenance)))
        elif not remembered:
            # An empty host is in maintenance once disabled; the (empty) record says it was put there on purpose.
            changes.append(_engine.Change("maintenance", False, True, lambda: self._remember_evacuated(ref, []),
                                          predict=lambda after: after.update(in_maintenance)))
        return changes

    def _preventing(self, preventing: t.Mapping[str, t.Sequence[str]]) -> t.Tuple[t.List[str], str]:
        """The VMs that block the evacuation as "name (uuid)", and the same with XAPI's reason, read in one call."""
        records = query.snapshot(self.client, objects={"VM": set(preventing)})["VM"]
        names, reasons = [], []
        for vm, error in sorted(preventing.items()):
            label = "{0} ({1})".format(records.get(vm, {}).get("name_label", vm), records.get(vm, {}).get("uuid", "?"))
            names.append(label)
            reasons.append("{0}: {1}".format(label, error[0] if error else "UNKNOWN"))
        return sorted(names), "; ".join(reasons)

    def _remember_evacuated(self, ref: str, uuids: t.List[str]) -> None:
        other = dict(self.client.call("host.get_other_config", ref))
        other[EVACUATED] = ",".join(uuids)
        self.call("host.set_other_config", ref, other)

    def _evacuate(self, ref: str, uuids: t.List[str]) -> None:
        self._remember_evacuated(ref, uuids)
        self.run_task("host.evacuate", ref)

    def _restore(self, ref: str, uuids: t.List[str]) -> None:
        """Bring the evacuated guests back, all migrations at once, each waited for on events."""
        tasks = []
        for uuid in uuids:
            try:
                vm = self.client.call("VM.get_by_uuid", uuid)
            except errors.XapiError as err:
                if err.code == "UUID_INVALID":
                    continue  # removed since: nothing to bring back
                raise
            record = self.client.call("VM.get_record", vm)
            if record.get("power_state") == "Running" and record.get("resident_on") != ref:
                tasks.append(xapi_tasks.start_task(self.client, "VM.pool_migrate", vm, ref, {"live": "true"}))
        self.forget_reads()
        for task, first_look in tasks:
            record = xapi_tasks.wait_for_task(self.client, task, self.timeout, "VM.pool_migrate", first_look)
            self.client.forget_task(task)
            xapi_tasks.task_outcome(record)

    def _forget_evacuation(self, ref: str) -> None:
        other = dict(self.client.call("host.get_other_config", ref))
        other.pop(EVACUATED, None)
        self.call("host.set_other_config", ref, other)

    def present(self, ref: t.Optional[str]) -> _engine.Record:
        if ref is None:
            return {}
        world = self.world()
        if ref not in world["host"]:
            raise errors.ResourceError("The host was removed from the pool while the module ran.")
        return host_view(ref, world["host"][ref], pool_hosts.pool_master(world["pool"]))
