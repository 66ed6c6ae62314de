# Copyright: (c) 2026, xen.xapi maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Name, description, tags, other_config, xenstore_data, affinity, HA priority and the template flag.

All of these are stored at once whatever the power state, except turning the VM into a
template, which XAPI only does to a halted VM. Maps and tags are merged into what the VM has,
unless the matching purge_* option asks for exactly the given ones.
"""

from __future__ import annotations

import typing as t

from ansible_collections.xen.xapi.plugins.module_utils import _engine
from ansible_collections.xen.xapi.plugins.module_utils.vm import common, view


def plan(ctx: common.PlanContext) -> t.List[common.VmChange]:
    changes = _text(ctx, "name", "name_label") + _text(ctx, "description", "name_description") + _tags(ctx)
    for option in ("other_config", "xenstore_data"):
        changes += _map(ctx, option)
    return changes + _affinity(ctx) + _ha_restart_priority(ctx) + _template(ctx)


def _text(ctx: common.PlanContext, option: str, field: str) -> t.List[common.VmChange]:
    wanted, current = ctx.params.get(option), ctx.record.get(field, "")
    if wanted is None or wanted == current:
        return []
    return [common.change(option, current, wanted, lambda: ctx.call("VM.set_" + field, ctx.vm_ref, wanted))]


def wanted_tags(current: t.Sequence[str], wanted: t.Optional[t.Sequence[str]], purge: bool) -> t.Optional[t.List[str]]:
    """The tag list to set, None when the VM already has it (tags are a set: order does not count)."""
    if wanted is None:
        return None
    target = list(dict.fromkeys(wanted)) if purge else list(current) + [tag for tag in dict.fromkeys(wanted) if tag not in current]
    return None if set(target) == set(current) else target


def _tags(ctx: common.PlanContext) -> t.List[common.VmChange]:
    current = list(ctx.record.get("tags") or [])
    target = wanted_tags(current, ctx.params.get("tags"), bool(ctx.params.get("purge_tags")))
    if target is None:
        return []
    return [common.change("tags", sorted(current), sorted(target), lambda: ctx.call("VM.set_tags", ctx.vm_ref, target))]


# other_config keys the collection keeps for itself (cloud_init's delivered content): purge_other_config leaves them.
OWNED_PREFIX = "xen.xapi:"


def _map(ctx: common.PlanContext, field: str) -> t.List[common.VmChange]:
    current = dict(ctx.record.get(field) or {})
    target = _engine.merge_map(current, ctx.params.get(field), bool(ctx.params.get("purge_" + field)))
    if target is not None and field == "other_config":
        target = dict(dict((k, v) for k, v in current.items() if k.startswith(OWNED_PREFIX)), **target)
    if target is None or target == current:
        return []
    return [common.change(field, current, target, lambda: ctx.call("VM.set_" + field, ctx.vm_ref, target))]


def _affinity(ctx: common.PlanContext) -> t.List[common.VmChange]:
    key = ctx.params.get("affinity")
    if key is None:
        return []
    current = ctx.record.get("affinity", view.NULL_REF)
    wanted = ctx.pool.host(key, "affinity")[0] if key else view.NULL_REF
    if wanted == current or (view.is_null(wanted) and view.is_null(current)):
        return []
    names = ctx.pool.hosts
    return [common.change("affinity", ctx.pool.name_of(names, current), ctx.pool.name_of(names, wanted),
                          lambda: ctx.call("VM.set_affinity", ctx.vm_ref, wanted))]


def _ha_restart_priority(ctx: common.PlanContext) -> t.List[common.VmChange]:
    wanted, current = ctx.params.get("ha_restart_priority"), ctx.record.get("ha_restart_priority", "")
    if wanted is None or wanted == current:
        return []
    return [common.change("ha_restart_priority", current, wanted, lambda: ctx.call("VM.set_ha_restart_priority", ctx.vm_ref, wanted))]


def _template(ctx: common.PlanContext) -> t.List[common.VmChange]:
    wanted, current = ctx.params.get("is_a_template"), bool(ctx.record.get("is_a_template"))
    if wanted is None or wanted == current:
        return []
    return [common.change("is_a_template", current, wanted, lambda: ctx.call("VM.set_is_a_template", ctx.vm_ref, wanted), offline=wanted)]
