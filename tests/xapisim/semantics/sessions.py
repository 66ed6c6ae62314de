"""session.*: login, logout, validity, and xapi's per-originator session limits."""
from __future__ import annotations

import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..errors import XapiError
from ..registry import handles
from ..store import utcnow

if TYPE_CHECKING:
    from ..core import CallContext, Simulator

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

    def __init__(self, sim: "Simulator") -> None:
        self.sim = sim
        self.states: dict[str, SessionState] = {}
        self._lock = threading.Lock()

    def login(self, user: str, originator: str) -> str:
        store = self.sim.store
        with store.lock:
            ref = store.create("session", {
                "this_host": self.sim.master_ref, "last_active": utcnow(), "pool": False,
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
        with self.sim.store.lock, self._lock:
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
        with self.sim.store.lock, self._lock:
            self._drop(ref)

    def _drop(self, ref: str) -> None:
        self.states.pop(ref, None)
        if self.sim.store.exists("session", ref):
            self.sim.store.destroy("session", ref)

    def evict_all(self) -> None:
        with self.sim.store.lock, self._lock:
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


@handles("session.login_with_password")
def login_with_password(ctx: "CallContext", uname: str, pwd: str, version: str, originator: str) -> str:
    if ctx.sim.users.get(uname) != pwd:
        time.sleep(0.05)  # xapi delays failed logins on purpose
        raise XapiError("SESSION_AUTHENTICATION_FAILED", uname, "Authentication failure")
    return ctx.sim.sessions.login(uname, originator)


@handles("session.logout", "session.local_logout")
def logout(ctx: "CallContext") -> str:
    ctx.sim.sessions.logout(ctx.session)
    return ""


@handles("session.change_password")
def change_password(ctx: "CallContext", old_pwd: str, new_pwd: str) -> str:
    user = ctx.sim.sessions.state(ctx.session).user
    if ctx.sim.users.get(user) != old_pwd:
        raise XapiError("SESSION_AUTHENTICATION_FAILED", user, "Authentication failure")
    ctx.sim.users[user] = new_pwd
    return ""


@handles("session.get_all_subject_identifiers")
def get_all_subject_identifiers(ctx: "CallContext") -> list[str]:
    return []
