# Copyright: (c) 2026, xen.xapi maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""xen_vm_import: an XVA file becomes a VM named ``name``.

The object reconciled is the VM of that name: present means no change. Otherwise the file streams
to ``/import`` (XAPI creates the VM and its disks, and removes them again if the import fails), then
the VM gets its name, its archived MAC addresses back when asked, and is started when asked; each
of these steps is reported, so a run that fails after the import says what it left.
"""

from __future__ import annotations

import os
import typing as t

from ansible_collections.xen.xapi.plugins.module_utils import _engine
from ansible_collections.xen.xapi.plugins.module_utils._xapi import errors, query as xapi_query, tasks, transfer
from ansible_collections.xen.xapi.plugins.module_utils.vm import present, reader, xva_file

_PLAIN_VM = xapi_query.where(is_a_template=False, is_control_domain=False, is_a_snapshot=False)
_VIF_FIELDS = ("device", "network", "MTU", "other_config", "qos_algorithm_type", "qos_algorithm_params", "locking_mode",
               "ipv4_allowed", "ipv6_allowed")
CREATED_VM = "imported VM"
# What xen_vm returns of a VM (vm/present.py), for the predicted VM of check mode.
PRESENTED_KEYS = ("uuid", "name", "description", "power_state", "is_a_template", "host", "affinity", "vcpus", "vcpus_max",
                  "cores_per_socket", "memory", "memory_dynamic_min", "memory_dynamic_max", "firmware", "boot_order", "platform",
                  "disks", "cdrom", "networks", "tags", "other_config", "xenstore_data", "ha_restart_priority",
                  "cloud_init")


class VmImportResource(_engine.Resource):
    result_key = "vm"

    def __init__(self, module: t.Any, client: t.Any) -> None:
        super().__init__(module, client)
        self.path = os.path.abspath(self.params["path"])
        self.timeout = float(self.params.get("task_timeout") or tasks.DEFAULT_TASK_TIMEOUT)
        self.report: _engine.Record = {}
        self._archived: _engine.Record = {}

    @classmethod
    def check_params(cls, params: t.Mapping[str, t.Any]) -> None:
        path = params["path"]
        if not os.path.isfile(path):
            raise errors.ResourceError("path: {0} is not a file on the machine that runs the module.".format(path))
        if not os.access(path, os.R_OK):
            raise errors.ResourceError("path: {0} cannot be read by the user running the module.".format(path))
        if not params["name"].strip():
            raise errors.ResourceError("name: give the imported VM's name; it may not be empty.")

    def locate(self) -> _engine.Found:
        name = self.params["name"]
        records = xapi_query.get_all_records_where(self.client, "VM", xapi_query.where_all(_PLAIN_VM, xapi_query.field_equals("name__label", name)))
        return _engine.one_or_none(sorted(records.items()), "name: the VM name", name)

    def present(self, ref: t.Optional[str]) -> _engine.Record:
        """The VM as xen_vm returns it."""
        if ref is None:
            return {}
        return present.present(reader.reread(self.client, ref))

    def predict_created(self) -> _engine.Record:
        """The keys xen_vm returns; what the archive says where it says it, None where only the import will tell."""
        predicted: _engine.Record = dict.fromkeys(PRESENTED_KEYS)
        predicted.update(self._archived, name=self.params["name"], power_state=self.params["state"])
        return predicted

    def _target_sr(self) -> t.Optional[str]:
        key = self.params.get("sr")
        if not key:
            return None
        by_key = xapi_query.where_any(xapi_query.field_equals("uuid", key), xapi_query.field_equals("name__label", key))
        records = xapi_query.get_all_records_where(self.client, "SR", by_key)
        by_uuid = [(ref, rec) for ref, rec in records.items() if rec.get("uuid") == key]
        found = _engine.one_or_none(by_uuid or sorted(records.items()), "sr: the SR name", key)
        if found is None:
            raise errors.ResourceError("sr: no SR is named {0!r} or has that uuid.".format(key))
        if found[1].get("content_type") == "iso":
            raise errors.ResourceError("sr: {0} ({1}) is an ISO library; VMs are imported into disk storage.".format(
                found[1].get("name_label"), found[1].get("uuid")))
        return found[0]

    def plan_create(self) -> t.Callable[[], str]:
        compression = xva_file.compression_of(self.path)
        macs: t.Dict[str, str] = {}
        if compression != "zstd":
            try:
                metadata = xva_file.read_metadata(self.path)
                archived = xva_file.vm_record(metadata)
            except xva_file.XvaProblem as err:
                raise errors.ResourceError("path: {0} is not an XVA archive: {1}.".format(self.path, err))
            macs = xva_file.archive_macs(metadata)
            self._archived = {"description": archived.get("name_description"), "tags": sorted(archived.get("tags") or []),
                              "is_a_template": bool(archived.get("is_a_template"))}
        elif self.params["preserve_macs"]:
            raise errors.ResourceError("preserve_macs: the MAC addresses of a zstd archive cannot be read here; "
                                       "import a plain or gzip archive, or set preserve_macs: false.")
        sr = self._target_sr()
        query = {"sr_id": sr} if sr else {}

        def make() -> str:
            ref = self.journal.recall(CREATED_VM)
            if ref is None:
                size = os.path.getsize(self.path)
                with open(self.path, "rb") as handle:
                    result = transfer.upload(self.client, "/import", query, size, handle.read, "VM.import", self.timeout)
                refs = result.value if isinstance(result.value, list) else [result.value]
                ref = refs[0]
                self.journal.remember(CREATED_VM, ref)
                self.report.update(duration=round(result.seconds, 3), bytes_sent=result.bytes_moved)
            self.journal.object_created()
            for step in self._after_import(ref, macs):
                self.journal.run(step)
            return ref
        return make

    def create_steps(self) -> t.List[_engine.Change]:
        steps = [_engine.Change("name", None, self.params["name"], lambda: None)]
        if self.params["preserve_macs"]:
            steps.append(_engine.Change("preserve_macs", False, True, lambda: None))
        if self.params["state"] == "running":
            steps.append(_engine.Change("power_state", "halted", "running", lambda: None))
        return steps

    def _after_import(self, ref: str, macs: t.Mapping[str, str]) -> t.List[_engine.Change]:
        steps = [_engine.Change("name", self.client.call("VM.get_name_label", ref), self.params["name"],
                                lambda: self.client.call("VM.set_name_label", ref, self.params["name"]))]
        if self.params["preserve_macs"]:
            steps.extend(self._mac_steps(ref, macs))
        if self.params["state"] == "running":
            steps.append(_engine.Change("power_state", "halted", "running",
                                        lambda: tasks.run_async(self.client, "VM.start", ref, False, False, timeout=self.timeout)))
        return [step for step in steps if step.before != step.after]

    def _mac_steps(self, ref: str, macs: t.Mapping[str, str]) -> t.List[_engine.Change]:
        """XAPI gives imported interfaces new MACs; an interface is made again with its archived MAC."""
        steps = []
        for vif in self.client.call("VM.get_VIFs", ref):
            record = self.client.call("VIF.get_record", vif)
            wanted = macs.get(str(record["device"]))
            if not wanted or wanted.lower() == record["MAC"].lower():
                continue

            def remake(vif: str = vif, record: _engine.Record = record, mac: str = wanted) -> None:
                fields = dict((key, record[key]) for key in _VIF_FIELDS if key in record)
                fields.update(VM=ref, MAC=mac)
                self.client.call("VIF.destroy", vif)
                self.client.call("VIF.create", fields)
            steps.append(_engine.Change("mac (device {0})".format(record["device"]), record["MAC"], wanted, remake))
        return steps
