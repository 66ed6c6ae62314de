#!/usr/bin/python
# Copyright: (c) 2026, xen.xapi maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""xen_vbd: the drives (VBDs) that attach disks and CDs to VMs."""

from __future__ import annotations

DOCUMENTATION = r"""
module: xen_vbd
short_description: Attach disks to VMs, hot-plug them, and manage CD drives on a XenServer or XCP-ng pool
version_added: 0.1.0
description:
  - Manages one drive (VBD) of a VM, the link between a VM and a virtual disk (VDI) or a CD drive.
  - The drive is found by O(vm) and O(userdevice) (its position), or by O(vm) and O(vdi) (the disk it holds), or by O(uuid).
    With O(type=CD) and neither, it is the VM's CD drive.
  - Hot-plugs a drive into a running VM, or unplugs it, with O(plugged).
  - Inserts an ISO into a CD drive (O(vdi) set to the ISO's name) or ejects it (O(vdi) set to an empty string); the drive stays.
  - Changes C(bootable), C(unpluggable), C(other_config) and the position of an unplugged drive in place. Options that
    XAPI cannot change on an existing drive (O(mode), O(type), the disk of a Disk drive, the position of a plugged drive)
    recreate the drive, unplugging it before and plugging it again after on a running VM.
  - Removing a drive (O(state=absent)) unplugs it from a running VM first and detaches it; the disk itself stays
    (remove it with M(xen.xapi.xen_vdi)).
author:
  - xen.xapi maintainers (@xen-xapi)
extends_documentation_fragment:
  - xen.xapi.connection
  - xen.xapi.attributes
  - xen.xapi.attributes.RESOURCE
  - xen.xapi.guest_tools
options:
  state:
    description:
      - V(present) creates the drive when it does not exist and makes it match the options.
      - V(absent) unplugs the drive if needed and removes it.
    type: str
    choices: [present, absent]
    default: present
  uuid:
    description:
      - The uuid of an existing drive. XAPI chooses the uuid of a new drive, so drives are created from O(vm).
      - One of O(uuid) and O(vm) is required.
    type: str
  vm:
    description:
      - The VM, by name or uuid. When several VMs have this name, the module fails and lists their uuids.
    type: str
  vdi:
    description:
      - The disk the drive holds, by name or uuid (see O(sr)). Required to create a Disk drive.
      - For a CD drive, the ISO to insert, by name or uuid; an empty string ejects the disc, or creates an empty CD drive.
      - Changing the disk of a Disk drive recreates the drive.
    type: str
  sr:
    description:
      - The storage repository (name or uuid) to look for O(vdi) in, when disks of several SRs have its name.
    type: str
  userdevice:
    description:
      - The position of the drive in the VM, V(0) being the first disk. V(xvdb), V(hdb) and V(sdb) also name position 1.
      - V(autodetect), or not set, uses the first free position when creating the drive.
      - A different position moves an unplugged drive in place, and recreates a plugged one.
    type: str
  mode:
    description:
      - V(RW) (read-write) or V(RO) (read-only).
      - Defaults, for a new drive, to V(RO) for CD drives and read-only disks, V(RW) otherwise. CD drives are always V(RO).
      - A different mode recreates the drive.
    type: str
    choices: [RO, RW]
  type:
    description:
      - V(Disk), V(CD) or V(Floppy). New drives are V(Disk) unless set.
      - A different type recreates the drive.
    type: str
    choices: [Disk, CD, Floppy]
  bootable:
    description:
      - Whether the VM may boot from this drive. New drives are not bootable unless set.
    type: bool
  unpluggable:
    description:
      - Whether the drive may be hot-unplugged from the running VM. New drives are unpluggable unless set.
    type: bool
  other_config:
    description:
      - Entries of the drive's C(other_config) map. They are added to (or replace) the existing entries, unless O(purge=true).
    type: dict
  purge:
    description:
      - Make O(other_config) exactly as given, removing entries that are not listed.
    type: bool
    default: false
  plugged:
    description:
      - V(true) hot-plugs the drive into the running (or paused) VM; V(false) unplugs it. Not set leaves it as it is,
        so a drive created on a running VM is only attached at its next boot.
      - On a VM that is not running, V(true) is ignored with a warning, since its drives are attached when it starts.
        V(false) on a suspended VM whose drive is attached is refused.
      - Unplugging needs the drive to be O(unpluggable).
      - When XAPI refuses to plug a new drive (for example C(VDI_IN_USE), the disk being used by another running VM),
        the drive is removed again and the module fails with the XAPI error.
    type: bool
  task_timeout:
    description:
      - Seconds to wait for each hot-plug, unplug, insert or eject to finish.
      - When it does not finish in time, its task is cancelled and the module fails.
    type: int
    default: 300
notes:
  - A run that changes nothing costs at most six API calls, login and logout included, whatever the size of the pool,
    one per class it reads, in four round trips (the reads that do not depend on each other are sent together). Run
    again with the same options, it reads the VM's drives beside the VM, by the reference of the VM its last run kept
    in the cache directory, in two round trips after a run that changed nothing and three otherwise; a VM made
    again under its name costs the reads of a first run.
  - HVM guests can hot-plug disks only with their PV drivers running; XAPI refuses otherwise (C(VM_MISSING_PV_DRIVERS)).
seealso:
  - module: xen.xapi.xen_vdi
    description: Create, grow, copy and remove the disks themselves.
"""

EXAMPLES = r"""
# The connection options (hostname, username, password, ca_path) come from the XAPI_HOST, XAPI_USERNAME,
# XAPI_PASSWORD and XAPI_CA_PATH environment variables here; set them with module_defaults otherwise.
- name: Create a data disk for web01
  xen.xapi.xen_vdi:
    name: web01 scratch
    size: 4GiB

- name: Attach it to the running web01 as its second disk and hot-plug it
  xen.xapi.xen_vbd:
    vm: web01
    vdi: web01 scratch
    userdevice: "1"
    plugged: true
  register: scratch_drive

- name: Show the device name in the guest
  ansible.builtin.debug:
    msg: "web01 sees the disk as /dev/{{ scratch_drive.vbd.device }}"

- name: Unplug it and attach it read-only instead (the drive is recreated and plugged again)
  xen.xapi.xen_vbd:
    vm: web01
    userdevice: "1"
    mode: RO

- name: Unplug the disk and detach it from web01
  xen.xapi.xen_vbd:
    vm: web01
    vdi: web01 scratch
    state: absent

- name: Insert the Debian installer into the CD drive of build01 (the drive is created if needed)
  xen.xapi.xen_vbd:
    vm: build01
    type: CD
    vdi: debian-12.7.0-amd64-netinst.iso

- name: Eject it; the drive stays
  xen.xapi.xen_vbd:
    vm: build01
    type: CD
    vdi: ""
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
    - C(state) from V(absent) to V(present) for a new drive; one entry per option changed on an existing one
      (C(currently_attached) for plugging and unplugging, C(vdi) for CD media); for a removal, C(currently_attached)
      when the drive is unplugged first, then C(state) from V(present) to V(absent).
  returned: always
  type: list
  elements: dict
  contains:
    option:
      description: The option, or returned field, that changes.
      type: str
      sample: currently_attached
    before:
      description: The value before.
      type: raw
      sample: false
    after:
      description: The value after.
      type: raw
      sample: true
vbd:
  description:
    - The drive after the run; in check mode, as it was before. Empty when it does not exist.
  returned: always
  type: dict
  contains:
    uuid:
      description: The drive's uuid (a recreated drive has a new one).
      type: str
      sample: 9c1d2e3f-4a5b-4c6d-8e7f-0a1b2c3d4e5f
    vm:
      description: The VM's name.
      type: str
      sample: web01
    vm_uuid:
      description: The VM's uuid.
      type: str
      sample: 2b7f8f0e-93a1-4c55-8d4e-7f0a1b2c3d4e
    vdi:
      description: The name of the disk in the drive; empty for an empty CD drive.
      type: str
      sample: web01 scratch
    vdi_uuid:
      description: The uuid of the disk in the drive; empty for an empty CD drive.
      type: str
      sample: 5a0c7c37-6f5b-4a4e-9c39-3cbbd3c9e0a1
    userdevice:
      description: The drive's position in the VM (V(0) is the first disk).
      type: str
      sample: "1"
    device:
      description: The device name in the guest (such as V(xvdb)) once plugged; empty before.
      type: str
      sample: xvdb
    mode:
      description: V(RW) or V(RO).
      type: str
      sample: RW
    type:
      description: V(Disk), V(CD) or V(Floppy).
      type: str
      sample: Disk
    bootable:
      description: Whether the VM may boot from the drive.
      type: bool
      sample: false
    unpluggable:
      description: Whether the drive may be hot-unplugged.
      type: bool
      sample: true
    empty:
      description: Whether the drive holds no disk (an empty CD drive).
      type: bool
      sample: false
    currently_attached:
      description: Whether the drive is plugged into the running VM.
      type: bool
      sample: true
    other_config:
      description: The drive's C(other_config) map.
      type: dict
      sample: {}
diff:
  description: The object before and after the run (predicted in check mode), in the form of RV(vbd).
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
from ansible_collections.xen.xapi.plugins.module_utils.disks import vbd_resource


def main() -> None:
    module = _module.XapiModule(
        argument_spec=dict(
            state=dict(type="str", choices=["present", "absent"], default="present"),
            uuid=dict(type="str"),
            vm=dict(type="str"),
            vdi=dict(type="str"),
            sr=dict(type="str"),
            userdevice=dict(type="str"),
            mode=dict(type="str", choices=["RO", "RW"]),
            type=dict(type="str", choices=["Disk", "CD", "Floppy"]),
            bootable=dict(type="bool"),
            unpluggable=dict(type="bool"),
            other_config=dict(type="dict"),
            purge=dict(type="bool", default=False),
            plugged=dict(type="bool"),
            task_timeout=dict(type="int", default=300),
            guest_tools_timeout=dict(type="int", default=180),
        ),
        required_one_of=[["uuid", "vm"]],
        supports_check_mode=True,
    )
    _engine.reconcile(module, vbd_resource.VbdResource)


if __name__ == "__main__":
    main()
