"""What every transfer handler shares: credentials, the task it completes, and how errors end it.

xapi_http.ml: a transfer request carries ``session_id`` (query or cookie) or HTTP basic credentials
(a session is made for the request and dropped after); without either it is refused with 401.
``task_id`` names a task the caller made with ``task.create``: the handler completes it, with the
result or the error, and otherwise makes its own.
"""
from __future__ import annotations

import base64
import binascii
from contextlib import contextmanager
from dataclasses import dataclass
from http.cookies import SimpleCookie
from typing import TYPE_CHECKING, Any, Iterator

from ..errors import XapiError
from ..store import NULL_REF
from ..task_table import encode_task_result

if TYPE_CHECKING:
    from ..context import SimulatorView
    from ..http_handler import DataExchange


class TransferFailed(Exception):
    """The transfer fails: the task records ``error``; the HTTP answer is ``status`` if none was sent yet."""

    def __init__(self, status: int, error: XapiError) -> None:
        super().__init__(error.code)
        self.status = status
        self.error = error


@dataclass
class Transfer:
    sim: SimulatorView
    exchange: DataExchange
    session: str
    task: str
    result: Any = ""
    # A redirected request leaves the caller's task pending: the host it is sent to completes it.
    keep_pending: bool = False

    def param(self, name: str) -> str | None:
        """A request parameter, from the query or a cookie, as xapi reads both."""
        if name in self.exchange.query:
            return self.exchange.query[name]
        return _cookies(self.exchange).get(name)

    def progress(self, fraction: float) -> None:
        self.sim.tasks.set_progress(self.task, fraction)


def _cookies(exchange: DataExchange) -> dict[str, str]:
    cookie = SimpleCookie()
    try:
        cookie.load(exchange.headers.get("cookie", ""))
    except Exception:  # noqa: BLE001 (a malformed cookie header is no cookie)
        return {}
    return {key: morsel.value for key, morsel in cookie.items()}


def _basic_credentials(exchange: DataExchange) -> tuple[str, str] | None:
    scheme, _space, encoded = exchange.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        user, _colon, password = base64.b64decode(encoded, validate=True).decode("utf-8").partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return user, password


def _session(sim: SimulatorView, exchange: DataExchange) -> tuple[str, bool] | None:
    """The caller's session and whether it was made for this request; None when the caller is unknown."""
    session = exchange.query.get("session_id") or _cookies(exchange).get("session_id")
    if session:
        try:
            return sim.sessions.check(session), False
        except XapiError:
            return None
    credentials = _basic_credentials(exchange)
    if credentials is None or sim.users.get(credentials[0]) != credentials[1]:
        return None
    return sim.sessions.login(credentials[0], "basic auth"), True


@contextmanager
def transfer_task(sim: SimulatorView, exchange: DataExchange, label: str) -> Iterator[Transfer]:
    """Authenticate, find or make the task, run the body, and complete the task with its outcome."""
    found = _session(sim, exchange)
    if found is None:
        exchange.start(401, {"WWW-Authenticate": f'Basic realm="{label}"', "Content-Length": "0"})
        return
    session, made_here = found
    task_param = exchange.query.get("task_id") or _cookies(exchange).get("task_id")
    try:
        if task_param:
            if not sim.store.exists("task", task_param):
                exchange.answer(404, "Not Found", "no such task")
                return
            task = task_param
        else:
            with sim.store.lock:
                task = sim.tasks.create(label, session=session)
        transfer = Transfer(sim, exchange, session, task)
        try:
            yield transfer
        except TransferFailed as failed:
            sim.tasks.fail(task, failed.error.description())
            if not exchange.started:
                exchange.answer(failed.status, _reason(failed.status), failed.error.code)
            return
        except XapiError as err:
            sim.tasks.fail(task, err.description())
            if not exchange.started:
                exchange.answer(500, "Internal Server Error", err.code)
            return
        except OSError:
            sim.tasks.fail(task, ["IMPORT_ERROR_PREMATURE_EOF"] if exchange.method == "PUT"
                           else ["CLIENT_ERROR", "the client closed the connection"])
            raise
        if not transfer.keep_pending:
            sim.tasks.complete(task, encode_task_result(transfer.result))
        elif not task_param:
            with sim.store.lock:
                sim.tasks.forget(task)
    finally:
        if made_here:
            sim.sessions.logout(session)


def _reason(status: int) -> str:
    return {400: "Bad Request", 403: "Forbidden", 404: "Not Found", 500: "Internal Server Error"}.get(status, "Error")


def redirected(transfer: Transfer, srs: list[str]) -> bool:
    """Send the request to a host that sees every SR in ``srs`` if the one it reached does not (export.ml,
    import.ml: ``check_sr_availability``, ``find_host_for_sr``); True when a 302 went out."""
    sim = transfer.sim
    store = sim.store
    pbds = store.records("PBD")

    def sees_all(host: str) -> bool:
        return all(any(pbds.get(pbd, {}).get("host") == host and pbds[pbd]["currently_attached"]
                       for pbd in store.get("SR", sr)["PBDs"]) for sr in srs)

    here = sim.host_refs[transfer.exchange.host_index]
    if sees_all(here):
        return False
    for host in sim.host_refs:
        if sees_all(host):
            transfer.exchange.redirect(store.get("host", host)["address"])
            return True
    return False


def resolve(sim: SimulatorView, cls: str, ref: str | None, uuid: str | None) -> str:
    """The object a request names by ``ref`` or ``uuid``; HANDLE_INVALID or UUID_INVALID otherwise."""
    store = sim.store
    if ref:
        if store.exists(cls, ref):
            return ref
        raise TransferFailed(404, XapiError("HANDLE_INVALID", cls, ref))
    if uuid:
        found = store.find_one(cls, uuid=uuid)
        if found:
            return found
        raise TransferFailed(404, XapiError("UUID_INVALID", cls, uuid))
    raise TransferFailed(400, XapiError("HANDLE_INVALID", cls, NULL_REF))
