"""The collection in a production-like world: a realistic pace, latency, dropped connections and lost answers.

One simulator for the module, in the realistic pace (VM starts and provisioning take longest, guest tools come
up seconds after a start). Faults are bounded (a fixed number of resets and lost answers, drawn at random
from a fixed seed), so every run meets the same kind of trouble without ever being starved. No test here
relies on the simulator being faster than the module: they wait on events, never on time.
"""
from __future__ import annotations

from typing import Any, Iterator

import pytest
from harness import run_playbook
from xapisim.process import SimProcess, start_simulator

# The pace: real-world seconds scaled by 0.1 (a VM start 1.5 s, its guest tools 3 s after).
PACE = {"profile": "realistic", "scale": 0.1}
HOSTILE = {
    "latency_ms": 10,
    # About 8 % of requests are dropped unanswered and unserved; a few more are served but lose their answer.
    "reset_connections": {"fraction": 0.08, "max": 60},
    # A lost answer to a login leaves a session that no client can know of, to expire on its own:
    # the sessions check below could not hold, so logins keep their answers.
    "lose_replies": {"fraction": 0.04, "max": 30, "except_methods": ["session.login_with_password"]},
}
ORIGINATOR = "xen.xapi/"


def our_sessions(sim: SimProcess) -> int:
    by_originator = sim.control_get("stats")["sessions_by_originator"]
    return sum(count for originator, count in by_originator.items() if originator.startswith(ORIGINATOR))


@pytest.fixture(scope="module")
def hostile_sim() -> Iterator[SimProcess]:
    process = start_simulator()
    try:
        process.control_post("pace", PACE)
        yield process
    finally:
        process.stop()


def inject(sim: SimProcess, faults: dict[str, Any]) -> None:
    sim.control_post("faults", dict(faults, clear=True))


def test_everyday_plays_converge_without_duplicates_through_faults(hostile_sim: SimProcess) -> None:
    baseline = our_sessions(hostile_sim)
    hostile_sim.control_post("reset_stats", {})
    inject(hostile_sim, HOSTILE)
    try:
        run_playbook(hostile_sim, "hostile_pool.yml")
        fired = hostile_sim.control_get("stats")["faults_fired"]
    finally:
        inject(hostile_sim, {})
    # The play met real trouble: connections were reset and answers lost, and still converged.
    assert fired.get("reset", 0) >= 5, fired
    assert fired.get("lost_reply", 0) >= 3, fired
    assert our_sessions(hostile_sim) == baseline
