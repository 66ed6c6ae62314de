# Copyright: (c) 2026, xen.xapi maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the guest agent reports (addresses per interface), and waiting for it on events.

The agent writes VM_guest_metrics.networks as {"0/ip": ..., "0/ipv4/0": ..., "0/ipv6/0": ...}
keyed by interface device. Waiting subscribes to the VM and to its guest metrics record with
event.from, so the module notices a new address as soon as XAPI records it, without polling.
"""

from __future__ import annotations

import time
import typing as t

from ansible_collections.xen.xapi.plugins.module_utils._client import XapiClient, normalize_record
from ansible_collections.xen.xapi.plugins.module_utils._engine import ResourceError
from ansible_collections.xen.xapi.plugins.module_utils.vm.view import RUNNING, Record, is_null

# Share of the HTTP timeout one blocking event.from may use, so the server answers before the socket gives up.
_EVENT_WAIT_SHARE = 0.8


def addresses_by_device(metrics: t.Mapping[str, t.Any]) -> t.Dict[str, t.Dict[str, t.List[str]]]:
    """{device: {"ipv4": [...], "ipv6": [...]}} from a guest metrics record."""
    result: t.Dict[str, t.Dict[str, t.List[str]]] = {}
    for key, address in sorted((metrics.get("networks") or {}).items()):
        parts = key.split("/")
        if len(parts) == 2 and parts[1] == "ip":
            family = "ipv6" if ":" in address else "ipv4"
        elif len(parts) == 3 and parts[1] in ("ipv4", "ipv6"):
            family = parts[1]
        else:
            continue
        found = result.setdefault(parts[0], {"ipv4": [], "ipv6": []})[family]
        if address and address not in found:
            found.append(address)
    return result


def has_addresses(metrics: t.Mapping[str, t.Any], families: t.Sequence[str]) -> bool:
    """Whether the agent reported at least one address of every family asked for."""
    devices = addresses_by_device(metrics).values()
    return all(any(device[family] for device in devices) for family in families)


def wait_for_ip(client: XapiClient, vm_ref: str, families: t.Sequence[str], timeout: float) -> Record:
    """Block until the guest reports the addresses; returns its guest metrics record."""
    deadline = time.monotonic() + timeout
    max_wait = max(0.1, client.http_timeout * _EVENT_WAIT_SHARE)
    token, metrics_ref, metrics, power_state = "", "", {}, RUNNING
    while True:
        subscriptions = ["vm/" + vm_ref] + ([] if is_null(metrics_ref) else ["vm_guest_metrics/" + metrics_ref])
        wait = 0.0 if token == "" else max(0.0, min(deadline - time.monotonic(), max_wait))
        answer = client.call("event.from", subscriptions, token, float(wait))
        token = answer.get("token", token)
        for event in answer.get("events") or []:
            snapshot = event.get("snapshot")
            if event.get("operation") == "del" or snapshot is None:
                continue
            if event.get("class") == "vm" and event.get("ref") == vm_ref:
                power_state = snapshot.get("power_state", power_state)
                if snapshot.get("guest_metrics") != metrics_ref:
                    metrics_ref, metrics = snapshot.get("guest_metrics", ""), {}
                    if not is_null(metrics_ref):
                        # A new metrics record: ask again at once with an empty token, to get its current state.
                        token = ""
            elif event.get("class") == "vm_guest_metrics" and event.get("ref") == metrics_ref:
                metrics = normalize_record("VM_guest_metrics", snapshot)
        if metrics and has_addresses(metrics, families):
            return metrics
        if power_state != RUNNING:
            raise ResourceError("wait_for_ip: the VM is {0}, so its guest agent cannot report addresses.".format(power_state.lower()))
        if time.monotonic() >= deadline:
            raise ResourceError("wait_for_ip: the guest agent reported no {0} address within {1:g} seconds; is the agent installed "
                                "and the network configured? Raise wait_for_ip_timeout if the guest boots slowly."
                                .format(" and ".join(f.replace("ipv", "IPv") for f in families), timeout))
