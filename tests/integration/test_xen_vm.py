"""xen_vm end to end against the simulator: every family, power transitions, errors, the docs' examples and the demo."""
from __future__ import annotations

from pathlib import Path

from harness import run_examples, run_playbook


def test_create_idempotence_check_diff_hardware_boot_metadata_absent(sim) -> None:
    run_playbook(sim, "xen_vm_lifecycle.yml")


def test_power_transitions_forced_restart_and_timeouts(sim) -> None:
    run_playbook(sim, "xen_vm_power.yml")


def test_disks_cdrom_and_network_interfaces(sim) -> None:
    run_playbook(sim, "xen_vm_devices.yml")


def test_creation_sources_identity_errors_placement_and_addresses(sim) -> None:
    run_playbook(sim, "xen_vm_create.yml")


def test_noop_run_on_a_running_vm_stays_within_the_call_budget(sim) -> None:
    # Near the pool and 30 ms away; the budgets are in the playbook.
    run_playbook(sim, "xen_vm_count.yml")


def test_a_run_with_the_options_of_the_last_reads_the_vm_in_its_first_round_trip(sim) -> None:
    # Two round trips when the last run changed nothing; a drive attached, the VM stopped or made again in between.
    run_playbook(sim, "xen_vm_last_run.yml")


def test_devices_added_are_read_back_in_one_call(sim) -> None:
    run_playbook(sim, "xen_vm_reread_count.yml")


def test_documented_examples_run_as_written(sim, tmp_path: Path) -> None:
    run_examples(sim, tmp_path, "xen_vm")


def test_demo_creates_changes_and_removes_a_vm(sim) -> None:
    result = run_playbook(sim, "../../../playbooks/demo/vm.yml")
    assert "Second run: changed=False" in result.stdout
    assert "Removed demo-web" in result.stdout
