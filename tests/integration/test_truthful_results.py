"""Results users can trust: devices added to a paused VM, templates made from VMs found again, map values as XAPI
writes them. (Check-mode diffs are in test_diff_parity.py, bad input in test_fuzz.py, failures in test_failures.py.)"""
from __future__ import annotations

from harness import run_playbook


def test_paused_vm_devices_template_round_trip_and_map_values(sim) -> None:
    run_playbook(sim, "truthful_results.yml")
