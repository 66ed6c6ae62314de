"""The built-in ``demo`` pool: what the README's demo and most tests run against.

Three hosts (host1 is the master), a local LVM SR per host, a shared NFS SR (the default SR),
an ISO library with a few ISOs, networks on eth0 (management) and eth1 with PIFs on every host,
the usual default templates, a handful of VMs in different power states, and an enabled update
repository offering nothing until updates are published (``POST /_sim/updates``).
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from .builder import GiB, MiB, PoolBuilder

if TYPE_CHECKING:
    from ..context import SimulatorView

DEMO_PASSWORD = "demo-Secr3t-pw"
ISO_NAMES = ("debian-12.7.0-amd64-netinst.iso", "ubuntu-24.04.1-live-server-amd64.iso",
             "Win2022_EN-US.iso", "xcp-ng-guest-tools.iso")


def build_demo(sim: "SimulatorView", hosts: int = 3) -> None:
    b = PoolBuilder(sim)
    pool = b.pool("demo-pool")
    b.update_repositories(pool, "https://repo.example.com/xs8")
    host_refs = [b.host(f"host{i + 1}", f"127.0.0.{i + 1}") for i in range(hosts)]
    for index, host in enumerate(host_refs):
        b.sr(f"Local storage on host{index + 1}", "lvm", 500 * GiB, [host], device_config={"device": "/dev/sdb"})
    nfs = b.sr("NFS storage", "nfs", 2048 * GiB, host_refs, shared=True, default=True,
               device_config={"server": "192.0.2.10", "serverpath": "/export/vms", "nfsversion": "4.1"})
    iso = b.sr("ISO library", "iso", 100 * GiB, host_refs, shared=True, content_type="iso",
               device_config={"location": "192.0.2.10:/export/iso", "type": "nfs_iso"})
    for name in ISO_NAMES:
        b.vdi(iso, name, 700 * MiB, vdi_type="user", read_only=True, location=name)
    management = b.network("Pool-wide network associated with eth0", "xenbr0", "eth0", management=True)
    storage_net = b.network("Pool-wide network associated with eth1", "xenbr1", "eth1")
    b.network("Host internal management network", "xenapi", None,
              other_config={"is_guest_installer_network": "true", "is_host_internal_management_network": "true"})
    b.default_templates()
    b.vm("web01", host=host_refs[0], power_state="Running", disks=[("web01 root", 20 * GiB)], sr=nfs,
         networks=[management], tags=["web", "production"])
    b.vm("web02", host=host_refs[1], power_state="Running", disks=[("web02 root", 20 * GiB)], sr=nfs,
         networks=[management], tags=["web", "production"])
    b.vm("db01", host=host_refs[1], power_state="Running", memory=8 * GiB, vcpus=4, sr=nfs,
         disks=[("db01 root", 20 * GiB), ("db01 data", 100 * GiB)], networks=[management, storage_net], tags=["db"])
    b.vm("build01", power_state="Halted", disks=[("build01 root", 30 * GiB)], sr=nfs, networks=[management])
    b.vm("legacy01", host=host_refs[2], power_state="Suspended", disks=[("legacy01 root", 16 * GiB)], sr=nfs,
         networks=[management], base_template="CentOS 7")
    sim.users["root"] = DEMO_PASSWORD
