# Copyright: (c) 2026, xen.xapi maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which operations a running guest's tools allow, as xapi decides it (pure rules)."""

from __future__ import annotations

import pytest

from ansible_collections.xen.xapi.plugins.module_utils._xapi.guest_tools import (
    HOTPLUG_DISK,
    HOTPLUG_NIC,
    READY,
    REBOOT,
    REFUSED,
    SHUTDOWN,
    SUSPEND,
    WAITING,
    needs_tools,
    tools_state,
)

HVM = {"HVM_boot_policy": "BIOS order", "domain_type": "hvm"}
PV = {"HVM_boot_policy": "", "domain_type": "pv"}
DRIVERS = {"PV_drivers_version": {"major": "9", "minor": "0"}, "PV_drivers_detected": True,
           "can_use_hotplug_vbd": "unspecified", "can_use_hotplug_vif": "unspecified", "other": {}}


def test_only_hvm_guests_need_tools() -> None:
    assert needs_tools(HVM)
    assert not needs_tools(PV)
    assert not needs_tools({"domain_type": "pvh"})
    assert needs_tools({"domain_type": "unspecified", "HVM_boot_policy": "BIOS order"})
    assert not needs_tools({"domain_type": "unspecified", "HVM_boot_policy": ""})


@pytest.mark.parametrize("need", [HOTPLUG_DISK, HOTPLUG_NIC, SHUTDOWN, REBOOT, SUSPEND])
def test_a_pv_guest_is_always_ready_and_an_hvm_guest_waits_for_its_tools(need: str) -> None:
    assert tools_state(PV, {}, need) == READY
    assert tools_state(HVM, {}, need) == WAITING
    assert tools_state(HVM, DRIVERS, need) == READY


def test_hotplug_follows_the_guests_claim_first() -> None:
    assert tools_state(HVM, dict(DRIVERS, can_use_hotplug_vbd="no"), HOTPLUG_DISK) == REFUSED
    assert tools_state(HVM, {"can_use_hotplug_vif": "yes"}, HOTPLUG_NIC) == READY
    # Unspecified: PV drivers detected, or a driver version, are enough (xapi_vbd_helpers / xapi_vif_helpers).
    assert tools_state(HVM, {"PV_drivers_detected": True}, HOTPLUG_DISK) == READY
    assert tools_state(HVM, {"PV_drivers_detected": False, "PV_drivers_version": {}}, HOTPLUG_NIC) == WAITING


def test_power_actions_accept_feature_flags_without_full_drivers() -> None:
    assert tools_state(HVM, {"other": {"feature-poweroff": "1"}}, SHUTDOWN) == READY
    assert tools_state(HVM, {"other": {"feature-poweroff": "1"}}, REBOOT) == WAITING
    assert tools_state(HVM, {"other": {"feature-suspend": "1"}}, SUSPEND) == READY
    assert tools_state(HVM, dict(DRIVERS, other={"data-cant-suspend-reason": "UEFI"}), SUSPEND) == REFUSED
