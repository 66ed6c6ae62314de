# Copyright: (c) 2026, xen.xapi maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Calls that share a round trip beyond reads: writes sent in order, the logout sent with the last read, and a
task's first look sent right behind the call that starts it. Against the simulator over HTTPS, with faults."""

from __future__ import annotations

import pytest
from test_connection import client_for, live_sessions

from ansible_collections.xen.xapi.plugins.module_utils._xapi import query
from ansible_collections.xen.xapi.plugins.module_utils._xapi.errors import XapiConnectionError, XapiError
from ansible_collections.xen.xapi.plugins.module_utils._xapi.tasks import run_async

KEY = "pipelined-write"


def _set_key(value: str):
    return lambda vm: [("VM.remove_from_other_config", [vm, KEY]), ("VM.add_to_other_config", [vm, KEY, value])]


def test_writes_sent_in_order_share_one_round_trip_and_can_be_repeated(sim) -> None:
    with client_for(sim) as client:
        web01 = client.call("VM.get_by_name_label", "web01")[0]
        for value in ("one", "two", "two"):
            sim.control_post("reset_stats")
            assert client.call_in_order(_set_key(value)(web01)) == ["", ""]
            stats = sim.control_get("stats")
            assert stats["calls"] == {"VM.remove_from_other_config": 1, "VM.add_to_other_config": 1}, stats
            assert stats["round_trips"] == 1, stats
            # Served in the order sent: the add found the key removed, even when it held the same value.
            assert client.call("VM.get_other_config", web01)[KEY] == value
        client.call("VM.remove_from_other_config", web01, KEY)


def test_the_first_error_among_writes_in_order_is_raised_with_its_call(sim) -> None:
    with client_for(sim) as client:
        web01 = client.call("VM.get_by_name_label", "web01")[0]
        client.call("VM.add_to_other_config", web01, KEY, "kept")
        try:
            with pytest.raises(XapiError) as raised:
                client.call_in_order([("VM.add_to_other_config", [web01, KEY, "other"]), ("VM.get_uuid", [web01])])
            assert raised.value.code == "MAP_DUPLICATE_KEY" and raised.value.method == "VM.add_to_other_config"
            with pytest.raises(XapiError) as raised:
                client.call_in_order([("VM.get_uuid", [web01]), ("VM.remove_from_other_config", ["OpaqueRef:gone", KEY])])
            assert raised.value.code == "HANDLE_INVALID"
            assert client.call("VM.get_other_config", web01)[KEY] == "kept"
        finally:
            client.call("VM.remove_from_other_config", web01, KEY)


def test_writes_in_order_refused_for_an_expired_session_go_again_after_one_login(sim) -> None:
    with client_for(sim) as client:
        web01 = client.call("VM.get_by_name_label", "web01")[0]
        sim.control_post("reset_stats")
        try:
            sim.control_post("faults", {"evict_sessions": True})
            client.call_in_order(_set_key("after-login")(web01))
        finally:
            sim.control_post("faults", {"clear": True})
        calls = sim.control_get("stats")["calls"]
        assert calls["session.login_with_password"] == 1, calls
        # Refused once together, then each sent again: none ran twice.
        assert calls["VM.remove_from_other_config"] == 2 and calls["VM.add_to_other_config"] == 2, calls
        assert client.call("VM.get_other_config", web01)[KEY] == "after-login"
        client.call("VM.remove_from_other_config", web01, KEY)


def test_a_write_in_order_whose_answer_is_lost_says_its_outcome_is_unknown(sim) -> None:
    with client_for(sim) as client:
        web01 = client.call("VM.get_by_name_label", "web01")[0]
        try:
            sim.control_post("faults", {"lose_replies": {"methods": ["VM.add_to_other_config"], "max": 1}})
            with pytest.raises(XapiConnectionError) as raised:
                client.call_in_order(_set_key("lost")(web01))
        finally:
            sim.control_post("faults", {"clear": True})
        # Not sent again: it did run, which only a fresh read tells (the engine's next round).
        assert raised.value.request_sent
        assert client.call("VM.get_other_config", web01)[KEY] == "lost"
        client.call("VM.remove_from_other_config", web01, KEY)


def test_the_logout_goes_with_the_last_read_and_a_later_call_logs_in_again(sim) -> None:
    before = live_sessions(sim)
    with client_for(sim) as client:
        template = client.call("VM.get_by_name_label", "Debian Bookworm 12")[0]
        clone = run_async(client, "VM.clone", template, "last-read-clone")
        sim.control_post("reset_stats")
        client.end_with_next_read()
        found = query.snapshot(client, ("host", "SR"))
        stats = sim.control_get("stats")
        assert len(found["host"]) == 3 and found["SR"]
        # The reads, the finished task's destroy and the logout: one round trip, and no session left.
        assert stats["calls"] == {"host.get_all_records": 1, "SR.get_all_records": 1, "task.destroy": 1, "session.logout": 1}, stats
        assert stats["round_trips"] == 1 and live_sessions(sim) == before
        # A call the run did not foresee still works, on a new session that the exit ends.
        client.call("VM.destroy", clone)
        assert live_sessions(sim) == before + 1
    assert live_sessions(sim) == before


@pytest.mark.parametrize("fault", [
    # The pipeline breaks before any answer: the reads go again, the logout is sent at exit as usual.
    {"reset_connections": {"fraction": 1.0, "max": 1}},
    # The logout's own answer is lost: the session may be over or not; the exit's logout settles it.
    {"lose_replies": {"methods": ["session.logout"], "max": 1}},
])
def test_a_logout_sent_with_reads_that_goes_unanswered_leaves_no_session(sim, fault) -> None:
    before = live_sessions(sim)
    with client_for(sim) as client:
        expected = query.snapshot(client, ("host", "pool"))
        client.end_with_next_read()
        try:
            sim.control_post("faults", fault)
            assert query.snapshot(client, ("host", "pool")) == expected
        finally:
            sim.control_post("faults", {"clear": True})
    assert live_sessions(sim) == before


def test_a_task_started_after_another_has_its_first_look_in_the_same_round_trip(sim) -> None:
    sim.control_post("durations", {"VM.clone": 0.3})
    with client_for(sim) as client:
        template = client.call("VM.get_by_name_label", "Debian Bookworm 12")[0]
        first = run_async(client, "VM.clone", template, "first-look-1")
        sim.control_post("reset_stats")
        second = run_async(client, "VM.clone", template, "first-look-2")
        stats = sim.control_get("stats")
        assert second.startswith("OpaqueRef:") and second != first
        assert client.call("VM.get_name_label", second) == "first-look-2"
        # The call and the first look at its task went together: one round trip fewer than calls.
        assert stats["calls"]["Async.VM.clone"] == 1 and stats["calls"]["event.from"] >= 2, stats
        assert stats["round_trips"] == stats["total_calls"] - 1, stats
        for clone in (first, second):
            client.call("VM.destroy", clone)


def test_a_first_look_whose_answer_is_lost_takes_up_the_started_task(sim) -> None:
    with client_for(sim) as client:
        template = client.call("VM.get_by_name_label", "Debian Bookworm 12")[0]
        first = run_async(client, "VM.clone", template, "lost-look-1")
        try:
            sim.control_post("faults", {"lose_replies": {"methods": ["event.from"], "max": 1}})
            second = run_async(client, "VM.clone", template, "lost-look-2")
        finally:
            sim.control_post("faults", {"clear": True})
        # Found among the session's tasks and followed: the clone was made once.
        assert client.call("VM.get_by_name_label", "lost-look-2") == [second]
        for clone in (first, second):
            client.call("VM.destroy", clone)


def test_a_read_sent_together_that_fails_raises_xapis_error_once_and_the_session_still_ends(sim) -> None:
    before = live_sessions(sim)
    with client_for(sim) as client:
        sim.control_post("reset_stats")
        client.end_with_next_read()
        try:
            sim.control_post("faults", {"fail": {"method": "SR.get_all_records", "times": 2, "error": ["INTERNAL_ERROR", "injected"]}})
            with pytest.raises(XapiError) as raised:
                query.snapshot(client, ("host", "SR", "pool"))
        finally:
            sim.control_post("faults", {"clear": True})
        assert raised.value.code == "INTERNAL_ERROR" and raised.value.params == ["injected"]
        # Raised as answered, as a plain call raises it: not sent again.
        calls = sim.control_get("stats")["calls"]
        assert calls["SR.get_all_records"] == 1 and calls["session.logout"] == 1, calls
        # The session went with the reads; what the run does next (naming objects in its error) logs in again.
        assert client.call("pool.get_all")
    assert live_sessions(sim) == before
