"""The XenServer SDK guide's workflows, end to end, written as a user of the XenAPI package writes them.

Installing a VM from a template and taking it through its power states, hot-plugging a new
disk and a network interface, reconfiguring shared storage on every host (``fixpbds.py``),
tracking an asynchronous clone through its task, watching events for a VM coming up
(``watch-all-vms``), live-migrating every running VM in parallel (``permute.py``), and
following HOST_IS_SLAVE from a pool member to the master.
"""
from __future__ import annotations

import re
import threading
import time
from typing import TYPE_CHECKING, Any, Iterator
from urllib.parse import urlsplit

import pytest
import XenAPI
from xapi_helpers import failure

if TYPE_CHECKING:
    from xapisim.process import SimProcess

GIB = 1024 ** 3
TEMPLATE = "Debian Bookworm 12"
TEMPLATE_DISK_SIZE = 10 * GIB
REF_RESULT = re.compile(r"<value>(OpaqueRef:[0-9a-f-]{36})</value>")


def login(url: str, user: str, password: str, originator: str) -> XenAPI.Session:
    session = XenAPI.Session(url)
    session.xenapi.login_with_password(user, password, "2.21", originator)
    return session


@pytest.fixture(scope="module")
def credentials(sim_http: SimProcess) -> tuple[str, str]:
    return sim_http.info["username"], sim_http.info["password"]


@pytest.fixture(scope="module")
def xapi(sim_http: SimProcess, credentials: tuple[str, str]) -> Iterator[XenAPI.Session]:
    session = login(sim_http.url, *credentials, "xapisim-tests SDK workflows")
    yield session
    session.xenapi.session.logout()


def find_template(xapi: XenAPI.Session, name: str) -> str:
    """As the guide does: one get_all_records, then pick the template by name."""
    for ref, record in xapi.xenapi.VM.get_all_records().items():
        if record["is_a_template"] and record["name_label"] == name:
            return ref
    raise AssertionError(f"no template called {name!r}")


def install(xapi: XenAPI.Session, name: str) -> str:
    """VM.clone of a template, then VM.provision to create its disks: a VM ready to start."""
    vm = xapi.xenapi.VM.clone(find_template(xapi, TEMPLATE), name)
    xapi.xenapi.VM.provision(vm)
    return vm


def remove(xapi: XenAPI.Session, vm: str) -> None:
    """Shut a VM down if needed, then destroy it and its disks."""
    if xapi.xenapi.VM.get_power_state(vm) != "Halted":
        xapi.xenapi.VM.hard_shutdown(vm)
    disks = [xapi.xenapi.VBD.get_VDI(vbd) for vbd in xapi.xenapi.VM.get_VBDs(vm)
             if xapi.xenapi.VBD.get_type(vbd) == "Disk"]
    xapi.xenapi.VM.destroy(vm)
    for vdi in disks:
        xapi.xenapi.VDI.destroy(vdi)


def default_sr(xapi: XenAPI.Session) -> str:
    return xapi.xenapi.pool.get_default_SR(xapi.xenapi.pool.get_all()[0])


def management_network(xapi: XenAPI.Session) -> str:
    for pif in xapi.xenapi.PIF.get_all_records().values():
        if pif["management"]:
            return pif["network"]
    raise AssertionError("no management PIF")


def add_vif(xapi: XenAPI.Session, vm: str, network: str) -> str:
    device = xapi.xenapi.VM.get_allowed_VIF_devices(vm)[0]
    return xapi.xenapi.VIF.create({
        "device": device, "network": network, "VM": vm, "MAC": "", "MTU": "1500", "other_config": {},
        "qos_algorithm_type": "", "qos_algorithm_params": {},
    })


def wait_for_guest_ip(xapi: XenAPI.Session, vm: str, timeout: float = 10.0) -> str:
    """install.py's last step: wait, with events, for the guest agent to report an address."""
    token = ""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        batch = getattr(xapi.xenapi.event, "from")(["vm", "vm_guest_metrics"], token, 2.0)
        token = batch["token"]
        metrics = xapi.xenapi.VM.get_guest_metrics(vm)
        if metrics != "OpaqueRef:NULL":
            address = xapi.xenapi.VM_guest_metrics.get_networks(metrics).get("0/ip")
            if address:
                return address
    raise AssertionError(f"the guest agent of {vm} reported no address in {timeout} s")


# ---- installing and power cycling --------------------------------------------------------------
def test_install_a_vm_from_a_template(xapi: XenAPI.Session) -> None:
    template = find_template(xapi, TEMPLATE)
    vm = xapi.xenapi.VM.clone(template, "my first VM")
    try:
        assert xapi.xenapi.VM.get_is_a_template(vm) is True, "a clone of a template is still a template"
        assert xapi.xenapi.VM.get_is_default_template(vm) is False
        xapi.xenapi.VM.provision(vm)
        assert xapi.xenapi.VM.get_is_a_template(vm) is False
        disks = [xapi.xenapi.VBD.get_VDI(vbd) for vbd in xapi.xenapi.VM.get_VBDs(vm)]
        assert len(disks) == 1
        assert xapi.xenapi.VDI.get_SR(disks[0]) == default_sr(xapi)
        assert xapi.xenapi.VDI.get_virtual_size(disks[0]) == str(TEMPLATE_DISK_SIZE)
        add_vif(xapi, vm, management_network(xapi))
        xapi.xenapi.VM.start(vm, False, False)
        assert xapi.xenapi.VM.get_power_state(vm) == "Running"
        assert xapi.xenapi.VM.get_resident_on(vm) in xapi.xenapi.host.get_all()
        assert re.fullmatch(r"[0-9]+(\.[0-9]+){3}", wait_for_guest_ip(xapi, vm))
    finally:
        remove(xapi, vm)


def test_start_suspend_resume_and_shut_down(xapi: XenAPI.Session) -> None:
    vm = install(xapi, "power cycled")
    try:
        assert failure(xapi.xenapi.VM.suspend, vm) == ["VM_BAD_POWER_STATE", vm, "running", "halted"]
        xapi.xenapi.VM.start(vm, False, False)
        host = xapi.xenapi.VM.get_resident_on(vm)
        assert vm in xapi.xenapi.host.get_resident_VMs(host)
        xapi.xenapi.VM.suspend(vm)
        assert xapi.xenapi.VM.get_power_state(vm) == "Suspended"
        xapi.xenapi.VM.resume(vm, False, False)
        assert xapi.xenapi.VM.get_power_state(vm) == "Running"
        xapi.xenapi.VM.clean_shutdown(vm)
        assert xapi.xenapi.VM.get_power_state(vm) == "Halted"
        assert xapi.xenapi.VM.get_resident_on(vm) == "OpaqueRef:NULL"
        assert vm not in xapi.xenapi.host.get_resident_VMs(host)
    finally:
        remove(xapi, vm)


# ---- devices ----------------------------------------------------------------------------------
def test_create_a_blank_disk_and_hot_plug_it(xapi: XenAPI.Session) -> None:
    vm = xapi.xenapi.VM.get_by_name_label("web01")[0]
    assert xapi.xenapi.VM.get_power_state(vm) == "Running"
    vdi = xapi.xenapi.VDI.create({
        "name_label": "hot-plugged data", "name_description": "", "SR": default_sr(xapi), "virtual_size": str(GIB),
        "type": "user", "sharable": False, "read_only": False, "other_config": {},
    })
    vbd = xapi.xenapi.VBD.create({
        "VM": vm, "VDI": vdi, "userdevice": xapi.xenapi.VM.get_allowed_VBD_devices(vm)[0], "bootable": False,
        "mode": "RW", "type": "Disk", "unpluggable": True, "empty": False, "other_config": {},
        "qos_algorithm_type": "", "qos_algorithm_params": {},
    })
    try:
        assert xapi.xenapi.VBD.get_currently_attached(vbd) is False, "VBD.create alone changes nothing in the guest"
        xapi.xenapi.VBD.plug(vbd)
        assert xapi.xenapi.VBD.get_currently_attached(vbd) is True
        assert xapi.xenapi.VBD.get_device(vbd) != ""
        xapi.xenapi.VBD.unplug(vbd)
        assert xapi.xenapi.VBD.get_currently_attached(vbd) is False
    finally:
        xapi.xenapi.VBD.destroy(vbd)
        xapi.xenapi.VDI.destroy(vdi)
    assert vbd not in xapi.xenapi.VM.get_VBDs(vm)


def test_add_a_network_interface(xapi: XenAPI.Session) -> None:
    vm = xapi.xenapi.VM.get_by_name_label("web02")[0]
    network = management_network(xapi)
    vif = add_vif(xapi, vm, network)
    try:
        record = xapi.xenapi.VIF.get_record(vif)
        assert re.fullmatch(r"([0-9a-f]{2}:){5}[0-9a-f]{2}", record["MAC"]), "an empty MAC asks for a generated one"
        assert (record["VM"], record["network"], record["currently_attached"]) == (vm, network, False)
        assert vif in xapi.xenapi.network.get_VIFs(network)
        xapi.xenapi.VIF.plug(vif)
        assert xapi.xenapi.VIF.get_currently_attached(vif) is True
        xapi.xenapi.VIF.unplug(vif)
    finally:
        xapi.xenapi.VIF.destroy(vif)
    assert vif not in xapi.xenapi.VM.get_VIFs(vm)


def test_reconfigure_shared_storage_on_every_host(xapi: XenAPI.Session) -> None:
    """fixpbds.py: for each host, unplug the SR's PBD, destroy it, create a new one, plug it."""
    master = xapi.xenapi.pool.get_master(xapi.xenapi.pool.get_all()[0])
    old_config = {"server": "192.0.2.20", "serverpath": "/export/backups"}
    sr = xapi.xenapi.SR.create(master, old_config, "0", "Backup NFS", "", "nfs", "user", True, {})
    new_config = {"server": "192.0.2.21", "serverpath": "/export/backups", "nfsversion": "4.1"}
    try:
        assert len(xapi.xenapi.SR.get_PBDs(sr)) == len(xapi.xenapi.host.get_all())
        for pbd in xapi.xenapi.SR.get_PBDs(sr):
            record = xapi.xenapi.PBD.get_record(pbd)
            xapi.xenapi.PBD.unplug(pbd)
            xapi.xenapi.PBD.destroy(pbd)
            new = xapi.xenapi.PBD.create({"host": record["host"], "SR": sr, "device_config": new_config, "other_config": {}})
            xapi.xenapi.PBD.plug(new)
        pbds = [xapi.xenapi.PBD.get_record(pbd) for pbd in xapi.xenapi.SR.get_PBDs(sr)]
        assert sorted(p["host"] for p in pbds) == sorted(xapi.xenapi.host.get_all())
        assert all(p["currently_attached"] and p["device_config"] == new_config for p in pbds)
    finally:
        for pbd in xapi.xenapi.SR.get_PBDs(sr):
            xapi.xenapi.PBD.unplug(pbd)
        xapi.xenapi.SR.forget(sr)


# ---- tasks and events -------------------------------------------------------------------------
def test_track_an_async_clone_through_its_task(xapi: XenAPI.Session) -> None:
    vm = xapi.xenapi.VM.get_by_name_label("build01")[0]
    task = xapi.xenapi.Async.VM.clone(vm, "build01 copy")
    progress = []
    while xapi.xenapi.task.get_status(task) == "pending":
        progress.append(xapi.xenapi.task.get_progress(task))
        time.sleep(0.01)
    record = xapi.xenapi.task.get_record(task)
    xapi.xenapi.task.destroy(task)
    assert record["status"] == "success", record["error_info"]
    assert all(0.0 <= value <= 1.0 for value in progress)
    match = REF_RESULT.fullmatch(record["result"])
    assert match, record["result"]
    clone = match.group(1)
    assert xapi.xenapi.VM.get_name_label(clone) == "build01 copy"
    assert xapi.xenapi.VM.get_power_state(clone) == "Halted"
    remove(xapi, clone)
    assert xapi.xenapi.VM.get_by_name_label("build01 copy") == []


def test_an_event_watcher_sees_the_vm_go_running(sim_http: SimProcess, xapi: XenAPI.Session,
                                                 credentials: tuple[str, str]) -> None:
    vm = install(xapi, "watched VM")
    seen: list[str] = []

    def watch() -> None:
        """watch-all-vms: one session of its own, an event.from loop until the VM runs."""
        watcher = login(sim_http.url, *credentials, "xapisim-tests VM watcher")
        try:
            token = ""
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                batch = getattr(watcher.xenapi.event, "from")(["vm"], token, 5.0)
                token = batch["token"]
                for event in batch["events"]:
                    if event["ref"] == vm and "snapshot" in event:
                        seen.append(event["snapshot"]["power_state"])
                if seen and seen[-1] == "Running":
                    return
        finally:
            watcher.xenapi.session.logout()

    thread = threading.Thread(target=watch)
    thread.start()
    try:
        time.sleep(0.2)
        xapi.xenapi.VM.start(vm, False, False)
        thread.join(10)
        assert not thread.is_alive()
        assert seen[0] == "Halted" and seen[-1] == "Running"
    finally:
        remove(xapi, vm)


# ---- pool -------------------------------------------------------------------------------------
def running_guests(xapi: XenAPI.Session) -> dict[str, str]:
    """permute.py's selection: running VMs that are not templates nor control domains, and their hosts."""
    return {ref: record["resident_on"] for ref, record in xapi.xenapi.VM.get_all_records().items()
            if not record["is_a_template"] and not record["is_control_domain"] and record["power_state"] == "Running"}


def migrate(url: str, credentials: tuple[str, str], vm: str, host: str) -> dict[str, Any]:
    """One thread's work: its own session, an Async.VM.pool_migrate, and the finished task's record."""
    session = login(url, *credentials, "xapisim-tests migration")
    try:
        task = session.xenapi.Async.VM.pool_migrate(vm, host, {"live": "true"})
        while session.xenapi.task.get_status(task) == "pending":
            time.sleep(0.02)
        record = session.xenapi.task.get_record(task)
        if record["status"] == "success":
            session.xenapi.task.destroy(task)
        return record
    finally:
        session.xenapi.session.logout()


@pytest.mark.parametrize("iteration", [1, 2])
def test_live_migrate_every_running_vm_in_parallel(sim_http: SimProcess, xapi: XenAPI.Session,
                                                   credentials: tuple[str, str], iteration: int) -> None:
    hosts = sorted(xapi.xenapi.host.get_all(), key=xapi.xenapi.host.get_address)
    placement = running_guests(xapi)
    assert len(placement) >= 3, f"iteration {iteration}: the demo pool runs at least three guests"
    # A rotation of the pool's hosts as the permutation: every VM moves.
    targets = {vm: hosts[(hosts.index(host) + 1) % len(hosts)] for vm, host in placement.items()}
    results: dict[str, dict[str, Any]] = {}
    threads = [threading.Thread(target=lambda vm=vm, host=host: results.update({vm: migrate(sim_http.url, credentials, vm, host)}))
               for vm, host in targets.items()]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    failed = {vm: record["error_info"] for vm, record in results.items() if record["status"] != "success"}
    assert len(results) == len(targets) and not failed, failed
    assert running_guests(xapi) == targets
    for vm, host in targets.items():
        assert vm in xapi.xenapi.host.get_resident_VMs(host)
        assert vm not in xapi.xenapi.host.get_resident_VMs(placement[vm])


def test_follow_host_is_slave_from_a_member_to_the_master(sim_http: SimProcess, credentials: tuple[str, str]) -> None:
    member_url = sim_http.info["hosts"]["host2"]
    member = XenAPI.Session(member_url)
    with pytest.raises(XenAPI.Failure) as redirect:
        member.xenapi.login_with_password(*credentials, "2.21", "xapisim-tests redirect")
    assert redirect.value.details == ["HOST_IS_SLAVE", "127.0.0.1"]
    master_address = redirect.value.details[1]
    parts = urlsplit(member_url)
    session = login(f"{parts.scheme}://{master_address}:{parts.port}", *credentials, "xapisim-tests redirect")
    pool = session.xenapi.pool.get_all()[0]
    assert session.xenapi.host.get_address(session.xenapi.pool.get_master(pool)) == master_address
    session.xenapi.session.logout()
