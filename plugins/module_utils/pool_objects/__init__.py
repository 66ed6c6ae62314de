# Copyright: (c) 2026, xen.xapi maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pool-wide networking and storage: networks and their VLANs (xen_network), storage repositories
(xen_sr) and the PBDs that attach them to hosts (xen_pbd).

- ``hosts``: resolving host names and ordering work around the pool master;
- ``device_config``: storage settings with secrets (masking, no_log, comparing what XAPI stores);
- ``disk_users``: which running VMs use the disks of an SR;
- ``*_plan`` and ``network_removal``: the pure decisions (what to change, what to refuse, what to show);
- ``*_resource``: the ``Resource`` classes that read and write through XAPI.
"""
