#!/usr/bin/python
# Copyright: (c) 2026, xen.xapi maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: xen_host
short_description: Enable, disable and put into maintenance the hosts of a XenServer or XCP-ng pool
version_added: 0.1.0
description:
  - Puts one host of the pool, found by O(uuid) or O(name), in a state - V(enabled) (it accepts new VMs),
    V(disabled) (it keeps the VMs it runs but takes no new ones) or V(maintenance) (disabled and emptied) - and
    sets its description, C(other_config) and tags.
  - For V(maintenance) the module first asks XAPI which VMs would prevent the evacuation
    (C(host.get_vms_which_prevent_evacuation)); if any, it fails naming them and their reasons, and changes nothing.
    Otherwise it disables the host and evacuates it with C(host.evacuate) - every guest is live-migrated to the other
    hosts, in parallel, by the server. The guests it moved are recorded in the host's C(other_config)
    (C(xen.xapi:evacuated)), so that V(enabled) with O(restore_vms=true) brings them back.
  - Without O(state), O(enabled) or other options, the module only returns the host.
  - Hosts join and leave a pool from the hosts themselves; this module neither adds nor removes hosts.
author:
  - xen.xapi maintainers (@xen-xapi)
extends_documentation_fragment:
  - xen.xapi.connection
  - xen.xapi.attributes
  - xen.xapi.attributes.RESOURCE
  - xen.xapi.metadata
options:
  name:
    description:
      - The host's name (C(name_label)). A name that several hosts share fails, listing their uuids.
      - With O(uuid), renames the host.
      - One of O(name) and O(uuid) is required.
    type: str
    aliases: [name_label]
  uuid:
    description:
      - The host's uuid. Takes precedence over O(name).
    type: str
  state:
    description:
      - V(enabled) calls C(host.enable); V(disabled) calls C(host.disable); V(maintenance) disables the host and
        evacuates its guests, as described above.
      - When not set, the host's state is left as it is.
    type: str
    choices: [enabled, disabled, maintenance]
  enabled:
    description:
      - The older spelling of O(state) V(enabled) (V(true)) and V(disabled) (V(false)). Exclusive with O(state).
    type: bool
  restore_vms:
    description:
      - With O(state=enabled), live-migrate back the running guests that the host's evacuation into maintenance
        moved away (all at once, each waited for on events).
    type: bool
    default: false
  description:
    description:
      - The host's description (C(name_description)).
    type: str
  task_timeout:
    description:
      - Seconds to wait for the host to be enabled or disabled, for its evacuation, and for each migration back.
      - When it does not finish in time, its task is cancelled and the module fails.
    type: int
    default: 300
notes:
  - A run reads the hosts and the pool in one API call, so it costs three calls, login and logout included, when
    nothing changes. Enabling or disabling runs as an XAPI task, waited for on the event stream.
seealso:
  - module: xen.xapi.xen_vm
    description: Move VMs to another host with O(xen.xapi.xen_vm#module:target_host).
  - module: xen.xapi.xen_info
    description: Read hosts and the VMs that run on them.
"""

EXAMPLES = r"""
# The connection options (hostname, username, password, ca_path) come from the XAPI_HOST, XAPI_USERNAME,
# XAPI_PASSWORD and XAPI_CA_PATH environment variables here; set them with module_defaults otherwise.
- name: Stop placing new VMs on host3
  xen.xapi.xen_host:
    name: host3
    enabled: false
  register: host3

- name: Say how many VMs still run there
  ansible.builtin.debug:
    msg: "{{ host3.host.name }} is disabled and still runs {{ host3.host.vm_count }} VM(s)."

- name: Accept VMs on host3 again
  xen.xapi.xen_host:
    uuid: "{{ host3.host.uuid }}"
    enabled: true
"""

RETURN = r"""
changed:
  description: Whether the host was enabled or disabled (or, in check mode, would be).
  returned: always
  type: bool
  sample: true
changes:
  description:
    - The changes made (or, in check mode, that would be made), in order - C(description), C(name), C(other_config),
      C(tags), C(enabled), C(vms) (the guests moved away or back) and C(maintenance) (its record written for a host
      that had no guest to move, or cleared when the host is enabled).
  returned: always
  type: list
  elements: dict
  contains:
    option:
      description: The option that changes.
      type: str
      sample: enabled
    before:
      description: The value before.
      type: bool
      sample: true
    after:
      description: The value after.
      type: bool
      sample: false
  sample:
    - {option: enabled, before: true, after: false}
host:
  description: The host after the run; in check mode, as it was before.
  returned: always
  type: dict
  contains:
    uuid:
      description: The host's uuid.
      type: str
      sample: 4d3c2b1a-0f9e-4d8c-b7a6-5f4e3d2c1b0a
    name:
      description: The host's name (C(name_label)).
      type: str
      sample: host3
    description:
      description: The host's description (C(name_description)).
      type: str
      sample: Rack 2, slot 7
    hostname:
      description: The host's own host name.
      type: str
      sample: xs03
    address:
      description: The host's management address.
      type: str
      sample: 192.0.2.13
    enabled:
      description: Whether the host accepts new VMs.
      type: bool
      sample: false
    is_master:
      description: Whether the host is the pool master.
      type: bool
      sample: false
    vm_count:
      description: How many VMs run on the host (its control domain left out).
      type: int
      sample: 2
    state:
      description: V(enabled), V(disabled), or V(maintenance) for a host disabled and evacuated by this module.
      type: str
      sample: maintenance
    other_config:
      description: The host's C(other_config).
      type: dict
    tags:
      description: The host's tags, sorted.
      type: list
      elements: str
vms_preventing_evacuation:
  description: The VMs (name and uuid) that keep O(state=maintenance) from evacuating the host.
  returned: when the host cannot be evacuated
  type: list
  elements: str
diff:
  description: The host before and after the run (predicted in check mode), in the form of RV(host).
  returned: when diff mode is on
  type: dict
  contains:
    before:
      description: The host before the run.
      type: dict
    after:
      description: The host after the run.
      type: dict
"""

from ansible_collections.xen.xapi.plugins.module_utils._engine import reconcile
from ansible_collections.xen.xapi.plugins.module_utils.pool.host_resource import HostResource
from ansible_collections.xen.xapi.plugins.module_utils._module import METADATA_ARGUMENT_SPEC, XapiModule


def main() -> None:
    module = XapiModule(
        argument_spec=dict(
            METADATA_ARGUMENT_SPEC,  # other_config, tags, purge
            name=dict(type="str", aliases=["name_label"]),
            uuid=dict(type="str"),
            state=dict(type="str", choices=["enabled", "disabled", "maintenance"]),
            enabled=dict(type="bool"),
            restore_vms=dict(type="bool", default=False),
            description=dict(type="str"),
            task_timeout=dict(type="int", default=300),
        ),
        required_one_of=[["uuid", "name"]],
        mutually_exclusive=[["state", "enabled"]],
        supports_check_mode=True,
    )
    reconcile(module, HostResource)


if __name__ == "__main__":
    main()
