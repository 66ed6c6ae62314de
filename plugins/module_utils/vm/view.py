# Copyright: (c) 2026, xen.xapi maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A VM with its devices and the pool objects around it, as read in a few batched calls.

Everything here is pure: the reader fills these structures and the families only look at them,
so their planning logic can be unit tested without a server.
"""

from __future__ import annotations

import dataclasses
import typing as t

from ansible_collections.xen.xapi.plugins.module_utils import _engine
from ansible_collections.xen.xapi.plugins.module_utils._xapi import errors, query

Record = t.Dict[str, t.Any]
Records = t.Dict[str, Record]
NULL_REF = "OpaqueRef:NULL"

# XAPI power states and the names the module uses for them (its `state` choices).
RUNNING, HALTED, SUSPENDED, PAUSED = "Running", "Halted", "Suspended", "Paused"
# Set in other_config of the VDI that holds a VM's cloud-init config drive (see cloud_init.py).
CONFIG_DRIVE_MARKER = "xen.xapi:cloud-init"
STATE_NAMES = {RUNNING: "running", HALTED: "halted", SUSPENDED: "suspended", PAUSED: "paused"}


def is_null(ref: t.Optional[str]) -> bool:
    return not ref or ref == NULL_REF


def userdevice_order(record: Record) -> t.Tuple[int, str]:
    """Sort key for VBDs and VIFs: numeric slots first, in numeric order."""
    text = str(record.get("userdevice", record.get("device", "")))
    return (int(text), text) if text.isdigit() else (1 << 30, text)


class LazyRecords(t.Mapping[str, t.Any]):
    """Records (or the fields of one record) read on first use: a VM's disks, which only planning some options and
    presenting the VM need, or guest metrics that appeared since the last run (see reader.completed).

    A power transition plans without them and presents the VM from the read after it, which takes them in the
    same call; reading them up front would cost a call the run never uses.
    """

    def __init__(self, load: t.Callable[[], t.Mapping[str, t.Any]]) -> None:
        self._load: t.Optional[t.Callable[[], t.Mapping[str, t.Any]]] = load
        self._records: t.Mapping[str, t.Any] = {}

    @property
    def pending(self) -> bool:
        """Whether the records are still to be read."""
        return self._load is not None

    def _loaded(self) -> t.Mapping[str, t.Any]:
        if self._load is not None:
            self._records, self._load = self._load(), None
        return self._records

    def load(self) -> None:
        """Read the records now (if not read yet)."""
        self._loaded()

    def __getitem__(self, key: str) -> t.Any:
        return self._loaded()[key]

    def __iter__(self) -> t.Iterator[str]:
        return iter(self._loaded())

    def __len__(self) -> int:
        return len(self._loaded())


@dataclasses.dataclass
class PoolObjects:
    """The small, pool-wide classes a VM refers to by name: hosts, networks, SRs, and the pool."""

    hosts: Records = dataclasses.field(default_factory=dict)
    networks: Records = dataclasses.field(default_factory=dict)
    srs: Records = dataclasses.field(default_factory=dict)
    pool: Record = dataclasses.field(default_factory=dict)

    def _resolve(self, records: Records, key: str, option: str, what: str) -> t.Tuple[str, Record]:
        found = _engine.one_or_none(query.find_by_ref_or_uuid_or_name(records, key), what, key)
        if found is None:
            known = ", ".join(sorted(r.get("name_label", "") for r in records.values())) or "none"
            raise errors.ResourceError("{0}: no {1} is named {2!r} or has that uuid (known: {3}).".format(option, what, key, known))
        return found

    def host(self, key: str, option: str) -> t.Tuple[str, Record]:
        return self._resolve(self.hosts, key, option, "host")

    def network(self, key: str, option: str) -> t.Tuple[str, Record]:
        return self._resolve(self.networks, key, option, "network")

    def sr(self, key: str, option: str) -> t.Tuple[str, Record]:
        return self._resolve(self.srs, key, option, "SR")

    def default_sr(self, option: str) -> t.Tuple[str, Record]:
        """The pool's default SR; ResourceError asking for `option` when there is none."""
        ref = self.pool.get("default_SR", NULL_REF)
        if is_null(ref) or ref not in self.srs:
            raise errors.ResourceError("{0}: the pool has no default SR; name the SR to use.".format(option))
        return ref, self.srs[ref]

    def name_of(self, records: Records, ref: t.Optional[str]) -> t.Optional[str]:
        if is_null(ref) or ref not in records:
            return None
        return records[ref].get("name_label")


@dataclasses.dataclass
class VmView:
    """One VM: its record, its VBDs with their VDIs, its VIFs, guest metrics, and the pool objects."""

    ref: str
    record: Record
    vbds: Records = dataclasses.field(default_factory=dict)
    # The VBDs' disks: a LazyRecords when read by the reader (see there), a plain dict otherwise.
    vdis: t.Mapping[str, Record] = dataclasses.field(default_factory=dict)
    vifs: Records = dataclasses.field(default_factory=dict)
    # The guest agent's record ({} without one); a LazyRecords when left to a read on first use (reader.completed).
    guest_metrics: t.Mapping[str, t.Any] = dataclasses.field(default_factory=dict)
    pool: PoolObjects = dataclasses.field(default_factory=PoolObjects)
    # Refs of the objects (class -> refs) this run made for the VM after it was read, new disks and interfaces (and
    # the guest metrics an agent that came up meanwhile made): the read after the changes asks for them with the
    # others, in one call instead of the three of a first read.
    made: t.Dict[str, t.List[str]] = dataclasses.field(default_factory=dict)

    @property
    def power_state(self) -> str:
        return str(self.record.get("power_state", HALTED))

    @property
    def uuid(self) -> str:
        return str(self.record.get("uuid", ""))

    def vbds_of_type(self, vbd_type: str) -> t.List[t.Tuple[str, Record]]:
        """This VM's VBDs of one type ("Disk", "CD"), in userdevice order."""
        found = [(ref, rec) for ref, rec in self.vbds.items() if rec.get("type") == vbd_type]
        return sorted(found, key=lambda item: userdevice_order(item[1]))

    def disks(self) -> t.List[t.Tuple[str, Record]]:
        """The VM's disks, without the cloud-init config drive (the cloud_init family's, not the disks option's)."""
        return [(ref, vbd) for ref, vbd in self.vbds_of_type("Disk") if not self.is_config_drive(vbd)]

    def is_config_drive(self, vbd: Record) -> bool:
        vdi = self.vdi_of(vbd)
        return vdi is not None and CONFIG_DRIVE_MARKER in (vdi.get("other_config") or {})

    def cd_drives(self) -> t.List[t.Tuple[str, Record]]:
        return self.vbds_of_type("CD")

    def vdi_of(self, vbd: Record) -> t.Optional[Record]:
        if vbd.get("empty") or is_null(vbd.get("VDI")):
            return None
        return self.vdis.get(vbd["VDI"])

    def vifs_by_device(self) -> t.Dict[str, t.Tuple[str, Record]]:
        return dict((rec.get("device", ""), (ref, rec)) for ref, rec in self.vifs.items())

    def used_userdevices(self) -> t.Set[str]:
        return set(str(rec.get("userdevice", "")) for rec in self.vbds.values())

    def owns_vdi(self, vdi_ref: str) -> bool:
        """Whether a disk belongs to this VM alone: no VBD of another VM uses it."""
        vdi = self.vdis.get(vdi_ref)
        return vdi is not None and all(vbd in self.vbds for vbd in vdi.get("VBDs", []))
