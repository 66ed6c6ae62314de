# Copyright: (c) 2026, xen.xapi maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Virtual disks (VDI) and the drives that attach them to VMs (VBD), for xen_vdi and xen_vbd.

- ``lookup``: batched reads and resolving the names or uuids users type (SR, VDI, VM);
- ``vdi_transfer`` / ``disk_images``: image uploads (``import_from``) and content downloads (``export_to``);
- in-place setters shared with the other families are in ``_setters`` beside the engine;
- ``vdi_plan`` / ``vbd_plan``: the pure decisions (what to change, what to refuse, what to show);
- ``vdi_resource`` / ``vbd_resource``: the ``Resource`` classes that read and write through XAPI.
"""
