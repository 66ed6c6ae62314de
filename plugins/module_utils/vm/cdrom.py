# Copyright: (c) 2026, xen.xapi maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The CD drive: insert an ISO image (adding a drive when the VM has none) or eject it.

Media change live in any running or halted VM. A new drive is another matter: an HVM guest
cannot hot-plug a CD drive, so adding one to a running HVM VM needs it halted (it is only seen
from the next boot).
"""

from __future__ import annotations

import typing as t

from ansible_collections.xen.xapi.plugins.module_utils.vm import common, disks, reader, slots, view


def plan(ctx: common.PlanContext) -> t.List[common.VmChange]:
    cdrom = ctx.params.get("cdrom")
    if cdrom is None:
        return []
    wanted = cdrom.get("iso") or ""
    drives = ctx.view.cd_drives()
    drive_ref, drive = drives[0] if drives else (None, None)
    current = ctx.view.vdi_of(drive) if drive is not None else None
    current_name = current.get("name_label") if current else ""
    if not wanted:
        if drive_ref is None or current is None:
            return []
        return [common.change("cdrom", current_name, "", _eject(ctx, drive_ref),
                              predict=common.sets("cdrom", {"iso": "", "uuid": "", "userdevice": drive.get("userdevice") if drive else None}))]
    if disks.holds(current, wanted):
        return []
    iso_ref, iso = reader.find_iso(ctx.client, ctx.pool.srs, "cdrom.iso", wanted)
    if drive_ref is not None:
        inserted = common.sets("cdrom", {"iso": iso.get("name_label"), "uuid": iso.get("uuid"), "userdevice": drive.get("userdevice") if drive else None})
        return [common.change("cdrom", current_name, iso.get("name_label"), _insert(ctx, drive_ref, iso_ref, ejecting=current is not None),
                              predict=inserted)]
    slot = slots.new_cd_slot(ctx.view, ctx.params) or "autodetect"
    record = disks.new_vbd_record(ctx.vm_ref, slot, False, "RO", vbd_type="CD", vdi=iso_ref)
    hvm = bool(ctx.record.get("HVM_boot_policy"))

    def add_drive() -> None:
        ctx.made("VBD", ctx.call("VBD.create", record))
        ctx.made("VDI", iso_ref)
    return [common.change("cdrom", None, iso.get("name_label"), add_drive,
                          offline=hvm and ctx.view.power_state == view.RUNNING,
                          predict=common.sets("cdrom", {"iso": iso.get("name_label"), "uuid": iso.get("uuid"), "userdevice": slot}))]


def _eject(ctx: common.PlanContext, drive: str) -> t.Callable[[], None]:
    return lambda: ctx.change_state("VBD.eject", drive)


def _insert(ctx: common.PlanContext, drive: str, iso: str, ejecting: bool) -> t.Callable[[], None]:
    def apply() -> None:
        if ejecting:
            ctx.change_state("VBD.eject", drive)
        ctx.change_state("VBD.insert", drive, iso)
        ctx.made("VDI", iso)
    return apply
