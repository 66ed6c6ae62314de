"""pool.enable_ha, pool.disable_ha and the number of host failures HA plans for.

xapi_ha.ml (``enable``, ``disable``) and xha_statefile.ml (``check_sr_can_host_statefile``): enabling
fails when HA is on already (HA_IS_ENABLED), when a PIF that may not be unplugged is unplugged
(REQUIRED_PIF_IS_UNPLUGGED), or when a host is offline (HOST_OFFLINE). The statefile goes in the first
heartbeat SR given, or the first SR that can hold one: a PBD plugged on every host (SR_HAS_NO_PBDS), a
driver that declares VDI_GENERATE_CONFIG or VDI_ATTACH_OFFLINE (SR_OPERATION_NOT_SUPPORTED) and room
for the statefile and the redo log (SR_SOURCE_SPACE_INSUFFICIENT); none gives CANNOT_CREATE_STATE_FILE.
xapi_pool.ml ``set_ha_host_failures_to_tolerate``: a negative number is INVALID_VALUE, and a number the
failover plan cannot cover is HA_OPERATION_WOULD_BREAK_FAILOVER_PLAN. No heartbeat runs here: the
plan covers every host but one.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ...errors import XapiError
from ...registry import handles
from ..storage.space import free_space
from ..storage.vdi import new_vdi, remove_vdi
from .master import pool_ref

if TYPE_CHECKING:
    from ...context import CallContext
    from ...store import Store

STATEFILE_SIZE = 4 * 1024 * 1024  # Xha_statefile.minimum_statefile_size
REDO_LOG_SIZE = 4 * 1024 * 1024  # Redo_log.minimum_vdi_size
HA_TYPES = ("ha_statefile", "redo_log")


def _statefile_problem(store: Store, sr: str) -> XapiError | None:
    """Why ``sr`` cannot hold the HA statefile, or None when it can."""
    record = store.get("SR", sr)
    pbds = [store.get("PBD", pbd) for pbd in record["PBDs"] if store.exists("PBD", pbd)]
    if len({pbd["host"] for pbd in pbds}) < len(store.records("host")) or not all(pbd["currently_attached"] for pbd in pbds):
        return XapiError("SR_HAS_NO_PBDS", sr)
    drivers = [sm for sm in store.records("SM").values() if sm["type"] == record["type"]]
    features = drivers[0]["features"] if drivers else {}
    if "VDI_GENERATE_CONFIG" not in features and "VDI_ATTACH_OFFLINE" not in features:
        return XapiError("SR_OPERATION_NOT_SUPPORTED", sr)
    if free_space(record) < STATEFILE_SIZE + REDO_LOG_SIZE:
        return XapiError("SR_SOURCE_SPACE_INSUFFICIENT", sr)
    return None


@handles("pool.enable_ha")
def enable_ha(ctx: "CallContext", heartbeat_srs: list[str], configuration: dict[str, str]) -> str:
    store = ctx.store
    pool = pool_ref(ctx.sim)
    if store.get("pool", pool)["ha_enabled"]:
        raise XapiError("HA_IS_ENABLED")
    unplugged = [ref for ref, pif in store.records("PIF").items() if pif["disallow_unplug"] and not pif["currently_attached"]]
    if unplugged:
        raise XapiError("REQUIRED_PIF_IS_UNPLUGGED", *unplugged)
    for host, record in store.records("host").items():
        metrics = store.records("host_metrics").get(record["metrics"])
        if metrics is None or not metrics["live"]:
            raise XapiError("HOST_OFFLINE", host)
    if heartbeat_srs:
        for sr in heartbeat_srs:
            store.get("SR", sr)
        sr = heartbeat_srs[0]
        problem = _statefile_problem(store, sr)
        if problem is not None:
            raise problem
    else:
        usable = [ref for ref in sorted(store.records("SR")) if _statefile_problem(store, ref) is None]
        if not usable:
            raise XapiError("CANNOT_CREATE_STATE_FILE")
        sr = usable[0]
    statefile = new_vdi(store, sr, {"name_label": "Statefile for HA", "name_description": "Used for storage heartbeating",
                                    "virtual_size": STATEFILE_SIZE, "type": "ha_statefile", "sharable": True})
    new_vdi(store, sr, {"name_label": "Metadata for HA", "name_description": "Used for master failover",
                        "virtual_size": REDO_LOG_SIZE, "type": "redo_log", "sharable": True})
    hosts = len(store.records("host"))
    store.update("pool", pool, ha_enabled=True, ha_configuration=dict(configuration), ha_cluster_stack="xhad",
                 ha_statefiles=[statefile], ha_plan_exists_for=max(hosts - 1, 0),
                 ha_host_failures_to_tolerate=min(store.get("pool", pool)["ha_host_failures_to_tolerate"], max(hosts - 1, 0)))
    return ""


@handles("pool.disable_ha")
def disable_ha(ctx: "CallContext") -> str:
    store = ctx.store
    pool = pool_ref(ctx.sim)
    if not store.get("pool", pool)["ha_enabled"]:
        raise XapiError("HA_NOT_ENABLED")
    for vdi in [ref for ref, record in store.records("VDI").items() if record["type"] in HA_TYPES]:
        remove_vdi(store, vdi)
    store.update("pool", pool, ha_enabled=False, ha_configuration={}, ha_statefiles=[], ha_plan_exists_for=0)
    return ""


@handles("pool.set_ha_host_failures_to_tolerate")
def set_ha_host_failures_to_tolerate(ctx: "CallContext", pool: str, value: int) -> str:
    store = ctx.store
    record: dict[str, Any] = store.get("pool", pool)
    if value < 0:
        raise XapiError("INVALID_VALUE", "ha_host_failures_to_tolerate", str(value))
    if record["ha_plan_exists_for"] > 0 and value > record["ha_plan_exists_for"]:
        raise XapiError("HA_OPERATION_WOULD_BREAK_FAILOVER_PLAN")
    store.update("pool", pool, ha_host_failures_to_tolerate=value)
    return ""
