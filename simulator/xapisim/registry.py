"""Registry of hand-written message handlers (the semantic layer).

Messages without a handler fall back to the generic layer (``generic.py``) when they are
implicit (getters, setters, create, destroy, ...) or fail with NOT_IMPLEMENTED.
"""
from __future__ import annotations

from typing import Any, Callable

Handler = Callable[..., Any]

HANDLERS: dict[str, Handler] = {}


def handles(*methods: str) -> Callable[[Handler], Handler]:
    """Register ``fn(ctx, *params)`` for wire methods like ``"VM.start"``."""

    def register(fn: Handler) -> Handler:
        for method in methods:
            if method in HANDLERS:
                raise ValueError(f"two handlers for {method}")
            HANDLERS[method] = fn
        return fn

    return register


# Derived fields: ``fn(store, record) -> {field: value}`` recomputed on every create/update of
# a record of that class (e.g. ``allowed_operations`` from ``power_state``).
Deriver = Callable[..., dict[str, Any]]
DERIVED: dict[str, Deriver] = {}


def derives(cls: str) -> Callable[[Deriver], Deriver]:
    def register(fn: Deriver) -> Deriver:
        DERIVED[cls] = fn
        return fn

    return register
