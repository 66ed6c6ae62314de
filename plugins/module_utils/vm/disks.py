# Copyright: (c) 2026, xen.xapi maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Virtual disks: match the `disks` list to the VM's disk drives, then grow, rename, add or purge.

Matching, in this order: an item with `vdi` matches the drive holding that disk; an item with
`userdevice` matches the drive in that slot; the other items take the remaining drives in slot
order. Items left without a drive are new disks (created, or attached with `vdi`); drives left
without an item are purged only with purge_disks.
"""

from __future__ import annotations

import typing as t

from ansible_collections.xen.xapi.plugins.module_utils._xapi import errors, guest_tools, units
from ansible_collections.xen.xapi.plugins.module_utils.vm import common, options, reader, slots as vm_slots, view as vm_view

# Storage rounds sizes up (VHD blocks, LVM extents): a disk this much larger than asked is that size.
SIZE_SLACK = 16 * 1024 * 1024
Drive = t.Tuple[str, vm_view.Record, t.Optional[vm_view.Record]]  # VBD ref, VBD record, VDI record


def drives(view: vm_view.VmView) -> t.List[Drive]:
    return [(ref, vbd, view.vdi_of(vbd)) for ref, vbd in view.disks()]


def holds(vdi: t.Optional[vm_view.Record], key: str) -> bool:
    return vdi is not None and key in (vdi.get("uuid"), vdi.get("name_label"))


def match_drives(specs: t.Sequence[options.DiskSpec], existing: t.Sequence[Drive]) -> t.Tuple[t.Dict[int, int], t.List[int]]:
    """Pair list items with drives: {item index: drive index}, and the unclaimed drive indexes."""
    pairs: t.Dict[int, int] = {}
    claimed: t.Dict[int, int] = {}

    def claim(spec: options.DiskSpec, drive: int) -> None:
        if drive in claimed:
            raise errors.ResourceError("{0}: the drive in slot {1} is already matched by disks[{2}]."
                                       .format(spec.label, existing[drive][1].get("userdevice"), claimed[drive]))
        pairs[spec.position], claimed[drive] = drive, spec.position

    for spec in specs:
        if spec.vdi:
            found = [i for i, (_ref, _vbd, vdi) in enumerate(existing) if holds(vdi, spec.vdi)]
            if found:
                claim(spec, found[0])
    for spec in specs:
        if spec.userdevice is None or spec.position in pairs:
            continue
        found = [i for i, (_ref, vbd, _vdi) in enumerate(existing) if vbd.get("userdevice") == spec.userdevice]
        if found:
            if spec.vdi:
                raise errors.ResourceError("{0}.vdi: slot {1} already holds another disk; choose a free userdevice.".format(spec.label, spec.userdevice))
            claim(spec, found[0])
    free = [i for i in range(len(existing)) if i not in claimed]
    for spec in specs:
        if spec.position in pairs or spec.userdevice is not None or spec.vdi or not free:
            continue
        claim(spec, free.pop(0))
    return pairs, [i for i in range(len(existing)) if i not in claimed]


def plan(ctx: common.PlanContext) -> t.List[common.VmChange]:
    specs = options.disk_specs(ctx.params)
    if specs is None:
        return []
    existing = drives(ctx.view)
    pairs, unclaimed = match_drives(specs, existing)
    reserved = [s.userdevice for s in specs] + [vm_slots.new_cd_slot(ctx.view, ctx.params)]
    slots = vm_slots.free_slots(ctx.view.used_userdevices(), reserved)
    changes: t.List[common.VmChange] = []
    for spec in specs:
        if spec.position in pairs:
            vbd_ref, vbd, vdi = existing[pairs[spec.position]]
            changes += _update(ctx, spec, vbd_ref, vbd, vdi)
        else:
            changes += _add(ctx, spec, spec.userdevice or next(slots))
    if ctx.params.get("purge_disks"):
        for index in unclaimed:
            changes += _purge(ctx, *existing[index])
    return changes


def _check_sr(ctx: common.PlanContext, spec: options.DiskSpec, vdi: vm_view.Record) -> None:
    if spec.sr and ctx.pool.sr(spec.sr, spec.label + ".sr")[0] != vdi.get("SR"):
        raise errors.ResourceError("{0}.sr: disk {1!r} is on SR {2!r}; xen_vm does not move disks between SRs."
                                   .format(spec.label, vdi.get("name_label"), ctx.pool.name_of(ctx.pool.srs, vdi.get("SR"))))


def _resize(ctx: common.PlanContext, spec: options.DiskSpec, vdi_ref: str, vdi: vm_view.Record, vbd: t.Optional[vm_view.Record]) -> t.List[common.VmChange]:
    current = int(vdi.get("virtual_size", 0))
    if spec.size is None or 0 <= current - spec.size < SIZE_SLACK:
        return []
    if spec.size < current:
        raise errors.ResourceError("{0}.size: disk {1!r} is {2}; XAPI cannot shrink a disk to {3}. Give a size of at least {2}."
                                   .format(spec.label, vdi.get("name_label"), units.format_size(current), units.format_size(spec.size)))
    attached = bool(vbd and vbd.get("currently_attached"))
    online = ctx.view.power_state == "Running" and "resize_online" in (vdi.get("allowed_operations") or [])
    size = spec.size

    def apply() -> None:
        live = ctx.tracker.running and attached
        ctx.run("VDI.resize_online" if live else "VDI.resize", vdi_ref, size)
    return [common.change(spec.label + ".size", units.format_size(current), units.format_size(size), apply, offline=attached and not online,
                          predict=common.in_list("disks", _holding(vdi_ref, vdi), size=size))]


def _holding(vdi_ref: str, vdi: vm_view.Record) -> t.Callable[[vm_view.Record], bool]:
    """Picks the returned disk that is this VDI (by uuid; a disk still to be made has none yet, so by name)."""
    uuid, name = vdi.get("uuid"), vdi.get("name_label")
    return lambda disk: (disk.get("uuid") == uuid) if uuid else (disk.get("name") == name)


def _update(ctx: common.PlanContext, spec: options.DiskSpec, vbd_ref: str, vbd: vm_view.Record, vdi: t.Optional[vm_view.Record]) -> t.List[common.VmChange]:
    changes: t.List[common.VmChange] = []
    slot = vbd.get("userdevice")

    def in_slot(**values: t.Any) -> t.Callable[[vm_view.Record], None]:
        return common.in_list("disks", lambda disk: disk.get("userdevice") == slot, **values)
    if vdi is not None:
        if spec.vdi and not holds(vdi, spec.vdi):
            raise errors.ResourceError("{0}.vdi: slot {1} holds disk {2!r}, not {3!r}; give a free userdevice to attach it."
                                       .format(spec.label, vbd.get("userdevice"), vdi.get("name_label"), spec.vdi))
        _check_sr(ctx, spec, vdi)
        changes += _resize(ctx, spec, vbd["VDI"], vdi, vbd)
        if spec.name is not None and spec.name != vdi.get("name_label"):
            changes.append(common.change(spec.label + ".name", vdi.get("name_label"), spec.name,
                                         lambda: ctx.call("VDI.set_name_label", vbd["VDI"], spec.name), predict=in_slot(name=spec.name)))
    if spec.bootable is not None and spec.bootable != bool(vbd.get("bootable")):
        changes.append(common.change(spec.label + ".bootable", bool(vbd.get("bootable")), spec.bootable,
                                     lambda: ctx.call("VBD.set_bootable", vbd_ref, spec.bootable), predict=in_slot(bootable=spec.bootable)))
    if spec.mode is not None and spec.mode != vbd.get("mode"):
        changes.append(common.change(spec.label + ".mode", vbd.get("mode"), spec.mode,
                                     lambda: ctx.run("VBD.set_mode", vbd_ref, spec.mode), offline=True, predict=in_slot(mode=spec.mode)))
    elif ctx.needs_plugging(vbd):
        # The returned VM does not show whether a drive is plugged in.
        changes.append(common.change(spec.label + ".attached", False, True, lambda: plug(ctx, vbd_ref, spec.label), predict=lambda vm: None))
    return changes


def plug(ctx: common.PlanContext, vbd_ref: str, option: str) -> None:
    """Hot-plug a drive into the running VM, once its guest tools allow it."""
    if ctx.tracker.running:
        ctx.ensure_tools(guest_tools.HOTPLUG_DISK, option)
        ctx.change_state("VBD.plug", vbd_ref)


def _add(ctx: common.PlanContext, spec: options.DiskSpec, slot: str) -> t.List[common.VmChange]:
    """A drive for a new disk, or for an existing one named by `vdi`, plugged if the VM runs."""
    if slot in ctx.view.used_userdevices():
        raise errors.ResourceError("{0}.userdevice: slot {1} is taken by a CD drive; choose another one.".format(spec.label, slot))
    if spec.vdi:
        return _attach_existing(ctx, spec, slot)
    if spec.size is None:
        raise errors.ResourceError("{0}.size: a new disk needs a size (for example '20GiB').".format(spec.label))
    sr_ref, sr = _new_disk_sr(ctx, spec)
    name = spec.name or "{0} disk {1}".format(ctx.record.get("name_label", ""), slot)
    vdi_record = new_vdi_record(name, sr_ref, spec.size, bool(spec.bootable))
    vbd_record = new_vbd_record(ctx.vm_ref, slot, bool(spec.bootable), spec.mode or "RW")

    def apply() -> None:
        if ctx.tracker.running:
            # Waiting first: a disk is only made once it can be plugged in.
            ctx.ensure_tools(guest_tools.HOTPLUG_DISK, spec.label)
        # A disk made by an earlier round of this run, before its connection dropped, is used again.
        key = "{0}/disk/{1}".format(ctx.vm_ref, slot)
        vdi_ref = ctx.journal.recall(key)
        if vdi_ref is None:
            vdi_ref = str(ctx.run("VDI.create", vdi_record))
            ctx.journal.remember(key, vdi_ref)
        attach(ctx, vdi_ref, vbd_record, spec.label, made_for_it=True)
        ctx.journal.forget(key)
    summary = "{0} ({1}) on {2} in slot {3}".format(name, units.format_size(spec.size), sr.get("name_label"), slot)
    ctx.added_while_paused(spec.label)
    disk = {"uuid": None, "name": name, "size": spec.size, "sr": sr.get("name_label"), "userdevice": slot, "bootable": bool(spec.bootable),
            "mode": spec.mode or "RW"}
    return [common.change(spec.label, None, summary, apply, predict=common.appends("disks", disk))]


def _attach_existing(ctx: common.PlanContext, spec: options.DiskSpec, slot: str) -> t.List[common.VmChange]:
    vdi_ref, vdi = reader.find_vdi(ctx.client, spec.label + ".vdi", spec.vdi or "")
    _check_sr(ctx, spec, vdi)
    resize = _resize(ctx, spec, vdi_ref, vdi, None)
    vbd_record = new_vbd_record(ctx.vm_ref, slot, bool(spec.bootable), spec.mode or ("RO" if vdi.get("read_only") else "RW"))

    def apply() -> None:
        if ctx.tracker.running:
            ctx.ensure_tools(guest_tools.HOTPLUG_DISK, spec.label)
        for step in resize:
            step.apply()
        attach(ctx, vdi_ref, vbd_record, spec.label, made_for_it=False)
    size = units.format_size(int(vdi.get("virtual_size", 0)))
    ctx.added_while_paused(spec.label)
    disk = {"uuid": vdi.get("uuid"), "name": vdi.get("name_label"), "size": max([int(vdi.get("virtual_size", 0))] + [spec.size or 0]),
            "sr": ctx.pool.name_of(ctx.pool.srs, vdi.get("SR")), "userdevice": slot, "bootable": bool(spec.bootable),
            "mode": vbd_record["mode"]}
    return [common.change(spec.label, None, "{0} ({1}) in slot {2}".format(vdi.get("name_label"), size, slot), apply,
                          predict=common.appends("disks", disk))]


def _new_disk_sr(ctx: common.PlanContext, spec: options.DiskSpec) -> t.Tuple[str, vm_view.Record]:
    if spec.sr:
        return ctx.pool.sr(spec.sr, spec.label + ".sr")
    if ctx.params.get("sr"):
        return ctx.pool.sr(ctx.params["sr"], "sr")
    return ctx.pool.default_sr(spec.label + ".sr")


def new_vdi_record(name: str, sr: str, size: int, bootable: bool) -> vm_view.Record:
    return {"name_label": name, "name_description": "", "SR": sr, "virtual_size": size, "type": "system" if bootable else "user",
            "sharable": False, "read_only": False, "other_config": {}, "xenstore_data": {}, "sm_config": {}, "tags": []}


def new_vbd_record(vm: str, slot: str, bootable: bool, mode: str, vbd_type: str = "Disk", vdi: str = "OpaqueRef:NULL") -> vm_view.Record:
    # "owner" marks disks that belong to the VM, as XenCenter and the template installer mark them.
    return {"VM": vm, "VDI": vdi, "userdevice": slot, "bootable": bootable, "mode": mode, "type": vbd_type,
            "unpluggable": vbd_type == "Disk", "empty": vdi == "OpaqueRef:NULL", "device": "",
            "other_config": {"owner": "true"} if vbd_type == "Disk" else {}, "qos_algorithm_type": "", "qos_algorithm_params": {}}


def attach(ctx: common.PlanContext, vdi_ref: str, vbd_record: vm_view.Record, option: str, made_for_it: bool) -> str:
    """Create the drive for a disk and plug it into a running VM.

    Nothing is left half-done: a drive that cannot be plugged is removed again, and so is a disk
    made for it, and the error says so.
    """
    try:
        vbd_ref = str(ctx.call("VBD.create", dict(vbd_record, VDI=vdi_ref, empty=False)))
    except errors.XapiError:
        if made_for_it:
            ctx.run("VDI.destroy", vdi_ref)
        raise
    ctx.made("VBD", vbd_ref)
    ctx.made("VDI", vdi_ref)
    try:
        plug(ctx, vbd_ref, option)
    except (errors.XapiError, errors.ResourceError) as err:
        ctx.call("VBD.destroy", vbd_ref)
        if made_for_it:
            ctx.run("VDI.destroy", vdi_ref)
        reason = err.describe() if isinstance(err, errors.XapiError) else err.msg
        raise errors.ResourceError("{0}: the new drive could not be plugged into the running VM, so it was removed again{1}. {2}"
                                   .format(option, ", with the disk made for it" if made_for_it else "", reason),
                                   **({"error_code": err.code} if isinstance(err, errors.XapiError) else {}))
    return vbd_ref


def _purge(ctx: common.PlanContext, vbd_ref: str, vbd: vm_view.Record, vdi: t.Optional[vm_view.Record]) -> t.List[common.VmChange]:
    """Detach a drive the list does not name; its disk goes too unless keep_disks or another VM uses it."""
    attached = bool(vbd.get("currently_attached"))
    hot = ctx.view.power_state == "Running" and "unplug" in (vbd.get("allowed_operations") or [])
    destroy_disk = vdi is not None and not ctx.params.get("keep_disks") and ctx.view.owns_vdi(vbd["VDI"])
    before = {"userdevice": vbd.get("userdevice"), "name": vdi.get("name_label") if vdi else None,
              "size": units.format_size(int(vdi.get("virtual_size", 0))) if vdi else None}

    def apply() -> None:
        if ctx.tracker.running and attached:
            ctx.ensure_tools(guest_tools.HOTPLUG_DISK, "purge_disks")
            ctx.change_state("VBD.unplug", vbd_ref)
        ctx.call("VBD.destroy", vbd_ref)
        if destroy_disk:
            ctx.run("VDI.destroy", vbd["VDI"])
    slot = vbd.get("userdevice")
    return [common.change("disks", before, None, apply, offline=attached and not hot,
                          predict=common.removes("disks", lambda disk: disk.get("userdevice") == slot))]
