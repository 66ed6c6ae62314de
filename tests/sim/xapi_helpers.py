"""Helpers shared by the simulator's tests, which drive it through the official XenAPI client."""
from __future__ import annotations

from typing import Any, Callable

import pytest
import XenAPI


def failure(call: Callable[..., Any], *args: Any) -> list[str]:
    """The ErrorDescription ``[CODE, params...]`` of a call that must fail."""
    with pytest.raises(XenAPI.Failure) as caught:
        call(*args)
    return caught.value.details
