# Copyright: (c) 2026, xen.xapi maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The reconcile loop's rounds and the run journal: pure logic, with an in-memory object instead of a pool.

The object is a dict of settings; each change sets one key. A "lost answer" is a change that raises the
connection layer's XapiConnectionError after (or instead of) taking effect, as a dropped connection does.
"""

from __future__ import annotations

import typing as t

import pytest

from ansible_collections.xen.xapi.plugins.module_utils import _engine
from ansible_collections.xen.xapi.plugins.module_utils._engine import Change, Resource
from ansible_collections.xen.xapi.plugins.module_utils._xapi.errors import ResourceError, XapiConnectionError, XapiError, XapiTlsError
from ansible_collections.xen.xapi.plugins.module_utils._journal import CREATED, Journal

LOST = "lost"        # the write took effect, its answer never came
UNSENT = "unsent"    # the connection dropped before the server acted


class FakeModule:
    def __init__(self, params: t.Dict[str, t.Any], check_mode: bool = False, diff_mode: bool = False) -> None:
        self.params = params
        self.check_mode = check_mode
        self.diff_mode = diff_mode


class NoServer:
    """Stands in for the client: the object lives in memory; it counts the reads marked as a run's last."""

    def __init__(self) -> None:
        self.last_reads = 0

    def end_with_next_read(self) -> None:
        self.last_reads += 1


class Settings(Resource):
    """An object made of key/value settings; `faults` says what happens to the next writes of a key."""

    result_key = "settings"

    def __init__(self, params: t.Dict[str, t.Any], world: t.Optional[t.Dict[str, t.Any]], faults: t.Dict[str, t.List[str]],
                 check_mode: bool = False, diff_mode: bool = False) -> None:
        module = FakeModule(params, check_mode=check_mode, diff_mode=diff_mode)
        self.server = NoServer()
        super().__init__(module, self.server)  # type: ignore[arg-type]  # no server: the object lives in `world`
        self.world = world
        self.faults = faults
        self.writes: t.List[str] = []
        self.rounds_started = 0
        self.presented: t.List[t.Dict[str, t.Any]] = []

    def _write(self, key: str, effect: t.Callable[[], None]) -> None:
        fault = self.faults.get(key, []).pop(0) if self.faults.get(key) else None
        if fault == UNSENT:
            raise XapiConnectionError("https://pool", "the server closed the connection without answering", request_sent=True)
        self.writes.append(key)
        effect()
        if fault == LOST:
            raise XapiConnectionError("https://pool", "the server closed the connection without answering", request_sent=True)

    def locate(self) -> t.Optional[t.Tuple[str, t.Dict[str, t.Any]]]:
        return ("OpaqueRef:1", dict(self.world)) if self.world is not None else None

    def plan_create(self) -> t.Callable[[], str]:
        def create() -> str:
            self._write("create", lambda: setattr(self, "world", {}))
            return "OpaqueRef:1"
        return create

    def plan_update(self, ref: str, record: t.Dict[str, t.Any]) -> t.List[Change]:
        changes = []
        for key, value in sorted(self.params["settings"].items()):
            if record.get(key) != value:
                changes.append(Change(key, record.get(key), value, self._setter(key, value)))
        return changes

    def _setter(self, key: str, value: t.Any) -> t.Callable[[], None]:
        def apply() -> None:
            if value == "refused":
                raise XapiError("VALUE_NOT_SUPPORTED", [key, value, "refused"])
            self._write(key, lambda: self.world.__setitem__(key, value))  # type: ignore[union-attr]
        return apply

    def present(self, ref: t.Optional[str]) -> t.Dict[str, t.Any]:
        self.presented.append(dict(self.world or {}))
        return dict(self.world or {})

    def new_round(self) -> None:
        self.rounds_started += 1


def run(resource: Settings) -> t.Dict[str, t.Any]:
    return _engine._reconcile(resource.module, resource)  # pylint: disable=protected-access


def test_a_write_whose_answer_was_lost_is_not_sent_again() -> None:
    resource = Settings({"settings": {"a": 1, "b": 2}}, {}, {"a": [LOST]})
    result = run(resource)
    assert resource.writes == ["a", "b"]
    assert resource.rounds_started == 1
    assert result["changed"] is True
    assert [c["option"] for c in result["changes"]] == ["a", "b"]
    assert result["settings"] == {"a": 1, "b": 2}


def test_a_write_that_never_reached_the_server_is_made_in_the_next_round() -> None:
    resource = Settings({"settings": {"a": 1, "b": 2}}, {}, {"b": [UNSENT]})
    result = run(resource)
    assert resource.writes == ["a", "b"]
    assert [c["option"] for c in result["changes"]] == ["a", "b"]
    assert result["settings"] == {"a": 1, "b": 2}


def test_a_creation_whose_answer_was_lost_is_found_not_made_twice() -> None:
    resource = Settings({"settings": {"a": 1}}, None, {"create": [LOST]})
    result = run(resource)
    assert resource.writes == ["create", "a"]
    assert result["changes"][0] == CREATED
    assert [c["option"] for c in result["changes"]] == ["state", "a"]


def test_rounds_that_get_nothing_done_are_bounded() -> None:
    resource = Settings({"settings": {"a": 1}}, {}, {"a": [UNSENT] * 10})
    with pytest.raises(XapiConnectionError):
        run(resource)
    assert resource.rounds_started == _engine.MAX_ROUNDS_WITHOUT_PROGRESS - 1
    assert resource.journal.failure_details() == {"changed": False, "changes": [],
                                                  "failed_step": {"option": "a", "before": None, "after": 1}}


def test_progress_lets_a_slow_run_go_on_up_to_the_total_bound() -> None:
    settings = dict(("k{0:02d}".format(index), index) for index in range(_engine.MAX_ROUNDS + 3))
    faults = dict((key, [LOST]) for key in settings)
    resource = Settings({"settings": settings}, {}, faults)
    with pytest.raises(XapiConnectionError):
        run(resource)
    assert resource.journal.rounds == _engine.MAX_ROUNDS
    assert resource.journal.wrote


def test_a_failure_after_writes_reports_them_and_the_failed_step() -> None:
    resource = Settings({"settings": {"a": 1, "b": "refused"}}, {}, {})
    with pytest.raises(XapiError):
        run(resource)
    journal = resource.journal
    assert journal.failure_details() == {"changed": True, "changes": [{"option": "a", "before": None, "after": 1}],
                                         "failed_step": {"option": "b", "before": None, "after": "refused"}}
    assert journal.failure_message("It was refused.") == \
        "b (absent -> refused) failed: It was refused. Before it failed, the run made these changes: a."


def test_errors_that_a_new_connection_cannot_fix_end_the_run_at_once() -> None:
    resource = Settings({"settings": {"a": 1}}, {}, {})

    def tls_failure() -> t.Optional[t.Tuple[str, t.Dict[str, t.Any]]]:
        raise XapiTlsError("https://pool", "certificate verification failed")
    resource.locate = tls_failure  # type: ignore[method-assign]
    with pytest.raises(XapiTlsError):
        run(resource)
    assert resource.rounds_started == 0


def test_check_mode_plans_once_and_writes_nothing() -> None:
    resource = Settings({"settings": {"a": 1}}, {}, {}, check_mode=True)
    result = run(resource)
    assert resource.writes == []
    assert result["changed"] is True and result["changes"] == [{"option": "a", "before": None, "after": 1}]


def test_the_journal_settles_lost_steps_against_the_new_plan() -> None:
    journal = Journal()
    journal.current = {"option": "memory", "before": "1 GiB", "after": "2 GiB"}
    journal.connection_lost()
    still_planned = [Change("memory", "1 GiB", "2 GiB", lambda: None)]
    journal.settle(True, still_planned)
    assert journal.done == []
    journal.current = {"option": "memory", "before": "1 GiB", "after": "2 GiB"}
    journal.connection_lost()
    journal.settle(True, [])
    assert journal.done == [{"option": "memory", "before": "1 GiB", "after": "2 GiB"}]
    assert journal.uncertain is None


def test_objects_made_on_the_way_are_remembered_and_count_as_progress() -> None:
    journal = Journal()
    before = journal.progress
    journal.remember("vm", "OpaqueRef:new")
    assert journal.recall("vm") == "OpaqueRef:new" and journal.progress > before
    journal.forget("vm")
    assert journal.recall("vm") is None


def test_a_resource_error_before_any_write_reports_no_change() -> None:
    journal = Journal()
    assert journal.failure_details() == {"changed": False, "changes": []}
    assert journal.failure_message("name: required.") == "name: required."
    with pytest.raises(ResourceError):
        raise ResourceError("name: required.")


def test_a_run_that_writes_presents_the_object_only_after_its_changes() -> None:
    # Presenting can cost reads (a VM's disks): the object as found is only presented where it is shown.
    resource = Settings({"settings": {"a": 1}}, {"a": 0}, {})
    result = run(resource)
    assert resource.presented == [{"a": 1}]
    assert result["settings"] == {"a": 1} and "diff" not in result
    # Nothing is read after it: its read carries the logout.
    assert resource.server.last_reads == 1


def test_the_object_presented_before_a_report_that_reads_more_keeps_the_session() -> None:
    resource = Settings({"settings": {"a": 1}}, {"a": 0}, {})
    _engine._reconcile(resource.module, resource, reads_after=True)  # pylint: disable=protected-access
    assert resource.presented == [{"a": 1}] and resource.server.last_reads == 0


def test_diff_mode_shows_the_object_as_the_first_round_found_it() -> None:
    resource = Settings({"settings": {"a": 1, "b": 2}}, {"a": 0}, {"b": [LOST]}, diff_mode=True)
    result = run(resource)
    assert resource.rounds_started == 1
    assert result["diff"] == {"before": {"a": 0}, "after": {"a": 1, "b": 2}}
    # Only the object after the changes is the run's last read, not the one presented before them.
    assert len(resource.presented) == 2 and resource.server.last_reads == 1


@pytest.mark.parametrize("check_mode", [False, True])
def test_a_run_that_changes_nothing_returns_the_object_as_found(check_mode: bool) -> None:
    resource = Settings({"settings": {"a": 1}}, {"a": 1}, {}, check_mode=check_mode)
    result = run(resource)
    assert result == {"changed": False, "changes": [], "settings": {"a": 1}}
    assert len(resource.presented) == 1 and resource.server.last_reads == 1


def test_check_mode_diff_predicts_the_object_after_from_the_one_found() -> None:
    resource = Settings({"settings": {"a": 1}}, {"a": 0, "b": 5}, {}, check_mode=True, diff_mode=True)
    result = run(resource)
    assert resource.writes == []
    assert result["diff"] == {"before": {"a": 0, "b": 5}, "after": {"a": 1, "b": 5}}
