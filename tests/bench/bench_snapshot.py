"""What xen_vm_snapshot costs as a VM's snapshots pile up: API calls per run, and wall time.

    PYTHONPATH=tests python tests/bench/bench_snapshot.py [--counts 0 1 10 50] [--retain 5]

For each count it starts a demo pool over plain HTTP, gives build01 that many snapshots (taken
directly through the API), then runs the module with ``ansible`` three times, reading the
simulator's statistics around each run: an unchanged run (the newest snapshot again), a new
snapshot, and retention down to ``--retain`` snapshots. It prints numbers only.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import XenAPI

TESTS_DIR = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(TESTS_DIR))
sys.path.insert(0, str(TESTS_DIR / "integration"))

from conftest import collections_path  # noqa: E402  (needs the path above)
from xapisim.process import SimProcess, start_simulator  # noqa: E402

VM = "build01"
PREFIX = "bench-"


def take_snapshots(sim: SimProcess, count: int) -> None:
    session = XenAPI.Session(sim.url)
    session.xenapi.login_with_password(sim.info["username"], sim.info["password"], "1.0", "bench")
    try:
        vm = session.xenapi.VM.get_by_name_label(VM)[0]
        for index in range(count):
            session.xenapi.VM.snapshot(vm, "{0}{1:04d}".format(PREFIX, index))
    finally:
        session.xenapi.session.logout()


def run_module(sim: SimProcess, arguments: dict[str, object]) -> tuple[dict[str, int], float]:
    """One module run; returns the simulator's counters for it and the wall time."""
    env = dict(os.environ, XAPI_HOST=sim.url, XAPI_USERNAME=sim.info["username"], XAPI_PASSWORD=sim.info["password"],
               ANSIBLE_COLLECTIONS_PATH=collections_path(), ANSIBLE_PYTHON_INTERPRETER=sys.executable,
               ANSIBLE_LOCALHOST_WARNING="0", ANSIBLE_DEPRECATION_WARNINGS="0")
    command = [str(Path(sys.executable).parent / "ansible"), "localhost", "-c", "local", "-m", "xen.xapi.xen_vm_snapshot",
               "-a", json.dumps(dict({"vm": VM}, **arguments))]
    sim.control_post("reset_stats")
    started = time.monotonic()
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    elapsed = time.monotonic() - started
    if result.returncode != 0:
        raise RuntimeError("module run failed:\n" + result.stdout + result.stderr)
    stats = sim.control_get("stats")
    return {"calls": stats["total_calls"], "writes": stats["write_calls"]}, elapsed


def bench(count: int, retain: int) -> None:
    sim = start_simulator("--http")
    try:
        take_snapshots(sim, count)
        # With no snapshot yet, the unchanged run asks for one to be absent.
        unchanged = {"name": "{0}{1:04d}".format(PREFIX, count - 1)} if count else {"name": PREFIX + "none", "state": "absent"}
        runs = [("unchanged", unchanged), ("take", {"name": PREFIX + "new"}),
                ("retain {0}".format(retain), {"name_prefix": PREFIX, "retain": retain})]
        for label, arguments in runs:
            stats, elapsed = run_module(sim, arguments)
            print("snapshots={0:<4} run={1:<10} calls={2:<4} writes={3:<4} seconds={4:.2f}".format(
                count, label, stats["calls"], stats["writes"], elapsed), flush=True)
    finally:
        sim.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--counts", type=int, nargs="+", default=[0, 1, 10, 50])
    parser.add_argument("--retain", type=int, default=5)
    arguments = parser.parse_args()
    for count in arguments.counts:
        bench(count, arguments.retain)


if __name__ == "__main__":
    main()
