"""Helpers shared by the networking handlers: address checks, MACs, and which host sees which network."""
from __future__ import annotations

import ipaddress
import re

from ...errors import XapiError
from ...store import Store

_MAC = re.compile(r"^[0-9a-f]{2}([:-])[0-9a-f]{2}(\1[0-9a-f]{2}){4}$")
RUNNING_STATES = ("Running", "Paused")


def is_valid_mac(mac: str) -> bool:
    """Six hex octets separated by ``:`` (or ``-``), as xapi's Helpers.is_valid_MAC accepts."""
    return bool(_MAC.match(mac.lower()))


def assert_valid_ip(version: int, param: str, value: str) -> None:
    """INVALID_IP_ADDRESS_SPECIFIED [param] unless ``value`` is an IPv``version`` address."""
    try:
        valid = ipaddress.ip_address(value).version == version
    except ValueError:
        valid = False
    if not valid:
        raise XapiError("INVALID_IP_ADDRESS_SPECIFIED", param)


def assert_valid_cidr(version: int, param: str, value: str) -> None:
    """INVALID_IP_ADDRESS_SPECIFIED [param] unless ``value`` is ``address/prefix`` of that IP version."""
    try:
        valid = "/" in value and ipaddress.ip_interface(value).version == version
    except ValueError:
        valid = False
    if not valid:
        raise XapiError("INVALID_IP_ADDRESS_SPECIFIED", param)


def assert_valid_dns(version: int, servers: str) -> None:
    """DNS is a comma-separated list of addresses; empty means none."""
    for server in filter(None, servers.split(",")):
        assert_valid_ip(version, "DNS", server.strip())


def network_on_host(store: Store, network: str, host: str) -> bool:
    """Whether ``host`` carries ``network``: a PIF of it on that host, or no PIF at all (host-internal)."""
    pifs = store.get("network", network)["PIFs"]
    records = store.records("PIF")
    return not pifs or any(records[pif]["host"] == host for pif in pifs if pif in records)


def vifs_in_use_on_host(store: Store, network: str, host: str) -> list[str]:
    """Attached VIFs on ``network`` whose VM runs on ``host``."""
    vifs, vms = store.records("VIF"), store.records("VM")
    in_use = []
    for vif in store.get("network", network)["VIFs"]:
        record = vifs.get(vif)
        if record is None or not record["currently_attached"]:
            continue
        vm = vms.get(record["VM"])
        if vm is not None and vm["resident_on"] == host and vm["power_state"] in RUNNING_STATES:
            in_use.append(vif)
    return in_use
