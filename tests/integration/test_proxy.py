"""Connections through an HTTP proxy (CONNECT), started by the test: the proxy option and HTTPS_PROXY / NO_PROXY
from the environment, for the connection layer and for modules in a playbook; proxy credentials never show."""
from __future__ import annotations

import base64
import socket
import threading
from typing import Iterator

import pytest
from harness import run_playbook

from ansible_collections.xen.xapi.plugins.module_utils._xapi.client import XapiClient
from ansible_collections.xen.xapi.plugins.module_utils._xapi.urls import ConnectionParams
from ansible_collections.xen.xapi.plugins.module_utils._xapi.errors import XapiConnectionError


class ConnectProxy:
    """A minimal HTTP CONNECT proxy on loopback that records the tunnels it opens."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.tunnels: list[str] = []
        self.authorizations: list[str] = []
        threading.Thread(target=self._serve, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _serve(self) -> None:
        while True:
            try:
                client, _address = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._tunnel, args=(client,), daemon=True).start()

    def _tunnel(self, client: socket.socket) -> None:
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = client.recv(4096)
            if not chunk:
                client.close()
                return
            head += chunk
        lines = head.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")
        method, target, _version = lines[0].split(" ", 2)
        if method != "CONNECT":
            client.sendall(b"HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n")
            client.close()
            return
        self.tunnels.append(target)
        for line in lines[1:]:
            name, _colon, value = line.partition(":")
            if name.lower() == "proxy-authorization":
                self.authorizations.append(value.strip())
        host, port = target.rsplit(":", 1)
        upstream = socket.create_connection((host, int(port)))
        client.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
        threading.Thread(target=self._pipe, args=(upstream, client), daemon=True).start()
        self._pipe(client, upstream)

    @staticmethod
    def _pipe(source: socket.socket, target: socket.socket) -> None:
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                target.sendall(data)
        except OSError:
            pass
        finally:
            for end in (source, target):
                try:
                    end.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def close(self) -> None:
        self.listener.close()


@pytest.fixture(name="proxy")
def fixture_proxy() -> Iterator[ConnectProxy]:
    proxy = ConnectProxy()
    yield proxy
    proxy.close()


def test_the_proxy_option_tunnels_every_connection_and_keeps_tls_checked(sim, proxy: ConnectProxy) -> None:
    params = ConnectionParams(hostname=sim.url, password=sim.info["password"], ca_path=sim.ca_cert,
                              proxy=f"http://squid:secret@127.0.0.1:{proxy.port}")
    with XapiClient(params) as client:
        assert client.call("pool.get_all")
    host_port = sim.url.split("://", 1)[1]
    assert proxy.tunnels and set(proxy.tunnels) == {host_port}
    assert base64.b64decode(proxy.authorizations[0].split(" ", 1)[1]) == b"squid:secret"


def test_a_proxy_that_does_not_answer_is_reported_without_its_credentials(sim) -> None:
    params = ConnectionParams(hostname=sim.url, password=sim.info["password"], ca_path=sim.ca_cert,
                              proxy="http://squid:secret@127.0.0.1:1", timeout=5)
    with pytest.raises(XapiConnectionError) as caught:
        with XapiClient(params, sleep=lambda seconds: None):
            pass
    assert "secret" not in str(caught.value)


def test_modules_honour_https_proxy_and_no_proxy(sim, proxy: ConnectProxy) -> None:
    run_playbook(sim, "xen_info_count.yml", HTTPS_PROXY=proxy.url, NO_PROXY="")
    tunnelled = len(proxy.tunnels)
    assert tunnelled >= 1, "the module went through the proxy"
    run_playbook(sim, "xen_info_count.yml", HTTPS_PROXY=proxy.url, NO_PROXY="127.0.0.1,127.0.0.2,127.0.0.3")
    assert len(proxy.tunnels) == tunnelled, "NO_PROXY hosts are reached directly"
