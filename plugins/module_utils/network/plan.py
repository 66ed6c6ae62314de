# Copyright: (c) 2026, xen.xapi maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What xen_network decides, without talking to XAPI: the network's VLAN on each host, the
in-place changes, the refusals, and the returned view of a network.

A VLAN network reaches each host through an untagged PIF (``VLAN`` = the tag) made by
``VLAN.create`` on the host's interface for ``device`` (the "tagged" PIF).
"""

from __future__ import annotations

import dataclasses
import typing as t

from ansible_collections.xen.xapi.plugins.module_utils import _engine, _setters, _validate as validate
from ansible_collections.xen.xapi.plugins.module_utils._xapi import errors, query
from ansible_collections.xen.xapi.plugins.module_utils.pool import hosts as pool_hosts

MAX_VLAN_TAG = 4094  # 4095 is reserved by 802.1Q
DEFAULT_MTU = 1500
UNTAGGED = -1  # PIF.VLAN of a physical interface or bond


@dataclasses.dataclass(frozen=True)
class VlanSpec:
    tag: int
    device: str

    def as_dict(self) -> _engine.Record:
        return {"tag": self.tag, "device": self.device}


@dataclasses.dataclass(frozen=True)
class VlanStep:
    """What one host needs so that the network is the VLAN there."""

    action: str  # "create": a new VLAN on the host's interface; "plug": bring the VLAN interface up
    host_ref: str
    host: str
    pif_ref: str  # create: the host's interface for the device (tagged PIF); plug: the VLAN interface


def vlan_spec(option: t.Optional[t.Mapping[str, t.Any]]) -> t.Optional[VlanSpec]:
    """The vlan option, checked: a tag XAPI accepts and a device name."""
    if option is None:
        return None
    tag, device = option["tag"], str(option["device"]).strip()
    if not 0 <= tag <= MAX_VLAN_TAG:
        raise errors.ResourceError("vlan.tag: {0} is not a VLAN tag; use a number from 0 to {1}.".format(tag, MAX_VLAN_TAG), error_code="VLAN_TAG_INVALID")
    if not device:
        raise errors.ResourceError("vlan.device: give the host interface that carries the VLAN, such as eth1 or bond0.")
    return VlanSpec(tag, device)


def network_pifs(record: _engine.Record, pifs: query.Records) -> query.Records:
    """The network's PIFs (one per host it reaches)."""
    return dict((ref, pifs[ref]) for ref in record.get("PIFs") or [] if ref in pifs)


# --- the VLAN on every host -------------------------------------------------------------------

def vlan_steps(name: str, net_pifs: query.Records, all_pifs: query.Records, hosts: query.Records, networks: query.Records, spec: VlanSpec) -> t.List[VlanStep]:
    """The VLAN interfaces to create or plug so that every host carries the network as VLAN ``spec``.

    Refuses a network that is already something else on some host (another tag or device, or an
    untagged interface), a host without the device, and a tag the device already uses for another network.
    """
    steps: t.List[VlanStep] = []
    lacking: t.List[str] = []
    for host_ref in pool_hosts.by_name(hosts, hosts):
        mine = sorted((ref, pif) for ref, pif in net_pifs.items() if pif.get("host") == host_ref)
        if mine:
            for ref, pif in mine:
                _check_same_vlan(name, pif, spec, pool_hosts.host_name(hosts, host_ref))
                if not pif.get("currently_attached"):
                    steps.append(VlanStep("plug", host_ref, pool_hosts.host_name(hosts, host_ref), ref))
            continue
        base = _interface(all_pifs, host_ref, spec.device)
        if base is None:
            lacking.append(pool_hosts.host_name(hosts, host_ref))
            continue
        _check_tag_free(all_pifs, host_ref, spec, networks, pool_hosts.host_name(hosts, host_ref))
        steps.append(VlanStep("create", host_ref, pool_hosts.host_name(hosts, host_ref), base))
    if lacking:
        verb = "has" if len(lacking) == 1 else "have"
        raise errors.ResourceError("vlan.device: {0} {1} no interface {2!r} to carry VLAN {3}; every host of the pool needs it. "
                                   "Check the device name (such as eth1 or bond0).".format(", ".join(lacking), verb, spec.device, spec.tag), hosts=lacking)
    return steps


def _check_same_vlan(name: str, pif: _engine.Record, spec: VlanSpec, host: str) -> None:
    current_tag, device = int(pif.get("VLAN", UNTAGGED)), pif.get("device")
    if current_tag == UNTAGGED:
        raise errors.ResourceError("vlan: network {0!r} is bridged untagged to {1} on {2}, not a VLAN, and a network's interfaces cannot change. "
                                   "Create another network for VLAN {3} on {4}.".format(name, device, host, spec.tag, spec.device))
    if current_tag != spec.tag or device != spec.device:
        raise errors.ResourceError("vlan: network {0!r} is VLAN {1} on {2} (on {3}); the tag and device of an existing VLAN network cannot change. "
                                   "Create another network for VLAN {4} on {5}, or remove this one first.".format(
                                       name, current_tag, device, host, spec.tag, spec.device), current_vlan={"tag": current_tag, "device": device})


def _interface(all_pifs: query.Records, host_ref: str, device: str) -> t.Optional[str]:
    """The host's untagged interface for ``device``, which a VLAN is tagged on."""
    for ref in sorted(all_pifs):
        pif = all_pifs[ref]
        if pif.get("host") == host_ref and pif.get("device") == device and int(pif.get("VLAN", UNTAGGED)) == UNTAGGED:
            return ref
    return None


def _check_tag_free(all_pifs: query.Records, host_ref: str, spec: VlanSpec, networks: query.Records, host: str) -> None:
    for pif in all_pifs.values():
        if pif.get("host") == host_ref and pif.get("device") == spec.device and int(pif.get("VLAN", UNTAGGED)) == spec.tag:
            other = networks.get(pif.get("network", ""), {}).get("name_label", pif.get("network"))
            raise errors.ResourceError("vlan: VLAN {0} on {1} of {2} already belongs to network {3!r}; a device carries each tag once. "
                                       "Use that network, or another tag.".format(spec.tag, spec.device, host, other), error_code="PIF_VLAN_EXISTS")


# --- in-place changes -------------------------------------------------------------------------

def create_record(params: t.Mapping[str, t.Any]) -> _engine.Record:
    """The argument of network.create."""
    return {
        "name_label": params["name"],
        "name_description": params.get("description") or "",
        "MTU": params.get("mtu") or DEFAULT_MTU,
        "other_config": _engine.string_map(params.get("other_config") or {}) or {},
        # An empty bridge lets XAPI choose the next free name (xapi0, xapi1, ...).
        "bridge": params.get("bridge") or "",
        "managed": params.get("managed") is not False,
        "tags": list(dict.fromkeys(str(tag) for tag in params.get("tags") or [])),
    }


def check_params(params: t.Mapping[str, t.Any]) -> None:
    """What can be told wrong before connecting: the MTU and the bridge name."""
    validate.mtu(params.get("mtu"), "mtu")
    validate.bridge(params.get("bridge"), "bridge")


def check_create(params: t.Mapping[str, t.Any]) -> None:
    if params.get("vlan") is not None and params.get("managed") is False:
        raise errors.ResourceError("managed: XAPI only puts VLANs on networks it manages; leave managed unset (true) for a VLAN network.")


def check_unchangeable(record: _engine.Record, params: t.Mapping[str, t.Any]) -> None:
    """Refuse options that ask for what XAPI cannot change on an existing network."""
    name = record.get("name_label")
    if params.get("bridge") and params["bridge"] != record.get("bridge"):
        raise errors.ResourceError("bridge: network {0!r} uses bridge {1!r}; a bridge is chosen when the network is created and cannot change. "
                                   "Leave bridge unset, or create another network.".format(name, record.get("bridge")))
    if params.get("managed") is not None and params["managed"] != record.get("managed"):
        raise errors.ResourceError("managed: network {0!r} is {1}managed by XAPI, which is set when the network is created and cannot change.".format(
            name, "" if record.get("managed") else "not "))


def metadata_setters(record: _engine.Record, params: t.Mapping[str, t.Any]) -> t.List[_setters.Setter]:
    """The in-place changes of name, description, MTU, other_config and tags the options ask for."""
    purge = bool(params.get("purge"))
    return (
        _setters.setter_if_changed("name", record["name_label"], params.get("name"), "network.set_name_label")
        + _setters.setter_if_changed("description", record["name_description"], params.get("description"), "network.set_name_description")
        + _setters.setter_if_changed("mtu", record["MTU"], params.get("mtu"), "network.set_MTU")
        + _setters.map_setter("other_config", record["other_config"], params.get("other_config"), purge, "network.set_other_config")
        + _setters.tags_setter(record["tags"], params.get("tags"), purge, "network.set_tags")
    )


# --- the returned view ------------------------------------------------------------------------

def pif_view(pif: _engine.Record, hosts: query.Records) -> _engine.Record:
    return {"host": pool_hosts.host_name(hosts, pif.get("host", "")), "device": pif.get("device", ""), "vlan": int(pif.get("VLAN", UNTAGGED)),
            "plugged": bool(pif.get("currently_attached"))}


def pifs_view(net_pifs: query.Records, hosts: query.Records) -> t.List[_engine.Record]:
    return sorted((pif_view(pif, hosts) for pif in net_pifs.values()), key=lambda view: (view["host"], view["device"]))


def current_vlan(pif_views: t.Sequence[_engine.Record]) -> t.Optional[_engine.Record]:
    """The network's VLAN as {tag, device}, read from its first VLAN interface; None for other networks."""
    for view in pif_views:
        if view["vlan"] != UNTAGGED:
            return {"tag": view["vlan"], "device": view["device"]}
    return None


def predicted_pifs(pif_views: t.Sequence[_engine.Record], steps: t.Sequence[VlanStep], spec: VlanSpec) -> t.List[_engine.Record]:
    """The network's interfaces once the steps are done, for diff mode."""
    plugged = set(step.host for step in steps if step.action == "plug")
    after = [dict(view, plugged=True) if view["host"] in plugged else dict(view) for view in pif_views]
    after.extend({"host": step.host, "device": spec.device, "vlan": spec.tag, "plugged": True} for step in steps if step.action == "create")
    return sorted(after, key=lambda view: (view["host"], view["device"]))


def network_view(record: _engine.Record, net_pifs: query.Records, hosts: query.Records) -> _engine.Record:
    pif_views = pifs_view(net_pifs, hosts)
    return {
        "uuid": record["uuid"],
        "name": record["name_label"],
        "description": record["name_description"],
        "bridge": record["bridge"],
        "mtu": record["MTU"],
        "managed": bool(record.get("managed", True)),
        "other_config": dict(record["other_config"]),
        "tags": list(record["tags"]),
        "vlan": current_vlan(pif_views),
        "pifs": pif_views,
        "vif_count": len(record.get("VIFs") or []),
    }
