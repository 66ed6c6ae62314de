"""pool.join and pool.eject between a pool and standalone hosts of the same simulator (``--standalone``), as
xapi_pool.ml decides: the checks before a join, the host's records in the pool after it, and an ejected host
coming back as a standalone install."""
from __future__ import annotations

from typing import Any, Iterator

import pytest
import XenAPI
from xapi_helpers import failure, wait_for


class Pools:
    def __init__(self, sim: Any) -> None:
        self.sim = sim
        self.sessions: list[Any] = []

    def api(self, url: str) -> Any:
        session = XenAPI.Session(url)
        session.xenapi.login_with_password(self.sim.info["username"], self.sim.info["password"], "1.0", "test_pool_membership")
        self.sessions.append(session)
        return session.xenapi


@pytest.fixture(name="pools")
def fixture_pools(sim_factory: Any) -> Iterator[Pools]:
    pools = Pools(sim_factory("--http", "--standalone", "2"))
    yield pools
    for session in pools.sessions:
        try:
            session.xenapi.session.logout()
        except (OSError, XenAPI.Failure):
            pass


def test_a_standalone_host_joins_and_is_a_member(pools: Pools) -> None:
    info = pools.sim.info
    assert sorted(info["standalone"]) == ["standalone1", "standalone2"]
    loose = pools.api(info["standalone"]["standalone1"])
    assert [loose.host.get_name_label(h) for h in loose.host.get_all()] == ["standalone1"]
    loose.pool.join("127.0.0.1", info["username"], info["password"])

    api = pools.api(info["url"])
    member = api.host.get_by_name_label("standalone1")[0]
    assert api.host.get_address(member) == "127.0.1.1" and api.host.get_enabled(member)
    nfs = api.SR.get_by_name_label("NFS storage")[0]
    assert member in [api.PBD.get_host(pbd) for pbd in api.SR.get_PBDs(nfs)], "the member sees the shared SRs"
    assert api.SR.get_by_name_label("Local storage on standalone1")
    # Its address now belongs to the pool: a login there is sent to the master.
    with pytest.raises(XenAPI.Failure) as caught:
        XenAPI.Session(info["standalone"]["standalone1"]).xenapi.login_with_password(info["username"], info["password"], "1.0", "t")
    assert caught.value.details[0] == "HOST_IS_SLAVE"


def test_join_refusals(pools: Pools) -> None:
    info = pools.sim.info
    loose = pools.api(info["standalone"]["standalone2"])
    assert failure(loose.pool.join, "127.0.0.9", "root", info["password"]) == ["POOL_JOINING_HOST_CONNECTION_FAILED"]
    assert failure(loose.pool.join, "127.0.0.2", "root", info["password"]) == ["HOST_IS_SLAVE", "127.0.0.1"]
    assert failure(loose.pool.join, "127.0.0.1", "root", "wrong")[0] == "SESSION_AUTHENTICATION_FAILED"
    assert failure(loose.pool.join, "127.0.1.2", "root", info["password"]) == ["OPERATION_NOT_ALLOWED", "Host cannot become slave of itself"]
    api = pools.api(info["url"])
    assert failure(api.pool.join, "127.0.0.1", "root", info["password"]) == ["OPERATION_NOT_ALLOWED", "Host is already part of a pool"]


def test_eject_refusals_then_the_host_comes_back_standalone(pools: Pools) -> None:
    info = pools.sim.info
    pools.sim.control_post("durations", {"host_boot": 1})
    api = pools.api(info["url"])
    master = api.pool.get_master(api.pool.get_all()[0])
    assert failure(api.pool.eject, master) == ["INTERNAL_ERROR", "Xapi_pool.Cannot_eject_master"]
    host2 = api.host.get_by_name_label("host2")[0]
    assert failure(api.pool.eject, host2) == ["OPERATION_NOT_ALLOWED", "VM resident on host"]

    pools.api(info["standalone"]["standalone1"]).pool.join("127.0.0.1", info["username"], info["password"])
    member = api.host.get_by_name_label("standalone1")[0]
    api.pool.eject(member)
    assert api.host.get_by_name_label("standalone1") == []
    assert api.SR.get_by_name_label("Local storage on standalone1") == []
    assert api.host.get_name_label(api.host.get_by_name_label("host3")[0]) == "host3", "the other members still answer"
    # After its reboot the address answers again, as a pool of its own.
    fresh = wait_for(lambda: _standalone_hosts(info["standalone"]["standalone1"], info), timeout=60)
    assert fresh == ["standalone1"]


def _standalone_hosts(url: str, info: dict[str, Any]) -> list[str]:
    try:
        session = XenAPI.Session(url)
        session.xenapi.login_with_password(info["username"], info["password"], "1.0", "t")
    except (OSError, XenAPI.Failure):
        return []
    try:
        return [session.xenapi.host.get_name_label(h) for h in session.xenapi.host.get_all()]
    finally:
        session.xenapi.session.logout()


def test_members_after_an_ejected_one_still_answer_as_themselves(pools: Pools) -> None:
    info = pools.sim.info
    pools.api(info["standalone"]["standalone1"]).pool.join("127.0.0.1", info["username"], info["password"])
    api = pools.api(info["url"])
    api.pool.eject(api.host.get_by_name_label("host3")[0])
    # standalone1 (127.0.1.1) now comes after host2 only: its address must still be served as that member.
    with pytest.raises(XenAPI.Failure) as caught:
        XenAPI.Session(info["standalone"]["standalone1"]).xenapi.login_with_password(info["username"], info["password"], "1.0", "t")
    assert caught.value.details == ["HOST_IS_SLAVE", "127.0.0.1"]
    assert sorted(api.host.get_name_label(h) for h in api.host.get_all()) == ["host1", "host2", "standalone1"]
