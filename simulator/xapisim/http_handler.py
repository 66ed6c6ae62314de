"""What one simulated host answers over HTTP: routing, faults on the wire, and the three protocols.

Routes:

* ``POST /``          XML-RPC (``text/xml``); ``POST /RPC2`` too, where Python's
                      ``xmlrpc.client`` (and so the XenAPI SDK) posts by default
* ``POST /jsonrpc``   JSON-RPC 1.0 / 2.0 (``application/json``)
* ``GET|POST /_sim/<path>``  the control API, JSON in and out, loopback clients only
* ``GET /export``, ``PUT /import``, ``GET /export_raw_vdi``, ``PUT /import_raw_vdi``  disk and VM
                      transfers, streamed both ways (``transfer/``)
* anything else       404

A request is served by ``SimulatorFront.call`` with the index of the host it arrived on, which
lets the core answer ``HOST_IS_SLAVE`` on members. The listeners themselves are in ``server.py``.
"""

from __future__ import annotations

import io
import ipaddress
import json
import socket
import ssl
import struct
import sys
import time
import traceback
import urllib.parse
from http.server import BaseHTTPRequestHandler
from typing import Any, Callable, Protocol, cast

from .errors import XapiError
from .wire import (
    MalformedRequest,
    decode_jsonrpc_request,
    decode_xmlrpc_request,
    encode_jsonrpc_failure,
    encode_jsonrpc_success,
    encode_xmlrpc_bare,
    encode_xmlrpc_failure,
    encode_xmlrpc_success,
)

IDLE_TIMEOUT = 600.0  # seconds a keep-alive connection may sit idle between requests
MAX_BODY_BYTES = 64 * 1024 * 1024
# A refused upload's body is read and dropped up to this size, for at most this long per read (see discard_rest).
DRAIN_LIMIT = 64 * 1024 * 1024
DRAIN_TIMEOUT = 5.0
DRAIN_CHUNK = 1024 * 1024
CONTROL_PREFIX = "/_sim"
# xapi's HTTP handlers that move VMs and disks; their bodies are streamed, not read up front.
TRANSFER_PATHS = frozenset({"/export", "/import", "/export_raw_vdi", "/import_raw_vdi"})
# The introspection call xapi answers without the usual {Status, Value} envelope over XML-RPC.
LIST_METHODS = "system.listMethods"


def control_client_allowed(address: str) -> bool:
    """The control API answers clients on this machine only: it can take hosts down and inject faults."""
    try:
        return ipaddress.ip_address(address.split("%", 1)[0]).is_loopback
    except ValueError:
        return False


class SimulatorFront(Protocol):
    """What the HTTP front needs from the simulator core."""

    @property
    def hosts(self) -> list[tuple[str, str]]: ...

    def call(self, method: str, params: list[Any], host_index: int, pipelined: bool = False) -> Any: ...

    def control(self, verb: str, path: str, body: dict[str, Any] | None) -> tuple[int, Any]: ...

    def wire_action(self, host_index: int) -> str: ...

    def lose_reply(self, method: str) -> bool: ...

    def is_hung(self, host_index: int) -> bool: ...

    def transfer(self, exchange: DataExchange) -> None: ...


class DataExchange:
    """One transfer request as the simulator's handlers see it: query, headers, a streamed body and answer.

    xapi closes these connections once the transfer ends (``req.close <- true``); so does the answer here.
    """

    def __init__(self, handler: XapiRequestHandler) -> None:
        self._handler = handler
        self.method = handler.command
        path, _mark, query = handler.path.partition("?")
        self.path = path
        self.query = {key: values[0] for key, values in urllib.parse.parse_qs(query, keep_blank_values=True).items()}
        self.headers = {key.lower(): value for key, value in handler.headers.items()}
        self.host_index = handler.server.host_index
        self.client_address = handler.client_address[0]
        self.chunked = "chunked" in self.headers.get("transfer-encoding", "").lower()
        try:
            self.content_length: int | None = int(self.headers["content-length"])
        except (KeyError, ValueError):
            self.content_length = None
        self._left = self.content_length
        self.started = False

    def read(self, size: int) -> bytes:
        """Up to ``size`` bytes of the body (fewer only at its end); never past its Content-Length."""
        if self._left is not None:
            size = min(size, self._left)
        if size <= 0:
            return b""
        data = self._handler.rfile.read(size)
        if self._left is not None:
            self._left -= len(data)
        return data

    def discard_rest(self) -> None:
        """Read and drop what is left of a body the answer did not need (a refused upload), up to DRAIN_LIMIT bytes.

        Closing a socket with unread data makes the kernel reset the connection, and a client still sending then
        gets a broken pipe instead of the answer already on its way; with the body read, it reads the answer.
        """
        if self._left is None or not 0 < self._left <= DRAIN_LIMIT:
            return
        try:
            self._handler.connection.settimeout(DRAIN_TIMEOUT)
            while self._left > 0 and self.read(min(DRAIN_CHUNK, self._left)):
                pass
        except OSError:
            pass  # the client gave up first: nothing more to do for it

    def start(self, status: int, headers: dict[str, str]) -> None:
        """Send the status line and headers; the body follows with ``write``."""
        handler = self._handler
        handler.close_connection = True
        handler.send_response(status)
        for name, value in headers.items():
            handler.send_header(name, value)
        handler.send_header("Connection", "close")
        handler.end_headers()
        self.started = True

    def write(self, data: bytes) -> None:
        self._handler.wfile.write(data)

    def redirect(self, address: str) -> None:
        """302 to the same request on another host of the pool, as xapi sends a transfer where the disks are."""
        scheme = "https" if getattr(self._handler.server, "tls_context", None) is not None else "http"
        port = self._handler.server.server_port
        self.start(302, {"Location": f"{scheme}://{address}:{port}{self._handler.path}", "Content-Length": "0"})

    def answer(self, status: int, title: str, detail: str = "") -> None:
        """A short HTML answer (errors, redirects' bodies), as xapi's HTTP server gives them."""
        page = f"<html><head><title>{title}</title></head><body><h1>{title}</h1><p>{detail}</p></body></html>\n".encode()
        self.start(status, {"Content-Type": "text/html", "Content-Length": str(len(page))})
        self.write(page)


class HostListener(Protocol):
    """The listener a request arrived on: which host it is, and the simulator behind it."""

    sim: SimulatorFront
    host_index: int
    verbose: bool
    server_name: str
    server_port: int

    @property
    def closing(self) -> bool: ...


class XapiRequestHandler(BaseHTTPRequestHandler):
    """Serves the requests of one keep-alive connection to one simulated host."""

    protocol_version = "HTTP/1.1"
    server_version = "xapisim"
    timeout = IDLE_TIMEOUT
    # Headers and body leave in two writes; with Nagle on, the second waits for
    # the client's delayed ACK (about 40 ms a request on Linux).
    disable_nagle_algorithm = True
    server: HostListener  # type: ignore[assignment]  # the listener that accepted the connection
    # Whether the request being served was pipelined: sent before the answer to the one ahead of it on this
    # connection went out, so it made its trip across the network with that one.
    pipelined = False
    _next_pipelined = False

    def handle_one_request(self) -> None:
        self.pipelined, self._next_pipelined = self._next_pipelined, False
        super().handle_one_request()

    def _input_waiting(self) -> bool:
        """Whether more of the client's requests are already here (read ahead, or in the socket), not waiting for it."""
        sock = self.connection
        if isinstance(sock, ssl.SSLSocket) and sock.pending():
            return True
        timeout = sock.gettimeout()
        try:
            sock.settimeout(0.0)
            return bool(cast(io.BufferedReader, self.rfile).peek(1))  # socketserver's rfile: buffered
        except (OSError, ValueError):
            return False
        finally:
            sock.settimeout(timeout)

    # ---- routing -------------------------------------------------------------

    def do_POST(self) -> None:  # noqa: N802 (name fixed by BaseHTTPRequestHandler)
        self._serve({"/": self._xmlrpc, "/RPC2": self._xmlrpc, "/jsonrpc": self._jsonrpc})

    def do_GET(self) -> None:  # noqa: N802
        self._serve({})

    def do_PUT(self) -> None:  # noqa: N802
        self._serve({})

    def do_DELETE(self) -> None:  # noqa: N802
        self._serve({})

    def _serve(self, routes: dict[str, Callable[[bytes], None]]) -> None:
        path = self.path.split("?", 1)[0]
        # The control API is exempt from injected faults: it is how they are lifted.
        is_control = path == CONTROL_PREFIX or path.startswith(CONTROL_PREFIX + "/")
        action = "ok" if is_control else self.server.sim.wire_action(self.server.host_index)
        if action == "down":
            # A host that is down does not even read what was sent.
            self._drop_connection()
            return
        # A transfer's body is streamed by its handler, so faults strike before any of it is read.
        body = b"" if path in TRANSFER_PATHS else self._read_body()
        if body is None:
            return
        if action == "reset":
            self._drop_connection()
            return
        if action == "hang":
            # A hung host takes the request and never answers, until it is brought back up.
            deadline = time.monotonic() + IDLE_TIMEOUT
            while self.server.sim.is_hung(self.server.host_index) and not self.server.closing and time.monotonic() < deadline:
                time.sleep(0.05)
            self._drop_connection()
            return
        if path in TRANSFER_PATHS:
            self._transfer()
            return
        if is_control:
            self._control(path[len(CONTROL_PREFIX):].lstrip("/"), body)
            return
        route = routes.get(path)
        if route is None:
            self._send_html(404, "Not Found", f"No such resource: {path}")
            return
        route(body)

    # ---- XAPI endpoints ------------------------------------------------------

    def _xmlrpc(self, body: bytes) -> None:
        try:
            method, params = decode_xmlrpc_request(body)
        except MalformedRequest as exc:
            self._send_html(500, "Internal Server Error", str(exc))
            return
        try:
            value = self._call(method, params)
            payload = encode_xmlrpc_bare(value) if method == LIST_METHODS else encode_xmlrpc_success(value)
        except XapiError as exc:
            payload = encode_xmlrpc_failure(exc.code, exc.params)
        self._answer(method, "text/xml", payload)

    def _jsonrpc(self, body: bytes) -> None:
        try:
            method, params, request_id, version = decode_jsonrpc_request(body)
        except MalformedRequest as exc:
            self._send_html(500, "Internal Server Error", str(exc))
            return
        try:
            payload = encode_jsonrpc_success(self._call(method, params), request_id, version)
        except XapiError as exc:
            payload = encode_jsonrpc_failure(exc.code, exc.params, request_id, version)
        self._answer(method, "application/json", payload)

    def _answer(self, method: str, content_type: str, payload: bytes) -> None:
        """Send the answer of a call that was served, unless a lost-reply fault swallows it."""
        if self.server.sim.lose_reply(method):
            self._drop_connection()
            return
        # Looked at before the answer leaves: a client cannot have sent what it sent after reading it.
        self._next_pipelined = self._input_waiting()
        self._send(200, content_type, payload)

    def _call(self, method: str, params: list[Any]) -> Any:
        """Run one call; a crash in the core becomes INTERNAL_ERROR, as in xapi."""
        try:
            return self.server.sim.call(method, params, self.server.host_index, self.pipelined)
        except XapiError:
            raise
        except Exception as exc:  # noqa: BLE001 (the client must get an answer)
            sys.stderr.write(f"xapisim: {method} crashed:\n{traceback.format_exc()}")
            raise XapiError("INTERNAL_ERROR", f"{type(exc).__name__}: {exc}") from exc

    def _transfer(self) -> None:
        exchange = DataExchange(self)
        try:
            self.server.sim.transfer(exchange)
        except OSError:
            self.close_connection = True  # the client went away mid-transfer
            return
        except Exception as exc:  # noqa: BLE001 (the client must get an answer)
            sys.stderr.write(f"xapisim: {exchange.path} crashed:\n{traceback.format_exc()}")
            if not exchange.started:
                exchange.answer(500, "Internal Server Error", f"{type(exc).__name__}")
        exchange.discard_rest()
        self.close_connection = True

    # ---- control API ---------------------------------------------------------

    def _control(self, path: str, body: bytes) -> None:
        if not control_client_allowed(self.client_address[0]):
            self._send_json(403, {"error": "the control API only answers loopback clients"})
            return
        document: dict[str, Any] | None = None
        if body.strip():
            try:
                document = json.loads(body)
            except ValueError as exc:
                self._send_json(400, {"error": f"body is not JSON: {exc}"})
                return
            if not isinstance(document, dict):
                self._send_json(400, {"error": "body must be a JSON object"})
                return
        try:
            status, answer = self.server.sim.control(self.command, path, document)
        except Exception as exc:  # noqa: BLE001
            sys.stderr.write(f"xapisim: control {path} crashed:\n{traceback.format_exc()}")
            status, answer = 500, {"error": f"{type(exc).__name__}: {exc}"}
        self._send_json(status, answer)

    # ---- plumbing ------------------------------------------------------------

    def _read_body(self) -> bytes | None:
        """The request body, or None once an error answer was sent."""
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            self.close_connection = True
            self._send_html(411, "Length Required", "chunked bodies are not supported")
            return None
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if length > MAX_BODY_BYTES:
            self.close_connection = True
            self._send_html(413, "Payload Too Large", f"bodies are limited to {MAX_BODY_BYTES} bytes")
            return None
        if length < 0:
            self.close_connection = True
            self._send_html(400, "Bad Request", "bad Content-Length")
            return None
        return self.rfile.read(length) if length else b""

    def _drop_connection(self) -> None:
        """Close without an answer; a zero linger makes the kernel send a RST."""
        self.close_connection = True
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
        except OSError:
            pass

    def _send(self, status: int, content_type: str, payload: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def _send_json(self, status: int, document: Any) -> None:
        self._send(status, "application/json", json.dumps(document, default=str).encode("utf-8"))

    def _send_html(self, status: int, title: str, detail: str) -> None:
        text = detail.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        page = f"<html><head><title>{title}</title></head><body><h1>{title}</h1><p>{text}</p></body></html>\n"
        self._send(status, "text/html", page.encode("utf-8"))

    def version_string(self) -> str:
        return self.server_version  # no Python version in the Server header

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (base class name)
        if self.server.verbose:
            sys.stderr.write(f"xapisim {self.server.server_name} {self.address_string()} {format % args}\n")
