# Copyright: (c) 2026, xen.xapi maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one reconcile path every resource module follows.

    round := locate ─▶ plan (each family diffs its own options) ─▶ check mode stops here ─▶ apply
    rounds until applied (a dropped connection starts a new round from a fresh read) ─▶ report

A module describes its object with a `Resource` subclass: how to find it, what to create, which
changes its options ask for, how to delete it and how to present it. `reconcile` does the rest,
so check mode, diff mode, recovery from lost connections and the shape of results (including
those of a run that fails after it wrote) are decided here and nowhere else.
"""

from __future__ import annotations

import copy
import dataclasses
import typing as t

from ansible_collections.xen.xapi.plugins.module_utils import _journal, _module, _run_memory, _validate as validate
from ansible_collections.xen.xapi.plugins.module_utils._xapi import client as xapi_client, errors, naming, query, tasks

Record = t.Dict[str, t.Any]
Found = t.Optional[t.Tuple[str, Record]]
__all__ = ["BatchedResource", "Change", "Found", "Record", "Resource", "field_change", "merge_map", "one_or_none",
           "reconcile", "string_map", "xapi_text"]

# Rounds of one run after dropped connections: a few in a row that get nothing done end the run, and
# so does a larger total, however slowly it progresses.
MAX_ROUNDS_WITHOUT_PROGRESS = 4
MAX_ROUNDS = 12


@dataclasses.dataclass
class Change:
    """One planned change: what the user sees (option, before, after) and how to make it.

    `predict` applies the change to the object as the module returns it, for the diff of check mode;
    without it, a change whose option is a key of the object sets that key to `after`.
    """

    option: str
    before: t.Any
    after: t.Any
    apply: t.Callable[[], None]
    predict: t.Optional[t.Callable[[Record], None]] = None
    #: the changes that can only be decided once this one is applied (e.g. the reboot applied updates ask for);
    #: they run right after it, and are reported only if they happen.
    follow_up: t.Optional[t.Callable[[], t.List["Change"]]] = None


class Resource:
    """What a module knows about its kind of object. Subclasses override the hooks they need."""

    #: the key under which the object is returned, e.g. "vdi"
    result_key = "object"
    #: options besides no_log ones that may hold secrets: kept out of the digest naming the run memory's file
    unkeyed_options: t.Tuple[str, ...] = ()

    def __init__(self, module: _module.XapiModule, client: xapi_client.XapiClient) -> None:
        self.module = module
        self.client = client
        self.params = module.params
        self.journal = _journal.Journal()
        #: what the last run with the same options found (see _run_memory), None when unknown; set by reconcile
        self.last_run: t.Optional[_run_memory.Memory] = None

    @property
    def reads_at_once(self) -> bool:
        """Whether a run that changes nothing reads all it needs in its first round trip, so that the logout can go
        with that read when the last run with the same options changed nothing (see _run_memory). Asked once
        ``last_run`` is set; a class whose answer never depends on it sets ``reads_at_once = True``."""
        return False

    # -- hooks ------------------------------------------------------------------------------
    def locate(self) -> Found:
        """The (ref, record) the options name, None if absent; ResourceError if ambiguous."""
        raise NotImplementedError

    def plan_create(self) -> t.Callable[[], str]:
        """Validate the options for a new object; return the function that creates it (-> ref)."""
        raise NotImplementedError

    def plan_update(self, ref: str, record: Record) -> t.List[Change]:
        """The changes the options ask for on an existing object (empty when it already matches)."""
        return []

    def plan_delete(self, ref: str, record: Record) -> t.List[Change]:
        """The steps that remove the object (several when it must first be detached)."""
        raise NotImplementedError

    def present(self, ref: t.Optional[str]) -> Record:
        """The object as returned to the user (re-read after changes); {} when absent."""
        raise NotImplementedError

    @classmethod
    def check_params(cls, params: t.Mapping[str, t.Any]) -> None:
        """Refuse bad input before connecting (ResourceError naming the option); the common options are checked too."""

    def wanted_state(self) -> str:
        return self.params.get("state") or "present"

    def new_round(self) -> None:
        """A connection dropped: forget what was read, the next round reads the pool again."""

    def predict_created(self) -> Record:
        """The object plan_create would make, as present() would return it (uuid unknown: None), for check mode."""
        return {}

    def create_steps(self) -> t.List[Change]:
        """The steps a creation takes after making the object (settings, power), as planned by plan_create."""
        return []

    def settle_changes(self, done: t.List[Record], after: Record) -> None:
        """Replace predicted values in the reported changes by what the run produced (e.g. uuids XAPI chose)."""

    def facts_to_keep(self, result: Record) -> t.Dict[str, t.Any]:
        """What the next run with the same options gets in ``last_run.facts``, once this one succeeded with
        ``result`` (in check mode too); nothing by default."""
        return {}


class BatchedResource(Resource):
    """A resource that reads every class it needs in one ``query.snapshot``, cached until it writes.

    ``world()`` is that snapshot; ``call`` (a quick database change) and ``run_task`` (an operation run
    as a task and waited for on events) make it stale, so the next ``world()`` (e.g. in ``present``)
    reads again.

    Objects of ``related_class`` that the records point to (the VMs behind a disk's drives) are read by reference
    with ``related()``: those the last run with the same options needed, and those this run needed already, come with
    every snapshot; others cost one more call when first needed.
    """

    #: the XAPI classes ``world()`` reads, e.g. ("SR", "PBD", "host")
    read_classes: t.Sequence[str] = ()
    #: the class of the objects ``related()`` reads by reference (not one of read_classes), if any
    related_class: t.Optional[str] = None

    @property
    def reads_at_once(self) -> bool:
        # With related objects, only once the last run said which ones it needed (none, or read with the snapshot).
        return self.related_class is None or remembered_refs(self.last_run) is not None

    def __init__(self, module: _module.XapiModule, client: xapi_client.XapiClient) -> None:
        super().__init__(module, client)
        self._world: t.Optional[query.Snapshot] = None
        self._related: t.Dict[str, Record] = {}
        self._related_refs: t.Set[str] = set()
        self.timeout = float(self.params.get("task_timeout") or tasks.DEFAULT_TASK_TIMEOUT)

    def world(self) -> query.Snapshot:
        if self._world is None:
            known = self._related_refs | set(remembered_refs(self.last_run) or ())
            objects = {self.related_class: known} if self.related_class and known else None
            world = query.snapshot(self.client, self.read_classes, objects)
            # As records of this read, never as kept: the memory only says which objects to read.
            self._related = world.pop(self.related_class, {}) if self.related_class else {}
            self._world = world
        return self._world

    def related(self, refs: t.Iterable[str]) -> t.Dict[str, Record]:
        """The records of these ``related_class`` objects that exist: read with the snapshot, or now in one call."""
        wanted = set(refs)
        self.world()
        self._related_refs |= wanted
        missing = wanted - set(self._related)
        if missing and self.related_class:
            self._related.update(query.snapshot(self.client, objects={self.related_class: missing})[self.related_class])
        return dict((ref, self._related[ref]) for ref in wanted if ref in self._related)

    def facts_to_keep(self, result: Record) -> t.Dict[str, t.Any]:
        return {"related": sorted(self._related_refs)} if self.related_class else {}

    def forget_reads(self) -> None:
        self._world = None
        self._related = {}

    def new_round(self) -> None:
        self.forget_reads()

    def call(self, method: str, *args: t.Any) -> t.Any:
        self.forget_reads()
        return self.client.call(method, *args)

    def run_task(self, method: str, *args: t.Any) -> t.Any:
        self.forget_reads()
        return tasks.run_async(self.client, method, *args, timeout=self.timeout)

    def change_state(self, method: str, ref: str, *args: t.Any) -> None:
        """A quick operation that brings the object to a state (a plug), in one plain call (run_state_change)."""
        self.forget_reads()
        tasks.run_state_change(self.client, method, ref, *args, timeout=self.timeout)


def remembered_refs(memory: t.Optional[_run_memory.Memory]) -> t.Optional[t.List[str]]:
    """The related objects the last run with the same options needed (see BatchedResource); None if it kept none."""
    refs = memory.facts.get("related") if memory is not None else None
    return [str(ref) for ref in refs] if isinstance(refs, list) else None


def reconcile(module: _module.XapiModule, resource_class: t.Type[Resource],
              report: t.Optional[t.Callable[[t.Any], Record]] = None) -> t.NoReturn:
    """Run one module invocation through the shared path and exit with its result.

    ``report(resource)``, when given, adds keys to the result once the run is over (after the writes,
    or before any in check mode), e.g. the object's siblings.
    """
    try:
        validate.common_options(module.params)
        resource_class.check_params(module.params)
    except errors.ResourceError as err:
        module.fail(err.msg, **err.details)
    with module.client() as client:
        resource = resource_class(module, client)
        kind, unkeyed = resource_class.__name__, module.secret_options | frozenset(resource_class.unkeyed_options)
        resource.last_run = last = _run_memory.recall(kind, module.params, unkeyed)
        if last is not None and not last.changed and resource.reads_at_once and report is None:
            # Most likely a no-op again: its one read takes the logout along (a change found after logs in again).
            client.end_with_next_read()
        try:
            result = _reconcile(module, resource, reads_after=report is not None)
            if report is not None:
                result.update(report(resource))
            _run_memory.keep(kind, module.params, bool(result.get("changed")), resource.facts_to_keep(result), unkeyed)
        except errors.ResourceError as err:
            journal = resource.journal
            module.fail(journal.failure_message(err.msg), **dict(err.details, **journal.failure_details()))
        except errors.XapiBaseError as err:
            journal = resource.journal
            if isinstance(err, errors.XapiError):
                err.display = naming.named(client, err)
            module.fail_from_error(err, prefix=journal.failed_step_prefix(), suffix=journal.failure_suffix(),
                                   **journal.failure_details())
    module.exit(**result)


class Plan(t.NamedTuple):
    """What one round found and what it would do."""

    ref: t.Optional[str]
    create: t.Optional[t.Callable[[], str]]
    changes: t.List[Change]
    state: str

    @property
    def changed(self) -> bool:
        return bool(self.create or self.changes)


def _plan(resource: Resource) -> Plan:
    """Read the object as the pool holds it now and plan what the options ask of it (reads only)."""
    found = resource.locate()
    state = resource.wanted_state()
    ref, record = found if found else (None, None)
    create: t.Optional[t.Callable[[], str]] = None
    changes: t.List[Change] = []
    if state == "absent":
        if ref is not None and record is not None:
            changes = resource.plan_delete(ref, record)
    elif ref is None:
        create = resource.plan_create()
    elif record is not None:
        changes = resource.plan_update(ref, record)
    return Plan(ref, create, changes, state)


def _reconcile(module: _module.XapiModule, resource: Resource, reads_after: bool = False) -> Record:
    """Rounds of read, plan, apply until the object matches, bounded.

    A connection that drops, or an answer that never comes, ends the round: the next one reads the
    pool again and plans against what it now holds, so a write whose answer was lost is never sent
    again blindly (the new plan no longer asks for it if it happened). What earlier rounds did stays
    in the journal, and so in `changes`. Unless ``reads_after`` (a report reads more once the run is over), the
    read that presents the object at the end of the run carries the logout (XapiClient.end_with_next_read).
    """
    journal = resource.journal
    idle_rounds = 0
    while True:
        journal.rounds += 1
        progress = journal.progress
        try:
            return _round(module, resource, reads_after)
        except errors.XapiConnectionError as err:
            idle_rounds = 0 if journal.progress != progress else idle_rounds + 1
            if not err.recoverable or idle_rounds >= MAX_ROUNDS_WITHOUT_PROGRESS or journal.rounds >= MAX_ROUNDS:
                raise
            journal.connection_lost()
            resource.new_round()


def _round(module: _module.XapiModule, resource: Resource, reads_after: bool = False) -> Record:
    journal = resource.journal
    plan = _plan(resource)
    journal.settle(plan.ref is not None, plan.changes)
    first_round = not journal.planned
    stops_here = first_round and (module.check_mode or not plan.changed)
    if first_round and (module.check_mode or module.diff_mode or not plan.changed):
        # The object as found is shown only by check mode, diff mode and a run that changes nothing; a run that
        # writes returns the object as it is after. Presenting can cost reads (a VM's disks), so only when shown.
        # Planning only reads: presented after it, the object is still as the run found it.
        journal.before = _present(resource, plan.ref, last=stops_here and not reads_after) if plan.ref else {}
    journal.planned = True
    if stops_here:
        # Check mode stops here: nothing below this line runs, so nothing is written.
        before = journal.before or {}
        steps = (resource.create_steps() if plan.create else []) + plan.changes
        result: Record = {"changed": plan.changed, "changes": ([_journal.CREATED] if plan.create else []) + [_journal.describe(c) for c in steps],
                          resource.result_key: before}
        if module.diff_mode:
            result["diff"] = {"before": before, "after": _predicted_after(resource, plan, before, steps)}
        return result
    ref = plan.ref
    if plan.create is not None:
        journal.begin_create()
        ref = plan.create()
        journal.object_created()
        journal.current = None
    for change in plan.changes:
        _apply(journal, change)
    after = {} if plan.state == "absent" else _present(resource, ref, last=not reads_after)
    resource.settle_changes(journal.done, after)
    result = {"changed": journal.wrote, "changes": list(journal.done), resource.result_key: after}
    if module.diff_mode:
        result["diff"] = {"before": journal.before or {}, "after": after}
    return result


def _present(resource: Resource, ref: t.Optional[str], last: bool) -> Record:
    """The object as returned to the user; when nothing is read after it, its read takes the logout along."""
    if last:
        resource.client.end_with_next_read()
    return resource.present(ref)


def _apply(journal: _journal.Journal, change: Change) -> None:
    journal.run(change)
    if change.follow_up is not None:
        for next_change in change.follow_up():
            _apply(journal, next_change)


def _predicted_after(resource: Resource, plan: Plan, before: Record, steps: t.List[Change]) -> Record:
    """The object as the real run would return it, for the diff of check mode: same keys, same kinds of values."""
    if plan.state == "absent":
        return {}
    after = resource.predict_created() if plan.create is not None else copy.deepcopy(before)
    for change in steps:
        if change.predict is not None:
            change.predict(after)
        elif change.option in after:
            after[change.option] = copy.deepcopy(change.after)
    return after


# -- helpers shared by resources -----------------------------------------------------------------

def one_or_none(matches: t.List[t.Tuple[str, Record]], what: str, key: str) -> Found:
    """The single match, None for none; several matches fail listing their uuids."""
    if not matches:
        return None
    if len(matches) > 1:
        uuids = sorted(match[1]["uuid"] for match in matches)
        raise errors.ResourceError("{0} {1!r} matches {2} objects ({3}); give its uuid instead.".format(what, key, len(uuids), ", ".join(uuids)),
                                   uuids=uuids)
    return matches[0]


def xapi_text(value: t.Any) -> str:
    """A value as XAPI writes it in a (string -> string) map: booleans true/false, numbers as plain text."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def string_map(wanted: t.Optional[t.Mapping[t.Any, t.Any]]) -> t.Optional[t.Dict[str, str]]:
    """A map option as XAPI stores it (YAML's true becomes "true", not "True"); None stays None."""
    if wanted is None:
        return None
    return dict((str(key), xapi_text(value)) for key, value in wanted.items())


def merge_map(current: t.Mapping[str, str], wanted: t.Optional[t.Mapping[str, t.Any]], purge: bool) -> t.Optional[t.Dict[str, str]]:
    """The map a `(string -> string) map` option asks for: merged into the current one, or exact with purge.

    Returns None when nothing changes, so callers can skip the field.
    """
    if wanted is None:
        return None
    wanted_str = string_map(wanted) or {}
    target = wanted_str if purge else dict(current, **wanted_str)
    return None if target == dict(current) else target


def field_change(option: str, before: t.Any, after: t.Any, apply: t.Callable[[], None]) -> t.List[Change]:
    """A one-element change list when the value differs (the common case for setters), else []."""
    return [] if before == after else [Change(option, before, after, apply)]
