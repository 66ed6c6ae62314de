"""What xen_network, xen_sr and xen_pbd cost in API calls: no-op runs, and operations on every host.

    PYTHONPATH=tests python tests/bench/bench_pool_objects.py [--hosts 3 16] [--vms 100]

For each pool size it starts ``python -m xapisim --hosts H --vms V``, runs one module task per step
through ansible-playbook (against the simulator over HTTPS), and prints the calls the simulator
counted for that step (``/_sim/stats``): total, writes, and the methods called. A no-op run should
cost at most four calls (login, reads, logout) whatever the size of the pool. Numbers only, no
assertions.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Dict, List, Tuple

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from xapisim.process import SimProcess, start_simulator  # noqa: E402  (needs the path above)

REPO_ROOT = Path(__file__).resolve().parents[2]
VLAN = {"tag": 42, "device": "eth1"}
NFS = {"server": "192.0.2.90", "serverpath": "/export/bench"}

# (label, module, options): run in this order, each as one ansible-playbook task.
STEPS: List[Tuple[str, str, Dict[str, Any]]] = [
    ("create a VLAN network on every host", "xen_network", {"name": "bench vlan", "vlan": VLAN}),
    ("no-op", "xen_network", {"name": "bench vlan", "vlan": VLAN}),
    ("remove the VLAN network", "xen_network", {"name": "bench vlan", "state": "absent"}),
    ("create a shared NFS SR", "xen_sr", {"name": "bench nfs", "type": "nfs", "shared": True, "device_config": NFS}),
    ("no-op", "xen_sr", {"name": "bench nfs", "type": "nfs", "shared": True}),
    ("reconfigure the PBDs of every host", "xen_pbd", {"sr": "bench nfs", "hosts": "all", "device_config": {"server": "192.0.2.91"}}),
    ("no-op", "xen_pbd", {"sr": "bench nfs", "hosts": "all", "plugged": True}),
    ("forget the SR", "xen_sr", {"name": "bench nfs", "state": "forgotten"}),
]


def collections_dir() -> str:
    """A directory where ansible_collections/xen/xapi is this checkout."""
    base = Path(tempfile.mkdtemp(prefix="bench-collections-"))
    link = base / "ansible_collections" / "xen" / "xapi"
    link.parent.mkdir(parents=True)
    link.symlink_to(REPO_ROOT)
    return str(base)


def playbook_for(module: str, options: Dict[str, Any], directory: Path) -> Path:
    """A one-task playbook (JSON is YAML); the connection comes from the environment."""
    play = [{"name": "bench", "hosts": "localhost", "gather_facts": False,
             "tasks": [{"name": module, "xen.xapi." + module: options}]}]
    path = directory / "{0}.yml".format(len(list(directory.iterdir())))
    path.write_text(json.dumps(play))
    return path


def run_step(process: SimProcess, playbook: Path, environment: Dict[str, str]) -> Tuple[Dict[str, Any], float]:
    process.control_post("reset_stats")
    command = [str(Path(sys.executable).parent / "ansible-playbook"), "-i", "localhost,", "-c", "local", str(playbook)]
    started = time.monotonic()
    result = subprocess.run(command, env=environment, capture_output=True, text=True, check=False)
    elapsed = time.monotonic() - started
    if result.returncode != 0:
        raise RuntimeError("{0} failed:\n{1}\n{2}".format(playbook, result.stdout[-3000:], result.stderr[-2000:]))
    return process.control_get("stats"), elapsed


def environment_for(process: SimProcess, collections: str) -> Dict[str, str]:
    environment = dict(os.environ)
    environment.update(XAPI_HOST=process.url, XAPI_USERNAME=process.info["username"], XAPI_PASSWORD=process.info["password"],
                       XAPI_CA_PATH=process.ca_cert or "", ANSIBLE_COLLECTIONS_PATH=collections, ANSIBLE_NOCOLOR="1",
                       ANSIBLE_PYTHON_INTERPRETER=sys.executable, ANSIBLE_LOCALHOST_WARNING="0",
                       ANSIBLE_INVENTORY_UNPARSED_WARNING="0")
    return environment


def bench_pool(hosts: int, vms: int, collections: str) -> None:
    process = start_simulator("--hosts", str(hosts), "--vms", str(vms))
    try:
        environment = environment_for(process, collections)
        with tempfile.TemporaryDirectory(prefix="bench-playbooks-") as directory:
            print("pool of {0} hosts and {1} VMs".format(hosts, vms))
            for label, module, options in STEPS:
                stats, elapsed = run_step(process, playbook_for(module, options, Path(directory)), environment)
                methods = ", ".join("{0}={1}".format(name, count) for name, count in sorted(stats["calls"].items()))
                print("  {0:<12} {1:<38} calls={2:<4} writes={3:<4} {4:5.2f}s  {5}".format(
                    module, label, stats["total_calls"], stats["write_calls"], elapsed, methods))
    finally:
        process.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--hosts", type=int, nargs="+", default=[3, 16], help="pool sizes to measure")
    parser.add_argument("--vms", type=int, default=100, help="VMs in each pool")
    args = parser.parse_args()
    collections = collections_dir()
    for hosts in args.hosts:
        bench_pool(hosts, args.vms, collections)


if __name__ == "__main__":
    main()
