"""What xen_host costs as the pool grows: API calls per run, and wall time.

    PYTHONPATH=tests python tests/bench/bench_xen_host.py [--hosts 3 16 64] [--vms 20]

For each pool size it starts a generated pool over plain HTTP, then runs the module with
``ansible`` on the last host of the pool, reading the simulator's statistics around each run: a
read without change, an unchanged ``enabled: true``, and ``enabled: false`` in check mode. Reads do
not depend on the number of hosts. It prints numbers only.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

TESTS_DIR = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(TESTS_DIR))
sys.path.insert(0, str(TESTS_DIR / "integration"))

from conftest import collections_path  # noqa: E402  (needs the path above)
from xapisim.process import SimProcess, start_simulator  # noqa: E402


def run_module(sim: SimProcess, arguments: dict[str, object], *options: str) -> tuple[dict[str, int], float]:
    """One module run; returns the simulator's counters for it and the wall time."""
    env = dict(os.environ, XAPI_HOST=sim.url, XAPI_USERNAME=sim.info["username"], XAPI_PASSWORD=sim.info["password"],
               ANSIBLE_COLLECTIONS_PATH=collections_path(), ANSIBLE_PYTHON_INTERPRETER=sys.executable,
               ANSIBLE_LOCALHOST_WARNING="0", ANSIBLE_DEPRECATION_WARNINGS="0")
    command = [str(Path(sys.executable).parent / "ansible"), "localhost", "-c", "local", "-m", "xen.xapi.xen_host",
               "-a", json.dumps(arguments), *options]
    sim.control_post("reset_stats")
    started = time.monotonic()
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    elapsed = time.monotonic() - started
    if result.returncode != 0:
        raise RuntimeError("module run failed:\n" + result.stdout + result.stderr)
    stats = sim.control_get("stats")
    return {"calls": stats["total_calls"], "writes": stats["write_calls"]}, elapsed


def bench(hosts: int, vms: int) -> None:
    sim = start_simulator("--http", "--hosts", str(hosts), "--vms", str(vms))
    try:
        host = list(sim.info["hosts"])[-1]
        runs = [("read", {"name": host}, ()), ("unchanged", {"name": host, "enabled": True}, ()),
                ("check disable", {"name": host, "enabled": False}, ("--check",))]
        for label, arguments, options in runs:
            stats, elapsed = run_module(sim, arguments, *options)
            print("hosts={0:<4} run={1:<14} calls={2:<4} writes={3:<4} seconds={4:.2f}".format(
                hosts, label, stats["calls"], stats["writes"], elapsed), flush=True)
    finally:
        sim.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hosts", type=int, nargs="+", default=[3, 16, 64])
    parser.add_argument("--vms", type=int, default=20)
    arguments = parser.parse_args()
    for hosts in arguments.hosts:
        bench(hosts, arguments.vms)


if __name__ == "__main__":
    main()
