# Copyright: (c) 2026, xen.xapi maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""xen_pbd's decisions: what each host's PBD becomes, the order across the pool, refusals, and the views.

Also the host helpers they rely on: resolving names and ordering around the pool master.
"""

from __future__ import annotations

import typing as t

import pytest

from ansible_collections.xen.xapi.plugins.module_utils._xapi.errors import ResourceError
from ansible_collections.xen.xapi.plugins.module_utils.pool.hosts import master_first, master_last, order_by_host, pool_master, resolve_hosts
from ansible_collections.xen.xapi.plugins.module_utils.storage.pbd_plan import (
    CREATE,
    DESTROY,
    PLUG,
    UNPLUG,
    HostPbd,
    check_sharing,
    field_changes,
    operations,
    pbd_view,
    plan_presence,
    plan_removal,
    predicted_view,
)

# host2 is the master, so that name order and master order differ.
HOSTS = {"OpaqueRef:h1": {"name_label": "host1", "uuid": "u1"}, "OpaqueRef:h2": {"name_label": "host2", "uuid": "u2"},
         "OpaqueRef:h3": {"name_label": "host3", "uuid": "u3"}}
MASTER = "OpaqueRef:h2"
SRS = {"OpaqueRef:sr": {"name_label": "NFS storage", "uuid": "sr-uuid", "shared": True}}
NFS = {"server": "192.0.2.10", "serverpath": "/export/vms"}


def pbd(host: str, plugged: bool = True, config: t.Optional[t.Dict[str, str]] = None) -> t.Tuple[str, t.Dict[str, t.Any]]:
    return "OpaqueRef:pbd-" + host, {"uuid": "pbd-" + host, "host": "OpaqueRef:" + host, "SR": "OpaqueRef:sr", "currently_attached": plugged,
                                     "device_config": dict(config if config is not None else NFS), "other_config": {}}


def params(**options: t.Any) -> t.Dict[str, t.Any]:
    values: t.Dict[str, t.Any] = {"device_config": None, "purge": False, "plugged": None}
    values.update(options)
    return values


def presence(host: str, current: t.Optional[t.Tuple[str, t.Dict[str, t.Any]]], sibling: t.Optional[t.Dict[str, str]] = None, **options: t.Any) -> HostPbd:
    return plan_presence("OpaqueRef:" + host, host.replace("h", "host"), current, params(**options), sibling, "NFS storage")


# --- hosts ------------------------------------------------------------------------------------

def test_resolve_hosts_by_name_uuid_or_all() -> None:
    assert resolve_hosts(HOSTS, ["all"]) == ["OpaqueRef:h1", "OpaqueRef:h2", "OpaqueRef:h3"]
    assert resolve_hosts(HOSTS, ["host3", "u1", "host1"]) == ["OpaqueRef:h1", "OpaqueRef:h3"]
    with pytest.raises(ResourceError, match="hosts: the pool has no host with the name or uuid 'host9'. Its hosts are: host1, host2, host3."):
        resolve_hosts(HOSTS, ["host9"], "hosts")
    with pytest.raises(ResourceError, match="give it alone"):
        resolve_hosts(HOSTS, ["all", "host1"])


def test_master_order() -> None:
    assert pool_master({"OpaqueRef:pool": {"master": MASTER}}) == MASTER
    assert master_first(HOSTS, HOSTS, MASTER) == ["OpaqueRef:h2", "OpaqueRef:h1", "OpaqueRef:h3"]
    assert master_last(HOSTS, HOSTS, MASTER) == ["OpaqueRef:h1", "OpaqueRef:h3", "OpaqueRef:h2"]
    pbds = dict(pbd(host) for host in ("h1", "h2", "h3"))
    assert order_by_host(pbds, HOSTS, MASTER, master_at_end=True) == ["OpaqueRef:pbd-h1", "OpaqueRef:pbd-h3", "OpaqueRef:pbd-h2"]


# --- what each PBD becomes --------------------------------------------------------------------

def test_an_existing_matching_pbd_needs_nothing() -> None:
    assert not presence("h1", pbd("h1"), device_config={"server": "192.0.2.10"}).changed
    assert not presence("h1", pbd("h1"), plugged=True).changed
    assert not presence("h1", pbd("h1", plugged=False)).changed


def test_plugging_and_unplugging() -> None:
    plan = presence("h1", pbd("h1", plugged=False), plugged=True)
    assert [op for op in (UNPLUG, DESTROY, CREATE, PLUG) if plan.needs(op)] == [PLUG]
    plan = presence("h1", pbd("h1"), plugged=False)
    assert [op for op in (UNPLUG, DESTROY, CREATE, PLUG) if plan.needs(op)] == [UNPLUG]


def test_other_settings_recreate_the_pbd_and_keep_it_plugged_as_it_was() -> None:
    plan = presence("h1", pbd("h1"), device_config={"server": "192.0.2.11"})
    assert plan.recreate and plan.config == {"server": "192.0.2.11", "serverpath": "/export/vms"}
    assert [op for op in (UNPLUG, DESTROY, CREATE, PLUG) if plan.needs(op)] == [UNPLUG, DESTROY, CREATE, PLUG]
    unplugged = presence("h1", pbd("h1", plugged=False), device_config={"server": "192.0.2.11"})
    assert [op for op in (UNPLUG, DESTROY, CREATE, PLUG) if unplugged.needs(op)] == [DESTROY, CREATE]


def test_a_missing_pbd_is_created_from_a_sibling_and_plugged() -> None:
    plan = presence("h3", None, sibling=dict(NFS, SRmaster="true"))
    assert plan.config == NFS and plan.plug
    assert [op for op in (UNPLUG, DESTROY, CREATE, PLUG) if plan.needs(op)] == [CREATE, PLUG]
    assert not presence("h3", None, sibling=NFS, plugged=False).plug


def test_a_missing_pbd_without_settings_is_refused() -> None:
    with pytest.raises(ResourceError, match="device_config: required to attach storage repository 'NFS storage' to host3"):
        presence("h3", None)


def test_removal_unplugs_then_destroys() -> None:
    plan = plan_removal("OpaqueRef:h1", "host1", pbd("h1"))
    assert [op for op in (UNPLUG, DESTROY, CREATE, PLUG) if plan.needs(op)] == [UNPLUG, DESTROY]
    assert not plan_removal("OpaqueRef:h1", "host1", None).changed


# --- order across the pool --------------------------------------------------------------------

def test_reconfiguration_takes_the_master_down_last_and_brings_it_up_first() -> None:
    plans = [presence(host, pbd(host), device_config={"server": "192.0.2.11"}) for host in ("h1", "h2", "h3")]
    ordered = [(op, plan.host) for op, plan in operations(plans, HOSTS, MASTER)]
    assert ordered == [
        (UNPLUG, "host1"), (UNPLUG, "host3"), (UNPLUG, "host2"),
        (DESTROY, "host1"), (DESTROY, "host3"), (DESTROY, "host2"),
        (CREATE, "host2"), (CREATE, "host1"), (CREATE, "host3"),
        (PLUG, "host2"), (PLUG, "host1"), (PLUG, "host3"),
    ]


# --- refusals ---------------------------------------------------------------------------------

def test_a_local_sr_is_plugged_on_one_host_at_a_time() -> None:
    local = {"name_label": "Local", "shared": False}
    check_sharing(local, [presence("h1", pbd("h1"))], [])
    with pytest.raises(ResourceError) as refused:
        check_sharing(local, [presence("h1", pbd("h1"))], ["host2"])
    assert "not shared" in refused.value.msg and "host1, host2" in refused.value.msg
    check_sharing(dict(local, shared=True), [presence("h1", pbd("h1"))], ["host2"])
    check_sharing(local, [presence("h1", pbd("h1"), plugged=False)], ["host2"])


# --- views and reporting ----------------------------------------------------------------------

def test_views_mask_secrets_and_predict_new_pbds() -> None:
    ref, record = pbd("h1", config=dict(NFS, password="pw"))
    before = pbd_view(record, HOSTS, SRS)
    assert before == {"uuid": "pbd-h1", "host": "host1", "sr": "NFS storage", "sr_uuid": "sr-uuid", "plugged": True,
                      "device_config": dict(NFS, password="********")}
    plan = presence("h1", (ref, record), device_config={"password": "new"})
    after = predicted_view(plan, before, SRS["OpaqueRef:sr"])
    assert after == dict(before, uuid="")
    # Only a masked secret changes, and the re-created PBD is still reported.
    assert field_changes(plan, before, after) == [("device_config", before["device_config"], after["device_config"])]


def test_field_changes() -> None:
    ref, record = pbd("h1")
    before = pbd_view(record, HOSTS, SRS)
    unplug = presence("h1", (ref, record), plugged=False)
    assert field_changes(unplug, before, predicted_view(unplug, before, SRS["OpaqueRef:sr"])) == [("plugged", True, False)]
    removal = plan_removal("OpaqueRef:h1", "host1", (ref, record))
    assert predicted_view(removal, before, SRS["OpaqueRef:sr"]) == {}
    assert field_changes(removal, before, {}) == [("state", "present", "absent")]
    creation = presence("h3", None, sibling=NFS)
    assert field_changes(creation, {}, predicted_view(creation, {}, SRS["OpaqueRef:sr"])) == [("state", "absent", "present")]
