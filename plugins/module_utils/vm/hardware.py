# Copyright: (c) 2026, xen.xapi maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""vCPUs, CPU topology and memory.

What a running VM can take live: more vCPUs up to VCPUs_max (hot-plug), and a new dynamic memory
range within the static one. vcpus_max, fewer vCPUs, cores_per_socket and the static memory
range need the VM halted.
"""

from __future__ import annotations

import typing as t

from ansible_collections.xen.xapi.plugins.module_utils._xapi import errors, guest_tools, units
from ansible_collections.xen.xapi.plugins.module_utils.vm import common, options

CORES_KEY = "cores-per-socket"


def cores_per_socket(record: t.Mapping[str, t.Any]) -> t.Optional[int]:
    text = str((record.get("platform") or {}).get(CORES_KEY, ""))
    return int(text) if text.isdigit() else None


def plan(ctx: common.PlanContext) -> t.List[common.VmChange]:
    return _vcpus(ctx) + _cores_per_socket(ctx) + _memory(ctx)


def _vcpus(ctx: common.PlanContext) -> t.List[common.VmChange]:
    record = ctx.record
    current_max, current = int(record.get("VCPUs_max", 1)), int(record.get("VCPUs_at_startup", 1))
    wanted = ctx.params.get("vcpus") or current
    # Without vcpus_max, the maximum only rises as far as vcpus needs: hot-plug headroom is kept.
    wanted_max = ctx.params.get("vcpus_max") or max(current_max, wanted)
    if wanted > wanted_max:
        raise errors.ResourceError("vcpus_max ({0}) is below the VM's {1} vCPUs; lower vcpus as well.".format(wanted_max, wanted))
    _check_pcpus(ctx, wanted_max)
    max_change = []
    if wanted_max != current_max:
        max_change = [common.change("vcpus_max", current_max, wanted_max, lambda: ctx.call("VM.set_VCPUs_max", ctx.vm_ref, wanted_max), offline=True)]
    count_change = []
    if wanted != current:
        # Hot-plug only adds vCPUs, and only up to the maximum the domain was started with.
        live = current < wanted <= current_max

        def set_count() -> None:
            if ctx.tracker.running:
                ctx.ensure_tools(guest_tools.VCPU_HOTPLUG, "vcpus")
                ctx.call("VM.set_VCPUs_number_live", ctx.vm_ref, wanted)
            else:
                ctx.call("VM.set_VCPUs_at_startup", ctx.vm_ref, wanted)
        count_change = [common.change("vcpus", current, wanted, set_count, offline=not live)]
    # XAPI keeps VCPUs_at_startup <= VCPUs_max at every step: raise the maximum first, lower it last.
    return max_change + count_change if wanted_max >= current else count_change + max_change


def _check_pcpus(ctx: common.PlanContext, vcpus_max: int) -> None:
    """xapi refuses to start a VM with more vCPUs than its host has CPUs (HOST_NOT_ENOUGH_PCPUS), unless the
    platform flag vcpu-unrestricted says otherwise: such a VM could not run anywhere in this pool."""
    counts = [int(cpu_count) for cpu_count in (str((host.get("cpu_info") or {}).get("cpu_count", "")) for host in ctx.pool.hosts.values())
              if cpu_count.isdigit()]
    unrestricted = str((ctx.record.get("platform") or {}).get("vcpu-unrestricted", "")).lower() in ("true", "1")
    if counts and vcpus_max > max(counts) and not unrestricted and vcpus_max != int(ctx.record.get("VCPUs_max", 1)):
        raise errors.ResourceError("vcpus_max: {0} vCPUs is more than any host of the pool has CPUs (at most {1}); the VM could not start "
                                   "(HOST_NOT_ENOUGH_PCPUS). Give at most {1}.".format(vcpus_max, max(counts)), error_code="HOST_NOT_ENOUGH_PCPUS")


def _cores_per_socket(ctx: common.PlanContext) -> t.List[common.VmChange]:
    wanted = ctx.params.get("cores_per_socket")
    if wanted is None:
        return []
    vcpus_max = ctx.params.get("vcpus_max") or max(int(ctx.record.get("VCPUs_max", 1)), ctx.params.get("vcpus") or 0)
    if vcpus_max % wanted:
        raise errors.ResourceError("cores_per_socket: the VM's {0} vCPUs (vcpus_max) must be a multiple of it ({1}).".format(vcpus_max, wanted))
    current = cores_per_socket(ctx.record)
    if current == wanted:
        return []
    return [common.change("cores_per_socket", current, wanted, lambda: ctx.maps["platform"].write({CORES_KEY: str(wanted)}), offline=True,
                          predict=lambda vm: vm.update(cores_per_socket=wanted, platform=dict(vm.get("platform") or {}, **{CORES_KEY: str(wanted)})))]


class MemoryLimits(t.NamedTuple):
    static_min: int
    dynamic_min: int
    dynamic_max: int
    static_max: int


def current_memory(record: t.Mapping[str, t.Any]) -> MemoryLimits:
    return MemoryLimits(*(int(record.get("memory_" + name, 0)) for name in ("static_min", "dynamic_min", "dynamic_max", "static_max")))


def wanted_memory(current: MemoryLimits, static_max: t.Optional[int], dynamic_min: t.Optional[int], dynamic_max: t.Optional[int]) -> MemoryLimits:
    """The limits the options ask for; `memory` alone fixes the VM's memory (no ballooning)."""
    new_static_max = static_max or current.static_max
    new_dynamic_max = dynamic_max or static_max or min(current.dynamic_max, new_static_max)
    if dynamic_min:
        new_dynamic_min = dynamic_min
    elif static_max and not dynamic_max:
        new_dynamic_min = new_dynamic_max
    else:
        new_dynamic_min = min(current.dynamic_min, new_dynamic_max)
    if new_dynamic_max > new_static_max:
        raise errors.ResourceError("memory_dynamic_max ({0}) exceeds the VM's memory ({1}); raise memory as well."
                                   .format(units.format_size(new_dynamic_max), units.format_size(new_static_max)))
    if new_dynamic_min > new_dynamic_max:
        raise errors.ResourceError("memory_dynamic_min ({0}) exceeds memory_dynamic_max ({1})."
                                   .format(units.format_size(new_dynamic_min), units.format_size(new_dynamic_max)))
    return MemoryLimits(min(current.static_min, new_dynamic_min), new_dynamic_min, new_dynamic_max, new_static_max)


def _memory(ctx: common.PlanContext) -> t.List[common.VmChange]:
    target = options.memory_target(ctx.params)
    if target == (None, None, None):
        return []
    current = current_memory(ctx.record)
    wanted = wanted_memory(current, *target)
    if wanted == current:
        return []
    static_changes = (wanted.static_min, wanted.static_max) != (current.static_min, current.static_max)
    if static_changes:
        apply = common.once(lambda: ctx.run("VM.set_memory_limits", ctx.vm_ref, wanted.static_min, wanted.static_max,
                                            wanted.dynamic_min, wanted.dynamic_max))
    else:
        apply = common.once(lambda: ctx.run("VM.set_memory_dynamic_range", ctx.vm_ref, wanted.dynamic_min, wanted.dynamic_max))
    changes = []
    for option, field in (("memory", "static_max"), ("memory_dynamic_min", "dynamic_min"), ("memory_dynamic_max", "dynamic_max")):
        before, after = getattr(current, field), getattr(wanted, field)
        if before != after:
            changes.append(common.change(option, units.format_size(before), units.format_size(after), apply, offline=static_changes,
                                         predict=common.sets(option, after)))
    if not changes:
        # Only static_min moved (down, to make room for a lower dynamic minimum); the returned VM does not show it.
        changes.append(common.change("memory_static_min", units.format_size(current.static_min), units.format_size(wanted.static_min), apply, offline=True,
                                     predict=lambda vm: None))
    return changes
