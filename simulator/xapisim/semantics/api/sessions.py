"""session.*: login, logout and password change; the live sessions are kept in ``session_table.py``."""
from __future__ import annotations

import time
from typing import TYPE_CHECKING

from ...errors import XapiError
from ...registry import handles

if TYPE_CHECKING:
    from ...context import CallContext


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
