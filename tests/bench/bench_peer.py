"""xen.xapi side by side with community.general's xenserver modules on the same simulated pool.

    PYTHONPATH=tests .venv/bin/python tests/bench/bench_peer.py [--runs 5] [--latencies 0,20] [--only payloads]

Prints, in one run:
1. Task time (median of --runs, ours and the peer's runs alternating) for a no-op (as a play's only task; the
   same with an empty bytecode cache, as on a machine where no module of the collection has run yet; and as its
   play's second task, once Ansible has built the module's payload for the run), a create from a template and a
   power transition, at each latency the simulator adds to every call, with ansible.builtin.ping's task time as
   the floor of any task; the ratio ours / peer (targets: at most 0.95 at 0 ms, 0.5 at 20 ms), of the medians and
   within each run (the median and range of the runs' ratios, steadier when the machine's speed drifts); the
   floor ratio ping / peer, which no module can go below; and the ratio of the times past that floor.
2. XAPI calls per operation, counted by the simulator (targets: no-op 3, create 25, power transition 6), and the
   round trips they took (calls sent together on one connection, pipelined, make one trip).
3. For every module of the collection and the peer's three: the payload Ansible ships (files, lines, bytes as zipped and sent), the time the controller takes to
   build it (once per play run: it parses every file it ships) and the time the target takes to import it, with
   an empty bytecode cache and with the one an earlier run filled (modules that keep none compile every time).

The peer comes from the ``ansible`` package on PyPI (pinned below with its hash), downloaded once into
build/bench-peer; only its community.general collection is unpacked. Numbers only, no assertions.

The simulator batches event calls as xapi does by default (an ``event.from`` not only about tasks waits 50 ms
before it answers: xapi 26.10 and later), with operations at the instant pace; ``--event-batching none`` turns that
off, as in earlier xapi or with ``event_from_delay = 0,0`` in xapi.conf.
"""
from __future__ import annotations

import argparse
import base64
import io
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO_ROOT / "tests"))

from xapisim.pace import XAPI_EVENT_BATCHING  # noqa: E402  (needs the path above)
from xapisim.process import SimProcess, start_simulator  # noqa: E402

PEER_PACKAGE = "ansible==12.3.0"
PEER_SHA256 = "cd156f82fa87f7a899212b0efa9f7ca3a24d609212de9f78428a572eb01e5414"
PEER_DIR = REPO_ROOT / "build" / "bench-peer"
# Where modules keep compiled code between runs (XDG_CACHE_HOME; see plugins/module_utils/_zip_import.py): the
# bench's own, filled by its untimed first play as any earlier task on a machine fills the user's.
BYTECODE_CACHE = PEER_DIR / "cache"
TEMPLATE = "Debian Bookworm 12"
NETWORK = "Pool-wide network associated with eth0"
# The same VM for both: 2 vCPUs, 2 GiB, the template's 10 GiB disk and a second one, one network interface.
OURS_VM = {"template": TEMPLATE, "vcpus": 2, "memory": "2GiB", "disks": [{"size": "10GiB"}, {"size": "1GiB", "name": "data"}],
           "networks": [{"network": NETWORK}]}
PEER_VM = {"template": TEMPLATE, "hardware": {"num_cpus": 2, "memory_mb": 2048}, "disks": [{"size_gb": 10}, {"size_gb": 1, "name": "data"}],
           "networks": [{"name": NETWORK}]}


def peer_collections() -> Path:
    """A collections directory holding community.general from the pinned wheel, and this checkout as xen.xapi."""
    marker = PEER_DIR / "ansible_collections" / "community" / "general" / "galaxy.yml"
    if not marker.exists():
        download = PEER_DIR / "download"
        download.mkdir(parents=True, exist_ok=True)
        requirement = download / "peer.txt"
        requirement.write_text("{0} --hash=sha256:{1}\n".format(PEER_PACKAGE, PEER_SHA256), encoding="utf-8")
        subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--disable-pip-version-check", "--no-deps",
                        "--require-hashes", "-r", str(requirement), "-d", str(download)], check=True)
        wheel = next(download.glob("ansible-*.whl"))
        with zipfile.ZipFile(wheel) as archive:
            for name in archive.namelist():
                if name.startswith("ansible_collections/community/general/"):
                    archive.extract(name, PEER_DIR)
        wheel.unlink()
    ours = PEER_DIR / "ansible_collections" / "xen" / "xapi"
    if not ours.exists():
        ours.parent.mkdir(parents=True, exist_ok=True)
        ours.symlink_to(REPO_ROOT)
    return PEER_DIR


def ansible_env(pool: SimProcess, collections: Path, **extra: str) -> dict[str, str]:
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(collections), ANSIBLE_PYTHON_INTERPRETER=sys.executable,
               ANSIBLE_LOCALHOST_WARNING="0", ANSIBLE_INVENTORY_UNPARSED_WARNING="0", ANSIBLE_NOCOLOR="1",
               ANSIBLE_CALLBACK_PLUGINS=str(Path(__file__).resolve().parent / "callback_plugins"),
               ANSIBLE_CALLBACKS_ENABLED="bench_timer",
               XAPI_HOST=pool.url, XAPI_USERNAME=pool.username, XAPI_PASSWORD=pool.password, XAPI_CA_PATH=pool.ca_cert or "",
               # Ours checks the simulator's certificate, as users should; the peer cannot be given a CA.
               XAPI_VALIDATE_CERTS="true" if pool.ca_cert else "false",
               XENSERVER_HOST=pool.url, XENSERVER_USER=pool.username, XENSERVER_PASSWORD=pool.password,
               XENSERVER_VALIDATE_CERTS="false", XDG_CACHE_HOME=str(BYTECODE_CACHE))
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # as on a machine with Python's defaults
    env.update(extra)
    return env


def run_play(pool: SimProcess, collections: Path, tasks: list[dict[str, Any]], **env: str) -> tuple[list[float], int, int]:
    """Run the tasks in one play; returns each task's seconds, the XAPI calls the play made and their round trips."""
    play = [{"name": "Bench", "hosts": "localhost", "gather_facts": False, "tasks": tasks}]
    with tempfile.TemporaryDirectory(prefix="bench-peer-") as scratch:
        playbook = Path(scratch) / "play.yml"
        playbook.write_text(json.dumps(play), encoding="utf-8")
        times = Path(scratch) / "times.json"
        pool.reset_stats()
        result = subprocess.run([str(Path(sys.executable).parent / "ansible-playbook"), "-i", "localhost,", "-c", "local",
                                 str(playbook)], env=ansible_env(pool, collections, BENCH_TIMER_FILE=str(times), **env),
                                capture_output=True, text=True, check=False)
        stats = pool.stats()
        if result.returncode != 0:
            raise SystemExit("A benchmark play failed:\n" + result.stdout[-4000:])
        return [entry["seconds"] for entry in json.loads(times.read_text(encoding="utf-8"))], stats["total_calls"], stats["round_trips"]


NEXT_NO_OP = "no-op, next task"
COLD_NO_OP = "no-op, cold cache"


def operations(run: int) -> dict[str, dict[str, list[dict[str, Any]]]]:
    """Per operation, the tasks of one run for each side. Power plays take a VM down and up: two transitions."""
    return {
        "no-op": {
            "ours": [{"xen.xapi.xen_vm": dict(OURS_VM, name="bench-ours", state="running")}],
            "peer": [{"community.general.xenserver_guest": dict(PEER_VM, name="bench-peer", state="poweredon")}],
            "ping": [{"ansible.builtin.ping": {}}],
        },
        # The same no-op on a machine where no module of the collection has run yet (its bytecode cache is empty).
        COLD_NO_OP: {
            "ours": [{"xen.xapi.xen_vm": dict(OURS_VM, name="bench-ours", state="running")}],
            "peer": [{"community.general.xenserver_guest": dict(PEER_VM, name="bench-peer", state="poweredon")}],
        },
        # The same no-op as the second task of its play: the module's payload was built for the first (Ansible builds
        # it once per play run), so this is what each further task of a playbook costs.
        NEXT_NO_OP: {
            "ours": [{"xen.xapi.xen_vm": dict(OURS_VM, name="bench-ours", state="running")}] * 2,
            "peer": [{"community.general.xenserver_guest": dict(PEER_VM, name="bench-peer", state="poweredon")}] * 2,
        },
        "create": {
            "ours": [{"xen.xapi.xen_vm": dict(OURS_VM, name="bench-ours-{0}".format(run), state="present")}],
            "peer": [{"community.general.xenserver_guest": dict(PEER_VM, name="bench-peer-{0}".format(run), state="present")}],
        },
        "power transition": {
            "ours": [{"xen.xapi.xen_vm": {"name": "bench-ours", "state": state}} for state in ("halted", "running")],
            "peer": [{"community.general.xenserver_guest_powerstate": {"name": "bench-peer", "state": state}}
                     for state in ("powered-off", "powered-on")],
        },
    }


def task_times(pool: SimProcess, collections: Path, runs: int, latency_ms: float) -> None:
    pool.faults(latency_ms=latency_ms)
    # (operation, side) -> one list of task seconds per run; the two sides of a run are measured back to back.
    samples: dict[tuple[str, str], list[list[float]]] = {}
    calls: dict[tuple[str, str], list[float]] = {}
    trips: dict[tuple[str, str], list[float]] = {}
    for run in range(runs):
        for operation, sides in operations(run + 1000 * int(latency_ms)).items():
            for side, tasks in sides.items():
                with tempfile.TemporaryDirectory(prefix="bench-cold-cache-") as empty_cache:
                    cold = {"XDG_CACHE_HOME": empty_cache} if operation == COLD_NO_OP else {}
                    seconds, count, round_trips = run_play(pool, collections, tasks, **cold)
                if operation == NEXT_NO_OP:
                    seconds = seconds[1:]
                samples.setdefault((operation, side), []).append(seconds)
                calls.setdefault((operation, side), []).append(count / len(tasks))
                trips.setdefault((operation, side), []).append(round_trips / len(tasks))

    def median_of(operation: str, side: str) -> float:
        return statistics.median(second for run_seconds in samples[(operation, side)] for second in run_seconds)
    ping = median_of("no-op", "ping")
    print("\nTask time at {0:g} ms per call (median of {1}; ansible.builtin.ping takes {2:.3f} s)".format(latency_ms, runs, ping))
    print("  {0:<18} {1:>9} {2:>9} {3:>11} {4:>17} {5:>7} {6:>11} {7:>11} {8:>11} {9:>11} {10:>11}".format(
        "operation", "ours s", "peer s", "ours/peer", "per run (range)", "floor", "beyond ping", "calls ours", "calls peer",
        "trips ours", "trips peer"))
    for operation in operations(0):
        ours, peer = median_of(operation, "ours"), median_of(operation, "peer")
        # The ratio within each run, whose two sides ran back to back: steadier than the ratio of medians when the
        # machine's speed drifts over the benchmark.
        paired = [statistics.median(o) / statistics.median(p) for o, p in zip(samples[(operation, "ours")], samples[(operation, "peer")])]
        # floor: the ratio of a task that did nothing at all (ping / peer), below which no module can go; beyond ping:
        # the ratio of the time each side spends past that floor (building, shipping and running the module).
        print("  {0:<18} {1:>9.3f} {2:>9.3f} {3:>11.2f} {4:>17} {5:>7.2f} {6:>11.2f} {7:>11g} {8:>11g} {9:>11g} {10:>11g}".format(
            operation, ours, peer, ours / peer, "{0:.2f} ({1:.2f}-{2:.2f})".format(statistics.median(paired), min(paired), max(paired)),
            ping / peer, (ours - ping) / (peer - ping) if peer > ping else float("nan"),
            statistics.median(calls[(operation, "ours")]), statistics.median(calls[(operation, "peer")]),
            statistics.median(trips[(operation, "ours")]), statistics.median(trips[(operation, "peer")])))
    pool.faults(latency_ms=0)


def payload(pool: SimProcess, collections: Path, module: str, options: dict[str, Any]) -> tuple[zipfile.ZipFile, int]:
    """The module's AnsiballZ payload as Ansible built it for one run (kept with ANSIBLE_KEEP_REMOTE_FILES), and its size."""
    with tempfile.TemporaryDirectory(prefix="bench-payload-") as remote_tmp:
        play = [{"name": "Payload", "hosts": "localhost", "gather_facts": False,
                 "tasks": [{module: options, "ignore_errors": True, "check_mode": True}]}]
        playbook = Path(remote_tmp) / "play.yml"
        playbook.write_text(json.dumps(play), encoding="utf-8")
        subprocess.run([str(Path(sys.executable).parent / "ansible-playbook"), "-i", "localhost,", "-c", "local", str(playbook)],
                       env=ansible_env(pool, collections, ANSIBLE_KEEP_REMOTE_FILES="1", ANSIBLE_REMOTE_TMP=remote_tmp,
                                       BENCH_TIMER_FILE=os.devnull), capture_output=True, check=True)
        wrapper = next(Path(remote_tmp).glob("ansible-tmp-*/AnsiballZ_*.py"))
        text = wrapper.read_text(encoding="utf-8")
    # ansible-core 2.19 passes the zip as zip_data='...'; older releases as ZIPDATA = """...""".
    data = re.search(r"zip_data='([^']*)'", text) or re.search(r'ZIPDATA = r?"""(.*?)"""', text, flags=re.DOTALL)
    if data is None:
        raise SystemExit("No ZIPDATA in {0}'s AnsiballZ wrapper".format(module))
    return zipfile.ZipFile(io.BytesIO(base64.b64decode(data.group(1)))), len(text.encode("utf-8"))


def import_seconds(archive: zipfile.ZipFile, module: str, runs: int) -> tuple[float, float]:
    """Median times for a fresh interpreter to import the module from its payload zip, as the target does (after
    what Ansible's own loader imports).

    Python keeps no compiled code for sources in a zip: every run compiles them again. xen.xapi's modules keep the
    code they compiled in the user's bytecode cache (_zip_import.py). Returns (an empty cache: the first run on a
    machine, and every run of a module that keeps none; a cache filled by an earlier run of the same payload).
    """
    import_name = "ansible_collections.{0}.{1}.plugins.modules.{2}".format(*module.split("."))
    # What the target has imported before the module runs: Ansible's wrapper imports ansible.module_utils.basic
    # (ansible-core 2.19 and later, with the loader that runs the module) first.
    code = ("import time\nimport ansible.module_utils.basic\ntry:\n    import ansible.module_utils._internal._ansiballz._loader\n"
            "except ImportError:\n    pass\nstarted = time.perf_counter()\nimport {0}\nprint(time.perf_counter() - started)").format(import_name)
    with tempfile.TemporaryDirectory(prefix="bench-import-") as scratch:
        path = Path(scratch) / "payload.zip"
        with zipfile.ZipFile(path, "w") as copy:
            for info in archive.infolist():
                copy.writestr(info, archive.read(info))

        def seconds(cache: str, **env: str) -> float:
            environment = dict(os.environ, PYTHONPATH=str(path), XDG_CACHE_HOME=str(Path(scratch) / cache))
            environment.pop("PYTHONDONTWRITEBYTECODE", None)
            environment.update(env)
            return float(subprocess.run([sys.executable, "-c", code], env=environment, capture_output=True, text=True, check=True).stdout)

        cold = [seconds("empty", PYTHONDONTWRITEBYTECODE="1") for _run in range(runs)]
        seconds("filled")  # fills the cache
        warm = [seconds("filled") for _run in range(runs)]
    return statistics.median(cold), statistics.median(warm)


# Builds a module's payload as the controller does for each play run (Ansible keeps the result only for the run):
# finding the module utilities it imports parses every file shipped, then zips them. Uses ansible-core's internal
# module_common, so other releases may need changes here.
BUILD_PAYLOAD = """
import sys, tempfile, time
from ansible import constants
from ansible.executor import module_common
from ansible.parsing.dataloader import DataLoader
from ansible.plugins.loader import init_plugin_loader, module_loader
from ansible.template import Templar
init_plugin_loader()
def build(name):
    found = module_loader.find_plugin_with_context(name)
    constants.DEFAULT_LOCAL_TMP = tempfile.mkdtemp()  # an empty payload cache
    started = time.perf_counter()
    module_common.modify_module(module_name=found.resolved_fqcn, module_path=found.plugin_resolved_path, module_args={},
                                templar=Templar(loader=DataLoader()), task_vars={"ansible_python_interpreter": sys.executable},
                                module_compression="ZIP_DEFLATED")
    return time.perf_counter() - started
build("ansible.builtin.ping")  # what a play run has loaded before its first task (e.g. ansible.builtin's routing)
print(build(sys.argv[1]))
"""


def build_seconds(collections: Path, module: str, runs: int) -> float:
    """Median time the controller takes to build the module's payload, once per play run and module."""
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(collections))
    times = [float(subprocess.run([sys.executable, "-c", BUILD_PAYLOAD, module], env=env, capture_output=True, text=True,
                                  check=True).stdout) for _run in range(runs)]
    return statistics.median(times)


def payloads(pool: SimProcess, collections: Path, runs: int) -> None:
    # Every module of the collection, then the peer's: a check-mode run of each (its options refused or not) has
    # Ansible build and ship the whole payload.
    ours = sorted("xen.xapi." + path.stem for path in (REPO_ROOT / "plugins" / "modules").glob("xen_*.py"))
    modules = ours + ["community.general.xenserver_guest", "community.general.xenserver_guest_powerstate",
                      "community.general.xenserver_guest_info"]
    print("\nPayload per module (what Ansible ships and the target imports; build on the controller and import on the "
          "target, medians of {0})".format(runs))
    header = ("module", "files", "lines", "unzipped", "sent", "build s", "import s", "cached s")
    print("  {0:<46} {1:>6} {2:>7} {3:>10} {4:>9} {5:>9} {6:>9} {7:>9}".format(*header))
    for module in modules:
        archive, sent = payload(pool, collections, module, {})
        sources = [info for info in archive.infolist() if info.filename.endswith(".py")]
        lines = sum(archive.read(info).count(b"\n") for info in sources)
        unzipped = sum(info.file_size for info in archive.infolist())
        print("  {0:<46} {1:>6} {2:>7} {3:>9.1f}K {4:>8.1f}K {5:>9.3f} {6:>9.3f} {7:>9.3f}".format(
            module, len(sources), lines, unzipped / 1024, sent / 1024, build_seconds(collections, module, runs),
            *import_seconds(archive, module, runs)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="runs per operation and side")
    parser.add_argument("--latencies", default="0,20", help="comma-separated milliseconds the simulator adds to every call")
    parser.add_argument("--event-batching", choices=("xapi", "none"), default="xapi",
                        help="event.from delays: xapi's defaults (the default) or none")
    parser.add_argument("--only", choices=("tasks", "payloads"), help="print one of the two tables")
    arguments = parser.parse_args()
    collections = peer_collections()
    pool = start_simulator()
    try:
        batching = XAPI_EVENT_BATCHING if arguments.event_batching == "xapi" else dict.fromkeys(XAPI_EVENT_BATCHING, (0, 0))
        pool.control_post("pace", {"event_batching": batching})
        print("Event batching (seconds before the first read, at most between later ones):", json.dumps(batching))
        if arguments.only != "payloads":
            # The VMs the no-op and power plays work on, made once, untimed.
            run_play(pool, collections, operations(0)["no-op"]["ours"] + operations(0)["no-op"]["peer"])
            for latency in arguments.latencies.split(","):
                task_times(pool, collections, arguments.runs, float(latency))
        if arguments.only != "tasks":
            payloads(pool, collections, arguments.runs)
    finally:
        pool.stop()


if __name__ == "__main__":
    main()
