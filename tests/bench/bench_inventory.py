"""What the xen.xapi.xapi inventory costs on pools of growing size.

    PYTHONPATH=tests python3 tests/bench/bench_inventory.py [--vms 100 1000 10000] [--hosts 20]

For each size it starts a generated pool (``python -m xapisim --hosts H --vms V``, HTTPS) and runs
``ansible-inventory --list`` with three configurations: the defaults, the leanest one
(``vm_details: []``), and the defaults through the inventory cache (a second run, served from the
cache). A last run, ``--graph`` with the defaults, builds the same inventory but skips the JSON
dump of every host variable that ``--list`` adds: it is closer to what ``ansible-playbook`` pays.
For each run it prints the XAPI calls the pool answered (from the simulator's statistics), the
wall time of the command, its peak memory, and the number of inventory hosts.

Targets: the same small number of calls whatever the size; the cached run makes none; under 15 s
for 10,000 VMs on a 2-core machine. Numbers only, no assertions.
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from xapisim.process import SimProcess, start_simulator  # noqa: E402  (needs the path above)

REPO_ROOT = Path(__file__).resolve().parents[2]
ANSIBLE_INVENTORY = str(Path(sys.executable).parent / "ansible-inventory")
READY_TIMEOUT = 300.0
# name -> (lines of the inventory file, ansible-inventory mode)
CONFIGURATIONS = {
    "default": ([], "--list"),
    "lean": (["vm_details: []"], "--list"),
    "cached": (["cache: true", "cache_plugin: ansible.builtin.jsonfile"], "--list"),
    "graph": ([], "--graph"),
}


@dataclasses.dataclass
class Run:
    calls: int
    wall: float
    peak_mib: float
    hosts: int


def collections_dir(workdir: Path) -> str:
    """A directory where ansible_collections/xen/xapi is this checkout."""
    link = workdir / "collections" / "ansible_collections" / "xen" / "xapi"
    link.parent.mkdir(parents=True)
    link.symlink_to(REPO_ROOT)
    return str(workdir / "collections")


def environment(pool: SimProcess, workdir: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update({
        "ANSIBLE_COLLECTIONS_PATH": collections_dir(workdir),
        "ANSIBLE_INVENTORY_CACHE_CONNECTION": str(workdir / "cache"),
        "ANSIBLE_INVENTORY_ANY_UNPARSED_IS_FAILED": "1",
        "XAPI_HOST": pool.url,
        "XAPI_USERNAME": pool.info["username"],
        "XAPI_PASSWORD": pool.info["password"],
        "XAPI_CA_PATH": pool.ca_cert or "",
    })
    return env


def graph_hosts(graph: str) -> int:
    """Distinct hosts in ansible-inventory --graph output: lines "  |  |--name" (groups are "|--@name:")."""
    return len(set(re.findall(r"\|--([^@\n][^\n]*)$", graph, flags=re.MULTILINE)))


def run_inventory(pool: SimProcess, source: Path, mode: str, env: dict[str, str]) -> Run:
    """One ansible-inventory run; peak memory is the command's own maximum resident set size."""
    pool.control_post("reset_stats")
    with tempfile.TemporaryFile() as output:
        started = time.monotonic()
        process = subprocess.Popen([ANSIBLE_INVENTORY, "-i", str(source), mode], env=env, stdout=output, stderr=subprocess.PIPE)
        _pid, status, usage = os.wait4(process.pid, 0)
        wall = time.monotonic() - started
        stderr = process.stderr.read().decode("utf-8", "replace") if process.stderr else ""
        if os.waitstatus_to_exitcode(status) != 0:
            raise RuntimeError(f"ansible-inventory failed:\n{stderr}")
        output.seek(0)
        hosts = len(json.load(output)["_meta"]["hostvars"]) if mode == "--list" else graph_hosts(output.read().decode("utf-8"))
    return Run(pool.control_get("stats")["total_calls"], wall, usage.ru_maxrss / 1024, hosts)


def bench_size(vms: int, hosts: int) -> None:
    pool = start_simulator("--hosts", str(hosts), "--vms", str(vms), timeout=READY_TIMEOUT)
    try:
        with tempfile.TemporaryDirectory(prefix="bench-inventory-") as tmp:
            workdir = Path(tmp)
            env = environment(pool, workdir)
            for name, (lines, mode) in CONFIGURATIONS.items():
                source = workdir / f"{name}.xapi.yml"
                source.write_text("\n".join(["plugin: xen.xapi.xapi", *lines]) + "\n")
                if name == "cached":
                    run_inventory(pool, source, mode, env)  # fills the cache
                run = run_inventory(pool, source, mode, env)
                print(f"{vms:>7} {name:<8} {run.calls:>6} {run.wall:>9.1f} {run.peak_mib:>9.0f} {run.hosts:>7}", flush=True)
    finally:
        pool.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vms", type=int, nargs="+", default=[100, 1000, 10000], help="pool sizes to measure")
    parser.add_argument("--hosts", type=int, default=20, help="hosts in each generated pool")
    arguments = parser.parse_args()
    print(f"{'VMs':>7} {'config':<8} {'calls':>6} {'wall (s)':>9} {'peak MiB':>9} {'hosts':>7}")
    for vms in arguments.vms:
        bench_size(vms, arguments.hosts)


if __name__ == "__main__":
    main()
