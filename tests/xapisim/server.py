"""The simulator's HTTP(S) front: one listener per simulated host.

Every host of the pool listens on its own loopback address (127.0.0.1,
127.0.0.2, ...) and all share one port, so a client sees a pool whose members
have distinct addresses, exactly as in production. A request is served by
``Simulator.call`` with the index of the host it arrived on, which lets the
core answer ``HOST_IS_SLAVE`` on members.

Routes:

* ``POST /``          XML-RPC (``text/xml``); ``POST /RPC2`` too, where Python's
                      ``xmlrpc.client`` (and so the XenAPI SDK) posts by default
* ``POST /jsonrpc``   JSON-RPC 1.0 / 2.0 (``application/json``)
* ``GET|POST /_sim/<path>``  the control API, JSON in and out, loopback clients only
* anything else       404

Connections are HTTP/1.1 keep-alive, one thread each; the TLS handshake runs
in that thread too, so a client that stalls mid-handshake blocks nobody.
"""

from __future__ import annotations

import errno
import ipaddress
import json
import socket
import socketserver
import ssl
import struct
import sys
import threading
import time
import traceback
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, Protocol

from .certs import TlsMaterial
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

__all__ = ["SimulatorFront", "RunningServer", "serve"]

HANDSHAKE_TIMEOUT = 10.0  # seconds a client gets to finish the TLS handshake
IDLE_TIMEOUT = 600.0  # seconds a keep-alive connection may sit idle between requests
MAX_BODY_BYTES = 64 * 1024 * 1024
PORT_ATTEMPTS = 20  # tries to find a port free on every host address
CONTROL_PREFIX = "/_sim"
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

    def call(self, method: str, params: list[Any], host_index: int) -> Any: ...

    def control(self, verb: str, path: str, body: dict[str, Any] | None) -> tuple[int, Any]: ...

    def wire_action(self, host_index: int) -> str: ...

    def lose_reply(self, method: str) -> bool: ...

    def is_hung(self, host_index: int) -> bool: ...


class _HostServer(ThreadingHTTPServer):
    """Listener of one simulated host on one address."""

    daemon_threads = True
    # Port sharing would let another process listen on "our" address unnoticed.
    allow_reuse_port = False
    # Shutdown closes live connections itself (see close_connections) rather
    # than waiting for idle keep-alive clients to go away.
    block_on_close = False

    def __init__(
        self,
        address: str,
        port: int,
        host_index: int,
        sim: SimulatorFront,
        tls_context: ssl.SSLContext | None,
        verbose: bool,
    ) -> None:
        self.address_family = socket.AF_INET6 if ":" in address else socket.AF_INET
        self.host_index = host_index
        self.sim = sim
        self.tls_context = tls_context
        self.verbose = verbose
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        self._closing = False
        super().__init__((address, port), _XapiRequestHandler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind resolves the host's FQDN, a reverse DNS lookup
        # that can take seconds on machines without DNS; it is not needed here.
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name, self.server_port = str(host), int(port)

    def finish_request(self, request: Any, client_address: Any) -> None:
        """Runs in the connection's own thread: TLS handshake, then HTTP."""
        connection = request
        if self.tls_context is not None:
            request.settimeout(HANDSHAKE_TIMEOUT)
            try:
                connection = self.tls_context.wrap_socket(request, server_side=True)
            except (OSError, ValueError):
                return  # failed handshakes (e.g. a client that does not trust our CA)
        with self._connections_lock:
            if self._closing:  # accepted just before shutdown: do not serve it
                connection.close()
                return
            self._connections.add(connection)
        try:
            super().finish_request(connection, client_address)
        finally:
            with self._connections_lock:
                self._connections.discard(connection)
            if connection is not request:
                connection.close()

    @property
    def closing(self) -> bool:
        return self._closing

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients that vanish mid-request are normal; anything else is a bug worth seeing.
        if isinstance(sys.exc_info()[1], OSError):  # resets, timeouts, TLS errors, closed sockets
            return
        sys.stderr.write(f"xapisim: error serving {client_address}:\n{traceback.format_exc()}")

    def close_connections(self) -> None:
        """Wake every connection thread by shutting its socket down."""
        with self._connections_lock:
            self._closing = True
            connections = list(self._connections)
        for connection in connections:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


class _XapiRequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "xapisim"
    timeout = IDLE_TIMEOUT
    # Headers and body leave in two writes; with Nagle on, the second waits for
    # the client's delayed ACK (about 40 ms a request on Linux).
    disable_nagle_algorithm = True
    server: _HostServer

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
        body = self._read_body()
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
        self._send(200, content_type, payload)

    def _call(self, method: str, params: list[Any]) -> Any:
        """Run one call; a crash in the core becomes INTERNAL_ERROR, as in xapi."""
        try:
            return self.server.sim.call(method, params, self.server.host_index)
        except XapiError:
            raise
        except Exception as exc:  # noqa: BLE001 (the client must get an answer)
            sys.stderr.write(f"xapisim: {method} crashed:\n{traceback.format_exc()}")
            raise XapiError("INTERNAL_ERROR", f"{type(exc).__name__}: {exc}") from exc

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


class RunningServer:
    """The listeners of a running simulator; ``shutdown()`` stops them all."""

    def __init__(self, listeners: list[_HostServer], scheme: str) -> None:
        self._listeners: list[_HostServer] = []
        self.scheme = scheme
        self.port = listeners[0].server_port
        for listener in listeners:
            self._start(listener)

    def _start(self, listener: _HostServer) -> None:
        self._listeners.append(listener)
        threading.Thread(target=listener.serve_forever, kwargs={"poll_interval": 0.2},
                         name=f"xapisim-{listener.server_name}", daemon=True).start()

    def add_host(self, host_index: int, address: str) -> None:
        """Listen for a host that joined the pool at run time (``POST /_sim/hosts``)."""
        first = self._listeners[0]
        self._start(_HostServer(address, self.port, host_index, first.sim, first.tls_context, first.verbose))

    @property
    def urls(self) -> list[str]:
        """Base URL of each host, by host index."""
        return [self.url(index) for index in range(len(self._listeners))]

    def url(self, host_index: int) -> str:
        address = self._listeners[host_index].server_name
        host = f"[{address}]" if ":" in address else address
        return f"{self.scheme}://{host}:{self.port}"

    def shutdown(self) -> None:
        # BaseServer.shutdown waits for the serve loop to notice; ask all at once.
        stoppers = [threading.Thread(target=listener.shutdown) for listener in self._listeners]
        for stopper in stoppers:
            stopper.start()
        for stopper in stoppers:
            stopper.join()
        for listener in self._listeners:
            listener.server_close()
            listener.close_connections()


def _tls_context(tls: TlsMaterial) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(tls.cert_path, tls.key_path)
    return context


def _bind_all(
    sim: SimulatorFront, port: int, tls_context: ssl.SSLContext | None, verbose: bool
) -> list[_HostServer]:
    """Bind every host address to one port; with port 0, find one free on all of them."""
    addresses = [address for _name, address in sim.hosts]
    if not addresses:
        raise ValueError("the simulator has no hosts to serve")
    attempts = PORT_ATTEMPTS if port == 0 else 1
    for _attempt in range(attempts):
        listeners: list[_HostServer] = []
        chosen = port
        try:
            for index, address in enumerate(addresses):
                listeners.append(_HostServer(address, chosen, index, sim, tls_context, verbose))
                chosen = listeners[0].server_port  # the kernel's pick for the first address
            return listeners
        except OSError as exc:
            for listener in listeners:
                listener.server_close()
            # Someone else holds that port on a later address: try another port.
            if exc.errno != errno.EADDRINUSE or attempts == 1:
                failed = addresses[len(listeners)]
                raise OSError(exc.errno, f"cannot listen on {failed} port {chosen}: {exc.strerror}") from exc
    raise OSError(errno.EADDRINUSE, f"no port free on all of {', '.join(addresses)}")


def serve(
    sim: SimulatorFront,
    port: int,
    use_tls: bool,
    tls: TlsMaterial | None,
    verbose: bool = False,
) -> RunningServer:
    """Listen on every host's address and serve ``sim`` until ``shutdown()``."""
    if use_tls and tls is None:
        raise ValueError("TLS requested without TLS material")
    tls_context = _tls_context(tls) if use_tls and tls is not None else None
    listeners = _bind_all(sim, port, tls_context, verbose)
    return RunningServer(listeners, "https" if use_tls else "http")
