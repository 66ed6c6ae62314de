#!/usr/bin/python
# Copyright: (c) 2026, xen.xapi maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: xen_vm_export
short_description: Export a VM of a XenServer or XCP-ng pool to an XVA file
version_added: 0.1.0
description:
  - Writes the VM named by O(vm) to the XVA archive O(path) on the machine that runs the module, through XAPI's
    C(/export) HTTP interface. The archive holds the VM's settings, its disks and its network interfaces, and
    can be imported into any pool with M(xen.xapi.xen_vm_import).
  - The archive streams to a temporary file beside O(path) and is read through once it is complete (every disk
    chunk against its checksum) before it is moved into place, so a file at O(path) is always a whole archive.
  - An existing file at O(path) means no change, unless O(force=true).
  - A running VM is exported from a snapshot taken for the export and removed afterwards, with its disks; with
    O(live_snapshot=false) a running VM is refused instead.
author:
  - xen.xapi maintainers (@xen-xapi)
extends_documentation_fragment:
  - xen.xapi.connection
  - xen.xapi.attributes
  - xen.xapi.attributes.RESOURCE
options:
  vm:
    description:
      - The VM's name (C(name_label)) or uuid. A name that several VMs share fails, listing their uuids.
    type: str
    required: true
  path:
    description:
      - The archive to write, on the machine that runs the module. Its folder must exist.
    type: path
    required: true
  compress:
    description:
      - How XAPI compresses the archive while it streams. V(zstd) needs a server that offers it (XenServer 8,
        XCP-ng 8.3); zstd archives are checked for their format only, as the module has no zstd decoder.
    type: str
    choices: [none, gzip, zstd]
    default: none
  force:
    description:
      - Export again and replace the file when O(path) exists.
    type: bool
    default: false
  live_snapshot:
    description:
      - Export a running VM from a snapshot taken for the purpose (removed after the export). With V(false), a
        running VM makes the module fail; shut it down first.
    type: bool
    default: true
  task_timeout:
    description:
      - Seconds to wait for the export (and the snapshot, when one is taken) to finish.
    type: int
    default: 3600
notes:
  - The session travels in the export's URL, as XAPI requires; it never appears in the module's output or errors.
  - The module reports C(changed) when it wrote a file; check mode and diff mode show the file before and after.
seealso:
  - module: xen.xapi.xen_vm_import
    description: Import the archive into a pool.
"""

EXAMPLES = r"""
- name: Back up build01 to a compressed archive
  xen.xapi.xen_vm_export:
    vm: build01
    path: /srv/backups/build01.xva.gz
    compress: gzip
  register: backup

- name: Report
  ansible.builtin.debug:
    msg: "{{ backup.export.size }} bytes in {{ backup.duration }} s"
"""

RETURN = r"""
changed:
  description: Whether a file was written (or, in check mode, would be).
  returned: always
  type: bool
changes:
  description: What was done, as option, before and after.
  returned: always
  type: list
  elements: dict
export:
  description: The archive after the run (in check mode, as it was before); empty when there is none.
  returned: always
  type: dict
  contains:
    path:
      description: The archive's absolute path.
      type: str
      sample: /srv/backups/build01.xva.gz
    size:
      description: The archive's size in bytes.
      type: int
      sample: 1073741824
vm_uuid:
  description: The uuid of the VM exported.
  returned: when the VM was read
  type: str
from_snapshot:
  description: Whether the archive was made from a snapshot of the running VM.
  returned: when the VM was read
  type: bool
duration:
  description: Seconds the transfer took.
  returned: when a file was written
  type: float
bytes_received:
  description: Bytes received from the server (compressed size when compressed).
  returned: when a file was written
  type: int
disks:
  description: Disks found in the archive when it was verified.
  returned: when a file was written
  type: int
chunks:
  description: Disk chunks verified against their checksums.
  returned: when a file was written
  type: int
diff:
  description: The archive before and after, in the form of RV(export).
  returned: when diff mode is on
  type: dict
"""

# First, so that the module utilities below compile once each (see _zip_import).
from ansible_collections.xen.xapi.plugins.module_utils import _zip_import  # noqa: F401 pylint: disable=unused-import
from ansible_collections.xen.xapi.plugins.module_utils import _engine, _module
from ansible_collections.xen.xapi.plugins.module_utils.vm import export_resource


def main() -> None:
    module = _module.XapiModule(
        argument_spec=dict(
            vm=dict(type="str", required=True),
            path=dict(type="path", required=True),
            compress=dict(type="str", default="none", choices=["none", "gzip", "zstd"]),
            force=dict(type="bool", default=False),
            live_snapshot=dict(type="bool", default=True),
            task_timeout=dict(type="int", default=3600),
        ),
        supports_check_mode=True,
    )
    _engine.reconcile(module, export_resource.VmExportResource, report=lambda resource: resource.report)


if __name__ == "__main__":
    main()
