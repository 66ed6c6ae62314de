"""Command line: ``python -m xapisim`` starts a simulated pool and prints one ready line.

The only thing written to stdout is that JSON line (see the package README); everything
else goes to stderr, so a parent process can read the line and parse it.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import signal
import sys
import tempfile
import threading
from types import FrameType
from typing import Any

from .certs import generate_tls
from .control import ServedSimulator
from .core import Simulator
from .pace import DEFAULT_REALISTIC_SCALE, PROFILES
from .lan import Lan, standalone_addresses
from .server import RunningServer, serve
from .world import build_simulator, save_state


SPARE_HOSTS = 8


def parse_arguments(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m xapisim",
        description="Run a simulated XenServer / XCP-ng pool that speaks XAPI over HTTP(S).",
    )
    parser.add_argument("--port", type=int, default=0, help="port shared by every host address (default: a free one)")
    parser.add_argument("--http", action="store_true", help="plain HTTP instead of HTTPS")
    parser.add_argument("--scenario", help="'demo' (default) or the path of a scenario file")
    parser.add_argument("--hosts", type=int, help="number of hosts in the pool")
    parser.add_argument("--vms", type=int, help="number of VMs in the pool")
    parser.add_argument("--standalone", type=int, default=0,
                        help="number of standalone hosts (pools of their own) that can join the pool with pool.join")
    parser.add_argument("--state-file", help="load the pool from this file if it exists, save it there on exit")
    parser.add_argument("--pace", choices=PROFILES, default="instant",
                        help="how long operations take: 'instant' (default) or 'realistic' (real proportions, scaled)")
    parser.add_argument("--pace-scale", type=float, default=DEFAULT_REALISTIC_SCALE,
                        help="factor applied to the realistic pace's real-world seconds (default: %(default)s)")
    parser.add_argument("--verbose", action="store_true", help="log every request on stderr")
    return parser.parse_args(argv)


def ready_line(sim: Simulator, server: RunningServer, ca_cert: str | None, standalone: list[Simulator] | None = None) -> dict[str, Any]:
    """The document printed once the simulator answers on every address."""
    urls = server.urls
    master_name = sim.hosts[sim.master_index][0]
    return {
        "standalone": {host.hosts[0][0]: server.url_of(host.hosts[0][1]) for host in standalone or []},
        "url": urls[sim.master_index],
        "hosts": {name: urls[index] for index, (name, _address) in enumerate(sim.hosts)},
        "master": master_name,
        "username": sim.username,
        "password": sim.password,
        "ca_cert": ca_cert,
        # The first address never changes role-wise, unlike the master's.
        "control": f"{urls[0]}/_sim",
    }


def _wait_for_stop_signal() -> None:
    stop = threading.Event()

    def request_stop(_signum: int, _frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    # A timed wait keeps the main thread responsive to signals on every platform.
    while not stop.wait(1.0):
        pass


def spare_addresses(sim: Simulator) -> list[str]:
    """Addresses for hosts that may join at run time: the certificate covers them from the start."""
    last = len(sim.hosts)
    return [f"127.0.0.{index}" for index in range(last + 1, last + 1 + SPARE_HOSTS)]


def _start(arguments: argparse.Namespace, tls_directory: str) -> tuple[Simulator, RunningServer, str | None, list[Simulator]]:
    """Build the pool, make TLS material for its addresses and start listening."""
    sim = build_simulator(arguments.scenario, arguments.hosts, arguments.vms, arguments.state_file)
    sim.pace.set_profile(arguments.pace, arguments.pace_scale)
    loose = standalone_addresses(arguments.standalone)
    tls = None
    if not arguments.http:
        tls = generate_tls(tls_directory, [address for _name, address in sim.hosts] + spare_addresses(sim) + loose)
    front = ServedSimulator(sim)
    server = serve(front, arguments.port, not arguments.http, tls, verbose=arguments.verbose)
    sim.host_joined = server.add_host
    standalone = []
    if loose:
        lan = Lan(server, sim.password)
        lan.serve(sim, front)
        standalone = [lan.add_standalone(f"standalone{index + 1}", address) for index, address in enumerate(loose)]
    return sim, server, tls.ca_cert_path if tls else None, standalone


def main(argv: list[str] | None = None) -> int:
    arguments = parse_arguments(argv)
    ready_stream = sys.stdout
    # Whatever the core prints must not reach stdout, which carries nothing
    # but the ready line.
    with contextlib.redirect_stdout(sys.stderr), tempfile.TemporaryDirectory(prefix="xapisim-") as tls_directory:
        try:
            sim, server, ca_cert, standalone = _start(arguments, tls_directory)
        except (OSError, ValueError) as exc:
            print(f"xapisim: cannot start: {exc}", file=sys.stderr)
            return 2
        ready_stream.write(json.dumps(ready_line(sim, server, ca_cert, standalone)) + "\n")
        ready_stream.flush()
        _wait_for_stop_signal()
        try:
            if arguments.state_file:
                save_state(sim, arguments.state_file)
        finally:
            server.shutdown()
    return 0


def run() -> None:
    """The ``xapisim`` command."""
    sys.exit(main())


if __name__ == "__main__":
    run()
