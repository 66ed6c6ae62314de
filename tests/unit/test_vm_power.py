# Copyright: (c) 2026, xen.xapi maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Power transitions of xen_vm: which steps each state asks for, from each power state."""

from __future__ import annotations

import pytest

from ansible_collections.xen.xapi.plugins.module_utils._xapi.errors import ResourceError
from ansible_collections.xen.xapi.plugins.module_utils.vm.power import Transitions, stays, transitions
from ansible_collections.xen.xapi.plugins.module_utils.vm.view import HALTED, PAUSED, RUNNING, SUSPENDED


@pytest.mark.parametrize("current, state, expected", [
    (HALTED, "running", ([], ["start"])),
    (RUNNING, "running", ([], [])),
    (PAUSED, "running", (["unpause"], [])),
    (SUSPENDED, "running", (["resume"], [])),
    (RUNNING, "halted", (["shutdown"], [])),
    (PAUSED, "halted", (["unpause", "shutdown"], [])),
    (HALTED, "halted", ([], [])),
    (RUNNING, "paused", ([], ["pause"])),
    (HALTED, "paused", ([], ["start_paused"])),
    (SUSPENDED, "paused", ([], ["resume_paused"])),
    (RUNNING, "suspended", ([], ["suspend"])),
    (PAUSED, "suspended", (["unpause"], ["suspend"])),
    (SUSPENDED, "suspended", ([], [])),
    (RUNNING, "restarted", ([], ["reboot"])),
    (HALTED, "restarted", ([], ["start"])),
    (PAUSED, "restarted", (["unpause"], ["reboot"])),
    (SUSPENDED, "restarted", (["resume"], ["reboot"])),
    (RUNNING, "present", ([], [])),
    (SUSPENDED, "present", ([], [])),
])
def test_each_state_from_each_power_state(current: str, state: str, expected: tuple) -> None:
    assert transitions(current, state, needs_halt=False, force=False) == Transitions(*expected)


def test_a_suspended_vm_is_halted_only_with_force() -> None:
    with pytest.raises(ResourceError, match="force: true"):
        transitions(SUSPENDED, "halted", needs_halt=False, force=False)
    assert transitions(SUSPENDED, "halted", needs_halt=False, force=True) == Transitions(["hard_shutdown"], [])


def test_a_halted_vm_cannot_be_suspended() -> None:
    with pytest.raises(ResourceError, match="a halted VM cannot become suspended"):
        transitions(HALTED, "suspended", needs_halt=False, force=True)


@pytest.mark.parametrize("current, state, expected", [
    (RUNNING, "present", (["shutdown"], ["start"])),
    (RUNNING, "running", (["shutdown"], ["start"])),
    (RUNNING, "restarted", (["shutdown"], ["start"])),
    (PAUSED, "present", (["unpause", "shutdown"], ["start_paused"])),
    (RUNNING, "halted", (["shutdown"], [])),
    (HALTED, "running", ([], ["start"])),
])
def test_changes_needing_a_halted_vm_stop_it_and_bring_it_back(current: str, state: str, expected: tuple) -> None:
    assert transitions(current, state, needs_halt=True, force=True) == Transitions(*expected)


def test_a_suspended_vm_cannot_come_back_suspended_after_offline_changes() -> None:
    with pytest.raises(ResourceError, match="could not be suspended again"):
        transitions(SUSPENDED, "present", needs_halt=True, force=True)


@pytest.mark.parametrize("current, state, force, expected", [
    (RUNNING, "present", False, True),
    (RUNNING, "running", False, True),
    (HALTED, "halted", False, True),
    (PAUSED, "paused", False, True),
    (HALTED, "running", False, False),
    (RUNNING, "restarted", False, False),
    (RUNNING, "halted", False, False),
    (PAUSED, "running", False, False),
    # What transitions refuses is left to the plan, which says why: not a VM that stays as it is.
    (SUSPENDED, "halted", False, False),
    (HALTED, "suspended", False, False),
])
def test_stays_tells_whether_the_state_option_leaves_the_power_state_alone(current: str, state: str, force: bool, expected: bool) -> None:
    assert stays(current, state, force) is expected
