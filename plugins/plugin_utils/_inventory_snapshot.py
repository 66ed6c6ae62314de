# Copyright: (c) 2026, xen.xapi maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reading a whole pool for the inventory in one round trip, keeping only the fields it uses.

The result is plain JSON data (class -> ref -> trimmed record), so it can go to an inventory
cache as it is and be read back on the next run without talking to the pool.
"""

from __future__ import annotations

import typing as t

from ansible_collections.xen.xapi.plugins.module_utils._xapi.client import XapiClient
from ansible_collections.xen.xapi.plugins.module_utils._xapi.codec import api_class_name, normalize_record

# class -> ref -> trimmed record
PoolData = t.Dict[str, t.Dict[str, t.Dict[str, t.Any]]]

NULL_REF = "OpaqueRef:NULL"

# The fields the inventory reads, per class. Trimming right after decoding keeps the memory
# of a cached or in-flight pool small: full VM records carry more than a hundred fields.
SNAPSHOT_FIELDS: dict[str, tuple[str, ...]] = {
    "pool": ("uuid", "name_label", "master"),
    "host": ("uuid", "name_label", "address", "hostname", "enabled", "software_version", "tags", "other_config"),
    "VM": ("uuid", "name_label", "power_state", "resident_on", "VCPUs_at_startup", "memory_static_max", "guest_metrics",
           "tags", "other_config", "is_a_template", "is_a_snapshot", "is_control_domain", "VBDs"),
    "VM_guest_metrics": ("os_version", "networks"),
    "network": ("uuid", "name_label"),
    "VIF": ("VM", "network", "device", "MAC"),
    "VDI": ("SR", "virtual_size", "VBDs"),
    "SR": ("content_type",),
}
SNAPSHOT_CLASSES = tuple(SNAPSHOT_FIELDS)
# Always read; each VM detail then adds the classes it is made from. On large pools the
# details are most of the data: leaving them out makes the snapshot and the inventory lighter.
BASE_CLASSES = ("pool", "host", "VM", "VM_guest_metrics")
DETAIL_CLASSES: dict[str, tuple[str, ...]] = {"networks": ("network", "VIF"), "disks": ("VDI", "SR")}


def snapshot_classes(details: t.Iterable[str]) -> tuple[str, ...]:
    """The classes to read for these VM details, in SNAPSHOT_CLASSES order."""
    wanted = set(BASE_CLASSES)
    for detail in details:
        wanted.update(DETAIL_CLASSES[detail])
    return tuple(cls for cls in SNAPSHOT_CLASSES if cls in wanted)


def trim_record(cls: str, record: t.Mapping[str, t.Any]) -> dict[str, t.Any]:
    """The fields of SNAPSHOT_FIELDS[cls] that the record has, with ints as ints on both transports."""
    trimmed = dict((name, record[name]) for name in SNAPSHOT_FIELDS[cls] if name in record)
    return normalize_record(cls, trimmed)


def empty_pool_data() -> PoolData:
    return dict((cls, {}) for cls in SNAPSHOT_CLASSES)


def read_pool(client: XapiClient, classes: t.Sequence[str] = SNAPSHOT_CLASSES) -> PoolData:
    """Every object of these classes, with the logout: the run's last read.

    One ``get_all_records`` per class, the calls sent together with the logout (one round trip), so the number of
    calls does not depend on the size of the pool; not one ``event.from``, which xapi 26.10 and later make wait
    50 ms before it answers (xapi_globs.ml ``event_from_delay``). Records are trimmed as they are decoded. Classes
    not read are present and empty in the result.
    """
    client.end_with_next_read()
    answers = client.call_each([(api_class_name(cls) + ".get_all_records", []) for cls in classes])
    data = empty_pool_data()
    for cls, records in zip(classes, answers):
        data[cls] = dict((ref, trim_record(cls, record)) for ref, record in records.items())
    return data
