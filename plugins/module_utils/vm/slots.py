# Copyright: (c) 2026, xen.xapi maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which device slot (userdevice) new disks and a new CD drive take.

A new CD drive goes to slot 3, as XenServer's installers put it (the fourth IDE position),
or the first free slot after it: slot 0 stays the boot disk, and new disks fill 1, 2, 4, ...
around it, so that adding disks later never moves the CD before them.
"""

from __future__ import annotations

import typing as t

from ansible_collections.xen.xapi.plugins.module_utils.vm import options, view as vm_view

CD_SLOT = 3


def free_slots(used: t.Iterable[str], reserved: t.Iterable[t.Optional[str]]) -> t.Iterator[str]:
    """Free slots, lowest first."""
    taken = set(used) | set(slot for slot in reserved if slot)
    return (str(slot) for slot in range(options.MAX_USERDEVICE + 1) if str(slot) not in taken)


def explicit_disk_slots(params: options.Params) -> t.List[str]:
    return [spec.userdevice for spec in options.disk_specs(params) or [] if spec.userdevice]


def new_cd_slot(view: vm_view.VmView, params: options.Params) -> t.Optional[str]:
    """The slot of the CD drive the cdrom option will create, None when none is needed."""
    cdrom = params.get("cdrom")
    if not cdrom or not cdrom.get("iso") or view.cd_drives():
        return None
    taken = view.used_userdevices() | set(explicit_disk_slots(params))
    preferred = list(range(CD_SLOT, options.MAX_USERDEVICE + 1)) + list(range(1, CD_SLOT))
    return next((str(slot) for slot in preferred if str(slot) not in taken), None)
