"""Helpers for integration tests: run playbooks against a simulator with the collection importable."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

TARGETS = Path(__file__).resolve().parent / "targets"


def ansible_env(sim: Any, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update({
        "XAPI_HOST": sim.url,
        "XAPI_USERNAME": sim.info["username"],
        "XAPI_PASSWORD": sim.info["password"],
        # For playbooks that pass the password as an option: an extra var would be echoed at -vvvv.
        "SIM_PASSWORD": sim.info["password"],
        "XAPI_CA_PATH": sim.ca_cert or "",
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_FORCE_COLOR": "0",
        "ANSIBLE_RETRY_FILES_ENABLED": "0",
        "ANSIBLE_PYTHON_INTERPRETER": sys.executable,
        "ANSIBLE_LOCALHOST_WARNING": "0",
        "ANSIBLE_INVENTORY_UNPARSED_WARNING": "0",
    })
    env.update(extra)
    return env


def run_playbook(sim: Any, playbook: str, *args: str, expect_rc: int | None = 0, **env: str) -> subprocess.CompletedProcess[str]:
    """Run ``targets/<playbook>`` on localhost against ``sim``; fail the test with the output when rc differs."""
    bin_dir = Path(sys.executable).parent
    command = [str(bin_dir / "ansible-playbook"), "-i", "localhost,", "-c", "local", str(TARGETS / playbook),
               "-e", json.dumps({"sim_control": sim.info["control"], "sim_ca": sim.ca_cert or "",
                                 "sim_hosts": sim.info["hosts"], "sim_url": sim.url}), *args]
    result = subprocess.run(command, env=ansible_env(sim, **env), capture_output=True, text=True, timeout=600, check=False)
    if expect_rc is not None and result.returncode != expect_rc:
        pytest.fail(f"{playbook} exited {result.returncode}, expected {expect_rc}\n--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}")
    return result
