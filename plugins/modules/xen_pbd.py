#!/usr/bin/python
# Copyright: (c) 2026, xen.xapi maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""xen_pbd: how the hosts of the pool reach a storage repository (PBDs)."""

from __future__ import annotations

DOCUMENTATION = r"""
module: xen_pbd
short_description: Attach storage repositories to hosts, plug, unplug and reconfigure them (PBDs) on XenServer or XCP-ng
version_added: 0.1.0
description:
  - Manages the PBDs of a storage repository (SR) on one, several or all hosts of the pool, named by O(sr) and O(hosts),
    or one PBD found by O(uuid). A PBD attaches an SR to a host, with the settings (C(device_config)) the host uses to
    reach the storage.
  - Creates the PBDs that are missing, for instance on a host that joined the pool, with O(device_config) (by default
    merged over the settings of another host's PBD of the SR), and plugs them.
  - Plugs and unplugs PBDs (O(plugged)).
  - Reconfigures PBDs whose settings differ from O(device_config). XAPI cannot change the settings of a PBD in place, so
    each is unplugged, destroyed, created again with the new settings and plugged again if it was plugged, as the
    C(fixpbds.py) example of the XenServer SDK does. The new PBD has a new uuid.
  - Across hosts, the pool master's PBD is unplugged last and plugged first, as shared storage requires.
  - Unplugging an SR from a host where running VMs use its disks is refused, listing the VMs.
  - Removes PBDs (O(state=absent)), after unplugging them.
  - To create or remove the SR itself, use M(xen.xapi.xen_sr).
author:
  - xen.xapi maintainers (@xen-xapi)
extends_documentation_fragment:
  - xen.xapi.connection
  - xen.xapi.attributes
  - xen.xapi.attributes.RESOURCE
options:
  state:
    description:
      - V(present) creates the PBDs that are missing and makes them match the options.
      - V(absent) unplugs and removes the PBDs, leaving the SR and its data as they are.
    type: str
    choices: [present, absent]
    default: present
  uuid:
    description:
      - The uuid of an existing PBD. XAPI chooses the uuid of a new PBD, so PBDs are created only for O(sr) and O(hosts).
      - One of O(uuid) and O(sr) is required.
    type: str
  sr:
    description:
      - The storage repository, by name or uuid.
    type: str
  hosts:
    description:
      - The hosts, by name or uuid, whose PBDs of O(sr) are managed; V(all) means every host of the pool.
      - With a single host, the result is returned as RV(pbd); with V(all) or several hosts, as RV(pbds).
      - Required with O(sr).
    type: list
    elements: str
  device_config:
    description:
      - The settings the hosts use to reach the storage, as the driver of the SR expects them, such as C(server) and
        C(serverpath) for NFS.
      - They are merged into the current settings, unless O(purge=true). A PBD whose settings differ is re-created with
        the new ones.
      - For a host that has no PBD of the SR yet, they are merged over the settings of the master's PBD (or of another
        host's), unless O(purge=true); they are required when no host has a PBD of the SR.
      - Values of keys that hold credentials (with C(password), C(passwd), C(secret) or C(token) in their name) are
        never logged nor returned. When XAPI keeps such a value in a secret object (a C(<key>_secret) entry holding the
        secret's uuid), it cannot be read back and is not compared.
    type: dict
  purge:
    description:
      - Make O(device_config) exactly the settings of the PBDs, removing keys that are not listed.
    type: bool
    default: false
  plugged:
    description:
      - Whether the PBDs are plugged, that is whether the hosts have the SR attached.
      - When not set, new PBDs are plugged, and existing ones keep their state (a re-created PBD is plugged again if it was).
      - A local (not shared) SR can only be plugged on one host at a time; asking for more is refused.
    type: bool
  task_timeout:
    description:
      - Seconds to wait for each plug or unplug to finish.
      - When it does not finish in time, its task is cancelled and the module fails.
    type: int
    default: 1800
notes:
  - A run that changes nothing costs at most six API calls, login and logout included, whatever the size of the pool,
    one per class it reads, in three round trips (the reads are sent together).
seealso:
  - module: xen.xapi.xen_sr
    description: Create, destroy and forget storage repositories.
"""

EXAMPLES = r"""
# The connection options (hostname, username, password, ca_path) come from the XAPI_HOST, XAPI_USERNAME,
# XAPI_PASSWORD and XAPI_CA_PATH environment variables here; set them with module_defaults otherwise.
- name: Point every host at the ISO share's new address (the master is unplugged last and plugged first)
  xen.xapi.xen_pbd:
    sr: ISO library
    hosts: all
    device_config:
      location: 192.0.2.11:/export/iso
  register: moved

- name: Unplug the ISO library from host3
  xen.xapi.xen_pbd:
    sr: ISO library
    hosts: host3
    plugged: false

- name: Remove host3's PBD altogether
  xen.xapi.xen_pbd:
    sr: ISO library
    hosts: host3
    state: absent

- name: Make sure every host, including new members, has the SR attached and plugged
  xen.xapi.xen_pbd:
    sr: ISO library
    hosts: all
    plugged: true

- name: Unplug one PBD found by its uuid
  xen.xapi.xen_pbd:
    uuid: "{{ moved.pbds.host2.uuid }}"
    plugged: false
"""

RETURN = r"""
changed:
  description: Whether anything was changed (or, in check mode, would be).
  returned: always
  type: bool
  sample: true
changes:
  description:
    - The changes made (or, in check mode, that would be made).
    - For RV(pbd), C(state) from V(absent) to V(present) (or back) for a PBD created (or removed), else C(device_config)
      for a re-created PBD and C(plugged); for RV(pbds), one entry per host whose PBD changes, with the host's name as
      C(option) and the PBD before and after.
  returned: always
  type: list
  elements: dict
  contains:
    option:
      description: The field (or, for RV(pbds), the host) that changes.
      type: str
      sample: plugged
    before:
      description: The value before.
      type: raw
      sample: true
    after:
      description: The value after.
      type: raw
      sample: false
pbd:
  description:
    - The PBD after the run, when O(uuid) or a single host is given; in check mode, as it was before.
      Empty when it does not exist.
  returned: when O(uuid) or a single host is given
  type: dict
  contains:
    uuid:
      description: The PBD's uuid.
      type: str
      sample: 3c2d1e0f-9a8b-4c7d-8e6f-5a4b3c2d1e0f
    host:
      description: The name of the PBD's host.
      type: str
      sample: host2
    sr:
      description: The name of the PBD's SR.
      type: str
      sample: NFS storage
    sr_uuid:
      description: The uuid of the PBD's SR.
      type: str
      sample: 0e8b8f31-4b8a-4a51-a3c5-5f1b7e0a9c42
    plugged:
      description: Whether the SR is attached on the host.
      type: bool
      sample: true
    device_config:
      description: The settings the host uses, with the values of credentials replaced by C(********).
      type: dict
      sample: {server: 192.0.2.11, serverpath: /export/vms}
pbds:
  description:
    - The PBDs after the run, keyed by host name, when O(hosts) is V(all) or lists several hosts; in check mode, as they
      were before. Hosts without a PBD of the SR are left out.
    - Each value has the fields of RV(pbd).
  returned: when O(hosts) is V(all) or lists several hosts
  type: dict
  sample:
    host1:
      uuid: 3c2d1e0f-9a8b-4c7d-8e6f-5a4b3c2d1e0f
      host: host1
      sr: NFS storage
      sr_uuid: 0e8b8f31-4b8a-4a51-a3c5-5f1b7e0a9c42
      plugged: true
      device_config: {server: 192.0.2.11, serverpath: /export/vms}
diff:
  description: The PBDs before and after the run (predicted in check mode), in the form of RV(pbd) or, for several hosts, RV(pbds).
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
from ansible_collections.xen.xapi.plugins.module_utils.storage import device_config, pbd_resource


def main() -> None:
    module = _module.XapiModule(
        argument_spec=dict(
            state=dict(type="str", choices=["present", "absent"], default="present"),
            uuid=dict(type="str"),
            sr=dict(type="str"),
            hosts=dict(type="list", elements="str"),
            # no_log keeps the whole map out of Ansible's logs; protect_secrets releases its ordinary values.
            device_config=dict(type="dict", no_log=True),
            purge=dict(type="bool", default=False),
            plugged=dict(type="bool"),
            task_timeout=dict(type="int", default=1800),
        ),
        required_one_of=[["uuid", "sr"]],
        mutually_exclusive=[["uuid", "sr"], ["uuid", "hosts"]],
        required_together=[["sr", "hosts"]],
        supports_check_mode=True,
    )
    device_config.protect_secrets(module)
    _engine.reconcile(module, pbd_resource.PbdResource)


if __name__ == "__main__":
    main()
