"""Shared pytest fixtures: a real simulator process to test against.

``start_simulator(*args)`` runs ``python -m xapisim --port 0 ...`` and waits
for its ready line; the ``sim`` (HTTPS) and ``sim_http`` (plain HTTP)
fixtures give one demo pool per test module, and ``sim_factory`` starts
pools with other options and stops them after the test.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Callable, Iterator

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from simprocess import SimProcess, start_simulator  # noqa: E402  (needs the path above)


@pytest.fixture(scope="module")
def sim() -> Iterator[SimProcess]:
    """The demo pool over HTTPS, shared by the tests of one module."""
    process = start_simulator()
    try:
        yield process
    finally:
        process.stop()


@pytest.fixture(scope="module")
def sim_http() -> Iterator[SimProcess]:
    """The demo pool over plain HTTP, shared by the tests of one module."""
    process = start_simulator("--http")
    try:
        yield process
    finally:
        process.stop()


@pytest.fixture
def sim_factory() -> Iterator[Callable[..., SimProcess]]:
    """``sim_factory("--hosts", "5")`` starts a pool; all are stopped after the test."""
    started: list[SimProcess] = []

    def start(*args: str) -> SimProcess:
        process = start_simulator(*args)
        started.append(process)
        return process

    yield start
    for process in started:
        process.stop()
