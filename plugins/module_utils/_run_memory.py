# Copyright: (c) 2026, xen.xapi maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the last run of a task with the same options found, kept for the next one.

Configuration management runs the same tasks again and again, and once a pool matches them, most runs change
nothing. So each run of a module keeps whether it changed anything (and what its resource chooses to add, such as
xen_vm's references of the VM and its devices) in the user's cache (see _user_cache), one small JSON file per pool,
user, module and options: ``xen.xapi/runs/<SHA-256>.json``. The next run with the same options reads it first:

- when that run changed nothing, the module most likely changes nothing either, and its first read takes the
  logout along (a run that finds a change all the same logs in again first: a round trip more);
- what the resource added tells it which objects to read (never what they hold: records always come from the pool).

Options that may hold secrets (no_log ones, and those a resource names) stay out of the digest that names the file.
Files no run has written for FORGET_AFTER seconds are removed, by a run once a day at most.
"""

from __future__ import annotations

import json
import os
import typing as t

from ansible_collections.xen.xapi.plugins.module_utils import _user_cache

# Files of tasks not run for this long are removed (their options changed, or their objects went).
FORGET_AFTER = 90 * 24 * 3600
# A run looks for such files when the last look is older than this (the marker file's age tells).
TIDY_EVERY = 24 * 3600
_TIDY_MARKER = ".tidied"


class Memory(t.NamedTuple):
    """What the last run with the same options found: whether it changed anything, and what its resource kept."""

    changed: bool
    facts: t.Dict[str, t.Any]


def _location(kind: str, params: t.Mapping[str, t.Any], unkeyed: t.Collection[str]) -> t.Optional[t.Tuple[str, str]]:
    """(folder, file name) of the memory of ``kind``'s runs with these options; None when the user has no cache."""
    import hashlib  # pylint: disable=import-outside-toplevel  # here: only a run that uses the memory needs it

    folder = _user_cache.directory("runs")
    if folder is None:
        return None
    keyed = dict((option, value) for option, value in params.items() if option not in unkeyed)
    text = json.dumps({"kind": kind, "options": keyed}, sort_keys=True, default=str)
    return folder, hashlib.sha256(text.encode("utf-8")).hexdigest() + ".json"


def recall(kind: str, params: t.Mapping[str, t.Any], unkeyed: t.Collection[str] = ()) -> t.Optional[Memory]:
    """The last run of ``kind`` with these options, if one was kept (and its file is whole and the user's own)."""
    location = _location(kind, params, unkeyed)
    data = _user_cache.read_own(os.path.join(*location)) if location is not None else None
    if data is None:
        return None
    try:
        fields = json.loads(data.decode("utf-8"))
        changed, facts = fields["changed"], fields["facts"]
    except (ValueError, KeyError, TypeError):
        return None
    if not isinstance(changed, bool) or not isinstance(facts, dict):
        return None
    return Memory(changed, facts)


def keep(kind: str, params: t.Mapping[str, t.Any], changed: bool, facts: t.Mapping[str, t.Any],
         unkeyed: t.Collection[str] = ()) -> None:
    """Remember this run for the next with the same options; a cache that cannot be written keeps nothing."""
    location = _location(kind, params, unkeyed)
    if location is None:
        return
    try:
        _user_cache.write_whole(location[0], location[1], json.dumps({"changed": changed, "facts": dict(facts)}, sort_keys=True).encode("utf-8"))
        tidy(location[0])
    except OSError:
        pass  # nothing kept: the next run reads as if it were the first


def tidy(folder: str, now: t.Optional[float] = None) -> None:
    """Remove the files no run wrote for FORGET_AFTER seconds, when no run looked for them in TIDY_EVERY seconds."""
    import time  # pylint: disable=import-outside-toplevel  # here: only a run that writes needs it

    now = time.time() if now is None else now
    marker = os.path.join(folder, _TIDY_MARKER)
    try:
        if now - os.stat(marker).st_mtime < TIDY_EVERY:
            return
    except OSError:
        pass  # never looked: look now
    with open(marker, "w", encoding="utf-8"):
        pass  # (re)written first: forks running side by side look once
    for name in os.listdir(folder):
        path = os.path.join(folder, name)
        try:
            if name.endswith(".json") and now - os.stat(path).st_mtime > FORGET_AFTER:
                os.unlink(path)
        except OSError:
            pass  # removed by another run meanwhile
