"""Block device names of VBDs: which ``userdevice`` strings are valid, which slots a VM has free,
and the name a plugged disk gets in the guest.

A device is a disk number (``"2"``, ``"xvdc"``, ``"hdc"`` and ``"sdc"`` all name disk 2, with an
optional partition number after the letter) or a floppy drive (``"fda"``, ``"fdb"``).
"""
from __future__ import annotations

import re
from typing import Any

from ...store import Store

# Disk numbers guests may use; the control domain has one more.
GUEST_DISKS = range(0, 255)
CONTROL_DOMAIN_DISKS = range(0, 256)
FLOPPIES = ("fda", "fdb")
_NAMED = re.compile(r"^(xvd|hd|sd)([a-p])(\d*)$")
_FLOPPY = re.compile(r"^fd([ab])(\d*)$")

Device = tuple[str, int, int]  # (bus: "disk" or "floppy", number, partition)


def parse_device(name: str) -> Device | None:
    """The device a ``userdevice`` or ``device`` string names, or None if it names none."""
    if name.isdigit():
        number = int(name)
        return ("disk", number, 0) if number in CONTROL_DOMAIN_DISKS else None
    named = _NAMED.match(name)
    if named:
        return ("disk", ord(named.group(2)) - ord("a"), int(named.group(3) or 0))
    floppy = _FLOPPY.match(name)
    if floppy:
        return ("floppy", ord(floppy.group(1)) - ord("a"), int(floppy.group(2) or 0))
    return None


def is_valid_userdevice(name: str) -> bool:
    """What ``VBD.create`` accepts as ``userdevice``: a device name, a disk number, or ``autodetect``."""
    return name == "autodetect" or parse_device(name) is not None


def guest_device_name(userdevice: str) -> str:
    """The name the guest sees once plugged: ``xvda`` for disk 0, ``xvdaa`` for disk 26, as Linux names them."""
    device = parse_device(userdevice)
    if device is None:
        return userdevice
    bus, number, partition = device
    if bus == "floppy":
        return f"fd{chr(ord('a') + number)}"
    letters = ""
    number += 1
    while number:
        number, rest = divmod(number - 1, 26)
        letters = chr(ord("a") + rest) + letters
    return f"xvd{letters}{partition or ''}"


def is_hvm(vm_record: dict[str, Any]) -> bool:
    """Whether the guest runs with an emulated device model (which also provides floppies)."""
    if vm_record["domain_type"] == "unspecified":
        return bool(vm_record["HVM_boot_policy"])
    return vm_record["domain_type"] == "hvm"


def used_devices(store: Store, vm_record: dict[str, Any]) -> set[Device]:
    """Devices a VM's VBDs take, whether named by their ``userdevice`` or their guest ``device``."""
    vbds = store.records("VBD")
    used: set[Device] = set()
    for vbd in vm_record["VBDs"]:
        record = vbds.get(vbd)
        if record is None:
            continue
        for name in (record["userdevice"], record["device"]):
            device = parse_device(name)
            if device is not None:
                used.add(device)
    return used


def allowed_vbd_devices(store: Store, vm: str, vbd_type: str = "Disk") -> list[str]:
    """Free ``userdevice`` values of a VM, first free first (what ``VM.get_allowed_VBD_devices`` lists).

    Disks and CDs take numbers 0-254 (0-255 in the control domain); HVM guests also have two
    floppy drives. Slots count as used whether named by number or by name.
    """
    record = store.get("VM", vm)
    used = used_devices(store, record)
    if vbd_type == "Floppy":
        if not is_hvm(record):
            return []
        return [name for name in FLOPPIES if parse_device(name) not in used]
    numbers = CONTROL_DOMAIN_DISKS if record["is_control_domain"] else GUEST_DISKS
    return [str(n) for n in numbers if ("disk", n, 0) not in used]
