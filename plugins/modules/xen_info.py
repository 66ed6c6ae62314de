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
  - xen.xapi maintainers (!UNKNOWN)
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
      - Values are compared as XAPI stores them (booleans as C(true)/C(false), numbers in decimal).
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
  - One C(get_all_records_where) call selects the records and one C(event.from) call reads every class
    that I(resolve) needs, so the number of API calls does not grow with the size of the pool.
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
records:
  description:
    - The matching records, each with every field of its class plus C(ref), its opaque reference.
    - Fields named in I(resolve) hold the referenced records instead of references.
  returned: success
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
  returned: success
  type: int
  sample: 1
"""

import typing as t

from ansible_collections.xen.xapi.plugins.module_utils._client import XapiClient, api_class_name
from ansible_collections.xen.xapi.plugins.module_utils._datamodel import CLASSES, REF_FIELDS
from ansible_collections.xen.xapi.plugins.module_utils._module import XapiModule
from ansible_collections.xen.xapi.plugins.module_utils._query import get_all_records_where, quote, snapshot, where_all

NULL_REF = "OpaqueRef:NULL"
Record = t.Dict[str, t.Any]


class ResolvePlanError(ValueError):
    pass


def selection_expression(params: t.Mapping[str, t.Any]) -> str:
    """The where-expression for the uuid, name and filters options (``true`` selects all)."""
    clauses = []
    if params.get("uuid"):
        clauses.append('field "uuid" = ' + quote(params["uuid"]))
    if params.get("name") is not None:
        clauses.append('field "name__label" = ' + quote(params["name"]))
    for field, value in sorted((params.get("filters") or {}).items()):
        clauses.append('field {0} = {1}'.format(quote(field), quote(_db_text(value))))
    return where_all(*clauses) if clauses else "true"


def _db_text(value: t.Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def resolve_plan(cls: str, paths: t.Sequence[str]) -> t.Dict[t.Tuple[str, ...], str]:
    """Map each path prefix, e.g. ("VBDs", "VDI"), to the class it points at; ResolvePlanError if a step is not a reference."""
    plan: t.Dict[t.Tuple[str, ...], str] = {}
    for path in paths:
        current = cls
        steps: t.Tuple[str, ...] = ()
        for step in path.split("."):
            target = REF_FIELDS.get(current, {}).get(step)
            if target is None:
                raise ResolvePlanError("resolve: {0!r} is not a reference field of {1} (in {2!r}).".format(step, current, path))
            steps = steps + (step,)
            plan[steps] = target
            current = target
    return plan


def resolve_records(records: t.Dict[str, Record], plan: t.Dict[t.Tuple[str, ...], str], objects: t.Dict[str, t.Dict[str, Record]]) -> t.List[Record]:
    """Embed referenced records in place, following every planned path (pure: no API calls)."""

    def embed(record: Record, prefix: t.Tuple[str, ...]) -> Record:
        result = dict(record)
        for steps, target in plan.items():
            if len(steps) != len(prefix) + 1 or steps[:-1] != prefix:
                continue
            field = steps[-1]
            value = record.get(field)
            if isinstance(value, list):
                result[field] = [lookup(ref, target, steps) for ref in value]
            elif isinstance(value, str) and value != NULL_REF:
                result[field] = lookup(value, target, steps)
        return result

    def lookup(ref: str, target: str, steps: t.Tuple[str, ...]) -> t.Any:
        found = objects.get(target, {}).get(ref)
        if found is None:
            return ref
        return embed(dict(found, ref=ref), steps)

    return [embed(dict(record, ref=ref), ()) for ref, record in sorted(records.items(), key=lambda item: item[1].get("uuid", ""))]


def read(client: XapiClient, params: t.Mapping[str, t.Any]) -> t.List[Record]:
    cls = api_class_name(params["class_name"])
    plan = resolve_plan(cls, params["resolve"])
    records = get_all_records_where(client, cls, selection_expression(params))
    objects = snapshot(client, sorted(set(plan.values()))) if plan and records else {}
    return resolve_records(records, plan, objects)


def main() -> None:
    module = XapiModule(
        argument_spec=dict(
            class_name=dict(type="str", default="VM", aliases=["class"]),
            uuid=dict(type="str"),
            name=dict(type="str"),
            filters=dict(type="dict", default={}),
            resolve=dict(type="list", elements="str", default=[]),
        ),
        supports_check_mode=True,
    )
    cls = api_class_name(module.params["class_name"])
    if cls not in CLASSES:
        module.fail("class_name: {0!r} is not an XAPI class; use one of {1}.".format(module.params["class_name"], ", ".join(sorted(CLASSES))))
    try:
        resolve_plan(cls, module.params["resolve"])
    except ResolvePlanError as err:
        module.fail(str(err))
    with module.client() as client:
        records = read(client, module.params)
    module.exit(changed=False, records=records, count=len(records))


if __name__ == "__main__":
    main()
