# Copyright: (c) 2026, xen.xapi maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Where and how to connect: the connection options, the hosts users type (hostname, fallback_hosts, a proxy) as
base URLs, and credentials written into URLs."""

from __future__ import annotations

import dataclasses
import typing as t
from urllib.parse import urlsplit


def _split_host_port(authority: str) -> tuple[str, str]:
    """Split "host", "host:port", "[v6]:port" or a bare IPv6 literal into (host, port)."""
    if authority.startswith("["):
        end = authority.find("]")
        if end < 0:
            raise ValueError("Host {0!r} has an unclosed IPv6 bracket.".format(authority))
        rest = authority[end + 1:]
        if rest and not rest.startswith(":"):
            raise ValueError("Host {0!r} has text after the IPv6 address.".format(authority))
        return authority[:end + 1], rest[1:]
    if authority.count(":") > 1:
        return "[" + authority + "]", ""
    host, _sep, port = authority.partition(":")
    return host, port


def without_credentials(text: str) -> str:
    """A host or URL as it may be shown: "https://root:secret@host/" becomes "https://host/"."""
    scheme, sep, rest = text.partition("://")
    if not sep:
        scheme, rest = "", text
    authority, slash, path = rest.partition("/")
    authority = authority.rpartition("@")[2]
    return (scheme + sep if sep else "") + authority + slash + path


def url_credentials(text: t.Optional[str]) -> str:
    """The "user:password" written into a URL ("https://root:secret@host/" gives "root:secret"), or ""."""
    rest = str(text or "").partition("://")[2] or str(text or "")
    authority = rest.partition("/")[0]
    return authority.rpartition("@")[0]


def build_base_url(host: str, like: t.Optional[str] = None) -> str:
    """Turn a user-supplied host into a base URL such as "https://host" or "http://host:8080".

    A host without a scheme gets https, or, when `like` (another base URL) is given, the scheme
    of `like` and, if the host names no port, its port too: that is how a pool master address
    reported by HOST_IS_SLAVE, or a fallback host, keeps the connection settings.
    An explicit http:// is accepted (callers should warn); paths and credentials are refused.
    """
    text = host.strip()
    host = without_credentials(text)  # what messages show
    scheme = ""
    if "://" in text:
        scheme, text = text.split("://", 1)
        scheme = scheme.lower()
        if scheme not in ("http", "https"):
            raise ValueError("Host {0!r} uses the scheme {1!r}; only https and http are supported.".format(host, scheme))
    text = text.rstrip("/")
    if "/" in text:
        raise ValueError("Host {0!r} must not include a path.".format(host))
    if "@" in text:
        raise ValueError("Host must not include credentials; use the username and password options.")
    hostname, port = _split_host_port(text)
    if not hostname or hostname == "[]":
        raise ValueError("Host {0!r} names no host.".format(host))
    if port and (not port.isdigit() or not 0 < int(port) < 65536):
        raise ValueError("Host {0!r} has an invalid port {1!r}.".format(host, port))
    if not scheme:
        model = urlsplit(like) if like else None
        scheme = model.scheme if model else "https"
        if not port and model and model.port:
            port = str(model.port)
    return "{0}://{1}{2}".format(scheme, hostname, ":" + port if port else "")


@dataclasses.dataclass
class ConnectionParams:
    """Where and how to connect; built from the common module options."""

    hostname: str
    username: str = "root"
    password: str = dataclasses.field(default="", repr=False)
    validate_certs: bool = True
    ca_path: t.Optional[str] = None
    protocol: str = "jsonrpc"
    timeout: float = 60
    fallback_hosts: list[str] = dataclasses.field(default_factory=list)
    # An HTTP proxy for every connection; None: HTTPS_PROXY / HTTP_PROXY / NO_PROXY from the environment.
    proxy: t.Optional[str] = dataclasses.field(default=None, repr=False)

    @classmethod
    def from_module_params(cls, params: t.Mapping[str, t.Any]) -> ConnectionParams:
        return cls(
            hostname=params["hostname"],
            username=params.get("username") or "root",
            password=params.get("password") or "",
            validate_certs=params.get("validate_certs", True) is not False,
            ca_path=params.get("ca_path") or None,
            protocol=params.get("protocol") or "jsonrpc",
            timeout=params.get("timeout") or 60,
            fallback_hosts=list(params.get("fallback_hosts") or []),
            proxy=params.get("proxy") or None,
        )


PLAIN_HTTP_WARNING = ("Connecting to {0} over plain HTTP: the password and all data travel unencrypted. "
                      "Use https:// (the default when no scheme is given) outside test setups.")


def plain_http_urls(params: ConnectionParams) -> list[str]:
    """The hosts (configured and fallback) that would be talked to without TLS; ValueError for a bad host."""
    base_url = build_base_url(params.hostname)
    every_url = [base_url] + [build_base_url(host, like=base_url) for host in params.fallback_hosts]
    return [url for url in dict.fromkeys(every_url) if url.startswith("http://")]
