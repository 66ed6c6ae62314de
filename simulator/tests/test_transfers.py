"""VM and disk transfers over xapi's HTTP handlers (/export, /import, /export_raw_vdi, /import_raw_vdi).

Driven with the standard library's ``http.client`` the way the SDK's guide describes: a task made
with ``task.create``, its reference and the session in the query string, a streamed body, then the
task's status and result read through the API.
"""
from __future__ import annotations

import gzip
import hashlib
import http.client
import io
import os
import tarfile
import urllib.parse
from typing import Any, Iterator

import pytest
import XenAPI
from xapi_helpers import wait_for

MIB = 1024 * 1024


@pytest.fixture(name="api", scope="module")
def fixture_api(sim_http: Any) -> Iterator[Any]:
    session = XenAPI.Session(sim_http.url)
    session.xenapi.login_with_password(sim_http.info["username"], sim_http.info["password"], "1.0", "test_transfers")
    try:
        yield session
    finally:
        session.xenapi.session.logout()


def _connection(sim_http: Any) -> http.client.HTTPConnection:
    address = urllib.parse.urlsplit(sim_http.url)
    return http.client.HTTPConnection(address.hostname, address.port, timeout=60)


def request(sim_http: Any, method: str, path: str, query: dict[str, str], body: Any = None,
            headers: dict[str, str] | None = None, limit: int | None = None) -> tuple[int, bytes, dict[str, str]]:
    """Status, body (up to ``limit`` bytes) and headers; status 0 when the server closed mid-upload, as
    xapi does once an import has failed (the task then says why)."""
    connection = _connection(sim_http)
    try:
        connection.request(method, f"{path}?{urllib.parse.urlencode(query)}", body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.read(limit), {k.lower(): v for k, v in response.getheaders()}
    except (BrokenPipeError, ConnectionResetError):
        return 0, b"", {}
    finally:
        connection.close()


def task_outcome(api: Any, task: str) -> tuple[str, Any]:
    """The task's end: status, then result or error. A handler answers before it finishes, as xapi does."""
    token = ""
    while True:
        batch = getattr(api.xenapi, "event.from")([f"task/{task}"], token, 30.0)
        token = batch["token"]
        if api.xenapi.task.get_status(task) != "pending":
            break
    record = api.xenapi.task.get_record(task)
    return record["status"], record["result"] if record["status"] == "success" else record["error_info"]


def new_disk(api: Any, size: int, name: str = "transfer disk") -> str:
    sr = api.xenapi.pool.get_default_SR(api.xenapi.pool.get_all()[0])
    return api.xenapi.VDI.create({"name_label": name, "name_description": "", "SR": sr, "virtual_size": str(size),
                                  "type": "user", "sharable": False, "read_only": False, "other_config": {},
                                  "xenstore_data": {}, "sm_config": {}, "tags": []})


def upload_raw(sim_http: Any, api: Any, vdi: str, data: bytes) -> tuple[int, str]:
    """Upload and wait for the task: xapi answers before it has written what it reads."""
    task = api.xenapi.task.create("upload", "")
    status, _body, _headers = request(sim_http, "PUT", "/import_raw_vdi",
                                      {"session_id": api._session, "task_id": task, "vdi": vdi}, body=data)
    task_outcome(api, task)
    return status, task


def download_raw(sim_http: Any, api: Any, vdi: str, limit: int | None = None) -> bytes:
    status, body, _headers = request(sim_http, "GET", "/export_raw_vdi", {"session_id": api._session, "vdi": vdi},
                                     limit=limit)
    assert status == 200
    return body


def test_raw_disk_round_trip_keeps_the_bytes_and_the_task_names_the_disk(sim_http: Any, api: Any) -> None:
    vdi = new_disk(api, 3 * MIB)
    data = os.urandom(MIB // 2) + bytes(MIB) + b"tail" * 1000
    status, task = upload_raw(sim_http, api, vdi, data)
    assert status == 200
    assert task_outcome(api, task) == ("success", f"<value>{vdi}</value>")
    assert download_raw(sim_http, api, vdi) == data + bytes(3 * MIB - len(data))


def test_raw_import_into_an_sr_creates_a_disk_of_the_body_size(sim_http: Any, api: Any) -> None:
    sr = api.xenapi.pool.get_default_SR(api.xenapi.pool.get_all()[0])
    task = api.xenapi.task.create("upload", "")
    status, _body, _headers = request(sim_http, "PUT", "/import_raw_vdi",
                                      {"session_id": api._session, "task_id": task, "sr_id": sr}, body=b"x" * 5000)
    assert status == 200
    state, result = task_outcome(api, task)
    vdi = result[len("<value>"):-len("</value>")]
    assert state == "success" and api.xenapi.VDI.get_virtual_size(vdi) == "5000"
    assert api.xenapi.VDI.get_name_label(vdi) == "Imported VDI"


def test_raw_import_refuses_chunked_bodies_larger_bodies_and_unknown_credentials(sim_http: Any, api: Any) -> None:
    vdi = new_disk(api, MIB)
    status, task = upload_raw(sim_http, api, vdi, b"x" * (MIB + 1))
    assert status == 400 and task_outcome(api, task)[0] == "failure"
    task = api.xenapi.task.create("upload", "")
    status, _body, _headers = request(sim_http, "PUT", "/import_raw_vdi",
                                      {"session_id": api._session, "task_id": task, "vdi": vdi},
                                      body=iter([b"abc"]), headers={"Transfer-Encoding": "chunked"})
    assert status == 404
    assert task_outcome(api, task) == ("failure", ["INTERNAL_ERROR", "Cannot handle encoding: chunked"])
    status, _body, headers = request(sim_http, "GET", "/export_raw_vdi", {"session_id": "OpaqueRef:nobody", "vdi": vdi})
    assert status == 401 and headers["www-authenticate"].startswith("Basic")


def test_basic_auth_is_accepted_and_its_session_dropped(sim_http: Any, api: Any) -> None:
    import base64  # pylint: disable=import-outside-toplevel

    vdi = new_disk(api, MIB)
    before = sim_http.control_get("stats")["live_sessions"]
    token = base64.b64encode(f"{sim_http.info['username']}:{sim_http.info['password']}".encode()).decode()
    status, body, _headers = request(sim_http, "GET", "/export_raw_vdi", {"vdi": vdi},
                                     headers={"Authorization": f"Basic {token}"})
    assert status == 200 and body == bytes(MIB)
    # The session made for the basic credentials ends once the handler is done, which may be just after the last byte.
    wait_for(lambda: sim_http.control_get("stats")["live_sessions"] == before, timeout=10)


def _halted_vm_with_data(sim_http: Any, api: Any, name: str) -> tuple[str, bytes]:
    """A copy of the demo's halted guest whose first disk holds known bytes."""
    source = api.xenapi.VM.get_by_name_label("build01")[0]
    vm = api.xenapi.VM.clone(source, name)
    disk = next(api.xenapi.VBD.get_VDI(vbd) for vbd in api.xenapi.VM.get_VBDs(vm)
                if api.xenapi.VBD.get_type(vbd) == "Disk")
    data = b"boot sector" + os.urandom(2 * MIB)
    assert upload_raw(sim_http, api, disk, data)[0] == 200
    return vm, data


def export_vm(sim_http: Any, api: Any, vm: str, **query: str) -> tuple[int, bytes, str]:
    task = api.xenapi.task.create("export", "")
    status, body, _headers = request(sim_http, "GET", "/export",
                                     {"session_id": api._session, "task_id": task, "uuid": api.xenapi.VM.get_uuid(vm), **query})
    return status, body, task


def import_vm(sim_http: Any, api: Any, archive: bytes, **query: str) -> tuple[int, str]:
    task = api.xenapi.task.create("import", "")
    status, _body, _headers = request(sim_http, "PUT", "/import", {"session_id": api._session, "task_id": task, **query},
                                      body=archive)
    return status, task


def test_an_exported_vm_is_an_xva_with_ova_xml_first_and_checksummed_chunks(sim_http: Any, api: Any) -> None:
    vm, data = _halted_vm_with_data(sim_http, api, "xva layout")
    status, archive, task = export_vm(sim_http, api, vm)
    assert status == 200 and task_outcome(api, task)[0] == "success"
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        names = tar.getnames()
        assert names[0] == "ova.xml"
        first = next(name for name in names if name.endswith("/00000000"))
        prefix = first.rsplit("/", 1)[0]
        assert tar.extractfile(f"{prefix}/00000000").read() == data[:MIB]  # type: ignore[union-attr]
        checksum = tar.extractfile(f"{prefix}/00000000.checksum").read().decode()  # type: ignore[union-attr]
        assert checksum == hashlib.sha1(data[:MIB]).hexdigest()  # noqa: S324
        size = int(api.xenapi.VDI.get_virtual_size(api.xenapi.VBD.get_VDI(api.xenapi.VM.get_VBDs(vm)[0])))
        chunks = [name for name in names if name.startswith(prefix + "/") and not name.endswith(".checksum")]
        # Only the chunks holding data, plus the first and the last, travel.
        assert len(chunks) == len({0, 1, 2, (size - 1) // MIB})


def test_export_then_import_makes_a_halted_copy_with_the_same_disk_bytes(sim_http: Any, api: Any) -> None:
    vm, data = _halted_vm_with_data(sim_http, api, "round trip")
    _status, archive, _task = export_vm(sim_http, api, vm, use_compression="true")
    assert archive[:2] == b"\x1f\x8b"
    status, task = import_vm(sim_http, api, archive)
    state, result = task_outcome(api, task)
    assert status == 200 and state == "success", result
    new_vm = result.split("<value>")[-1].split("</value>")[0]
    assert new_vm != vm and api.xenapi.VM.get_power_state(new_vm) == "Halted"
    assert api.xenapi.VM.get_name_label(new_vm) == "round trip"
    old_macs = sorted(api.xenapi.VIF.get_MAC(v) for v in api.xenapi.VM.get_VIFs(vm))
    new_macs = sorted(api.xenapi.VIF.get_MAC(v) for v in api.xenapi.VM.get_VIFs(new_vm))
    assert len(new_macs) == len(old_macs) and not set(new_macs) & set(old_macs)
    disk = next(api.xenapi.VBD.get_VDI(vbd) for vbd in api.xenapi.VM.get_VBDs(new_vm)
                if api.xenapi.VBD.get_type(vbd) == "Disk")
    assert download_raw(sim_http, api, disk, limit=len(data)) == data


def test_zstd_exports_import_back(sim_http: Any, api: Any) -> None:
    vm, _data = _halted_vm_with_data(sim_http, api, "zstd")
    _status, archive, _task = export_vm(sim_http, api, vm, use_compression="zstd")
    assert archive[:4] == b"\x28\xb5\x2f\xfd"
    status, task = import_vm(sim_http, api, archive)
    assert status == 200 and task_outcome(api, task)[0] == "success"


def test_a_running_vm_is_not_exported(sim_http: Any, api: Any) -> None:
    running = api.xenapi.VM.get_by_name_label("web01")[0]
    status, _body, task = export_vm(sim_http, api, running)
    assert status == 500
    state, error = task_outcome(api, task)
    assert state == "failure" and error[0] == "VM_BAD_POWER_STATE"


def test_corrupt_and_truncated_archives_fail_and_leave_nothing_behind(sim_http: Any, api: Any) -> None:
    vm, _data = _halted_vm_with_data(sim_http, api, "damaged")
    _status, archive, _task = export_vm(sim_http, api, vm)
    vms_before = len(api.xenapi.VM.get_all())
    vdis_before = len(api.xenapi.VDI.get_all())
    corrupt = bytearray(archive)
    corrupt[archive.index(b"boot sector")] ^= 0xFF
    _status, task = import_vm(sim_http, api, bytes(corrupt))
    assert task_outcome(api, task) == ("failure", ["IMPORT_ERROR_SOME_CHECKSUMS_FAILED"])
    _status, task = import_vm(sim_http, api, archive[: len(archive) // 2])
    assert task_outcome(api, task) == ("failure", ["IMPORT_ERROR_PREMATURE_EOF"])
    _status, task = import_vm(sim_http, api, gzip.compress(b"not a tar archive at all" * 40))
    assert task_outcome(api, task)[0] == "failure"
    assert len(api.xenapi.VM.get_all()) == vms_before and len(api.xenapi.VDI.get_all()) == vdis_before


def test_the_first_file_must_be_ova_xml(sim_http: Any, api: Any) -> None:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        info = tarfile.TarInfo("README")
        info.size = 2
        tar.addfile(info, io.BytesIO(b"hi"))
    _status, task = import_vm(sim_http, api, buffer.getvalue())
    assert task_outcome(api, task) == ("failure", ["IMPORT_ERROR_UNEXPECTED_FILE", "ova.xml", "README"])


def test_import_into_an_iso_library_is_refused(sim_http: Any, api: Any) -> None:
    iso = next(ref for ref, rec in api.xenapi.SR.get_all_records().items() if rec["content_type"] == "iso")
    status, task = import_vm(sim_http, api, b"whatever", sr_id=iso)
    assert status == 400 and task_outcome(api, task) == ("failure", ["SR_OPERATION_NOT_SUPPORTED", iso])


def test_a_vm_on_another_hosts_local_storage_is_exported_by_that_host(sim_http: Any, api: Any) -> None:
    xen = api.xenapi
    host2 = xen.host.get_by_name_label("host2")[0]
    local = next(ref for ref, rec in xen.SR.get_all_records().items()
                 if rec["type"] == "lvm" and any(xen.PBD.get_host(pbd) == host2 for pbd in rec["PBDs"]))
    vm = xen.VM.clone(xen.VM.get_by_name_label("build01")[0], "on host2 storage")
    for vbd in xen.VM.get_VBDs(vm):
        xen.VBD.destroy(vbd)
    disk = xen.VDI.create({"name_label": "local", "name_description": "", "SR": local, "virtual_size": str(MIB),
                           "type": "user", "sharable": False, "read_only": False, "other_config": {},
                           "xenstore_data": {}, "sm_config": {}, "tags": []})
    xen.VBD.create({"VM": vm, "VDI": disk, "userdevice": "0", "bootable": True, "mode": "RW", "type": "Disk",
                    "unpluggable": True, "empty": False, "other_config": {}, "qos_algorithm_type": "",
                    "qos_algorithm_params": {}})
    task = xen.task.create("export", "")
    query = {"session_id": api._session, "task_id": task, "ref": vm}
    status, _body, headers = request(sim_http, "GET", "/export", query)
    location = urllib.parse.urlsplit(headers["location"])
    assert status == 302 and location.hostname == xen.host.get_address(host2)
    assert xen.task.get_status(task) == "pending"
    connection = http.client.HTTPConnection(location.hostname, location.port, timeout=60)
    connection.request("GET", f"{location.path}?{location.query}")
    response = connection.getresponse()
    assert response.status == 200 and response.read()[:512].startswith(b"ova.xml")
    connection.close()
    assert task_outcome(api, task)[0] == "success"
