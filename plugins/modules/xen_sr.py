#!/usr/bin/python
# Copyright: (c) 2026, xen.xapi maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""xen_sr: storage repositories (SRs)."""

from __future__ import annotations

DOCUMENTATION = r"""
module: xen_sr
short_description: Create, change, destroy and forget storage repositories (SRs) on XenServer or XCP-ng
version_added: 0.1.0
description:
  - Manages one storage repository (SR), found by O(uuid), or by O(name) (on O(target_host) when given).
  - Creates an SR of a O(type) the pool has a storage driver for (such as V(nfs), V(lvm), V(ext), V(iso), V(smb),
    V(lvmoiscsi)). A shared SR is attached to every host of the pool; a local one to O(target_host).
  - Renames an SR (found by O(uuid)) and changes its description, sharing, O(other_config), O(sm_config) and O(tags)
    in place, and makes it the pool's default SR with O(default=true).
  - Destroys an SR (O(state=absent)), deleting it from the storage, or forgets it (O(state=forgotten)), removing it from
    the pool and keeping the data on the storage. Both first unplug its PBDs, the pool master's last, and both are refused
    while VMs that are running, paused or suspended use its disks.
  - To change how hosts reach an existing SR (its C(device_config)), or attach it to more hosts, use M(xen.xapi.xen_pbd).
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
      - V(present) creates the SR when it does not exist and makes it match the options.
      - V(absent) unplugs the SR's PBDs and destroys the SR, deleting it from the storage. An SR that still holds disks
        is refused; remove them first, or use V(forgotten).
      - V(forgotten) unplugs the SR's PBDs and forgets the SR. Its data stays on the storage, and it can be introduced again.
    type: str
    choices: [present, absent, forgotten]
    default: present
  uuid:
    description:
      - The uuid of an existing SR.
      - XAPI chooses the uuid of a new SR, so an SR is created only when it is named by O(name).
      - With O(uuid), O(name) renames the SR.
    type: str
  name:
    description:
      - The name (C(name_label)) of the SR.
      - Names are not unique in XAPI; when several SRs have this name, the module fails and lists their uuids, so that one
        can be chosen with O(uuid), or with O(target_host) for local SRs that are named alike on each host.
      - One of O(uuid) and O(name) is required.
    type: str
    aliases: [name_label]
  type:
    description:
      - The type of a new SR, that is the storage driver that manages it, such as V(nfs), V(lvm), V(ext), V(iso), V(smb)
        or V(lvmoiscsi). It must be one of the drivers (SM records) of the pool; others are refused, listing those there are.
      - Required to create an SR. The type of an existing SR cannot change; a different value is refused.
    type: str
  device_config:
    description:
      - How the hosts reach the storage of a new SR, as the driver expects it, such as C(server) and C(serverpath) for
        V(nfs), C(device) for V(lvm), or C(location) for V(iso).
      - Values of keys that hold credentials (with C(password), C(passwd), C(secret) or C(token) in their name) are
        never logged nor returned.
      - Only used to create the SR. When the PBDs of an existing SR use other settings, the module warns;
        reconfigure them with M(xen.xapi.xen_pbd).
    type: dict
  shared:
    description:
      - Whether the SR is shared by the hosts of the pool. A new shared SR is attached to every host.
      - New SRs are not shared. Changing it on an existing SR only changes the flag; XAPI refuses to unshare an SR that
        several hosts reach.
    type: bool
  content_type:
    description:
      - The content type of a new SR, V(user) for VM disks or V(iso) for ISO images.
      - Defaults to V(iso) for O(type=iso) and V(user) otherwise. It cannot change on an existing SR.
    type: str
  sm_config:
    description:
      - Entries of the SR's C(sm_config) map, read by the storage driver. They are added to the existing entries;
        O(purge) does not apply, since the driver keeps its own entries there.
    type: dict
  target_host:
    description:
      - The host (name or uuid) a new local SR is created on, and from which a new shared SR is created.
        Defaults to the pool master.
      - When looking an SR up by O(name), only SRs attached to this host are considered.
      - An existing SR found by O(uuid) must be attached to this host; SRs do not move between hosts.
    type: str
  description:
    description:
      - The description (C(name_description)) of the SR.
    type: str
  default:
    description:
      - V(true) makes the SR the pool's default SR, where new disks go; like XenCenter, it also becomes the SR of
        suspend images and crash dumps.
      - V(false) makes sure it is not the default, clearing the pool's default (and suspend image and crash dump) SR
        when they are this one.
      - When not set, the pool's default SR is left as it is.
    type: bool
  task_timeout:
    description:
      - Seconds to wait for each storage operation (create, plug, unplug, destroy, forget) to finish.
      - When it does not finish in time, its task is cancelled and the module fails.
    type: int
    default: 1800
notes:
  - A run that changes nothing costs at most seven API calls, login and logout included, whatever the size of the pool,
    one per class it reads, in three round trips (the reads are sent together).
  - C(size), C(utilisation) and C(virtual_allocation) are returned in bytes.
seealso:
  - module: xen.xapi.xen_pbd
    description: Attach SRs to hosts, plug and unplug them, and change how hosts reach them.
  - module: xen.xapi.xen_vdi
    description: Create and remove the disks of an SR.
"""

EXAMPLES = r"""
# The connection options (hostname, username, password, ca_path) come from the XAPI_HOST, XAPI_USERNAME,
# XAPI_PASSWORD and XAPI_CA_PATH environment variables here; set them with module_defaults otherwise.
- name: Create an NFS SR shared by every host of the pool
  xen.xapi.xen_sr:
    name: NFS VM storage
    type: nfs
    shared: true
    device_config:
      server: 192.0.2.20
      serverpath: /export/vm-storage
      nfsversion: "4.1"
    description: VM disks on the NFS filer
    tags: [nfs]
  register: nfs_sr

- name: Make it the pool's default SR
  xen.xapi.xen_sr:
    uuid: "{{ nfs_sr.sr.uuid }}"
    default: true

- name: Create an SMB ISO library, with its password kept out of logs and results
  xen.xapi.xen_sr:
    name: ISO share
    type: iso
    shared: true
    device_config:
      location: //192.0.2.20/iso
      type: cifs
      username: isoreader
      cifspassword: "{{ iso_share_password | default('Secr3t-Pa55') }}"

- name: Create a local ext SR on host2
  xen.xapi.xen_sr:
    name: Fast local storage
    type: ext
    target_host: host2
    device_config:
      device: /dev/nvme0n1

- name: Forget the ISO library, keeping the files on the share
  xen.xapi.xen_sr:
    name: ISO share
    state: forgotten

- name: Destroy the local SR (it must hold no disks)
  xen.xapi.xen_sr:
    name: Fast local storage
    target_host: host2
    state: absent
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
    - C(state) from V(absent) to V(present) for a new SR; one entry per option changed on an existing one; for a removal,
      C(pbds) when PBDs are unplugged, then C(state) from V(present) to V(absent) or V(forgotten).
  returned: always
  type: list
  elements: dict
  contains:
    option:
      description: The option, or returned field, that changes.
      type: str
      sample: default
    before:
      description: The value before.
      type: raw
      sample: false
    after:
      description: The value after.
      type: raw
      sample: true
sr:
  description:
    - The SR after the run; in check mode, as it was before. Empty when it does not exist.
  returned: always
  type: dict
  contains:
    uuid:
      description: The SR's uuid.
      type: str
      sample: 0e8b8f31-4b8a-4a51-a3c5-5f1b7e0a9c42
    name:
      description: The SR's name (C(name_label)).
      type: str
      sample: NFS VM storage
    description:
      description: The SR's description (C(name_description)).
      type: str
      sample: VM disks on the NFS filer
    type:
      description: The SR's type (storage driver).
      type: str
      sample: nfs
    content_type:
      description: The SR's content type.
      type: str
      sample: user
    shared:
      description: Whether the SR is shared by the hosts of the pool.
      type: bool
      sample: true
    default:
      description: Whether the SR is the pool's default SR.
      type: bool
      sample: false
    size:
      description: The size of the storage, in bytes (V(-1) while unknown).
      type: int
      sample: 1099511627776
    utilisation:
      description: The space in use on the storage, in bytes.
      type: int
      sample: 21474836480
    virtual_allocation:
      description: The sum of the virtual sizes of the SR's disks, in bytes.
      type: int
      sample: 42949672960
    other_config:
      description: The SR's C(other_config) map.
      type: dict
      sample: {}
    sm_config:
      description: The SR's C(sm_config) map.
      type: dict
      sample: {}
    tags:
      description: The SR's tags.
      type: list
      elements: str
      sample: [nfs]
    pbds:
      description: How each host reaches the SR (its PBDs), sorted by host name.
      type: list
      elements: dict
      contains:
        uuid:
          description: The PBD's uuid.
          type: str
          sample: 3c2d1e0f-9a8b-4c7d-8e6f-5a4b3c2d1e0f
        host:
          description: The host's name.
          type: str
          sample: host1
        plugged:
          description: Whether the SR is attached on that host.
          type: bool
          sample: true
        device_config:
          description: The settings the host uses, with the values of credentials replaced by C(********).
          type: dict
          sample: {server: 192.0.2.20, serverpath: /export/vm-storage}
    vdi_count:
      description: How many disks (VDIs) the SR holds.
      type: int
      sample: 4
diff:
  description: The object before and after the run (predicted in check mode), in the form of RV(sr).
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
from ansible_collections.xen.xapi.plugins.module_utils.storage import device_config, sr_resource


def main() -> None:
    module = _module.XapiModule(
        argument_spec=dict(
            _module.METADATA_ARGUMENT_SPEC,  # other_config, tags, purge
            state=dict(type="str", choices=["present", "absent", "forgotten"], default="present"),
            uuid=dict(type="str"),
            name=dict(type="str", aliases=["name_label"]),
            type=dict(type="str"),
            # no_log keeps the whole map out of Ansible's logs; protect_secrets releases its ordinary values.
            device_config=dict(type="dict", no_log=True),
            shared=dict(type="bool"),
            content_type=dict(type="str"),
            sm_config=dict(type="dict"),
            target_host=dict(type="str"),
            description=dict(type="str"),
            default=dict(type="bool"),
            task_timeout=dict(type="int", default=1800),
        ),
        required_one_of=[["uuid", "name"]],
        supports_check_mode=True,
    )
    device_config.protect_secrets(module)
    _engine.reconcile(module, sr_resource.SrResource)


if __name__ == "__main__":
    main()
