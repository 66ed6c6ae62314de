#!/usr/bin/python
# Copyright: (c) 2026, xen.xapi maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""xen_vm_snapshot: snapshots and checkpoints of a VM, revert, and retention."""

from __future__ import annotations

DOCUMENTATION = r"""
module: xen_vm_snapshot
short_description: Take, delete and revert to snapshots of VMs on a XenServer or XCP-ng pool, and keep the newest N
version_added: 0.1.0
description:
  - Manages the snapshots of one VM (O(vm)), each found by O(name) or O(uuid) among the snapshots of that VM.
  - Takes a snapshot of the VM's disks (C(VM.snapshot)) when none of that name exists, or, with O(with_memory=true),
    a checkpoint of a running VM (C(VM.checkpoint)), which also saves its memory.
  - Deletes a snapshot together with the disks that belong only to it, and the memory image of a checkpoint.
  - Reverts the VM to a snapshot (C(VM.revert)) and leaves it running or halted (O(power_state_after)).
  - Keeps the O(retain) newest snapshots whose names start with O(name_prefix) and deletes the older ones, so that
    a nightly job is a single task.
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
      - V(present) takes the snapshot when the VM has none named O(name), and sets its O(description).
        An existing snapshot is never taken again, whatever O(with_memory) says.
      - V(absent) deletes the snapshot (see the description above). Nothing happens when there is no such snapshot.
      - V(reverted) reverts the VM to the snapshot, which must exist. Every run reverts, so the task always reports a change.
        The VM's disks are replaced by copies of the snapshot's, and its configuration by the snapshot's.
    type: str
    choices: [present, absent, reverted]
    default: present
  vm:
    description:
      - The VM, by name or uuid. Templates, snapshots and control domains do not count.
      - When several VMs have this name, the module fails and lists their uuids.
    type: str
    required: true
  name:
    description:
      - The name of the snapshot, looked for among the snapshots of O(vm) only.
      - When the VM has several snapshots of this name, the module fails and lists their uuids, so that one can be
        chosen with O(uuid).
      - One of O(name) and O(uuid) is required, except for retention alone (O(retain) without a snapshot to take).
    type: str
  uuid:
    description:
      - The uuid of an existing snapshot of O(vm). With O(state=present), O(name) then renames it.
      - XAPI chooses the uuid of a new snapshot, so a snapshot is only taken when it is named by O(name).
      - The uuid of another VM's snapshot is refused, naming that VM.
    type: str
  description:
    description:
      - The description of the snapshot, set when it is taken and changed on an existing one.
      - When not set, a new snapshot has the VM's description.
    type: str
  with_memory:
    description:
      - Take a checkpoint instead of a disk-only snapshot. The VM must be running; its memory is saved with the disks,
        and reverting to the checkpoint brings the VM back running where it was.
      - Only used when the snapshot is taken.
    type: bool
    default: false
  ignore_disks:
    description:
      - Disks of the VM (names or uuids) to leave out of a new snapshot, such as a scratch or swap disk.
      - Not possible with O(with_memory=true), since a checkpoint always holds every disk.
      - Reverting to such a snapshot (O(state=reverted)) attaches the disks it left out to the VM again, as they are
        now (their contents are not reverted), at their former positions when the snapshot's drives left those free,
        and reports them in C(changes) as C(reattached_disks).
    type: list
    elements: str
  power_state_after:
    description:
      - With O(state=reverted), the power state the VM is left in.
      - V(running) starts the VM (or resumes it from a checkpoint's memory); V(halted) leaves it shut down (a
        checkpoint's memory is then discarded); V(as_before) keeps a running or paused VM running and leaves other
        VMs halted.
      - When not set, the VM comes back as the snapshot found it, running from a checkpoint and halted otherwise.
    type: str
    choices: [running, halted, as_before]
  name_prefix:
    description:
      - With O(retain), the snapshots of O(vm) that retention manages are those whose names start with this prefix.
    type: str
  retain:
    description:
      - Keep this many of the newest snapshots whose names start with O(name_prefix), and delete the older ones
        (with their disks). Only with O(state=present).
      - The snapshot named by O(name) is always kept, and counts as the newest when it is taken by this task.
      - Snapshots are ordered by the time they were taken; those taken in the same second by the order of the
        snapshot tree.
    type: int
  task_timeout:
    description:
      - Seconds to wait for each operation (snapshot, checkpoint, revert, start, deletion of a snapshot or a disk).
      - When it does not finish in time, its task is cancelled and the module fails.
    type: int
    default: 1800
notes:
  - A run that changes nothing costs at most six API calls, login and logout included, and three for a VM without
    snapshots.
  - Snapshots taken by other tools are managed like those taken by this module, as long as their names match.
seealso:
  - module: xen.xapi.xen_vm
    description: Create VMs, change their hardware and their power state.
"""

EXAMPLES = r"""
# The connection options (hostname, username, password, ca_path) come from the XAPI_HOST, XAPI_USERNAME,
# XAPI_PASSWORD and XAPI_CA_PATH environment variables here; set them with module_defaults otherwise.
- name: Snapshot the disks of build01 before an upgrade
  xen.xapi.xen_vm_snapshot:
    vm: build01
    name: before upgrade
    description: Taken before the toolchain upgrade
  register: before_upgrade

- name: Revert build01 to it and start the VM
  xen.xapi.xen_vm_snapshot:
    vm: build01
    name: before upgrade
    state: reverted
    power_state_after: running

- name: Delete the snapshot and its disks
  xen.xapi.xen_vm_snapshot:
    vm: build01
    uuid: "{{ before_upgrade.snapshot.uuid }}"
    state: absent

- name: Checkpoint web02, memory included, leaving nothing out
  xen.xapi.xen_vm_snapshot:
    vm: web02
    name: web02 live
    with_memory: true

- name: Nightly snapshot of db01 without its data disk, keeping the last seven
  xen.xapi.xen_vm_snapshot:
    vm: db01
    name: "nightly-{{ now(utc=true, fmt='%Y-%m-%d') }}"
    ignore_disks: [db01 data]
    name_prefix: nightly-
    retain: 7
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
    - C(state) from V(absent) to V(present) for a snapshot taken, from V(present) to V(absent) for one deleted, and
      from V(present) to V(reverted) for a revert, followed by C(power_state) when the VM ends in another power state.
    - C(name) and C(description) for an existing snapshot renamed or described.
    - C(snapshots) for retention, from the names of the snapshots with the prefix before to those kept.
  returned: always
  type: list
  elements: dict
  contains:
    option:
      description: The option, or returned field, that changes.
      type: str
      sample: state
    before:
      description: The value before.
      type: raw
      sample: absent
    after:
      description: The value after.
      type: raw
      sample: present
snapshot:
  description:
    - The snapshot named by O(name) or O(uuid) after the run; in check mode, as it was before.
    - Empty when it does not exist (after O(state=absent), or for retention alone).
  returned: always
  type: dict
  contains:
    uuid:
      description: The snapshot's uuid.
      type: str
      sample: 0c6c8a6e-2d7f-4a7b-9d0e-5b1f3c2a4e6d
    name:
      description: The snapshot's name.
      type: str
      sample: before upgrade
    description:
      description: The snapshot's description.
      type: str
      sample: Taken before the toolchain upgrade
    time:
      description: When the snapshot was taken, in UTC, ISO 8601.
      type: str
      sample: "2026-05-01T02:00:00Z"
    with_memory:
      description: Whether it is a checkpoint, holding the VM's memory as well as its disks.
      type: bool
      sample: false
    disks:
      description: The snapshot's disks (snapshots of the VM's disks), in slot order.
      type: list
      elements: dict
      contains:
        uuid:
          description: The uuid of the disk (VDI).
          type: str
          sample: 6f0e2b9a-3c4d-4e5f-8a9b-0c1d2e3f4a5b
        name:
          description: The name of the disk, that of the VM's disk it was taken from.
          type: str
          sample: build01 root
        size:
          description: The virtual size of the disk, in bytes.
          type: int
          sample: 32212254720
        userdevice:
          description: The slot of the disk in the VM (V(0) is the first).
          type: str
          sample: "0"
snapshots:
  description:
    - All the snapshots of the VM after the run, newest first, each like RV(snapshot).
    - In check mode, as they were before.
  returned: always
  type: list
  elements: dict
  sample:
    - uuid: 0c6c8a6e-2d7f-4a7b-9d0e-5b1f3c2a4e6d
      name: nightly-2026-05-02
      description: ""
      time: "2026-05-02T02:00:00Z"
      with_memory: false
      disks:
        - uuid: 6f0e2b9a-3c4d-4e5f-8a9b-0c1d2e3f4a5b
          name: db01 root
          size: 21474836480
          userdevice: "0"
vm:
  description: The VM after the run; in check mode, as it was before.
  returned: always
  type: dict
  contains:
    uuid:
      description: The VM's uuid.
      type: str
      sample: 2b7f8f0e-93a1-4c55-8d4e-7f0a1b2c3d4e
    name:
      description: The VM's name.
      type: str
      sample: build01
    power_state:
      description: The VM's power state, V(running), V(halted), V(suspended) or V(paused).
      type: str
      sample: halted
diff:
  description: The object before and after the run (predicted in check mode), in the form of RV(snapshot).
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
from ansible_collections.xen.xapi.plugins.module_utils.vm import snapshot_resource, snapshots


def main() -> None:
    module = _module.XapiModule(
        argument_spec=dict(
            state=dict(type="str", choices=["present", "absent", "reverted"], default="present"),
            vm=dict(type="str", required=True),
            name=dict(type="str"),
            uuid=dict(type="str"),
            description=dict(type="str"),
            with_memory=dict(type="bool", default=False),
            ignore_disks=dict(type="list", elements="str"),
            power_state_after=dict(type="str", choices=list(snapshots.POWER_CHOICES)),
            name_prefix=dict(type="str"),
            retain=dict(type="int"),
            task_timeout=dict(type="int", default=1800),
            guest_tools_timeout=dict(type="int", default=180),
        ),
        required_together=[["name_prefix", "retain"]],
        supports_check_mode=True,
    )
    _engine.reconcile(module, snapshot_resource.SnapshotResource, snapshot_resource.SnapshotResource.report)


if __name__ == "__main__":
    main()
