# Copyright: (c) 2026, xen.xapi maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""xen_host's decisions: which message enables or disables a host, and how a host is returned."""

from __future__ import annotations

import typing as t

import pytest

from ansible_collections.xen.xapi.plugins.module_utils.pool.host_resource import enabled_method, host_view, metadata_setters, wanted_enabled
from ansible_collections.xen.xapi.plugins.module_utils.pool.host_updates import agent_start_time, needs_reboot, needs_toolstack_restart

DOM0 = "OpaqueRef:dom0"


def host(enabled: bool = True, resident: t.Sequence[str] = (DOM0,)) -> t.Dict[str, t.Any]:
    return {"uuid": "host-uuid", "name_label": "host3", "name_description": "Rack 2", "hostname": "xs03", "address": "192.0.2.13",
            "enabled": enabled, "control_domain": DOM0, "resident_VMs": list(resident)}


@pytest.mark.parametrize("enabled, wanted, method", [
    (True, None, None),
    (False, None, None),
    (True, True, None),
    (False, False, None),
    (True, False, "host.disable"),
    (False, True, "host.enable"),
])
def test_enabled_method_only_when_the_state_differs(enabled: bool, wanted: t.Optional[bool], method: t.Optional[str]) -> None:
    assert enabled_method(host(enabled), wanted) == method


def test_view_counts_guests_only_and_marks_the_master() -> None:
    record = host(enabled=False, resident=[DOM0, "OpaqueRef:vm1", "OpaqueRef:vm2"])
    assert host_view("OpaqueRef:h3", record, master="OpaqueRef:h3") == {
        "uuid": "host-uuid", "name": "host3", "description": "Rack 2", "hostname": "xs03", "address": "192.0.2.13",
        "enabled": False, "is_master": True, "vm_count": 2, "state": "disabled", "other_config": {}, "tags": [],
        "updates": "unknown", "pending_guidances": [],
    }
    evacuated = dict(record, other_config={"xen.xapi:evacuated": "u1,u2"})
    assert host_view("OpaqueRef:h3", evacuated, master="OpaqueRef:h1")["state"] == "maintenance"
    assert host_view("OpaqueRef:h3", host(), master="OpaqueRef:h1")["is_master"] is False


def test_view_of_a_sparse_record() -> None:
    view = host_view("OpaqueRef:h1", {"uuid": "u"}, master="OpaqueRef:h2")
    assert view["enabled"] is False and view["vm_count"] == 0 and view["name"] == ""


@pytest.mark.parametrize("params, wanted", [({}, None), ({"enabled": True}, True), ({"state": "disabled"}, False),
                                            ({"state": "enabled"}, True), ({"state": "maintenance"}, False)])
def test_state_and_the_older_enabled_option(params: t.Dict[str, t.Any], wanted: t.Optional[bool]) -> None:
    assert wanted_enabled(params) is wanted


def test_purge_keeps_the_evacuation_record() -> None:
    record = dict(host(), other_config={"xen.xapi:evacuated": "u1", "old": "x"}, tags=["a"])
    (setter,) = metadata_setters(record, {"other_config": {"new": "y"}, "purge": True})
    assert setter.after == {"xen.xapi:evacuated": "u1", "new": "y"}
    assert [s.option for s in metadata_setters(record, {"tags": ["b"], "description": "Rack 9"})] == ["description", "tags"]


def test_guidance_that_asks_for_a_reboot_or_a_toolstack_restart() -> None:
    assert needs_reboot({"pending_guidances": ["restart_vm", "reboot_host_on_livepatch_failure"]})
    assert not needs_reboot({"pending_guidances": ["restart_toolstack"]})
    assert needs_toolstack_restart({"pending_guidances": ["restart_toolstack"]}) and not needs_toolstack_restart({})
    assert agent_start_time({"other_config": {"agent_start_time": "1532019557."}}) == "1532019557."
