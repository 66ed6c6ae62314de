"""xen_info end to end: selectors, resolution, errors, and a call count independent of pool size."""
from __future__ import annotations

import re

import pytest
from xapisim.process import start_simulator

from harness import run_playbook


def test_selectors_resolution_and_errors(sim) -> None:
    run_playbook(sim, "xen_info.yml")


def _records_and_calls(sim) -> tuple[int, int, int]:
    sim.control_post("reset_stats")
    result = run_playbook(sim, "xen_info_count.yml")
    match = re.search(r"records_returned=(\d+)", result.stdout)
    assert match, result.stdout
    stats = sim.control_get("stats")
    return int(match.group(1)), stats["total_calls"], stats["round_trips"]


@pytest.mark.parametrize("vms", [1, 50])
def test_call_count_does_not_grow_with_the_pool(vms: int) -> None:
    pool = start_simulator("--hosts", "3", "--vms", str(vms))
    try:
        records, calls, round_trips = _records_and_calls(pool)
        assert records == vms
        # login, one get_all_records_where, one read per resolved class (VBD, VDI, VIF, network and both metrics: six
        # calls sent together with the logout, one round trip, without the delay xapi puts on event.from)
        assert calls == 9 and round_trips == 3, pool.control_get("stats")
    finally:
        pool.stop()
