"""xen_vm_snapshot end to end against the simulator: take, retention, checkpoint, revert, delete, errors,
the module's EXAMPLES as written and the guided tour's snapshot part."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Callable


from harness import run_examples, run_playbook

DEMO_PLAYBOOK = "../../../playbooks/demo/snapshot.yml"


def test_take_change_and_prune_then_checkpoint_revert_and_delete(sim) -> None:
    run_playbook(sim, "xen_vm_snapshot.yml")


def test_errors_name_the_option_and_what_to_do(sim) -> None:
    run_playbook(sim, "xen_vm_snapshot_errors.yml")


def test_examples_run_as_written(sim_factory: Callable[..., Any], tmp_path: Path) -> None:
    run_examples(sim_factory(), tmp_path, "xen_vm_snapshot")


def test_demo_takes_reverts_and_deletes_a_snapshot(sim_factory: Callable[..., Any]) -> None:
    result = run_playbook(sim_factory(), DEMO_PLAYBOOK)
    assert "Took snapshot 'demo before upgrade' of build01" in result.stdout
    assert "Second run: changed=False, same snapshot=True." in result.stdout
    assert "Reverted build01 to 'demo before upgrade'; it is now halted" in result.stdout
    assert "build01 has 0 snapshot(s) left." in result.stdout
