"""xen_vm_snapshot end to end against the simulator: take, retention, checkpoint, revert, delete, errors,
the module's EXAMPLES as written and the guided tour's snapshot part."""
from __future__ import annotations

import ast
from pathlib import Path
from typing import Any, Callable

import yaml

from harness import run_playbook

REPO_ROOT = Path(__file__).resolve().parents[2]
MODULE_FILE = REPO_ROOT / "plugins" / "modules" / "xen_vm_snapshot.py"
DEMO_PLAYBOOK = "../../../playbooks/demo/snapshot.yml"


def test_take_change_and_prune_then_checkpoint_revert_and_delete(sim) -> None:
    run_playbook(sim, "xen_vm_snapshot.yml")


def test_errors_name_the_option_and_what_to_do(sim) -> None:
    run_playbook(sim, "xen_vm_snapshot_errors.yml")


def _module_examples() -> list[dict[str, Any]]:
    """The EXAMPLES block of the module, read without importing it."""
    tree = ast.parse(MODULE_FILE.read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(isinstance(target, ast.Name) and target.id == "EXAMPLES" for target in node.targets):
            return yaml.safe_load(ast.literal_eval(node.value))
    raise AssertionError("xen_vm_snapshot has no EXAMPLES")


def test_examples_run_as_written(sim_factory: Callable[..., Any], tmp_path: Path) -> None:
    playbook = [{"name": "Xen_vm_snapshot examples", "hosts": "localhost", "gather_facts": False, "tasks": _module_examples()}]
    path = tmp_path / "examples.yml"
    path.write_text(yaml.safe_dump(playbook, sort_keys=False), encoding="utf-8")
    result = run_playbook(sim_factory(), str(path))
    assert "failed=0" in result.stdout


def test_demo_takes_reverts_and_deletes_a_snapshot(sim_factory: Callable[..., Any]) -> None:
    result = run_playbook(sim_factory(), DEMO_PLAYBOOK)
    assert "Took snapshot 'demo before upgrade' of build01" in result.stdout
    assert "Second run: changed=False, same snapshot=True." in result.stdout
    assert "Reverted build01 to 'demo before upgrade'; it is now halted" in result.stdout
    assert "build01 has 0 snapshot(s) left." in result.stdout
