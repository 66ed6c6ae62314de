"""SR.probe and SR.probe_ext: which SRs a device_config leads to.

Simulated storage holds exactly the SRs the pool knows, so a probe finds the SRs of that type
reached through a PBD whose device_config has every key/value the probe gives.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ...registry import handles
from ...store import Store
from .drivers import check_device_config, driver_for
from .space import free_space

if TYPE_CHECKING:
    from ...context import CallContext


def matching_srs(store: Store, host: str, device_config: dict[str, str], sr_type: str) -> list[tuple[str, dict[str, str]]]:
    """(SR, its device_config) for each SR of ``sr_type`` the configuration points at."""
    store.get("host", host)
    sr_type = sr_type.lower()
    check_device_config(driver_for(store, sr_type), device_config)
    srs = store.records("SR")
    found: dict[str, dict[str, str]] = {}
    for pbd in store.records("PBD").values():
        sr = srs.get(pbd["SR"])
        config = pbd["device_config"]
        if sr and sr["type"] == sr_type and all(config.get(k) == v for k, v in device_config.items()):
            found.setdefault(pbd["SR"], config)
    return list(found.items())


@handles("SR.probe")
def probe(ctx: "CallContext", host: str, device_config: dict[str, str], sr_type: str, _sm_config: dict[str, str]) -> str:
    """The SM backends' XML answer: an ``SRlist`` with the uuid of each SR found."""
    entries = "".join(f"\t<SR>\n\t\t<UUID>{ctx.store.get('SR', sr)['uuid']}</UUID>\n\t</SR>\n"
                      for sr, _unused in matching_srs(ctx.store, host, device_config, sr_type))
    return f'<?xml version="1.0" ?>\n<SRlist>\n{entries}</SRlist>\n'


@handles("SR.probe_ext")
def probe_ext(ctx: "CallContext", host: str, device_config: dict[str, str], sr_type: str,
              _sm_config: dict[str, str]) -> list[dict[str, Any]]:
    """One ``probe_result`` per SR found; optional fields travel as a list of zero or one value."""
    results = []
    for sr, config in matching_srs(ctx.store, host, device_config, sr_type):
        record = ctx.store.get("SR", sr)
        stat = {"uuid": [record["uuid"]], "name_label": record["name_label"], "name_description": record["name_description"],
                "free_space": free_space(record), "total_space": record["physical_size"], "clustered": record["clustered"],
                "health": "healthy"}
        results.append({"configuration": dict(config), "complete": True, "sr": [stat], "extra_info": {}})
    return results
