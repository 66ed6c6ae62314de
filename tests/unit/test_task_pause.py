# Copyright: (c) 2026, xen.xapi maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""How long the wait for a task lets it run between two looks, from the progress it reports."""

from __future__ import annotations

import math

import pytest

from ansible_collections.xen.xapi.plugins.module_utils._xapi.tasks import pause_before_next_look


@pytest.mark.parametrize("progress", [0.0, None, "", "n/a", 1.0, 1.5, -0.2])
def test_no_pause_without_usable_progress(progress: object) -> None:
    # Nothing reported yet (or nothing to go by): the next look blocks on the event stream at once.
    assert pause_before_next_look(progress, 5.0, 60.0) == 0.0


def test_no_pause_before_any_time_has_passed() -> None:
    assert pause_before_next_look(0.5, 0.0, 60.0) == 0.0


def test_pause_is_the_time_the_progress_says_is_left() -> None:
    # 90 % done in 0.9 s: about 0.1 s left at the same pace.
    assert pause_before_next_look(0.9, 0.9, 60.0) == pytest.approx(0.1)
    assert pause_before_next_look(0.25, 0.1, 60.0) == pytest.approx(0.3)
    # Progress comes as text on some wires.
    assert pause_before_next_look("0.9", 0.9, 60.0) == pytest.approx(0.1)


def test_pause_is_bounded_by_the_cap_and_by_the_deadline() -> None:
    # Half-way after 10 s: 10 s left, but a task that speeds up must not be noticed more than a second late.
    assert pause_before_next_look(0.5, 10.0, 60.0) == 1.0
    assert pause_before_next_look(0.5, 10.0, 0.25) == 0.25
    assert pause_before_next_look(0.5, 10.0, -1.0) == 0.0


def looks_for_task(duration: float, steps: int, round_trip: float = 0.0) -> tuple[int, float]:
    """Follow a task whose progress moves in ``steps`` equal steps over ``duration`` seconds, the way wait_for_task does.

    A look answers at once when the task changed since the previous answer, else when it next changes (event.from
    semantics). Returns the number of looks and how late the end was noticed.
    """
    def state(at: float) -> float:
        return 1.0 if at >= duration else math.floor(at / duration * steps) / steps

    now, looks, seen = 0.0, 0, None
    while True:
        looks += 1
        now += round_trip
        current = state(now)
        if seen is not None and current == seen:
            # Blocks until the next step (or the end).
            now = min(duration, (math.floor(now / duration * steps) + 1) * duration / steps)
            current = state(now)
        seen = current
        if current >= 1.0:
            return looks, now - duration
        now += pause_before_next_look(current, now, 600.0)


@pytest.mark.parametrize("duration,steps", [(0.2, 4), (2.0, 20), (8.0, 100), (60.0, 500)])
def test_a_task_costs_a_few_looks_however_many_steps_it_reports(duration: float, steps: int) -> None:
    looks, late = looks_for_task(duration, steps)
    # Waking on every step would cost steps + 1 looks; pauses of at most a second cost about one look a second.
    assert looks <= min(steps + 1, 8 + duration), looks
    # The end is never noticed later than the cap on a pause, nor than a fraction of the task's duration.
    assert 0.0 <= late <= min(1.0, 0.25 * duration), late


def test_a_task_without_progress_steps_is_noticed_as_it_ends() -> None:
    looks, late = looks_for_task(3.0, 1)
    assert (looks, late) == (2, 0.0)


def test_an_evenly_paced_task_is_seen_pending_twice_then_done() -> None:
    # The first look (nothing reported yet), the wake on its first quarter, then one look as it ends.
    assert looks_for_task(1.0, 4) == (3, 0.0)
