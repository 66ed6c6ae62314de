# Copyright: (c) 2026, xen.xapi maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Make the checkout importable as ansible_collections.xen.xapi, wherever it was cloned."""

from __future__ import annotations

import atexit
import os
import pathlib
import shutil
import sys
import tempfile

REPO_ROOT = pathlib.Path(__file__).resolve().parents[2]


def _collections_path() -> str:
    """A directory holding ansible_collections/xen/xapi that is this checkout.

    A checkout already placed at .../ansible_collections/xen/xapi (as ansible-test arranges) is
    used as is; otherwise a temporary directory with a symbolic link to the checkout is made.
    """
    if REPO_ROOT.parts[-3:] == ("ansible_collections", "xen", "xapi"):
        return str(REPO_ROOT.parents[2])
    root = tempfile.mkdtemp(prefix="xen-xapi-unit-")
    atexit.register(shutil.rmtree, root, True)
    namespace_dir = os.path.join(root, "ansible_collections", "xen")
    os.makedirs(namespace_dir)
    os.symlink(str(REPO_ROOT), os.path.join(namespace_dir, "xapi"), target_is_directory=True)
    return root


_PATH = _collections_path()
if _PATH not in sys.path:
    sys.path.insert(0, _PATH)
