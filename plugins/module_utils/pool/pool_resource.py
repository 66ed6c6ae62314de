# Copyright: (c) 2026, xen.xapi maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""xen_pool: the pool object itself, its name, default SRs, metadata, live-migration compression and HA.

A pool always exists and is never created nor removed by this module. Reads: one ``query.snapshot`` of
the pool, its hosts and SRs (and, when HA is on, its statefiles' disks, for their SRs: with the snapshot when the
last run with the same options found them, else in one more call; with sync_updates, one for the update
repository).
"""

from __future__ import annotations

import typing as t

from ansible_collections.xen.xapi.plugins.module_utils import _engine, _setters
from ansible_collections.xen.xapi.plugins.module_utils._xapi import errors
from ansible_collections.xen.xapi.plugins.module_utils.pool import host_updates, pool_plan


class PoolResource(_engine.BatchedResource):
    result_key = "pool"
    read_classes = ("pool", "host", "SR")
    related_class = "VDI"  # the HA statefiles
    synced: t.Optional[str] = None

    def locate(self) -> _engine.Found:
        pools = self.world()["pool"]
        if not pools:
            raise errors.ResourceError("The server lists no pool object.")
        ref = sorted(pools)[0]
        return ref, pools[ref]

    def plan_create(self) -> t.Callable[[], str]:
        raise errors.ResourceError("A pool always exists; this module changes its settings.")

    def plan_update(self, ref: str, record: _engine.Record) -> t.List[_engine.Change]:
        srs = self.world()["SR"]
        changes = _setters.setter_changes(ref, pool_plan.setters(record, self.params, srs), self.call)
        changes += [self._ha_change(ref, step) for step in pool_plan.ha_steps(record, self.params, srs)]
        if self.params.get("sync_updates"):
            changes.append(self._sync_change(ref, record))
        return changes

    def _sync_change(self, ref: str, record: _engine.Record) -> _engine.Change:
        """Sync the update repository: the new hash is known only once synced (None until then)."""
        before = host_updates.synced_hash(self.client, record)

        def sync() -> None:
            self.synced = str(self.run_task("pool.sync_updates", ref, False, self.params.get("update_token") or "",
                                            self.params.get("update_token_id") or ""))
        return _engine.Change("updates_hash", before, None, sync, predict=lambda after: None)

    def settle_changes(self, done: t.List[_engine.Record], after: _engine.Record) -> None:
        """A sync that found nothing new changed nothing: it is not reported (and the run is unchanged)."""
        for change in list(done):
            if change["option"] == "updates_hash":
                change["after"] = self.synced
                if change["after"] == change["before"]:
                    done.remove(change)

    def _ha_change(self, ref: str, step: pool_plan.HaStep) -> _engine.Change:
        if step.method == "pool.set_ha_host_failures_to_tolerate":
            return _engine.Change(step.option, step.before, step.after, lambda: self.call(step.method, ref, *step.args))
        return _engine.Change(step.option, step.before, step.after, lambda: self.run_task(step.method, *step.args))

    def present(self, ref: t.Optional[str]) -> _engine.Record:
        if ref is None:
            return {}
        world = self.world()
        record = world["pool"][ref]
        statefiles = self.related(record.get("ha_statefiles") or []) if record.get("ha_enabled") else {}
        heartbeat = [statefiles[vdi]["SR"] for vdi in record.get("ha_statefiles") or [] if vdi in statefiles]
        return pool_plan.pool_view(record, world["host"], world["SR"], heartbeat)
