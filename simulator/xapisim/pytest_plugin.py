"""pytest fixtures for testing against a simulated XenServer / XCP-ng pool (registered as the ``xapisim`` plugin).

Installed with the package (``pip install xapisim``), pytest loads it by itself:

``xapisim``
    The demo pool over HTTPS, shared by the tests of one module: ``.url``, ``.hosts`` (name -> URL),
    ``.username``, ``.password``, ``.ca_cert``, ``.control_url``, and helpers for the control API:
    ``.faults(...)``, ``.durations(...)``, ``.pace(...)``, ``.stats()``, ``.reset_stats()``.
``xapisim_http``
    The same over plain HTTP (no certificates), for clients that cannot be given a CA.
``xapisim_factory``
    ``xapisim_factory("--hosts", "5", "--vms", "40")`` starts a pool with the command line's options (a scenario
    file, ``--http``, ``--pace realistic``, ``--standalone 2``, ...); every pool it started is stopped after the test.
"""
from __future__ import annotations

from typing import Callable, Iterator

import pytest

from .process import SimProcess, start_simulator

StartPool = Callable[..., SimProcess]


@pytest.fixture(scope="module")
def xapisim() -> Iterator[SimProcess]:
    """The demo pool over HTTPS, shared by the tests of one module."""
    pool = start_simulator()
    try:
        yield pool
    finally:
        pool.stop()


@pytest.fixture(scope="module")
def xapisim_http() -> Iterator[SimProcess]:
    """The demo pool over plain HTTP, shared by the tests of one module."""
    pool = start_simulator("--http")
    try:
        yield pool
    finally:
        pool.stop()


@pytest.fixture
def xapisim_factory() -> Iterator[StartPool]:
    """Start pools with the command line's options; all are stopped after the test."""
    started: list[SimProcess] = []

    def start(*args: str) -> SimProcess:
        pool = start_simulator(*args)
        started.append(pool)
        return pool

    yield start
    for pool in started:
        pool.stop()
