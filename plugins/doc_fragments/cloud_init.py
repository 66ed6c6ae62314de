# Copyright: (c) 2026, xen.xapi maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:
    """xen_vm's cloud_init option: the config drive a guest made from a cloud image reads at first boot."""

    # Keep in step with CLOUD_INIT_OPTIONS in plugins/modules/xen_vm.py.
    DOCUMENTATION = r"""
options:
  cloud_init:
    description:
      - First-boot configuration for guests made from cloud images. The module writes a config drive (a 10 MiB FAT16
        volume labelled C(cidata), with cloud-init's NoCloud files and the ConfigDrive v2 files beside them) into a
        new disk and attaches it to the VM as a read-write disk at a free slot, before the VM is started.
      - The drive's disk records the hash of its content; a run with the same content changes nothing, and new
        content replaces the drive. A guest reads the drive at its first boot, or again when the instance-id changes;
        a VM that is running gets the drive for its next boot, and the module says so.
      - An empty map (V(cloud_init={})) removes the drive.
      - The files are written as JSON where cloud-init reads YAML (JSON is YAML), except O(cloud_init.user_data) and
        O(cloud_init.vendor_data), which go on the drive as given.
      - The collection builds the volume itself, with the Python standard library, so nothing needs installing where
        the module runs; PyYAML, which Ansible brings, is used to check C(#cloud-config) documents when present.
    type: dict
    suboptions:
      user_data:
        description:
          - The user data, usually a C(#cloud-config) document (users, SSH keys, packages, commands) or a script.
          - A C(#cloud-config) document is checked as YAML before anything is written (where PyYAML is installed).
        type: str
      meta_data:
        description:
          - Entries of the meta data. C(instance-id) defaults to the VM's uuid (stable for the VM's life) and
            C(local-hostname) to the VM's name.
        type: dict
      network_config:
        description:
          - cloud-init network configuration (version 1 or 2), as a map or as YAML text. Exclusive with
            O(cloud_init.network).
        type: raw
      network:
        description:
          - Static addressing without writing network configuration, one item per network interface; rendered into
            a version 2 C(network_config) whose interfaces are matched by their MAC addresses.
          - An item without O(cloud_init.network[].address) asks for DHCP on that interface.
        type: list
        elements: dict
        suboptions:
          device:
            description:
              - The interface's device number (0 for the first network interface).
            type: int
            default: 0
          address:
            description:
              - The address with its prefix length, such as V(192.0.2.10/24) or V(2001:db8::10/64).
            type: str
          gateway:
            description:
              - The default gateway reached through this interface.
            type: str
          dns:
            description:
              - Name servers.
            type: list
            elements: str
      vendor_data:
        description:
          - Vendor data, written as given.
        type: str
      sr:
        description:
          - The SR (name or uuid) of the drive's disk. Defaults to the SR of the VM's first disk, else the pool's
            default SR.
        type: str
      remove_after_boot:
        description:
          - Remove the drive once the guest has booted with it (its agent has reported), at the first run that finds
            it so; the VM's C(other_config) then records the content delivered (key C(xen.xapi:cloud-init-delivered),
            kept by O(purge_other_config)), so that later runs with the same content do not write the drive again.
          - Run with O(wait_for_ip=true) to let the guest boot in the same run; the drive then goes at the next run.
        type: bool
        default: false
"""
