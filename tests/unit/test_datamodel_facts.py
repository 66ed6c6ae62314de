# Copyright: (c) 2026, xen.xapi maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The generated datamodel facts: their shape, and that they match the generator's output."""

from __future__ import annotations

import importlib.util
import os
import pathlib

import pytest

from ansible_collections.xen.xapi.plugins.module_utils._xapi import datamodel as _datamodel
from ansible_collections.xen.xapi.plugins.module_utils._xapi import datamodel_fields as _datamodel_fields

REPO_ROOT = pathlib.Path(__file__).resolve().parents[2]
REFERENCE_DIR = pathlib.Path(os.environ.get("XAPI_REFERENCE_DIR", REPO_ROOT.parent / "shared" / "xapi"))
DATAMODEL = REFERENCE_DIR / "datamodel.json"


def _generator():
    spec = importlib.util.spec_from_file_location("gen_module_facts", str(REPO_ROOT / "tools" / "gen_module_facts.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("wire_type, kind", [
    ("int", "int"), ("float", "float"), ("datetime", "datetime"), ("int set", "int_set"),
    ("(string -> int) map", "int_map"), ("(int -> float) map", "float_map"), ("(VGPU_type ref -> int) map", "int_map"),
    ("string", None), ("(string -> string) map", None), ("VM ref set", None), ("(int -> string set) map", None),
])
def test_field_kind(wire_type: str, kind: object) -> None:
    assert _generator().field_kind(wire_type) == kind


@pytest.mark.parametrize("wire_type, target", [
    ("VM ref", "VM"), ("VBD ref set", "VBD"), ("host ref", "host"), ("string", None), ("(VIF ref -> string) map", None),
    ("string set", None),
])
def test_ref_target(wire_type: str, target: object) -> None:
    assert _generator().ref_target(wire_type) == target


def test_facts_shape() -> None:
    assert len(_datamodel.CLASSES) == 72
    assert _datamodel.CLASSES["VM"] == "vm"
    assert "memory_static_max" in _datamodel.TYPED_FIELDS["VM"]["int"]
    assert "progress" in _datamodel.TYPED_FIELDS["task"]["float"]
    assert _datamodel_fields.REF_FIELDS["VM"]["VBDs"] == "VBD"
    assert _datamodel_fields.REF_FIELDS["VBD"]["VDI"] == "VDI"
    assert set(target for fields in _datamodel_fields.REF_FIELDS.values() for target in fields.values()) <= set(_datamodel.CLASSES)
    assert "session" in _datamodel.CLASSES_WITHOUT_EVENTS
    assert "VM" not in _datamodel.CLASSES_WITHOUT_EVENTS


@pytest.mark.skipif(not DATAMODEL.is_file(), reason="XAPI datamodel JSON not available")
def test_committed_facts_are_up_to_date(tmp_path: pathlib.Path) -> None:
    output, fields = tmp_path / "_datamodel.py", tmp_path / "_datamodel_fields.py"
    assert _generator().main(["--datamodel", str(DATAMODEL), "--output", str(output), "--fields-output", str(fields)]) == 0
    for generated in (output, fields):
        committed = REPO_ROOT / "plugins" / "module_utils" / "_xapi" / generated.name.lstrip("_")
        assert generated.read_text(encoding="utf-8") == committed.read_text(encoding="utf-8")


def test_fields_and_their_kinds() -> None:
    assert _datamodel_fields.FIELDS["VM"]["power_state"] == "enum"
    assert _datamodel_fields.FIELDS["VM"]["memory_static_max"] == "int"
    assert _datamodel_fields.FIELDS["VM"]["VBDs"] == "set"
    assert _datamodel_fields.FIELDS["PBD"]["device_config"] == "map"
    assert _datamodel_fields.FIELDS["VDI"]["SR"] == "ref"
    assert set(_datamodel_fields.FIELDS) == set(_datamodel.CLASSES)
