"""The xen.xapi.xapi inventory plugin end to end: ansible-inventory and ansible-playbook against simulators.

Most tests read the shared demo pool; those that change a pool (renames, clones, faults) start
their own, so the shared one stays as the scenario describes it.
"""
from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import typing as t
from pathlib import Path

from ansible.release import __version__ as ANSIBLE_CORE_VERSION
from harness import TARGETS, ansible_env, run_playbook

from ansible_collections.xen.xapi.plugins.module_utils._xapi.client import XapiClient
from ansible_collections.xen.xapi.plugins.module_utils._xapi.urls import ConnectionParams

REPO_ROOT = Path(__file__).resolve().parents[2]
INVENTORIES = TARGETS / "inventory"
ANSIBLE_INVENTORY = str(Path(sys.executable).parent / "ansible-inventory")
GIB = 1024 ** 3
DEMO_VMS = {"web01", "web02", "db01", "build01", "legacy01"}
# A source that fails must fail the command, so that its message can be checked.
FAIL_ON_ERRORS = {"ANSIBLE_INVENTORY_UNPARSED_FAILED": "1", "ANSIBLE_INVENTORY_ANY_UNPARSED_IS_FAILED": "1"}
# make compat runs these tests under older ansible-core releases too, which differ from 2.19 in two ways users see:
# compose renders text unless jinja2_native is set, and ansible-inventory has no --flush-cache.
CORE_BEFORE_2_19 = tuple(int(part) for part in ANSIBLE_CORE_VERSION.split(".")[:2]) < (2, 19)


def composed(value: t.Any) -> t.Any:
    """A value as compose renders it on this ansible-core: native on 2.19 and later, text before."""
    return str(value) if CORE_BEFORE_2_19 else value


def one_line(text: str) -> str:
    """Warnings folded to the terminal width (as ansible-core before 2.19 prints them) joined back into one line."""
    return " ".join(text.split())


def plain(value: t.Any) -> t.Any:
    """ansible-inventory --list marks text from inventory plugins as {"__ansible_unsafe": text}; unwrap it."""
    if isinstance(value, dict):
        if set(value) == {"__ansible_unsafe"}:
            return value["__ansible_unsafe"]
        return dict((key, plain(item)) for key, item in value.items())
    if isinstance(value, list):
        return [plain(item) for item in value]
    return value


def run_inventory(sim: t.Any, source: Path | str, *args: str, expect_ok: bool = True, **env: str) -> subprocess.CompletedProcess[str]:
    command = [ANSIBLE_INVENTORY, "-i", str(INVENTORIES / source), *args]
    result = subprocess.run(command, env=ansible_env(sim, **env), capture_output=True, text=True, timeout=300, check=False)
    if expect_ok and (result.returncode != 0 or "[WARNING]" in result.stderr):
        raise AssertionError(f"{command} exited {result.returncode}\n--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}")
    if not expect_ok:
        assert result.returncode != 0, result.stdout
    return result


class Listing:
    """What ansible-inventory --list printed: host variables and group members, as plain data."""

    def __init__(self, output: str) -> None:
        data = plain(json.loads(output))
        self.hostvars: dict[str, dict[str, t.Any]] = data.pop("_meta")["hostvars"]
        self.groups = dict((name, set(group.get("hosts", []))) for name, group in data.items())

    def members(self, group: str) -> set[str]:
        return self.groups.get(group, set())


def list_inventory(sim: t.Any, source: Path | str, *args: str, **env: str) -> Listing:
    return Listing(run_inventory(sim, source, "--list", *args, **env).stdout)


def client_for(sim: t.Any) -> XapiClient:
    return XapiClient(ConnectionParams(hostname=sim.url, username=sim.info["username"], password=sim.info["password"],
                                       ca_path=sim.ca_cert))


def calls_of(sim: t.Any, source: Path | str, *args: str, **env: str) -> tuple[Listing, dict[str, t.Any]]:
    sim.control_post("reset_stats")
    listing = list_inventory(sim, source, *args, **env)
    return listing, sim.control_get("stats")


def write_source(directory: Path, name: str, lines: t.Sequence[str]) -> Path:
    path = directory / name
    path.write_text("\n".join(["---", "plugin: xen.xapi.xapi", *lines]) + "\n")
    return path


def test_demo_pool_hosts_groups_variables_and_calls(sim) -> None:
    listing, stats = calls_of(sim, "demo.xapi.yml")
    # Log in, then one get_all_records per class sent together with the logout: whatever the size of the pool, two
    # round trips, and no event.from (which xapi 26.10 and later make wait 50 ms).
    assert stats["calls"] == {"session.login_with_password": 1, "pool.get_all_records": 1, "host.get_all_records": 1,
                              "VM.get_all_records": 1, "VM_guest_metrics.get_all_records": 1, "network.get_all_records": 1,
                              "VIF.get_all_records": 1, "VDI.get_all_records": 1, "SR.get_all_records": 1,
                              "session.logout": 1}, stats["calls"]
    assert stats["round_trips"] == 2, stats
    assert set(listing.hostvars) == DEMO_VMS  # no templates, snapshots or control domains
    assert listing.members("xapi_vms") == DEMO_VMS
    assert listing.members("xapi_pool_demo_pool") == DEMO_VMS
    assert listing.members("xapi_power_running") == {"web01", "web02", "db01"}
    assert listing.members("xapi_power_halted") == {"build01"}
    assert listing.members("xapi_power_suspended") == {"legacy01"}
    assert listing.members("xapi_host_host1") == {"web01"}
    assert listing.members("xapi_host_host2") == {"web02", "db01"}
    assert listing.members("xapi_tag_production") == {"web01", "web02"}
    assert listing.members("xapi_tag_db") == {"db01"}
    assert listing.members("xapi_os_linux") == {"web01", "web02", "db01"}
    assert listing.members("xapi_without_ip") == {"build01", "legacy01"}
    assert "xapi_hosts" not in listing.groups

    db01 = listing.hostvars["db01"]
    with client_for(sim) as client:
        ref = client.call("VM.get_by_name_label", "db01")[0]
        record = client.call("VM.get_record", ref)
        reported = client.call("VM_guest_metrics.get_networks", record["guest_metrics"])
    assert db01["xapi_uuid"] == record["uuid"]
    assert db01["ansible_host"] == reported["0/ip"]
    assert (db01["xapi_class"], db01["xapi_power_state"], db01["xapi_host"], db01["xapi_pool"]) == ("VM", "Running", "host2", "demo-pool")
    assert (db01["xapi_vcpus"], db01["xapi_memory"]) == (4, 8 * GIB)
    assert db01["xapi_os_version"]["distro"] == "debian" and db01["xapi_os_family"] == "linux"
    assert db01["xapi_tags"] == ["db"] and db01["xapi_other_config"]["base_template_name"] == "Debian Bookworm 12"
    assert not db01["xapi_is_a_template"] and not db01["xapi_is_a_snapshot"] and not db01["xapi_is_control_domain"]
    assert [(net["device"], net["network"], net["ipv4"]) for net in db01["xapi_networks"]] == [
        ("0", "Pool-wide network associated with eth0", [reported["0/ipv4/0"]]),
        ("1", "Pool-wide network associated with eth1", [reported["1/ipv4/0"]])]
    assert db01["xapi_disks"] == {"count": 2, "size": 120 * GIB}  # db01 root and db01 data
    assert "ansible_host" not in listing.hostvars["build01"] and listing.hostvars["build01"]["xapi_host"] == ""

    graph = run_inventory(sim, "demo.xapi.yml", "--graph").stdout
    assert "@xapi_power_running:" in graph and "|--db01" in graph


def test_selection_names_addresses_and_constructed_options(sim) -> None:
    listing = list_inventory(sim, "options.xapi.yml")
    hosts = {"host1.demo-pool", "host2.demo-pool", "host3.demo-pool"}
    assert set(listing.hostvars) == hosts | {"web01", "web02", "db01", "build01", "Debian Bookworm 12"}
    assert listing.hostvars["host1.demo-pool"]["xapi_is_master"] is True
    assert listing.hostvars["host2.demo-pool"]["ansible_host"] == "127.0.0.2"
    assert listing.members("xapi_hosts") == hosts
    # address_networks: db01 is reached on eth1; web01 has no VIF there, so no ansible_host.
    db01 = listing.hostvars["db01"]
    assert db01["ansible_host"] == db01["xapi_networks"][1]["ipv4"][0]
    assert "ansible_host" not in listing.hostvars["web01"]
    # group_by: only pool and tag groups are built in.
    assert not any(name.startswith(("xapi_power", "xapi_host_", "xapi_os_", "xapi_without")) for name in listing.groups)
    assert listing.members("xapi_tag_web") == {"web01", "web02"}
    assert listing.members("xapi_pool_demo_pool") == set(listing.hostvars)
    # compose, groups and keyed_groups (leading_separator false: no "_" before an unprefixed key).
    assert listing.hostvars["web01"]["ansible_user"] == "admin" and db01["ansible_user"] == "root"
    assert db01["disk_total"] == composed(120 * GIB)
    assert listing.members("big_vms") == {"db01"}
    assert listing.members("distro_debian") == {"web01", "web02", "db01"}
    assert listing.members("distro_none") == hosts | {"build01", "Debian Bookworm 12"}
    assert listing.members("running") == {"web01", "web02", "db01"} and listing.members("halted") == {"build01", "Debian Bookworm 12"}


def test_xmlrpc_lean_details_prefixes_and_failing_filters(sim) -> None:
    listing, stats = calls_of(sim, "xmlrpc_lean.xapi.yml")
    assert stats["round_trips"] == 2, stats  # log in; the reads with the logout
    # The filter cannot be evaluated for VMs without a guest agent: they are left out.
    assert sorted(variables["vm_name_label"] for variables in listing.hostvars.values()) == ["db01", "web01", "web02"]
    for name, variables in listing.hostvars.items():
        assert name == variables["vm_uuid"]
        assert isinstance(variables["vm_memory"], int) and variables["vm_memory"] >= 2 * GIB  # ints over XML-RPC too
        assert "vm_networks" not in variables and "vm_disks" not in variables
        # The link-local address comes first and is passed over for the global one.
        assert variables["ansible_host"].startswith("2001:db8::")
    assert listing.members("lab_without_ip") == set()
    assert listing.members("lab_vms") == set(listing.hostvars)


def test_vault_encrypted_password(sim) -> None:
    listing = list_inventory(sim, "vault.xapi.yml", "--vault-password-file", str(INVENTORIES / "vault-password"),
                             XAPI_PASSWORD="not-the-password")
    assert set(listing.hostvars) == {"web01", "web02", "db01"}


def test_cache_second_run_makes_no_call(sim, tmp_path: Path) -> None:
    env = {"ANSIBLE_INVENTORY_CACHE_CONNECTION": str(tmp_path / "cache")}
    first, stats = calls_of(sim, "cached.xapi.yml", **env)
    assert stats["round_trips"] == 2, stats  # log in; the reads with the logout
    with client_for(sim) as client:
        web02 = client.call("VM.get_by_name_label", "web02")[0]
        client.call("VM.set_name_label", web02, "web02-renamed")
        try:
            second, stats = calls_of(sim, "cached.xapi.yml", **env)
            assert stats["total_calls"] == 0, stats["calls"]
            assert second.hostvars == first.hostvars and second.groups == first.groups
            if CORE_BEFORE_2_19:  # what a user of those releases does instead of --flush-cache
                shutil.rmtree(tmp_path / "cache")
                refreshed, stats = calls_of(sim, "cached.xapi.yml", **env)
            else:
                refreshed, stats = calls_of(sim, "cached.xapi.yml", "--flush-cache", **env)
            assert stats["round_trips"] == 2, stats
            assert "web02-renamed" in refreshed.hostvars and "web02" not in refreshed.hostvars
        finally:
            client.call("VM.set_name_label", web02, "web02")


def test_duplicate_and_unsafe_names(sim_factory, tmp_path: Path) -> None:
    pool = sim_factory()
    with client_for(pool) as client:
        web01 = client.call("VM.get_by_name_label", "web01")[0]
        build01 = client.call("VM.get_by_name_label", "build01")[0]
        twin = client.call("VM.clone", build01, "web01")  # only a halted VM can be cloned
        client.call("VM.set_name_label", build01, "{{ lookup('pipe', 'id') }}")
        db01 = client.call("VM.get_by_name_label", "db01")[0]
        client.call("VM.add_tags", db01, "{{ 7 * 6 }}")
        uuids = sorted(client.call("VM.get_uuid", ref) for ref in (web01, twin))
    listing = list_inventory(pool, "demo.xapi.yml")
    assert "web01" not in listing.hostvars
    assert {"web01_" + uuid[:8] for uuid in uuids} <= set(listing.hostvars)
    assert listing.hostvars["{{ lookup('pipe', 'id') }}"]["xapi_name_label"] == "{{ lookup('pipe', 'id') }}"
    assert "xapi_tag____7___6___" in listing.groups  # group names keep letters, digits and underscores only
    assert "web01_" + uuids[0] not in listing.hostvars
    by_uuid = list_inventory(pool, write_source(tmp_path, "uuid.xapi.yml", ["duplicate_hostnames: uuid"]))
    assert set(uuids) <= set(by_uuid.hostvars)

    result = run_playbook(pool, "inventory_unsafe_names.yml", "-i", str(INVENTORIES / "demo.xapi.yml"))
    assert "is named {{ lookup('pipe', 'id') }}" in result.stdout
    assert "uid=" not in result.stdout


def test_disks_summary_leaves_out_cd_drives(sim_factory) -> None:
    pool = sim_factory()
    with client_for(pool) as client:
        db01 = client.call("VM.get_by_name_label", "db01")[0]
        iso = client.call("VDI.get_by_name_label", "debian-12.7.0-amd64-netinst.iso")[0]
        cd_drive = {"VM": db01, "userdevice": "3", "bootable": False, "mode": "RO", "type": "CD", "unpluggable": True,
                    "other_config": {}, "qos_algorithm_type": "", "qos_algorithm_params": {}}
        client.call("VBD.create", dict(cd_drive, VDI=iso, empty=False))
        client.call("VBD.create", dict(cd_drive, VDI="OpaqueRef:NULL", empty=True, userdevice="4"))
        # A read-only disk shared by two VMs counts for each of them.
        nfs = client.call("SR.get_by_name_label", "NFS storage")[0]
        shared = client.call("VDI.create", {"name_label": "shared assets", "name_description": "", "SR": nfs,
                                            "virtual_size": str(5 * GIB), "type": "user", "sharable": True,
                                            "read_only": True, "other_config": {}})
        for name in ("web01", "web02"):
            vm = client.call("VM.get_by_name_label", name)[0]
            client.call("VBD.create", dict(cd_drive, VM=vm, VDI=shared, type="Disk", empty=False, userdevice="1"))
    listing = list_inventory(pool, "demo.xapi.yml")
    assert listing.hostvars["db01"]["xapi_disks"] == {"count": 2, "size": 120 * GIB}
    assert listing.hostvars["web01"]["xapi_disks"] == {"count": 2, "size": 25 * GIB}
    assert listing.hostvars["web02"]["xapi_disks"] == {"count": 2, "size": 25 * GIB}
    assert listing.hostvars["build01"]["xapi_disks"] == {"count": 1, "size": 30 * GIB}


def test_several_pools_and_fallback_hosts(sim, sim_factory, tmp_path: Path) -> None:
    second = sim_factory("--hosts", "2", "--vms", "4")
    source = write_source(tmp_path, "pools.xapi.yml", [
        "pools:",
        f"  - hostname: {sim.info['hosts']['host2']}",  # a member: redirected to the master
        f"    ca_path: {sim.ca_cert}",
        f"  - hostname: {second.url}",
        f"    ca_path: {second.ca_cert}",
        f"    password: {second.info['password']}",
    ])
    listing = list_inventory(sim, source)
    generated = listing.members("xapi_pool_generated_pool")
    assert listing.members("xapi_pool_demo_pool") == DEMO_VMS
    assert len(generated) == 4 and not generated & DEMO_VMS
    assert listing.members("xapi_vms") == DEMO_VMS | generated

    failed_master = sim_factory()
    hosts = failed_master.info["hosts"]
    failed_master.control_post("faults", {"master": "host2", "down_hosts": ["host1"]})
    with_fallback = write_source(tmp_path, "fallback.xapi.yml", [
        f"hostname: {hosts['host1']}", f"fallback_hosts: [{hosts['host3']}, {hosts['host2']}]"])
    assert set(list_inventory(failed_master, with_fallback).hostvars) == DEMO_VMS
    without = write_source(tmp_path, "master-only.xapi.yml", [f"hostname: {hosts['host1']}"])
    failure = run_inventory(failed_master, without, "--list", expect_ok=False, **FAIL_ON_ERRORS)
    assert f"Cannot read the pool at {hosts['host1']}" in one_line(failure.stderr)


def failures(sim: t.Any, sources: t.Sequence[Path | str], **env: str) -> str:
    """stderr of one ansible-inventory run over sources that should all fail, each with its own warning."""
    args = [arg for source in sources for arg in ("-i", str(INVENTORIES / source))]
    result = subprocess.run([ANSIBLE_INVENTORY, *args, "--list"], env=ansible_env(sim, ANSIBLE_INVENTORY_ENABLED="auto", **env),
                            capture_output=True, text=True, timeout=300, check=False)
    assert plain(json.loads(result.stdout))["_meta"]["hostvars"] == {}, result.stdout
    return one_line(result.stderr)


def test_errors_name_the_problem(sim, tmp_path: Path) -> None:
    cases = {
        "password.xapi.yml": (["password: Wr0ng-s3cret-value"],
                              "the server rejected the username or password. (XAPI error SESSION_AUTHENTICATION_FAILED"),
        "networks.xapi.yml": (["address_networks: [storage]", "vm_details: [disks]"], "add networks to vm_details"),
        # ansible-core's own words; before 2.19 they read 'for configuration option "... setting: power_states"'.
        "choice.xapi.yml": (["power_states: [running]"], r"Invalid value \"?\['running'\]\"? for config.{0,160}power_states"),
        "pools.xapi.yml": (["pools:", "  - hostname: xs01", "    colour: red"], "pools[0]: colour"),
        "prefix.xapi.yml": (["vars_prefix: xen-"], "vars_prefix 'xen-' would make host variable names Ansible cannot use"),
        "userinfo.xapi.yml": (["hostname: https://root:Wr0ng-s3cret-value@127.0.0.1:1"], "must not include credentials"),
        "unreachable.xapi.yml": (["hostname: https://127.0.0.1:1", "timeout: 5"], "Cannot read the pool at https://127.0.0.1:1"),
    }
    sources = [write_source(tmp_path, name, lines) for name, (lines, _message) in cases.items()]
    stderr = failures(sim, [*sources, "strict.xapi.yml"])
    for name, (_lines, message) in cases.items():
        assert re.search(message, stderr) if name == "choice.xapi.yml" else message in stderr, (name, stderr)
    # The first VM without a guest agent, in uuid order, fails the strict source.
    assert re.search(r"Could not evaluate filters entry \"xapi_os_version.distro == 'debian'\" for VM '(build01|legacy01)'", stderr)
    assert "Wr0ng-s3cret-value" not in stderr
    assert "set hostname to the pool master" in failures(sim, ["demo.xapi.yml"], XAPI_HOST="")


def test_demo_tour_prints_the_groups(sim) -> None:
    result = run_playbook(sim, "../../../playbooks/demo/tour.yml", "-i", str(REPO_ROOT / "playbooks" / "inventory" / "demo.xapi.yml"))
    assert "xapi_power_running: db01, web01, web02" in result.stdout
    assert "5 VMs, 3 hosts" in result.stdout
