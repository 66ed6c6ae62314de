#!/usr/bin/python
# Copyright: (c) 2026, xen.xapi maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""xen_vm: the whole VM lifecycle, idempotent, in a handful of API calls."""

from __future__ import annotations

DOCUMENTATION = r"""
module: xen_vm
short_description: Create, configure, power and remove virtual machines on a XenServer or XCP-ng pool
version_added: 0.1.0
description:
  - Makes a VM match what the options declare, changing only what differs, and reports each change.
  - Creates VMs from a template (fast clone or full copy, then provisioning of the template's disks) or from
    a halted VM or a snapshot (copied as is).
  - Manages the power state, vCPUs, memory, firmware, boot order, platform flags, metadata, virtual disks,
    the CD drive, network interfaces and the host a running VM lives on.
  - A run that changes nothing reads the VM, its devices, disks and the pool objects they refer to with one call per
    class, the reads that do not depend on each other sent together, so it makes at most twelve API calls (eleven
    without O(template) or O(source), which is read with the VM in case it must be made), login and logout included,
    in four round trips, the logout sent with the read of the disks. A run with the same options as an earlier one
    on the same machine reads the VM, its devices and its disks in one round trip (three in all), by the references
    that run found, and when that run changed nothing, sends the logout with them too (two round trips in all). A
    run that changes the VM sends its logout together with the read that reports the VM after; one that finds a
    change only once its session ended with a read logs in again first.
author:
  - xen.xapi maintainers (@xen-xapi)
extends_documentation_fragment:
  - xen.xapi.connection
  - xen.xapi.attributes
  - xen.xapi.attributes.RESOURCE
  - xen.xapi.guest_tools
  - xen.xapi.cloud_init
options:
  name:
    description:
      - The VM's name (C(name_label)). Snapshots, control domains and the pool's default templates never match; a
        template made from a VM (O(is_a_template=true)) does, after the plain VMs of that name.
      - A name that several VMs share fails, listing their uuids; give O(uuid) then.
      - With O(uuid), the VM found by uuid is renamed to this name.
      - Required to create a VM.
    type: str
    aliases: [name_label]
  uuid:
    description:
      - The VM's uuid. Takes precedence over O(name) to find the VM.
      - A VM is never created with a given uuid; an unknown uuid fails unless O(state=absent).
    type: str
  state:
    description:
      - V(present) makes sure the VM exists with the given settings, whatever its power state.
      - V(running), V(halted), V(suspended) and V(paused) also bring it to that power state.
      - V(halted) shuts the VM down cleanly within O(shutdown_timeout); only with O(force=true) does it fall
        back to a hard shutdown, and only then may a suspended VM be halted (losing its saved memory).
      - V(restarted) reboots a running VM (cleanly, hard with O(force=true)) and starts a halted one; it always
        reports a change.
      - V(absent) stops the VM if needed (a clean shutdown, then a hard one) and destroys it, with the disks
        only it uses unless O(keep_disks=true).
      - A halted VM cannot become suspended, and a template cannot run.
    type: str
    choices: [present, absent, running, halted, suspended, paused, restarted]
    default: present
  template:
    description:
      - The template (name or uuid) to create the VM from when it does not exist.
      - The VM is a fast clone of it (O(linked_clone=true)) or a full copy into O(sr), then provisioned
        (the disks the template describes are created on O(sr), or the pool's default SR).
      - If provisioning fails, the copy is removed again with any disk made for it, and the error says so; a
        connection that drops between the copy and the provisioning does not stop the run, which finishes its copy.
    type: str
  source:
    description:
      - A halted VM or a snapshot (name or uuid) to create the VM from when it does not exist. It is copied as is,
        without provisioning. Exclusive with O(template).
    type: str
  linked_clone:
    description:
      - Create the VM as a fast, copy-on-write clone whose disks share the source's SR (V(true)), or as a full
        copy of the source's disks into O(sr) (V(false)).
    type: bool
    default: true
  sr:
    description:
      - SR (name or uuid) for a full copy (O(linked_clone=false)), for the disks provisioning creates, and for new
        disks of O(disks) that name no SR. Without it, the pool's default SR is used.
    type: str
  force:
    description:
      - Allow hard shutdowns and reboots when the clean ones fail or time out.
      - Allow changes that need the VM halted (O(vcpus_max), fewer O(vcpus), O(cores_per_socket), the static memory,
        O(firmware), a new CD drive on a running HVM guest, ...) on a VM that is not. It is shut down, changed and
        brought back to its state. Without it such changes fail, listing them.
    type: bool
    default: false
  shutdown_timeout:
    description:
      - Seconds a clean shutdown or reboot may take.
    type: int
    default: 120
  task_timeout:
    description:
      - Seconds each other long operation (clone, copy, provisioning, start, disk creation, migration) may take.
      - When one does not finish in time, its task is cancelled and the module fails, reporting what it changed
        before.
    type: int
    default: 1800
  keep_disks:
    description:
      - With O(state=absent), and for disks removed by O(purge_disks), keep the virtual disks instead of destroying them.
    type: bool
    default: false
  vcpus:
    description:
      - Number of vCPUs the VM starts with. A running VM gets more vCPUs live, up to O(vcpus_max); fewer need it halted.
      - Without O(vcpus_max), the maximum is raised to O(vcpus) when it is lower, and otherwise kept.
    type: int
  vcpus_max:
    description:
      - Maximum number of vCPUs (the number a running VM can grow to). Needs the VM halted to change.
    type: int
  cores_per_socket:
    description:
      - vCPUs per virtual socket, as the guest sees its topology. O(vcpus_max) must be a multiple of it. Needs the VM halted.
    type: int
  memory:
    description:
      - Memory of the VM (its static maximum), with a unit (V(4GiB), V(512MiB), V(2G)) or as a number of MiB.
      - This and the dynamic limits must be whole 4 KiB memory pages; a size between pages fails before anything is
        written.
      - Alone, it also sets the dynamic range to this value (no ballooning). Needs the VM halted to change.
    type: raw
  memory_dynamic_min:
    description:
      - The lowest memory the VM may be ballooned down to, in the units of O(memory). Changes live.
    type: raw
  memory_dynamic_max:
    description:
      - The memory the VM gets when the host has enough, in the units of O(memory), at most O(memory). Changes live.
    type: raw
  firmware:
    description:
      - How the VM boots. V(uefi-secure) is UEFI with secure boot. Needs the VM halted.
    type: str
    choices: [bios, uefi, uefi-secure]
  boot_order:
    description:
      - HVM boot order, as letters C(c) (disk), C(d) (CD) and C(n) (network), for example V(dcn). Used from the next boot.
    type: str
  platform:
    description:
      - Entries of the VM's C(platform) map (device model flags such as C(viridian) or C(nx)), merged into the
        existing ones. Used from the next boot.
    type: dict
  description:
    description:
      - The VM's description (C(name_description)).
    type: str
  tags:
    description:
      - Tags the VM must have; others it has stay unless O(purge_tags=true).
    type: list
    elements: str
  purge_tags:
    description:
      - Remove the tags that O(tags) does not list.
    type: bool
    default: false
  other_config:
    description:
      - Entries of the VM's C(other_config) map, merged into the existing ones.
    type: dict
  purge_other_config:
    description:
      - Remove the C(other_config) entries O(other_config) does not list. XAPI keeps some of its own there
        (C(mac_seed), C(base_template_name), ...), so list them too to keep them.
    type: bool
    default: false
  xenstore_data:
    description:
      - Entries of the VM's C(xenstore_data) map (written to the guest's xenstore at boot), merged into the existing ones.
    type: dict
  purge_xenstore_data:
    description:
      - Remove the C(xenstore_data) entries O(xenstore_data) does not list.
    type: bool
    default: false
  affinity:
    description:
      - The VM's home host (name or uuid), preferred when it starts. An empty string removes the affinity.
    type: str
  ha_restart_priority:
    description:
      - What high availability does with the VM when its host fails. An empty string leaves it unprotected.
    type: str
    choices: ['', restart, best-effort]
  is_a_template:
    description:
      - V(true) turns the (halted) VM into a template, V(false) turns such a template back into a VM. The template is
        still found by O(name) or O(uuid) afterwards.
    type: bool
  disks:
    description:
      - The VM's virtual disks. Items are matched to its disk drives in this order - an item with O(disks[].vdi) to the drive
        holding that disk, an item with O(disks[].userdevice) to the drive in that slot, the other items to the remaining
        drives in slot order.
      - Items without a drive are created (or attached, with O(disks[].vdi)), and plugged in live when the VM runs.
      - Drives no item matches stay unless O(purge_disks=true).
    type: list
    elements: dict
    suboptions:
      name:
        description:
          - The disk's name. A disk matched by position is renamed. New disks default to the VM's name and slot.
        type: str
      size:
        description:
          - The disk's size, with a unit (V(20GiB)) or as a number of MiB. Required for a new disk.
          - A smaller size than the disk has is refused (XAPI cannot shrink disks). SRs round sizes up slightly, so a disk
            less than 16 MiB larger than O(disks[].size) counts as that size.
          - Growing a disk in use needs the VM halted unless its SR resizes disks online.
        type: raw
      sr:
        description:
          - SR (name or uuid) of a new disk; by default O(sr), then the pool's default SR. An existing disk on another
            SR is an error (disks are not moved).
        type: str
      userdevice:
        description:
          - The disk's slot (C(0) is the first disk). New disks without one take the lowest free slot, leaving
            slot 3 to the CD drive.
        type: str
      bootable:
        description:
          - Whether the VM boots from this disk.
        type: bool
      mode:
        description:
          - Read-write or read-only access. Needs the VM halted to change.
        type: str
        choices: [RW, RO]
      vdi:
        description:
          - An existing disk (name or uuid) to attach, instead of creating one.
        type: str
  purge_disks:
    description:
      - Detach the disk drives that O(disks) does not match; their disks are destroyed unless another VM uses them or
        O(keep_disks=true).
    type: bool
    default: false
  cdrom:
    description:
      - The VM's CD drive. A VM without one gets a drive in slot 3 (or the next free slot), which a running HVM guest
        can only get while halted.
    type: dict
    suboptions:
      iso:
        description:
          - The ISO image (name or uuid) to insert, replacing any other; an empty string ejects the drive's disc.
        type: str
        required: true
  networks:
    description:
      - The VM's network interfaces, matched by device number (O(networks[].device), by default the item's position).
      - Missing interfaces are created and plugged in live when the VM runs; an interface on another network is moved
        (replaced on hosts without C(VIF.move)); one with another MAC or MTU is replaced.
      - Interfaces no item names stay unless O(purge_networks=true).
    type: list
    elements: dict
    suboptions:
      network:
        description:
          - The network (name or uuid).
        type: str
        required: true
      mac:
        description:
          - The MAC address, as V(aa:bb:cc:dd:ee:ff). New interfaces without one get a generated address.
        type: str
      device:
        description:
          - The interface's device number (C(0) to C(6)).
        type: str
      mtu:
        description:
          - The interface's MTU; new interfaces default to the network's.
        type: int
  purge_networks:
    description:
      - Remove the network interfaces that O(networks) does not name.
    type: bool
    default: false
  target_host:
    description:
      - The host (name or uuid) the VM must run on. A VM this run starts or resumes is started there;
        a running VM on another host is live-migrated there once every other change is made.
      - Ignored while the VM is halted or suspended and stays so.
    type: str
  wait_for_ip:
    description:
      - Once the VM runs, wait until its guest agent reports an address of each family in O(wait_for_ip_families).
      - The wait follows XAPI events, so it ends as soon as the address is recorded.
    type: bool
    default: false
  wait_for_ip_families:
    description:
      - The address families O(wait_for_ip) waits for; with both, an address of each.
    type: list
    elements: str
    choices: [ipv4, ipv6]
    default: [ipv4]
  wait_for_ip_timeout:
    description:
      - Seconds O(wait_for_ip) waits before failing.
    type: int
    default: 300
  wait_for_ip_networks:
    description:
      - Networks (CIDR, such as V(192.0.2.0/24)) the address O(wait_for_ip) waits for must be in. An address outside
        them, such as the one a guest may report while DHCP or cloud-init is still configuring it, does not end the wait.
      - Link-local addresses (169.254.0.0/16, fe80::/10) never end the wait, with or without this option.
    type: list
    elements: str
    default: []
notes:
  - Changes are applied in this order - power steps that stop the VM, then vCPUs and memory, boot settings, metadata,
    disks, CD drive and network interfaces, then power steps that start it, then live migration, then the wait for
    addresses.
  - Long operations run as XAPI tasks; the module waits for them on the event stream, without polling.
  - Snapshots and migration between pools are not handled by this module.
  - Besides whether it changed anything (see the note on the user's cache directory), each run keeps the references
    (OpaqueRefs) of the VM and its devices it found; the next run with the same options reads those objects beside the VM, and only uses their records if
    they agree with the VM read with them. O(cloud_init) is left out of the digest that names the file.
seealso:
  - module: xen.xapi.xen_info
"""

EXAMPLES = r"""
# The connection options come from the XAPI_HOST, XAPI_USERNAME, XAPI_PASSWORD (and XAPI_CA_PATH)
# environment variables here; they can also be set once with module_defaults: group/xen.xapi.xapi.

- name: Create a VM from a template and start it
  xen.xapi.xen_vm:
    name: app01
    template: Debian Bookworm 12
    sr: NFS storage
    state: running
    vcpus: 2
    memory: 4GiB
    disks:
      - name: app01 system
        size: 20GiB
      - name: app01 data
        size: 50GiB
    cdrom:
      iso: debian-12.7.0-amd64-netinst.iso
    networks:
      - network: Pool-wide network associated with eth0
    tags: [app]
    wait_for_ip: true
  register: app01

- name: Show its address
  ansible.builtin.debug:
    msg: "{{ app01.vm.name }} runs on {{ app01.vm.host }} at {{ app01.vm.networks[0].ipv4[0] }}"

- name: Give it more vCPUs and memory, restarting it if needed
  xen.xapi.xen_vm:
    name: app01
    vcpus: 4
    vcpus_max: 4
    memory: 8GiB
    force: true

- name: Eject the installation disc and add a second interface
  xen.xapi.xen_vm:
    name: app01
    cdrom:
      iso: ""
    networks:
      - network: Pool-wide network associated with eth0
      - network: Pool-wide network associated with eth1

- name: Move it to host2, live
  xen.xapi.xen_vm:
    name: app01
    target_host: host2

- name: Copy a halted VM without provisioning
  xen.xapi.xen_vm:
    name: build02
    source: build01
    linked_clone: false
    sr: NFS storage

- name: Shut the VM down, waiting at most a minute before forcing it
  xen.xapi.xen_vm:
    name: app01
    state: halted
    shutdown_timeout: 60
    force: true

- name: Remove the VMs and their disks
  xen.xapi.xen_vm:
    name: "{{ item }}"
    state: absent
  loop: [app01, build02]
"""

RETURN = r"""
changed:
  description: Whether anything was changed (or, in check mode, would be).
  returned: always
  type: bool
  sample: true
vm:
  description:
    - The VM after the run (before it, in check mode). Empty when it is absent.
  returned: always
  type: dict
  contains:
    uuid:
      description: The VM's uuid.
      type: str
      sample: 6c6a3d2e-0a52-4b8e-9f14-51a9c1e3b7d0
    name:
      description: The VM's name (C(name_label)).
      type: str
      sample: app01
    description:
      description: The VM's description.
      type: str
      sample: Application server
    power_state:
      description: V(running), V(halted), V(suspended) or V(paused).
      type: str
      sample: running
    is_a_template:
      description: Whether the VM is a template.
      type: bool
      sample: false
    host:
      description: The host the VM runs on; null when it does not run.
      type: str
      sample: host1
    affinity:
      description: The VM's home host; null when it has none.
      type: str
      sample: host1
    vcpus:
      description: vCPUs at start-up.
      type: int
      sample: 2
    vcpus_max:
      description: Maximum number of vCPUs.
      type: int
      sample: 4
    cores_per_socket:
      description: vCPUs per socket; null when not set.
      type: int
      sample: 2
    memory:
      description: Memory (static maximum) in bytes.
      type: int
      sample: 4294967296
    memory_dynamic_min:
      description: Dynamic minimum memory in bytes.
      type: int
      sample: 4294967296
    memory_dynamic_max:
      description: Dynamic maximum memory in bytes.
      type: int
      sample: 4294967296
    firmware:
      description: V(bios), V(uefi) or V(uefi-secure); null for a paravirtualised guest.
      type: str
      sample: bios
    boot_order:
      description: HVM boot order; null when not set.
      type: str
      sample: cdn
    platform:
      description: The VM's C(platform) map.
      type: dict
      sample: {acpi: "1", nx: "true", viridian: "false"}
    disks:
      description: The disk drives, in slot order.
      type: list
      elements: dict
      contains:
        uuid:
          description: The disk's (VDI) uuid.
          type: str
        name:
          description: The disk's name.
          type: str
        size:
          description: The disk's size in bytes.
          type: int
        sr:
          description: Name of the SR holding the disk.
          type: str
        userdevice:
          description: The drive's slot.
          type: str
        bootable:
          description: Whether the VM boots from this disk.
          type: bool
        mode:
          description: V(RW) or V(RO).
          type: str
      sample:
        - uuid: 3f1e0c55-9a0b-4bde-a0e3-2b4a1d5c6e7f
          name: app01 system
          size: 21474836480
          sr: NFS storage
          userdevice: "0"
          bootable: true
          mode: RW
    cdrom:
      description: The first CD drive, null when the VM has none; C(iso) is empty when the drive is empty.
      type: dict
      contains:
        iso:
          description: Name of the inserted ISO image.
          type: str
        uuid:
          description: uuid of the inserted ISO image.
          type: str
        userdevice:
          description: The drive's slot.
          type: str
      sample: {iso: debian-12.7.0-amd64-netinst.iso, uuid: 0d1c2b3a-4e5f-4a6b-8c7d-9e0f1a2b3c4d, userdevice: "3"}
    networks:
      description: The network interfaces, in device order, with the addresses the guest agent reports.
      type: list
      elements: dict
      contains:
        device:
          description: Device number.
          type: str
        mac:
          description: MAC address.
          type: str
        mtu:
          description: MTU.
          type: int
        network:
          description: Name of the network.
          type: str
        network_uuid:
          description: uuid of the network.
          type: str
        ipv4:
          description: IPv4 addresses the guest reports on this interface.
          type: list
          elements: str
        ipv6:
          description: IPv6 addresses the guest reports on this interface.
          type: list
          elements: str
      sample:
        - device: "0"
          mac: "02:16:3e:5a:01:9c"
          mtu: 1500
          network: Pool-wide network associated with eth0
          network_uuid: 9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d
          ipv4: [10.0.1.23]
          ipv6: ["fe80::16:3eff:fe5a:19c"]
    tags:
      description: The VM's tags, sorted.
      type: list
      elements: str
      sample: [app]
    other_config:
      description: The VM's C(other_config) map.
      type: dict
      sample: {base_template_name: Debian Bookworm 12}
    xenstore_data:
      description: The VM's C(xenstore_data) map.
      type: dict
      sample: {}
    ha_restart_priority:
      description: The VM's HA restart priority (empty when unprotected).
      type: str
      sample: restart
changes:
  description:
    - What was done (or would be, in check mode), in order, as option, value before and value after.
    - Sizes are written with units. Power steps have the option C(power_state); list items are named like C(disks[1].size).
  returned: always
  type: list
  elements: dict
  sample:
    - {option: memory, before: 2 GiB, after: 4 GiB}
    - {option: power_state, before: halted, after: running}
diff:
  description: The VM before and after the run (predicted in check mode), in the form of RV(vm).
  returned: when diff mode is on
  type: dict
  contains:
    before:
      description: The VM before the run.
      type: dict
    after:
      description: The VM after the run.
      type: dict
"""

# First, so that the module utilities below compile once each (see _zip_import).
from ansible_collections.xen.xapi.plugins.module_utils import _zip_import  # noqa: F401 pylint: disable=unused-import
from ansible_collections.xen.xapi.plugins.module_utils import _engine, _module
from ansible_collections.xen.xapi.plugins.module_utils.vm import options, resource

DISK_OPTIONS = dict(
    name=dict(type="str"),
    size=dict(type="raw"),
    sr=dict(type="str"),
    userdevice=dict(type="str"),
    bootable=dict(type="bool"),
    mode=dict(type="str", choices=list(options.DISK_MODES)),
    vdi=dict(type="str"),
)
NETWORK_OPTIONS = dict(
    network=dict(type="str", required=True),
    mac=dict(type="str"),
    device=dict(type="str"),
    mtu=dict(type="int"),
)
# Keep in step with plugins/doc_fragments/cloud_init.py.
CLOUD_INIT_OPTIONS = dict(
    user_data=dict(type="str"),
    meta_data=dict(type="dict"),
    network_config=dict(type="raw"),
    network=dict(type="list", elements="dict", options=dict(
        device=dict(type="int", default=0),
        address=dict(type="str"),
        gateway=dict(type="str"),
        dns=dict(type="list", elements="str"),
    )),
    vendor_data=dict(type="str"),
    sr=dict(type="str"),
    remove_after_boot=dict(type="bool", default=False),
)
ARGUMENT_SPEC = dict(
    name=dict(type="str", aliases=["name_label"]),
    uuid=dict(type="str"),
    state=dict(type="str", default="present", choices=list(options.STATES)),
    template=dict(type="str"),
    source=dict(type="str"),
    linked_clone=dict(type="bool", default=True),
    sr=dict(type="str"),
    force=dict(type="bool", default=False),
    shutdown_timeout=dict(type="int", default=120),
    task_timeout=dict(type="int", default=1800),
    guest_tools_timeout=dict(type="int", default=180),
    keep_disks=dict(type="bool", default=False),
    vcpus=dict(type="int"),
    vcpus_max=dict(type="int"),
    cores_per_socket=dict(type="int"),
    memory=dict(type="raw"),
    memory_dynamic_min=dict(type="raw"),
    memory_dynamic_max=dict(type="raw"),
    firmware=dict(type="str", choices=list(options.FIRMWARES)),
    boot_order=dict(type="str"),
    platform=dict(type="dict"),
    description=dict(type="str"),
    tags=dict(type="list", elements="str"),
    purge_tags=dict(type="bool", default=False),
    other_config=dict(type="dict"),
    purge_other_config=dict(type="bool", default=False),
    xenstore_data=dict(type="dict"),
    purge_xenstore_data=dict(type="bool", default=False),
    affinity=dict(type="str"),
    ha_restart_priority=dict(type="str", choices=list(options.HA_PRIORITIES)),
    is_a_template=dict(type="bool"),
    disks=dict(type="list", elements="dict", options=DISK_OPTIONS),
    purge_disks=dict(type="bool", default=False),
    cdrom=dict(type="dict", options=dict(iso=dict(type="str", required=True))),
    networks=dict(type="list", elements="dict", options=NETWORK_OPTIONS),
    purge_networks=dict(type="bool", default=False),
    target_host=dict(type="str"),
    wait_for_ip=dict(type="bool", default=False),
    wait_for_ip_families=dict(type="list", elements="str", choices=list(options.IP_FAMILIES), default=["ipv4"]),
    wait_for_ip_timeout=dict(type="int", default=300),
    wait_for_ip_networks=dict(type="list", elements="str", default=[]),
    cloud_init=dict(type="dict", options=CLOUD_INIT_OPTIONS),
)


def main() -> None:
    module = _module.XapiModule(
        argument_spec=ARGUMENT_SPEC,
        required_one_of=[("name", "uuid")],
        mutually_exclusive=[("template", "source")],
        supports_check_mode=True,
    )
    _engine.reconcile(module, resource.VmResource)


if __name__ == "__main__":
    main()
