"""Helpers shared by the simulator's tests, which drive it through the official XenAPI client."""
from __future__ import annotations

import time
from typing import Any, Callable

import pytest
import XenAPI


def failure(call: Callable[..., Any], *args: Any) -> list[str]:
    """The ErrorDescription ``[CODE, params...]`` of a call that must fail."""
    with pytest.raises(XenAPI.Failure) as caught:
        call(*args)
    return caught.value.details


def wait_for(predicate: Callable[[], Any], timeout: float = 5.0) -> Any:
    """The first truthy value of ``predicate``, polled until ``timeout`` seconds have passed."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("condition not met in time")
