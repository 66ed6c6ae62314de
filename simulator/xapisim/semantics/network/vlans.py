"""VLANs: VLAN.create / destroy, the VLAN interfaces they make (PIF.create_VLAN, PIF.destroy), and
the pool-wide pool.create_VLAN_from_PIF / pool.create_VLAN.

A VLAN joins a tagged PIF (a host's physical interface) to a network through a new, untagged PIF
on that host (``VLAN`` = the tag, ``physical`` false, ``VLAN_master_of`` = the VLAN), plugged at
once. Pool-wide creation is all or nothing: a failure on one host removes what was made.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from ...errors import XapiError
from ...registry import handles
from ...store import NULL_REF, Store, new_ref
from .pifs import assert_can_unplug, base_pif

if TYPE_CHECKING:
    from ...context import CallContext

MAX_VLAN_TAG = 4094  # 4095 is reserved by 802.1Q


def _assert_can_tag(store: Store, tagged_pif: str, tag: int, network: str) -> None:
    """VLAN.create's checks, in xapi's order."""
    pif = store.get("PIF", tagged_pif)
    net = store.get("network", network)
    if not net["managed"]:
        raise XapiError("NETWORK_UNMANAGED", network)
    if not pif["managed"]:
        raise XapiError("PIF_UNMANAGED", tagged_pif)
    pifs = store.records("PIF")
    connected = [other for other in net["PIFs"] if pifs.get(other, {}).get("host") == pif["host"]]
    if connected:
        raise XapiError("NETWORK_ALREADY_CONNECTED", pif["host"], connected[0])
    if pif["bond_slave_of"] != NULL_REF:
        raise XapiError("CANNOT_ADD_VLAN_TO_BOND_SLAVE", tagged_pif)
    if pif["VLAN"] >= 0:
        raise XapiError("PIF_IS_VLAN", tagged_pif)
    if not 0 <= tag <= MAX_VLAN_TAG:
        raise XapiError("VLAN_TAG_INVALID", tag)
    vlans = store.records("VLAN")
    if any(vlans[vlan]["tag"] == tag for vlan in pif["VLAN_slave_of"] if vlan in vlans):
        raise XapiError("PIF_VLAN_EXISTS", pif["device"])
    if pif["tunnel_access_PIF_of"]:
        raise XapiError("IS_TUNNEL_ACCESS_PIF", tagged_pif)


def create_vlan(store: Store, tagged_pif: str, tag: int, network: str) -> str:
    """Check, then make the VLAN and its plugged untagged PIF; returns the VLAN."""
    _assert_can_tag(store, tagged_pif, tag, network)
    pif = store.get("PIF", tagged_pif)
    vlan = new_ref()
    untagged = store.create("PIF", {
        "device": pif["device"], "network": network, "host": pif["host"], "MAC": pif["MAC"], "MTU": pif["MTU"],
        "VLAN": tag, "metrics": pif["metrics"], "physical": False, "currently_attached": True,
        "ip_configuration_mode": "None", "ipv6_configuration_mode": "None", "VLAN_master_of": vlan,
        "managed": True, "primary_address_type": "IPv4",
    })
    # VLAN.untagged_PIF and PIF.VLAN_master_of are not a maintained relation: both are set here.
    store.create("VLAN", {"tagged_PIF": tagged_pif, "untagged_PIF": untagged, "tag": tag}, ref=vlan)
    return vlan


def _remove_vlan(store: Store, vlan: str) -> None:
    untagged = store.get("VLAN", vlan)["untagged_PIF"]
    store.destroy("VLAN", vlan)
    if store.exists("PIF", untagged):
        store.destroy("PIF", untagged)


def destroy_vlan(store: Store, vlan: str) -> None:
    """Unplug and remove the VLAN's untagged PIF, then the VLAN (an orphaned VLAN just goes)."""
    untagged = store.get("VLAN", vlan)["untagged_PIF"]
    record = store.records("PIF").get(untagged)
    if record is not None:
        if record["VLAN"] < 0:
            raise XapiError("PIF_IS_PHYSICAL", untagged)
        assert_can_unplug(store, untagged)
    _remove_vlan(store, vlan)


def _create_on_each(store: Store, tagged_pifs: list[str], tag: int, network: str) -> list[str]:
    """One VLAN per tagged PIF, all or none; returns the new untagged PIFs."""
    created: list[str] = []
    try:
        for tagged in tagged_pifs:
            created.append(create_vlan(store, tagged, tag, network))
    except XapiError:
        for vlan in created:
            _remove_vlan(store, vlan)
        raise
    return [store.get("VLAN", vlan)["untagged_PIF"] for vlan in created]


def _host_is_live(store: Store, host: str) -> bool:
    metrics = store.records("host_metrics").get(store.get("host", host)["metrics"])
    return metrics is None or metrics["live"]


@handles("VLAN.create")
def vlan_create(ctx: "CallContext", tagged_pif: str, tag: int, network: str) -> str:
    return create_vlan(ctx.store, tagged_pif, tag, network)


@handles("VLAN.destroy")
def vlan_destroy(ctx: "CallContext", vlan: str) -> str:
    destroy_vlan(ctx.store, vlan)
    return ""


@handles("PIF.destroy")
def pif_destroy(ctx: "CallContext", pif: str) -> str:
    """Only a VLAN interface can be destroyed, which destroys its VLAN."""
    record = ctx.store.get("PIF", pif)
    if record["VLAN"] < 0:
        raise XapiError("PIF_IS_PHYSICAL", pif)
    destroy_vlan(ctx.store, record["VLAN_master_of"])
    return ""


@handles("PIF.create_VLAN")
def pif_create_vlan(ctx: "CallContext", device: str, network: str, host: str, tag: int) -> str:
    vlan = create_vlan(ctx.store, base_pif(ctx.store, host, device), tag, network)
    return ctx.store.get("VLAN", vlan)["untagged_PIF"]


@handles("pool.create_VLAN_from_PIF")
def pool_create_vlan_from_pif(ctx: "CallContext", pif: str, network: str, tag: int) -> list[str]:
    """The VLAN on every live host that has a PIF on the same network as ``pif``."""
    store = ctx.store
    source = store.get("PIF", pif)
    store.get("network", network)
    pifs = store.records("PIF")
    siblings = store.get("network", source["network"])["PIFs"] if source["network"] != NULL_REF else [pif]
    targets = [other for other in siblings if other in pifs and _host_is_live(store, pifs[other]["host"])]
    return _create_on_each(store, targets, tag, network)


@handles("pool.create_VLAN")
def pool_create_vlan(ctx: "CallContext", device: str, network: str, tag: int) -> list[str]:
    """The VLAN on ``device`` of every host (deprecated in favour of create_VLAN_from_PIF)."""
    store = ctx.store
    store.get("network", network)
    targets = [base_pif(store, host, device) for host in ctx.sim.host_refs]
    return _create_on_each(store, targets, tag, network)
