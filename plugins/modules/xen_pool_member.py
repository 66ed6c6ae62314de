#!/usr/bin/python
# Copyright: (c) 2026, xen.xapi maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: xen_pool_member
short_description: Add hosts to a XenServer or XCP-ng pool, or eject them
version_added: 0.1.0
description:
  - Makes a host a member of the pool (C(pool.join)) or takes it out (C(pool.eject)).
  - The connection options name the pool (its master), as for every module of the collection. To join, the module
    logs in to the joining host (O(member), with O(member_username) and O(member_password)), checks that it is a pool of
    its own, and asks it to join with the master's address and the connection's credentials; it then waits, on the
    master's event stream, until the pool lists the host enabled. XAPI's refusals (shared storage or running VMs on
    the joining host, HA enabled) are reported with their error codes.
  - Ejecting wipes the host's local storage and configuration and reboots it into a fresh install, so it needs
    O(force=true); the pool master, and a host that still runs VMs, are refused before anything is sent.
  - A host the pool already has (O(state=present)), or does not have (O(state=absent)), is left alone.
author:
  - xen.xapi maintainers (@xen-xapi)
extends_documentation_fragment:
  - xen.xapi.connection
  - xen.xapi.attributes
  - xen.xapi.attributes.RESOURCE
options:
  member:
    description:
      - The host that joins or leaves, as the pool knows it once it is a member - its management address (or host name, name or uuid for a
        member) - or, to join, a URL that reaches it (V(https://192.0.2.14)). Without a scheme or port, the connection's
        are used.
    type: str
    required: true
  member_username:
    description:
      - The user to log in to the joining host with. Defaults to O(username).
    type: str
  member_password:
    description:
      - The password of O(member_username) on the joining host. Defaults to O(password).
    type: str
  master_address:
    description:
      - The address the joining host reaches the pool master at. Defaults to the master's management address.
    type: str
  state:
    description:
      - V(present) makes the host a member; V(absent) ejects it.
    type: str
    choices: [present, absent]
    default: present
  force:
    description:
      - Required with O(state=absent), which wipes the host's local state.
    type: bool
    default: false
  join_timeout:
    description:
      - Seconds to wait for a joining host to show in the pool, enabled.
    type: int
    default: 600
  task_timeout:
    description:
      - Seconds to wait for the ejection.
    type: int
    default: 600
notes:
  - The joining host is reached with the connection's TLS settings (O(validate_certs), O(ca_path)); a fresh install
    has a self-signed certificate, which O(ca_path) must then hold.
seealso:
  - module: xen.xapi.xen_host
    description: Put a member into maintenance before ejecting it.
  - module: xen.xapi.xen_pool
    description: The pool's settings.
"""

EXAMPLES = r"""
# The connection options (hostname, username, password, ca_path) come from the XAPI_HOST, XAPI_USERNAME,
# XAPI_PASSWORD and XAPI_CA_PATH environment variables here; set them with module_defaults otherwise.
- name: Add the new host to the pool
  xen.xapi.xen_pool_member:
    member: 127.0.1.1
  register: joined

- name: Say what the pool holds now
  ansible.builtin.debug:
    msg: "{{ joined.member.name }} joined; the pool has {{ joined.pool_hosts | join(', ') }}."

- name: Take it out of the pool again (wipes its local state)
  xen.xapi.xen_pool_member:
    member: "{{ joined.member.uuid }}"
    state: absent
    force: true
"""

RETURN = r"""
changed:
  description: Whether the host joined or left the pool (or, in check mode, would).
  returned: always
  type: bool
  sample: true
changes:
  description: The change made (or, in check mode, that would be made) - C(state), from V(absent) to V(present) or back.
  returned: always
  type: list
  elements: dict
  sample:
    - {option: state, before: absent, after: present}
member:
  description:
    - The host as a member of the pool, in the form of RV(xen.xapi.xen_host#module:host); empty when it is not one.
    - In check mode, the pool member as it is before the run (empty for a host that would join).
  returned: always
  type: dict
  sample: {name: host4, uuid: 7a1c2e3f-4b5d-4e6f-8a9b-0c1d2e3f4a5b, address: 192.0.2.14, enabled: true, is_master: false}
pool_hosts:
  description: The names of the pool's hosts after the run, sorted.
  returned: always
  type: list
  elements: str
  sample: [host1, host2, host3, host4]
diff:
  description: The member before and after the run (predicted in check mode).
  returned: when diff mode is on
  type: dict
"""

# First, so that the module utilities below compile once each (see _zip_import).
from ansible_collections.xen.xapi.plugins.module_utils import _zip_import  # noqa: F401 pylint: disable=unused-import
from ansible_collections.xen.xapi.plugins.module_utils import _engine, _module
from ansible_collections.xen.xapi.plugins.module_utils.pool import member_resource


def main() -> None:
    module = _module.XapiModule(
        argument_spec=dict(
            member=dict(type="str", required=True),
            member_username=dict(type="str"),
            member_password=dict(type="str", no_log=True),
            master_address=dict(type="str"),
            state=dict(type="str", choices=["present", "absent"], default="present"),
            force=dict(type="bool", default=False),
            join_timeout=dict(type="int", default=600),
            task_timeout=dict(type="int", default=600),
        ),
        supports_check_mode=True,
    )
    _engine.reconcile(module, member_resource.PoolMemberResource, report=lambda resource: {"pool_hosts": resource.host_names()})


if __name__ == "__main__":
    main()
