# Copyright: (c) 2026, xen.xapi maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:
    """The guest_tools_timeout option of the modules that hot-plug devices or act on running guests."""

    DOCUMENTATION = r"""
options:
  guest_tools_timeout:
    description:
      - Seconds to wait for a running HVM guest's tools (PV drivers) before an operation that needs them, that is
        hot-plugging or unplugging a disk or network interface, a clean shutdown or reboot, suspending,
        taking a checkpoint, or live migration.
      - Guest tools come up some 20 to 60 seconds after a VM starts, so a change made right after a start waits
        for them, on events, and goes ahead as soon as they report. A guest that already runs its tools costs
        no wait and no extra call.
      - When the tools do not come up in time the module fails, saying what to do (install the tools, give
        O(ignore:force), or stop the VM first), and leaves nothing half-attached.
      - V(0) does not wait at all. PV and PVH guests never wait.
    type: int
    default: 180
notes:
  - A dropped connection or a lost answer does not fail a run. The module reconnects (to the same host, the
    master it names, then the fallback hosts), reads the pool again and carries on from what it finds, so a
    change whose answer was lost is never made twice. A run that fails after it has changed something
    returns C(changed=true), the changes it made and the step that failed.
"""
