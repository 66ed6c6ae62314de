"""How the collection fares in a slow, lossy pool: plays converged, calls spent on recovery, sessions left, duplicates.

    PYTHONPATH=tests python tests/bench/bench_hostile.py [--plays 10] [--seed 1]

Runs the everyday play of the hostile integration test (tests/integration/playbooks/hostile_pool.yml: a VM created
running, a disk and a NIC hot-plugged right after, a power cycle, a snapshot, a disk attached with xen_vbd, a VLAN)
once on a quiet pool (the same latency, no faults) for a baseline, then --plays times in the hostile profile of
tests/integration/test_hostile.py (realistic pace, 10 ms latency, about 8 % of requests dropped and some answers
lost; event.from delayed as xapi 26.10 and later do), each play on a fresh pool
with its own fault seed. For each it prints whether the play converged, the calls it made beyond the baseline,
the faults that fired, the sessions of ours left alive and the objects made twice.

Targets: 10/10 plays converged, 0 sessions left, 0 duplicates. Numbers only, no assertions.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO_ROOT / "tests"))
sys.path.insert(0, str(REPO_ROOT / "tests" / "integration"))

import conftest  # noqa: E402,F401  (makes the collection importable as ansible_collections.xen.xapi)
from harness import TARGETS, ansible_env  # noqa: E402
from xapisim.process import SimProcess, start_simulator  # noqa: E402
from test_hostile import HOSTILE, ORIGINATOR, PACE  # noqa: E402

from ansible_collections.xen.xapi.plugins.module_utils._xapi.client import XapiClient  # noqa: E402
from ansible_collections.xen.xapi.plugins.module_utils._xapi.urls import ConnectionParams  # noqa: E402

VM_NAME = "hostile"
# (class, name, extra filter) of every object the play makes once
MADE = [("VM", VM_NAME, "is_a_snapshot"), ("VM", VM_NAME + " before upgrade", ""), ("VDI", VM_NAME + " data", "is_a_snapshot"),
        ("VDI", VM_NAME + " scratch", "is_a_snapshot"), ("network", VM_NAME + " backend", "")]


def run_play(pool: SimProcess) -> tuple[int, float]:
    command = [str(Path(sys.executable).parent / "ansible-playbook"), "-i", "localhost,", "-c", "local",
               str(TARGETS / "hostile_pool.yml"), "-e", json.dumps({"sim_control": pool.info["control"]})]
    started = time.monotonic()
    result = subprocess.run(command, env=ansible_env(pool), capture_output=True, text=True, timeout=900, check=False)
    if result.returncode:
        failed = [line for line in result.stdout.splitlines() if "fatal:" in line or '"msg"' in line]
        print("    failed: " + " | ".join(failed)[:600])
    return result.returncode, time.monotonic() - started


def duplicates(pool: SimProcess) -> int:
    """Objects the play made more than once (snapshot copies of the VM's disks do not count)."""
    params = ConnectionParams(hostname=pool.url, password=pool.info["password"], ca_path=pool.ca_cert)
    extra = 0
    with XapiClient(params) as client:
        for cls, name, not_flag in MADE:
            expression = 'field "name__label" = "{0}"'.format(name)
            if not_flag:
                expression += ' and field "{0}" = "false"'.format(not_flag)
            found = len(client.call(cls + ".get_all_records_where", expression))
            extra += max(0, found - 1)
    return extra


def play_on_fresh_pool(faults: dict[str, Any] | None) -> dict[str, Any]:
    pool = start_simulator()
    try:
        pool.control_post("pace", PACE)
        if faults:
            pool.control_post("faults", dict(faults, clear=True))
        pool.control_post("reset_stats", {})
        rc, seconds = run_play(pool)
        stats = pool.control_get("stats")
        pool.control_post("faults", {"clear": True})
        sessions = sum(count for originator, count in stats["sessions_by_originator"].items() if originator.startswith(ORIGINATOR))
        faults_fired = stats.get("faults_fired", {})
        # Requests sent: those served plus those the faults dropped unserved. event.from waits are left out: how
        # many a wait takes depends on timing (progress updates), not on recovery.
        requests = stats["total_calls"] - stats["calls"].get("event.from", 0) + faults_fired.get("reset", 0)
        return {"rc": rc, "seconds": seconds, "calls": requests, "faults": faults_fired, "sessions": sessions,
                "duplicates": duplicates(pool)}
    finally:
        pool.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--plays", type=int, default=10)
    parser.add_argument("--seed", type=int, default=1, help="fault seed of the first play (each next play adds 1)")
    arguments = parser.parse_args()
    os.environ.setdefault("ANSIBLE_COLLECTIONS_PATH", conftest.collections_path())

    # The same latency, without the drops and lost answers: how the modules read depends on the network's round trip.
    baseline = play_on_fresh_pool({"latency_ms": HOSTILE["latency_ms"]})
    print("baseline (realistic pace, {0:g} ms latency, no faults): rc {rc}, {calls} requests (event.from waits aside), {seconds:.1f} s".format(
        HOSTILE["latency_ms"], **baseline))
    results = []
    for index in range(arguments.plays):
        seed = arguments.seed + index
        outcome = play_on_fresh_pool(dict(HOSTILE, seed=seed))
        results.append(outcome)
        print("play {0:2d} (seed {1}): {2}, {3} requests (+{4} for recovery), faults {5}, {6} s, sessions left {7}, duplicates {8}".format(
            index + 1, seed, "converged" if outcome["rc"] == 0 else "FAILED", outcome["calls"], outcome["calls"] - baseline["calls"],
            outcome["faults"], round(outcome["seconds"], 1), outcome["sessions"], outcome["duplicates"]))
    converged = sum(1 for outcome in results if outcome["rc"] == 0)
    extra = [outcome["calls"] - baseline["calls"] for outcome in results]
    print()
    print("plays converged:          {0}/{1}   (target {1}/{1})".format(converged, len(results)))
    print("extra calls for recovery: {0} in all, {1:.1f} per play (requests beyond the baseline, event.from waits aside)".format(
        sum(extra), sum(extra) / max(1, len(extra))))
    print("sessions left:            {0}   (target 0)".format(sum(outcome["sessions"] for outcome in results)))
    print("duplicates:               {0}   (target 0)".format(sum(outcome["duplicates"] for outcome in results)))


if __name__ == "__main__":
    main()
