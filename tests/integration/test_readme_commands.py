"""The commands the README shows, run as written from the checkout (as a newcomer runs them after `make`).

The console blocks are read from README.md itself, so a command changed there is tested as changed. Only what
the README leaves to the reader is filled in: the simulator's port, and a scratch directory for `-p <directory>`.
"""
from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
from pathlib import Path

from xapisim.process import _read_line_within  # the same wait for the ready line the fixtures use

REPO_ROOT = Path(__file__).resolve().parents[2]
README = (REPO_ROOT / "README.md").read_text(encoding="utf-8")


def console_block(after: str) -> list[str]:
    """The commands of the first console block after the text ``after``: "$ " prompts removed, comments dropped."""
    block = re.search(re.escape(after) + r".*?```console\n(.*?)```", README, flags=re.DOTALL)
    assert block is not None, after
    commands = []
    for line in block.group(1).splitlines():
        command = line[2:] if line.startswith("$ ") else line
        command = command.split("  #")[0].strip()
        if command:
            commands.append(command)
    return commands


def clean_env() -> dict[str, str]:
    """The environment of a fresh terminal: none of the test run's own Ansible or make settings."""
    return dict((key, value) for key, value in os.environ.items()
                if not key.startswith(("ANSIBLE_", "XAPI_", "MAKE", "MFLAGS")) and key not in ("PYTHONPATH", "XEN_TARGET_PYTHON"))


def test_trying_the_examples_by_hand() -> None:
    start, *rest = console_block("To try the examples of this README and of the roles by hand")
    assert start.startswith(".venv/bin/xapisim"), start
    simulator = subprocess.Popen(shlex.split(start), cwd=REPO_ROOT, env=clean_env(), stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                 text=True)
    try:
        line = _read_line_within(simulator.stdout, 60.0)
        assert line, "the simulator printed no ready line"
        ready = json.loads(line)
        port = ready["url"].rsplit(":", 1)[1].rstrip("/")
        assert ready["password"] in "\n".join(rest), "the README's password is not the demo pool's"
        script = "set -e\n" + "\n".join(command.replace("<port>", port) for command in rest)
        result = subprocess.run(["bash", "-c", script], cwd=REPO_ROOT, env=clean_env(), capture_output=True, text=True, timeout=600,
                                check=False)
        assert result.returncode == 0, result.stdout + result.stderr
        assert "failed=0" in result.stdout and re.search(r"changed=[1-9]", result.stdout), result.stdout
    finally:
        simulator.terminate()
        simulator.wait(timeout=30)


def test_install_from_a_built_tarball(tmp_path: Path) -> None:
    build, install = console_block("## Install from a built tarball")
    assert build == "make build" and install.startswith("ansible-galaxy collection install build/dist/"), (build, install)
    env = clean_env()
    env["PATH"] = "{0}:{1}".format(REPO_ROOT / ".venv" / "bin", env.get("PATH", ""))
    # The README's next paragraph: install with -p <directory>, then point ANSIBLE_COLLECTIONS_PATH at it.
    script = "set -e\n{0}\n{1} -p {2}\nANSIBLE_COLLECTIONS_PATH={2} ansible-doc xen.xapi.xen_vm".format(build, install, shlex.quote(str(tmp_path)))
    result = subprocess.run(["bash", "-c", script], cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=600, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert (tmp_path / "ansible_collections" / "xen" / "xapi" / "MANIFEST.json").is_file()
    # ansible-doc read the module from the installed copy, not from this checkout.
    assert str(tmp_path / "ansible_collections" / "xen" / "xapi" / "plugins" / "modules" / "xen_vm.py") in result.stdout, result.stdout[:2000]


def test_make_sim_prints_commands_that_work() -> None:
    sim = subprocess.Popen(["make", "--no-print-directory", "sim"], cwd=REPO_ROOT, env=clean_env(), stdout=subprocess.PIPE,
                           stderr=subprocess.DEVNULL, text=True, start_new_session=True)
    try:
        printed = []
        while not printed or not printed[-1].strip().startswith(".venv/bin/ansible-inventory"):
            line = _read_line_within(sim.stdout, 120.0)
            assert line, "make sim stopped printing: " + "".join(printed)
            printed.append(line)
        commands = [line.strip() for line in printed if line.startswith("  ")]
        assert len(commands) == 4, printed
        result = subprocess.run(["bash", "-c", "set -e\n" + "\n".join(commands)], cwd=REPO_ROOT, env=clean_env(), capture_output=True,
                                text=True, timeout=600, check=False)
        assert result.returncode == 0, result.stdout + result.stderr
        assert "failed=0" in result.stdout and "@xapi_vms:" in result.stdout, result.stdout
    finally:
        os.killpg(sim.pid, 15)
        sim.wait(timeout=30)
