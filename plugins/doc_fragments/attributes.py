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
"""
