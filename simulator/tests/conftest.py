"""The simulator's own tests run against pools started by its pytest plugin (``xapisim/pytest_plugin.py``)."""

from __future__ import annotations

from typing import Callable

import pytest

from xapisim.process import SimProcess


# The plugin's fixtures, under the names the tests were written with.
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
