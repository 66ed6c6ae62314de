"""xen_vdi end to end against the simulator: every option, check and diff mode, the error cases,
and the documented examples of both disk modules, run as written."""
from __future__ import annotations

import importlib
from pathlib import Path

import yaml
from harness import run_playbook

EXAMPLE_MODULES = ("xen_vdi", "xen_vbd")


def test_create_change_and_grow(sim) -> None:
    run_playbook(sim, "xen_vdi.yml")


def test_copies_sr_full_and_bad_input(sim) -> None:
    run_playbook(sim, "xen_vdi_copy_errors.yml")


def test_removal_of_disks_in_use(sim) -> None:
    run_playbook(sim, "xen_vdi_remove.yml")


def examples_playbook(module_names: tuple[str, ...]) -> list[dict]:
    """One play per module, holding the tasks of its EXAMPLES."""
    plays = []
    for name in module_names:
        module = importlib.import_module(f"ansible_collections.xen.xapi.plugins.modules.{name}")
        plays.append({"name": f"Examples of {name}", "hosts": "localhost", "gather_facts": False, "tasks": yaml.safe_load(module.EXAMPLES)})
    return plays


def test_examples_run_as_written_against_the_demo_pool(sim_factory, tmp_path: Path) -> None:
    pool = sim_factory()
    playbook = tmp_path / "examples.yml"
    playbook.write_text(yaml.safe_dump(examples_playbook(EXAMPLE_MODULES), sort_keys=False))
    result = run_playbook(pool, str(playbook))
    assert "failed=0" in result.stdout
    assert "web01 sees the disk as /dev/xvdb" in result.stdout
