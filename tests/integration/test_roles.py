"""The roles end to end against the simulator: their examples as written, a second run that changes
nothing, check mode without a single write call, connection options given to a role, and bad entries
refused with messages naming the role, the entry and the field."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from harness import run_playbook

REPO_ROOT = Path(__file__).resolve().parents[2]
ROLES = REPO_ROOT / "roles"
PLAY_RECAP = re.compile(r"^(\S+)\s+: ok=\d+\s+changed=(\d+)\s+unreachable=\d+\s+failed=(\d+)", re.MULTILINE)


def example(role: str, name: str) -> str:
    """A role example as run_playbook takes it: relative to tests/integration/playbooks."""
    return f"../../../roles/{role}/examples/{name}.yml"


def changed_by_host(result: subprocess.CompletedProcess[str]) -> dict[str, int]:
    """The number of changed tasks of each host, from the PLAY RECAP."""
    return {host: int(changed) for host, changed, _failed in PLAY_RECAP.findall(result.stdout)}


def writes_of(sim, *args: str, **env: str) -> tuple[subprocess.CompletedProcess[str], int]:
    """Run a playbook and return its result with the number of write calls it made."""
    sim.control_post("reset_stats")
    result = run_playbook(sim, *args, **env)
    return result, sim.control_get("stats")["write_calls"]


def test_vm_provision_converges_then_changes_nothing(sim) -> None:
    first = run_playbook(sim, "roles_vm_provision.yml")
    assert changed_by_host(first)["localhost"] > 0

    again, writes = writes_of(sim, "roles_vm_provision.yml")
    assert changed_by_host(again)["localhost"] == 0
    assert writes == 0, "a second run must not write"

    checked, writes = writes_of(sim, "roles_vm_provision.yml", "--check", "--diff", "-e", "roles_vcpus=3")
    assert changed_by_host(checked)["localhost"] > 0
    assert writes == 0, "check mode must not write"
    assert re.search(r'^\+\s+"vcpus": 3,$', checked.stdout, re.MULTILINE), checked.stdout

    removed = run_playbook(sim, "roles_vm_provision.yml", "-e", "roles_second_state=absent")
    assert changed_by_host(removed)["localhost"] > 0


def test_vm_provision_takes_connection_options_from_xapi_connection(sim) -> None:
    converged = ("-e", "roles_second_state=absent")  # as the previous test left the pool
    refused = run_playbook(sim, "roles_vm_provision.yml", *converged, expect_rc=None, XAPI_PASSWORD="not-the-password")
    assert refused.returncode != 0 and "SESSION_AUTHENTICATION_FAILED" in refused.stdout
    accepted = run_playbook(sim, "roles_vm_provision.yml", *converged, "-e", "roles_explicit_password=true", XAPI_PASSWORD="not-the-password")
    assert changed_by_host(accepted)["localhost"] == 0


def test_vm_provision_example_runs_as_written(sim) -> None:
    first = run_playbook(sim, example("vm_provision", "web_servers"))
    assert re.search(r"web03 runs on host\d at \d+\.\d+\.\d+\.\d+", first.stdout), first.stdout
    assert re.search(r"web04 runs on host2 at \d+\.\d+\.\d+\.\d+", first.stdout), first.stdout


def test_pool_networks_and_pool_storage_examples(sim) -> None:
    for role, name in (("pool_networks", "networks"), ("pool_storage", "storage")):
        first = run_playbook(sim, example(role, name))
        assert changed_by_host(first)["localhost"] > 0, name
        again, writes = writes_of(sim, example(role, name))
        assert changed_by_host(again)["localhost"] == 0 and writes == 0, name

    checked, writes = writes_of(sim, example("pool_networks", "networks"), "--check", "-e",
                                '{"pool_networks_networks": [{"name": "frontend", "mtu": 9000}, {"name": "new one"}]}')
    assert changed_by_host(checked)["localhost"] > 0 and writes == 0

    # A new NFS export path: every host's PBD is re-created with it, in check mode only predicted.
    checked, writes = writes_of(sim, example("pool_storage", "storage"), "--check", "-e", "nfs_path=/export/moved")
    assert changed_by_host(checked)["localhost"] > 0 and writes == 0
    moved = run_playbook(sim, example("pool_storage", "storage"), "-e", "nfs_path=/export/moved", "-v", "--diff")
    assert changed_by_host(moved)["localhost"] > 0
    assert "device_config" not in moved.stderr, "the SR module must not warn about the PBDs the role reconfigures"
    assert "Secr3t-Pa55" not in moved.stdout, "the SMB password must not show, even verbose and with diffs"
    run_playbook(sim, "roles_pool_verify.yml", "-e", "roles_nfs_path=/export/moved")

    # A host joins the pool: the next run gives it the VLANs and attaches the shared SRs there.
    sim.control_post("hosts", {"name": "host4", "devices": ["eth0", "eth1"], "join_shared_srs": False})
    for role, name in (("pool_networks", "networks"), ("pool_storage", "storage")):
        joined = run_playbook(sim, example(role, name), "-e", "nfs_path=/export/moved")
        assert changed_by_host(joined)["localhost"] > 0, name
    run_playbook(sim, "roles_pool_verify.yml", "-e", '{"roles_nfs_path": "/export/moved", "roles_hosts": ["host1", "host2", "host3", "host4"]}')


def test_bad_entries_fail_before_any_write(sim) -> None:
    result, writes = writes_of(sim, "roles_errors.yml")
    assert writes == 0
    assert "rescued=11" in result.stdout


def test_play_group_defaults_still_apply_inside_a_role(sim) -> None:
    # ca_path only comes from the play's group/xen.xapi.xapi defaults, the password only from xapi_connection.
    result = run_playbook(sim, "roles_group_defaults.yml", XAPI_CA_PATH="", XAPI_PASSWORD="not-the-password")
    assert changed_by_host(result)["localhost"] > 0


@pytest.mark.parametrize("role, example_name", [("vm_provision", "web_servers"), ("pool_networks", "networks"), ("pool_storage", "storage")])
def test_readme_shows_the_example_as_it_runs(role: str, example_name: str) -> None:
    readme = (ROLES / role / "README.md").read_text(encoding="utf-8")
    example_text = (ROLES / role / "examples" / f"{example_name}.yml").read_text(encoding="utf-8")
    assert f"```yaml\n{example_text}```" in readme


@pytest.mark.parametrize("role", ["vm_provision", "pool_networks", "pool_storage"])
def test_ansible_doc_shows_the_role(role: str) -> None:
    ansible_doc = str(Path(sys.executable).parent / "ansible-doc")
    result = subprocess.run([ansible_doc, "-t", "role", f"xen.xapi.{role}"], capture_output=True, text=True, env=dict(os.environ, ANSIBLE_NOCOLOR="1"),
                            timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    assert re.search(r"ENTRY POINT: \W*main", result.stdout) and "xapi_connection" in result.stdout, result.stdout
