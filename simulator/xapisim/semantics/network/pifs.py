"""PIF.*: plug, unplug, and IP configuration (IPv4 and IPv6).

VLAN interfaces (``PIF.create_VLAN``, ``PIF.destroy``) are in ``network_vlans.py``.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ...errors import XapiError
from ...registry import handles
from ...store import NULL_REF, Store
from .common import assert_valid_cidr, assert_valid_dns, assert_valid_ip, vifs_in_use_on_host

if TYPE_CHECKING:
    from ...context import CallContext

DHCP_NETMASK = "255.255.255.0"


def managed_pif(store: Store, pif: str) -> dict[str, Any]:
    """The PIF's record; PIF_UNMANAGED [pif] when xapi does not manage it."""
    record = store.get("PIF", pif)
    if not record["managed"]:
        raise XapiError("PIF_UNMANAGED", pif)
    return record


@handles("PIF.plug")
def plug(ctx: "CallContext", pif: str) -> str:
    store = ctx.store
    record = managed_pif(store, pif)
    if record["bond_slave_of"] != NULL_REF:
        raise XapiError("CANNOT_PLUG_BOND_SLAVE", pif)
    # A VLAN interface needs the interface it is tagged on to be up too.
    vlan = store.records("VLAN").get(record["VLAN_master_of"])
    if vlan is not None and store.exists("PIF", vlan["tagged_PIF"]):
        store.update("PIF", vlan["tagged_PIF"], currently_attached=True)
    store.update("PIF", pif, currently_attached=True)
    return ""


def assert_can_unplug(store: Store, pif: str) -> dict[str, Any]:
    """xapi's checks before bringing an interface down, in its order."""
    record = managed_pif(store, pif)
    if record["management"]:
        raise XapiError("PIF_IS_MANAGEMENT_INTERFACE", pif)
    in_use = vifs_in_use_on_host(store, record["network"], record["host"]) if record["network"] != NULL_REF else []
    if in_use:
        raise XapiError("VIF_IN_USE", record["network"], in_use[0])
    if record["disallow_unplug"]:
        raise XapiError("PIF_DOES_NOT_ALLOW_UNPLUG", pif)
    return record


@handles("PIF.unplug")
def unplug(ctx: "CallContext", pif: str) -> str:
    assert_can_unplug(ctx.store, pif)
    ctx.store.update("PIF", pif, currently_attached=False)
    return ""


@handles("PIF.set_disallow_unplug")
def set_disallow_unplug(ctx: "CallContext", pif: str, value: bool) -> str:
    ctx.store.get("PIF", pif)
    ctx.store.update("PIF", pif, disallow_unplug=value)
    return ""


@handles("PIF.set_primary_address_type")
def set_primary_address_type(ctx: "CallContext", pif: str, address_type: str) -> str:
    if ctx.store.get("PIF", pif)["management"]:
        raise XapiError("PIF_IS_MANAGEMENT_INTERFACE", pif)
    ctx.store.update("PIF", pif, primary_address_type=address_type)
    return ""


# ---- IP configuration -------------------------------------------------------------------------
def _dhcp_address(record: dict[str, Any]) -> str:
    """What the DHCP server hands out: the current address if there is one, else one from the MAC."""
    if record["IP"]:
        return record["IP"]
    octets = [int(part, 16) for part in record["MAC"].split(":")[-2:]] if record["MAC"].count(":") == 5 else [0, 0]
    return f"10.1.{octets[0]}.{2 + octets[1] % 253}"


@handles("PIF.reconfigure_ip")
def reconfigure_ip(ctx: "CallContext", pif: str, mode: str, ip: str, netmask: str, gateway: str, dns: str) -> str:
    store = ctx.store
    record = managed_pif(store, pif)
    if mode == "Static":
        assert_valid_ip(4, "IP", ip)
        assert_valid_ip(4, "netmask", netmask)
    for param, value in (("IP", ip), ("netmask", netmask), ("gateway", gateway)):
        if value:
            assert_valid_ip(4, param, value)
    assert_valid_dns(4, dns)
    if record["management"] and mode == "None" and record["primary_address_type"] == "IPv4":
        raise XapiError("PIF_IS_MANAGEMENT_INTERFACE", pif)
    if mode == "DHCP":
        ip, netmask = ip or _dhcp_address(record), netmask or record["netmask"] or DHCP_NETMASK
    store.update("PIF", pif, ip_configuration_mode=mode, IP=ip, netmask=netmask, gateway=gateway, DNS=dns)
    return ""


@handles("PIF.reconfigure_ipv6")
def reconfigure_ipv6(ctx: "CallContext", pif: str, mode: str, ipv6: str, gateway: str, dns: str) -> str:
    store = ctx.store
    record = managed_pif(store, pif)
    if gateway:
        assert_valid_ip(6, "gateway", gateway)
    if ipv6:
        assert_valid_cidr(6, "IPv6", ipv6)
    assert_valid_dns(6, dns)
    if record["management"] and mode == "None" and record["primary_address_type"] == "IPv6":
        raise XapiError("PIF_IS_MANAGEMENT_INTERFACE", pif)
    fields: dict[str, Any] = {"ipv6_configuration_mode": mode, "ipv6_gateway": gateway, "IPv6": [ipv6] if ipv6 else []}
    if dns:
        fields["DNS"] = dns
    store.update("PIF", pif, **fields)
    return ""


def base_pif(store: Store, host: str, device: str) -> str:
    """The host's untagged PIF for ``device``; INVALID_VALUE ["device", device] when it has none."""
    pifs = store.records("PIF")
    for pif in store.get("host", host)["PIFs"]:
        record = pifs.get(pif)
        if record is not None and record["device"] == device and record["VLAN"] == -1:
            return pif
    raise XapiError("INVALID_VALUE", "device", device)
