"""Records xapi builds on demand rather than stores: data sources (RRD metrics) and NBD connection details.

``host/VM/SR.get_data_sources`` list ``data_source`` records (xapi_host.ml / xapi_vm.ml / xapi_sr.ml, from the
RRD daemon's list: name, units, range, latest value). ``VDI.get_nbd_info`` (xapi_vdi.ml, get_nbd_info) lists,
for each host that has the VDI's SR plugged and an interface on a network whose purpose is ``nbd`` or
``insecure_nbd``, where an NBD client reaches the disk: address, port 10809, an export name that carries the
caller's session, and the host's certificate for ``nbd``.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ...registry import handles

if TYPE_CHECKING:
    from ...context import CallContext

NBD_PORT = 10809


def _source(name: str, description: str, units: str, value: float, maximum: float = float("inf")) -> dict[str, Any]:
    return {"name_label": name, "name_description": description, "enabled": True, "standard": True, "units": units,
            "min": 0.0, "max": maximum, "value": value}


@handles("host.get_data_sources")
def host_data_sources(ctx: "CallContext", host: str) -> list[dict[str, Any]]:
    record = ctx.store.get("host", host)
    metrics = ctx.store.records("host_metrics").get(record["metrics"], {})
    cpus = len(record["host_CPUs"])
    return ([_source(f"cpu{index}", f"Physical cpu usage for cpu {index}", "(fraction)", 0.05, 1.0) for index in range(cpus)]
            + [_source("memory_total_kib", "Total amount of memory in use", "KiB", int(metrics.get("memory_total", 0)) / 1024),
               _source("memory_free_kib", "Total amount of free memory", "KiB", int(metrics.get("memory_free", 0)) / 1024),
               _source("loadavg", "Domain0 loadavg", "", 0.2)])


@handles("VM.get_data_sources")
def vm_data_sources(ctx: "CallContext", vm: str) -> list[dict[str, Any]]:
    record = ctx.store.get("VM", vm)
    if record["power_state"] != "Running":
        return []
    return ([_source(f"cpu{index}", f"CPU{index} usage", "(fraction)", 0.1, 1.0) for index in range(int(record["VCPUs_at_startup"]))]
            + [_source("memory", "Memory currently allocated to VM", "B", float(record["memory_dynamic_max"]))])


@handles("SR.get_data_sources")
def sr_data_sources(ctx: "CallContext", sr: str) -> list[dict[str, Any]]:
    record = ctx.store.get("SR", sr)
    return [_source("physical_utilisation", "Physical utilisation of the SR", "B", float(record["physical_utilisation"])),
            _source("size", "Size of the SR", "B", float(record["physical_size"]))]


@handles("VDI.get_nbd_info")
def nbd_info(ctx: "CallContext", vdi: str) -> list[dict[str, Any]]:
    store = ctx.store
    record = store.get("VDI", vdi)
    networks = {ref: net for ref, net in store.records("network").items() if set(net["purpose"]) & {"nbd", "insecure_nbd"}}
    plugged_hosts = {pbd["host"] for pbd in store.records("PBD").values() if pbd["SR"] == record["SR"] and pbd["currently_attached"]}
    found = []
    for pif in store.records("PIF").values():
        if pif["network"] not in networks or pif["host"] not in plugged_hosts or not pif["IP"]:
            continue
        host = store.get("host", pif["host"])
        secure = "nbd" in networks[pif["network"]]["purpose"]
        found.append({"exportname": f"/{record['uuid']}?session_id={ctx.session}", "address": pif["IP"], "port": NBD_PORT,
                      "cert": "-----BEGIN CERTIFICATE-----\n(host certificate)\n-----END CERTIFICATE-----\n" if secure else "",
                      "subject": host["hostname"] if secure else ""})
    return found
