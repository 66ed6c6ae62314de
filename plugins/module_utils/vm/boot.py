# Copyright: (c) 2026, xen.xapi maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Firmware, boot order and platform flags.

XAPI keeps the firmware in HVM_boot_params["firmware"] (bios or uefi) and secure boot in
platform["secureboot"]. Changing the firmware needs the VM halted; the boot order and platform
flags are stored at once and used from the next boot.
"""

from __future__ import annotations

import typing as t

from ansible_collections.xen.xapi.plugins.module_utils import _engine
from ansible_collections.xen.xapi.plugins.module_utils.vm import common

SECURE_BOOT_KEY = "secureboot"


def firmware(record: t.Mapping[str, t.Any]) -> t.Optional[str]:
    """bios, uefi or uefi-secure; None for a paravirtualised guest, which boots without firmware."""
    if not record.get("HVM_boot_policy"):
        return None
    if (record.get("HVM_boot_params") or {}).get("firmware", "bios") != "uefi":
        return "bios"
    return "uefi-secure" if (record.get("platform") or {}).get(SECURE_BOOT_KEY) == "true" else "uefi"


def boot_order(record: t.Mapping[str, t.Any]) -> t.Optional[str]:
    return (record.get("HVM_boot_params") or {}).get("order")


def plan(ctx: common.PlanContext) -> t.List[common.VmChange]:
    return _firmware(ctx) + _boot_order(ctx) + _platform(ctx)


def _firmware(ctx: common.PlanContext) -> t.List[common.VmChange]:
    wanted = ctx.params.get("firmware")
    current = firmware(ctx.record)
    if wanted is None or wanted == current:
        return []

    def apply() -> None:
        ctx.maps["HVM_boot_params"].write({"firmware": "bios" if wanted == "bios" else "uefi"})
        ctx.maps["platform"].write({SECURE_BOOT_KEY: "true" if wanted == "uefi-secure" else "false"})
    secure = "true" if wanted == "uefi-secure" else "false"
    return [common.change("firmware", current, wanted, apply, offline=True,
                          predict=lambda vm: vm.update(firmware=wanted, platform=dict(vm.get("platform") or {}, **{SECURE_BOOT_KEY: secure})))]


def _boot_order(ctx: common.PlanContext) -> t.List[common.VmChange]:
    wanted = ctx.params.get("boot_order")
    current = boot_order(ctx.record)
    if wanted is None or wanted == current:
        return []
    return [common.change("boot_order", current, wanted, lambda: ctx.maps["HVM_boot_params"].write({"order": wanted}))]


def _platform(ctx: common.PlanContext) -> t.List[common.VmChange]:
    current = dict(ctx.record.get("platform") or {})
    target = _engine.merge_map(current, ctx.params.get("platform"), purge=False)
    if target is None:
        return []
    updates = dict((key, value) for key, value in target.items() if current.get(key) != value)
    return [common.change("platform", current, target, lambda: ctx.maps["platform"].write(updates))]
