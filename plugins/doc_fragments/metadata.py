# Copyright: (c) 2026, xen.xapi maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:
    """The other_config, tags and purge options of the modules that manage pool objects (networks, SRs, disks)."""

    # Keep in step with METADATA_ARGUMENT_SPEC in plugins/module_utils/_module.py.
    DOCUMENTATION = r"""
options:
  other_config:
    description:
      - Entries of the object's C(other_config) map. They are added to (or replace) the existing entries, unless
        O(purge=true).
    type: dict
  tags:
    description:
      - Tags of the object. Missing tags are added, unless O(purge=true).
    type: list
    elements: str
  purge:
    description:
      - Make O(other_config) and O(tags) exactly as given, removing entries and tags that are not listed.
    type: bool
    default: false
"""
