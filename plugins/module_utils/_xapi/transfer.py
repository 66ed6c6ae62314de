# Copyright: (c) 2026, xen.xapi maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Streaming VM and disk transfers through xapi's HTTP handlers (/export, /import, /export_raw_vdi, /import_raw_vdi).

A transfer is a plain HTTP(S) request beside the API: the task it reports on is made first with
``task.create`` and named in the query with the session, the body is streamed in 1 MiB pieces (never
held whole), a 302 is followed to the host that holds the storage, and the outcome is the task's,
read on events once the body is through. The session travels in the URL, so nothing here ever puts
a URL with its query into a message: errors name the host and the path only.
"""

from __future__ import annotations

import http.client
import socket
import ssl
import time
import typing as t
from urllib.parse import urlencode, urlsplit

from ansible_collections.xen.xapi.plugins.module_utils._xapi import client as xapi_client, errors, tasks, transport

PIECE = 1024 * 1024
MAX_REDIRECTS = 3


class TransferResult(t.NamedTuple):
    value: t.Any  # the task's decoded result
    bytes_moved: int
    seconds: float


def _connection(client: xapi_client.XapiClient, url: str) -> http.client.HTTPConnection:
    parts = urlsplit(url)
    context = transport.make_ssl_context(client.params.validate_certs, client.params.ca_path) if parts.scheme == "https" else None
    return transport.open_connection(parts.scheme, parts.hostname or "", parts.port, client.http_timeout, context, client.params.proxy)


def _shown(url: str) -> str:
    """The URL without its query, which carries the session."""
    parts = urlsplit(url)
    return "{0}://{1}{2}".format(parts.scheme, parts.netloc, parts.path)


def _start(client: xapi_client.XapiClient, label: str) -> str:
    return client.call("task.create", label, "")


def _finish(client: xapi_client.XapiClient, task: str, label: str, timeout: float) -> t.Any:
    record = tasks.wait_for_task(client, task, timeout, label)
    try:
        return tasks.task_outcome(record)
    except errors.XapiError as err:
        err.method = label
        raise
    finally:
        client.forget_task(task)


def _open(client: xapi_client.XapiClient, method: str, path: str, query: t.Mapping[str, str], task: str, length: t.Optional[int] = None) \
        -> t.Tuple[http.client.HTTPConnection, str]:
    """A connection with the request line and headers sent (following 302s), and the URL it went to."""
    full_query = dict(query, session_id=client.session_ref or "", task_id=task)
    url = "{0}{1}?{2}".format(client.base_url, path, urlencode(full_query))
    for _redirect in range(MAX_REDIRECTS + 1):
        connection = _connection(client, url)
        try:
            connection.putrequest(method, url[len("{0}://{1}".format(*urlsplit(url)[:2])):])
            connection.putheader("User-Agent", "xen.xapi")
            if length is not None:
                connection.putheader("Content-Length", str(length))
            connection.endheaders()
            if method == "PUT":
                return connection, url
            response = connection.getresponse()
        except (OSError, http.client.HTTPException) as err:
            connection.close()
            raise _dropped(url, err, request_sent=True)
        location = response.getheader("Location")
        if response.status in (301, 302, 307) and location:
            connection.close()
            url = location
            continue
        connection.response = response  # type: ignore[attr-defined]
        return connection, url
    raise errors.XapiProtocolError(_shown(url), "more than {0} redirections".format(MAX_REDIRECTS))


def _dropped(url: str, err: BaseException, request_sent: bool) -> errors.XapiConnectionError:
    if isinstance(err, ssl.SSLCertVerificationError):
        reason = "TLS certificate verification failed ({0})".format(err.verify_message or err)
    elif isinstance(err, (socket.timeout, TimeoutError)):
        reason = "no answer in time"
    else:
        reason = "the transfer was cut off ({0})".format(type(err).__name__)
    return errors.XapiConnectionError(_shown(url), reason, request_sent=request_sent)


def download(client: xapi_client.XapiClient, path: str, query: t.Mapping[str, str], write: t.Callable[[bytes], t.Any],
             label: str, timeout: float, progress: t.Optional[t.Callable[[int], None]] = None) -> TransferResult:
    """GET ``path`` and pass the body to ``write`` piece by piece; the task's outcome decides success."""
    started = time.monotonic()
    task = _start(client, label)
    moved = 0
    try:
        connection, url = _open(client, "GET", path, query, task)
        response = connection.response  # type: ignore[attr-defined]
        try:
            if response.status != 200:
                response.read()
                _raise_task_error_or(client, task, label, errors.XapiProtocolError(_shown(url), "HTTP {0} {1}".format(response.status, response.reason)))
            while True:
                try:
                    piece = response.read(PIECE)
                except (OSError, http.client.HTTPException) as err:
                    raise _dropped(url, err, request_sent=True)
                if not piece:
                    break
                write(piece)
                moved += len(piece)
                if progress is not None:
                    progress(moved)
        finally:
            connection.close()
        value = _finish(client, task, label, timeout)
    except BaseException:
        client.forget_task(task)
        raise
    return TransferResult(value, moved, time.monotonic() - started)


def upload(client: xapi_client.XapiClient, path: str, query: t.Mapping[str, str], length: int, read: t.Callable[[int], bytes],
           label: str, timeout: float) -> TransferResult:
    """PUT ``length`` bytes from ``read`` to ``path``; the task's outcome decides success.

    xapi answers before it has read the body and closes the connection as soon as an import fails,
    so a cut-off upload is not the end of the story: the task then says why.
    """
    started = time.monotonic()
    task = _start(client, label)
    try:
        connection, url = _open(client, "PUT", path, query, task, length=length)
        sent = 0
        cut_off: t.Optional[BaseException] = None
        try:
            while sent < length:
                piece = read(min(PIECE, length - sent))
                if not piece:
                    raise errors.XapiProtocolError(_shown(url), "the file ended after {0} of {1} bytes".format(sent, length))
                try:
                    connection.send(piece)
                except OSError as err:
                    cut_off = err
                    break
                sent += len(piece)
            status = _status(connection) if cut_off is None else None
        finally:
            connection.close()
        if status is not None and status >= 300:
            _raise_task_error_or(client, task, label, errors.XapiProtocolError(_shown(url), "HTTP {0}".format(status)))
        try:
            value = _finish(client, task, label, timeout)
        except errors.XapiError:
            raise
        if cut_off is not None:
            raise _dropped(url, cut_off, request_sent=True)
    except BaseException:
        client.forget_task(task)
        raise
    return TransferResult(value, sent, time.monotonic() - started)


def _status(connection: http.client.HTTPConnection) -> t.Optional[int]:
    try:
        response = connection.getresponse()
        response.read()
        return response.status
    except (OSError, http.client.HTTPException):
        return None


def _raise_task_error_or(client: xapi_client.XapiClient, task: str, label: str, fallback: errors.XapiBaseError) -> t.NoReturn:
    """The error the task recorded for a refused transfer, if it has finished with one; ``fallback`` otherwise."""
    try:
        record = client.call("task.get_record", task)
    except errors.XapiBaseError:
        raise fallback
    if record.get("status") == "failure" and record.get("error_info"):
        info = list(record["error_info"])
        error = errors.XapiError(info[0], info[1:])
        error.method = label
        raise error
    raise fallback
