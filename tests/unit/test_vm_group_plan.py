# Copyright: (c) 2026, xen.xapi maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""xen_vm_group's decisions: which VMs the vms option names, who joins and leaves, the group as returned."""

from __future__ import annotations

import pytest

from ansible_collections.xen.xapi.plugins.module_utils._xapi.errors import ResourceError
from ansible_collections.xen.xapi.plugins.module_utils.vm.group_plan import check_placement, group_view, membership, resolve_vms

UUID_A = "0b2e7c43-8f6d-4a39-9a51-6c2f8d0e1a77"
VMS = {
    "OpaqueRef:a": {"uuid": UUID_A, "name_label": "web01", "power_state": "Running", "resident_on": "OpaqueRef:h1", "groups": []},
    "OpaqueRef:b": {"uuid": "u-b", "name_label": "web02", "power_state": "Halted", "resident_on": "OpaqueRef:NULL",
                    "groups": ["OpaqueRef:g"]},
    "OpaqueRef:c": {"uuid": "u-c", "name_label": "twin", "power_state": "Running", "resident_on": "OpaqueRef:h2", "groups": []},
    "OpaqueRef:d": {"uuid": "u-d", "name_label": "twin", "power_state": "Running", "resident_on": "OpaqueRef:h2",
                    "groups": ["OpaqueRef:other"]},
}
HOSTS = {"OpaqueRef:h1": {"name_label": "host1"}, "OpaqueRef:h2": {"name_label": "host2"}}
GROUPS = {"OpaqueRef:g": {"uuid": "g", "name_label": "web", "placement": "anti_affinity", "VMs": ["OpaqueRef:b"]},
          "OpaqueRef:other": {"uuid": "o", "name_label": "other", "placement": "normal", "VMs": ["OpaqueRef:d"]}}


def test_entries_are_names_or_uuids() -> None:
    assert sorted(resolve_vms(["web02", UUID_A], VMS)) == ["OpaqueRef:a", "OpaqueRef:b"]
    assert list(resolve_vms([UUID_A.upper()], VMS)) == ["OpaqueRef:a"]


@pytest.mark.parametrize("entries, message", [
    (["nothing"], "vms: no VM has the name 'nothing'"),
    ([UUID_A.replace("0b", "ff")], "vms: no VM has the uuid"),
    (["twin"], "vms: 'twin' names 2 VMs (u-c, u-d)"),
])
def test_unknown_and_ambiguous_entries_fail(entries, message) -> None:
    with pytest.raises(ResourceError) as caught:
        resolve_vms(entries, VMS)
    assert caught.value.msg.startswith(message)


def test_membership_joins_and_leaves() -> None:
    wanted = {"OpaqueRef:a": VMS["OpaqueRef:a"]}
    moves = membership("OpaqueRef:g", ["OpaqueRef:b"], wanted, GROUPS)
    assert moves.joining == ["OpaqueRef:a"] and moves.leaving == ["OpaqueRef:b"]
    assert not membership("OpaqueRef:g", ["OpaqueRef:b"], {"OpaqueRef:b": VMS["OpaqueRef:b"]}, GROUPS)


def test_a_vm_of_another_group_is_refused_by_name() -> None:
    with pytest.raises(ResourceError) as caught:
        membership("OpaqueRef:g", [], {"OpaqueRef:d": VMS["OpaqueRef:d"]}, GROUPS)
    assert "twin (u-d) is in the VM group 'other'" in caught.value.msg


def test_the_group_shows_where_its_running_members_are() -> None:
    view = group_view(GROUPS["OpaqueRef:g"], {ref: VMS[ref] for ref in ("OpaqueRef:a", "OpaqueRef:b")}, HOSTS)
    assert view["vms"] == [{"name": "web01", "uuid": UUID_A, "power_state": "running", "host": "host1"},
                           {"name": "web02", "uuid": "u-b", "power_state": "halted", "host": ""}]
    assert view["hosts"] == ["host1"] and view["placement"] == "anti_affinity"


def test_placement_is_fixed_at_creation() -> None:
    check_placement(GROUPS["OpaqueRef:g"], None)
    check_placement(GROUPS["OpaqueRef:g"], "anti_affinity")
    with pytest.raises(ResourceError, match="Remove the group"):
        check_placement(GROUPS["OpaqueRef:g"], "normal")
