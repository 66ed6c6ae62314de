# Copyright: (c) 2026, xen.xapi maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""In-place changes shared by the resources (setters of names, maps and tags), kept as plain data so the plans
can be unit-tested: one ``Setter`` per XAPI ``set_`` call, turned into the engine's changes by ``setter_changes``."""

from __future__ import annotations

import dataclasses
import typing as t

from ansible_collections.xen.xapi.plugins.module_utils import _engine


@dataclasses.dataclass(frozen=True)
class Setter:
    """One in-place change made by one XAPI call, ``<method>(ref, value)``.

    ``option`` is the returned key it shows under (so diff mode predicts the right field); before and
    after are what the user sees, value is what is sent.
    """

    option: str
    before: t.Any
    after: t.Any
    method: str
    value: t.Any


def setter_changes(ref: str, setters: t.Iterable[Setter], call: t.Callable[..., t.Any]) -> t.List[_engine.Change]:
    """The engine's changes for ``setters`` on object ``ref``, each applied as ``call(method, ref, value)``."""
    return [_engine.Change(setter.option, setter.before, setter.after, _bound_call(call, setter.method, ref, setter.value)) for setter in setters]


def _bound_call(call: t.Callable[..., t.Any], method: str, ref: str, value: t.Any) -> t.Callable[[], None]:
    return lambda: call(method, ref, value)


def setter_if_changed(option: str, before: t.Any, wanted: t.Any, method: str) -> t.List[Setter]:
    """A one-element list when the option is set (not None) and differs from the current value."""
    if wanted is None or wanted == before:
        return []
    return [Setter(option, before, wanted, method, wanted)]


def map_setter(option: str, current: t.Mapping[str, str], wanted: t.Optional[t.Mapping[str, t.Any]], purge: bool, method: str) -> t.List[Setter]:
    """The setter for a string map option, merged into the current map or exact with purge."""
    target = _engine.merge_map(current, wanted, purge)
    if target is None:
        return []
    return [Setter(option, dict(current), target, method, target)]


def tags_setter(current: t.Sequence[str], wanted: t.Optional[t.Sequence[str]], purge: bool, method: str) -> t.List[Setter]:
    """The setter for a tags option: missing tags added (order kept), or exactly the given ones with purge."""
    if wanted is None:
        return []
    wanted_list = [str(tag) for tag in wanted]
    if purge:
        target = list(dict.fromkeys(wanted_list))
        changed = sorted(target) != sorted(current)
    else:
        target = list(current) + [tag for tag in dict.fromkeys(wanted_list) if tag not in current]
        changed = len(target) != len(current)
    return [Setter("tags", list(current), target, method, target)] if changed else []


def applied_together(items: t.Sequence[t.Tuple[str, t.Any, t.Any]], apply: t.Callable[[], None]) -> t.List[_engine.Change]:
    """One reported change per (option, before, after), all made by a single action (e.g. recreating a drive).

    The action runs once, when the last of them is applied; the others only report.
    """
    changes = [_engine.Change(option, before, after, _nothing) for option, before, after in items]
    if changes:
        changes[-1].apply = apply
    return changes


def _nothing() -> None:
    """The apply step of a change whose work is done by a later change of the same group."""
