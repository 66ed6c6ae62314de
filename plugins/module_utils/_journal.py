# Copyright: (c) 2026, xen.xapi maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What one module run has done, kept across the rounds of the reconcile loop.

A round reads the pool, plans and applies. When a connection drops the round ends and the next one
plans again from a fresh read; the journal is what survives: the changes made so far (reported as
`changes`), the change whose answer was lost until a fresh read tells whether it happened, objects
made on the way that a later round must reuse rather than make twice, and, when the run fails, the
step it failed at. Pure bookkeeping: it never talks to the server.
"""

from __future__ import annotations

import typing as t

Record = t.Dict[str, t.Any]

#: how a creation is reported in `changes`
CREATED: Record = {"option": "state", "before": "absent", "after": "present"}


class Step(t.Protocol):
    """A planned change, as the journal needs it (the engine's Change)."""

    option: str
    before: t.Any
    after: t.Any

    def apply(self) -> None:
        ...  # pragma: no cover


def describe(change: Step) -> Record:
    """A change as users see it in `changes`."""
    return {"option": change.option, "before": change.before, "after": change.after}


class Journal:
    """The record of one run: see the module docstring."""

    def __init__(self) -> None:
        self.done: t.List[Record] = []
        # The object as the first round found it (shown by check and diff mode), and whether a round has planned.
        self.before: t.Optional[Record] = None
        self.planned = False
        self.rounds = 0
        self.current: t.Optional[Record] = None
        self.uncertain: t.Optional[Record] = None
        self.failed: t.Optional[Record] = None
        self._created: t.Dict[str, str] = {}
        self._remembered = 0
        self._creating = False

    @property
    def wrote(self) -> bool:
        """Whether the run has changed anything so far."""
        return bool(self.done)

    @property
    def progress(self) -> int:
        """A number that grows whenever the run gets something done (a change, an object made on the way)."""
        return len(self.done) + self._remembered

    # -- applying ----------------------------------------------------------------------------
    def run(self, change: Step) -> None:
        """Apply one change, recording it once it has taken effect."""
        self.current = describe(change)
        change.apply()
        self.done.append(self.current)
        self.current = None

    def begin_create(self) -> None:
        self._creating = True
        self.current = dict(CREATED)

    def begin(self, option: str, before: t.Any, after: t.Any) -> None:
        """Name the step under way inside a larger one (e.g. the VLAN of a network being made), for failure reports."""
        self.current = {"option": option, "before": before, "after": after}

    def object_created(self) -> None:
        """The object now exists (called by multi-step creations as soon as it does, then by the engine)."""
        if self._creating:
            self._creating = False
            self.done.append(dict(CREATED))
            self.current = None

    # -- objects made on the way, to be found again by later rounds ------------------------------
    def remember(self, key: str, ref: str) -> None:
        self._created[key] = ref
        self._remembered += 1

    def recall(self, key: str) -> t.Optional[str]:
        return self._created.get(key)

    def forget(self, key: str) -> None:
        self._created.pop(key, None)

    # -- lost answers --------------------------------------------------------------------------
    def connection_lost(self) -> None:
        """The round ended on a dropped connection: the step under way may or may not have happened."""
        if self.current is not None:
            self.uncertain = self.current
        self.current = None

    def settle(self, found: bool, planned: t.Sequence[Step]) -> None:
        """Decide, from a fresh plan, whether the step whose answer was lost took effect.

        A creation happened if the object is now found; any other change happened if the new plan
        no longer asks for it. Either way it is then no longer uncertain.
        """
        step, self.uncertain = self.uncertain, None
        if step is None:
            return
        if step == CREATED:
            if found and self._creating:
                self.object_created()
            return
        if not any(change.option == step["option"] and change.after == step["after"] for change in planned):
            self.done.append(step)

    # -- failures --------------------------------------------------------------------------------
    def failure_details(self) -> Record:
        """What a failed run returns besides its message: whether and what it changed, and where it failed."""
        details: Record = {"changed": self.wrote, "changes": list(self.done)}
        step = self.current or self.uncertain
        if step is not None:
            details["failed_step"] = step
        return details

    def failed_step_prefix(self) -> str:
        step = self.current or self.uncertain
        if step is None:
            return ""
        return "{0} ({1} -> {2}) failed: ".format(step["option"], _short(step["before"]), _short(step["after"]))

    def failure_suffix(self) -> str:
        if not self.done:
            return ""
        return " Before it failed, the run made these changes: {0}.".format(", ".join(c["option"] for c in self.done))

    def failure_message(self, message: str) -> str:
        return self.failed_step_prefix() + message + self.failure_suffix()


def _short(value: t.Any) -> str:
    text = "absent" if value is None else str(value)
    return text if len(text) <= 60 else text[:57] + "..."
