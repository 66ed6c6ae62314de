#!/usr/bin/python
# Copyright: (c) 2026, xen.xapi maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: xen_vm_group
short_description: Manage VM groups and their anti-affinity placement in a XenServer or XCP-ng pool
version_added: 0.1.0
description:
  - Creates, changes and removes a VM group (C(VM_group)) found by O(name), and sets which VMs belong to it.
  - A group with O(placement=anti_affinity) keeps its VMs apart - replicas of a database, nodes of a cluster - so
    that one host failing takes down as few of them as possible. XAPI applies the placement when a VM of the group
    starts or resumes without a host named, and when a host is evacuated (for example by
    M(xen.xapi.xen_host) O(xen.xapi.xen_host#module:state=maintenance)) - each VM goes to the host that runs the
    fewest VMs of its group. Running VMs that join a group are not moved.
  - A VM belongs to one group at most; naming in O(vms) a VM that is in another group fails, naming both.
  - Requires XenServer 8 or XCP-ng 8.3 with VM groups (API 24.19.1 or later).
author:
  - xen.xapi maintainers (@xen-xapi)
extends_documentation_fragment:
  - xen.xapi.connection
  - xen.xapi.attributes
  - xen.xapi.attributes.RESOURCE
options:
  name:
    description:
      - The group's name (C(name_label)). A name that several groups share fails, listing their uuids.
    type: str
    required: true
    aliases: [name_label]
  description:
    description:
      - The group's description (C(name_description)).
    type: str
  placement:
    description:
      - How XAPI places the group's VMs. V(anti_affinity) spreads them over the hosts; V(normal) places them as any
        other VM.
      - XAPI sets the placement when it creates the group; a different value for an existing group fails, saying to
        remove the group and create it again. When not set, a new group gets V(normal) and an existing one keeps its
        own.
    type: str
    choices: [normal, anti_affinity]
  vms:
    description:
      - Every VM of the group, by name or uuid. VMs of the group not listed leave it; V([]) empties the group.
      - When not set, the members are left as they are.
      - A name that several VMs share fails, listing their uuids. Templates and snapshots cannot be members.
    type: list
    elements: str
  state:
    description:
      - V(present) creates or changes the group; V(absent) removes it (its VMs leave it and keep running where they
        are).
    type: str
    choices: [present, absent]
    default: present
notes:
  - A run that changes nothing costs six API calls, login and logout included, whatever the number of VMs named, in
    at most five round trips (the groups and the hosts are read together).
seealso:
  - module: xen.xapi.xen_vm
    description: Start the group's VMs; without O(xen.xapi.xen_vm#module:target_host), XAPI places them.
  - module: xen.xapi.xen_host
    description: Put a host into maintenance; its evacuation keeps the group's VMs apart.
  - name: VM groups in the XenAPI reference
    description: The C(VM_group) class and its placement policies.
    link: https://xapi-project.github.io/xen-api/classes/vm_group.html
"""

EXAMPLES = r"""
# The connection options (hostname, username, password, ca_path) come from the XAPI_HOST, XAPI_USERNAME,
# XAPI_PASSWORD and XAPI_CA_PATH environment variables here; set them with module_defaults otherwise.
- name: Keep the web servers on different hosts
  xen.xapi.xen_vm_group:
    name: web tier
    description: One web server per host
    placement: anti_affinity
    vms:
      - web01
      - web02
  register: web_tier

- name: Say where they run
  ansible.builtin.debug:
    msg: "{{ web_tier.vm_group.name }} runs on {{ web_tier.vm_group.hosts | join(', ') }}."

- name: Remove the group (the VMs stay where they are)
  xen.xapi.xen_vm_group:
    name: web tier
    state: absent
"""

RETURN = r"""
changed:
  description: Whether the group was created, changed or removed (or, in check mode, would be).
  returned: always
  type: bool
  sample: true
changes:
  description:
    - The changes made (or, in check mode, that would be made), in order - C(state) (created or removed),
      C(description) and C(vms) (the names of the members before and after).
  returned: always
  type: list
  elements: dict
  contains:
    option:
      description: The option that changes.
      type: str
      sample: vms
    before:
      description: The value before.
      type: raw
      sample: [web01]
    after:
      description: The value after.
      type: raw
      sample: [web01, web02]
vm_group:
  description: The group after the run (as it was before in check mode); empty when it is absent.
  returned: always
  type: dict
  contains:
    uuid:
      description: The group's uuid.
      type: str
      sample: 0b2e7c43-8f6d-4a39-9a51-6c2f8d0e1a77
    name:
      description: The group's name.
      type: str
      sample: web tier
    description:
      description: The group's description.
      type: str
      sample: One web server per host
    placement:
      description: V(normal) or V(anti_affinity).
      type: str
      sample: anti_affinity
    vms:
      description: The members, sorted by name.
      type: list
      elements: dict
      contains:
        name:
          description: The VM's name.
          type: str
          sample: web01
        uuid:
          description: The VM's uuid.
          type: str
          sample: 5f0a7d3e-2c1b-4e8f-9a6d-3b7c1e0f2a94
        power_state:
          description: V(running), V(halted), V(suspended) or V(paused).
          type: str
          sample: running
        host:
          description: The host the VM runs on; empty when it does not run.
          type: str
          sample: host1
    hosts:
      description: The hosts the running members are on, sorted. As many hosts as running members means none share one.
      type: list
      elements: str
      sample: [host1, host2]
diff:
  description: The group before and after the run (predicted in check mode), in the form of RV(vm_group).
  returned: when diff mode is on
  type: dict
  contains:
    before:
      description: The group before the run.
      type: dict
    after:
      description: The group after the run.
      type: dict
"""

# First, so that the module utilities below compile once each (see _zip_import).
from ansible_collections.xen.xapi.plugins.module_utils import _zip_import  # noqa: F401 pylint: disable=unused-import
from ansible_collections.xen.xapi.plugins.module_utils import _engine, _module
from ansible_collections.xen.xapi.plugins.module_utils.vm import group_resource


def main() -> None:
    module = _module.XapiModule(
        argument_spec=dict(
            name=dict(type="str", required=True, aliases=["name_label"]),
            description=dict(type="str"),
            placement=dict(type="str", choices=["normal", "anti_affinity"]),
            vms=dict(type="list", elements="str"),
            state=dict(type="str", choices=["present", "absent"], default="present"),
        ),
        supports_check_mode=True,
    )
    _engine.reconcile(module, group_resource.VmGroupResource)


if __name__ == "__main__":
    main()
