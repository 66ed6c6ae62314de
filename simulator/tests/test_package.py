"""The simulator as a package people install: its version follows the collection's, and a fresh virtual environment
that installs it (with pytest, pinned as in the lock) runs a user's test file with the plugin's fixtures."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import venv
from pathlib import Path

import pytest

SIMULATOR = Path(__file__).resolve().parents[1]
REPO = SIMULATOR.parent
USER_TESTS = '''
import json
import ssl
import urllib.request


def login(url, username, password, cafile=None):
    context = ssl.create_default_context(cafile=cafile) if cafile else None
    body = json.dumps({"jsonrpc": "2.0", "method": "session.login_with_password",
                       "params": [username, password, "1.0", "user-test"], "id": 1}).encode()
    request = urllib.request.Request(url + "/jsonrpc", data=body, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, context=context, timeout=30) as answer:
        return json.load(answer)["result"]


def test_the_demo_pool_answers_over_https(xapisim):
    assert login(xapisim.url, xapisim.username, xapisim.password, xapisim.ca_cert).startswith("OpaqueRef:")
    assert sorted(xapisim.hosts) == ["host1", "host2", "host3"]
    assert xapisim.stats()["calls"]["session.login_with_password"] == 1


def test_a_pool_of_my_own(xapisim_factory):
    pool = xapisim_factory("--http", "--hosts", "2", "--vms", "3")
    assert login(pool.url, pool.username, pool.password).startswith("OpaqueRef:")
    assert len(pool.hosts) == 2
'''


def test_the_version_follows_the_collection() -> None:
    package = re.search(r'^version = "([^"]+)"', (SIMULATOR / "pyproject.toml").read_text(encoding="utf-8"), re.MULTILINE)
    collection = re.search(r"^version: (\S+)", (REPO / "galaxy.yml").read_text(encoding="utf-8"), re.MULTILINE)
    assert package and collection and package.group(1) == collection.group(1)


def test_a_fresh_virtualenv_installs_it_and_runs_a_users_tests(tmp_path: Path) -> None:
    # The wheel is built with this environment's pinned setuptools, so nothing unpinned is fetched for the build.
    wheels = tmp_path / "wheels"
    run(sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation", "-w", str(wheels), str(SIMULATOR))
    wheel = next(wheels.glob("xapisim-*.whl"))
    for leftover in (SIMULATOR / "build", *SIMULATOR.glob("*.egg-info")):
        shutil.rmtree(leftover, ignore_errors=True)
    fresh = tmp_path / "fresh"
    venv.create(fresh, with_pip=True)
    python = fresh / "bin" / "python"
    run(str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "-c", str(REPO / "requirements" / "dev.lock.txt"),
        str(wheel), "pytest")
    ready = run(str(fresh / "bin" / "xapisim"), "--help")
    assert "--standalone" in ready.stdout
    user = tmp_path / "user"
    user.mkdir()
    (user / "test_my_pool.py").write_text(USER_TESTS, encoding="utf-8")
    result = run(str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider", str(user), check=False)
    assert result.returncode == 0 and "2 passed" in result.stdout, result.stdout + result.stderr


def run(*command: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    # Nothing of this checkout may leak into the fresh environment: no PYTHONPATH, no collections path.
    env = {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "ANSIBLE_COLLECTIONS_PATH")}
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600, check=False, cwd=str(SIMULATOR.parent))
    if check and result.returncode != 0:
        pytest.fail(f"{' '.join(command)} exited {result.returncode}\n{result.stdout}\n{result.stderr}")
    return result
