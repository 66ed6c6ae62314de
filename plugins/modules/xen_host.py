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
  - With O(apply_updates) and O(reboot_if_needed) it also installs the updates the pool synced and reboots the host if
    they ask for it - together with O(state=maintenance), one task patches a host without stopping a VM.
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
      - Seconds to wait for the host to be enabled or disabled, for its evacuation, for each migration back and for
        the updates to be applied.
      - When it does not finish in time, its task is cancelled and the module fails.
    type: int
    default: 300
  apply_updates:
    description:
      - Install the updates that the pool's last sync of its update repository (M(xen.xapi.xen_pool)
        O(xen.xapi.xen_pool#module:sync_updates=true)) offers and the host lacks, with C(host.apply_updates).
        A host that has them all is left alone.
      - XAPI disables the host while it applies updates, and refuses (C(HOST_EVACUATION_IS_REQUIRED)) updates that
        need a reboot on a host that still runs VMs; use it with O(state=maintenance).
      - The updates leave guidance in the host's C(pending_guidances) (V(reboot_host), V(restart_toolstack)), and XAPI
        does not enable a host while guidance is pending; O(reboot_if_needed) follows it.
      - XenServer 8 and XCP-ng 8.3 with update repositories; a pool that was never synced fails, saying to sync it.
    type: bool
    default: false
  reboot_if_needed:
    description:
      - When the host's pending guidance asks for it (after O(apply_updates), or from an earlier run), reboot the host
        (V(reboot_host)) or restart its toolstack (V(restart_toolstack)), and wait until it is back; a host without such
        guidance is not rebooted.
      - A reboot needs the host empty (XAPI would shut down the VMs left); with VMs still on it the module fails naming
        them. Use it with O(state=maintenance).
      - After the reboot the host is put back in the state asked (XAPI enables a host when it starts).
    type: bool
    default: false
  reboot_timeout:
    description:
      - Seconds to wait for the host to come back after a reboot or a toolstack restart. While the pool master reboots the
        pool answers no call; the module tries again until then.
    type: int
    default: 1800
notes:
  - A run that changes nothing reads the hosts and the pool, so it costs four API calls, login and logout included,
    in three round trips (the two reads are sent together). Enabling or disabling runs
    as an XAPI task, waited for on the event stream.
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

- name: Fetch what the update repository offers
  xen.xapi.xen_pool:
    sync_updates: true

- name: Move the VMs off host2, install its updates and reboot it if they ask for it
  xen.xapi.xen_host:
    name: host2
    state: maintenance
    apply_updates: true
    reboot_if_needed: true

- name: Take VMs again, and the ones that were moved away
  xen.xapi.xen_host:
    name: host2
    state: enabled
    restore_vms: true
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
      C(tags), C(enabled), C(vms) (the guests moved away or back), C(maintenance) (its record written for a host
      that had no guest to move, or cleared when the host is enabled), C(updates) (applied), C(reboot) and
      C(restart_toolstack) (the pending guidance before and after).
    - In check mode the reboot that applied updates may ask for is not listed, as only applying them tells.
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
    updates:
      description:
        - Whether the host has every update of the pool's last sync - V(yes), V(no), or V(unknown) when the pool was
          never synced (C(latest_synced_updates_applied)).
      type: str
      sample: "yes"
    pending_guidances:
      description: What the host still needs for the updates it got, for example V(reboot_host) or V(restart_toolstack).
      type: list
      elements: str
      sample: [reboot_host]
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

# First, so that the module utilities below compile once each (see _zip_import).
from ansible_collections.xen.xapi.plugins.module_utils import _zip_import  # noqa: F401 pylint: disable=unused-import
from ansible_collections.xen.xapi.plugins.module_utils import _engine, _module
from ansible_collections.xen.xapi.plugins.module_utils.pool import host_resource


def main() -> None:
    module = _module.XapiModule(
        argument_spec=dict(
            _module.METADATA_ARGUMENT_SPEC,  # other_config, tags, purge
            name=dict(type="str", aliases=["name_label"]),
            uuid=dict(type="str"),
            state=dict(type="str", choices=["enabled", "disabled", "maintenance"]),
            enabled=dict(type="bool"),
            restore_vms=dict(type="bool", default=False),
            description=dict(type="str"),
            task_timeout=dict(type="int", default=300),
            apply_updates=dict(type="bool", default=False),
            reboot_if_needed=dict(type="bool", default=False),
            reboot_timeout=dict(type="int", default=1800),
        ),
        required_one_of=[["uuid", "name"]],
        mutually_exclusive=[["state", "enabled"]],
        supports_check_mode=True,
    )
    _engine.reconcile(module, host_resource.HostResource)


if __name__ == "__main__":
    main()
