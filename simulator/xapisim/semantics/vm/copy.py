"""VM.clone, VM.copy, VM.provision and VM.destroy: VMs and their disks coming and going.

Installing from a template is ``clone`` (the new VM is still a template) then ``provision``,
which creates the disks described in ``other_config["disks"]`` and turns it into a VM, as
xapi's template provisioner does; ``VM.start`` follows.
"""
from __future__ import annotations

from xml.etree import ElementTree
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ...errors import XapiError
from ...registry import handles
from ...store import NULL_REF, Store
from ..network.vifs import destroy_vif_record
from ..storage.vdi import new_vdi, remove_vdi
from .disks import check_space
from .records import duplicate_vm
from .state import vm_operation

if TYPE_CHECKING:
    from ...context import CallContext

PROVISION_KEYS = ("disks", "postinstall")
VDI_TYPES = ("system", "user", "ephemeral", "suspend", "crashdump")
# Records that belong to a VM and go with it; its disks (VDIs) stay.
_OWNED_DEVICES = (("VBDs", "VBD"), ("VUSBs", "VUSB"), ("VTPMs", "VTPM"), ("VGPUs", "VGPU"),
                  ("consoles", "console"), ("crash_dumps", "crashdump"))


@handles("VM.clone")
def clone(ctx: "CallContext", vm: str, new_name: str) -> str:
    with vm_operation(ctx, vm, "clone"):
        return duplicate_vm(ctx.store, vm, new_name, "clone")


@handles("VM.copy")
def copy(ctx: "CallContext", vm: str, new_name: str, sr: str) -> str:
    with vm_operation(ctx, vm, "copy"):
        if sr != NULL_REF:
            ctx.store.get("SR", sr)
        return duplicate_vm(ctx.store, vm, new_name, "copy", sr=sr)


@dataclass(frozen=True)
class ProvisionDisk:
    """One ``<disk>`` of a template's provision spec."""

    device: str
    size: int
    sr_uuid: str
    bootable: bool
    vdi_type: str


def parse_provision_spec(text: str) -> list[ProvisionDisk]:
    """``<provision><disk device="0" size="..." sr="" bootable="true" type="system"/></provision>``."""
    try:
        root = ElementTree.fromstring(text)
        if root.tag != "provision":
            raise ValueError(root.tag)
        disks = [ProvisionDisk(device=d.attrib["device"], size=int(d.attrib["size"]), sr_uuid=d.attrib["sr"],
                               bootable=d.attrib["bootable"] == "true", vdi_type=d.attrib.get("type", "system"))
                 for d in root]
    except (ElementTree.ParseError, KeyError, ValueError):
        raise XapiError("INTERNAL_ERROR", "Xapi_templates.Parse_failure") from None
    for disk in disks:
        if disk.vdi_type not in VDI_TYPES:
            raise XapiError("INTERNAL_ERROR", f'string2vdi_type: Unknown VDI type "{disk.vdi_type}"')
    return disks


def _provision_sr(store: Store, disk: ProvisionDisk) -> str:
    """The SR named by uuid in the spec; an empty name means the pool's default SR."""
    if disk.sr_uuid:
        sr = store.ref_of_uuid("SR", disk.sr_uuid)
    else:
        sr = next(iter(store.records("pool").values()))["default_SR"]
        sr = sr if store.exists("SR", sr) else None
    if sr is None:
        raise XapiError("UUID_INVALID", "sr", disk.sr_uuid)
    return sr


@handles("VM.provision")
def provision(ctx: "CallContext", vm: str) -> str:
    store = ctx.store
    with vm_operation(ctx, vm, "provision"):
        record = store.get("VM", vm)
        spec = record["other_config"].get("disks", "")
        disks = parse_provision_spec(spec) if spec.strip() else []
        placed = [(disk, _provision_sr(store, disk)) for disk in disks]
        needs: dict[str, int] = {}
        for disk, sr in placed:
            needs[sr] = needs.get(sr, 0) + disk.size
        check_space(store, needs)
        used = {store.get("VBD", vbd)["userdevice"] for vbd in record["VBDs"]}
        for disk in disks:
            if disk.device in used:
                raise XapiError("DEVICE_ALREADY_EXISTS", disk.device)
            used.add(disk.device)
        for disk, sr in placed:
            _create_disk(store, vm, disk, sr)
        # The spec has been carried out: it must not provision the VM a second time.
        other = {k: v for k, v in record["other_config"].items() if k not in PROVISION_KEYS}
        store.update("VM", vm, is_a_template=False, is_default_template=False, other_config=other)
    return ""


def _create_disk(store: Store, vm: str, disk: ProvisionDisk, sr: str) -> None:
    vdi = new_vdi(store, sr, {
        "name_label": disk.device, "name_description": "Created by template provisioner",
        "virtual_size": disk.size, "type": disk.vdi_type, "sharable": False, "read_only": False, "other_config": {},
        "sm_config": {"vmhint": store.get("VM", vm)["uuid"]},
    })
    store.create("VBD", {
        "VM": vm, "VDI": vdi, "userdevice": disk.device, "bootable": disk.bootable, "mode": "RW", "type": "Disk",
        "unpluggable": disk.vdi_type != "system", "empty": False, "other_config": {"owner": ""}, "device": "",
        "currently_attached": False, "qos_algorithm_type": "", "qos_algorithm_params": {},
    })


@handles("VM.destroy")
def destroy(ctx: "CallContext", vm: str) -> str:
    """The VM and the records that only make sense with it go; its disks stay (VDI.destroy removes them)."""
    store = ctx.store
    with vm_operation(ctx, vm, "destroy"):
        record = store.get("VM", vm)
        for vif in record["VIFs"]:
            destroy_vif_record(store, vif)
        for field, cls in _OWNED_DEVICES:
            for ref in record[field]:
                if store.exists(cls, ref):
                    store.destroy(cls, ref)
        for field, cls in (("metrics", "VM_metrics"), ("guest_metrics", "VM_guest_metrics")):
            if store.exists(cls, record[field]):
                store.destroy(cls, record[field])
        if store.exists("VDI", record["suspend_VDI"]):
            remove_vdi(store, record["suspend_VDI"])
        store.destroy("VM", vm)
    return ""
