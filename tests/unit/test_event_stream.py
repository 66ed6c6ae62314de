# Copyright: (c) 2026, xen.xapi maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The event tracker behind the xapi_events source: changed fields, filters, and what a snapshot after a gap tells."""

from __future__ import annotations

from ansible_collections.xen.xapi.plugins.module_utils._xapi.event_stream import EventFilter, EventTracker, changed_fields

WEB = {"uuid": "u-web", "name_label": "web01", "power_state": "Running", "tags": ["auto-restart"], "is_a_template": False}
DB = {"uuid": "u-db", "name_label": "db01", "power_state": "Running", "tags": [], "is_a_template": False}
TEMPLATE = {"uuid": "u-t", "name_label": "Debian", "power_state": "Halted", "tags": [], "is_a_template": True}


def tracker(**filters) -> EventTracker:
    track = EventTracker(EventFilter(**filters))
    track.snapshot({"VM": {"r-web": WEB, "r-db": DB, "r-t": TEMPLATE}})
    return track


def test_changed_fields_name_old_and_new() -> None:
    assert changed_fields({"a": 1, "b": 2}, {"a": 1, "b": 3, "c": 4}) == {"b": {"old": 2, "new": 3}, "c": {"old": None, "new": 4}}


def test_a_modification_says_what_changed_and_an_unchanged_record_says_nothing() -> None:
    track = tracker()
    event = track.event("VM", "mod", "r-web", dict(WEB, power_state="Halted"))
    assert event is not None and event["changes"] == {"power_state": {"old": "Running", "new": "Halted"}}
    assert (event["name"], event["uuid"], event["operation"]) == ("web01", "u-web", "mod")
    assert track.event("VM", "mod", "r-web", dict(WEB, power_state="Halted")) is None


def test_a_deletion_keeps_the_name_of_what_went() -> None:
    event = tracker().event("VM", "del", "r-db", None)
    assert event is not None and event["name"] == "db01" and event["record"] == DB


def test_filters_on_tags_fields_and_templates() -> None:
    track = tracker(tags=["auto-restart"], fields=["power_state"])
    assert track.event("VM", "mod", "r-db", dict(DB, power_state="Halted")) is None, "no tag"
    assert track.event("VM", "mod", "r-web", dict(WEB, name_description="x")) is None, "another field"
    assert track.event("VM", "mod", "r-web", dict(WEB, power_state="Halted")) is not None
    lost_tag = track.event("VM", "mod", "r-web", dict(WEB, power_state="Halted", tags=[]))
    assert lost_tag is None, "only tags changed, and tags is not a followed field"
    assert tracker().event("VM", "mod", "r-t", dict(TEMPLATE, name_label="Debian 12")) is None, "templates are left out"
    assert tracker(include_templates=True).event("VM", "mod", "r-t", dict(TEMPLATE, name_label="Debian 12")) is not None


def test_a_snapshot_after_a_gap_tells_what_was_missed_once() -> None:
    track = tracker()
    events = track.snapshot({"VM": {"r-web": dict(WEB, power_state="Halted"), "r-new": dict(DB, uuid="u-new", name_label="new"),
                                    "r-t": TEMPLATE}})
    assert sorted((e["operation"], e["name"]) for e in events) == [("add", "new"), ("del", "db01"), ("mod", "web01")]
    assert track.snapshot({"VM": {"r-web": dict(WEB, power_state="Halted"), "r-new": dict(DB, uuid="u-new", name_label="new"),
                                  "r-t": TEMPLATE}}) == []


def test_the_first_snapshot_lists_what_exists_and_sr_usage_is_ready_to_compare() -> None:
    track = EventTracker(EventFilter())
    events = track.snapshot({"SR": {"r-sr": {"uuid": "u-sr", "name_label": "NFS", "physical_size": 200, "physical_utilisation": 181}}})
    assert [(e["operation"], e["usage_percent"]) for e in events] == [("snapshot", 90.5)]
