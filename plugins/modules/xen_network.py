#!/usr/bin/python
# Copyright: (c) 2026, xen.xapi maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""xen_network: pool networks, including VLAN networks on every host."""

from __future__ import annotations

DOCUMENTATION = r"""
module: xen_network
short_description: Create, change and remove networks, including VLANs across the pool, on XenServer or XCP-ng
version_added: 0.1.0
description:
  - Manages one network of the pool, found by O(uuid) or O(name).
  - Creates a network and changes its name, description, MTU, O(other_config) and O(tags) in place.
  - With O(vlan), makes the network a VLAN on a host interface (such as V(eth1)) of every host of the pool, one plugged
    VLAN interface (PIF) per host. Hosts that lack it, such as a host that joined the pool since the last run, get it;
    unplugged VLAN interfaces are plugged.
  - The tag and device of an existing VLAN network never change; asking for others is refused.
  - Removes a network with its VLAN interfaces. A network that VMs have interfaces (VIFs) on is only removed with
    O(force=true), which unplugs and removes those interfaces first.
  - To connect VMs to a network, use O(xen.xapi.xen_vm#module:networks) of M(xen.xapi.xen_vm).
author:
  - xen.xapi maintainers (@xen-xapi)
extends_documentation_fragment:
  - xen.xapi.connection
  - xen.xapi.attributes
  - xen.xapi.attributes.RESOURCE
  - xen.xapi.metadata
options:
  state:
    description:
      - V(present) creates the network when it does not exist and makes it match the options.
      - V(absent) removes the network and its VLAN interfaces (see O(force)).
    type: str
    choices: [present, absent]
    default: present
  uuid:
    description:
      - The uuid of an existing network.
      - XAPI chooses the uuid of a new network, so a network is created only when it is named by O(name).
      - With O(uuid), O(name) renames the network.
    type: str
  name:
    description:
      - The name (C(name_label)) of the network.
      - Names are not unique in XAPI; when several networks have this name, the module fails and lists their uuids,
        so that one can be chosen with O(uuid).
      - One of O(uuid) and O(name) is required.
    type: str
    aliases: [name_label]
  description:
    description:
      - The description (C(name_description)) of the network.
    type: str
  mtu:
    description:
      - The MTU of the network, in bytes. New networks get V(1500).
    type: int
  managed:
    description:
      - Whether XAPI manages the bridge of a new network. New networks are managed; VLAN networks must be.
      - Set when the network is created; a different value for an existing network is refused.
    type: bool
  bridge:
    description:
      - The name of the bridge of a new network, such as V(brstorage), at most 15 characters. Names starting with V(xen),
        V(xapi), V(vif), V(tap) or V(eth) are kept for the hosts' own bridges. When not set, XAPI chooses the next free
        name (V(xapi0), V(xapi1), ...).
      - Set when the network is created; a different value for an existing network is refused.
    type: str
  vlan:
    description:
      - Make the network a VLAN on every host of the pool.
      - Each host gets one VLAN interface for this network on its interface O(vlan.device), plugged.
        Every host must have that device; hosts that have the VLAN interface already are left as they are (plugged if needed).
      - The tag and device of an existing VLAN network cannot change, and a network bridged to a host interface without
        a tag cannot become a VLAN; both are refused.
    type: dict
    suboptions:
      tag:
        description:
          - The 802.1Q VLAN tag, from V(0) to V(4094).
        type: int
        required: true
      device:
        description:
          - The host interface that carries the VLAN, such as V(eth1) or V(bond0).
        type: str
        required: true
  force:
    description:
      - With O(state=absent), unplug the VMs' interfaces on the network (from running VMs) and remove them before the network.
      - Without it, removing a network that VMs have interfaces on is refused, and the VMs are listed.
    type: bool
    default: false
  task_timeout:
    description:
      - Seconds to wait for each networking operation (creating, plugging or removing an interface) to finish.
      - When it does not finish in time, its task is cancelled and the module fails.
    type: int
    default: 600
notes:
  - A run that changes nothing costs at most five API calls, login and logout included, whatever the size of the pool,
    one per class it reads, in three round trips (the reads are sent together).
seealso:
  - module: xen.xapi.xen_vm
    description: Connect VMs to networks.
  - module: xen.xapi.xen_info
    description: Read networks, PIFs and VIFs.
"""

EXAMPLES = r"""
# The connection options (hostname, username, password, ca_path) come from the XAPI_HOST, XAPI_USERNAME,
# XAPI_PASSWORD and XAPI_CA_PATH environment variables here; set them with module_defaults otherwise.
- name: Create VLAN 100 on eth1 of every host of the pool
  xen.xapi.xen_network:
    name: backend
    description: Backend traffic, VLAN 100
    vlan:
      tag: 100
      device: eth1
    tags: [backend]
  register: backend

- name: Raise its MTU for jumbo frames
  xen.xapi.xen_network:
    name: backend
    mtu: 9000

- name: Create a private network without host interfaces (traffic stays within each host)
  xen.xapi.xen_network:
    name: lab internal
    other_config:
      owner: lab

- name: Remove the private network
  xen.xapi.xen_network:
    name: lab internal
    state: absent

- name: Remove the VLAN network, with the VMs' interfaces on it
  xen.xapi.xen_network:
    uuid: "{{ backend.network.uuid }}"
    state: absent
    force: true
"""

RETURN = r"""
changed:
  description: Whether anything was changed (or, in check mode, would be).
  returned: always
  type: bool
  sample: true
changes:
  description:
    - The changes made (or, in check mode, that would be made), in order.
    - C(state) from V(absent) to V(present) for a new network; one entry per option changed on an existing one, with
      C(vlan) and C(pifs) when VLAN interfaces are added or plugged; for a removal, C(vifs) and C(pifs) for the
      interfaces removed with it, then C(state) from V(present) to V(absent).
  returned: always
  type: list
  elements: dict
  contains:
    option:
      description: The option, or returned field, that changes.
      type: str
      sample: mtu
    before:
      description: The value before.
      type: raw
      sample: 1500
    after:
      description: The value after.
      type: raw
      sample: 9000
network:
  description:
    - The network after the run; in check mode, as it was before. Empty when it does not exist.
  returned: always
  type: dict
  contains:
    uuid:
      description: The network's uuid.
      type: str
      sample: 6f7c3b1e-2d4a-4e8f-9a0b-1c2d3e4f5a6b
    name:
      description: The network's name (C(name_label)).
      type: str
      sample: backend
    description:
      description: The network's description (C(name_description)).
      type: str
      sample: Backend traffic, VLAN 100
    bridge:
      description: The bridge that carries the network on each host.
      type: str
      sample: xapi0
    mtu:
      description: The network's MTU, in bytes.
      type: int
      sample: 1500
    managed:
      description: Whether XAPI manages the network's bridge.
      type: bool
      sample: true
    other_config:
      description: The network's C(other_config) map.
      type: dict
      sample: {}
    tags:
      description: The network's tags.
      type: list
      elements: str
      sample: [backend]
    vlan:
      description: The VLAN the network is, as C(tag) and C(device); null for a network that is not a VLAN.
      type: dict
      sample: {tag: 100, device: eth1}
      contains:
        tag:
          description: The VLAN tag.
          type: int
          sample: 100
        device:
          description: The host interface that carries the VLAN.
          type: str
          sample: eth1
    pifs:
      description: The host interfaces (PIFs) of the network, one per host that carries it, sorted by host name.
      type: list
      elements: dict
      contains:
        host:
          description: The host's name.
          type: str
          sample: host1
        device:
          description: The host interface, such as V(eth1).
          type: str
          sample: eth1
        vlan:
          description: The VLAN tag of the interface; V(-1) for an interface without a tag.
          type: int
          sample: 100
        plugged:
          description: Whether the interface is up.
          type: bool
          sample: true
    vif_count:
      description: How many VM interfaces (VIFs) are on the network.
      type: int
      sample: 2
diff:
  description: The object before and after the run (predicted in check mode), in the form of RV(network).
  returned: when diff mode is on
  type: dict
  contains:
    before:
      description: Before the run.
      type: dict
    after:
      description: After the run.
      type: dict
"""

# First, so that the module utilities below compile once each (see _zip_import).
from ansible_collections.xen.xapi.plugins.module_utils import _zip_import  # noqa: F401 pylint: disable=unused-import
from ansible_collections.xen.xapi.plugins.module_utils import _engine, _module
from ansible_collections.xen.xapi.plugins.module_utils.network import resource


def main() -> None:
    module = _module.XapiModule(
        argument_spec=dict(
            _module.METADATA_ARGUMENT_SPEC,  # other_config, tags, purge
            state=dict(type="str", choices=["present", "absent"], default="present"),
            uuid=dict(type="str"),
            name=dict(type="str", aliases=["name_label"]),
            description=dict(type="str"),
            mtu=dict(type="int"),
            managed=dict(type="bool"),
            bridge=dict(type="str"),
            vlan=dict(type="dict", options=dict(
                tag=dict(type="int", required=True),
                device=dict(type="str", required=True),
            )),
            force=dict(type="bool", default=False),
            task_timeout=dict(type="int", default=600),
        ),
        required_one_of=[["uuid", "name"]],
        supports_check_mode=True,
    )
    _engine.reconcile(module, resource.NetworkResource)


if __name__ == "__main__":
    main()
