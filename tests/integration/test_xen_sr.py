"""xen_sr end to end against the simulator: create, change, the default SR, refusals, forget and destroy."""
from __future__ import annotations

from typing import Any

from harness import run_playbook


def test_create_change_refuse_and_remove(sim: Any) -> None:
    run_playbook(sim, "xen_sr.yml")


def test_demo_part(sim: Any) -> None:
    result = run_playbook(sim, "../../../playbooks/demo/storage.yml")
    assert "NFS (demo)" in result.stdout
