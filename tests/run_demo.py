"""Run a playbook against a freshly started XAPI simulator: the engine of ``make demo``.

Starts ``python -m xapisim`` (through ``simprocess``, as the tests do), runs
``ansible-playbook`` with the connection options taken from the simulator's ready line,
and always stops the simulator afterwards, whether the playbook passed, failed or was
interrupted.

The connection reaches the playbook the way it would in production, as the environment
variables the collection's modules and inventory plugin read as option fallbacks:
``XAPI_HOST``, ``XAPI_USERNAME``, ``XAPI_PASSWORD`` and ``XAPI_CA_PATH``. The simulator's
control API URL is passed as the extra variable ``xapi_sim_control`` for demo-only tricks.

Run it through ``make demo``, which prepares the virtual environment and makes the
collection importable as ``xen.xapi``. Arguments after ``--`` go to ansible-playbook.
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import subprocess
import sys
import typing as t

from xapisim.process import SimProcess, SimulatorStartError, start_simulator

REPO_ROOT = pathlib.Path(__file__).resolve().parent.parent
DEFAULT_PLAYBOOK = 'playbooks/demo.yml'
DEFAULT_INVENTORY = 'playbooks/inventory/demo.xapi.yml'


def playbook_command(playbook: str, inventory: str, sim: SimProcess, extra_arguments: t.Sequence[str]) -> list[str]:
    """The ansible-playbook command line; the tool comes from this interpreter's environment."""
    ansible_playbook = pathlib.Path(sys.executable).parent / 'ansible-playbook'
    command = [str(ansible_playbook), playbook, '--extra-vars', json.dumps({'xapi_sim_control': sim.info['control']})]
    if (REPO_ROOT / inventory).exists():
        command += ['--inventory', inventory]
    return command + list(extra_arguments)


def collections_path() -> str:
    """A collections path where xen.xapi is this checkout: the configured one if it has it, else build/collections."""
    configured = os.environ.get('ANSIBLE_COLLECTIONS_PATH', '')
    if configured and any((pathlib.Path(entry) / 'ansible_collections' / 'xen' / 'xapi').exists() for entry in configured.split(os.pathsep)):
        return configured
    link = REPO_ROOT / 'build' / 'collections' / 'ansible_collections' / 'xen' / 'xapi'
    if not link.exists():
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to('../../../..')
    return str(REPO_ROOT / 'build' / 'collections')


def playbook_environment(sim: SimProcess) -> dict[str, str]:
    """The process environment carrying the connection options, with this checkout as the collection xen.xapi."""
    environment = dict(os.environ)
    environment['ANSIBLE_COLLECTIONS_PATH'] = collections_path()
    environment.update(XAPI_HOST=sim.url, XAPI_USERNAME=sim.info['username'], XAPI_PASSWORD=sim.info['password'],
                       XAPI_CA_PATH=sim.ca_cert or '', ANSIBLE_LOCALHOST_WARNING='0', ANSIBLE_INVENTORY_UNPARSED_WARNING='0')
    return environment


def run_demo(playbook: str, inventory: str, scenario: str, extra_arguments: t.Sequence[str]) -> int:
    """Run the playbook against a simulator that lives exactly as long as the run."""
    sim = start_simulator('--scenario', scenario)
    try:
        print(f'XAPI simulator ready at {sim.url} (control API: {sim.info["control"]})', flush=True)
        command = playbook_command(playbook, inventory, sim, extra_arguments)
        return subprocess.run(command, cwd=REPO_ROOT, env=playbook_environment(sim), check=False).returncode
    finally:
        sim.stop()


def parse_arguments(argv: t.Sequence[str]) -> argparse.Namespace:
    """Parse the command line; everything after ``--`` is kept for ansible-playbook."""
    parser = argparse.ArgumentParser(description=(__doc__ or '').splitlines()[0])
    parser.add_argument('--playbook', default=DEFAULT_PLAYBOOK, help='playbook to run, relative to the repository root')
    parser.add_argument('--inventory', default=DEFAULT_INVENTORY, help='inventory to use when it exists')
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
        return run_demo(arguments.playbook, arguments.inventory, arguments.scenario, arguments.ansible_playbook_args)
    except SimulatorStartError as exc:
        print(f'run_demo: {exc}', file=sys.stderr)
        return 2


if __name__ == '__main__':
    sys.exit(main())
