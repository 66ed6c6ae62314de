# Copyright: (c) 2026, xen.xapi maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""VMs: the xen_vm module's option families, and VM snapshots (xen_vm_snapshot).

Each family reads its part of a VM, diffs it and plans its operations:

    view      one VM and everything around it, as read
    reader    how it is read, in a few batched calls
    options   the module options, checked and converted (units, list items)
    common    the planning context, changes that need the VM halted, map writers
    hardware  vCPUs, topology, memory
    boot      firmware, boot order, platform flags
    metadata  name, description, tags, maps, affinity, HA priority, template flag
    disks     virtual disks                 slots     device slots of new drives
    cdrom     the CD drive                  networks  virtual network interfaces
    power     power state transitions       placement the host a running VM lives on
    guest     waiting for the guest agent   present   the VM as the module returns it
    create    new VMs from templates, VMs or snapshots
    resource  the Resource tying them together for the shared reconcile path

Snapshots:

    snapshots          a VM's snapshot family: finding, retention, what a revert leaves out
    snapshot_resource  the Resource of xen_vm_snapshot (take, revert, remove)
"""
