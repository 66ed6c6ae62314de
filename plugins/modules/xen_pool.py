#!/usr/bin/python
# Copyright: (c) 2026, xen.xapi maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: xen_pool
short_description: Manage the settings of a XenServer or XCP-ng pool, including high availability
version_added: 0.1.0
description:
  - Changes the pool object itself - its name and description, its default, suspend-image and crash-dump SRs,
    its C(other_config) and tags, live-migration compression and high availability (HA) - and returns the pool
    with its master and hosts.
  - Only what differs is changed; without options the module only returns the pool.
  - Enabling HA creates its statefile on a heartbeat SR shared by every host; XAPI's refusals (a host offline, no
    SR that can hold the statefile, a failover plan that cannot cover the failures asked for) are reported
    with their error codes.
author:
  - xen.xapi maintainers (@xen-xapi)
extends_documentation_fragment:
  - xen.xapi.connection
  - xen.xapi.attributes
  - xen.xapi.attributes.RESOURCE
  - xen.xapi.metadata
options:
  name:
    description:
      - The pool's name (C(name_label)).
    type: str
  description:
    description:
      - The pool's description (C(name_description)).
    type: str
  default_sr:
    description:
      - The SR (name or uuid) where new disks go when none is named.
    type: str
  suspend_image_sr:
    description:
      - The SR (name or uuid) that holds the memory images of suspended VMs.
    type: str
  crash_dump_sr:
    description:
      - The SR (name or uuid) that receives crash dumps.
    type: str
  migration_compression:
    description:
      - Whether live migration compresses the memory it sends between hosts.
    type: bool
  sync_updates:
    description:
      - Fetch what the pool's enabled update repository offers (C(pool.sync_updates)), so that each host knows whether it
        lacks updates (RV(xen.xapi.xen_host#module:host.updates)) and M(xen.xapi.xen_host)
        O(xen.xapi.xen_host#module:apply_updates=true) can install them.
      - The sync runs on every run that sets it; the module reports a change only when the offering changed (a new
        hash). Check mode cannot know, and lists the sync as a change with the new hash unknown.
      - XenServer 8 and XCP-ng 8.3, with an update repository configured and enabled.
    type: bool
    default: false
  update_token:
    description:
      - The token that authenticates the pool to the update repository (XenServer 8's CDN), if it needs one.
    type: str
  update_token_id:
    description:
      - The id of O(update_token).
    type: str
  ha_enabled:
    description:
      - Turn high availability on (C(pool.enable_ha)) or off (C(pool.disable_ha)).
    type: bool
  ha_heartbeat_srs:
    description:
      - The SRs (names or uuids) HA may put its statefile on when it is turned on; the first is used. By default
        XAPI picks an SR that every host has plugged and whose driver can hold the statefile.
      - Only used when HA is turned on by this run.
    type: list
    elements: str
  ha_host_failures_to_tolerate:
    description:
      - How many host failures HA plans to survive. Needs HA on (or O(ha_enabled=true)).
    type: int
  task_timeout:
    description:
      - Seconds to wait for HA to be turned on or off.
    type: int
    default: 600
notes:
  - Pool membership (hosts joining and leaving) and host maintenance are not managed by this module.
seealso:
  - module: xen.xapi.xen_host
    description: Enable and disable the hosts of the pool.
"""

EXAMPLES = r"""
- name: Name the pool and make the NFS SR its default
  xen.xapi.xen_pool:
    name: production
    default_sr: NFS storage
    tags: [production]

- name: Turn HA on, on the NFS SR, tolerating one host failure
  xen.xapi.xen_pool:
    ha_enabled: true
    ha_heartbeat_srs: [NFS storage]
    ha_host_failures_to_tolerate: 1
  register: pool

- name: Say who the master is
  ansible.builtin.debug:
    msg: "{{ pool.pool.name }} is led by {{ pool.pool.master }}, HA {{ 'on' if pool.pool.ha_enabled else 'off' }}."

- name: Fetch what the update repository offers (XenServer 8, XCP-ng 8.3)
  xen.xapi.xen_pool:
    sync_updates: true
"""

RETURN = r"""
changed:
  description: Whether anything was changed (or, in check mode, would be).
  returned: always
  type: bool
changes:
  description:
    - The changes made (or, in check mode, that would be made), as option, before and after.
    - A sync of the update repository that brought something new shows as C(updates_hash), the hash of the offering
      before and after.
  returned: always
  type: list
  elements: dict
pool:
  description: The pool after the run; in check mode, as it was before.
  returned: always
  type: dict
  contains:
    uuid:
      description: The pool's uuid.
      type: str
    name:
      description: The pool's name.
      type: str
    description:
      description: The pool's description.
      type: str
    master:
      description: The name of the pool master.
      type: str
    hosts:
      description: The names of the pool's hosts.
      type: list
      elements: str
    default_sr:
      description: The default SR's name.
      type: str
    suspend_image_sr:
      description: The suspend-image SR's name.
      type: str
    crash_dump_sr:
      description: The crash-dump SR's name.
      type: str
    other_config:
      description: The pool's C(other_config).
      type: dict
    tags:
      description: The pool's tags, sorted.
      type: list
      elements: str
    migration_compression:
      description: Whether live migration compresses memory.
      type: bool
    ha_enabled:
      description: Whether HA is on.
      type: bool
    ha_host_failures_to_tolerate:
      description: The host failures HA plans for.
      type: int
    ha_heartbeat_srs:
      description: The names of the SRs holding HA's statefiles.
      type: list
      elements: str
diff:
  description: The pool before and after, in the form of RV(pool).
  returned: when diff mode is on
  type: dict
"""

# First, so that the module utilities below compile once each (see _zip_import).
from ansible_collections.xen.xapi.plugins.module_utils import _zip_import  # noqa: F401 pylint: disable=unused-import
from ansible_collections.xen.xapi.plugins.module_utils import _engine, _module
from ansible_collections.xen.xapi.plugins.module_utils.pool import pool_resource


def main() -> None:
    module = _module.XapiModule(
        argument_spec=dict(
            _module.METADATA_ARGUMENT_SPEC,  # other_config, tags, purge
            name=dict(type="str"),
            description=dict(type="str"),
            default_sr=dict(type="str"),
            suspend_image_sr=dict(type="str"),
            crash_dump_sr=dict(type="str"),
            migration_compression=dict(type="bool"),
            sync_updates=dict(type="bool", default=False),
            update_token=dict(type="str", no_log=True),
            update_token_id=dict(type="str", no_log=False),
            ha_enabled=dict(type="bool"),
            ha_heartbeat_srs=dict(type="list", elements="str"),
            ha_host_failures_to_tolerate=dict(type="int"),
            task_timeout=dict(type="int", default=600),
        ),
        supports_check_mode=True,
    )
    _engine.reconcile(module, pool_resource.PoolResource)


if __name__ == "__main__":
    main()
