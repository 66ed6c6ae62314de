"""xen_vm_group end to end: create, unchanged, modify, anti-affinity placement of the members, refusals, empty and
remove; check and diff mode without a write call; the module's EXAMPLES as written."""
from __future__ import annotations

from pathlib import Path

from harness import run_examples, run_playbook


def test_group_lifecycle_and_refusals(sim_factory) -> None:
    run_playbook(sim_factory(), "xen_vm_group.yml")


def test_check_mode_writes_nothing(sim) -> None:
    sim.control_post("reset_stats")
    run_playbook(sim, "xen_vm_group_check.yml")
    assert sim.control_get("stats")["write_calls"] == 0


def test_a_no_op_costs_six_calls(sim_factory) -> None:
    sim = sim_factory()
    run_playbook(sim, "xen_vm_group_count.yml")
    stats = sim.control_get("stats")
    # login, the groups and the hosts (two calls sent together, rather than one event.from, which xapi delays), the
    # members, the VMs named, logout
    assert stats["write_calls"] == 0 and stats["total_calls"] == 6, stats["calls"]
    assert stats["round_trips"] <= 5, stats
    assert "event.from" not in stats["calls"] and stats["calls"]["VM.get_all_records_where"] == 2, stats["calls"]


def test_examples_run_as_written(sim_factory, tmp_path: Path) -> None:
    sim = sim_factory()
    result = run_examples(sim, tmp_path, "xen_vm_group")
    assert "web tier runs on host1, host2." in result.stdout, result.stdout
