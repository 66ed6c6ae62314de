#!/usr/bin/python
# Copyright: (c) 2026, xen.xapi maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""xen_vdi: virtual disks (VDIs) as first-class objects."""

from __future__ import annotations

DOCUMENTATION = r"""
module: xen_vdi
short_description: Create, grow, change, copy and remove virtual disks (VDIs) on a XenServer or XCP-ng pool
version_added: 0.1.0
description:
  - Manages one virtual disk image (VDI), found by O(uuid), or by O(name) within a storage repository (SR).
  - Creates a blank disk of O(size), or a copy of another disk (O(source)), possibly into another SR.
  - Grows a disk when O(size) is larger than its current size. Disks never shrink; a smaller O(size) is refused.
  - Renames a disk (found by O(uuid)) and changes its description, flags, O(other_config), O(sm_config) and O(tags) in place.
  - Removes a disk. A disk plugged into a running VM is only removed with O(force=true), which unplugs and detaches it
    first; a disk attached to a halted VM is detached, and the VM is left intact.
  - To attach a disk to a VM, use M(xen.xapi.xen_vbd).
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
      - V(present) creates the disk when it does not exist and makes it match the options.
      - V(absent) removes the disk (after unplugging and detaching it, see O(force)).
    type: str
    choices: [present, absent]
    default: present
  uuid:
    description:
      - The uuid of an existing disk.
      - XAPI chooses the uuid of a new disk, so a disk is created only when it is named by O(name).
      - With O(uuid), O(name) renames the disk.
    type: str
  name:
    description:
      - The name (C(name_label)) of the disk, looked for among the disks (not snapshots) of the SR given by O(sr).
      - Names are not unique in XAPI; when several disks of the SR have this name, the module fails and lists their
        uuids, so that one can be chosen with O(uuid).
      - One of O(uuid) and O(name) is required.
    type: str
    aliases: [name_label]
  sr:
    description:
      - The storage repository of the disk, by name or uuid.
      - When not set, the SR of O(source) if given, else the pool's default SR.
      - An existing disk found by O(uuid) must be in this SR; disks are not moved between SRs (copy them with O(source)).
    type: str
  description:
    description:
      - The description (C(name_description)) of the disk.
    type: str
  size:
    description:
      - The virtual size of the disk, in bytes or with a unit, such as V(10GiB), V(512MiB) or V(20GB).
        KiB, MiB, GiB, TiB, and K, M, G, T and KB, MB, GB, TB, are powers of 1024, as for Ansible's
        C(human_to_bytes).
      - Required to create a blank disk. For a copy, the copy is grown to this size when it is larger than the source.
      - A larger size grows an existing disk (C(VDI.resize)). A disk plugged into a running VM grows live
        (C(VDI.resize_online)) only where the SR's storage driver offers it (the C(VDI_RESIZE_ONLINE) capability of its
        C(SM) record, as LVM-based SRs do); otherwise the module fails before changing anything, asking to unplug the
        disk or shut the VM down first.
        A smaller size is refused, since shrinking would cut off the guest's data. Storage drivers round sizes up to
        their block size; a size less than 4 MiB below the current one counts as the current size.
    type: raw
  type:
    description:
      - The type of a new disk. Guest disks are V(user) (data) or V(system) (operating system).
      - The type of an existing disk cannot change; a different value is refused.
      - Defaults to V(user) for a blank disk, and to the type of O(source) for a copy.
    type: str
    choices: [system, user, ephemeral, suspend, crashdump, ha_statefile, metadata, redo_log, rrd, pvs_cache, cbt_metadata]
  sharable:
    description:
      - Whether several running VMs may use the disk at the same time. New disks are not sharable.
    type: bool
  read_only:
    description:
      - Whether the disk can only be attached read-only. New disks are writable.
    type: bool
  sm_config:
    description:
      - Entries of the disk's C(sm_config) map, read by the storage driver. They are added to the existing entries;
        O(purge) does not apply, since the driver keeps its own entries there.
    type: dict
  source:
    description:
      - Create the disk as a full copy of this disk (name or uuid), with C(VDI.copy), into O(sr) (by default the SR of
        the source). The copy is then named O(name) and given the other options.
      - Only used when the disk does not exist yet. The source must not be in use by a running VM.
    type: str
  import_from:
    description:
      - Fill a new disk with this image, a file on the machine that runs the module or an C(http://) or C(https://)
        URL (downloaded first, with certificate verification), streamed through XAPI's C(/import_raw_vdi).
      - Raw images (ISO files included), VHD and qcow2 are recognised by their content; the disk is created at the
        image's virtual size, or at O(size) when that is larger. Whether VHD and qcow2 are accepted depends on the
        server's storage.
      - Only used when the disk does not exist yet; an existing disk is never overwritten. If the upload fails, the
        disk made for it is removed again.
    type: str
  checksum:
    description:
      - The image's checksum as V(<algorithm>:<hex digest>), for example V(sha256:9f86...). It is checked before
        anything is created; a mismatch fails the module.
    type: str
  export_to:
    description:
      - Write the disk's content (raw) to this file on the machine that runs the module, through XAPI's
        C(/export_raw_vdi), when the file does not exist yet. The file is written under a temporary name and
        moved into place once complete.
    type: path
  force:
    description:
      - With O(state=absent), unplug the disk from running VMs before detaching and removing it.
      - Without it, removing a disk that a running VM uses is refused.
    type: bool
    default: false
  task_timeout:
    description:
      - Seconds to wait for each storage operation (create, copy, resize, unplug, destroy) to finish.
      - When it does not finish in time, its task is cancelled and the module fails.
    type: int
    default: 1800
notes:
  - A run that changes nothing costs at most eight API calls, login and logout included, whatever the size of the pool,
    one per class it reads, in four round trips (the reads that do not depend on each other are sent together). Run
    again with the same options, it reads the VMs behind the disk's drives with the disk, by the references its last
    run kept in the cache directory, in two round trips after a run that changed nothing and three otherwise; a
    drive attached to another VM since costs one or two round trips more.
  - C(size) and C(physical_utilisation) are returned in bytes.
seealso:
  - module: xen.xapi.xen_vbd
    description: Attach disks to VMs, hot-plug them, and manage CD drives.
"""

EXAMPLES = r"""
# The connection options (hostname, username, password, ca_path) come from the XAPI_HOST, XAPI_USERNAME,
# XAPI_PASSWORD and XAPI_CA_PATH environment variables here; set them with module_defaults otherwise.
- name: Create a 10 GiB data disk in the pool's default SR
  xen.xapi.xen_vdi:
    name: web01 data
    size: 10GiB
    description: Data disk of web01
    tags: [web]
  register: data_disk

- name: Grow the disk to 20 GiB
  xen.xapi.xen_vdi:
    name: web01 data
    size: 20GiB

- name: Rename the disk, found by its uuid, and label it
  xen.xapi.xen_vdi:
    uuid: "{{ data_disk.vdi.uuid }}"
    name: web01 data disk
    other_config:
      backup: daily

- name: Copy the root disk of build01 into the local storage of host1
  xen.xapi.xen_vdi:
    name: build01 root (copy)
    source: build01 root
    sr: Local storage on host1

- name: Remove the copy
  xen.xapi.xen_vdi:
    name: build01 root (copy)
    sr: Local storage on host1
    state: absent

- name: Upload a cloud image into the pool's default SR, checked against its published checksum
  xen.xapi.xen_vdi:
    name: noble cloud image
    import_from: https://cloud-images.ubuntu.com/noble/current/noble-server-cloudimg-amd64.img
    checksum: "sha256:{{ noble_image_sha256 }}"
  when: noble_image_sha256 is defined

- name: Remove the data disk, unplugging it first if a running VM uses it
  xen.xapi.xen_vdi:
    name: web01 data disk
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
    - C(state) from V(absent) to V(present) for a new disk; one entry per option changed on an existing one;
      for a removal, one C(vms) entry per drive unplugged or detached, then C(state) from V(present) to V(absent).
  returned: always
  type: list
  elements: dict
  contains:
    option:
      description: The option, or returned field, that changes.
      type: str
      sample: size
    before:
      description: The value before.
      type: raw
      sample: 10737418240
    after:
      description: The value after.
      type: raw
      sample: 21474836480
vdi:
  description:
    - The disk after the run; in check mode, as it was before. Empty when it does not exist.
  returned: always
  type: dict
  contains:
    uuid:
      description: The disk's uuid.
      type: str
      sample: 5a0c7c37-6f5b-4a4e-9c39-3cbbd3c9e0a1
    name:
      description: The disk's name (C(name_label)).
      type: str
      sample: web01 data
    description:
      description: The disk's description (C(name_description)).
      type: str
      sample: Data disk of web01
    size:
      description: The virtual size, in bytes.
      type: int
      sample: 10737418240
    physical_utilisation:
      description: The space the disk takes on its storage, in bytes.
      type: int
      sample: 2684354560
    sr:
      description: The name of the disk's storage repository.
      type: str
      sample: NFS storage
    sr_uuid:
      description: The uuid of the disk's storage repository.
      type: str
      sample: 0e8b8f31-4b8a-4a51-a3c5-5f1b7e0a9c42
    type:
      description: The disk's type.
      type: str
      sample: user
    sharable:
      description: Whether several running VMs may use the disk at once.
      type: bool
      sample: false
    read_only:
      description: Whether the disk can only be attached read-only.
      type: bool
      sample: false
    other_config:
      description: The disk's C(other_config) map.
      type: dict
      sample: {backup: daily}
    sm_config:
      description: The disk's C(sm_config) map.
      type: dict
      sample: {}
    tags:
      description: The disk's tags.
      type: list
      elements: str
      sample: [web]
    vms:
      description: The VMs the disk is attached to, one entry per drive (VBD), sorted by VM name.
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
          sample: 2b7f8f0e-93a1-4c55-8d4e-7f0a1b2c3d4e
        power_state:
          description: The VM's power state.
          type: str
          sample: Running
        vbd_uuid:
          description: The uuid of the drive (VBD) that attaches the disk.
          type: str
          sample: 9c1d2e3f-4a5b-4c6d-8e7f-0a1b2c3d4e5f
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
        currently_attached:
          description: Whether the drive is plugged into the running VM.
          type: bool
          sample: true
diff:
  description: The object before and after the run (predicted in check mode), in the form of RV(vdi).
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
from ansible_collections.xen.xapi.plugins.module_utils.disks import vdi_plan, vdi_resource


def main() -> None:
    module = _module.XapiModule(
        argument_spec=dict(
            _module.METADATA_ARGUMENT_SPEC,  # other_config, tags, purge
            state=dict(type="str", choices=["present", "absent"], default="present"),
            uuid=dict(type="str"),
            name=dict(type="str", aliases=["name_label"]),
            sr=dict(type="str"),
            description=dict(type="str"),
            size=dict(type="raw"),
            type=dict(type="str", choices=list(vdi_plan.VDI_TYPES)),
            sharable=dict(type="bool"),
            read_only=dict(type="bool"),
            sm_config=dict(type="dict"),
            source=dict(type="str"),
            import_from=dict(type="str"),
            checksum=dict(type="str"),
            export_to=dict(type="path"),
            force=dict(type="bool", default=False),
            task_timeout=dict(type="int", default=1800),
        ),
        required_one_of=[["uuid", "name"]],
        mutually_exclusive=[["source", "import_from"]],
        required_by={"checksum": "import_from"},
        supports_check_mode=True,
    )
    _engine.reconcile(module, vdi_resource.VdiResource)


if __name__ == "__main__":
    main()
