"""Building blocks for scenarios: hosts, SRs, networks, templates and VMs with realistic records.

Every scenario (the built-in demo, generated pools, YAML files) is made of these calls, so the
records they produce have the same shape as those of a real pool master.
"""
from __future__ import annotations

import random
import time
from typing import TYPE_CHECKING, Any, Protocol

from ..semantics.pool.reboot import start_times
from ..semantics.vm.guest import agent_report
from ..store import EPOCH, NULL_REF, new_ref, utcnow

if TYPE_CHECKING:
    from ..context import SimulatorView

GiB = 1024 ** 3
MiB = 1024 ** 2
SOFTWARE_VERSION = {
    "product_brand": "XCP-ng", "product_version": "8.3.0", "product_version_text": "8.3",
    "product_version_text_short": "8.3", "platform_name": "XCP", "platform_version": "3.4.0",
    "build_number": "cloud", "xapi": "24.19", "xapi_build": "24.19.2", "xen": "4.17.5",
    "linux": "4.19.0+1", "network_backend": "openvswitch", "db_schema": "5.780",
}
API_VERSION = (2, 21)
# Storage drivers and the device_config keys each one takes (SM records).
SM_DRIVERS: dict[str, tuple[str, list[str]]] = {
    "nfs": ("NFS VHD", ["server", "serverpath", "nfsversion", "nfsoptions"]),
    "lvm": ("Local LVM", ["device"]),
    "ext": ("Local EXT3 VHD", ["device"]),
    "iso": ("ISO", ["location", "legacy_mode", "type", "username", "cifspassword", "cifspassword_secret"]),
    "smb": ("SMB VHD", ["server", "username", "password", "password_secret"]),
    "lvmoiscsi": ("LVM over iSCSI", ["target", "targetIQN", "SCSIid", "port", "chapuser", "chappassword"]),
    "udev": ("Removable storage", ["location"]),
}

# The SM drivers that declare VDI_GENERATE_CONFIG (their VDIs can be attached by the HA daemon: statefiles).
VDI_GENERATE_CONFIG_DRIVERS = frozenset({"nfs", "lvm", "ext", "smb", "lvmoiscsi"})


# The templates every pool starts with: (name, HVM, system disk size, memory, vCPUs, platform flags).
HVM_PLATFORM = {"viridian": "false", "acpi": "1", "apic": "true", "pae": "true", "nx": "true",
                "device-model": "qemu-upstream-compat"}
DEFAULT_TEMPLATES: tuple[tuple[str, bool, int, int, int, dict[str, str] | None], ...] = (
    ("Debian Bookworm 12", True, 10 * GiB, 2 * GiB, 2, None),
    ("Ubuntu Noble Numbat 24.04", True, 10 * GiB, 2 * GiB, 2, None),
    ("Windows Server 2022 (64-bit)", True, 32 * GiB, 4 * GiB, 2,
     {**HVM_PLATFORM, "viridian": "true", "device-model": "qemu-upstream-uefi", "secureboot": "auto"}),
    ("Other install media", True, 16 * GiB, 1 * GiB, 2, None),
)


class RecordWriter(Protocol):
    """Where guest records go: the store itself, or a bulk writer that stores many records in one pass."""

    def create(self, cls: str, fields: dict[str, Any] | None = None, ref: str | None = None) -> str:
        ...


class PoolBuilder:
    """Adds realistic records to a simulator's store.

    Guests (``vm`` and ``vdi``) are written through ``writer``, the store by default; large
    generated pools pass a bulk writer instead (see ``scenario/generated.py``). Pool, hosts, SRs
    and networks always go straight to the store, so guests can refer to them.
    """

    def __init__(self, sim: "SimulatorView", seed: int = 7, writer: RecordWriter | None = None) -> None:
        self.sim = sim
        self.store = sim.store
        self.writer: RecordWriter = writer or sim.store
        self.random = random.Random(seed)
        self.hosts: list[str] = []
        # SR -> [physical, virtual] bytes of disks not yet charged to it (bulk writes only).
        self._unsettled: dict[str, list[int]] = {}

    # ---- pool and hosts ----------------------------------------------------------------------
    def pool(self, name: str) -> str:
        for driver, (label, keys) in SM_DRIVERS.items():
            features = ["VDI_CREATE", "VDI_RESIZE", "VDI_CLONE", "VDI_SNAPSHOT"]
            if driver in VDI_GENERATE_CONFIG_DRIVERS:
                features.append("VDI_GENERATE_CONFIG")
            self.store.create("SM", {"name_label": label, "type": driver, "vendor": "XCP-ng",
                                     "configuration": {k: "" for k in keys}, "capabilities": features,
                                     "features": {feature: 1 for feature in features},
                                     "version": "1.0", "required_api_version": "1.0"})
        return self.store.create("pool", {"name_label": name, "master": NULL_REF, "other_config": {}})

    def update_repositories(self, pool: str, base_url: str) -> list[str]:
        """The base and update repositories a XenServer 8 pool is configured with, both enabled."""
        repos = [self.store.create("Repository", {"name_label": name, "name_description": "", "binary_url": f"{base_url}/{name}",
                                                  "source_url": f"{base_url}/{name}-src", "update": update, "origin": "remote",
                                                  "gpgkey_path": "", "hash": "", "up_to_date": False})
                 for name, update in (("base", False), ("normal", True))]
        self.store.update("pool", pool, repositories=repos)
        return repos

    def host(self, name: str, address: str, cpus: int = 16, memory: int = 256 * GiB) -> str:
        metrics = self.store.create("host_metrics", {"memory_total": memory, "memory_free": memory - 4 * GiB,
                                                     "live": True, "last_updated": utcnow()})
        host = self.store.create("host", {
            "name_label": name, "name_description": "Default install", "hostname": name, "address": address,
            "enabled": True, "software_version": dict(SOFTWARE_VERSION), "API_version_major": API_VERSION[0],
            "API_version_minor": API_VERSION[1], "API_version_vendor": "XenSource",
            "cpu_info": {"cpu_count": str(cpus), "socket_count": "2", "vendor": "GenuineIntel", "speed": "2600.000"},
            "metrics": metrics, "memory_overhead": 600 * MiB, "sched_policy": "credit",
            "capabilities": ["xen-3.0-x86_64", "hvm-3.0-x86_64"], "license_params": {"sku_type": "free"},
            "edition": "xcp-ng", "allowed_operations": ["provision", "vm_start", "vm_resume", "vm_migrate", "evacuate"],
            "other_config": start_times(time.time()),
        })
        for index in range(cpus):
            self.store.create("host_cpu", {"host": host, "number": index, "vendor": "GenuineIntel", "speed": 2600,
                                           "modelname": "Intel(R) Xeon(R) Gold 6126", "utilisation": 0.02})
        dom0 = self.store.create("VM", {
            "name_label": f"Control domain on host: {name}", "is_control_domain": True, "power_state": "Running",
            "resident_on": host, "domid": 0, "memory_static_max": 4 * GiB, "memory_dynamic_max": 4 * GiB,
            "memory_dynamic_min": 4 * GiB, "memory_static_min": 4 * GiB, "memory_target": 4 * GiB,
            "VCPUs_max": 8, "VCPUs_at_startup": 8, "domain_type": "pv", "user_version": 1,
        })
        self.store.update("host", host, control_domain=dom0)
        self.hosts.append(host)
        pool = next(iter(self.store.records("pool")))
        if self.store.get("pool", pool)["master"] == NULL_REF:
            self.store.update("pool", pool, master=host)
        return host

    # ---- storage -----------------------------------------------------------------------------
    def sr(self, name: str, sr_type: str, size: int, hosts: list[str], shared: bool = False,
           content_type: str = "user", device_config: dict[str, str] | None = None, default: bool = False) -> str:
        sr = self.store.create("SR", {
            "name_label": name, "name_description": "", "type": sr_type, "content_type": content_type,
            "shared": shared, "physical_size": size, "physical_utilisation": 0, "virtual_allocation": 0,
            "sm_config": {"devserial": "scsi-3600"} if sr_type == "lvm" else {},
            "other_config": {"i18n-key": "local-storage"} if sr_type in ("lvm", "ext") else {},
            "allowed_operations": ["vdi_create", "vdi_destroy", "vdi_resize", "vdi_clone", "vdi_snapshot",
                                   "scan", "plug", "unplug", "forget", "destroy", "update"],
        })
        for host in hosts:
            self.store.create("PBD", {"host": host, "SR": sr, "device_config": dict(device_config or {}),
                                      "currently_attached": True, "other_config": {}})
        if default:
            pool = next(iter(self.store.records("pool")))
            self.store.update("pool", pool, default_SR=sr, suspend_image_SR=sr, crash_dump_SR=sr)
        return sr

    def vdi(self, sr: str, name: str, size: int, vdi_type: str = "user", read_only: bool = False,
            location: str | None = None, **extra: Any) -> str:
        uuid = str(self.random_uuid())
        vdi = self.writer.create("VDI", {
            "uuid": uuid, "name_label": name, "SR": sr, "virtual_size": size, "physical_utilisation": size // 4,
            "type": vdi_type, "sharable": False, "read_only": read_only, "managed": True,
            "location": location or uuid, "storage_lock": False, "other_config": {}, "sm_config": {},
            "allowed_operations": ["clone", "copy", "resize", "snapshot", "destroy", "update", "forget"],
            **extra,
        })
        self._charge(sr, size // 4, size)
        return vdi

    def _charge(self, sr: str, physical: int, virtual: int) -> None:
        """Take a new disk's space from its SR; with a bulk writer, only once ``settle_space`` is called."""
        if self.writer is self.store:
            self._update_space(sr, physical, virtual)
            return
        unsettled = self._unsettled.setdefault(sr, [0, 0])
        unsettled[0] += physical
        unsettled[1] += virtual

    def settle_space(self) -> None:
        """Charge the SRs for the disks written through a bulk writer, one update per SR."""
        for sr, (physical, virtual) in self._unsettled.items():
            self._update_space(sr, physical, virtual)
        self._unsettled.clear()

    def _update_space(self, sr: str, physical: int, virtual: int) -> None:
        record = self.store.get("SR", sr)
        self.store.update("SR", sr, physical_utilisation=record["physical_utilisation"] + physical,
                          virtual_allocation=record["virtual_allocation"] + virtual)

    # ---- networking --------------------------------------------------------------------------
    def network(self, name: str, bridge: str, device: str | None, management: bool = False,
                subnet: str = "10.0.0", other_config: dict[str, str] | None = None) -> str:
        network = self.store.create("network", {"name_label": name, "bridge": bridge, "MTU": 1500, "managed": True,
                                                "other_config": dict(other_config or {}), "allowed_operations": [],
                                                "purpose": []})
        if device is None:
            return network
        for host in self.hosts:
            self.physical_pif(host, network, device, management)
        return network

    def physical_pif(self, host: str, network: str, device: str, management: bool = False) -> str:
        """A plugged physical NIC of ``host`` bridged to ``network``."""
        metrics = self.store.create("PIF_metrics", {"carrier": True, "speed": 10000, "duplex": True,
                                                    "vendor_name": "Intel Corporation", "device_name": "X710"})
        return self.store.create("PIF", {
            "device": device, "host": host, "network": network, "MAC": self.mac(), "MTU": 1500, "VLAN": -1,
            "physical": True, "currently_attached": True, "management": management, "metrics": metrics,
            "ip_configuration_mode": "Static" if management else "None",
            "IP": self.store.get("host", host)["address"] if management else "",
            "netmask": "255.0.0.0" if management else "", "managed": True, "primary_address_type": "IPv4",
        })

    # ---- guests ------------------------------------------------------------------------------
    def template(self, name: str, hvm: bool, disk_size: int, memory: int, vcpus: int = 2,
                 platform: dict[str, str] | None = None, extra_other_config: dict[str, str] | None = None) -> str:
        disks = f'<provision><disk device="0" size="{disk_size}" sr="" bootable="true" type="system"/></provision>'
        return self.store.create("VM", {
            "name_label": name, "name_description": f"Template which allows VM installation of {name}",
            "is_a_template": True, "is_default_template": True, "power_state": "Halted", "user_version": 1,
            "memory_static_max": memory, "memory_dynamic_max": memory, "memory_dynamic_min": memory,
            "memory_static_min": min(memory, 512 * MiB), "memory_target": memory,
            "VCPUs_max": vcpus, "VCPUs_at_startup": vcpus,
            "HVM_boot_policy": "BIOS order" if hvm else "", "HVM_boot_params": {"order": "cdn"} if hvm else {},
            "PV_bootloader": "" if hvm else "pygrub", "domain_type": "hvm" if hvm else "pv",
            "platform": dict(platform or (HVM_PLATFORM if hvm else {})),
            "other_config": {"default_template": "true", "disks": disks, "install-methods": "cdrom,nfs,http,ftp",
                             "linux_template": "true" if not name.startswith("Windows") else "false",
                             **(extra_other_config or {})},
            "recommendations": f'<restrictions><restriction field="memory-static-max" max="{64 * GiB}"/>'
                               f'<restriction field="vcpus-max" max="32"/></restrictions>',
            "actions_after_shutdown": "destroy", "actions_after_reboot": "restart", "actions_after_crash": "restart",
        })

    def default_templates(self) -> list[str]:
        """The templates of ``DEFAULT_TEMPLATES``, as a fresh install has them."""
        return [self.template(name, hvm=hvm, disk_size=disk, memory=memory, vcpus=vcpus, platform=platform)
                for name, hvm, disk, memory, vcpus, platform in DEFAULT_TEMPLATES]

    def vm(self, name: str, memory: int = 2 * GiB, vcpus: int = 2, power_state: str = "Halted",
           host: str | None = None, disks: list[tuple[Any, ...]] | None = None,
           networks: list[str] | None = None, tags: list[str] | None = None,
           sr: str | None = None, base_template: str = "Debian Bookworm 12") -> str:
        """A guest with disks on ``sr`` and VIFs on ``networks``; running ones get guest metrics, as their agent
        reports them (the OS of ``base_template``, the template the VM was installed from, and addresses that
        follow from the MACs, as after any later start).

        ``disks`` are ``(name, size)``, or ``(name, size, sr)`` for a disk on another SR.

        Refs are chosen up front and every record is created once, complete: a bulk writer
        cannot update a record it has not stored yet, and the store path saves the updates.
        """
        running = power_state in ("Running", "Paused")
        # A suspended VM keeps its devices attached: its memory image refers to them.
        attached = running or power_state == "Suspended"
        vm, metrics = new_ref(), new_ref()
        macs = {str(index): self.mac() for index in range(len(networks or []))}
        self.writer.create("VM_metrics", {
            "memory_actual": memory if running else 0, "VCPUs_number": vcpus if running else 0,
            "start_time": utcnow() if running else EPOCH, "install_time": utcnow(), "state": [],
            "current_domain_type": "hvm" if running else "unspecified"}, ref=metrics)
        identity = {"name_label": name, "other_config": {"base_template_name": base_template}}
        guest = self.writer.create("VM_guest_metrics", dict(agent_report(identity, macs), netbios_name={})) if running else NULL_REF
        self.writer.create("VM", {
            "name_label": name, "power_state": power_state, "user_version": 1, "memory_static_max": memory,
            "memory_dynamic_max": memory, "memory_dynamic_min": memory, "memory_static_min": 512 * MiB,
            "memory_target": memory if running else 0, "VCPUs_max": vcpus, "VCPUs_at_startup": vcpus,
            "HVM_boot_policy": "BIOS order", "HVM_boot_params": {"order": "cd"}, "domain_type": "hvm",
            "platform": dict(HVM_PLATFORM), "metrics": metrics, "guest_metrics": guest,
            "resident_on": host if running and host else NULL_REF, "domid": self.random.randint(1, 999) if running else -1,
            "affinity": host or NULL_REF, "tags": list(tags or []), "other_config": {"base_template_name": base_template},
            "actions_after_shutdown": "destroy", "actions_after_reboot": "restart", "actions_after_crash": "restart",
            "allowed_operations": [],
        }, ref=vm)
        for index, (disk_name, size, *elsewhere) in enumerate(disks or []):
            disk_sr = elsewhere[0] if elsewhere else sr
            if disk_sr is None:
                continue
            vdi = self.vdi(disk_sr, disk_name, size)
            self.writer.create("VBD", {"VM": vm, "VDI": vdi, "userdevice": str(index), "device": f"xvd{chr(97 + index)}" if attached else "",
                                       "bootable": index == 0, "mode": "RW", "type": "Disk", "unpluggable": index > 0,
                                       "empty": False, "currently_attached": attached, "other_config": {},
                                       "qos_algorithm_params": {}, "qos_algorithm_type": ""})
        for index, network in enumerate(networks or []):
            self.writer.create("VIF", {"VM": vm, "network": network, "device": str(index), "MAC": macs[str(index)], "MTU": 1500,
                                       "currently_attached": attached, "other_config": {}, "qos_algorithm_params": {},
                                       "qos_algorithm_type": "", "locking_mode": "network_default"})
        return vm

    # ---- values ------------------------------------------------------------------------------
    # One random draw per value: generated pools make tens of thousands of them at start-up.
    def mac(self) -> str:
        bits = self.random.getrandbits(40)
        return "da:" + ":".join(f"{(bits >> shift) & 0xFF:02x}" for shift in (32, 24, 16, 8, 0))

    def random_uuid(self) -> str:
        return format_uuid4(self.random.getrandbits(128))


def format_uuid4(bits: int) -> str:
    """A version-4 (random) UUID string made from 128 random bits."""
    text = f"{bits:032x}"
    variant = "89ab"[int(text[16], 16) & 3]
    return f"{text[:8]}-{text[8:12]}-4{text[13:16]}-{variant}{text[17:20]}-{text[20:]}"
