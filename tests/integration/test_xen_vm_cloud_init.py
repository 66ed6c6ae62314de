"""xen_vm's cloud_init end to end: the drive's bytes hold a FAT volume labelled cidata with the files cloud-init
reads, a second run is unchanged, new content replaces the drive, check mode writes nothing, and the drive goes."""
from __future__ import annotations

import http.client
import json
import ssl
import urllib.parse
from typing import Any

import XenAPI
from fat_reader import FatVolume
from harness import run_playbook

MARKER = "xen.xapi:cloud-init"


def _session(sim: Any) -> Any:
    context = ssl.create_default_context(cafile=sim.ca_cert)
    session = XenAPI.Session(sim.url, transport=XenAPI.xmlrpclib.SafeTransport(context=context))
    session.xenapi.login_with_password(sim.info["username"], sim.info["password"], "1.0", "test_xen_vm_cloud_init")
    return session, context


def _drives(xen: Any, vm: str) -> list[str]:
    return [xen.VBD.get_VDI(vbd) for vbd in xen.VM.get_VBDs(vm)
            if not xen.VBD.get_empty(vbd) and MARKER in xen.VDI.get_other_config(xen.VBD.get_VDI(vbd))]


def _read_disk(sim: Any, session: Any, context: ssl.SSLContext, vdi: str) -> bytes:
    address = urllib.parse.urlsplit(sim.url)
    connection = http.client.HTTPSConnection(address.hostname, address.port, context=context, timeout=60)
    try:
        connection.request("GET", "/export_raw_vdi?" + urllib.parse.urlencode({"session_id": session._session, "vdi": vdi}))
        response = connection.getresponse()
        assert response.status == 200
        return response.read()
    finally:
        connection.close()


def test_config_drive_lifecycle(sim_factory: Any) -> None:
    sim = sim_factory()
    session, context = _session(sim)
    try:
        xen = session.xenapi
        result = run_playbook(sim, "xen_vm_cloud_init.yml")
        vm = xen.VM.get_by_name_label("ci01")[0]
        assert _drives(xen, vm) == []
        assert len([ref for ref, rec in xen.VDI.get_all_records().items() if MARKER in rec["other_config"]]) == 0
        assert "next boot" in result.stdout + result.stderr
    finally:
        session.xenapi.session.logout()


def test_the_drive_holds_what_cloud_init_reads_and_check_mode_writes_nothing(sim_factory: Any) -> None:
    sim = sim_factory()
    session, context = _session(sim)
    try:
        xen = session.xenapi
        run_playbook(sim, "xen_vm_cloud_init_make.yml")
        vm = xen.VM.get_by_name_label("ci02")[0]
        (drive,) = _drives(xen, vm)
        volume = FatVolume(_read_disk(sim, session, context, drive))
        assert volume.label == "cidata" and volume.fs_type == "FAT16"
        files = volume.files()
        assert files["user-data"].startswith(b"#cloud-config\n")
        meta = json.loads(files["meta-data"])
        assert meta == {"instance-id": xen.VM.get_uuid(vm), "local-hostname": "ci02"}
        mac = xen.VIF.get_MAC(xen.VM.get_VIFs(vm)[0]).lower()
        network = json.loads(files["network-config"])
        assert network["ethernets"]["eth0"]["match"] == {"macaddress": mac}
        assert network["ethernets"]["eth0"]["addresses"] == ["198.51.100.7/24"]
        assert json.loads(files["openstack/latest/meta_data.json"])["uuid"] == meta["instance-id"]
        # The drive is a read-write disk, not a CD, and the VM's CD drive is untouched.
        vbd = next(v for v in xen.VM.get_VBDs(vm) if xen.VBD.get_VDI(v) == drive)
        assert xen.VBD.get_type(vbd) == "Disk" and xen.VBD.get_mode(vbd) == "RW"

        sim.control_post("reset_stats")
        checked = run_playbook(sim, "xen_vm_cloud_init_check.yml")
        assert sim.control_get("stats")["write_calls"] == 0, checked.stdout
        assert _drives(xen, vm) == [drive]
    finally:
        session.xenapi.session.logout()


def test_a_drive_removed_after_boot_is_not_written_again(sim_factory: Any) -> None:
    sim = sim_factory()
    run_playbook(sim, "xen_vm_cloud_init_once.yml")
