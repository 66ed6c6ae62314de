"""Integration tests: real ansible-playbook runs and real connection-layer calls against the simulator.

Each test module starts one simulator (the ``sim`` fixture from tests/conftest.py) and groups
its assertions into a few playbook runs, so the suite stays fast.
"""
from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Iterator

import pytest

from harness import BYTECODE_CACHE

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


def _make_collection_importable() -> None:
    """At import time, so that test modules can import the collection's module_utils at collection."""
    path = collections_path()
    os.environ["ANSIBLE_COLLECTIONS_PATH"] = path
    first = path.split(os.pathsep)[0]
    if first not in sys.path:
        sys.path.insert(0, first)


_make_collection_importable()


@pytest.fixture(scope="module", autouse=True)
def _no_run_memory_from_earlier_pools() -> Iterator[None]:
    """Each test module starts with no run memory (plugins/module_utils/_run_memory.py) in the tests' cache.

    The memory is keyed by the pool's URL, and a new simulator may get the port of an older one: what an earlier
    pool's runs kept would only cost round trips, but the tests count them.
    """
    shutil.rmtree(BYTECODE_CACHE / "xen.xapi" / "runs", ignore_errors=True)
    yield
