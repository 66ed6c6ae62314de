# Copyright: (c) 2026, xen.xapi maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Record normalisation: XML-RPC (ints as strings) and JSON-RPC records end up identical."""

from __future__ import annotations

import datetime
import json
import os
import pathlib
import xmlrpc.client

import pytest

from ansible_collections.xen.xapi.plugins.module_utils._xapi.codec import api_class_name, normalize_record

# Real recorded records, when the reference material sits beside the checkout.
REFERENCE_DIR = pathlib.Path(os.environ.get("XAPI_REFERENCE_DIR", pathlib.Path(__file__).resolve().parents[3] / "shared" / "xapi"))
RECORD_FILES = sorted((REFERENCE_DIR / "records").glob("*.json")) if (REFERENCE_DIR / "records").is_dir() else []


def test_int_float_and_datetime_fields_are_converted() -> None:
    xmlrpc_vm = {
        "name_label": "web01",
        "memory_static_max": "8589934592",
        "VCPUs_max": "2",
        "HVM_shadow_multiplier": 1,
        "snapshot_time": xmlrpc.client.DateTime("20240101T00:00:00Z"),
        "user_version": "1",
    }
    normalized = normalize_record("VM", xmlrpc_vm)
    assert normalized == {
        "name_label": "web01",
        "memory_static_max": 8589934592,
        "VCPUs_max": 2,
        "HVM_shadow_multiplier": 1.0,
        "snapshot_time": "20240101T00:00:00Z",
        "user_version": 1,
    }
    assert xmlrpc_vm["VCPUs_max"] == "2", "the input record must not be modified"


def test_xmlrpc_and_jsonrpc_records_normalise_the_same() -> None:
    over_xmlrpc = {"memory_actual": "1073741824", "VCPUs_number": "2", "VCPUs_utilisation": {"0": 0.25}, "start_time": "20240101T00:00:00Z"}
    over_jsonrpc = {"memory_actual": 1073741824, "VCPUs_number": 2, "VCPUs_utilisation": {"0": 0.25}, "start_time": "20240101T00:00:00Z"}
    assert normalize_record("VM_metrics", over_xmlrpc) == normalize_record("VM_metrics", over_jsonrpc)


def test_sets_and_maps_of_numbers() -> None:
    host = {"virtual_hardware_platform_versions": ["0", "1", "2"]}
    assert normalize_record("host", host) == {"virtual_hardware_platform_versions": [0, 1, 2]}


def test_datetime_objects_become_wire_text() -> None:
    task = {"created": datetime.datetime(2024, 5, 6, 7, 8, 9), "progress": "0.5"}
    assert normalize_record("task", task) == {"created": "20240506T07:08:09Z", "progress": 0.5}


def test_unparsable_values_are_left_alone() -> None:
    assert normalize_record("VM", {"memory_static_max": "lots"}) == {"memory_static_max": "lots"}


def test_unknown_classes_and_event_names() -> None:
    assert normalize_record("no_such_class", {"x": "1"}) == {"x": "1"}
    assert api_class_name("vm_guest_metrics") == "VM_guest_metrics"
    assert normalize_record("vm", {"domid": "5"}) == {"domid": 5}


@pytest.mark.skipif(not RECORD_FILES, reason="reference records not available")
@pytest.mark.parametrize("path", RECORD_FILES, ids=lambda path: path.name)
def test_recorded_records_get_numbers(path: pathlib.Path) -> None:
    recorded = json.loads(path.read_text(encoding="utf-8"))
    for cls, records in recorded.items():
        for record in records.values():
            normalized = normalize_record(cls, record)
            if cls == "VM":
                assert isinstance(normalized["memory_static_max"], int)
                assert isinstance(normalized["VCPUs_max"], int)
            if cls == "VDI":
                assert isinstance(normalized["virtual_size"], int)
            if cls == "SR":
                assert isinstance(normalized["physical_size"], int)
