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


def test_no_pause_for_a_task_that_has_run_less_than_a_second() -> None:
    # Short tasks are followed step by step: a pause would only make their end noticed later.
    assert pause_before_next_look(0.5, 0.0, 60.0) == 0.0
    assert pause_before_next_look(0.5, 0.9, 60.0) == 0.0


def test_pause_is_the_time_the_progress_says_is_left() -> None:
    # 95 % done in 4 s: about 0.21 s left at the same pace.
    assert pause_before_next_look(0.95, 4.0, 60.0) == pytest.approx(4.0 * 0.05 / 0.95)
    # Progress comes as text on some wires.
    assert pause_before_next_look("0.95", 4.0, 60.0) == pytest.approx(4.0 * 0.05 / 0.95)


def test_pause_is_bounded_by_a_tenth_of_the_time_run_a_second_and_the_deadline() -> None:
    # Half-way after 4 s: 4 s left, but the end must not be noticed more than 0.4 s (a tenth) late.
    assert pause_before_next_look(0.5, 4.0, 60.0) == pytest.approx(0.4)
    assert pause_before_next_look(0.5, 20.0, 60.0) == 1.0
    assert pause_before_next_look(0.5, 20.0, 0.25) == 0.25
    assert pause_before_next_look(0.5, 20.0, -1.0) == 0.0


def looks_for_task(duration: float, steps: int) -> tuple[int, float]:
    """Follow a task whose progress moves in ``steps`` equal steps over ``duration`` seconds, the way wait_for_task does.

    A look answers at once when the task changed since the previous answer, else when it next changes (event.from
    semantics). Returns the number of looks and how late the end was noticed.
    """
    def steps_done(at: float) -> int:
        # The small allowance keeps a step's own instant from rounding down to the step before.
        return steps if at >= duration else min(steps, math.floor(at / duration * steps + 1e-9))

    now, looks, seen = 0.0, 0, -1
    while True:
        looks += 1
        done = steps_done(now)
        if done == seen:
            # Blocks until the next step (or the end).
            now = min(duration, (done + 1) * duration / steps)
            done = steps_done(now)
        seen = done
        if done >= steps:
            return looks, now - duration
        now += pause_before_next_look(done / steps, now, 600.0)


@pytest.mark.parametrize("duration,steps", [(8.0, 100), (30.0, 300), (60.0, 500)])
def test_a_long_task_costs_far_fewer_looks_than_it_reports_steps(duration: float, steps: int) -> None:
    looks, late = looks_for_task(duration, steps)
    # Waking on every step would cost steps + 1 looks.
    assert looks <= steps / 2, looks
    # The end is never noticed later than a tenth of the task's duration, nor than a second.
    assert 0.0 <= late <= min(1.0, 0.1 * duration), late


@pytest.mark.parametrize("duration,steps", [(0.05, 4), (0.9, 20), (3.0, 1)])
def test_a_short_task_or_one_without_steps_is_noticed_as_it_ends(duration: float, steps: int) -> None:
    looks, late = looks_for_task(duration, steps)
    assert looks <= steps + 1 and late == 0.0
