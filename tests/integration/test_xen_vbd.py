"""xen_vbd end to end against the simulator: halted and running VMs, CD drives, the error cases,
an ambiguous VM name, and the guided tour's disk demo."""
from __future__ import annotations

from harness import run_playbook

from ansible_collections.xen.xapi.plugins.module_utils._xapi.client import XapiClient
from ansible_collections.xen.xapi.plugins.module_utils._xapi.urls import ConnectionParams
from ansible_collections.xen.xapi.plugins.module_utils._xapi.query import get_all_records_where, where


def test_attach_plug_recreate_cd_and_errors(sim) -> None:
    run_playbook(sim, "xen_vbd.yml")
    # The CD and error cases use the drives and disks the first part made.
    run_playbook(sim, "xen_vbd_cd_errors.yml")


def test_demo_adds_a_data_disk_to_a_running_vm_and_removes_it(sim) -> None:
    result = run_playbook(sim, "../../../playbooks/demo/disks.yml")
    assert "web01 sees the disk as /dev/xvd" in result.stdout
    assert "Removed 'web01 data (demo)': web01: unplugged, web01: detached, absent." in result.stdout


def test_an_ambiguous_vm_name_fails_listing_the_uuids(sim_factory) -> None:
    pool = sim_factory()
    params = ConnectionParams(hostname=pool.url, username=pool.info["username"], password=pool.info["password"], ca_path=pool.ca_cert)
    with XapiClient(params) as client:
        (web02, record), = get_all_records_where(client, "VM", where(name_label="web02")).items()
        client.call("VM.set_name_label", web02, "web01")
    result = run_playbook(pool, "xen_vbd_ambiguous_vm.yml")
    assert record["uuid"] in result.stdout
