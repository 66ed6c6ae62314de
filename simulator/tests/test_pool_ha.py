"""pool.enable_ha, pool.disable_ha and pool.set_ha_host_failures_to_tolerate, as xapi_ha.ml and xapi_pool.ml decide."""
from __future__ import annotations

from typing import Any, Iterator

import pytest
import XenAPI
from xapi_helpers import failure


@pytest.fixture(name="api")
def fixture_api(sim_factory: Any) -> Iterator[Any]:
    sim = sim_factory("--http")
    session = XenAPI.Session(sim.url)
    session.xenapi.login_with_password(sim.info["username"], sim.info["password"], "1.0", "test_pool_ha")
    try:
        yield session.xenapi
    finally:
        session.xenapi.session.logout()


def sr_named(api: Any, name: str) -> str:
    return api.SR.get_by_name_label(name)[0]


def test_enable_makes_a_statefile_on_a_shared_sr_and_disable_removes_it(api: Any) -> None:
    pool = api.pool.get_all()[0]
    api.pool.enable_ha([], {})
    record = api.pool.get_record(pool)
    assert record["ha_enabled"] and record["ha_cluster_stack"] == "xhad"
    (statefile,) = record["ha_statefiles"]
    assert api.VDI.get_type(statefile) == "ha_statefile" and api.VDI.get_SR(statefile) == sr_named(api, "NFS storage")
    assert failure(api.pool.enable_ha, [], {}) == ["HA_IS_ENABLED"]
    api.pool.disable_ha()
    assert not api.pool.get_ha_enabled(pool) and api.pool.get_ha_statefiles(pool) == []
    assert not [ref for ref, vdi in api.VDI.get_all_records().items() if vdi["type"] in ("ha_statefile", "redo_log")]
    assert failure(api.pool.disable_ha) == ["HA_NOT_ENABLED"]


def test_a_heartbeat_sr_must_be_plugged_on_every_host_and_able_to_hold_a_statefile(api: Any) -> None:
    local = sr_named(api, "Local storage on host1")
    assert failure(api.pool.enable_ha, [local], {}) == ["SR_HAS_NO_PBDS", local]
    iso = sr_named(api, "ISO library")
    assert failure(api.pool.enable_ha, [iso], {})[0] in ("SR_HAS_NO_PBDS", "SR_OPERATION_NOT_SUPPORTED")


def test_failures_to_tolerate_stay_within_the_plan(api: Any) -> None:
    pool = api.pool.get_all()[0]
    assert failure(api.pool.set_ha_host_failures_to_tolerate, pool, "-1") == ["INVALID_VALUE", "ha_host_failures_to_tolerate", "-1"]
    api.pool.enable_ha([], {})
    api.pool.set_ha_host_failures_to_tolerate(pool, "2")
    assert api.pool.get_ha_host_failures_to_tolerate(pool) == "2"
    assert failure(api.pool.set_ha_host_failures_to_tolerate, pool, "3") == ["HA_OPERATION_WOULD_BREAK_FAILOVER_PLAN"]
