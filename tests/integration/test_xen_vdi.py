"""xen_vdi end to end against the simulator: every option, check and diff mode, the error cases,
and the documented examples of both disk modules, run as written."""
from __future__ import annotations

from pathlib import Path

from harness import run_examples, run_playbook

EXAMPLE_MODULES = ("xen_vdi", "xen_vbd")


def test_create_change_and_grow(sim) -> None:
    run_playbook(sim, "xen_vdi.yml")


def test_copies_sr_full_and_bad_input(sim) -> None:
    run_playbook(sim, "xen_vdi_copy_errors.yml")


def test_removal_of_disks_in_use(sim) -> None:
    run_playbook(sim, "xen_vdi_remove.yml")


def test_runs_again_from_what_the_last_run_found(sim) -> None:
    """xen_vdi and xen_vbd with the same options as an earlier run: two round trips, right after changes behind them."""
    run_playbook(sim, "xen_disks_last_run.yml")


def test_examples_run_as_written_against_the_demo_pool(sim_factory, tmp_path: Path) -> None:
    result = run_examples(sim_factory(), tmp_path, *EXAMPLE_MODULES)
    assert "web01 sees the disk as /dev/xvdb" in result.stdout
