"""xen_pool_member end to end against a pool with standalone hosts: join (check mode, real, unchanged), the
refusals, eject (real, unchanged); check mode writes nothing; the module's EXAMPLES as written."""
from __future__ import annotations

from pathlib import Path

from harness import run_examples, run_playbook


def test_join_refusals_and_eject(sim_factory) -> None:
    sim = sim_factory("--standalone", "2")
    # An ejected host reboots into a standalone install: kept short, as nothing here waits for it.
    sim.control_post("durations", {"host_boot": 1})
    run_playbook(sim, "xen_pool_member.yml")


def test_check_mode_writes_nothing(sim_factory) -> None:
    sim = sim_factory("--standalone", "1")
    sim.control_post("reset_stats")
    result = run_playbook(sim, "xen_pool_member_check.yml")
    assert sim.control_get("stats")["write_calls"] == 0, result.stdout


def test_examples_run_as_written(sim_factory, tmp_path: Path) -> None:
    sim = sim_factory("--standalone", "1")
    result = run_examples(sim, tmp_path, "xen_pool_member")
    assert "standalone1 joined; the pool has host1, host2, host3, standalone1." in result.stdout, result.stdout
