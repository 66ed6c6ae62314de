"""network.*: create (bridge names), destroy (refused while VIFs are attached or PIFs exist),
purposes and the default locking mode.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ...errors import XapiError
from ...registry import handles
from .vifs import destroy_vif_record
from ..storage.common import constructor_fields

if TYPE_CHECKING:
    from ...context import CallContext

BRIDGE_STEM = "xapi"
# Prefixes of the bridges xapi and the host make themselves; clients may not pick such names.
RESERVED_BRIDGE_PREFIXES = ("xen", "xapi", "vif", "tap", "eth")
MAX_BRIDGE_LENGTH = 15
DEFAULT_MTU = 1500
# Purposes that cannot coexist anywhere in the pool.
CONFLICTING_PURPOSES = {"nbd": "insecure_nbd", "insecure_nbd": "nbd"}
HIMN_KEY = "is_host_internal_management_network"


def _bridge_for(ctx: "CallContext", requested: str) -> str:
    bridges = {record["bridge"] for record in ctx.store.records("network").values()}
    if requested == "":
        number = 0
        while f"{BRIDGE_STEM}{number}" in bridges:
            number += 1
        return f"{BRIDGE_STEM}{number}"
    if len(requested) > MAX_BRIDGE_LENGTH or requested.startswith(RESERVED_BRIDGE_PREFIXES):
        raise XapiError("INVALID_VALUE", "bridge", requested)
    if requested in bridges:
        raise XapiError("BRIDGE_NAME_EXISTS", requested)
    return requested


@handles("network.create")
def create(ctx: "CallContext", record: dict[str, Any]) -> str:
    fields = constructor_fields(ctx, "network", record)
    fields["bridge"] = _bridge_for(ctx, fields.get("bridge", ""))
    if fields.get("MTU", DEFAULT_MTU) <= 0:
        fields["MTU"] = DEFAULT_MTU
    return ctx.store.create("network", fields)


@handles("network.destroy")
def destroy(ctx: "CallContext", network: str) -> str:
    store = ctx.store
    record = store.get("network", network)
    vifs = store.records("VIF")
    attached = [vif for vif in record["VIFs"] if vifs.get(vif, {}).get("currently_attached")]
    if attached:
        raise XapiError("NETWORK_CONTAINS_VIF", *attached)
    if record["PIFs"]:
        raise XapiError("NETWORK_CONTAINS_PIF", *record["PIFs"])
    if record["other_config"].get(HIMN_KEY, "").lower() == "true":
        raise XapiError("CANNOT_DESTROY_SYSTEM_NETWORK", network)
    # Detached VIFs go with the network, as xapi does rather than leave them dangling.
    for vif in list(record["VIFs"]):
        destroy_vif_record(store, vif)
    store.destroy("network", network)
    return ""


@handles("network.add_purpose")
def add_purpose(ctx: "CallContext", network: str, purpose: str) -> str:
    store = ctx.store
    current = store.get("network", network)["purpose"]
    conflicting = CONFLICTING_PURPOSES.get(purpose)
    if any(conflicting in other["purpose"] for other in store.records("network").values()):
        raise XapiError("NETWORK_INCOMPATIBLE_PURPOSES", purpose, conflicting)
    if purpose not in current:
        store.update("network", network, purpose=[*current, purpose])
    return ""


@handles("network.remove_purpose")
def remove_purpose(ctx: "CallContext", network: str, purpose: str) -> str:
    current = ctx.store.get("network", network)["purpose"]
    ctx.store.update("network", network, purpose=[p for p in current if p != purpose])
    return ""


@handles("network.set_default_locking_mode")
def set_default_locking_mode(ctx: "CallContext", network: str, mode: str) -> str:
    store = ctx.store
    vifs = store.records("VIF")
    for vif in store.get("network", network)["VIFs"]:
        if vifs.get(vif, {}).get("currently_attached"):
            raise XapiError("VIF_IN_USE", network, vif)
    store.update("network", network, default_locking_mode=mode)
    return ""
