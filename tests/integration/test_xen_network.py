"""xen_network end to end against the simulator: VLANs on every host, changes, refusals and removals.

Between playbook runs the test changes the pool through the API, as other tools or new hosts would:
it removes a host's VLAN interface, unplugs another, and gives VMs interfaces on the network.
"""
from __future__ import annotations

from typing import Any, Iterator

import pytest

from harness import run_playbook

from ansible_collections.xen.xapi.plugins.module_utils._xapi.client import XapiClient
from ansible_collections.xen.xapi.plugins.module_utils._xapi.urls import ConnectionParams


@pytest.fixture
def api(sim: Any) -> Iterator[XapiClient]:
    params = ConnectionParams(hostname=sim.url, username=sim.info["username"], password=sim.info["password"], ca_path=sim.ca_cert)
    with XapiClient(params) as client:
        yield client


def only(client: XapiClient, cls: str, name: str) -> str:
    refs = client.call(cls + ".get_by_name_label", name)
    assert len(refs) == 1, (cls, name, refs)
    return refs[0]


def host_of_pif(client: XapiClient, pif: str) -> str:
    return client.call("host.get_name_label", client.call("PIF.get_host", pif))


def new_vif(client: XapiClient, vm: str, network: str, device: str) -> str:
    return client.call("VIF.create", {"device": device, "network": network, "VM": vm, "MAC": "", "MTU": 1500, "other_config": {},
                                      "qos_algorithm_type": "", "qos_algorithm_params": {}})


def test_create_change_and_refuse(sim: Any, api: XapiClient) -> None:
    for _copy in range(2):
        api.call("network.create", {"name_label": "it twin", "name_description": "", "MTU": 1500, "other_config": {}})
    run_playbook(sim, "xen_network.yml")


def test_every_host_gets_the_vlan_and_vm_interfaces_block_removal(sim: Any, api: XapiClient) -> None:
    network = only(api, "network", "it vlan 100")
    pifs = dict((host_of_pif(api, pif), pif) for pif in api.call("network.get_PIFs", network))
    # host3 loses its VLAN, as a host that joined the pool after the network was made lacks it.
    api.call("VLAN.destroy", api.call("PIF.get_VLAN_master_of", pifs["host3"]))
    api.call("PIF.unplug", pifs["host2"])
    # host4 joins the pool after the network was made: it has eth1 but no VLAN on it yet.
    assert sim.control_post("hosts", {"name": "host4", "devices": ["eth0", "eth1"]})["address"] == "127.0.0.4"
    running = new_vif(api, only(api, "VM", "web01"), network, "3")
    api.call("VIF.plug", running)
    new_vif(api, only(api, "VM", "build01"), network, "3")

    run_playbook(sim, "xen_network_members.yml")

    assert api.call("network.get_by_name_label", "it vlan 100") == []
    web01_networks = [api.call("VIF.get_network", vif) for vif in api.call("VM.get_VIFs", only(api, "VM", "web01"))]
    assert network not in web01_networks and len(web01_networks) == 1


def test_demo_part(sim: Any) -> None:
    result = run_playbook(sim, "../../../playbooks/demo/networks.yml")
    assert "VLAN 42" in result.stdout
