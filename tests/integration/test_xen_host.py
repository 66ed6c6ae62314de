"""xen_host end to end: reads, no-ops and check mode without a write call, errors, the real toggle and the
module's EXAMPLES as written."""
from __future__ import annotations

from pathlib import Path

from harness import run_examples, run_playbook


def test_reads_no_ops_check_mode_and_errors_write_nothing(sim) -> None:
    sim.control_post("reset_stats")
    run_playbook(sim, "xen_host.yml")
    stats = sim.control_get("stats")
    assert stats["write_calls"] == 0, stats["calls"]
    # Five runs reach the pool (the three that succeed, and the unknown name and uuid); each reads the
    # hosts and the pool in a single event.from call.
    calls = stats["calls"]
    assert calls["session.login_with_password"] == calls["event.from"] == 5, calls
    assert stats["total_calls"] == 15, calls


def test_disable_and_enable(sim) -> None:
    run_playbook(sim, "xen_host_toggle.yml")


def test_examples_run_as_written(sim_factory, tmp_path: Path) -> None:
    sim = sim_factory()
    result = run_examples(sim, tmp_path, "xen_host")
    assert "host3 is disabled and still runs 0 VM(s)." in result.stdout


def _local_guest_on_host2(sim) -> None:
    """A running VM whose disk is on host2's local SR: it cannot leave host2."""
    import ssl  # pylint: disable=import-outside-toplevel

    import XenAPI  # pylint: disable=import-outside-toplevel

    session = XenAPI.Session(sim.url, transport=XenAPI.xmlrpclib.SafeTransport(context=ssl.create_default_context(cafile=sim.ca_cert)))
    session.xenapi.login_with_password(sim.info["username"], sim.info["password"], "1.0", "test_xen_host")
    api = session.xenapi
    try:
        host2 = api.host.get_by_name_label("host2")[0]
        local = next(ref for ref, rec in api.SR.get_all_records().items()
                     if rec["type"] == "lvm" and api.PBD.get_host(rec["PBDs"][0]) == host2)
        vm = api.VM.clone(api.VM.get_by_name_label("build01")[0], "local guest")
        for vbd in api.VM.get_VBDs(vm):
            api.VBD.destroy(vbd)
        disk = api.VDI.create({"name_label": "local", "name_description": "", "SR": local, "virtual_size": str(2 ** 30),
                               "type": "user", "sharable": False, "read_only": False, "other_config": {}, "xenstore_data": {},
                               "sm_config": {}, "tags": []})
        api.VBD.create({"VM": vm, "VDI": disk, "userdevice": "0", "bootable": True, "mode": "RW", "type": "Disk",
                        "unpluggable": True, "empty": False, "other_config": {}, "qos_algorithm_type": "", "qos_algorithm_params": {}})
        api.VM.start_on(vm, host2, False, False)
    finally:
        api.session.logout()


def test_maintenance_evacuates_and_restores_and_refuses_what_cannot_move(sim_factory) -> None:
    sim = sim_factory()
    _local_guest_on_host2(sim)
    sim.control_post("reset_stats")
    run_playbook(sim, "xen_host_maintenance_check.yml")
    assert sim.control_get("stats")["write_calls"] == 0
    run_playbook(sim, "xen_host_maintenance.yml")
