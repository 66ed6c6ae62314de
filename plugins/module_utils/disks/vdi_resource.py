# Copyright: (c) 2026, xen.xapi maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""xen_vdi's resource: a virtual disk found by uuid, or by name within a storage repository.

Reads: one ``query.snapshot`` of the VDI, SR, pool, VBD and SM classes (a call per class, sent together: one round
trip), and, when the disk has drives, the VMs behind them: in the same round trip when the last run with the same
options found them (``related``), else in one more call.
"""

from __future__ import annotations

import os
import typing as t

from ansible_collections.xen.xapi.plugins.module_utils import _engine, _setters, _validate as validate
from ansible_collections.xen.xapi.plugins.module_utils._xapi import errors, query
from ansible_collections.xen.xapi.plugins.module_utils.disks import disk_images, lookup, vdi_plan, vdi_transfer

READ_CLASSES = ("VDI", "SR", "pool", "VBD", "SM")
# Journal key of a copy made by this run, still carrying its source's name until it is renamed.
COPY = "vdi/copy"
# Journal key of a disk made by this run for import_from, until its image is in.
IMPORT_PENDING = "vdi/import"


class VdiResource(_engine.BatchedResource):
    read_classes = READ_CLASSES
    related_class = "VM"
    result_key = "vdi"

    def __init__(self, *args: t.Any, **kwargs: t.Any) -> None:
        super().__init__(*args, **kwargs)
        self._predicted: _engine.Record = {}
        self._sr: t.Optional[t.Tuple[str, _engine.Record]] = None
        self._source: t.Optional[t.Tuple[str, _engine.Record]] = None

    # -- reads ------------------------------------------------------------------------------
    def _users(self, record: _engine.Record) -> t.List[vdi_plan.Attachment]:
        """The disk's drives and their VMs."""
        vbds = self.world()["VBD"]
        vms = self.related(vbds[ref]["VM"] for ref in record.get("VBDs") or [] if ref in vbds)
        return vdi_plan.attachments(record, vbds, vms)

    # -- identity ---------------------------------------------------------------------------
    def _target_sr(self) -> t.Tuple[str, _engine.Record]:
        """Where the disk is looked for and made: sr, else the source's SR, else the pool's default SR."""
        if self._sr is None:
            world = self.world()
            if self.params["sr"] is not None:
                self._sr = lookup.resolve_sr(world["SR"], self.params["sr"])
            elif self.params["source"] is not None:
                source_sr = self._source_disk()[1]["SR"]
                self._sr = (source_sr, world["SR"].get(source_sr, {}))
            else:
                self._sr = lookup.pool_default_sr(world["pool"], world["SR"])
        return self._sr

    def _source_disk(self) -> t.Tuple[str, _engine.Record]:
        if self._source is None:
            self._source = lookup.resolve_vdi(self.world()["VDI"], self.params["source"], None, "source", sr_hint="uuid")
        return self._source

    @classmethod
    def check_params(cls, params: t.Mapping[str, t.Any]) -> None:
        validate.size(vdi_plan.parse_size_option(params.get("size")), "size")
        vdi_transfer.check_source(params.get("import_from"), params.get("checksum"))
        target = params.get("export_to")
        if target and not os.path.isdir(os.path.dirname(os.path.abspath(target))):
            raise errors.ResourceError("export_to: the folder of {0} does not exist; create it first.".format(target))

    def locate(self) -> _engine.Found:
        vdis = self.world()["VDI"]
        if self.params["uuid"] is not None:
            return query.find_by_uuid(vdis, self.params["uuid"])
        sr_ref = self._target_sr()[0]
        named = [(ref, record) for ref, record in query.find_by_name(vdis, self.params["name"])
                 if record["SR"] == sr_ref and not record.get("is_a_snapshot")]
        return _engine.one_or_none(named, "name: virtual disk", self.params["name"])

    # -- plans ------------------------------------------------------------------------------
    def plan_create(self) -> t.Callable[[], str]:
        if self.params["uuid"] is not None:
            raise errors.ResourceError("uuid: no virtual disk has the uuid {0!r}. XAPI chooses the uuid of a new disk: to create one, "
                                       "give name (with size, and sr or source) instead of uuid.".format(self.params["uuid"]))
        size = vdi_plan.parse_size_option(self.params["size"])
        sr_ref = self._target_sr()[0]
        if self.params["source"] is not None:
            source_ref, source = self._source_disk()
            vdi_plan.check_copy(source, self.params, size)
            copy = dict(source, **vdi_plan.create_record(self.params, sr_ref, max(size or 0, int(source["virtual_size"]))))
            self._predicted = vdi_plan.vdi_view(dict(copy, uuid=None, physical_utilisation=0), self.world()["SR"], [])
            return lambda: self._copy(source_ref, sr_ref, size)
        if self.params["import_from"]:
            return self._plan_import(sr_ref, size)
        if size is None:
            raise errors.ResourceError("size: required to create disk {0!r}; give it in bytes or with a unit, such as 10GiB.".format(self.params["name"]))
        record = vdi_plan.create_record(self.params, sr_ref, size)
        self._predicted = vdi_plan.vdi_view(dict(record, uuid=None, physical_utilisation=0), self.world()["SR"], [])
        return lambda: str(self.run_task("VDI.create", record))

    def predict_created(self) -> _engine.Record:
        return dict(self._predicted)

    def _plan_import(self, sr_ref: str, size: t.Optional[int]) -> t.Callable[[], str]:
        """A new disk the size of the image (or ``size``, if larger), filled with it, or nothing left at all."""
        image = vdi_transfer.local_image_info(self.params["import_from"], self.params["checksum"])
        if image is not None and size is not None and size < image.virtual_size:
            raise errors.ResourceError("size: {0} bytes is smaller than the image {1} ({2} bytes).".format(
                size, self.params["import_from"], image.virtual_size))
        planned = max(size or 0, image.virtual_size if image else 0)
        self._predicted = vdi_plan.vdi_view(dict(vdi_plan.create_record(self.params, sr_ref, planned), uuid=None, physical_utilisation=0),
                                            self.world()["SR"], [])

        def make() -> str:
            with vdi_transfer.fetched(self.params["import_from"], self.params["checksum"], self.timeout) as path:
                found = disk_images.inspect(path)
                if size is not None and size < found.virtual_size:
                    raise errors.ResourceError("size: {0} bytes is smaller than the image ({1} bytes).".format(size, found.virtual_size))
                ref = str(self.run_task("VDI.create", vdi_plan.create_record(self.params, sr_ref, max(size or 0, found.virtual_size))))
                self.journal.remember(IMPORT_PENDING, ref)
                self._fill(ref, path, found.format)
            self._export_if_asked(ref)
            return ref
        return make

    def _fill(self, ref: str, path: str, image_format: str) -> None:
        """Upload the image; a disk made for it that XAPI refused to fill goes again, so none is left empty."""
        self.journal.begin("import_from", None, self.params["import_from"])
        try:
            vdi_transfer.upload_image(self.client, ref, path, image_format, self.timeout)
        except errors.ResourceError:
            raise
        except Exception:
            if self.journal.recall(IMPORT_PENDING) == ref:
                try:
                    self.run_task("VDI.destroy", ref)
                    self.journal.forget(IMPORT_PENDING)
                except Exception:  # pylint: disable=broad-exception-caught
                    pass  # the connection is gone: the next round finds the disk and fills it
            raise
        self.journal.forget(IMPORT_PENDING)
        self.forget_reads()

    def _export_if_asked(self, ref: str) -> None:
        target = self.params["export_to"]
        if target and not os.path.exists(target):
            self.journal.begin("export_to", None, target)
            vdi_transfer.export_disk(self.client, ref, target, self.timeout)

    def _copy(self, source_ref: str, sr_ref: str, size: t.Optional[int]) -> str:
        """Copy the source into the target SR, then give the copy the requested name, size and metadata."""
        # A copy carries the source's name until renamed: an earlier round's copy is found by the journal.
        ref = self.journal.recall(COPY) or str(self.run_task("VDI.copy", source_ref, sr_ref, lookup.NULL_REF, lookup.NULL_REF))
        self.journal.remember(COPY, ref)
        self.journal.object_created()
        copy = self.client.normalize("VDI", self.client.call("VDI.get_record", ref))
        for setter in vdi_plan.metadata_setters(copy, self.params):
            self.journal.begin(setter.option, setter.before, setter.after)
            self.call(setter.method, ref, setter.value)
        new_size = vdi_plan.size_target(copy["virtual_size"], size)
        if new_size is not None:
            self.journal.begin("size", copy["virtual_size"], new_size)
            self.run_task("VDI.resize", ref, new_size)
        self.journal.forget(COPY)
        return ref

    def plan_update(self, ref: str, record: _engine.Record) -> t.List[_engine.Change]:
        sr_ref = self._target_sr()[0] if self.params["sr"] is not None else None
        vdi_plan.check_unchangeable(record, self.params, sr_ref)
        changes = _setters.setter_changes(ref, vdi_plan.metadata_setters(record, self.params), self.call)
        if self.journal.recall(IMPORT_PENDING) == ref:
            # An earlier round made the disk and lost its connection while filling it: fill it now.
            changes.append(_engine.Change("import_from", None, self.params["import_from"], lambda: self._refill(ref)))
        new_size = vdi_plan.size_target(record["virtual_size"], vdi_plan.parse_size_option(self.params["size"]))
        if new_size is not None:
            world = self.world()
            capabilities = vdi_plan.driver_capabilities(world["SR"].get(record["SR"], {}), world["SM"])
            method = vdi_plan.resize_method(record["name_label"], self._users(record), capabilities)
            changes.append(_engine.Change("size", record["virtual_size"], new_size, lambda: self.run_task(method, ref, new_size)))
        target = self.params["export_to"]
        if target and not os.path.exists(target):
            def export() -> None:
                vdi_transfer.export_disk(self.client, ref, target, self.timeout)
            changes.append(_engine.Change("export_to", None, target, export, predict=lambda after: None))
        return changes

    def _refill(self, ref: str) -> None:
        with vdi_transfer.fetched(self.params["import_from"], self.params["checksum"], self.timeout) as path:
            self._fill(ref, path, disk_images.inspect(path).format)

    def plan_delete(self, ref: str, record: _engine.Record) -> t.List[_engine.Change]:
        steps = vdi_plan.removal_steps(record["name_label"], self._users(record), bool(self.params["force"]))
        changes = [self._removal_change(step) for step in steps]
        changes.append(_engine.Change("state", "present", "absent", lambda: self.run_task("VDI.destroy", ref)))
        return changes

    def _removal_change(self, step: vdi_plan.RemovalStep) -> _engine.Change:
        before, after = step.describe()
        if step.action == "unplug":
            return _engine.Change("vms", before, after, lambda: self.change_state("VBD.unplug", step.user.vbd_ref))
        # Destroying a drive is a quick database change, not a task.
        return _engine.Change("vms", before, after, lambda: self.call("VBD.destroy", step.user.vbd_ref))

    # -- writes -----------------------------------------------------------------------------

    # -- view -------------------------------------------------------------------------------
    def present(self, ref: t.Optional[str]) -> _engine.Record:
        if ref is None:
            return {}
        world = self.world()
        record = world["VDI"].get(ref)
        if record is None:
            return {}
        return vdi_plan.vdi_view(record, world["SR"], self._users(record))
