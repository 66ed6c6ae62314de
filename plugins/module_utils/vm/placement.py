# Copyright: (c) 2026, xen.xapi maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The host a VM runs on: a VM the plan starts is started there (see power), a running VM
elsewhere is live-migrated there with VM.pool_migrate once every other change is made."""

from __future__ import annotations

import typing as t

from ansible_collections.xen.xapi.plugins.module_utils._xapi import errors, guest_tools
from ansible_collections.xen.xapi.plugins.module_utils.vm import common, power, view


def target_host(ctx: common.PlanContext) -> t.Optional[str]:
    """The host option as a ref; ResourceError naming the option when no host matches."""
    key = ctx.params.get("target_host")
    return ctx.pool.host(key, "target_host")[0] if key else None


def plan(ctx: common.PlanContext, host: t.Optional[str], power_plan: power.PowerPlan) -> t.List[common.VmChange]:
    final = power_plan.final_state or ctx.view.power_state
    steps = power_plan.steps.before + power_plan.steps.after
    if host is None or final not in (view.RUNNING, view.PAUSED) or any(step in power.BOOT_OPERATIONS for step in steps):
        return []
    current = ctx.record.get("resident_on")
    if current == host:
        return []
    if final == view.PAUSED:
        raise errors.ResourceError("target_host: a paused VM cannot be migrated; give state: running to move it to {0}."
                                   .format(ctx.pool.name_of(ctx.pool.hosts, host)))
    names = ctx.pool.hosts

    def migrate() -> None:
        ctx.ensure_tools(guest_tools.SUSPEND, "target_host")
        ctx.run("VM.pool_migrate", ctx.vm_ref, host, {"live": "true"})
    return [common.change("host", ctx.pool.name_of(names, current), ctx.pool.name_of(names, host), migrate)]
