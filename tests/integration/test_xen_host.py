"""xen_host end to end: reads, no-ops and check mode without a write call, errors, and the real toggle."""
from __future__ import annotations

import pytest
from test_playbooks import host_disable_works

from harness import run_playbook


def test_reads_no_ops_check_mode_and_errors_write_nothing(sim) -> None:
    sim.control_post("reset_stats")
    run_playbook(sim, "xen_host.yml")
    stats = sim.control_get("stats")
    assert stats["write_calls"] == 0, stats["calls"]
    # Five runs reach the pool (the three that succeed, and the unknown name and uuid); each reads the
    # hosts and the pool in a single event.from call.
    calls = stats["calls"]
    assert calls["session.login_with_password"] == calls["event.from"] == 5, calls
    assert stats["total_calls"] == 15, calls


def test_disable_and_enable(sim) -> None:
    if not host_disable_works(sim):
        pytest.skip("the simulator does not implement host.disable and host.enable yet")
    run_playbook(sim, "xen_host_toggle.yml")
