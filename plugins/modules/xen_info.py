#!/usr/bin/python
# Copyright: (c) 2026, xen.xapi maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""xen_info: read records of any XAPI class, with referenced objects resolved."""

from __future__ import annotations

DOCUMENTATION = r"""
module: xen_info
short_description: Read records of any XAPI class from a XenServer or XCP-ng pool
version_added: 0.1.0
description:
  - Returns the records of one XAPI class (C(VM), C(SR), C(host), C(network), ...) selected by uuid,
    name or field values, read in one batched call.
  - Referenced objects can be resolved in place, for example a VM with its VBDs, their VDIs, its VIFs and
    their networks. Resolution costs one more call whatever the number of records.
author:
  - xen.xapi maintainers (@xen-xapi)
extends_documentation_fragment:
  - xen.xapi.connection
  - xen.xapi.attributes
  - xen.xapi.attributes.info
options:
  class_name:
    description:
      - The XAPI class to read, as spelled in the API (C(VM), C(VDI), C(host), C(pool), ...).
    type: str
    default: VM
    aliases: [class]
  uuid:
    description:
      - Return only the object with this uuid.
    type: str
  name:
    description:
      - Return only objects with this C(name_label). Names are not unique, so several records may come back.
    type: str
  filters:
    description:
      - Field values the records must have, for example C(power_state=Running) and C(is_a_template=false).
      - Fields are named as in the API (C(name_label), C(memory_static_max)); a field the class does not have fails,
        listing the class's fields. Only fields that hold one value can be compared (not sets or maps).
      - Values are compared as XAPI stores them (booleans as C(true)/C(false), numbers by value, enums with their
        case, for example C(Running)).
    type: dict
    default: {}
  resolve:
    description:
      - Reference fields to replace by the records they point to, as dotted paths from the selected class,
        for example C(VBDs.VDI) (each VBD, and in each VBD its VDI) or C(VIFs.network), C(guest_metrics).
      - A resolved field holds the referenced record (with its C(ref)) instead of the reference, or a list of
        records for a set of references. A null reference stays C(OpaqueRef:NULL).
    type: list
    elements: str
    default: []
notes:
  - One C(get_all_records_where) call selects the records, and every class that I(resolve) needs is read whole, one
    call per class, the calls sent together (one round trip, the logout with them), so the number of API calls does
    not grow with the size of the pool (three round trips in all).
  - Credentials are never returned. In PBD records, values of C(device_config) keys that hold credentials (with
    C(password), C(passwd), C(secret) or C(token) in their name) are replaced by C(********), and so is the
    C(value) of C(secret) records.
"""

EXAMPLES = r"""
- name: Read a VM with its disks and networks
  xen.xapi.xen_info:
    hostname: pool-master.example.com
    username: root
    password: "{{ vault_xapi_password }}"
    class_name: VM
    name: web01
    resolve:
      - VBDs.VDI
      - VIFs.network
      - guest_metrics
  register: web01

- name: List running VMs (not templates, snapshots or control domains)
  xen.xapi.xen_info:
    hostname: pool-master.example.com
    password: "{{ vault_xapi_password }}"
    filters:
      power_state: Running
      is_a_template: false
      is_a_snapshot: false
      is_control_domain: false
  register: running

- name: Read the pool's SRs
  xen.xapi.xen_info:
    hostname: pool-master.example.com
    password: "{{ vault_xapi_password }}"
    class_name: SR
  register: srs
"""

RETURN = r"""
changed:
  description: Always V(false) - the module only reads.
  returned: always
  type: bool
  sample: false
records:
  description:
    - The matching records, each with every field of its class plus C(ref), its opaque reference.
    - Fields named in I(resolve) hold the referenced records instead of references.
  returned: always
  type: list
  elements: dict
  sample:
    - ref: OpaqueRef:3b1f4c2e-5a6d-4e7f-8a9b-0c1d2e3f4a5b
      uuid: 8d7c6b5a-4e3f-4a1b-9c8d-7e6f5a4b3c2d
      name_label: web01
      power_state: Running
      VBDs:
        - ref: OpaqueRef:0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9
          userdevice: "0"
          VDI:
            ref: OpaqueRef:1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d
            name_label: web01 root
            virtual_size: 21474836480
count:
  description: Number of records returned.
  returned: always
  type: int
  sample: 1
"""

# First, so that the module utilities below compile once each (see _zip_import).
from ansible_collections.xen.xapi.plugins.module_utils import _zip_import  # noqa: F401 pylint: disable=unused-import
import typing as t

from ansible_collections.xen.xapi.plugins.module_utils import _info, _module
from ansible_collections.xen.xapi.plugins.module_utils._xapi import client as xapi_client, codec, datamodel, query

Record = t.Dict[str, t.Any]


def read(client: xapi_client.XapiClient, cls: str, params: t.Mapping[str, t.Any]) -> t.List[Record]:
    plan = _info.resolve_plan(cls, params["resolve"])
    filters = params["filters"]
    if not plan:
        # The run's only read: the logout goes with it.
        client.end_with_next_read()
    records = query.get_all_records_where(client, cls, _info.server_expression(params))
    records = dict((ref, _info.without_secrets(cls, record)) for ref, record in records.items() if _info.matches(record, filters))
    if plan and records:
        client.end_with_next_read()
    objects = query.snapshot(client, sorted(set(plan.values()))) if plan and records else {}
    objects = dict((target, dict((ref, _info.without_secrets(target, record)) for ref, record in found.items()))
                   for target, found in objects.items())
    return _info.resolve_records(records, plan, objects)


def main() -> None:
    module = _module.XapiModule(
        argument_spec=dict(
            class_name=dict(type="str", default="VM", aliases=["class"]),
            uuid=dict(type="str"),
            name=dict(type="str"),
            filters=dict(type="dict", default={}),
            resolve=dict(type="list", elements="str", default=[]),
        ),
        supports_check_mode=True,
    )
    cls = codec.api_class_name(module.params["class_name"])
    if cls not in datamodel.CLASSES:
        module.fail("class_name: {0!r} is not an XAPI class; use one of {1}.".format(module.params["class_name"], ", ".join(sorted(datamodel.CLASSES))))
    try:
        _info.resolve_plan(cls, module.params["resolve"])
        _info.check_filters(cls, module.params["filters"])
    except _info.InfoError as err:
        module.fail(str(err))
    with module.client() as client:
        records = read(client, cls, module.params)
    module.exit(changed=False, records=records, count=len(records))


if __name__ == "__main__":
    main()
