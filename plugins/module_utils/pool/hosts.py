# Copyright: (c) 2026, xen.xapi maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The pool's hosts: resolving the names users type, and ordering work around the pool master.

Shared storage is brought up on the master before its members and taken down on the members
before the master, since the master coordinates the SR (it holds the SR-master role).
"""

from __future__ import annotations

import typing as t

from ansible_collections.xen.xapi.plugins.module_utils import _engine
from ansible_collections.xen.xapi.plugins.module_utils._xapi import errors, query
from ansible_collections.xen.xapi.plugins.module_utils.disks import lookup

ALL_HOSTS = "all"


def pool_master(pools: query.Records) -> str:
    """The master's host ref (NULL when the pool record is missing)."""
    for record in pools.values():
        return str(record.get("master") or lookup.NULL_REF)
    return lookup.NULL_REF


def host_name(hosts: query.Records, ref: str) -> str:
    """What users call a host: its name_label (the ref when the host is unknown)."""
    return str(hosts.get(ref, {}).get("name_label") or ref)


def by_name(hosts: query.Records, refs: t.Iterable[str]) -> t.List[str]:
    """Host refs in name order, so results and operations are stable from run to run."""
    return sorted(refs, key=lambda ref: (host_name(hosts, ref), ref))


def master_first(hosts: query.Records, refs: t.Iterable[str], master: str) -> t.List[str]:
    """The order for bringing storage up: the master, then the members by name."""
    return sorted(by_name(hosts, refs), key=lambda ref: ref != master)


def master_last(hosts: query.Records, refs: t.Iterable[str], master: str) -> t.List[str]:
    """The order for taking storage down: the members by name, then the master."""
    return sorted(by_name(hosts, refs), key=lambda ref: ref == master)


def resolve_host(hosts: query.Records, key: str, option: str = "host") -> t.Tuple[str, _engine.Record]:
    """The host a user named by uuid or name; fails naming the option and the known hosts."""
    found = _engine.one_or_none(lookup.find_by_uuid_or_name(hosts, key), "{0}: host".format(option), key)
    if found is None:
        names = ", ".join(host_name(hosts, ref) for ref in by_name(hosts, hosts))
        raise errors.ResourceError("{0}: the pool has no host with the name or uuid {1!r}. Its hosts are: {2}.".format(option, key, names))
    return found


def resolve_hosts(hosts: query.Records, keys: t.Sequence[str], option: str = "host") -> t.List[str]:
    """Host refs for a list of names or uuids, in name order; the word ``all`` means every host of the pool."""
    if ALL_HOSTS in keys:
        if len(keys) > 1:
            raise errors.ResourceError("{0}: 'all' already means every host of the pool; give it alone, or list the hosts.".format(option))
        return by_name(hosts, hosts)
    return by_name(hosts, dict.fromkeys(resolve_host(hosts, key, option)[0] for key in keys))


def order_by_host(records: query.Records, hosts: query.Records, master: str, master_at_end: bool) -> t.List[str]:
    """Refs of per-host records (PBDs), the master's first (to bring up) or last (to take down)."""
    host_refs = [str(record.get("host", "")) for record in records.values()]
    order = master_last(hosts, host_refs, master) if master_at_end else master_first(hosts, host_refs, master)
    position = dict((host_ref, index) for index, host_ref in enumerate(order))
    return sorted(records, key=lambda ref: (position[str(records[ref].get("host", ""))], ref))
