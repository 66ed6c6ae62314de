"""A host failing (control API ``host_failure``), with and without HA: xapi_ha.ml on_master_failure elects a new
master and xapi_ha_vm_failover.ml restarts the protected VMs; without HA the members keep naming the dead master
until pool.emergency_transition_to_master. pool.designate_new_master is refused while HA is on."""
from __future__ import annotations

from typing import Any

import XenAPI
from xapi_helpers import failure, wait_for


def session_at(sim: Any, name: str) -> Any:
    session = XenAPI.Session(sim.info["hosts"][name])
    session.xenapi.login_with_password(sim.info["username"], sim.info["password"], "1.0", "test_ha_failover")
    return session


def master_seen_from(sim: Any, name: str) -> str:
    """The master's name as host ``name`` answers: itself when it is the master."""
    try:
        session = session_at(sim, name)
    except XenAPI.Failure as err:
        return "slave of " + err.details[1] if err.details[0] == "HOST_IS_SLAVE" else ""
    except OSError:
        return ""
    try:
        api = session.xenapi
        return api.host.get_name_label(api.pool.get_master(api.pool.get_all()[0]))
    finally:
        session.xenapi.session.logout()


def test_with_ha_a_new_master_is_elected_and_protected_vms_restart(sim_factory: Any) -> None:
    sim = sim_factory("--http")
    api = session_at(sim, "host1").xenapi
    api.pool.enable_ha([], {})
    host2 = api.host.get_by_name_label("host2")[0]
    assert failure(api.pool.designate_new_master, host2) == ["HA_IS_ENABLED"]
    web01 = api.VM.get_by_name_label("web01")[0]
    api.VM.set_ha_restart_priority(web01, "restart")
    host1 = api.host.get_by_name_label("host1")[0]
    assert api.VM.get_resident_on(web01) == host1

    sim.control_post("host_failure", {"host": "host1"})
    assert wait_for(lambda: master_seen_from(sim, "host2") == "host2", timeout=60)
    api = session_at(sim, "host2").xenapi
    web01_record = api.VM.get_record(web01)
    assert web01_record["power_state"] == "Running" and web01_record["resident_on"] != host1
    assert not api.host_metrics.get_live(api.host.get_metrics(host1))

    sim.control_post("host_recovery", {"host": "host1"})
    assert wait_for(lambda: master_seen_from(sim, "host1") == "slave of 127.0.0.2", timeout=60), "the old master comes back a member"


def test_without_ha_the_pool_waits_for_an_emergency_transition(sim_factory: Any) -> None:
    sim = sim_factory("--http")
    api = session_at(sim, "host1").xenapi
    web01 = api.VM.get_by_name_label("web01")[0]
    sim.control_post("host_failure", {"host": "host1"})
    assert master_seen_from(sim, "host2") == "slave of 127.0.0.1"
    member = XenAPI.Session(sim.info["hosts"]["host2"])
    member.slave_local_login_with_password(sim.info["username"], sim.info["password"])
    member.xenapi.pool.emergency_transition_to_master()
    assert master_seen_from(sim, "host2") == "host2"
    assert session_at(sim, "host2").xenapi.VM.get_power_state(web01) == "Halted", "nothing restarts it without HA"
