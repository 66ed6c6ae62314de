"""The guest agent: a moment after a VM starts running it reports its OS, drivers and IP addresses.

A real guest agent writes to xenstore once the guest OS has booted, and xapi turns that into a
VM_guest_metrics record. Here a timer does it a moment (the pace's ``guest_agent`` delay: 0.3 s by
default, tens of seconds scaled down in the realistic pace) after the VM enters Running, unless the domain has gone or changed by then. Addresses
derive from each VIF's MAC, so a VM keeps its addresses across reboots, as with DHCP.
"""
from __future__ import annotations

import re
import threading
from typing import TYPE_CHECKING, Any

from ...store import NULL_REF, Store, utcnow

if TYPE_CHECKING:
    from ...context import SimulatorView

PV_DRIVERS_VERSION = {"major": "9", "minor": "0", "micro": "0", "build": "1"}
# The first version number in a template name: "24.04" in "Ubuntu Noble Numbat 24.04", "2022" in "Windows Server 2022".
_VERSION = re.compile(r"(\d+)(?:\.(\d+))?")
AGENT_FEATURES = {"feature-shutdown": "1", "feature-suspend": "1", "feature-vcpu-hotplug": "1",
                  "feature-balloon": "1", "has-vendor-device": "0", "platform-feature-multiprocessor-suspend": "1"}


def schedule_guest_agent(sim: "SimulatorView", vm: str) -> None:
    """Report guest metrics for ``vm`` shortly, if it is still the same running domain then."""
    domid = sim.store.get("VM", vm)["domid"]
    delay = sim.pace.guest_agent_delay()
    timer = threading.Timer(delay, _report_if_still_running, args=(sim.store, vm, domid))
    timer.daemon = True
    timer.start()


def _report_if_still_running(store: Store, vm: str, domid: int) -> None:
    with store.lock:
        record = store.records("VM").get(vm)
        if record is None or record["power_state"] != "Running" or record["domid"] != domid:
            return
        report_guest_metrics(store, vm)


def agent_report(record: dict[str, Any], macs: dict[str, str]) -> dict[str, Any]:
    """The VM_guest_metrics fields an agent reports for a VM record and its VIFs' MACs (device -> MAC).

    Scenarios build running VMs with the same report, so a VM's OS and addresses are the same before
    and after the simulator restarts it.
    """
    return {
        "os_version": os_version(record), "networks": addresses_for(macs),
        "PV_drivers_version": dict(PV_DRIVERS_VERSION), "PV_drivers_detected": True, "PV_drivers_up_to_date": True,
        "other": dict(AGENT_FEATURES), "live": True, "last_updated": utcnow(),
        "can_use_hotplug_vbd": "yes", "can_use_hotplug_vif": "yes",
    }


def report_guest_metrics(store: Store, vm: str) -> str:
    """Create or refresh the VM's guest metrics, as its agent reports them; returns their ref."""
    record = store.get("VM", vm)
    vifs = [store.get("VIF", vif) for vif in record["VIFs"]]
    fields = agent_report(record, {vif["device"]: vif["MAC"] for vif in vifs})
    metrics = record["guest_metrics"]
    if metrics != NULL_REF and store.exists("VM_guest_metrics", metrics):
        store.update("VM_guest_metrics", metrics, **fields)
        return metrics
    metrics = store.create("VM_guest_metrics", fields)
    store.update("VM", vm, guest_metrics=metrics)
    return metrics


def clear_guest_metrics(store: Store, vm: str) -> None:
    """The agent is gone: the VM has no guest metrics any more."""
    metrics = store.get("VM", vm)["guest_metrics"]
    if metrics == NULL_REF:
        return
    store.update("VM", vm, guest_metrics=NULL_REF)
    if store.exists("VM_guest_metrics", metrics):
        store.destroy("VM_guest_metrics", metrics)


def os_version(record: dict[str, Any]) -> dict[str, str]:
    """What the agent says about the OS, from the template the VM was installed from."""
    name = record["other_config"].get("base_template_name") or record["name_label"]
    distro = "windows" if name.lower().startswith("windows") else name.split()[0].lower() if name else "linux"
    version = _VERSION.search(name)
    return {"name": name, "distro": distro, "major": version.group(1) if version else "1",
            "minor": (version.group(2) or "0") if version else "0"}


def guest_networks(store: Store, record: dict[str, Any]) -> dict[str, str]:
    """``{"0/ip": ..., "0/ipv4/0": ..., "0/ipv6/0": ...}`` for every VIF, keyed by its device."""
    return addresses_for({store.get("VIF", vif)["device"]: store.get("VIF", vif)["MAC"] for vif in record["VIFs"]})


def addresses_for(macs: dict[str, str]) -> dict[str, str]:
    """The addresses a guest reports for its interfaces (device -> MAC), derived from the MACs as DHCP would."""
    networks: dict[str, str] = {}
    for device, mac in sorted(macs.items()):
        octets = _mac_octets(mac)
        ipv4 = f"10.0.{octets[4]}.{2 + octets[5] % 253}"
        suffix = ":".join(f"{octets[i] << 8 | octets[i + 1]:x}" for i in (0, 2, 4))
        # A link-local address, then the one the network's router advertisement gives (SLAAC), as dual-stack guests report.
        networks.update({f"{device}/ip": ipv4, f"{device}/ipv4/0": ipv4, f"{device}/ipv6/0": f"fe80::{suffix}",
                         f"{device}/ipv6/1": f"2001:db8::{suffix}"})
    return networks


def _mac_octets(mac: str) -> list[int]:
    parts = mac.split(":")
    try:
        octets = [int(part, 16) for part in parts]
    except ValueError:
        octets = []
    return octets if len(octets) == 6 else [0, 0, 0, 0, 0, sum(mac.encode()) % 256]
