# Copyright: (c) 2026, xen.xapi maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The xen_vm options, checked and converted before anything is planned.

Every error names the option (and the list item) at fault and says what to write instead.
Sizes accept units (`4GiB`, `512MiB`); a plain number is MiB.
"""

from __future__ import annotations

import re
import typing as t

from ansible_collections.xen.xapi.plugins.module_utils import _validate as validate
from ansible_collections.xen.xapi.plugins.module_utils._xapi import errors, units

Params = t.Mapping[str, t.Any]

STATES = ("present", "absent", "running", "halted", "suspended", "paused", "restarted")
FIRMWARES = ("bios", "uefi", "uefi-secure")
DISK_MODES = ("RW", "RO")
HA_PRIORITIES = ("", "restart", "best-effort")
IP_FAMILIES = ("ipv4", "ipv6")
_MAC = re.compile(r"^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$")
_BOOT_ORDER = re.compile(r"^[cdn]{1,3}$")
# XAPI device slots: 0-254 for disks and CD drives, 0-6 for network interfaces.
MAX_USERDEVICE = 254
MAX_VIF_DEVICE = 6
# Xen's limit of vCPUs for an HVM guest (HVM_MAX_VCPUS); the pool's hosts may allow fewer (see hardware).
MAX_VCPUS = 128


def size_option(value: t.Any, option: str) -> t.Optional[int]:
    """Bytes for a size option; plain numbers are MiB."""
    if value is None:
        return None
    try:
        size = units.parse_size(value, default_unit="MiB")
    except ValueError as err:
        raise errors.ResourceError("{0}: {1} A plain number is read as MiB.".format(option, err))
    if size <= 0:
        raise errors.ResourceError("{0}: the size must be positive, not {1!r}.".format(option, value))
    return validate.size(size, option)


def check_top_level(params: Params) -> None:
    """Option combinations that cannot work, whatever the VM looks like."""
    if params.get("name") is None and not params.get("uuid"):
        raise errors.ResourceError("name: give the VM's name or uuid.")
    if params.get("template") and params.get("source"):
        raise errors.ResourceError("template and source are exclusive: a VM is made either from a template or from a VM or snapshot.")
    for option in ("vcpus", "vcpus_max", "cores_per_socket"):
        validate.count(params.get(option), option, maximum=MAX_VCPUS, why="the most vCPUs Xen gives an HVM guest")
    cores, vcpus_max = params.get("cores_per_socket"), params.get("vcpus_max")
    if cores and vcpus_max and vcpus_max % cores:
        raise errors.ResourceError("cores_per_socket: vcpus_max ({0}) must be a multiple of it ({1}).".format(vcpus_max, cores))
    vcpus = params.get("vcpus")
    if vcpus and vcpus_max and vcpus > vcpus_max:
        raise errors.ResourceError("vcpus ({0}) cannot exceed vcpus_max ({1}).".format(vcpus, vcpus_max))
    if params.get("boot_order") is not None and not _BOOT_ORDER.match(params["boot_order"]):
        raise errors.ResourceError("boot_order: {0!r} is not a boot order; use the letters c (disk), d (CD) and n (network), e.g. 'cdn'."
                                   .format(params["boot_order"]))
    if params.get("is_a_template") and params.get("state") in ("running", "suspended", "paused", "restarted"):
        raise errors.ResourceError("state {0} is impossible with is_a_template: true; a template cannot run.".format(params["state"]))


class MemoryTarget(t.NamedTuple):
    static_max: t.Optional[int]
    dynamic_min: t.Optional[int]
    dynamic_max: t.Optional[int]


# Xen gives a guest memory in whole pages of 4 KiB; a size between pages would be rounded behind the user's back.
PAGE_SIZE = 4096


def memory_option(value: t.Any, option: str) -> t.Optional[int]:
    size = size_option(value, option)
    if size is not None and size % PAGE_SIZE:
        raise errors.ResourceError("{0}: {1!r} is {2} bytes, not a whole number of 4 KiB memory pages; give it in MiB or GiB "
                                   "(for example {3}MiB).".format(option, value, size, max(1, size // (1024 * 1024))))
    return size


def memory_target(params: Params) -> MemoryTarget:
    target = MemoryTarget(memory_option(params.get("memory"), "memory"),
                          memory_option(params.get("memory_dynamic_min"), "memory_dynamic_min"),
                          memory_option(params.get("memory_dynamic_max"), "memory_dynamic_max"))
    if target.dynamic_min and target.dynamic_max and target.dynamic_min > target.dynamic_max:
        raise errors.ResourceError("memory_dynamic_min cannot exceed memory_dynamic_max.")
    for option, value in (("memory_dynamic_min", target.dynamic_min), ("memory_dynamic_max", target.dynamic_max)):
        if value and target.static_max and value > target.static_max:
            raise errors.ResourceError("{0} cannot exceed memory (the static maximum).".format(option))
    return target


def userdevice_option(value: t.Any, option: str, highest: int) -> t.Optional[str]:
    return validate.position(value, option, highest)


class DiskSpec(t.NamedTuple):
    position: int  # in the disks option
    name: t.Optional[str]
    size: t.Optional[int]
    sr: t.Optional[str]
    userdevice: t.Optional[str]
    bootable: t.Optional[bool]
    mode: t.Optional[str]
    vdi: t.Optional[str]

    @property
    def label(self) -> str:
        return "disks[{0}]".format(self.position)


def disk_specs(params: Params) -> t.Optional[t.List[DiskSpec]]:
    if params.get("disks") is None:
        return None
    specs = []
    for index, item in enumerate(params["disks"]):
        label = "disks[{0}]".format(index)
        if item.get("name") is not None:
            validate.name(item["name"], label + ".name")
        spec = DiskSpec(position=index, name=item.get("name"), size=size_option(item.get("size"), label + ".size"), sr=item.get("sr"),
                        userdevice=userdevice_option(item.get("userdevice"), label + ".userdevice", MAX_USERDEVICE),
                        bootable=item.get("bootable"), mode=item.get("mode"), vdi=item.get("vdi"))
        specs.append(spec)
    _no_duplicates([s.userdevice for s in specs if s.userdevice], "disks", "userdevice")
    _no_duplicates([s.vdi for s in specs if s.vdi], "disks", "vdi")
    return specs


class NetworkSpec(t.NamedTuple):
    position: int  # in the networks option
    network: str
    mac: t.Optional[str]
    device: str
    mtu: t.Optional[int]

    @property
    def label(self) -> str:
        return "networks[{0}]".format(self.position)


def network_specs(params: Params) -> t.Optional[t.List[NetworkSpec]]:
    if params.get("networks") is None:
        return None
    specs = []
    for index, item in enumerate(params["networks"]):
        label = "networks[{0}]".format(index)
        mac = item.get("mac")
        if mac and not _MAC.match(mac):
            raise errors.ResourceError("{0}.mac: {1!r} is not a MAC address; write it as aa:bb:cc:dd:ee:ff.".format(label, mac))
        mtu = validate.mtu(item.get("mtu"), label + ".mtu")
        device = userdevice_option(item.get("device"), label + ".device", MAX_VIF_DEVICE)
        specs.append(NetworkSpec(position=index, network=item["network"], mac=mac.lower() if mac else None,
                                 device=device if device is not None else str(index), mtu=mtu))
    _no_duplicates([s.device for s in specs], "networks", "device")
    return specs


def _no_duplicates(values: t.List[str], option: str, field: str) -> None:
    seen: t.Set[str] = set()
    for value in values:
        if value in seen:
            raise errors.ResourceError("{0}: two items have {1} {2!r}; each must be different.".format(option, field, value))
        seen.add(value)
