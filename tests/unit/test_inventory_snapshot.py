# Copyright: (c) 2026, xen.xapi maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reading a pool for the inventory: one event.from call, trimmed records, JSON-ready data."""

from __future__ import annotations

import json
import typing as t

from ansible_collections.xen.xapi.plugins.plugin_utils._inventory_snapshot import (
    SNAPSHOT_CLASSES,
    add_events,
    empty_pool_data,
    read_pool,
    snapshot_classes,
    trim_record,
)


class RecordingClient:
    """Answers event.from with a fixed list of events and remembers what was asked."""

    def __init__(self, events: list[dict[str, t.Any]]) -> None:
        self.events = events
        self.calls: list[tuple[str, tuple[t.Any, ...]]] = []

    def call(self, method: str, *args: t.Any) -> t.Any:
        self.calls.append((method, args))
        return {"events": self.events, "token": "1", "valid_ref_counts": {}}


def test_trim_keeps_only_the_fields_used_and_reads_xmlrpc_ints() -> None:
    record = {"uuid": "u", "name_label": "web01", "VCPUs_at_startup": "4", "memory_static_max": "8589934592",
              "power_state": "Running", "HVM_boot_params": {"order": "cd"}, "PV_args": ""}
    trimmed = trim_record("VM", record)
    assert trimmed == {"uuid": "u", "name_label": "web01", "VCPUs_at_startup": 4, "memory_static_max": 8589934592,
                       "power_state": "Running"}


def test_snapshot_classes_follow_the_details() -> None:
    assert snapshot_classes(()) == ("pool", "host", "VM", "VM_guest_metrics")
    assert snapshot_classes(("disks",)) == ("pool", "host", "VM", "VM_guest_metrics", "VDI", "SR")
    assert set(snapshot_classes(("networks", "disks"))) == set(SNAPSHOT_CLASSES)


def test_read_pool_is_one_event_from_call_with_an_empty_token() -> None:
    events = [
        {"class": "vm", "operation": "add", "ref": "OpaqueRef:vm", "snapshot": {"uuid": "u", "name_label": "web01", "PV_args": ""}},
        {"class": "vdi", "operation": "add", "ref": "OpaqueRef:vdi", "snapshot": {"name_label": "root", "virtual_size": 1}},
        {"class": "vm", "operation": "del", "ref": "OpaqueRef:gone"},
        {"class": "task", "operation": "add", "ref": "OpaqueRef:task", "snapshot": {"uuid": "t"}},
    ]
    client = RecordingClient(events)
    data = read_pool(client, ("pool", "VM", "VDI"))  # type: ignore[arg-type]  # only call() is used
    assert client.calls == [("event.from", (["pool", "vm", "vdi"], "", 1.0))]
    assert data["VM"] == {"OpaqueRef:vm": {"uuid": "u", "name_label": "web01"}}
    assert data["VDI"] == {"OpaqueRef:vdi": {"virtual_size": 1}}  # only the fields the inventory uses
    assert set(data) == set(SNAPSHOT_CLASSES) and data["SR"] == {}
    assert json.loads(json.dumps(data)) == data  # cacheable as it is


def test_add_events_skips_malformed_snapshots() -> None:
    data = add_events(empty_pool_data(), [{"class": "VM", "operation": "mod", "ref": "OpaqueRef:x", "snapshot": "oops"}])
    assert data["VM"] == {}
