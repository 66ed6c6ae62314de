# Copyright: (c) 2026, xen.xapi maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the guest agent reports (addresses per interface), and waiting for it on events.

The agent writes VM_guest_metrics.networks as {"0/ip": ..., "0/ipv4/0": ..., "0/ipv6/0": ...}
keyed by interface device. Waiting subscribes to the VM and to its guest metrics record with
event.from, so the module notices a new address as soon as XAPI records it, without polling.
"""

from __future__ import annotations

import ipaddress
import typing as t

from ansible_collections.xen.xapi.plugins.module_utils._xapi import client as xapi_client, errors, guest_tools
from ansible_collections.xen.xapi.plugins.module_utils.vm import view


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


def usable(address: str, networks: t.Sequence[str] = ()) -> bool:
    """An address a user can reach the guest on: not link-local (what a guest holds while DHCP or cloud-init is still
    configuring it), and inside one of ``networks`` when they are given."""
    try:
        ip = ipaddress.ip_address(address.split("%")[0])
    except ValueError:
        return False
    if ip.is_link_local:
        return False
    wanted = [ipaddress.ip_network(network, strict=False) for network in networks]
    return not wanted or any(ip.version == network.version and ip in network for network in wanted)


def has_addresses(metrics: t.Mapping[str, t.Any], families: t.Sequence[str], networks: t.Sequence[str] = ()) -> bool:
    """Whether the agent reported at least one usable address of every family asked for."""
    devices = addresses_by_device(metrics).values()
    return all(any(usable(address, networks) for device in devices for address in device[family]) for family in families)


def check_networks(networks: t.Sequence[str]) -> None:
    for network in networks:
        try:
            ipaddress.ip_network(network, strict=False)
        except ValueError:
            raise errors.ResourceError("wait_for_ip_networks: {0!r} is not a network; write it as an address and prefix length, "
                                       "such as 192.0.2.0/24.".format(network))


def wait_for_ip(client: xapi_client.XapiClient, vm_ref: str, families: t.Sequence[str], timeout: float,
                networks: t.Sequence[str] = ()) -> t.Tuple[str, view.Record]:
    """Block until the guest reports the addresses; returns its guest metrics (reference and record)."""
    seen: t.Dict[str, view.Record] = {}

    def reported(vm: view.Record, metrics: view.Record) -> bool:
        seen.update(vm=vm, metrics=metrics)
        return vm.get("power_state") != view.RUNNING or has_addresses(metrics, families, networks)

    guest_tools.watch_guest(client, vm_ref, timeout, reported)
    metrics, power_state = seen.get("metrics") or {}, (seen.get("vm") or {}).get("power_state", view.RUNNING)
    if metrics and has_addresses(metrics, families, networks):
        return str((seen.get("vm") or {}).get("guest_metrics", "")), metrics
    if power_state != view.RUNNING:
        raise errors.ResourceError("wait_for_ip: the VM is {0}, so its guest agent cannot report addresses.".format(str(power_state).lower()))
    raise errors.ResourceError("wait_for_ip: the guest agent reported no {0} address within {1:g} seconds; is the agent installed "
                               "and the network configured? Raise wait_for_ip_timeout if the guest boots slowly."
                               .format(" and ".join(f.replace("ipv", "IPv") for f in families), timeout))
