# Copyright: (c) 2026, xen.xapi maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reading a pool for the inventory: trimmed records, JSON-ready data (the calls are counted against the simulator
in tests/integration/test_inventory.py)."""

from __future__ import annotations

from ansible_collections.xen.xapi.plugins.plugin_utils._inventory_snapshot import (
    SNAPSHOT_CLASSES,
    snapshot_classes,
    trim_record,
)


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
