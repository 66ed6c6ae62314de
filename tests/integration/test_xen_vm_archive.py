"""xen_vm_export and xen_vm_import end to end: a round trip that keeps the disks' bytes, idempotence, a running VM,
compression, MACs kept, check mode without a write call, the documented errors, a dropped connection, and a
session that never shows in the output."""
from __future__ import annotations

import http.client
import json
import os
import ssl
import urllib.parse
from pathlib import Path
from typing import Any, Iterator

import pytest
import XenAPI
from harness import run_playbook

MIB = 1024 * 1024


class Pool:
    """The XenAPI session and the raw-disk transfers the checks use."""

    def __init__(self, sim: Any) -> None:
        self.sim = sim
        self.context = ssl.create_default_context(cafile=sim.ca_cert)
        self.session = XenAPI.Session(sim.url, transport=XenAPI.xmlrpclib.SafeTransport(context=self.context))
        self.session.xenapi.login_with_password(sim.info["username"], sim.info["password"], "1.0", "test_xen_vm_archive")
        self.xen = self.session.xenapi

    def _request(self, method: str, path: str, query: dict[str, str], body: bytes | None = None,
                 limit: int | None = None) -> bytes:
        address = urllib.parse.urlsplit(self.sim.url)
        connection = http.client.HTTPSConnection(address.hostname, address.port, context=self.context, timeout=60)
        try:
            connection.request(method, f"{path}?{urllib.parse.urlencode(dict(query, session_id=self.session._session))}",
                               body=body)
            response = connection.getresponse()
            assert response.status == 200, response.status
            return response.read(limit)
        finally:
            connection.close()

    def write_disk(self, vdi: str, data: bytes) -> None:
        """Upload, then wait for the task: xapi answers before it has written what it reads."""
        task = self.xen.task.create("upload", "")
        self._request("PUT", "/import_raw_vdi", {"vdi": vdi, "task_id": task}, body=data)
        token = ""
        while self.xen.task.get_status(task) == "pending":
            token = getattr(self.xen, "event.from")([f"task/{task}"], token, 30.0)["token"]
        assert self.xen.task.get_status(task) == "success"

    def read_disk(self, vdi: str, length: int) -> bytes:
        return self._request("GET", "/export_raw_vdi", {"vdi": vdi}, limit=length)

    def export(self, vm_name: str, path: Path) -> None:
        vm = self.xen.VM.get_by_name_label(vm_name)[0]
        path.write_bytes(self._request("GET", "/export", {"ref": vm}))

    def first_disk(self, vm_name: str) -> str:
        vm = self.xen.VM.get_by_name_label(vm_name)[0]
        vbds = sorted(self.xen.VM.get_VBDs(vm), key=self.xen.VBD.get_userdevice)
        return next(self.xen.VBD.get_VDI(vbd) for vbd in vbds if self.xen.VBD.get_type(vbd) == "Disk")

    def macs(self, vm_name: str) -> list[str]:
        vm = self.xen.VM.get_by_name_label(vm_name)[0]
        return sorted(self.xen.VIF.get_MAC(vif) for vif in self.xen.VM.get_VIFs(vm))

    def close(self) -> None:
        self.xen.session.logout()


@pytest.fixture(name="pool")
def fixture_pool(sim: Any) -> Iterator[Pool]:
    pool = Pool(sim)
    try:
        yield pool
    finally:
        pool.close()


def test_round_trip_keeps_the_disks_and_runs_are_idempotent(sim: Any, pool: Pool, tmp_path: Path) -> None:
    data = b"MBR" + os.urandom(3 * MIB)
    pool.write_disk(pool.first_disk("build01"), data)
    snapshots_before = len(pool.xen.VM.get_snapshots(pool.xen.VM.get_by_name_label("web01")[0]))
    result = run_playbook(sim, "xen_vm_archive.yml", "-e", json.dumps({"archive_dir": str(tmp_path)}), "-v")
    assert pool.read_disk(pool.first_disk("build01-copy"), len(data)) == data
    assert pool.read_disk(pool.first_disk("build01-zstd"), len(data)) == data
    assert pool.macs("build01-twin") == pool.macs("build01")
    assert pool.macs("build01-copy") != pool.macs("build01")
    # The snapshot taken to export the running web01 is gone again.
    assert len(pool.xen.VM.get_snapshots(pool.xen.VM.get_by_name_label("web01")[0])) == snapshots_before
    assert sorted(path.name for path in tmp_path.iterdir()) == ["build01.xva", "build01.xva.zst", "web01.xva"]
    # The session travels in the transfers' URLs; it never reaches the output.
    assert "session_id" not in result.stdout + result.stderr
    assert pool.session._session not in result.stdout


def test_check_mode_and_errors_write_nothing(sim: Any, pool: Pool, tmp_path: Path) -> None:
    pool.export("build01", tmp_path / "build01.xva")
    (tmp_path / "not-an-archive.xva").write_text("just text\n")
    vms_before = len(pool.xen.VM.get_all())
    sim.control_post("reset_stats")
    run_playbook(sim, "xen_vm_archive_errors.yml", "-e", json.dumps({"archive_dir": str(tmp_path)}))
    stats = sim.control_get("stats")
    assert stats["write_calls"] == 0, stats["calls"]
    assert len(pool.xen.VM.get_all()) == vms_before


def test_a_damaged_archive_fails_and_leaves_no_vm(sim: Any, pool: Pool, tmp_path: Path) -> None:
    pool.export("build01", tmp_path / "build01.xva")
    archive = (tmp_path / "build01.xva").read_bytes()
    (tmp_path / "truncated.xva").write_bytes(archive[: len(archive) // 2])
    vms_before = len(pool.xen.VM.get_all())
    vdis_before = len(pool.xen.VDI.get_all())
    result = run_playbook(sim, "xen_vm_import_damaged.yml", "-e", json.dumps({"archive_dir": str(tmp_path)}))
    assert "IMPORT_ERROR_PREMATURE_EOF" in result.stdout
    assert len(pool.xen.VM.get_all()) == vms_before and len(pool.xen.VDI.get_all()) == vdis_before


def test_an_export_converges_through_dropped_connections(sim: Any, tmp_path: Path) -> None:
    sim.control_post("faults", {"reset_connections": {"fraction": 0.5, "max": 3}, "seed": 7})
    try:
        result = run_playbook(sim, "xen_vm_export_lossy.yml", "-e", json.dumps({"archive_dir": str(tmp_path)}))
    finally:
        sim.control_post("faults", {"clear": True})
    assert sim.control_get("stats")["faults_fired"].get("reset", 0) >= 1
    assert "lossy.xva" in os.listdir(tmp_path) and "ok=2" in result.stdout


def test_a_run_that_fails_after_the_import_says_what_it_did(sim: Any, pool: Pool, tmp_path: Path) -> None:
    pool.export("build01", tmp_path / "build01.xva")
    sim.control_post("faults", {"fail_in_task": {"method": "VM.start", "error": ["HOST_NOT_ENOUGH_FREE_MEMORY", "1", "0"]}})
    try:
        run_playbook(sim, "xen_vm_import_start_fails.yml", "-e", json.dumps({"archive_dir": str(tmp_path)}))
    finally:
        sim.control_post("faults", {"clear": True})
    vm = pool.xen.VM.get_by_name_label("never-started")
    assert len(vm) == 1 and pool.xen.VM.get_power_state(vm[0]) == "Halted"
