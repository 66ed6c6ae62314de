"""The simulator's HTTP(S) front: one listener per simulated host.

Every host of the pool listens on its own loopback address (127.0.0.1,
127.0.0.2, ...) and all share one port, so a client sees a pool whose members
have distinct addresses, exactly as in production. A request is served by
``Simulator.call`` with the index of the host it arrived on, which lets the
core answer ``HOST_IS_SLAVE`` on members.

What each host answers, request by request, is in ``http_handler.py``.

Connections are HTTP/1.1 keep-alive, one thread each; the TLS handshake runs
in that thread too, so a client that stalls mid-handshake blocks nobody.
"""

from __future__ import annotations

import errno
import socket
import socketserver
import ssl
import sys
import threading
import traceback
from http.server import ThreadingHTTPServer
from typing import Any

from .certs import TlsMaterial
from .http_handler import SimulatorFront, XapiRequestHandler

__all__ = ["SimulatorFront", "RunningServer", "serve"]

HANDSHAKE_TIMEOUT = 10.0  # seconds a client gets to finish the TLS handshake
PORT_ATTEMPTS = 20  # tries to find a port free on every host address


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
        super().__init__((address, port), XapiRequestHandler)

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
        self.add_listener(address, self._listeners[0].sim, host_index)

    def add_listener(self, address: str, sim: SimulatorFront, host_index: int) -> None:
        """Listen on ``address`` (the shared port) for host ``host_index`` of ``sim``, e.g. a standalone host."""
        first = self._listeners[0]
        self._start(_HostServer(address, self.port, host_index, sim, first.tls_context, first.verbose))

    def repoint(self, address: str, sim: SimulatorFront, host_index: int) -> None:
        """From now on, requests to ``address`` are served by host ``host_index`` of ``sim`` (a host changed pools)."""
        for listener in self._listeners:
            if listener.server_name == address:
                listener.sim, listener.host_index = sim, host_index

    def reindex(self, sim: SimulatorFront) -> None:
        """The hosts of ``sim`` changed: each of its listeners takes the index of its address again."""
        indices = {address: index for index, (_name, address) in enumerate(sim.hosts)}
        for listener in self._listeners:
            if listener.sim is sim and listener.server_name in indices:
                listener.host_index = indices[listener.server_name]

    @property
    def urls(self) -> list[str]:
        """Base URL of each host, by host index."""
        return [self.url(index) for index in range(len(self._listeners))]

    def url(self, host_index: int) -> str:
        return self.url_of(self._listeners[host_index].server_name)

    def url_of(self, address: str) -> str:
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
