"""Live sessions: login, validity, idle expiry and xapi's per-originator session limits.

The ``session`` records live in the store, where clients read them; the bookkeeping a client
cannot see (last use, the legacy event registration) lives here. The ``session.*`` handlers
in ``semantics/api/sessions.py`` call this table.
"""
from __future__ import annotations

import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Callable

from .errors import XapiError
from .store import Store, utcnow

SESSIONS_PER_ORIGINATOR = 500
SESSIONS_ANONYMOUS = 400
IDLE_LIMIT_SECONDS = 24 * 3600


@dataclass
class SessionState:
    originator: str
    user: str
    last_used: float = field(default_factory=time.monotonic)
    # legacy event.register / event.next: subscribed classes and the generation read so far
    registered: set[str] | None = None
    cursor: int = 0


class SessionTable:
    """Live sessions: the ``session`` records live in the store, the bookkeeping here."""

    def __init__(self, store: Store, master_ref: Callable[[], str]) -> None:
        self.store = store
        self._master_ref = master_ref
        self.states: dict[str, SessionState] = {}
        self._lock = threading.Lock()

    def login(self, user: str, originator: str) -> str:
        store = self.store
        with store.lock:
            ref = store.create("session", {
                "this_host": self._master_ref(), "last_active": utcnow(), "pool": False,
                "is_local_superuser": user == "root", "auth_user_name": user, "originator": originator,
            })
            with self._lock:
                self.states[ref] = SessionState(originator, user)
                self._enforce_limit(originator, user)
        return ref

    def _enforce_limit(self, originator: str, user: str) -> None:
        """Past the limit the least recently used session of the same bucket goes, as in xapi."""
        bucket = _bucket(originator, user)
        limit = SESSIONS_ANONYMOUS if bucket == ("anonymous", "") else SESSIONS_PER_ORIGINATOR
        same = [(s.last_used, ref) for ref, s in self.states.items() if _bucket(s.originator, s.user) == bucket]
        for entry in sorted(same)[: max(0, len(same) - limit)]:
            ref = entry[1]
            self._drop(ref)

    def check(self, ref: object) -> str:
        if not isinstance(ref, str):
            raise XapiError("SESSION_INVALID", ref)
        with self.store.lock, self._lock:
            state = self.states.get(ref)
            now = time.monotonic()
            if state is not None and now - state.last_used > IDLE_LIMIT_SECONDS:
                self._drop(ref)
                state = None
            if state is None:
                raise XapiError("SESSION_INVALID", ref)
            state.last_used = now
        return ref

    def state(self, ref: str) -> SessionState:
        return self.states[ref]

    def logout(self, ref: str) -> None:
        with self.store.lock, self._lock:
            self._drop(ref)

    def _drop(self, ref: str) -> None:
        self.states.pop(ref, None)
        if self.store.exists("session", ref):
            self.store.destroy("session", ref)

    def evict_all(self) -> None:
        with self.store.lock, self._lock:
            for ref in list(self.states):
                self._drop(ref)

    def live_count(self) -> int:
        return len(self.states)

    def count_by_originator(self) -> dict[str, int]:
        return dict(Counter(s.originator for s in list(self.states.values())))


def _bucket(originator: str, user: str) -> tuple[str, str]:
    if originator:
        return ("originator", originator)
    if user and user != "root":
        return ("user", user)
    return ("anonymous", "")
