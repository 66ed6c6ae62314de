# Copyright: (c) 2026, xen.xapi maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""HTTP(S) transport for XAPI calls over JSON-RPC or XML-RPC, standard library only."""

from __future__ import annotations

import http.client
import os
import selectors
import socket
import ssl
import typing as t
import xml.parsers.expat
import xmlrpc.client
import base64
import urllib.request
from urllib.parse import unquote, urlsplit

from ansible_collections.xen.xapi.plugins.module_utils._xapi import codec, errors

PROTOCOLS = ("jsonrpc", "xmlrpc")
_PATHS = {"jsonrpc": "/jsonrpc", "xmlrpc": "/"}
_CONTENT_TYPES = {"jsonrpc": "application/json", "xmlrpc": "text/xml"}


# --- HTTP -------------------------------------------------------------------------------------

def make_ssl_context(validate_certs: bool, ca_path: t.Optional[str]) -> ssl.SSLContext:
    """Verifying context (system CAs, or ca_path: a PEM file or a hashed directory), or an unverified one."""
    if not validate_certs:
        # Not ssl.create_default_context(): it would load every system CA (about 20 ms) only to trust none of them.
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return context
    if ca_path and os.path.isdir(ca_path):
        return ssl.create_default_context(capath=ca_path)
    return ssl.create_default_context(cafile=ca_path or None)


def _socket_is_stale(sock: socket.socket) -> bool:
    """An idle keep-alive socket with something to read was closed (or spoiled) by the server."""
    try:
        with selectors.DefaultSelector() as selector:
            selector.register(sock, selectors.EVENT_READ)
            return bool(selector.select(timeout=0))
    except (OSError, ValueError):
        return True


def _reason(err: BaseException, timeout: float) -> str:
    """A short explanation of a network failure; never includes request data."""
    if isinstance(err, ssl.SSLCertVerificationError):
        return ("TLS certificate verification failed ({0}); set ca_path to the CA that signed the host's certificate, "
                "or validate_certs to false for self-signed certificates".format(err.verify_message or err))
    if isinstance(err, ssl.SSLError):
        return "TLS error: {0}".format(err)
    if isinstance(err, (socket.timeout, TimeoutError)):
        return "no answer within {0:g} seconds".format(timeout)
    if isinstance(err, socket.gaierror):
        return "cannot resolve the host name ({0})".format(err.strerror or err)
    if isinstance(err, http.client.RemoteDisconnected):
        return "the server closed the connection without answering"
    if isinstance(err, OSError) and err.strerror:
        return err.strerror[0].lower() + err.strerror[1:]
    return str(err) or type(err).__name__


# TLS failures that are really the connection dropping mid-handshake: worth another try.
_TRANSIENT_TLS_ERRORS = (ssl.SSLEOFError, ssl.SSLZeroReturnError, ssl.SSLSyscallError)


def _is_tls_failure(err: BaseException) -> bool:
    """A certificate or protocol problem that no retry can fix (unlike a reset during the handshake)."""
    return isinstance(err, ssl.SSLError) and not isinstance(err, _TRANSIENT_TLS_ERRORS)


def _connection_error(url: str, err: BaseException, timeout: float, request_sent: bool) -> errors.XapiConnectionError:
    """The connection-layer exception for a network failure, classified for the retry logic."""
    if _is_tls_failure(err):
        return errors.XapiTlsError(url, _reason(err, timeout), request_sent=request_sent)
    timed_out = isinstance(err, (socket.timeout, TimeoutError))
    return errors.XapiConnectionError(url, _reason(err, timeout), request_sent=request_sent, timed_out=timed_out)


def proxy_for(scheme: str, host: str, proxy: t.Optional[str] = None) -> t.Optional[str]:
    """The proxy URL a connection to ``host`` goes through, or None for a direct one.

    An explicit ``proxy`` option wins; otherwise the environment decides, as for Ansible's own uri module and
    every urllib client: HTTPS_PROXY / HTTP_PROXY (by the scheme of the connection), minus NO_PROXY.
    """
    if proxy:
        return proxy
    found = urllib.request.getproxies().get(scheme)
    if not found or urllib.request.proxy_bypass(host):
        return None
    return found


def open_connection(scheme: str, host: str, port: t.Optional[int], timeout: float, ssl_context: t.Optional[ssl.SSLContext],
                    proxy: t.Optional[str] = None) -> http.client.HTTPConnection:
    """An HTTP(S) connection to host:port, tunnelled through the proxy that applies (CONNECT), if any.

    Through a tunnel the TLS session is still with the XAPI host, certificate and name checked as on a direct one;
    the proxy only sees the host and port. Proxy credentials in its URL go in a Proxy-Authorization header.
    """
    proxy_url = proxy_for(scheme, host, proxy)
    if proxy_url is None:
        if ssl_context is not None:
            return http.client.HTTPSConnection(host, port, timeout=timeout, context=ssl_context)
        return http.client.HTTPConnection(host, port, timeout=timeout)
    parts = urlsplit(proxy_url if "://" in proxy_url else "http://" + proxy_url)
    headers = {}
    if parts.username is not None:
        credentials = "{0}:{1}".format(unquote(parts.username), unquote(parts.password or ""))
        headers["Proxy-Authorization"] = "Basic " + base64.b64encode(credentials.encode("utf-8")).decode("ascii")
    target_port = port or (443 if ssl_context is not None else 80)
    connection: http.client.HTTPConnection
    if ssl_context is not None:
        connection = http.client.HTTPSConnection(parts.hostname or "", parts.port or 3128, timeout=timeout, context=ssl_context)
    else:
        connection = http.client.HTTPConnection(parts.hostname or "", parts.port or 3128, timeout=timeout)
    connection.set_tunnel(host, target_port, headers=headers)
    return connection


# Bytes of requests sent together at most: well within what the two sides' socket buffers hold, so that sending them
# all never waits on the server, which answers the first before it reads the next (a larger batch could deadlock:
# each side writing while the other is not reading).
PIPELINE_BYTES = 32 * 1024


def pipeline_batches(sizes: t.Sequence[int], limit: int) -> t.List[t.Tuple[int, int]]:
    """(start, end) ranges of the requests sent together: each batch at most ``limit`` bytes, or a single request."""
    batches: t.List[t.Tuple[int, int]] = []
    start = total = 0
    for index, size in enumerate(sizes):
        if index > start and total + size > limit:
            batches.append((start, index))
            start, total = index, 0
        total += size
    if sizes:
        batches.append((start, len(sizes)))
    return batches


class _SharedReader:
    """The connection's one buffered reader, lent to each HTTPResponse of a pipeline in turn.

    A response closes the file it read from once done; this one must stay open, since it may already hold the
    bytes of the answers after it.
    """

    def __init__(self, reader: t.BinaryIO) -> None:
        self._reader = reader

    def makefile(self, *_args: t.Any, **_kwargs: t.Any) -> _SharedReader:
        return self

    def __getattr__(self, name: str) -> t.Any:
        return getattr(self._reader, name)

    def close(self) -> None:
        """Left open for the next answer; the pipeline closes the reader when it is done."""


class Transport:
    """One persistent HTTP(S) connection to one XAPI endpoint.

    The connection is kept alive across calls. A kept-alive socket that the server closed while
    idle is replaced before sending; a request is never sent again once it may have reached the
    server (the caller decides whether the call is safe to repeat).
    """

    def __init__(self, base_url: str, protocol: str = "jsonrpc", validate_certs: bool = True,
                 ca_path: t.Optional[str] = None, timeout: float = 60, user_agent: str = "xen.xapi",
                 proxy: t.Optional[str] = None) -> None:
        if protocol not in PROTOCOLS:
            raise ValueError("Protocol {0!r} is not supported; use one of {1}.".format(protocol, ", ".join(PROTOCOLS)))
        parts = urlsplit(base_url)
        self.base_url = base_url
        self.protocol = protocol
        self.timeout = float(timeout)
        self.url = base_url + _PATHS[protocol]
        self._scheme = parts.scheme
        self._host = parts.hostname or ""
        self._port = parts.port
        self._proxy = proxy
        self._headers = {"Content-Type": _CONTENT_TYPES[protocol], "User-Agent": user_agent}
        self._request_id = 0
        self._connection: t.Optional[http.client.HTTPConnection] = None
        self._ssl_context: t.Optional[ssl.SSLContext] = None
        if parts.scheme == "https":
            try:
                self._ssl_context = make_ssl_context(validate_certs, ca_path)
            except (OSError, ssl.SSLError) as err:
                raise errors.XapiTlsError(self.url, "cannot load CA certificates from {0}: {1}".format(ca_path, err))

    def __repr__(self) -> str:
        return "Transport({0!r}, protocol={1!r})".format(self.base_url, self.protocol)

    def call(self, method: str, params: t.Sequence[t.Any], reply_within: t.Optional[float] = None) -> t.Any:
        """Send one call; return its value, or raise XapiError / XapiConnectionError.

        reply_within: seconds to wait for this call's answer, instead of the connection's timeout.
        """
        body = self._encode(method, params)
        try:
            status, reason, payload = self._post(body, reply_within)
        except errors.XapiConnectionError as err:
            err.method = method
            raise
        return self._decode(method, status, reason, payload)

    def call_pipelined(self, calls: t.Sequence[t.Tuple[str, t.Sequence[t.Any]]]) -> t.Tuple[t.List[t.Any], t.Optional[errors.XapiConnectionError]]:
        """Send several calls at once on the kept-alive connection, then read their answers in order (HTTP pipelining).

        xapi reads each request off its connection exactly (http.ml ``read_up_to``, http_svr.ml ``read_body``) and
        serves the next when it has answered one (``handle_connection``), so calls sent together cost one round trip.
        Returns the answers read in full, in order (each the call's value or the XapiBaseError it failed with), and
        the network failure that cut the rest off, if any (the connection is closed then). The caller sends the calls
        left unanswered again, so only calls that are safe to repeat (reads) belong here.
        """
        requests = [self._request_bytes(self._encode(method, params)) for method, params in calls]
        answers: t.List[t.Any] = []
        for start, end in pipeline_batches([len(request) for request in requests], PIPELINE_BYTES):
            failure = self._send_together([method for method, _params in calls[start:end]], b"".join(requests[start:end]), answers)
            if failure is not None or len(answers) < end:
                return answers, failure
        return answers, None

    def _send_together(self, methods: t.Sequence[str], requests: bytes, answers: t.List[t.Any]) -> t.Optional[errors.XapiConnectionError]:
        """One batch of call_pipelined: its answers are appended to ``answers``; returns the failure that stopped it."""
        try:
            connection, _kept_alive = self._connected()
        except errors.XapiConnectionError as err:
            err.method = methods[0]
            return err
        answered = 0
        try:
            sock = t.cast(socket.socket, connection.sock)
            sock.sendall(requests)
            with sock.makefile("rb") as reader:
                for method in methods:
                    response = http.client.HTTPResponse(t.cast(socket.socket, _SharedReader(reader)), method="POST")
                    response.begin()
                    payload = response.read()
                    answered += 1
                    try:
                        answers.append(self._decode(method, response.status, response.reason, payload))
                    except errors.XapiBaseError as err:
                        answers.append(err)
                    if response.will_close:
                        self.close()
                        return None
        except (OSError, http.client.HTTPException) as err:
            self.close()
            failure = _connection_error(self.url, err, self.timeout, request_sent=True)
            failure.method = methods[min(answered, len(methods) - 1)]
            return failure
        return None

    def _encode(self, method: str, params: t.Sequence[t.Any]) -> bytes:
        if self.protocol == "jsonrpc":
            self._request_id += 1
            return codec.encode_jsonrpc_request(method, params, self._request_id)
        return codec.encode_xmlrpc_request(method, params)

    def _decode(self, method: str, status: int, reason: str, payload: bytes) -> t.Any:
        if status != 200:
            raise errors.XapiProtocolError(self.url, "HTTP {0} {1}".format(status, reason))
        try:
            if self.protocol == "jsonrpc":
                return codec.decode_jsonrpc_response(payload)
            return codec.decode_xmlrpc_response(payload)
        except errors.XapiError as err:
            err.method = method
            raise
        except (ValueError, xml.parsers.expat.ExpatError, xmlrpc.client.ResponseError) as err:
            raise errors.XapiProtocolError(self.url, "unreadable {0} response ({1})".format(self.protocol, err))

    def _request_bytes(self, body: bytes) -> bytes:
        """One POST as http.client sends it (the Host header names the XAPI host, through a proxy's tunnel too)."""
        host = "[{0}]".format(self._host) if ":" in self._host else self._host
        if self._port:
            host += ":{0}".format(self._port)
        lines = ["POST {0} HTTP/1.1".format(_PATHS[self.protocol]), "Host: " + host, "Accept-Encoding: identity",
                 "Content-Length: {0}".format(len(body))]
        lines.extend("{0}: {1}".format(name, value) for name, value in self._headers.items())
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body

    @property
    def connected(self) -> bool:
        """Whether a kept-alive connection is open (it may still turn out to be stale)."""
        return self._connection is not None and self._connection.sock is not None

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def _new_connection(self) -> http.client.HTTPConnection:
        return open_connection(self._scheme, self._host, self._port, self.timeout, self._ssl_context, self._proxy)

    def _connected(self) -> tuple[http.client.HTTPConnection, bool]:
        """Return a connected HTTP connection and whether it is a kept-alive one."""
        connection = self._connection
        if connection is not None and connection.sock is not None:
            if not _socket_is_stale(connection.sock):
                return connection, True
            self.close()
        if self._connection is None:
            self._connection = self._new_connection()
        try:
            self._connection.connect()
        except (OSError, http.client.HTTPException) as err:
            self.close()
            raise _connection_error(self.url, err, self.timeout, request_sent=False)
        return self._connection, False

    def _post(self, body: bytes, reply_within: t.Optional[float] = None) -> tuple[int, str, bytes]:
        connection, kept_alive = self._connected()
        try:
            connection.request("POST", _PATHS[self.protocol], body=body, headers=self._headers)
        except (OSError, http.client.HTTPException) as err:
            self.close()
            if not kept_alive:
                raise _connection_error(self.url, err, self.timeout, request_sent=False)
            # The kept-alive socket died while sending: the server got at most part of the
            # request and cannot have acted on it, so it goes once more on a fresh connection.
            connection, _kept_alive = self._connected()
            try:
                connection.request("POST", _PATHS[self.protocol], body=body, headers=self._headers)
            except (OSError, http.client.HTTPException) as retry_err:
                self.close()
                raise _connection_error(self.url, retry_err, self.timeout, request_sent=False)
        waited = self.timeout if reply_within is None else reply_within
        try:
            if reply_within is not None and connection.sock is not None:
                connection.sock.settimeout(reply_within)
            response = connection.getresponse()
            payload = response.read()
        except (OSError, http.client.HTTPException) as err:
            self.close()
            raise _connection_error(self.url, err, waited, request_sent=True)
        if reply_within is not None and connection.sock is not None:
            connection.sock.settimeout(self.timeout)
        return response.status, response.reason, payload
