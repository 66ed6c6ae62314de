# Copyright: (c) 2026, xen.xapi maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""xen_vm_export: a VM written to an XVA file on the machine that runs the module.

The object reconciled is the file: present when it exists (no change unless ``force``), made by
streaming ``/export`` into a temporary file beside it, verified, then moved into place, so a file at
``path`` is always a whole archive. A running VM is exported from a snapshot taken for the purpose
and removed afterwards (with its disks), or refused when ``live_snapshot`` is false.
"""

from __future__ import annotations

import os
import time
import typing as t

from ansible_collections.xen.xapi.plugins.module_utils import _engine
from ansible_collections.xen.xapi.plugins.module_utils._xapi import errors, tasks, transfer
from ansible_collections.xen.xapi.plugins.module_utils.vm import snapshot_resource, xva_file

COMPRESSION_QUERY = {"none": None, "gzip": "gzip", "zstd": "zstd"}
_RUNNING = ("Running", "Paused")


class VmExportResource(_engine.Resource):
    result_key = "export"

    def __init__(self, module: t.Any, client: t.Any) -> None:
        super().__init__(module, client)
        self.path = os.path.abspath(self.params["path"])
        self.timeout = float(self.params.get("task_timeout") or tasks.DEFAULT_TASK_TIMEOUT)
        self.report: _engine.Record = {}

    @classmethod
    def check_params(cls, params: t.Mapping[str, t.Any]) -> None:
        folder = os.path.dirname(os.path.abspath(params["path"]))
        if not os.path.isdir(folder):
            raise errors.ResourceError("path: the folder {0} does not exist; create it first.".format(folder))
        if not os.access(folder, os.W_OK):
            raise errors.ResourceError("path: the folder {0} cannot be written by the user running the module.".format(folder))
        if os.path.isdir(params["path"]):
            raise errors.ResourceError("path: {0} is a folder; give the archive's file name.".format(params["path"]))

    def locate(self) -> _engine.Found:
        if os.path.exists(self.path):
            return self.path, {}
        return None

    def present(self, ref: t.Optional[str]) -> _engine.Record:
        if ref is None or not os.path.exists(self.path):
            return {}
        return {"path": self.path, "size": os.path.getsize(self.path)}

    def predict_created(self) -> _engine.Record:
        return {"path": self.path, "size": None}

    def _planned_export(self) -> t.Callable[[], str]:
        vm_ref, vm = snapshot_resource.find_vm(self.client, self.params["vm"])
        running = vm.get("power_state") in _RUNNING
        if running and not self.params["live_snapshot"]:
            raise errors.ResourceError("vm: {0} ({1}) is {2}; shut it down, or set live_snapshot: true to export a snapshot of it."
                                       .format(vm.get("name_label"), vm.get("uuid"), vm.get("power_state", "").lower()),
                                       vm_uuid=vm.get("uuid"))
        self.report = {"vm_uuid": vm.get("uuid"), "from_snapshot": running}

        def export() -> str:
            self._export(vm_ref, vm, running)
            return self.path
        return export

    def plan_create(self) -> t.Callable[[], str]:
        return self._planned_export()

    def plan_update(self, ref: str, record: _engine.Record) -> t.List[_engine.Change]:
        if not self.params["force"]:
            return []
        export = self._planned_export()

        def replace() -> None:
            export()
        return [_engine.Change("archive", "existing file", "new export", replace, predict=lambda after: after.update(size=None))]

    def _export(self, vm_ref: str, vm: _engine.Record, running: bool) -> None:
        source = vm_ref
        if running:
            label = "{0} (export {1})".format(vm.get("name_label"), time.strftime("%Y%m%dT%H%M%SZ", time.gmtime()))
            source = tasks.run_async(self.client, "VM.snapshot", vm_ref, label, timeout=self.timeout)
        try:
            self._download(source)
        finally:
            if running:
                self._remove_snapshot(source)

    def _download(self, source: str) -> None:
        temporary = "{0}.part-{1}".format(self.path, os.getpid())
        query = {"ref": source}
        compression = COMPRESSION_QUERY[self.params["compress"]]
        if compression:
            query["use_compression"] = compression
        try:
            descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(descriptor, "wb") as handle:
                result = transfer.download(self.client, "/export", query, handle.write, "VM.export", self.timeout)
                handle.flush()
                os.fsync(handle.fileno())
            counts = xva_file.verify(temporary)
            os.replace(temporary, self.path)
        except xva_file.XvaProblem as err:
            raise errors.ResourceError("path: the archive received is not intact ({0}); nothing was written at {1}.".format(err, self.path))
        except OSError as err:
            raise errors.ResourceError("path: cannot write {0}: {1}.".format(temporary, err.strerror or err))
        finally:
            if os.path.exists(temporary):
                os.remove(temporary)
        self.report.update(duration=round(result.seconds, 3), bytes_received=result.bytes_moved, **counts)

    def _remove_snapshot(self, snapshot: str) -> None:
        """The snapshot taken for the export goes, with the disks it made (best effort: the export's outcome stands)."""
        try:
            vbds = self.client.call("VM.get_VBDs", snapshot)
            disks = [self.client.call("VBD.get_VDI", vbd) for vbd in vbds if self.client.call("VBD.get_type", vbd) == "Disk"]
            self.client.call("VM.destroy", snapshot)
            for disk in disks:
                if disk != "OpaqueRef:NULL":
                    tasks.run_async(self.client, "VDI.destroy", disk, timeout=self.timeout)
        except errors.XapiBaseError as err:
            self.module.warn("The snapshot made for the export could not be removed ({0}); remove it by hand.".format(err))
