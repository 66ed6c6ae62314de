"""Runs that fail after they wrote: changed, the changes made, the failed step and the XAPI code; no half-attached
devices; waits for guest tools that come up late, and the failure when they do not."""
from __future__ import annotations

from harness import run_playbook


def test_failures_after_writes_and_guest_tool_waits(sim) -> None:
    run_playbook(sim, "failures_after_writes.yml")
