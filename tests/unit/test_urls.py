# Copyright: (c) 2026, xen.xapi maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""How user-supplied hosts become base URLs, and how redirects and fallbacks inherit settings."""

from __future__ import annotations

import pytest

from ansible_collections.xen.xapi.plugins.module_utils._xapi.transport import Transport
from ansible_collections.xen.xapi.plugins.module_utils._xapi.urls import build_base_url


@pytest.mark.parametrize("host, expected", [
    ("xs01", "https://xs01"),
    ("xs01.example.com", "https://xs01.example.com"),
    ("  xs01  ", "https://xs01"),
    ("xs01:8443", "https://xs01:8443"),
    ("192.0.2.10", "https://192.0.2.10"),
    ("https://xs01", "https://xs01"),
    ("HTTPS://xs01/", "https://xs01"),
    ("http://xs01", "http://xs01"),
    ("http://127.0.0.1:8080", "http://127.0.0.1:8080"),
    ("2001:db8::10", "https://[2001:db8::10]"),
    ("[2001:db8::10]:8443", "https://[2001:db8::10]:8443"),
    ("http://[::1]:8080", "http://[::1]:8080"),
])
def test_build_base_url(host: str, expected: str) -> None:
    assert build_base_url(host) == expected


@pytest.mark.parametrize("host, message", [
    ("", "names no host"),
    ("ftp://xs01", "scheme"),
    ("https://xs01/jsonrpc", "path"),
    ("https://root:secret@xs01", "credentials"),
    ("https://root:secret@xs01/path", "path"),
    ("ftp://root:secret@xs01", "scheme"),
    ("xs01:99999", "invalid port"),
    ("xs01:abc", "invalid port"),
    ("[2001:db8::10", "unclosed"),
    ("https://", "names no host"),
])
def test_build_base_url_rejects(host: str, message: str) -> None:
    with pytest.raises(ValueError, match=message) as info:
        build_base_url(host)
    assert "secret" not in str(info.value)


def test_master_address_inherits_scheme_and_port() -> None:
    assert build_base_url("192.0.2.20", like="http://127.0.0.1:8080") == "http://192.0.2.20:8080"
    assert build_base_url("192.0.2.20", like="https://xs01") == "https://192.0.2.20"
    assert build_base_url("192.0.2.20:9443", like="https://xs01:8443") == "https://192.0.2.20:9443"


def test_explicit_scheme_is_not_overridden() -> None:
    assert build_base_url("https://xs02", like="http://xs01:8080") == "https://xs02"


@pytest.mark.parametrize("protocol, url", [("jsonrpc", "https://xs01:8443/jsonrpc"), ("xmlrpc", "https://xs01:8443/")])
def test_transport_endpoint_per_protocol(protocol: str, url: str) -> None:
    transport = Transport("https://xs01:8443", protocol=protocol, validate_certs=False)
    assert transport.url == url


def test_transport_rejects_unknown_protocol() -> None:
    with pytest.raises(ValueError, match="soap"):
        Transport("https://xs01", protocol="soap")
