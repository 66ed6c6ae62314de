# Copyright: (c) 2026, xen.xapi maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""xen_vdi's resource: a virtual disk found by uuid, or by name within a storage repository.

Reads: one ``event.from`` for the VDI, SR, pool, VBD and SM classes, and, when the disk has drives,
one more for the VMs behind them; so a run that changes nothing costs four calls with login and logout.
"""

from __future__ import annotations

import typing as t

from ansible_collections.xen.xapi.plugins.module_utils import _validate as validate
from ansible_collections.xen.xapi.plugins.module_utils._engine import BatchedResource, Change, Found, Record, ResourceError, one_or_none
from ansible_collections.xen.xapi.plugins.module_utils._xapi.query import find_by_name, find_by_uuid, snapshot
from ansible_collections.xen.xapi.plugins.module_utils.disks.changes import setter_changes
from ansible_collections.xen.xapi.plugins.module_utils.disks.lookup import NULL_REF, pool_default_sr, resolve_sr, resolve_vdi
from ansible_collections.xen.xapi.plugins.module_utils.disks.vdi_plan import (
    Attachment,
    RemovalStep,
    attachments,
    check_copy,
    check_unchangeable,
    create_record,
    driver_capabilities,
    metadata_setters,
    parse_size_option,
    removal_steps,
    resize_method,
    size_target,
    vdi_view,
)

READ_CLASSES = ("VDI", "SR", "pool", "VBD", "SM")
# Journal key of a copy made by this run, still carrying its source's name until it is renamed.
COPY = "vdi/copy"


class VdiResource(BatchedResource):
    read_classes = READ_CLASSES
    result_key = "vdi"

    def __init__(self, *args: t.Any, **kwargs: t.Any) -> None:
        super().__init__(*args, **kwargs)
        self._predicted: Record = {}
        self._vms: t.Dict[str, Record] = {}
        self._sr: t.Optional[t.Tuple[str, Record]] = None
        self._source: t.Optional[t.Tuple[str, Record]] = None

    # -- reads ------------------------------------------------------------------------------
    def forget_reads(self) -> None:
        super().forget_reads()
        self._vms = {}

    def _users(self, record: Record) -> t.List[Attachment]:
        """The disk's drives and their VMs; the VMs are read once, only for disks that have drives."""
        vbds = self.world()["VBD"]
        vm_refs = set(vbds[ref]["VM"] for ref in record.get("VBDs") or [] if ref in vbds)
        missing = vm_refs - set(self._vms)
        if missing:
            self._vms.update(snapshot(self.client, objects={"VM": missing})["VM"])
        return attachments(record, vbds, self._vms)

    # -- identity ---------------------------------------------------------------------------
    def _target_sr(self) -> t.Tuple[str, Record]:
        """Where the disk is looked for and made: sr, else the source's SR, else the pool's default SR."""
        if self._sr is None:
            world = self.world()
            if self.params["sr"] is not None:
                self._sr = resolve_sr(world["SR"], self.params["sr"])
            elif self.params["source"] is not None:
                source_sr = self._source_disk()[1]["SR"]
                self._sr = (source_sr, world["SR"].get(source_sr, {}))
            else:
                self._sr = pool_default_sr(world["pool"], world["SR"])
        return self._sr

    def _source_disk(self) -> t.Tuple[str, Record]:
        if self._source is None:
            self._source = resolve_vdi(self.world()["VDI"], self.params["source"], None, "source", sr_hint="uuid")
        return self._source

    @classmethod
    def check_params(cls, params: t.Mapping[str, t.Any]) -> None:
        validate.size(parse_size_option(params.get("size")), "size")

    def locate(self) -> Found:
        vdis = self.world()["VDI"]
        if self.params["uuid"] is not None:
            return find_by_uuid(vdis, self.params["uuid"])
        sr_ref = self._target_sr()[0]
        named = [(ref, record) for ref, record in find_by_name(vdis, self.params["name"])
                 if record["SR"] == sr_ref and not record.get("is_a_snapshot")]
        return one_or_none(named, "name: virtual disk", self.params["name"])

    # -- plans ------------------------------------------------------------------------------
    def plan_create(self) -> t.Callable[[], str]:
        if self.params["uuid"] is not None:
            raise ResourceError("uuid: no virtual disk has the uuid {0!r}. XAPI chooses the uuid of a new disk: to create one, "
                                "give name (with size, and sr or source) instead of uuid.".format(self.params["uuid"]))
        size = parse_size_option(self.params["size"])
        sr_ref = self._target_sr()[0]
        if self.params["source"] is not None:
            source_ref, source = self._source_disk()
            check_copy(source, self.params, size)
            copy = dict(source, **create_record(self.params, sr_ref, max(size or 0, int(source["virtual_size"]))))
            self._predicted = vdi_view(dict(copy, uuid=None, physical_utilisation=0), self.world()["SR"], [])
            return lambda: self._copy(source_ref, sr_ref, size)
        if size is None:
            raise ResourceError("size: required to create disk {0!r}; give it in bytes or with a unit, such as 10GiB.".format(self.params["name"]))
        record = create_record(self.params, sr_ref, size)
        self._predicted = vdi_view(dict(record, uuid=None, physical_utilisation=0), self.world()["SR"], [])
        return lambda: str(self.run_task("VDI.create", record))

    def predict_created(self) -> Record:
        return dict(self._predicted)

    def _copy(self, source_ref: str, sr_ref: str, size: t.Optional[int]) -> str:
        """Copy the source into the target SR, then give the copy the requested name, size and metadata."""
        # A copy carries the source's name until renamed: an earlier round's copy is found by the journal.
        ref = self.journal.recall(COPY) or str(self.run_task("VDI.copy", source_ref, sr_ref, NULL_REF, NULL_REF))
        self.journal.remember(COPY, ref)
        self.journal.object_created()
        copy = self.client.normalize("VDI", self.client.call("VDI.get_record", ref))
        for setter in metadata_setters(copy, self.params):
            self.journal.begin(setter.option, setter.before, setter.after)
            self.call(setter.method, ref, setter.value)
        new_size = size_target(copy["virtual_size"], size)
        if new_size is not None:
            self.journal.begin("size", copy["virtual_size"], new_size)
            self.run_task("VDI.resize", ref, new_size)
        self.journal.forget(COPY)
        return ref

    def plan_update(self, ref: str, record: Record) -> t.List[Change]:
        sr_ref = self._target_sr()[0] if self.params["sr"] is not None else None
        check_unchangeable(record, self.params, sr_ref)
        changes = setter_changes(ref, metadata_setters(record, self.params), self.call)
        new_size = size_target(record["virtual_size"], parse_size_option(self.params["size"]))
        if new_size is not None:
            world = self.world()
            capabilities = driver_capabilities(world["SR"].get(record["SR"], {}), world["SM"])
            method = resize_method(record["name_label"], self._users(record), capabilities)
            changes.append(Change("size", record["virtual_size"], new_size, lambda: self.run_task(method, ref, new_size)))
        return changes

    def plan_delete(self, ref: str, record: Record) -> t.List[Change]:
        steps = removal_steps(record["name_label"], self._users(record), bool(self.params["force"]))
        changes = [self._removal_change(step) for step in steps]
        changes.append(Change("state", "present", "absent", lambda: self.run_task("VDI.destroy", ref)))
        return changes

    def _removal_change(self, step: RemovalStep) -> Change:
        before, after = step.describe()
        if step.action == "unplug":
            return Change("vms", before, after, lambda: self.run_task("VBD.unplug", step.user.vbd_ref))
        # Destroying a drive is a quick database change, not a task.
        return Change("vms", before, after, lambda: self.call("VBD.destroy", step.user.vbd_ref))

    # -- writes -----------------------------------------------------------------------------

    # -- view -------------------------------------------------------------------------------
    def present(self, ref: t.Optional[str]) -> Record:
        if ref is None:
            return {}
        world = self.world()
        record = world["VDI"].get(ref)
        if record is None:
            return {}
        return vdi_view(record, world["SR"], self._users(record))
