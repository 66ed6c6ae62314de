# Copyright: (c) 2026, xen.xapi maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Names for the objects an XAPI error points at, so that users read "VM 'web01' (uuid)", not an OpaqueRef.

XAPI errors carry references (``VDI_IN_USE [OpaqueRef:..., destroy]``). When a run fails, the references in
the error are looked up in one ``event.from`` call (one subscription per reference and candidate class:
only the right class answers), and the owners of drives, interfaces and storage connections in a second
one. This costs two calls, on failures only.
"""

from __future__ import annotations

import re
import typing as t

from ansible_collections.xen.xapi.plugins.module_utils._xapi import client as xapi_client, errors

Record = t.Dict[str, t.Any]
_REF = re.compile(r"^OpaqueRef:[0-9a-fA-F-]{36}$")
# Classes whose objects errors point at, most common first.
CANDIDATE_CLASSES = ("VM", "VDI", "SR", "host", "network", "VBD", "VIF", "PBD", "PIF", "VLAN", "pool", "task")
# For objects without a name of their own: the reference fields of their owners.
_OWNERS = {"VBD": (("VM", "VM"), ("VDI", "VDI")), "VIF": (("VM", "VM"),), "PBD": (("SR", "SR"), ("host", "host")), "PIF": (("host", "host"),)}


def references(params: t.Sequence[str]) -> t.List[str]:
    return sorted(set(param for param in params if _REF.match(param)))


def lookup(client: xapi_client.XapiClient, refs: t.Sequence[str]) -> t.Dict[str, t.Tuple[str, Record]]:
    """ref -> (class, record) for the references that exist, in one call (plus one for owners)."""
    found = _read(client, [(cls, ref) for ref in refs for cls in CANDIDATE_CLASSES])
    owners = [(owner_cls, record.get(field, "")) for cls, record in found.values() for field, owner_cls in _OWNERS.get(cls, ())]
    owners = [(cls, ref) for cls, ref in owners if _REF.match(ref or "") and ref not in found]
    if owners:
        found.update(_read(client, owners))
    return found


def _read(client: xapi_client.XapiClient, wanted: t.Sequence[t.Tuple[str, str]]) -> t.Dict[str, t.Tuple[str, Record]]:
    names = dict((cls.lower(), cls) for cls, _ref in wanted)
    answer = client.call("event.from", ["{0}/{1}".format(cls.lower(), ref) for cls, ref in wanted], "", 0.0)
    found: t.Dict[str, t.Tuple[str, Record]] = {}
    for event in answer.get("events") or []:
        cls = names.get(str(event.get("class", "")).lower())
        if cls is not None and event.get("snapshot") is not None and event.get("operation") != "del":
            found[event["ref"]] = (cls, event["snapshot"])
    return found


def describe(ref: str, found: t.Mapping[str, t.Tuple[str, Record]]) -> str:
    """A reference in words: "'web01' (uuid)", "drive 1 of VM 'web01' (uuid)"; the reference itself if unknown."""
    if ref not in found:
        return ref
    cls, record = found[ref]
    uuid = record.get("uuid", "")
    if record.get("name_label"):
        return "{0!r} ({1})".format(record["name_label"], uuid)

    def name_of(owner_ref: str) -> str:
        owner = found.get(owner_ref)
        return repr(owner[1].get("name_label", "")) if owner else owner_ref
    if cls == "VBD":
        return "drive {0} of VM {1} ({2})".format(record.get("userdevice", "?"), name_of(record.get("VM", "")), uuid)
    if cls == "VIF":
        return "interface {0} of VM {1} ({2})".format(record.get("device", "?"), name_of(record.get("VM", "")), uuid)
    if cls == "PBD":
        return "the connection of SR {0} to host {1} ({2})".format(name_of(record.get("SR", "")), name_of(record.get("host", "")), uuid)
    if cls == "PIF":
        return "interface {0} of host {1} ({2})".format(record.get("device", "?"), name_of(record.get("host", "")), uuid)
    return "{0} {1}".format(cls, uuid)


def named(client: xapi_client.XapiClient, err: errors.XapiError) -> t.List[str]:
    """The error's parameters with references in words; the parameters as they are when nothing can be read."""
    refs = references(err.params)
    if not refs:
        return list(err.params)
    try:
        found = lookup(client, refs)
    except errors.XapiBaseError:
        return list(err.params)
    return [describe(param, found) if param in refs else param for param in err.params]
