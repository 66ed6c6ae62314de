"""What a run of xen_vdi or xen_vbd that changes nothing costs, on the demo pool and on a large pool.

    PYTHONPATH=tests python3 tests/bench/bench_disks.py [--hosts 3] [--vms 1000]

For each pool it runs each module twice per identity form through ansible-playbook (a real module run: login,
reads, logout), the second time from what the first kept in its run memory (the first starts with none), and
prints the XAPI calls the simulator counted (``/_sim/stats``) for the first run: total, writes, and calls per
method; the round trips of both runs; and the wall time of the first playbook. Numbers only; the target is a number
of calls that does not grow with the pool (one read per class, at most 8 calls per run with login and logout), and
two round trips for the second run.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO_ROOT / "tests"))

from xapisim.process import SimProcess, start_simulator  # noqa: E402  (needs the path above)

# (label, module, options): no-op runs on objects both the demo pool and generated pools have.
DEMO_RUNS: list[tuple[str, str, dict[str, Any]]] = [
    ("xen_vdi by name, disk with a running VM", "xen_vdi", {"name": "web01 root"}),
    ("xen_vdi by name, disk with a halted VM", "xen_vdi", {"name": "build01 root"}),
    ("xen_vdi by name, ISO without drives", "xen_vdi", {"name": "xcp-ng-guest-tools.iso", "sr": "ISO library"}),
    ("xen_vbd by vm and userdevice", "xen_vbd", {"vm": "web01", "userdevice": "0"}),
    ("xen_vbd by vm and vdi", "xen_vbd", {"vm": "build01", "vdi": "build01 root"}),
]
GENERATED_RUNS: list[tuple[str, str, dict[str, Any]]] = [
    ("xen_vdi by name", "xen_vdi", {"name": "vm00001 root"}),
    ("xen_vdi by name, ISO without drives", "xen_vdi", {"name": "xcp-ng-guest-tools.iso", "sr": "ISO library"}),
    ("xen_vbd by vm and userdevice", "xen_vbd", {"vm": "vm00001", "userdevice": "0"}),
    ("xen_vbd by vm and vdi", "xen_vbd", {"vm": "vm00002", "vdi": "vm00002 root"}),
]


def collections_dir() -> str:
    """A directory where ansible_collections/xen/xapi is this checkout."""
    base = Path(tempfile.mkdtemp(prefix="bench-disks-"))
    link = base / "ansible_collections" / "xen" / "xapi"
    link.parent.mkdir(parents=True)
    link.symlink_to(REPO_ROOT)
    return str(base)


def run_once(pool: SimProcess, module: str, options: dict[str, Any], workdir: Path, collections: str) -> tuple[dict[str, Any], float]:
    """Run one task against the pool, with the cache in workdir; returns the simulator's counters for it and the wall
    time."""
    task = {"name": "No-op run", f"xen.xapi.{module}": options}
    playbook = workdir / "noop.yml"
    playbook.write_text(json.dumps([{"name": "Bench", "hosts": "localhost", "gather_facts": False, "tasks": [task]}]))
    env = dict(os.environ, XAPI_HOST=pool.url, XAPI_USERNAME=pool.info["username"], XAPI_PASSWORD=pool.info["password"],
               XAPI_CA_PATH=pool.ca_cert or "", ANSIBLE_COLLECTIONS_PATH=collections, ANSIBLE_PYTHON_INTERPRETER=sys.executable,
               ANSIBLE_LOCALHOST_WARNING="0", ANSIBLE_INVENTORY_UNPARSED_WARNING="0", XDG_CACHE_HOME=str(workdir / "cache"))
    command = [str(Path(sys.executable).parent / "ansible-playbook"), "-i", "localhost,", "-c", "local", str(playbook)]
    pool.control_post("reset_stats")
    started = time.monotonic()
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    elapsed = time.monotonic() - started
    if result.returncode != 0 or "changed=0" not in result.stdout:
        raise SystemExit(f"{module} {options} did not run as a no-op:\n{result.stdout}\n{result.stderr}")
    return pool.control_get("stats"), elapsed


def report(title: str, pool: SimProcess, runs: list[tuple[str, str, dict[str, Any]]], workdir: Path, collections: str) -> None:
    print(f"\n{title}")
    print(f"  {'run':44} {'calls':>5} {'writes':>6} {'trips':>5} {'again':>5} {'seconds':>7}  calls per method")
    for label, module, options in runs:
        shutil.rmtree(workdir / "cache" / "xen.xapi" / "runs", ignore_errors=True)  # no memory of an earlier pool
        stats, elapsed = run_once(pool, module, options, workdir, collections)
        again, _elapsed = run_once(pool, module, options, workdir, collections)
        methods = ", ".join(f"{name} {count}" for name, count in sorted(stats["calls"].items()))
        print(f"  {label:44} {stats['total_calls']:>5} {stats['write_calls']:>6} {stats['round_trips']:>5} {again['round_trips']:>5} "
              f"{elapsed:>7.2f}  {methods}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hosts", type=int, default=3)
    parser.add_argument("--vms", type=int, default=1000)
    args = parser.parse_args()
    collections = collections_dir()
    with tempfile.TemporaryDirectory() as tmp:  # the bench's own cache: compiled code, and the runs' memory
        for title, sim_args, runs in (("demo pool", (), DEMO_RUNS),
                                      (f"generated pool: {args.hosts} hosts, {args.vms} VMs", ("--hosts", str(args.hosts), "--vms", str(args.vms)),
                                       GENERATED_RUNS)):
            pool = start_simulator(*sim_args)
            try:
                if title == "demo pool":
                    run_once(pool, runs[0][1], runs[0][2], Path(tmp), collections)  # untimed: fills the compiled-code cache
                report(title, pool, runs, Path(tmp), collections)
            finally:
                pool.stop()


if __name__ == "__main__":
    main()
