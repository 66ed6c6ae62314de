# Copyright: (c) 2026, xen.xapi maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Storage repositories (xen_sr) and the PBDs that attach them to hosts (xen_pbd).

- ``credentials``: which storage settings are secrets, and masking them (a leaf: xen_info needs only this);
- ``device_config``: storage settings with secrets (comparing what XAPI stores, hiding them from Ansible's logs);
- ``disk_users``: which running VMs use the disks of an SR;
- ``sr_plan`` / ``pbd_plan``: the pure decisions (what to change, what to refuse, what to show);
- ``sr_resource`` / ``pbd_resource``: the ``Resource`` classes that read and write through XAPI.
"""
