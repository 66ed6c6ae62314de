"""xen_pool end to end: settings changed then unchanged, HA on and off with XAPI's refusals, option errors, and
check mode without a write call."""
from __future__ import annotations

from pathlib import Path

from harness import run_examples, run_playbook


def test_settings_and_ha(sim_factory) -> None:
    run_playbook(sim_factory(), "xen_pool.yml")


def test_check_mode_writes_nothing(sim) -> None:
    sim.control_post("reset_stats")
    run_playbook(sim, "xen_pool_check.yml")
    assert sim.control_get("stats")["write_calls"] == 0


def test_examples_run_as_written(sim_factory, tmp_path: Path) -> None:
    result = run_examples(sim_factory(), tmp_path, "xen_pool")
    assert "production is led by host1, HA on." in result.stdout, result.stdout
