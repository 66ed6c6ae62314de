# Copyright: (c) 2026, xen.xapi maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The collection's files in the cache directory of the user running the modules: ``$XDG_CACHE_HOME/xen.xapi``
(``~/.cache/xen.xapi`` when XDG_CACHE_HOME is not set).

What a module keeps there only spares work (compiling, round trips); the module does the same without it. So a
file is read back only when this user wrote it and no one else can change it, is written whole or not at all (to
a scratch file beside it, then renamed: forks of a play run modules side by side), with mode 0600 in directories
of mode 0700, and a directory that cannot be made or written (read-only home, no home) only means nothing is kept.
"""

from __future__ import annotations

import os
import stat
import typing as t


def directory(*parts: str) -> t.Optional[str]:
    """``$XDG_CACHE_HOME/xen.xapi/<parts>``, or None when the user has no usable cache directory."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    if not os.path.isabs(base) or not hasattr(os, "geteuid"):
        return None
    return os.path.join(base, "xen.xapi", *parts)


def read_own(path: str) -> t.Optional[bytes]:
    """The file's bytes if this user owns it and only this user can write it; None otherwise (or when missing)."""
    try:
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return None
    with os.fdopen(descriptor, "rb") as stream:
        status = os.fstat(stream.fileno())
        if status.st_uid != os.geteuid() or status.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
            return None
        return stream.read()


def write_whole(folder: str, name: str, data: bytes) -> None:
    """Write ``folder/name`` whole or not at all (another run may be reading or writing it). Raises OSError."""
    import tempfile  # pylint: disable=import-outside-toplevel  # here: only a run that writes needs it

    os.makedirs(folder, mode=0o700, exist_ok=True)
    descriptor, scratch = tempfile.mkstemp(dir=folder, prefix="." + name, suffix=".tmp")  # mode 0600
    try:
        with os.fdopen(descriptor, "wb") as stream:
            stream.write(data)
        os.replace(scratch, os.path.join(folder, name))
    except BaseException:
        os.unlink(scratch)
        raise
