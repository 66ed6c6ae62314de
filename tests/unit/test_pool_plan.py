# Copyright: (c) 2026, xen.xapi maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""xen_pool's decisions: the pool as returned, the settings that differ, and the HA steps."""

from __future__ import annotations

import pytest

from ansible_collections.xen.xapi.plugins.module_utils._xapi.errors import ResourceError
from ansible_collections.xen.xapi.plugins.module_utils.pool.pool_plan import ha_steps, pool_view, setters

SRS = {"OpaqueRef:nfs": {"uuid": "u-nfs", "name_label": "NFS storage"}, "OpaqueRef:lvm": {"uuid": "u-lvm", "name_label": "Local"}}
HOSTS = {"OpaqueRef:h1": {"name_label": "host1"}, "OpaqueRef:h2": {"name_label": "host2"}}
POOL = {"uuid": "p", "name_label": "pool", "name_description": "", "master": "OpaqueRef:h1", "default_SR": "OpaqueRef:nfs",
        "suspend_image_SR": "OpaqueRef:NULL", "crash_dump_SR": "OpaqueRef:NULL", "other_config": {"a": "1"}, "tags": ["x"],
        "migration_compression": False, "ha_enabled": False, "ha_host_failures_to_tolerate": 0}


def test_the_pool_names_its_objects() -> None:
    view = pool_view(POOL, HOSTS, SRS, ["OpaqueRef:nfs"])
    assert view["master"] == "host1" and view["hosts"] == ["host1", "host2"]
    assert view["default_sr"] == "NFS storage" and view["suspend_image_sr"] is None
    assert view["ha_heartbeat_srs"] == ["NFS storage"]


def test_only_what_differs_is_set() -> None:
    assert setters(POOL, {"name": "pool", "default_sr": "u-nfs", "tags": ["x"], "other_config": {"a": 1}}, SRS) == []
    found = setters(POOL, {"name": "prod", "default_sr": "Local", "tags": ["y"], "purge": True, "migration_compression": True}, SRS)
    assert [(s.option, s.before, s.after) for s in found] == [
        ("name", "pool", "prod"), ("default_sr", "NFS storage", "Local"), ("tags", ["x"], ["y"]),
        ("migration_compression", False, True)]
    # purge applies to the maps and lists that are given: other_config, not given, stays.
    assert [s.option for s in setters(POOL, {"other_config": {}, "purge": True}, SRS)] == ["other_config"]
    assert found[1].value == "OpaqueRef:lvm"


def test_ha_is_turned_on_before_failures_are_set() -> None:
    steps = ha_steps(POOL, {"ha_enabled": True, "ha_heartbeat_srs": ["NFS storage"], "ha_host_failures_to_tolerate": 1}, SRS)
    assert [(s.method, s.args) for s in steps] == [("pool.enable_ha", (["OpaqueRef:nfs"], {})),
                                                   ("pool.set_ha_host_failures_to_tolerate", (1,))]
    assert ha_steps(dict(POOL, ha_enabled=True), {"ha_enabled": False}, SRS)[0].method == "pool.disable_ha"
    assert ha_steps(dict(POOL, ha_enabled=True), {"ha_enabled": True}, SRS) == []


@pytest.mark.parametrize("params, message", [
    ({"ha_host_failures_to_tolerate": 1}, "HA is off"),
    ({"ha_host_failures_to_tolerate": -1}, "0 or more"),
    ({"ha_enabled": True, "ha_heartbeat_srs": ["nope"]}, "ha_heartbeat_srs"),
])
def test_refusals_name_the_option(params: dict, message: str) -> None:
    with pytest.raises(ResourceError, match=message):
        ha_steps(POOL, params, SRS)
