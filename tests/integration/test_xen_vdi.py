"""xen_vdi end to end against the simulator: every option, check and diff mode, the error cases."""
from __future__ import annotations

from harness import run_playbook


def test_create_change_grow_copy_and_remove(sim) -> None:
    run_playbook(sim, "xen_vdi.yml")
