# Copyright: (c) 2026, xen.xapi maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""xen_vm_snapshot's decisions: times and order, retention, power after a revert, and option checks."""

from __future__ import annotations

import datetime
import typing as t

import pytest

from ansible_collections.xen.xapi.plugins.module_utils._xapi.errors import ResourceError
from ansible_collections.xen.xapi.plugins.module_utils.vm.snapshots import (
    HALTED,
    NULL_REF,
    PAUSED,
    RUNNING,
    SUSPENDED,
    check_options,
    is_checkpoint,
    iso_time,
    newest_first,
    parse_time,
    power_steps,
    retention_victims,
    target_power,
)


def snap(name: str, time: str = "20240501T02:00:00Z", parent: str = NULL_REF, **fields: t.Any) -> t.Dict[str, t.Any]:
    record = {"uuid": "uuid-" + name, "name_label": name, "snapshot_time": time, "parent": parent,
              "power_state": HALTED, "suspend_VDI": NULL_REF}
    record.update(fields)
    return record


# --- times -------------------------------------------------------------------------------------

@pytest.mark.parametrize("text", ["20240501T02:03:04Z", "20240501T02:03:04", "2024-05-01T02:03:04Z", "2024-05-01T02:03:04"])
def test_times_in_every_rendering_are_read(text: str) -> None:
    assert parse_time(text) == datetime.datetime(2024, 5, 1, 2, 3, 4)
    assert iso_time(text) == "2024-05-01T02:03:04Z"


def test_an_unreadable_time_is_returned_as_it_came() -> None:
    assert parse_time("yesterday") is None
    assert iso_time("yesterday") == "yesterday"


def test_checkpoints_are_suspended_or_hold_a_memory_image() -> None:
    assert not is_checkpoint(snap("disks"))
    assert is_checkpoint(snap("live", power_state=SUSPENDED))
    assert is_checkpoint(snap("image", suspend_VDI="OpaqueRef:vdi"))


# --- order -------------------------------------------------------------------------------------

def test_newest_first_by_time() -> None:
    snapshots = {"r1": snap("a", "20240101T00:00:00Z"), "r2": snap("b", "20240301T00:00:00Z"), "r3": snap("c", "20240201T00:00:00Z")}
    assert newest_first(snapshots) == ["r2", "r3", "r1"]


def test_snapshots_of_the_same_second_follow_the_snapshot_tree() -> None:
    # Each snapshot's parent is the one taken before it; names would order them the other way round.
    snapshots = {"r1": snap("z"), "r2": snap("y", parent="r1"), "r3": snap("x", parent="r2")}
    assert newest_first(snapshots) == ["r3", "r2", "r1"]


def test_a_parent_that_is_gone_or_a_loop_does_not_break_the_order() -> None:
    snapshots = {"r1": snap("a", parent="OpaqueRef:deleted"), "r2": snap("b", parent="r3"), "r3": snap("c", parent="r2")}
    assert sorted(newest_first(snapshots)) == ["r1", "r2", "r3"]


def test_unreadable_times_count_as_oldest() -> None:
    snapshots = {"r1": snap("a", "garbage"), "r2": snap("b", "20240101T00:00:00Z")}
    assert newest_first(snapshots) == ["r2", "r1"]


# --- retention ---------------------------------------------------------------------------------

def ordered(*names: str) -> t.List[t.Tuple[str, t.Dict[str, t.Any]]]:
    """Snapshots newest first, with refs named after them."""
    return [("ref-" + name, snap(name)) for name in names]


def test_retention_keeps_the_newest_with_the_prefix_and_deletes_the_others_oldest_first() -> None:
    existing = ordered("nightly-5", "manual", "nightly-4", "nightly-3", "nightly-2")
    assert retention_victims(existing, "nightly-", 2) == ["ref-nightly-2", "ref-nightly-3"]


def test_a_snapshot_about_to_be_taken_counts_as_the_newest() -> None:
    existing = ordered("nightly-3", "nightly-2", "nightly-1")
    assert retention_victims(existing, "nightly-", 2, pending_name="nightly-4") == ["ref-nightly-1", "ref-nightly-2"]
    # A new snapshot without the prefix does not take a place.
    assert retention_victims(existing, "nightly-", 2, pending_name="manual") == ["ref-nightly-1"]


def test_the_named_snapshot_is_always_kept() -> None:
    existing = ordered("nightly-3", "nightly-2", "nightly-1")
    assert retention_victims(existing, "nightly-", 1, keep="ref-nightly-1") == ["ref-nightly-2", "ref-nightly-3"]
    assert retention_victims(existing, "nightly-", 0, keep="ref-nightly-1") == ["ref-nightly-2", "ref-nightly-3"]


def test_retention_with_few_snapshots_deletes_nothing() -> None:
    assert retention_victims(ordered("nightly-1"), "nightly-", 3) == []
    assert retention_victims([], "nightly-", 0) == []


def test_retain_zero_deletes_every_snapshot_with_the_prefix() -> None:
    assert retention_victims(ordered("nightly-2", "other", "nightly-1"), "nightly-", 0) == ["ref-nightly-1", "ref-nightly-2"]


@pytest.mark.parametrize("prefix", ["", "  ", None])
def test_retention_never_acts_on_an_empty_prefix(prefix: t.Optional[str]) -> None:
    with pytest.raises(ResourceError, match="name_prefix: retention deletes the snapshots whose names start with name_prefix"):
        retention_victims(ordered("nightly-1", "other"), prefix, 0)  # type: ignore[arg-type]
    with pytest.raises(ResourceError, match="would select every snapshot of the VM"):
        check_options(params(retain=0, name_prefix=prefix))


def test_a_negative_retain_is_refused() -> None:
    with pytest.raises(ResourceError, match="retain: give the number of snapshots to keep"):
        retention_victims(ordered("nightly-1"), "nightly-", -1)


# --- power after a revert ----------------------------------------------------------------------

@pytest.mark.parametrize("choice, checkpoint, before, expected", [
    (None, True, HALTED, RUNNING),
    (None, False, RUNNING, HALTED),
    ("running", False, HALTED, RUNNING),
    ("halted", True, RUNNING, HALTED),
    ("as_before", True, HALTED, HALTED),
    ("as_before", False, RUNNING, RUNNING),
    ("as_before", False, PAUSED, RUNNING),
    ("as_before", True, SUSPENDED, HALTED),
])
def test_target_power(choice: t.Optional[str], checkpoint: bool, before: str, expected: str) -> None:
    assert target_power(choice, checkpoint, before) == expected


@pytest.mark.parametrize("current, target, steps", [
    (HALTED, HALTED, []),
    (RUNNING, RUNNING, []),
    (HALTED, RUNNING, ["VM.start"]),
    (SUSPENDED, RUNNING, ["VM.resume"]),
    (PAUSED, RUNNING, ["VM.unpause"]),
    (SUSPENDED, HALTED, ["VM.hard_shutdown"]),
    (RUNNING, HALTED, ["VM.hard_shutdown"]),
])
def test_power_steps(current: str, target: str, steps: t.List[str]) -> None:
    assert power_steps(current, target) == steps


def test_power_steps_only_lead_to_running_or_halted() -> None:
    with pytest.raises(ValueError):
        power_steps(RUNNING, SUSPENDED)


# --- options -----------------------------------------------------------------------------------

def params(**values: t.Any) -> t.Dict[str, t.Any]:
    base: t.Dict[str, t.Any] = {"state": "present", "vm": "web01", "name": None, "uuid": None, "retain": None,
                                "name_prefix": None, "power_state_after": None, "with_memory": False, "ignore_disks": None}
    base.update(values)
    return base


@pytest.mark.parametrize("values", [
    {"name": "a"},
    {"uuid": "u", "state": "absent"},
    {"name": "a", "state": "reverted", "power_state_after": "running"},
    {"retain": 3, "name_prefix": "nightly-"},
    {"name": "nightly-1", "retain": 3, "name_prefix": "nightly-"},
    {"name": "a", "with_memory": True},
    {"name": "a", "ignore_disks": ["data"]},
])
def test_valid_options(values: t.Dict[str, t.Any]) -> None:
    check_options(params(**values))


@pytest.mark.parametrize("values, message", [
    ({}, "name: give the snapshot's name"),
    ({"state": "absent", "retain": 1, "name_prefix": "x"}, "name: give the snapshot's name"),
    ({"name": "a", "state": "absent", "retain": 1, "name_prefix": "x"}, "retain: retention runs with state=present only"),
    ({"name": "a", "power_state_after": "running"}, "power_state_after: only used with state=reverted"),
    ({"name": "a", "with_memory": True, "ignore_disks": ["data"]}, "ignore_disks: a checkpoint"),
])
def test_invalid_options(values: t.Dict[str, t.Any], message: str) -> None:
    with pytest.raises(ResourceError, match=message):
        check_options(params(**values))
