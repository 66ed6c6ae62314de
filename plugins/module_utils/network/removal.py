# Copyright: (c) 2026, xen.xapi maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What removing a network takes, decided without talking to XAPI.

A network goes once no VM has an interface (VIF) on it and no host reaches it: VIFs are only
removed with ``force`` (unplugged first from running VMs), VLAN interfaces go with the network,
and networks bridged to physical NICs are refused, since their interfaces belong to the hosts.
"""

from __future__ import annotations

import dataclasses
import typing as t

from ansible_collections.xen.xapi.plugins.module_utils import _engine
from ansible_collections.xen.xapi.plugins.module_utils._xapi import errors, query
from ansible_collections.xen.xapi.plugins.module_utils.network import plan
from ansible_collections.xen.xapi.plugins.module_utils.pool import hosts as pool_hosts


@dataclasses.dataclass(frozen=True)
class VifUse:
    """A VM's interface on the network."""

    vif_ref: str
    vm_name: str
    power_state: str
    device: str
    plugged: bool

    def describe(self) -> str:
        return "{0} (device {1}, {2})".format(self.vm_name, self.device, "plugged" if self.plugged else "unplugged")


@dataclasses.dataclass(frozen=True)
class VifStep:
    action: str  # "unplug" then "destroy"
    use: VifUse


def vif_uses(record: _engine.Record, vifs: query.Records, vms: query.Records) -> t.List[VifUse]:
    """The network's VIFs with their VMs, by VM name."""
    uses = []
    for ref in record.get("VIFs") or []:
        vif = vifs.get(ref)
        if vif is None:
            continue
        vm = vms.get(vif.get("VM", ""), {})
        uses.append(VifUse(ref, str(vm.get("name_label") or vif.get("VM")), str(vm.get("power_state", "")), str(vif.get("device", "")),
                           bool(vif.get("currently_attached"))))
    return sorted(uses, key=lambda use: (use.vm_name, use.device))


def vm_names(uses: t.Sequence[VifUse]) -> t.List[str]:
    return sorted(set(use.vm_name for use in uses))


def check_no_physical_interfaces(name: str, net_pifs: query.Records, hosts: query.Records) -> None:
    physical = sorted("{0} on {1}".format(pif.get("device"), pool_hosts.host_name(hosts, pif.get("host", "")))
                      for pif in net_pifs.values() if int(pif.get("VLAN", plan.UNTAGGED)) == plan.UNTAGGED)
    if physical:
        raise errors.ResourceError("state=absent: network {0!r} is bridged to host interfaces ({1}), which belong to the hosts; "
                                   "only networks without interfaces and VLAN networks are removed.".format(name, ", ".join(physical)),
                                   pifs=physical)


def vif_steps(name: str, uses: t.Sequence[VifUse], force: bool) -> t.List[VifStep]:
    """Unplug (from running VMs) and destroy every VIF, or refuse without force."""
    if not uses:
        return []
    if not force:
        raise errors.ResourceError("state=absent: network {0!r} has interfaces of VMs {1}; set force=true to unplug and remove them "
                                   "with the network, or move the VMs to another network first.".format(name, ", ".join(vm_names(uses))),
                                   vms=vm_names(uses))
    steps = []
    for use in uses:
        if use.plugged and use.power_state == "Running":
            steps.append(VifStep("unplug", use))
        elif use.plugged and use.power_state in ("Paused", "Suspended"):
            raise errors.ResourceError("state=absent: VM {0!r} is {1} with its interface on network {2!r} plugged, which cannot be unplugged in "
                                       "that state. Resume the VM, or shut it down, then try again.".format(use.vm_name, use.power_state.lower(), name),
                                       vm=use.vm_name, power_state=use.power_state)
        steps.append(VifStep("destroy", use))
    return steps


def vlan_interfaces(net_pifs: query.Records, hosts: query.Records) -> t.List[t.Tuple[str, _engine.Record]]:
    """The network's VLAN interfaces by host name, removed with it."""
    found = [(ref, pif) for ref, pif in net_pifs.items() if int(pif.get("VLAN", plan.UNTAGGED)) != plan.UNTAGGED]
    return sorted(found, key=lambda item: (pool_hosts.host_name(hosts, item[1].get("host", "")), item[0]))
