"""What xen_vm costs: the calls of a run that changes nothing, and how fast it notices a finished task.

    PYTHONPATH=tests python3 tests/bench/bench_xen_vm.py [--runs 3] [--tasks 10] [--task-seconds 0.5]

1. On the demo pool it creates a running VM with two disks, a CD and one network interface, then
   runs the same task again (a no-op) and prints the XAPI calls the simulator counted for that run
   (``/_sim/stats``): total, writes, and calls per method, with the playbook's wall time.
   Target: at most 11 calls, login and logout included, in 5 round trips (one read per class, the reads that do
   not depend on each other sent together).
2. It then runs VM.clean_reboot as a task lasting --task-seconds, --tasks times, the way the module
   waits for every long operation (event.from on the task), and prints the delay between the task
   finishing and the wait returning. Target: under 0.1 s (a 2-second polling loop averages 1 s).

Numbers only, no assertions.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO_ROOT / "tests"))

from xapisim.process import SimProcess, start_simulator  # noqa: E402  (needs the path above)

VM_OPTIONS: dict[str, Any] = {
    "name": "bench01", "template": "Debian Bookworm 12", "state": "running", "vcpus": 2, "memory": "2GiB",
    "disks": [{"size": "10GiB"}, {"name": "bench01 data", "size": "1GiB"}],
    "cdrom": {"iso": "debian-12.7.0-amd64-netinst.iso"},
    "networks": [{"network": "Pool-wide network associated with eth0"}],
    "wait_for_ip": True,
}


def collections_dir() -> str:
    """A directory where ansible_collections/xen/xapi is this checkout."""
    base = Path(tempfile.mkdtemp(prefix="bench-xen-vm-"))
    link = base / "ansible_collections" / "xen" / "xapi"
    link.parent.mkdir(parents=True)
    link.symlink_to(REPO_ROOT)
    return str(base)


def run_task(pool: SimProcess, options: dict[str, Any], collections: str) -> float:
    """Run xen_vm once through ansible-playbook; returns the wall time."""
    play = [{"name": "Bench", "hosts": "localhost", "gather_facts": False, "tasks": [{"name": "xen_vm", "xen.xapi.xen_vm": options}]}]
    with tempfile.NamedTemporaryFile("w", suffix=".yml", delete=False) as playbook:
        playbook.write(json.dumps(play))
    env = dict(os.environ, XAPI_HOST=pool.url, XAPI_USERNAME=pool.info["username"], XAPI_PASSWORD=pool.info["password"],
               XAPI_CA_PATH=pool.ca_cert or "", ANSIBLE_COLLECTIONS_PATH=collections, ANSIBLE_PYTHON_INTERPRETER=sys.executable,
               ANSIBLE_LOCALHOST_WARNING="0", ANSIBLE_INVENTORY_UNPARSED_WARNING="0")
    command = [str(Path(sys.executable).parent / "ansible-playbook"), "-i", "localhost,", "-c", "local", playbook.name]
    started = time.monotonic()
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    wall = time.monotonic() - started
    os.unlink(playbook.name)
    if result.returncode != 0:
        raise SystemExit("xen_vm failed:\n" + result.stdout[-3000:])
    return wall


def noop_calls(pool: SimProcess, runs: int) -> None:
    collections = collections_dir()
    print("Creating a running VM with 2 disks, a CD and 1 network interface ...")
    print("  creation: {0:.2f} s".format(run_task(pool, VM_OPTIONS, collections)))
    for index in range(runs):
        pool.control_post("reset_stats")
        wall = run_task(pool, VM_OPTIONS, collections)
        stats = pool.control_get("stats")
        calls = ", ".join("{0} {1}".format(method, count) for method, count in sorted(stats["calls"].items()))
        print("  no-op run {0}: {1} calls in {2} round trips ({3} writes) in {4:.2f} s: {5}".format(
            index + 1, stats["total_calls"], stats["round_trips"], stats["write_calls"], wall, calls))


def notice_delays(pool: SimProcess, tasks: int, task_seconds: float) -> None:
    # The connection layer is imported here: it needs the collection importable (ANSIBLE_COLLECTIONS_PATH above).
    sys.path.insert(0, collections_dir())
    from ansible_collections.xen.xapi.plugins.module_utils._xapi.client import XapiClient  # noqa: E402
    from ansible_collections.xen.xapi.plugins.module_utils._xapi.urls import ConnectionParams  # noqa: E402
    from ansible_collections.xen.xapi.plugins.module_utils._xapi.tasks import wait_for_task  # noqa: E402

    pool.control_post("durations", {"VM.clean_reboot": task_seconds})
    params = ConnectionParams(hostname=pool.url, username=pool.info["username"], password=pool.info["password"], ca_path=pool.ca_cert)
    delays = []
    with XapiClient(params) as client:
        vm = client.call("VM.get_by_name_label", VM_OPTIONS["name"])[0]
        for _attempt in range(tasks):
            started = time.monotonic()
            task = client.call("Async.VM.clean_reboot", vm)
            wait_for_task(client, task, timeout=60.0)
            delays.append(time.monotonic() - started - task_seconds)
            client.call("task.destroy", task)
    print("Task of {0:g} s, {1} times: noticed {2:.3f} s after it finished on average (min {3:.3f}, max {4:.3f}; "
          "includes the Async call)".format(task_seconds, tasks, statistics.mean(delays), min(delays), max(delays)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="no-op runs to measure")
    parser.add_argument("--tasks", type=int, default=10, help="tasks to time")
    parser.add_argument("--task-seconds", type=float, default=0.5, help="how long each timed task lasts")
    arguments = parser.parse_args()
    pool = start_simulator()
    try:
        noop_calls(pool, arguments.runs)
        notice_delays(pool, arguments.tasks, arguments.task_seconds)
    finally:
        pool.stop()


if __name__ == "__main__":
    main()
