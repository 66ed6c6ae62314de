# Copyright: (c) 2026, xen.xapi maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Shared `attributes` documentation: check mode, diff mode and the action group."""

from __future__ import annotations


class ModuleDocFragment:
    DOCUMENTATION = r"""
options: {}
attributes:
  action_group:
    description: Use C(group/xen.xapi.xapi) in C(module_defaults) to set the connection options once for all modules.
    support: full
    membership:
      - xen.xapi.xapi
"""

    # Modules that only read.
    INFO = r"""
options: {}
attributes:
  check_mode:
    description: The module only reads, so it runs normally in check mode.
    support: full
  diff_mode:
    description: The module changes nothing, so there is no diff.
    support: N/A
"""

    # Modules that create, change or remove objects through the shared reconcile path.
    RESOURCE = r"""
options: {}
attributes:
  check_mode:
    description: Check mode reports the changes that would be made and makes no write call.
    support: full
  diff_mode:
    description: Returns the object before and after the change (predicted in check mode).
    support: full
notes:
  - Each run keeps whether it changed anything in a small file in the cache directory of the user running the module,
    C($XDG_CACHE_HOME/xen.xapi/runs/) (C(~/.cache/xen.xapi/runs/) by default), one per pool, user, module and
    options, named by a digest that leaves out the options declared C(no_log). When the last run with the same options
    changed nothing, the next one most likely changes nothing either, and a module that reads all it needs at once
    sends its logout with that read; should it find a change all the same, it logs in again first. What the pool
    holds is always read from the pool. Files no run has written for 90 days are removed; removing the directory is
    always safe.
"""
