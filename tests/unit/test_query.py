# Copyright: (c) 2026, xen.xapi maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import pytest

from ansible_collections.xen.xapi.plugins.module_utils._xapi.query import (
    event_class_name,
    field_equals,
    find_by_name,
    find_by_ref_or_uuid_or_name,
    find_by_uuid,
    quote,
    ref_in,
    where,
    where_all,
    where_any,
)


def _unquote(literal: str) -> str:
    """Read one where-language string literal the way xapi's lexer does; fail if anything follows it."""
    assert literal[0] == '"'
    out, index = [], 1
    while literal[index] != '"':
        if literal[index] == "\\":
            index += 1
        out.append(literal[index])
        index += 1
    assert index == len(literal) - 1, "text after the closing quote: " + literal[index + 1:]
    return "".join(out)


@pytest.mark.parametrize("value", ["web01", "", 'a"b', "back\\slash", '" or true or "', '\\" or true or \\"', "trailing\\"])
def test_quote_round_trips_any_text(value: str) -> None:
    assert _unquote(quote(value)) == value


def test_quote_renders_bools_and_numbers_like_xapi() -> None:
    assert quote(False) == '"false"'
    assert quote(True) == '"true"'
    assert quote(4096) == '"4096"'


def test_where_builds_and_joined_comparisons() -> None:
    # The API's name_label is the database column name__label, which the filter language names.
    assert where(name_label="web01", is_a_template=False) == 'field "name__label" = "web01" and field "is_a_template" = "false"'


def test_where_keeps_injection_attempts_literal() -> None:
    expr = where(name_label='" or true or "')
    assert expr == 'field "name__label" = "\\" or true or \\""'
    assert _unquote(expr[len('field "name__label" = '):]) == '" or true or "'


def test_where_without_conditions_matches_everything() -> None:
    assert where() == "true"


def test_field_names_must_be_identifiers() -> None:
    with pytest.raises(ValueError):
        field_equals('name_label" = "x" or field "uuid', "y")


def test_where_all_and_where_any_parenthesise_clauses() -> None:
    first = where(power_state="Running")
    second = where_any(where(name_label="a"), where(name_label="b"))
    assert second == '(field "name__label" = "a") or (field "name__label" = "b")'
    assert where_all(first, second) == '(field "power_state" = "Running") and ((field "name__label" = "a") or (field "name__label" = "b"))'


def test_ref_in_matches_a_rows_own_reference_once_per_ref() -> None:
    assert ref_in(["OpaqueRef:b", "OpaqueRef:a", "OpaqueRef:b"]) == '(field "_ref" = "OpaqueRef:a") or (field "_ref" = "OpaqueRef:b")'
    assert ref_in(['OpaqueRef:x" or true or "']) == '(field "_ref" = "OpaqueRef:x\\" or true or \\"")'
    assert ref_in([]) == "false"


def test_event_class_names() -> None:
    assert event_class_name("VM") == "vm"
    assert event_class_name("vm") == "vm"
    assert event_class_name("VM_guest_metrics") == "vm_guest_metrics"
    with pytest.raises(ValueError, match="no events"):
        event_class_name("session")
    with pytest.raises(ValueError, match="not an XAPI class"):
        event_class_name("spaceship")


RECORDS = {
    "OpaqueRef:1": {"uuid": "u-1", "name_label": "web"},
    "OpaqueRef:2": {"uuid": "u-2", "name_label": "db"},
    "OpaqueRef:3": {"uuid": "u-3", "name_label": "web"},
}


def test_find_by_uuid() -> None:
    assert find_by_uuid(RECORDS, "u-2") == ("OpaqueRef:2", RECORDS["OpaqueRef:2"])
    assert find_by_uuid(RECORDS, "u-9") is None


def test_find_by_name_returns_every_match_in_ref_order() -> None:
    assert [ref for ref, _record in find_by_name(RECORDS, "web")] == ["OpaqueRef:1", "OpaqueRef:3"]
    assert find_by_name(RECORDS, "nothing") == []


def test_find_by_ref_or_uuid_or_name() -> None:
    assert [ref for ref, _r in find_by_ref_or_uuid_or_name(RECORDS, "OpaqueRef:2")] == ["OpaqueRef:2"]
    assert [ref for ref, _r in find_by_ref_or_uuid_or_name(RECORDS, "u-3")] == ["OpaqueRef:3"]
    assert [ref for ref, _r in find_by_ref_or_uuid_or_name(RECORDS, "web")] == ["OpaqueRef:1", "OpaqueRef:3"]
