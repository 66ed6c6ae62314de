"""Updates and reboots: pool.sync_updates, host.apply_updates, host.reboot, as xapi_pool.ml, repository.ml and
xapi_host.ml decide, with the repository's offering set through the control API."""
from __future__ import annotations

from typing import Any, Iterator

import pytest
import XenAPI
from xapi_helpers import failure, wait_for

NULL = "OpaqueRef:NULL"


@pytest.fixture(name="pool")
def fixture_pool(sim_factory: Any) -> Iterator[tuple[Any, Any]]:
    sim = sim_factory("--http")
    session = XenAPI.Session(sim.url)
    session.xenapi.login_with_password(sim.info["username"], sim.info["password"], "1.0", "test_host_updates")
    try:
        yield sim, session.xenapi
    finally:
        session.xenapi.session.logout()


def guests_on(api: Any, host: str) -> list[str]:
    return [vm for vm in api.host.get_resident_VMs(host) if not api.VM.get_is_control_domain(vm)]


def test_sync_then_apply_leaves_the_guidance_and_a_reboot_clears_it(pool: tuple[Any, Any]) -> None:
    sim, api = pool
    sim.control_post("updates", {"updates": [{"id": "XS8-1", "guidance": ["reboot_host"]}, {"id": "XS8-2", "guidance": []}]})
    pool_ref = api.pool.get_all()[0]
    digest = api.pool.sync_updates(pool_ref, False, "", "")
    hosts = {api.host.get_name_label(ref): ref for ref in api.host.get_all()}
    assert {name: api.host.get_latest_synced_updates_applied(ref) for name, ref in hosts.items()} == \
        {"host1": "no", "host2": "no", "host3": "no"}
    host3 = hosts["host3"]
    assert failure(api.host.apply_updates, host3, "stale") == ["UPDATEINFO_HASH_MISMATCH"]
    assert not api.host.get_enabled(host3), "xapi disables the host before it checks the hash"
    assert api.host.apply_updates(host3, digest) == []
    assert api.host.get_pending_guidances(host3) == ["reboot_host"]
    assert api.host.get_latest_synced_updates_applied(host3) == "yes" and api.host.get_last_update_hash(host3) == digest
    assert failure(api.host.enable, host3) == ["HOST_PENDING_MANDATORY_GUIDANCE_NOT_EMPTY", host3]
    assert failure(api.host.apply_updates, host3, digest) == ["HOST_PENDING_MANDATORY_GUIDANCE_NOT_EMPTY", host3]
    assert sim.control_get("updates")["installed"] == {"host3": ["XS8-1", "XS8-2"]}

    started = api.host.get_other_config(host3)["agent_start_time"]
    api.host.reboot(host3)
    # Back live and enabled, without the guidance, after the pace's boot time, with a new start time.
    wait_for(lambda: api.host_metrics.get_live(api.host.get_metrics(host3)) and api.host.get_enabled(host3), timeout=60)
    assert api.host.get_pending_guidances(host3) == []
    assert float(api.host.get_other_config(host3)["agent_start_time"]) > float(started)


def test_updates_that_need_a_reboot_need_an_empty_host(pool: tuple[Any, Any]) -> None:
    sim, api = pool
    sim.control_post("updates", {"updates": [{"id": "XS8-1", "guidance": ["reboot_host"]}]})
    digest = api.pool.sync_updates(api.pool.get_all()[0], False, "", "")
    host1 = api.host.get_by_name_label("host1")[0]
    assert guests_on(api, host1)
    assert failure(api.host.apply_updates, host1, digest) == ["HOST_EVACUATION_IS_REQUIRED", host1]
    assert api.host.get_pending_guidances(host1) == []


def test_toolstack_guidance_is_cleared_by_restart_agent(pool: tuple[Any, Any]) -> None:
    sim, api = pool
    sim.control_post("updates", {"updates": [{"id": "XS8-3", "guidance": ["restart_toolstack"]}]})
    digest = api.pool.sync_updates(api.pool.get_all()[0], False, "", "")
    host2 = api.host.get_by_name_label("host2")[0]
    assert guests_on(api, host2), "a toolstack restart does not need the host emptied"
    api.host.apply_updates(host2, digest)
    assert api.host.get_pending_guidances(host2) == ["restart_toolstack"]
    api.host.restart_agent(host2)
    assert api.host.get_pending_guidances(host2) == []


def test_sync_needs_one_enabled_update_repository_and_reboot_a_disabled_host(pool: tuple[Any, Any]) -> None:
    _sim, api = pool
    pool_ref = api.pool.get_all()[0]
    host2 = api.host.get_by_name_label("host2")[0]
    assert failure(api.host.reboot, host2) == ["HOST_NOT_DISABLED"]
    api.pool.set_repositories(pool_ref, [])
    assert failure(api.pool.sync_updates, pool_ref, False, "", "") == ["NO_REPOSITORY_ENABLED"]
    second = api.Repository.introduce("extra", "", "https://repo.example.com/extra", "", True, "")
    assert failure(api.Repository.introduce, "other", "", "https://repo.example.com/extra", "", True, "")[0] == "REPOSITORY_ALREADY_EXISTS"
    normal = api.Repository.get_by_name_label("normal")[0]
    assert failure(api.pool.set_repositories, pool_ref, [normal, second]) == ["MULTIPLE_UPDATE_REPOSITORIES_ENABLED"]


def test_a_reboot_stops_the_guests_left_and_the_host_is_away_meanwhile(pool: tuple[Any, Any]) -> None:
    sim, api = pool
    sim.control_post("durations", {"host_boot": 30})
    host2 = api.host.get_by_name_label("host2")[0]
    guests = guests_on(api, host2)
    api.host.disable(host2)
    api.host.reboot(host2)
    assert all(api.VM.get_power_state(vm) == "Halted" for vm in guests), "xapi stops what still runs, it does not move it"
    assert not api.host_metrics.get_live(api.host.get_metrics(host2))
    member = XenAPI.Session(sim.info["hosts"]["host2"])
    with pytest.raises(OSError):
        member.xenapi.login_with_password(sim.info["username"], sim.info["password"], "1.0", "test_host_updates")
