# Copyright: (c) 2026, xen.xapi maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Virtual network interfaces, matched to the `networks` list by device number.

A missing interface is created (and hot-plugged into a running VM). One on another network is
moved with VIF.move, or replaced on hosts too old to have it. A different MAC or MTU means a
replacement too: XAPI fixes both when the interface is created. Interfaces the list does not
name are removed only with purge_networks.
"""

from __future__ import annotations

import typing as t

from ansible_collections.xen.xapi.plugins.module_utils._xapi import errors, guest_tools
from ansible_collections.xen.xapi.plugins.module_utils.vm import common, options, view


def new_vif_record(vm: str, device: str, network: str, mac: str, mtu: int) -> view.Record:
    """An empty MAC makes XAPI generate one from the VM's MAC seed."""
    return {"VM": vm, "device": device, "network": network, "MAC": mac, "MTU": mtu, "other_config": {},
            "qos_algorithm_type": "", "qos_algorithm_params": {}, "locking_mode": "network_default",
            "ipv4_allowed": [], "ipv6_allowed": []}


def plan(ctx: common.PlanContext) -> t.List[common.VmChange]:
    specs = options.network_specs(ctx.params)
    if specs is None:
        return []
    existing = ctx.view.vifs_by_device()
    changes: t.List[common.VmChange] = []
    for spec in specs:
        network_ref, network = ctx.pool.network(spec.network, spec.label + ".network")
        if spec.device in existing:
            changes += _update(ctx, spec, network_ref, *existing[spec.device])
        else:
            record = new_vif_record(ctx.vm_ref, spec.device, network_ref, spec.mac or "", spec.mtu or int(network.get("MTU", 1500)))
            summary = "device {0} on {1}".format(spec.device, network.get("name_label"))
            ctx.added_while_paused(spec.label)
            interface = {"device": spec.device, "mac": spec.mac, "mtu": record["MTU"], "network": network.get("name_label"),
                         "network_uuid": network.get("uuid"), "ipv4": [], "ipv6": []}
            changes.append(common.change(spec.label, None, summary, _create(ctx, record, spec.label), predict=common.appends("networks", interface)))
    if ctx.params.get("purge_networks"):
        named = set(spec.device for spec in specs)
        for device in sorted(set(existing) - named):
            vif_ref, vif = existing[device]
            before = {"device": device, "network": ctx.pool.name_of(ctx.pool.networks, vif.get("network")), "mac": vif.get("MAC")}
            changes.append(common.change("networks", before, None, _remove(ctx, vif_ref, vif),
                                         predict=common.removes("networks", _at_device(device))))
    return changes


def _at_device(device: str) -> t.Callable[[view.Record], bool]:
    return lambda item: item.get("device") == device


def _update(ctx: common.PlanContext, spec: options.NetworkSpec, network_ref: str, vif_ref: str, vif: view.Record) -> t.List[common.VmChange]:
    current_mac, current_mtu = str(vif.get("MAC", "")).lower(), int(vif.get("MTU", 0))
    mac, mtu = spec.mac or current_mac, spec.mtu or current_mtu
    names = ctx.pool.networks
    differences = [(option, before, after) for option, before, after in (
        ("network", ctx.pool.name_of(names, vif.get("network")), ctx.pool.name_of(names, network_ref)),
        ("mac", current_mac, mac), ("mtu", current_mtu, mtu)) if before != after]
    if vif.get("network") == network_ref and not differences:
        if ctx.needs_plugging(vif):
            # The returned VM does not show whether an interface is plugged in.
            return [common.change(spec.label + ".attached", False, True, lambda: _plug(ctx, vif_ref, spec.label), predict=lambda vm: None)]
        return []
    replacement = new_vif_record(ctx.vm_ref, spec.device, network_ref, mac, mtu)
    # One operation makes every difference: a move when only the network differs, else a replacement.
    if (mac, mtu) == (current_mac, current_mtu):
        apply = common.once(_move(ctx, vif_ref, vif, replacement))
    else:
        apply = common.once(_replace(ctx, vif_ref, vif, replacement))
    if not differences:
        # Two networks with the same name: report the move by uuid.
        differences = [("network", names.get(vif.get("network", ""), {}).get("uuid"), names[network_ref].get("uuid"))]
    network = names.get(network_ref, {})
    predict = common.in_list("networks", lambda item: item.get("device") == spec.device, network=network.get("name_label"),
                             network_uuid=network.get("uuid"), mac=mac, mtu=mtu)
    return [common.change("{0}.{1}".format(spec.label, option), before, after, apply, predict=predict) for option, before, after in differences]


def _plug(ctx: common.PlanContext, vif_ref: str, option: str) -> None:
    if ctx.tracker.running:
        ctx.ensure_tools(guest_tools.HOTPLUG_NIC, option)
        ctx.change_state("VIF.plug", vif_ref)


def _create(ctx: common.PlanContext, record: view.Record, option: str) -> t.Callable[[], None]:
    """A new interface, plugged into a running VM; one that cannot be plugged is removed again."""
    def apply() -> None:
        if ctx.tracker.running:
            ctx.ensure_tools(guest_tools.HOTPLUG_NIC, option)
        vif = ctx.call("VIF.create", record)
        ctx.made("VIF", vif)
        try:
            _plug(ctx, vif, option)
        except errors.XapiError as err:
            ctx.call("VIF.destroy", vif)
            raise errors.ResourceError("{0}: the new interface could not be plugged into the running VM, so it was removed again. {1}"
                                       .format(option, err.describe()), error_code=err.code)
    return apply


def _remove(ctx: common.PlanContext, vif_ref: str, vif: view.Record) -> t.Callable[[], None]:
    def apply() -> None:
        if ctx.tracker.running and vif.get("currently_attached"):
            ctx.ensure_tools(guest_tools.HOTPLUG_NIC, "networks")
            ctx.change_state("VIF.unplug", vif_ref)
        ctx.call("VIF.destroy", vif_ref)
    return apply


def _replace(ctx: common.PlanContext, vif_ref: str, vif: view.Record, record: view.Record) -> t.Callable[[], None]:
    remove, create = _remove(ctx, vif_ref, vif), _create(ctx, record, "networks")

    def apply() -> None:
        remove()
        create()
    return apply


def _move(ctx: common.PlanContext, vif_ref: str, vif: view.Record, record: view.Record) -> t.Callable[[], None]:
    def apply() -> None:
        try:
            ctx.run("VIF.move", vif_ref, record["network"])
        except errors.XapiError as err:
            # Hosts older than XenServer 7.1 have no VIF.move: the interface is replaced instead.
            if err.code != "MESSAGE_METHOD_UNKNOWN":
                raise
            _replace(ctx, vif_ref, vif, record)()
    return apply
