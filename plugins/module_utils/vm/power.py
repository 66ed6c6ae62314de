# Copyright: (c) 2026, xen.xapi maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Power states: which transitions a `state` needs, around the configuration changes.

Transitions that stop the VM run before the configuration changes (so they apply to a halted
VM), those that start it run after them. Changes that need the VM halted, on a VM that is not,
are made with `force: true` by stopping it, applying them and bringing it back; without force
they fail, listing those changes.
"""

from __future__ import annotations

import typing as t

from ansible_collections.xen.xapi.plugins.module_utils._xapi import errors, guest_tools
from ansible_collections.xen.xapi.plugins.module_utils.vm import common, view

TARGETS = {"running": view.RUNNING, "restarted": view.RUNNING, "halted": view.HALTED, "suspended": view.SUSPENDED, "paused": view.PAUSED}
# Step -> the power state it leaves the VM in.
STEP_RESULTS = {"shutdown": view.HALTED, "hard_shutdown": view.HALTED, "start": view.RUNNING, "start_paused": view.PAUSED, "resume": view.RUNNING,
                "resume_paused": view.PAUSED, "unpause": view.RUNNING, "pause": view.PAUSED, "suspend": view.SUSPENDED, "reboot": view.RUNNING}


class Transitions(t.NamedTuple):
    before: t.List[str]
    after: t.List[str]


def _stop_steps(current: str, force: bool) -> t.List[str]:
    if current == view.RUNNING:
        return ["shutdown"]
    if current == view.PAUSED:
        return ["unpause", "shutdown"]
    if current == view.SUSPENDED:
        if not force:
            raise errors.ResourceError("The VM is suspended: halting it discards the memory it saved. Set force: true to do so, "
                                       "or resume it first with state: running.")
        return ["hard_shutdown"]
    return []


def _go_steps(current: str, target: str) -> t.List[str]:
    """Steps from a state that is not halted-by-request to the target (never through Halted)."""
    table = {
        (view.HALTED, view.RUNNING): ["start"], (view.SUSPENDED, view.RUNNING): ["resume"], (view.PAUSED, view.RUNNING): ["unpause"],
        (view.HALTED, view.PAUSED): ["start_paused"], (view.SUSPENDED, view.PAUSED): ["resume_paused"], (view.RUNNING, view.PAUSED): ["pause"],
        (view.RUNNING, view.SUSPENDED): ["suspend"], (view.PAUSED, view.SUSPENDED): ["unpause", "suspend"],
    }
    if current == target:
        return []
    if (current, target) not in table:
        raise errors.ResourceError("state: a {0} VM cannot become {1}; start it first with state: running."
                                   .format(view.STATE_NAMES[current], view.STATE_NAMES[target]))
    return table[(current, target)]


def transitions(current: str, state: str, needs_halt: bool, force: bool) -> Transitions:
    """The power steps before and after the configuration changes (pure: unit tested)."""
    target = TARGETS.get(state, current)
    if target == view.HALTED:
        return Transitions(_stop_steps(current, force), [])
    if needs_halt and current != view.HALTED:
        # The forced path: stop, change, and come back to the wanted (or the previous) state.
        if target == view.SUSPENDED:
            raise errors.ResourceError("These changes need the VM halted, which discards the memory a suspended VM saved; it could not "
                                       "be suspended again. Give state: running or state: halted, with force: true.")
        return Transitions(_stop_steps(current, force), _go_steps(view.HALTED, target))
    before: t.List[str] = []
    if current in (view.PAUSED, view.SUSPENDED) and target in (view.RUNNING, view.SUSPENDED) and current != target:
        # Wake the VM first, so devices added to it are plugged in live.
        before = _go_steps(current, view.RUNNING)
        current = view.RUNNING
    after = _go_steps(current, target)
    if state == "restarted" and "start" not in after:
        after.append("reboot")
    return Transitions(before, after)


def stays(current: str, state: str, force: bool) -> bool:
    """Whether `state` leaves a VM in power state `current` as it is, given no change that needs it halted (pure)."""
    try:
        steps = transitions(current, state, False, force)
    except errors.ResourceError:
        return False  # the plan says why
    return not steps.before and not steps.after


class PowerPlan(t.NamedTuple):
    before: t.List[common.VmChange]
    after: t.List[common.VmChange]
    steps: Transitions

    @property
    def final_state(self) -> t.Optional[str]:
        """The state the steps leave the VM in; None when there are no steps."""
        names = self.steps.before + self.steps.after
        return STEP_RESULTS[names[-1]] if names else None


def plan(ctx: common.PlanContext, config: t.Sequence[common.VmChange], start_host: t.Optional[str]) -> PowerPlan:
    """The power steps as changes, after checking the changes that need the VM off."""
    state = ctx.params.get("state") or "present"
    if ctx.params.get("is_a_template") and state == "present" and ctx.params.get("force"):
        # A template cannot run: once forced down to become one, the VM stays halted.
        state = "halted"
    current = ctx.view.power_state
    if ctx.record.get("is_a_template") and TARGETS.get(state, view.HALTED) != view.HALTED:
        raise errors.ResourceError("state {0}: the VM is a template, and templates cannot run.".format(state))
    offline = [c for c in config if c.offline]
    target = TARGETS.get(state, current)
    # A restart stops and starts the VM anyway: that is when such changes are made.
    if offline and current != view.HALTED and target != view.HALTED and state != "restarted" and not ctx.params.get("force"):
        listed = "; ".join("{0} ({1} -> {2})".format(c.option, c.before, c.after) for c in offline)
        raise errors.ResourceError("These changes need the VM halted: {0}. Set force: true to shut it down, apply them and start it "
                                   "again, or give state: halted.".format(listed), changes_needing_restart=[c.option for c in offline])
    steps = transitions(current, state, bool(offline), bool(ctx.params.get("force")))
    return PowerPlan(_as_changes(ctx, steps.before, current, start_host),
                     _as_changes(ctx, steps.after, _state_after(current, steps.before), start_host), steps)


def _state_after(current: str, steps: t.Sequence[str]) -> str:
    return STEP_RESULTS[steps[-1]] if steps else current


def _as_changes(ctx: common.PlanContext, steps: t.Sequence[str], current: str, host: t.Optional[str]) -> t.List[common.VmChange]:
    changes = []
    for step in steps:
        after = "restarted" if step == "reboot" else view.STATE_NAMES[STEP_RESULTS[step]]
        changes.append(common.change("power_state", view.STATE_NAMES[current], after, _step(ctx, step, host),
                                     predict=common.sets("power_state", view.STATE_NAMES[STEP_RESULTS[step]])))
        current = STEP_RESULTS[step]
    return changes


# Steps that bring up a domain: the operation, on a chosen host with its "_on" form, and whether it stays paused.
BOOT_OPERATIONS = {
    "start": ("start", False), "start_paused": ("start", True), "resume": ("resume", False), "resume_paused": ("resume", True),
}


def _step(ctx: common.PlanContext, step: str, host: t.Optional[str]) -> t.Callable[[], None]:
    def apply() -> None:
        vm = ctx.vm_ref
        if step in ("shutdown", "reboot"):
            clean_or_hard(ctx, step, bool(ctx.params.get("force")))
        elif step in BOOT_OPERATIONS:
            operation, paused = BOOT_OPERATIONS[step]
            if host:
                ctx.change_state("VM.{0}_on".format(operation), vm, host, paused, False)
            else:
                ctx.change_state("VM." + operation, vm, paused, False)
        else:
            if step == "suspend":
                ctx.ensure_tools(guest_tools.SUSPEND, "state")
            ctx.change_state("VM." + step, vm)
        if step in BOOT_OPERATIONS or step == "reboot":
            ctx.tracker.booted = True
        ctx.tracker.state = STEP_RESULTS[step]
    return apply


def clean_or_hard(ctx: common.PlanContext, operation: str, force: bool) -> None:
    """A clean shutdown or reboot within shutdown_timeout; with force, the hard one if the guest does not comply.

    A shutdown is a plain call (its outcome, Halted, shows on the next read); a reboot leaves the VM
    running as before, so only its task can tell whether it happened.
    """
    timeout = float(ctx.params.get("shutdown_timeout") or 120)
    run = ctx.change_state if operation == "shutdown" else ctx.run
    try:
        ctx.ensure_tools(guest_tools.SHUTDOWN if operation == "shutdown" else guest_tools.REBOOT, "state")
    except errors.ResourceError:
        if not force:
            raise
        run("VM.hard_" + operation, ctx.vm_ref)
        return
    try:
        run("VM.clean_" + operation, ctx.vm_ref, timeout=timeout)
        return
    except errors.XapiError as err:
        if not force:
            raise errors.ResourceError("The clean {0} of the VM failed: {1} Set force: true to fall back to a hard {0}."
                                       .format(operation, err.describe()), error_code=err.code)
    except errors.XapiTimeoutError as err:
        if not force:
            raise errors.ResourceError("The clean {0} of the VM failed: {1} Set force: true to fall back to a hard {0}."
                                       .format(operation, err.describe()))
    run("VM.hard_" + operation, ctx.vm_ref)
