# Copyright: (c) 2026, xen.xapi maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""xen_network's decisions: the VLAN on every host, refusals, in-place changes, removal and the returned view."""

from __future__ import annotations

import typing as t

import pytest

from ansible_collections.xen.xapi.plugins.module_utils._xapi.errors import ResourceError
from ansible_collections.xen.xapi.plugins.module_utils.network.plan import (
    VlanSpec,
    check_create,
    check_params,
    check_unchangeable,
    create_record,
    metadata_setters,
    network_view,
    pifs_view,
    predicted_pifs,
    vlan_spec,
    vlan_steps,
)
from ansible_collections.xen.xapi.plugins.module_utils.network.removal import (
    check_no_physical_interfaces,
    vif_steps,
    vif_uses,
    vlan_interfaces,
)

HOSTS = {"OpaqueRef:h1": {"name_label": "host1"}, "OpaqueRef:h2": {"name_label": "host2"}, "OpaqueRef:h3": {"name_label": "host3"}}
NETWORKS = {"OpaqueRef:eth1net": {"name_label": "eth1 network"}, "OpaqueRef:other": {"name_label": "storage"}}


def pif(host: str, device: str = "eth1", vlan: int = -1, network: str = "OpaqueRef:eth1net", plugged: bool = True, **extra: t.Any) -> t.Dict[str, t.Any]:
    record = {"host": "OpaqueRef:" + host, "device": device, "VLAN": vlan, "network": network, "currently_attached": plugged,
              "VLAN_master_of": "OpaqueRef:NULL"}
    record.update(extra)
    return record


def physical_pifs() -> t.Dict[str, t.Dict[str, t.Any]]:
    return dict(("OpaqueRef:eth1-" + host, pif(host)) for host in ("h1", "h2", "h3"))


def network(**fields: t.Any) -> t.Dict[str, t.Any]:
    record = {"uuid": "net-uuid", "name_label": "backend", "name_description": "", "bridge": "xapi0", "MTU": 1500, "managed": True,
              "other_config": {}, "tags": [], "PIFs": [], "VIFs": []}
    record.update(fields)
    return record


def params(**options: t.Any) -> t.Dict[str, t.Any]:
    values: t.Dict[str, t.Any] = dict.fromkeys(("name", "description", "mtu", "other_config", "tags", "managed", "bridge", "vlan", "uuid"))
    values.update(purge=False, force=False)
    values.update(options)
    return values


# --- the vlan option --------------------------------------------------------------------------

@pytest.mark.parametrize("tag", [-1, 4095, 10000])
def test_vlan_tags_outside_802_1q_are_refused(tag: int) -> None:
    with pytest.raises(ResourceError) as refused:
        vlan_spec({"tag": tag, "device": "eth1"})
    assert "vlan.tag" in refused.value.msg and refused.value.details["error_code"] == "VLAN_TAG_INVALID"


def test_vlan_option_needs_a_device() -> None:
    with pytest.raises(ResourceError, match="vlan.device"):
        vlan_spec({"tag": 5, "device": " "})
    assert vlan_spec(None) is None
    assert vlan_spec({"tag": 0, "device": "bond0"}) == VlanSpec(0, "bond0")


# --- the VLAN on every host -------------------------------------------------------------------

def test_a_new_vlan_network_gets_an_interface_on_every_host_in_name_order() -> None:
    all_pifs = physical_pifs()
    steps = vlan_steps("backend", {}, all_pifs, HOSTS, NETWORKS, VlanSpec(100, "eth1"))
    assert [(step.action, step.host, step.pif_ref) for step in steps] == [
        ("create", "host1", "OpaqueRef:eth1-h1"), ("create", "host2", "OpaqueRef:eth1-h2"), ("create", "host3", "OpaqueRef:eth1-h3")]


def test_only_hosts_lacking_the_vlan_get_it_and_unplugged_ones_are_plugged() -> None:
    all_pifs = physical_pifs()
    net_pifs = {"OpaqueRef:v1": pif("h1", vlan=100, network="OpaqueRef:net"), "OpaqueRef:v2": pif("h2", vlan=100, network="OpaqueRef:net", plugged=False)}
    all_pifs.update(net_pifs)
    steps = vlan_steps("backend", net_pifs, all_pifs, HOSTS, NETWORKS, VlanSpec(100, "eth1"))
    assert [(step.action, step.host, step.pif_ref) for step in steps] == [("plug", "host2", "OpaqueRef:v2"), ("create", "host3", "OpaqueRef:eth1-h3")]


def test_a_complete_vlan_network_needs_nothing() -> None:
    net_pifs = dict(("OpaqueRef:v" + host, pif(host, vlan=100, network="OpaqueRef:net")) for host in ("h1", "h2", "h3"))
    assert vlan_steps("backend", net_pifs, dict(physical_pifs(), **net_pifs), HOSTS, NETWORKS, VlanSpec(100, "eth1")) == []


@pytest.mark.parametrize("spec", [VlanSpec(200, "eth1"), VlanSpec(100, "eth2")])
def test_another_tag_or_device_on_an_existing_vlan_network_is_refused(spec: VlanSpec) -> None:
    net_pifs = {"OpaqueRef:v1": pif("h1", vlan=100, network="OpaqueRef:net")}
    with pytest.raises(ResourceError) as refused:
        vlan_steps("backend", net_pifs, physical_pifs(), HOSTS, NETWORKS, spec)
    assert "is VLAN 100 on eth1" in refused.value.msg and "cannot change" in refused.value.msg
    assert refused.value.details["current_vlan"] == {"tag": 100, "device": "eth1"}


def test_a_network_bridged_without_a_tag_cannot_become_a_vlan() -> None:
    with pytest.raises(ResourceError, match="bridged untagged to eth1 on host1"):
        vlan_steps("eth1 network", {"OpaqueRef:eth1-h1": pif("h1")}, physical_pifs(), HOSTS, NETWORKS, VlanSpec(5, "eth1"))


def test_hosts_without_the_device_are_listed() -> None:
    all_pifs = physical_pifs()
    del all_pifs["OpaqueRef:eth1-h2"], all_pifs["OpaqueRef:eth1-h3"]
    with pytest.raises(ResourceError) as refused:
        vlan_steps("backend", {}, all_pifs, HOSTS, NETWORKS, VlanSpec(100, "eth1"))
    assert refused.value.msg.startswith("vlan.device: host2, host3 have no interface 'eth1'")
    assert refused.value.details["hosts"] == ["host2", "host3"]


def test_a_tag_the_device_already_carries_for_another_network_is_refused() -> None:
    all_pifs = physical_pifs()
    all_pifs["OpaqueRef:taken"] = pif("h2", vlan=100, network="OpaqueRef:other")
    with pytest.raises(ResourceError) as refused:
        vlan_steps("backend", {}, all_pifs, HOSTS, NETWORKS, VlanSpec(100, "eth1"))
    assert "already belongs to network 'storage'" in refused.value.msg and refused.value.details["error_code"] == "PIF_VLAN_EXISTS"


def test_predicted_interfaces_for_diff_mode() -> None:
    net_pifs = {"OpaqueRef:v2": pif("h2", vlan=100, network="OpaqueRef:net", plugged=False)}
    all_pifs = dict(physical_pifs(), **net_pifs)
    spec = VlanSpec(100, "eth1")
    before = pifs_view(net_pifs, HOSTS)
    after = predicted_pifs(before, vlan_steps("backend", net_pifs, all_pifs, HOSTS, NETWORKS, spec), spec)
    assert before == [{"host": "host2", "device": "eth1", "vlan": 100, "plugged": False}]
    assert after == [{"host": name, "device": "eth1", "vlan": 100, "plugged": True} for name in ("host1", "host2", "host3")]


# --- create and change ------------------------------------------------------------------------

def test_create_record_defaults() -> None:
    record = create_record(params(name="lab", tags=["a", "a", "b"], other_config={"n": 1}))
    assert record == {"name_label": "lab", "name_description": "", "MTU": 1500, "other_config": {"n": "1"}, "bridge": "", "managed": True,
                      "tags": ["a", "b"]}
    assert create_record(params(name="x", mtu=9000, bridge="xapi9", managed=False))["MTU"] == 9000


def test_create_checks_mtu_bridge_and_managed_vlans() -> None:
    with pytest.raises(ResourceError, match="mtu: 0"):
        check_params(params(name="x", mtu=0))
    with pytest.raises(ResourceError, match="bridge: the bridge name 'br with space'"):
        check_params(params(name="x", bridge="br with space"))
    with pytest.raises(ResourceError, match="managed"):
        check_create(params(name="x", managed=False, vlan={"tag": 1, "device": "eth1"}))


def test_bridge_and_managed_cannot_change() -> None:
    check_unchangeable(network(), params(bridge="xapi0", managed=True))
    with pytest.raises(ResourceError, match="bridge: network 'backend' uses bridge 'xapi0'"):
        check_unchangeable(network(), params(bridge="xapi7"))
    with pytest.raises(ResourceError, match="managed"):
        check_unchangeable(network(), params(managed=False))


def test_metadata_setters() -> None:
    record = network(other_config={"a": "1"}, tags=["x"])
    setters = metadata_setters(record, params(name="backend", description="d", mtu=9000, other_config={"b": 2}, tags=["y"]))
    assert [(s.option, s.method, s.value) for s in setters] == [
        ("description", "network.set_name_description", "d"), ("mtu", "network.set_MTU", 9000),
        ("other_config", "network.set_other_config", {"a": "1", "b": "2"}), ("tags", "network.set_tags", ["x", "y"])]
    assert metadata_setters(record, params(name="backend", mtu=1500, other_config={"a": "1"}, tags=["x"])) == []
    purged = metadata_setters(record, params(other_config={}, tags=[], purge=True))
    assert [(s.option, s.value) for s in purged] == [("other_config", {}), ("tags", [])]


# --- removal ----------------------------------------------------------------------------------

VMS = {"OpaqueRef:web": {"name_label": "web01", "power_state": "Running"}, "OpaqueRef:old": {"name_label": "legacy01", "power_state": "Suspended"},
       "OpaqueRef:off": {"name_label": "build01", "power_state": "Halted"}}


def uses(*vifs: t.Tuple[str, str, bool]) -> t.List[t.Any]:
    records = dict(("OpaqueRef:vif{0}".format(index), {"VM": vm, "device": device, "currently_attached": plugged})
                   for index, (vm, device, plugged) in enumerate(vifs))
    return vif_uses(network(VIFs=list(records)), records, VMS)


def test_vifs_are_refused_without_force_listing_the_vms() -> None:
    found = uses(("OpaqueRef:web", "1", True), ("OpaqueRef:off", "0", False))
    with pytest.raises(ResourceError) as refused:
        vif_steps("backend", found, force=False)
    assert "VMs build01, web01" in refused.value.msg and refused.value.details["vms"] == ["build01", "web01"]
    assert vif_steps("backend", [], force=False) == []


def test_force_unplugs_from_running_vms_then_destroys() -> None:
    steps = vif_steps("backend", uses(("OpaqueRef:web", "1", True), ("OpaqueRef:off", "0", False)), force=True)
    assert [(step.action, step.use.vm_name) for step in steps] == [("destroy", "build01"), ("unplug", "web01"), ("destroy", "web01")]


def test_a_plugged_interface_of_a_suspended_vm_is_refused_even_with_force() -> None:
    with pytest.raises(ResourceError, match="legacy01.*suspended"):
        vif_steps("backend", uses(("OpaqueRef:old", "0", True)), force=True)


def test_networks_on_physical_interfaces_are_not_removed() -> None:
    with pytest.raises(ResourceError, match=r"eth1 on host1, eth1 on host2"):
        check_no_physical_interfaces("eth1 network", {"OpaqueRef:a": pif("h1"), "OpaqueRef:b": pif("h2")}, HOSTS)
    check_no_physical_interfaces("backend", {"OpaqueRef:v": pif("h1", vlan=5)}, HOSTS)


def test_vlan_interfaces_are_removed_in_host_order() -> None:
    net_pifs = {"OpaqueRef:b": pif("h2", vlan=5), "OpaqueRef:a": pif("h1", vlan=5)}
    assert [ref for ref, _record in vlan_interfaces(net_pifs, HOSTS)] == ["OpaqueRef:a", "OpaqueRef:b"]


# --- view -------------------------------------------------------------------------------------

def test_network_view() -> None:
    net_pifs = {"OpaqueRef:v1": pif("h1", vlan=100), "OpaqueRef:v2": pif("h2", vlan=100, plugged=False)}
    view = network_view(network(VIFs=["OpaqueRef:x", "OpaqueRef:y"], tags=["t"]), net_pifs, HOSTS)
    assert view == {"uuid": "net-uuid", "name": "backend", "description": "", "bridge": "xapi0", "mtu": 1500, "managed": True, "other_config": {},
                    "tags": ["t"], "vlan": {"tag": 100, "device": "eth1"},
                    "pifs": [{"host": "host1", "device": "eth1", "vlan": 100, "plugged": True},
                             {"host": "host2", "device": "eth1", "vlan": 100, "plugged": False}],
                    "vif_count": 2}
    assert network_view(network(), {}, HOSTS)["vlan"] is None
