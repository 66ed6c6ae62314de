# Copyright: (c) 2026, xen.xapi maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The xen_vm module's families: each reads its part of a VM, diffs it and plans its operations.

    reader   one VM and everything around it, in a few batched calls (view)
    options  the module options, validated and converted (units, names)
    hardware vCPUs, topology, memory        boot      firmware, boot order, platform
    metadata description, tags, maps, ...  disks     virtual disks
    cdrom    the CD drive                   networks  virtual interfaces
    power    power state transitions        placement the host a running VM lives on
    guest    waiting for the guest agent    present   the VM as the module returns it
    create   new VMs from templates or other VMs
    resource the Resource tying them together for the shared reconcile path
"""
