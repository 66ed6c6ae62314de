# Copyright: (c) 2026, xen.xapi maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Distinct inventory host names and the built-in groups."""

from __future__ import annotations

import pytest

from ansible_collections.xen.xapi.plugins.plugin_utils._inventory_facts import InventoryObject
from ansible_collections.xen.xapi.plugins.plugin_utils._inventory_names import GROUP_KINDS, builtin_groups, distinct_hostnames

U1 = "11111111-aaaa-4aaa-8aaa-000000000001"
U2 = "22222222-aaaa-4aaa-8aaa-000000000002"
U3 = "33333333-aaaa-4aaa-8aaa-000000000003"


def test_unique_names_are_kept() -> None:
    assert distinct_hostnames(["web01", "db01"], [U1, U2]) == ["web01", "db01"]


def test_every_duplicate_gets_a_short_uuid_suffix() -> None:
    assert distinct_hostnames(["web01", "db01", "web01"], [U1, U2, U3]) == ["web01_11111111", "db01", "web01_33333333"]


def test_uuid_rule_names_duplicates_by_uuid() -> None:
    assert distinct_hostnames(["web01", "db01", "web01"], [U1, U2, U3], rule="uuid") == [U1, "db01", U3]


def test_full_uuid_when_the_short_suffixes_collide() -> None:
    twin = "11111111-bbbb-4bbb-8bbb-000000000009"
    assert distinct_hostnames(["web01", "web01"], [U1, twin]) == ["web01_" + U1, "web01_" + twin]


def test_a_suffixed_name_never_takes_an_existing_name() -> None:
    # A VM really named "web01_11111111" keeps its name; the duplicate it would collide with gets the full uuid.
    names = distinct_hostnames(["web01_11111111", "web01", "web01"], [U2, U1, U3])
    assert names == ["web01_11111111", "web01_" + U1, "web01_33333333"]


def test_remaining_collisions_are_numbered() -> None:
    # The same uuid in two pools (an imported copy that kept it) still gives distinct names.
    assert distinct_hostnames(["web01", "web01"], [U1, U1]) == ["web01_" + U1, "web01_" + U1 + "_2"]
    assert distinct_hostnames(["a", "a_2", "a"], [U1, U2, U1], rule="uuid") == [U1, "a_2", U1 + "_2"]


def test_unknown_rule_is_refused() -> None:
    with pytest.raises(ValueError, match="suffix, uuid"):
        distinct_hostnames(["a"], [U1], rule="first")


def _vm(**facts: object) -> InventoryObject:
    base = {"pool": "demo-pool", "host": "host1", "power_state": "Running", "os_family": "linux", "tags": ["web", ""]}
    base.update(facts)
    return InventoryObject("VM", base, None)


def test_builtin_groups_of_a_vm() -> None:
    assert builtin_groups(_vm(), True, GROUP_KINDS, "xapi_") == [
        "xapi_vms", "xapi_pool_demo-pool", "xapi_host_host1", "xapi_power_running", "xapi_os_linux", "xapi_tag_web"]
    halted = _vm(host="", power_state="Halted", os_family="", tags=[])
    assert builtin_groups(halted, False, GROUP_KINDS, "") == ["vms", "pool_demo-pool", "power_halted", "without_ip"]


def test_group_kinds_can_be_switched_off() -> None:
    assert builtin_groups(_vm(), False, ("tag",), "x_") == ["x_vms", "x_tag_web"]
    assert builtin_groups(_vm(), False, (), "x_") == ["x_vms"]


def test_physical_hosts_get_pool_and_tag_groups_only() -> None:
    host = InventoryObject("host", {"pool": "demo-pool", "tags": ["rack1"]}, "192.0.2.1")
    assert builtin_groups(host, True, GROUP_KINDS, "xapi_") == ["xapi_hosts", "xapi_pool_demo-pool", "xapi_tag_rack1"]
