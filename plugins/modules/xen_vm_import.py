#!/usr/bin/python
# Copyright: (c) 2026, xen.xapi maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: xen_vm_import
short_description: Import a VM into a XenServer or XCP-ng pool from an XVA file
version_added: 0.1.0
description:
  - Streams the XVA archive O(path), on the machine that runs the module, to XAPI's C(/import) HTTP interface,
    names the new VM O(name), and leaves it halted or starts it (O(state)).
  - A VM named O(name) already in the pool means no change; nothing is uploaded.
  - Plain, gzip and zstd archives are accepted; XAPI recognises the compression.
  - A failed import leaves no half-imported VM (XAPI removes what it made); a failure after the import (for
    instance the VM does not start) is reported with the steps already done.
author:
  - xen.xapi maintainers (@xen-xapi)
extends_documentation_fragment:
  - xen.xapi.connection
  - xen.xapi.attributes
  - xen.xapi.attributes.RESOURCE
options:
  path:
    description:
      - The archive to import, on the machine that runs the module.
    type: path
    required: true
  name:
    description:
      - The imported VM's name (C(name_label)).
    type: str
    required: true
  sr:
    description:
      - The SR (name or uuid) that receives the VM's disks. The pool's default SR when not set.
    type: str
  state:
    description:
      - The imported VM's power state after the import.
    type: str
    choices: [halted, running]
    default: halted
  preserve_macs:
    description:
      - Give the VM's network interfaces the MAC addresses recorded in the archive. XAPI gives imported
        interfaces new addresses; with V(true) each interface whose address differs is made again with the
        archived one. Not available for zstd archives, whose metadata the module cannot read.
    type: bool
    default: false
  task_timeout:
    description:
      - Seconds to wait for the import, and for the start when O(state=running).
    type: int
    default: 3600
notes:
  - The session travels in the import's URL, as XAPI requires; it never appears in the module's output or errors.
seealso:
  - module: xen.xapi.xen_vm_export
    description: Export a VM to an archive.
"""

EXAMPLES = r"""
- name: Restore build01 from last night's archive, running
  xen.xapi.xen_vm_import:
    path: /srv/backups/build01.xva.gz
    name: build01-restored
    sr: NFS storage
    state: running
"""

RETURN = r"""
changed:
  description: Whether a VM was imported (or, in check mode, would be).
  returned: always
  type: bool
changes:
  description: The steps done, as option, before and after (the import itself as C(state) absent to present).
  returned: always
  type: list
  elements: dict
vm:
  description:
    - The VM after the run (in check mode, as it was before); empty when there is none.
    - The same keys as RV(xen.xapi.xen_vm#module:vm), for example C(uuid), C(name), C(power_state), C(disks) and
      C(networks) (each with its C(mac)).
  returned: always
  type: dict
  sample: {uuid: 0c6f1a5e-6c53-4b8e-9d6e-1a2b3c4d5e6f, name: build01-restored, power_state: halted}
duration:
  description: Seconds the upload and import took.
  returned: when a VM was imported
  type: float
bytes_sent:
  description: Bytes uploaded.
  returned: when a VM was imported
  type: int
diff:
  description: The VM before and after, in the form of RV(vm).
  returned: when diff mode is on
  type: dict
"""

# First, so that the module utilities below compile once each (see _zip_import).
from ansible_collections.xen.xapi.plugins.module_utils import _zip_import  # noqa: F401 pylint: disable=unused-import
from ansible_collections.xen.xapi.plugins.module_utils import _engine, _module
from ansible_collections.xen.xapi.plugins.module_utils.vm import import_resource


def main() -> None:
    module = _module.XapiModule(
        argument_spec=dict(
            path=dict(type="path", required=True),
            name=dict(type="str", required=True),
            sr=dict(type="str"),
            state=dict(type="str", default="halted", choices=["halted", "running"]),
            preserve_macs=dict(type="bool", default=False),
            task_timeout=dict(type="int", default=3600),
        ),
        supports_check_mode=True,
    )
    _engine.reconcile(module, import_resource.VmImportResource, report=lambda resource: resource.report)


if __name__ == "__main__":
    main()
