"""Run a playbook against a freshly started XAPI simulator; the engine of ``make demo``.

Starts ``python -m xapisim`` in the background, reads the single JSON ready line it
prints on stdout, runs ``ansible-playbook`` with the connection options taken from
that line, and always stops the simulator afterwards, whether the playbook passed,
failed or was interrupted.

The connection reaches the playbook the same way it would in production:

* ``XAPI_HOST``, ``XAPI_USERNAME`` and ``XAPI_PASSWORD`` environment variables,
  which the collection's modules and plugins read as option fallbacks;
* ``xapi_ca_path``: the simulator's CA certificate (``null`` over plain HTTP);
* ``xapi_sim_control``: the simulator's control API URL, for demo-only tricks.

Run it through ``make demo``, which prepares the virtual environment and makes the
collection importable as ``xen.xapi``. Arguments after ``--`` go to ansible-playbook.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import pathlib
import selectors
import subprocess
import sys
import time
import typing as t

REPO_ROOT = pathlib.Path(__file__).resolve().parent.parent
SIMULATOR_IMPORT_ROOT = REPO_ROOT / 'tests'
DEFAULT_PLAYBOOK = 'playbooks/demo.yml'
# Generous: the simulator creates TLS material and a whole pool before it is ready.
READY_TIMEOUT_SECONDS = 60.0
STOP_TIMEOUT_SECONDS = 10.0


class SimulatorError(RuntimeError):
    """The simulator could not be started or did not announce itself properly."""


@dataclasses.dataclass(frozen=True)
class SimulatorEndpoint:
    """The parts of the simulator's ready line the playbook needs."""

    url: str
    username: str
    password: str
    ca_cert: str | None
    control: str

    @classmethod
    def from_ready_line(cls, line: str) -> SimulatorEndpoint:
        """Parse the JSON ready line printed by ``python -m xapisim``."""
        try:
            document = json.loads(line)
            return cls(
                url=document['url'],
                username=document['username'],
                password=document['password'],
                ca_cert=document.get('ca_cert'),
                control=document['control'],
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise SimulatorError(f'unexpected ready line from the simulator: {line!r} ({exc})') from exc


def start_simulator(scenario: str) -> subprocess.Popen[str]:
    """Start the simulator on a free port; its stderr is passed through for diagnostics."""
    environment = dict(os.environ)
    environment['PYTHONPATH'] = os.pathsep.join(
        path for path in (str(SIMULATOR_IMPORT_ROOT), environment.get('PYTHONPATH', '')) if path
    )
    command = [sys.executable, '-m', 'xapisim', '--port', '0', '--scenario', scenario]
    return subprocess.Popen(command, cwd=REPO_ROOT, env=environment, stdout=subprocess.PIPE, text=True)


def read_ready_line(process: subprocess.Popen[str], timeout: float) -> str:
    """Wait for the simulator's first stdout line, failing if it exits or stalls."""
    if process.stdout is None:
        raise SimulatorError('the simulator was started without a stdout pipe')
    deadline = time.monotonic() + timeout
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise SimulatorError(f'the simulator did not become ready within {timeout:.0f}s')
            if selector.select(remaining):
                line = process.stdout.readline()
                if line:
                    return line
                process.wait(timeout=STOP_TIMEOUT_SECONDS)
                raise SimulatorError(f'the simulator exited with code {process.returncode} before it was ready')


def stop_simulator(process: subprocess.Popen[str]) -> None:
    """Ask the simulator to shut down cleanly, and kill it if it does not."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=STOP_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    if process.stdout is not None:
        process.stdout.close()


def playbook_command(playbook: str, endpoint: SimulatorEndpoint, extra_arguments: t.Sequence[str]) -> list[str]:
    """Build the ansible-playbook command line; the tool comes from this interpreter's environment."""
    ansible_playbook = pathlib.Path(sys.executable).parent / 'ansible-playbook'
    extra_vars = {'xapi_ca_path': endpoint.ca_cert, 'xapi_sim_control': endpoint.control}
    return [str(ansible_playbook), playbook, '--extra-vars', json.dumps(extra_vars), *extra_arguments]


def playbook_environment(endpoint: SimulatorEndpoint) -> dict[str, str]:
    """Return the process environment carrying the connection options."""
    environment = dict(os.environ)
    environment.update(
        XAPI_HOST=endpoint.url,
        XAPI_USERNAME=endpoint.username,
        XAPI_PASSWORD=endpoint.password,
    )
    return environment


def run_demo(playbook: str, scenario: str, extra_arguments: t.Sequence[str]) -> int:
    """Run the playbook against a simulator that lives exactly as long as the run."""
    simulator = start_simulator(scenario)
    try:
        endpoint = SimulatorEndpoint.from_ready_line(read_ready_line(simulator, READY_TIMEOUT_SECONDS))
        print(f'XAPI simulator ready at {endpoint.url} (control API: {endpoint.control})', flush=True)
        command = playbook_command(playbook, endpoint, extra_arguments)
        return subprocess.run(command, cwd=REPO_ROOT, env=playbook_environment(endpoint), check=False).returncode
    finally:
        stop_simulator(simulator)


def parse_arguments(argv: t.Sequence[str]) -> argparse.Namespace:
    """Parse the command line; everything after ``--`` is kept for ansible-playbook."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--playbook', default=DEFAULT_PLAYBOOK, help='playbook to run, relative to the repository root')
    parser.add_argument('--scenario', default='demo', help='simulator scenario (name or file)')
    parser.add_argument('ansible_playbook_args', nargs=argparse.REMAINDER, help='extra ansible-playbook arguments after --')
    arguments = parser.parse_args(argv)
    if arguments.ansible_playbook_args[:1] == ['--']:
        arguments.ansible_playbook_args = arguments.ansible_playbook_args[1:]
    return arguments


def main(argv: t.Sequence[str] | None = None) -> int:
    """Entry point: returns ansible-playbook's exit code, or 2 if the simulator failed."""
    arguments = parse_arguments(sys.argv[1:] if argv is None else argv)
    try:
        return run_demo(arguments.playbook, arguments.scenario, arguments.ansible_playbook_args)
    except SimulatorError as exc:
        print(f'run_demo: {exc}', file=sys.stderr)
        return 2


if __name__ == '__main__':
    sys.exit(main())
