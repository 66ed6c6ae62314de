# Copyright: (c) 2026, xen.xapi maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""New VMs: from a template (fast clone, or full copy into an SR, then provisioning) or from a
halted VM or a snapshot (copied as they are, never provisioned).

Provisioning creates the disks a template describes in other_config["disks"]; their SR is
rewritten first to the `sr` option, or the pool's default SR, so the disks land where asked.
"""

from __future__ import annotations

import dataclasses
import typing as t
from xml.etree import ElementTree

from ansible_collections.xen.xapi.plugins.module_utils._xapi import client as xapi_client, codec, errors, naming, tasks
from ansible_collections.xen.xapi.plugins.module_utils.vm import options, reader, view as vm_view

PROVISION_KEY = "disks"


class ProvisionDisk(t.NamedTuple):
    device: str
    size: int
    bootable: bool


def rewrite_provision_spec(text: str, sr_uuid: str) -> str:
    """The template's disk spec with every disk placed on the SR with this uuid."""
    try:
        root = ElementTree.fromstring(text)
    except ElementTree.ParseError as err:
        raise errors.ResourceError("template: its disk description (other_config:disks) is not valid XML: {0}".format(err))
    for disk in root.iter("disk"):
        disk.set("sr", sr_uuid)
    return ElementTree.tostring(root, encoding="unicode")


def provision_disks(text: str) -> t.List[ProvisionDisk]:
    if not text.strip():
        return []
    disks = []
    for disk in ElementTree.fromstring(text).iter("disk"):
        size = disk.get("size", "0")
        disks.append(ProvisionDisk(disk.get("device", ""), int(size) if size.isdigit() else 0, disk.get("bootable") == "true"))
    return disks


@dataclasses.dataclass
class Creation:
    """How the VM will be made, and what it will look like before the other options apply."""

    source_ref: str
    source: vm_view.Record
    from_template: bool
    sr: t.Optional[str]
    provision_spec: t.Optional[str]
    prospect: vm_view.VmView

    def copy(self, client: xapi_client.XapiClient, name: str, linked_clone: bool, timeout: float) -> str:
        """The first step: a fast clone or a full copy of the source, named `name` (-> its ref)."""
        if linked_clone:
            return str(tasks.run_async(client, "VM.clone", self.source_ref, name, timeout=timeout))
        return str(tasks.run_async(client, "VM.copy", self.source_ref, name, self.sr or vm_view.NULL_REF, timeout=timeout))

    def complete(self, client: xapi_client.XapiClient, ref: str, timeout: float, fresh: bool = False) -> None:
        """The second step: provision a template's copy, or make a snapshot's copy a plain VM.

        Safe to repeat: unless the copy was ``fresh`` (made by this very round, so still a template), it reads where
        the copy stands first, so a round that lost its connection halfway resumes here without provisioning twice.
        """
        if fresh:
            # xapi's copies of templates and of snapshots are templates; copies of plain VMs are not.
            still_template = self.from_template or bool(self.source.get("is_a_snapshot"))
        else:
            still_template = bool(client.call("VM.get_is_a_template", ref))
        if not still_template:
            return
        if self.from_template:
            if self.provision_spec is not None:
                # One round trip and no read: removing a key does nothing when it is not there (db_cache_types.ml
                # remove_from_map), and the add that follows it finds the key gone, so the pair is safe to repeat.
                client.call_in_order([("VM.remove_from_other_config", [ref, PROVISION_KEY]),
                                      ("VM.add_to_other_config", [ref, PROVISION_KEY, self.provision_spec])])
            tasks.run_async(client, "VM.provision", ref, timeout=timeout)
        else:
            # A copy of a snapshot is a template: the new VM is made a plain VM, without provisioning.
            client.call("VM.set_is_a_template", ref, False)

    def discard(self, client: xapi_client.XapiClient, ref: str, name: str, failure: errors.XapiError, timeout: float) -> errors.ResourceError:
        """The error to report when the second step failed, once the copy is removed again with the disks made for it.

        Left behind, the copy would stay a template: a later run would take it for a template made from a VM.
        """
        failure.display = naming.named(client, failure)
        step = "provisioning the copy of template" if self.from_template else "making a plain VM of the copy of"
        what = "{0} {1!r}".format(step, self.source.get("name_label", ""))
        uuid = ""
        try:
            record = codec.normalize_record("VM", client.call("VM.get_record", ref))
            uuid = str(record.get("uuid", ""))
            view = reader.read_view(client, ref, record)
            made = [vbd["VDI"] for vbd in view.vbds.values() if not vm_view.is_null(vbd.get("VDI")) and view.owns_vdi(vbd["VDI"])]
            tasks.run_async(client, "VM.destroy", ref, timeout=timeout)
            for vdi in made:
                tasks.run_async(client, "VDI.destroy", vdi, timeout=timeout)
        except errors.XapiError as cleanup:
            return errors.ResourceError("{0} failed: {1} The copy, VM {2!r} (uuid {3}), could not be removed ({4}); remove it before "
                                        "running again.".format(what, failure.describe(), name, uuid or "unknown", cleanup.describe()),
                                        error_code=failure.code)
        return errors.ResourceError("{0} failed, so the copy was removed again: {1}".format(what, failure.describe()),
                                    error_code=failure.code)


def plan(client: xapi_client.XapiClient, params: options.Params, first: t.Optional[reader.FirstRead] = None) -> Creation:
    """Find the source and the SR, and check that the VM can be made (reads only: those the round's first read did
    not make already)."""
    source_ref, source = reader.find_source(client, params, first.sources if first is not None else None)
    if not params.get("template") and not source.get("is_a_snapshot") and source.get("power_state") != vm_view.HALTED:
        raise errors.ResourceError("source: VM {0!r} is {1}; only a halted VM can be copied. Shut it down first."
                                   .format(source.get("name_label"), str(source.get("power_state")).lower()))
    base = reader.read_view(client, source_ref, source, first.pool if first is not None else None)
    sr = base.pool.sr(params["sr"], "sr")[0] if params.get("sr") else None
    from_template = bool(params.get("template"))
    spec = (source.get("other_config") or {}).get(PROVISION_KEY) if from_template else None
    provision_spec = None
    if spec:
        provision_sr = sr or base.pool.default_sr("sr")[0]
        provision_spec = rewrite_provision_spec(spec, base.pool.srs[provision_sr]["uuid"])
    prospect = _prospect(base, params, sr, provision_spec)
    return Creation(source_ref, source, from_template, sr, provision_spec, prospect)


# Keys xapi drops when it clones or copies a VM (xapi_vm_clone.ml), and those provisioning consumes (xapi_templates.ml).
_CLONE_DROPS = ("default_template", "xensource_internal")
_PROVISION_DROPS = (PROVISION_KEY, "postinstall")


def cloned_other_config(source: vm_view.Record, provisioned: bool) -> t.Dict[str, str]:
    """The other_config of a copy as xapi makes it: a new mac_seed (its value is xapi's choice: shown empty), the
    default-template marks dropped, the template's name kept in base_template_name, and the provisioning keys gone."""
    other = dict(source.get("other_config") or {})
    for key in _CLONE_DROPS + (_PROVISION_DROPS if provisioned else ()):
        other.pop(key, None)
    if not source.get("is_a_snapshot"):
        other["mac_seed"] = ""
    if source.get("is_a_template"):
        other.setdefault("base_template_name", str(source.get("name_label", "")))
    return other


def _prospect(base: vm_view.VmView, params: options.Params, sr: t.Optional[str], provision_spec: t.Optional[str]) -> vm_view.VmView:
    """The new VM as it will be right after cloning and provisioning, to check the other options against."""
    # A fast clone keeps its disks next to the source's; a full copy puts them on the SR asked for.
    copy_sr = None if params.get("linked_clone", True) else sr
    record = dict(base.record, name_label=params["name"], is_a_template=False, is_a_snapshot=False, power_state=vm_view.HALTED,
                  resident_on=vm_view.NULL_REF, guest_metrics=vm_view.NULL_REF, other_config=cloned_other_config(base.record, provision_spec is not None))
    vbds = dict((ref, dict(vbd, currently_attached=False)) for ref, vbd in base.vbds.items())
    vdis = dict((ref, dict(vdi, SR=copy_sr or vdi.get("SR"), VBDs=[])) for ref, vdi in base.vdis.items())
    for vbd_ref, vbd in vbds.items():
        if vbd.get("VDI") in vdis:
            vdis[vbd["VDI"]]["VBDs"].append(vbd_ref)
    provision_sr = sr or base.pool.pool.get("default_SR", vm_view.NULL_REF)
    for disk in provision_disks(provision_spec or ""):
        vbd_ref, vdi_ref = "provision/vbd/" + disk.device, "provision/vdi/" + disk.device
        vbds[vbd_ref] = {"userdevice": disk.device, "type": "Disk", "bootable": disk.bootable, "mode": "RW", "VDI": vdi_ref,
                         "empty": False, "currently_attached": False, "allowed_operations": []}
        vdis[vdi_ref] = {"uuid": "", "name_label": disk.device, "virtual_size": disk.size, "SR": provision_sr, "VBDs": [vbd_ref],
                         "allowed_operations": []}
    return vm_view.VmView(ref=vm_view.NULL_REF, record=record, vbds=vbds, vdis=vdis, vifs=dict(base.vifs), guest_metrics={}, pool=base.pool)
