"""Integration tests: real ansible-playbook runs and real connection-layer calls against the simulator.

Each test module starts one simulator (the ``sim`` fixture from tests/conftest.py) and groups
its assertions into a few playbook runs, so the suite stays fast.
"""
from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path
from typing import Iterator

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]


def collections_path() -> str:
    """A directory where ``ansible_collections/xen/xapi`` is this checkout (made once per run)."""
    configured = os.environ.get("ANSIBLE_COLLECTIONS_PATH")
    if configured and (Path(configured.split(os.pathsep)[0]) / "ansible_collections" / "xen" / "xapi").exists():
        return configured
    base = Path(tempfile.mkdtemp(prefix="xen-xapi-collections-"))
    link = base / "ansible_collections" / "xen" / "xapi"
    link.parent.mkdir(parents=True)
    link.symlink_to(REPO_ROOT)
    return str(base)


@pytest.fixture(scope="session", autouse=True)
def _importable_collection() -> Iterator[None]:
    """Make ``ansible_collections.xen.xapi`` importable in this process and in ansible-playbook."""
    path = collections_path()
    os.environ["ANSIBLE_COLLECTIONS_PATH"] = path
    sys.path.insert(0, path.split(os.pathsep)[0])
    yield
