"""The playbooks of playbooks/ end to end, each against a demo pool of its own: the first run does the
work, a second run changes nothing, check mode makes no write call, and misuse fails with a message
that says what to do."""
from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Callable

import pytest
from xapisim.process import SimProcess

from harness import run_playbook, start_local_guest, xenapi

REPO_ROOT = Path(__file__).resolve().parents[2]
INVENTORY = ("-i", str(REPO_ROOT / "playbooks" / "inventory" / "demo.xapi.yml"))
PLAY_RECAP = re.compile(r"^(\S+)\s+: ok=\d+\s+changed=(\d+)\s+unreachable=\d+\s+failed=\d+", re.MULTILINE)

StartSim = Callable[..., SimProcess]


def playbook(name: str) -> str:
    """A playbook of playbooks/ as run_playbook takes it: relative to tests/integration/playbooks."""
    return f"../../../playbooks/{name}.yml"


def changed_by_host(result: subprocess.CompletedProcess[str]) -> dict[str, int]:
    """The number of changed tasks of each host, from the PLAY RECAP."""
    return {host: int(changed) for host, changed in PLAY_RECAP.findall(result.stdout)}


def writes_of(sim: SimProcess, *args: str) -> tuple[subprocess.CompletedProcess[str], int]:
    """Run a playbook and return its result with the number of write calls it made."""
    sim.control_post("reset_stats")
    result = run_playbook(sim, *args)
    return result, sim.control_get("stats")["write_calls"]


def test_provision(sim_factory: StartSim) -> None:
    sim = sim_factory()
    first = run_playbook(sim, playbook("provision"))
    for line in (r"app01: running on host\d", "app02: running on host2", "db02: running on host3", "tools01: halted", "old-app: absent",
                 r"db02 \([0-9a-f-]{36}\) runs on host3 and is reached at \d+\.\d+\.\d+\.\d+"):
        assert re.search(line, first.stdout), line
    assert "tools01 (" not in first.stdout, "a halted VM must not be configured"

    again, writes = writes_of(sim, playbook("provision"))
    assert changed_by_host(again)["localhost"] == 0 and writes == 0

    checked, writes = writes_of(sim, playbook("provision"), "--check", "-e",
                                '{"vm_provision_vms": [{"name": "app01", "vcpus": 4, "force": true}, {"name": "new01"}]}')
    assert changed_by_host(checked)["localhost"] > 0 and writes == 0
    assert "new01: absent" in checked.stdout, "check mode reports a VM it would create as it is now"


def test_rolling_evacuate(sim_factory: StartSim) -> None:
    sim = sim_factory()
    options = ("-e", "evacuate_disable=true")

    checked, writes = writes_of(sim, playbook("rolling_evacuate"), *INVENTORY, *options, "-e", "evacuate_hosts=host2", "--check")
    assert changed_by_host(checked)["host2"] > 0 and writes == 0

    moved = run_playbook(sim, playbook("rolling_evacuate"), *INVENTORY, *options, "-e", "evacuate_hosts=host2")
    # The pool chooses where each VM goes (host.evacuate); the playbook reports where they now run.
    went = re.search(r"host2: db01 -> (host\d), web02 -> (host\d)\.", moved.stdout)
    assert went and "host2" not in went.groups(), moved.stdout
    with xenapi(sim) as api:
        for vm, host in zip(("db01", "web02"), went.groups()):
            assert api.host.get_name_label(api.VM.get_resident_on(api.VM.get_by_name_label(vm)[0])) == host
        assert api.host.get_enabled(api.host.get_by_name_label("host2")[0])

    again, writes = writes_of(sim, playbook("rolling_evacuate"), *INVENTORY, *options, "-e", "evacuate_hosts=host2")
    assert "host2: no VM to move." in again.stdout
    assert changed_by_host(again)["host2"] == 0 and writes == 0

    # The whole pool, one host after another: each ends empty, then takes VMs again.
    rolled = run_playbook(sim, playbook("rolling_evacuate"), *INVENTORY, *options, "-e", "evacuate_hosts=xapi_hosts")
    batches = rolled.stdout.split("PLAY [Evacuate the pool hosts one at a time]")[1:]
    assert sorted(re.search(r'"msg": "(host\d): ', batch).group(1) for batch in batches) == ["host1", "host2", "host3"]


@pytest.mark.parametrize("arguments, message", [
    ((), "Give the hosts to evacuate with -e evacuate_hosts"),
    (("-e", "evacuate_hosts=web01"), "web01 is not a pool host of the xen.xapi.xapi inventory"),
])
def test_rolling_evacuate_refuses(sim: SimProcess, arguments: tuple[str, ...], message: str) -> None:
    refused = run_playbook(sim, playbook("rolling_evacuate"), *INVENTORY, *arguments, expect_rc=None)
    assert refused.returncode != 0 and message in refused.stdout, refused.stdout


def test_rolling_evacuate_stops_on_a_host_it_cannot_empty(sim_factory: StartSim) -> None:
    sim = sim_factory()
    start_local_guest(sim, "host2")
    sim.control_post("reset_stats")
    refused = run_playbook(sim, playbook("rolling_evacuate"), *INVENTORY, "-e", "evacuate_hosts=host2:host3", expect_rc=None)
    assert refused.returncode != 0
    assert re.search(r"local guest \([0-9a-f-]{36}\): VM_REQUIRES_SR", refused.stdout), refused.stdout
    assert "OpaqueRef" not in refused.stdout
    assert max(len(line) for line in refused.stdout.splitlines()) < 1500, "a failure reads as a message, not a dump"
    assert sim.control_get("stats")["write_calls"] == 0, "the host is left as it was"
    assert "PLAY RECAP" in refused.stdout and "host3" not in refused.stdout.split("PLAY RECAP")[1], "the next host is not touched"


def test_rolling_evacuate_disables_the_host_meanwhile(sim_factory: StartSim) -> None:
    sim = sim_factory()
    held = run_playbook(sim, playbook("rolling_evacuate"), *INVENTORY, "-e", "evacuate_hosts=host2", "-e", "evacuate_reenable=false")
    assert "Stop placing new VMs on the host" in held.stdout and changed_by_host(held)["host2"] > 0
    released = run_playbook(sim, playbook("rolling_evacuate"), *INVENTORY, "-e", "evacuate_hosts=host2")
    assert changed_by_host(released)["host2"] > 0, "the host is enabled again"


def test_snapshot_rotate(sim_factory: StartSim) -> None:
    sim = sim_factory()
    rotate = (playbook("snapshot_rotate"), "-e", "snapshot_rotate_tag=web", "-e", "snapshot_rotate_retain=2")
    for day in ("01", "02", "03"):
        run_playbook(sim, *rotate, "-e", f"snapshot_rotate_name=nightly-2026-05-{day}")
    again, writes = writes_of(sim, *rotate, "-e", "snapshot_rotate_name=nightly-2026-05-03")
    for vm in ("web01", "web02"):
        assert f"{vm} keeps nightly-2026-05-03, nightly-2026-05-02; took nothing; deleted nothing." in again.stdout
    assert changed_by_host(again)["localhost"] == 0 and writes == 0

    checked, writes = writes_of(sim, *rotate, "-e", "snapshot_rotate_name=nightly-2026-05-04", "--check")
    assert changed_by_host(checked)["localhost"] > 0 and writes == 0

    by_group = run_playbook(sim, playbook("snapshot_rotate"), *INVENTORY, "-e", "snapshot_rotate_group=xapi_tag_db",
                            "-e", "snapshot_rotate_name=nightly-2026-05-04")
    assert "db01 keeps nightly-2026-05-04; took nightly-2026-05-04; deleted nothing." in by_group.stdout
    assert "web01" not in by_group.stdout


def test_snapshot_rotate_needs_a_selection(sim: SimProcess) -> None:
    refused = run_playbook(sim, playbook("snapshot_rotate"), expect_rc=None)
    assert refused.returncode != 0 and "Select the VMs with -e snapshot_rotate_tag" in refused.stdout


def test_pool_report(sim: SimProcess, tmp_path: Path) -> None:
    report = tmp_path / "report.md"
    first = run_playbook(sim, playbook("pool_report"), *INVENTORY, "-e", f"pool_report_path={report}")
    assert changed_by_host(first)["localhost"] == 1
    text = report.read_text(encoding="utf-8")
    for line in ("# Pool demo-pool", "- 3 hosts; the master is host1", "- 5 VMs, 3 of them running",
                 "| host1 | 127.0.0.1 | yes | yes | 8.3.0 | 1 |", "### host2", "| legacy01 | Suspended | ",
                 "| NFS storage (default) | nfs | user | yes | 2.00 TB |", "| Pool-wide network associated with eth1 | xenbr1 | 1500 |  | eth1 |"):
        assert line in text, line
    assert re.search(r"^\| db01 \| Running \| 4 \| 8\.00 GB \| \d+\.\d+\.\d+\.\d+ \|$", text, re.MULTILINE), text

    again, writes = writes_of(sim, playbook("pool_report"), *INVENTORY, "-e", f"pool_report_path={report}")
    assert changed_by_host(again)["localhost"] == 0 and writes == 0

    elsewhere = tmp_path / "checked.md"
    checked, writes = writes_of(sim, playbook("pool_report"), *INVENTORY, "-e", f"pool_report_path={elsewhere}", "--check")
    assert changed_by_host(checked)["localhost"] == 1 and writes == 0 and not elsewhere.exists()


def test_pool_report_needs_the_inventory(sim: SimProcess) -> None:
    refused = run_playbook(sim, playbook("pool_report"), expect_rc=None)
    assert refused.returncode != 0 and "No pool host in the inventory" in refused.stdout


def test_vm_backup_exports_and_keeps_the_newest(sim_factory: StartSim, tmp_path: Path) -> None:
    sim = sim_factory()
    backup = (playbook("vm_backup"), "-e", f"vm_backup_dir={tmp_path}", "-e", "vm_backup_tag=web", "-e", "vm_backup_keep=1")
    run_playbook(sim, *backup)
    folders = sorted(path for path in tmp_path.iterdir())
    assert len(folders) == 2, "web01 and web02, one folder per VM uuid"
    older = folders[0] / "2000-01-01.xva.gz"
    older.write_bytes(b"an old archive")
    unrelated = folders[0] / "notes.txt"
    unrelated.write_text("kept: the playbook only removes the archives it names")
    again, _writes = writes_of(sim, *backup)
    assert not older.exists() and unrelated.exists()
    archives = sorted(path.name for path in tmp_path.glob("*/*.xva.gz"))
    assert len(archives) == 2 and len(set(archives)) == 1
    assert "xen_vm_export" in again.stdout or "Export each VM" in again.stdout

    refused = run_playbook(sim, playbook("vm_backup"), "-e", f"vm_backup_dir={tmp_path}", expect_rc=None)
    assert refused.returncode != 0 and "select the VMs" in refused.stdout


POWER_CALLS = ("VM.start", "VM.start_on", "VM.clean_shutdown", "VM.hard_shutdown", "VM.clean_reboot", "VM.hard_reboot",
               "VM.suspend", "VM.resume", "VM.resume_on", "VM.pause")


def pool_state(sim: SimProcess) -> tuple[dict[str, str], str, dict[str, tuple[bool, dict[str, str]]]]:
    """The power state of every guest, the master's name and each host's (enabled, other_config)."""
    with xenapi(sim) as api:
        guests = {rec["name_label"]: rec["power_state"] for rec in api.VM.get_all_records().values()
                  if not rec["is_a_template"] and not rec["is_control_domain"] and not rec["is_a_snapshot"]}
        master = api.host.get_name_label(api.pool.get_master(api.pool.get_all()[0]))
        hosts = {rec["name_label"]: (rec["enabled"], rec["other_config"]) for rec in api.host.get_all_records().values()}
    return guests, master, hosts


def test_rolling_maintenance_empties_each_host_master_last_and_stops_no_vm(sim_factory: StartSim, tmp_path: Path) -> None:
    sim = sim_factory()
    # The realistic pace: migrations and task updates take their time.
    sim.control_post("pace", {"profile": "realistic", "scale": 0.1})
    before, master, _hosts = pool_state(sim)
    assert list(before.values()).count("Running") >= 3 and master == "host1"
    sim.control_post("reset_stats")
    trace = tmp_path / "trace"
    tasks = Path(__file__).parent / "playbooks" / "tasks" / "host_maintenance.yml"
    rolled = run_playbook(sim, playbook("rolling_maintenance"), *INVENTORY, "-e", f"maintenance_tasks={tasks}",
                          "-e", f"maintenance_trace={trace}")
    calls = sim.control_get("stats")["calls"]

    # One host after another, each empty and disabled while its tasks ran (they assert it), the master last.
    assert trace.read_text().split() == ["host2", "host3", "host1"]
    assert re.search(r"host1 \(master\): \d+ VM\(s\) moved away and back\.", rolled.stdout), rolled.stdout
    moved = [int(count) for count in re.findall(r"host\d(?: \(master\))?: (\d+) VM\(s\) moved away", rolled.stdout)]
    assert len(moved) == 3 and sum(moved) >= list(before.values()).count("Running"), rolled.stdout
    # The pool evacuates each host that has guests, in one call.
    assert calls.get("Async.host.evacuate", 0) + calls.get("host.evacuate", 0) == len([count for count in moved if count]), calls
    # No VM was stopped or started: every guest runs as before, and each host is enabled with no maintenance record.
    assert not [method for method in POWER_CALLS if calls.get(method) or calls.get("Async." + method)], calls
    after, _master, hosts = pool_state(sim)
    assert after == before
    assert all(enabled and "xen.xapi:evacuated" not in other for enabled, other in hosts.values()), hosts


def test_rolling_maintenance_stops_before_touching_the_next_host(sim_factory: StartSim, tmp_path: Path) -> None:
    sim = sim_factory()
    start_local_guest(sim, "host3")
    trace = tmp_path / "trace"
    tasks = Path(__file__).parent / "playbooks" / "tasks" / "host_maintenance.yml"
    refused = run_playbook(sim, playbook("rolling_maintenance"), *INVENTORY, "-e", f"maintenance_tasks={tasks}",
                           "-e", f"maintenance_trace={trace}", expect_rc=None)
    assert refused.returncode != 0 and "local guest (" in refused.stdout and "VM_REQUIRES_SR" in refused.stdout
    # host2 went through; host3 could not be emptied and is left as it was; host1 was not touched.
    assert trace.read_text().split() == ["host2"]
    hosts = pool_state(sim)[2]
    assert all(enabled for enabled, _other_config in hosts.values()), hosts


def test_rolling_maintenance_needs_the_pool_hosts(sim: SimProcess) -> None:
    refused = run_playbook(sim, playbook("rolling_maintenance"), expect_rc=None)
    assert refused.returncode != 0 and "include_pool_hosts" in refused.stdout, refused.stdout


def test_rolling_maintenance_patches_and_reboots_every_host_the_master_last(sim_factory: StartSim) -> None:
    sim = sim_factory()
    # Each reboot keeps the host (and, for the master, the pool's API) away for a while.
    sim.control_post("durations", {"host_boot": 3})
    sim.control_post("updates", {"updates": [{"id": "XS8-2026-010", "guidance": ["reboot_host"]}]})
    before, _master, _hosts = pool_state(sim)
    rolled = run_playbook(sim, playbook("rolling_maintenance"), *INVENTORY, "-e", "maintenance_apply_updates=true")
    reports = re.findall(r'"msg": "(host\d)( \(master\))?: \d+ VM\(s\) moved away and back, updated, rebooted\."', rolled.stdout)
    assert reports == [("host2", ""), ("host3", ""), ("host1", " (master)")], rolled.stdout
    assert sim.control_get("updates")["installed"] == {name: ["XS8-2026-010"] for name in ("host1", "host2", "host3")}
    after, _master, hosts = pool_state(sim)
    assert after == before, "no VM stopped: each host was empty when it rebooted"
    assert all(enabled for enabled, _other_config in hosts.values()), hosts
