# Copyright: (c) 2026, xen.xapi maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Inventory host names that stay distinct when XAPI names are not, and the built-in groups."""

from __future__ import annotations

import collections
import typing as t

from ansible_collections.xen.xapi.plugins.plugin_utils._inventory_facts import InventoryObject

DUPLICATE_RULES = ("suffix", "uuid")
GROUP_KINDS = ("pool", "host", "power_state", "tag", "os_family", "without_ip")
SHORT_UUID_LENGTH = 8


def _number_repeats(names: t.Sequence[str]) -> list[str]:
    """Last resort for names still shared: the first keeps its name, the next get _2, _3, ..."""
    taken = set(names)
    seen: collections.Counter[str] = collections.Counter()
    result = []
    for name in names:
        seen[name] += 1
        if seen[name] == 1:
            result.append(name)
            continue
        number = seen[name]
        while "{0}_{1}".format(name, number) in taken:
            number += 1
        unique = "{0}_{1}".format(name, number)
        taken.add(unique)
        result.append(unique)
    return result


def distinct_hostnames(names: t.Sequence[str], uuids: t.Sequence[str], rule: str = "suffix") -> list[str]:
    """Make every name unique; the i-th name belongs to the object with the i-th uuid.

    A name used by a single object is kept. Objects sharing a name all lose it, so that no
    object wins by the order in which the pool happened to list them:

    - rule "suffix": each becomes "<name>_<first 8 characters of its uuid>", or
      "<name>_<uuid>" when those 8 characters are not enough to tell them apart;
    - rule "uuid": each is named by its uuid.

    Should names still collide (a VM named like another one's suffixed name, or the same uuid
    in two pools), the first keeps the name and the others get _2, _3, ... in input order.
    """
    if rule not in DUPLICATE_RULES:
        raise ValueError("Unknown duplicate host name rule {0!r}; use one of {1}.".format(rule, ", ".join(DUPLICATE_RULES)))
    counts = collections.Counter(names)
    if rule == "uuid":
        renamed = [name if counts[name] == 1 else uuid for name, uuid in zip(names, uuids)]
    else:
        short = ["{0}_{1}".format(name, uuid[:SHORT_UUID_LENGTH]) if counts[name] > 1 else name
                 for name, uuid in zip(names, uuids)]
        short_counts = collections.Counter(short)
        renamed = [candidate if short_counts[candidate] == 1 or counts[name] == 1 else "{0}_{1}".format(name, uuid)
                   for candidate, name, uuid in zip(short, names, uuids)]
    return _number_repeats(renamed)


def builtin_groups(obj: InventoryObject, has_address: bool, kinds: t.Collection[str], prefix: str) -> list[str]:
    """Raw (not yet sanitised) names of the built-in groups the object belongs to.

    Every VM is in <prefix>vms and every physical host in <prefix>hosts; then, for each kind
    switched on: <prefix>pool_<pool>, and for VMs <prefix>host_<host they run on>,
    <prefix>power_<state>, <prefix>os_<family>, <prefix>without_ip; <prefix>tag_<tag> for both.
    Groups whose value is empty (a halted VM runs on no host) are left out.
    """
    facts = obj.facts
    groups = [prefix + ("vms" if obj.kind == "VM" else "hosts")]
    if "pool" in kinds and facts.get("pool"):
        groups.append("{0}pool_{1}".format(prefix, facts["pool"]))
    if obj.kind == "VM":
        if "host" in kinds and facts.get("host"):
            groups.append("{0}host_{1}".format(prefix, facts["host"]))
        if "power_state" in kinds and facts.get("power_state"):
            groups.append("{0}power_{1}".format(prefix, str(facts["power_state"]).lower()))
        if "os_family" in kinds and facts.get("os_family"):
            groups.append("{0}os_{1}".format(prefix, facts["os_family"]))
        if "without_ip" in kinds and not has_address:
            groups.append(prefix + "without_ip")
    if "tag" in kinds:
        groups.extend("{0}tag_{1}".format(prefix, tag) for tag in facts.get("tags", ()) if tag)
    return groups
