"""xen_host end to end: reads, no-ops and check mode without a write call, errors, the real toggle and the
module's EXAMPLES as written."""
from __future__ import annotations

from pathlib import Path

from harness import run_examples, run_playbook, start_local_guest


def test_reads_no_ops_check_mode_and_errors_write_nothing(sim) -> None:
    sim.control_post("reset_stats")
    run_playbook(sim, "xen_host.yml")
    stats = sim.control_get("stats")
    assert stats["write_calls"] == 0, stats["calls"]
    # Five runs reach the pool (the three that succeed, and the unknown name and uuid); each reads the hosts
    # and the pool with one call each, sent together: one round trip, without the delay xapi puts on event.from.
    calls = stats["calls"]
    assert calls["session.login_with_password"] == calls["host.get_all_records"] == calls["pool.get_all_records"] == 5, calls
    assert "event.from" not in calls and stats["total_calls"] == 20, calls
    assert stats["round_trips"] == 15, stats


def test_disable_and_enable(sim) -> None:
    run_playbook(sim, "xen_host_toggle.yml")


def test_examples_run_as_written(sim_factory, tmp_path: Path) -> None:
    sim = sim_factory()
    result = run_examples(sim, tmp_path, "xen_host")
    assert "host3 is disabled and still runs 0 VM(s)." in result.stdout


def test_maintenance_evacuates_and_restores_and_refuses_what_cannot_move(sim_factory) -> None:
    sim = sim_factory()
    start_local_guest(sim, "host2")
    sim.control_post("reset_stats")
    run_playbook(sim, "xen_host_maintenance_check.yml")
    assert sim.control_get("stats")["write_calls"] == 0
    run_playbook(sim, "xen_host_maintenance.yml")


def test_updates_sync_apply_and_reboot_only_when_needed(sim_factory) -> None:
    sim = sim_factory()
    run_playbook(sim, "xen_host_updates.yml")
    installed = sim.control_get("updates")["installed"]
    assert installed == {"host3": ["XS8-2026-001", "XS8-2026-002", "XS8-2026-003"]}, installed
