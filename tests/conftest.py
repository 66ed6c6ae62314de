"""Shared pytest fixtures: a real simulator process to test against.

The ``sim`` (HTTPS) and ``sim_http`` (plain HTTP) fixtures give one demo pool per test module, and
``sim_factory`` starts pools with other options and stops them after the test: the xapisim plugin's
``xapisim``, ``xapisim_http`` and ``xapisim_factory``.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Callable

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from xapisim.process import SimProcess  # noqa: E402  (the test helpers need the path above)


# The collection's tests use the simulator as its users do: through the fixtures of its pytest plugin
# (installed with ./simulator), under the names the tests were written with.
@pytest.fixture(scope="module")
def sim(xapisim: SimProcess) -> SimProcess:
    """The demo pool over HTTPS, shared by the tests of one module."""
    return xapisim


@pytest.fixture(scope="module")
def sim_http(xapisim_http: SimProcess) -> SimProcess:
    """The demo pool over plain HTTP, shared by the tests of one module."""
    return xapisim_http


@pytest.fixture
def sim_factory(xapisim_factory: Callable[..., SimProcess]) -> Callable[..., SimProcess]:
    """``sim_factory("--hosts", "5")`` starts a pool; all are stopped after the test."""
    return xapisim_factory
