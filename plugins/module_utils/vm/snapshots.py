# Copyright: (c) 2026, xen.xapi maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""xen_vm_snapshot's decisions, free of any server call so they can be unit tested.

A VM's snapshots are VM records with ``is_a_snapshot`` and ``snapshot_of`` the VM; their disks are
snapshot VDIs behind their VBDs. A checkpoint also holds the VM's memory: it is Suspended and has a
``suspend_VDI``. ``SnapshotFamily`` holds what was read about one VM; the functions below order
the snapshots, pick what retention deletes, the disks that go with a snapshot, and the power steps
that follow a revert.
"""

from __future__ import annotations

import dataclasses
import datetime
import typing as t

from ansible_collections.xen.xapi.plugins.module_utils import _engine
from ansible_collections.xen.xapi.plugins.module_utils._xapi import errors

Record = t.Dict[str, t.Any]
Records = t.Dict[str, Record]
Pair = t.Tuple[str, Record]

NULL_REF = "OpaqueRef:NULL"
RUNNING, HALTED, SUSPENDED, PAUSED = "Running", "Halted", "Suspended", "Paused"
# XAPI power states as the module names them.
POWER_NAMES = {RUNNING: "running", HALTED: "halted", SUSPENDED: "suspended", PAUSED: "paused"}
POWER_CHOICES = ("running", "halted", "as_before")
# How xapi renders datetimes (first), and forms seen from other releases and transports.
_TIME_FORMATS = ("%Y%m%dT%H:%M:%SZ", "%Y%m%dT%H:%M:%S", "%Y-%m-%dT%H:%M:%SZ", "%Y-%m-%dT%H:%M:%S")
_EPOCH = datetime.datetime(1970, 1, 1)


def is_null(ref: t.Optional[str]) -> bool:
    return not ref or ref == NULL_REF


def parse_time(text: t.Any) -> t.Optional[datetime.datetime]:
    """A snapshot_time as a naive UTC datetime; None when it cannot be read."""
    for fmt in _TIME_FORMATS:
        try:
            return datetime.datetime.strptime(str(text), fmt)
        except ValueError:
            continue
    return None


def iso_time(text: t.Any) -> str:
    """The time in ISO 8601 (``2024-05-01T02:00:00Z``); unreadable text is returned as it came."""
    moment = parse_time(text)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ") if moment is not None else str(text)


def is_checkpoint(record: Record) -> bool:
    """Whether the snapshot holds the VM's memory (taken with VM.checkpoint)."""
    return record.get("power_state") == SUSPENDED or not is_null(record.get("suspend_VDI"))


def newest_first(snapshots: Records) -> t.List[str]:
    """Snapshot refs, newest first.

    snapshot_time has a one-second resolution, so snapshots taken in the same second are ordered by
    the snapshot tree: a snapshot's ``parent`` is the one taken before it, so deeper is newer.
    Name and uuid break the remaining ties, so the order never depends on how records were read.
    """
    def depth(ref: str) -> int:
        seen = set()
        while ref in snapshots and ref not in seen:
            seen.add(ref)
            ref = snapshots[ref].get("parent", NULL_REF)
        return len(seen)

    def key(ref: str) -> t.Tuple[datetime.datetime, int, str, str]:
        record = snapshots[ref]
        return (parse_time(record.get("snapshot_time")) or _EPOCH, depth(ref), record.get("name_label", ""), record.get("uuid", ""))
    return sorted(snapshots, key=key, reverse=True)


def retention_victims(ordered: t.Sequence[Pair], prefix: str, retain: int, keep: t.Optional[str] = None,
                      pending_name: t.Optional[str] = None) -> t.List[str]:
    """The refs retention deletes, oldest first.

    ``ordered`` are the VM's snapshots newest first. Of those whose name starts with ``prefix``,
    ``retain`` are kept: the snapshot the task names (``keep``, an existing ref, or ``pending_name``,
    one about to be taken, which is then the newest) always, then the newest others.
    """
    if retain < 0:
        raise errors.ResourceError("retain: give the number of snapshots to keep (0 or more), not {0}.".format(retain))
    check_retention(prefix)
    matching = [ref for ref, record in ordered if str(record.get("name_label", "")).startswith(prefix)]
    kept = 1 if keep in matching or (pending_name is not None and pending_name.startswith(prefix)) else 0
    victims = []
    for ref in matching:
        if ref == keep:
            continue
        if kept < retain:
            kept += 1
        else:
            victims.append(ref)
    return list(reversed(victims))


def target_power(power_state_after: t.Optional[str], checkpoint: bool, before: str) -> str:
    """The power state (XAPI spelling) a revert ends in.

    By default the VM comes back as the snapshot found it: running from a checkpoint, halted from a
    disk-only snapshot. ``as_before`` keeps a running (or paused) VM running and leaves others halted.
    """
    if power_state_after == "running":
        return RUNNING
    if power_state_after == "halted":
        return HALTED
    if power_state_after == "as_before":
        return RUNNING if before in (RUNNING, PAUSED) else HALTED
    return RUNNING if checkpoint else HALTED


def power_steps(current: str, target: str) -> t.List[str]:
    """The VM messages that take a VM from ``current`` to ``target`` (Running or Halted)."""
    if current == target:
        return []
    if target == RUNNING:
        return {HALTED: ["VM.start"], SUSPENDED: ["VM.resume"], PAUSED: ["VM.unpause"]}[current]
    if target == HALTED:
        return ["VM.hard_shutdown"]
    raise ValueError("unsupported target power state {0!r}".format(target))


def check_retention(prefix: t.Optional[str]) -> None:
    """Retention deletes data: it never acts on a selector that is empty, or blank once templated."""
    if prefix is None or not prefix.strip():
        raise errors.ResourceError("name_prefix: retention deletes the snapshots whose names start with name_prefix, and {0} would select "
                                   "every snapshot of the VM. Give the prefix the managed snapshots share, such as 'nightly-' (a templated "
                                   "value that renders empty is refused too).".format("no prefix" if prefix is None else repr(prefix)))


def check_options(params: t.Mapping[str, t.Any]) -> None:
    """Refuse combinations of options that cannot mean anything, before any server call."""
    state = params.get("state") or "present"
    retention = params.get("retain") is not None
    if params.get("name") is None and params.get("uuid") is None and not (state == "present" and retention):
        raise errors.ResourceError("name: give the snapshot's name (or its uuid); only retention (retain with name_prefix) works without one.")
    if retention and state != "present":
        raise errors.ResourceError("retain: retention runs with state=present only, not state={0}.".format(state))
    if retention:
        check_retention(params.get("name_prefix"))
    if params.get("power_state_after") is not None and state != "reverted":
        raise errors.ResourceError("power_state_after: only used with state=reverted, not state={0}.".format(state))
    if params.get("with_memory") and params.get("ignore_disks"):
        raise errors.ResourceError("ignore_disks: a checkpoint (with_memory=true) always includes every disk of the VM; "
                                   "leave ignore_disks out, or take a disk-only snapshot.")


# --- what was read about one VM ------------------------------------------------------------------

@dataclasses.dataclass
class Disk:
    """One disk of a VM or snapshot: its drive (VBD) and the VDI behind it."""

    vbd_ref: str
    vdi_ref: str
    vbd: Record
    vdi: Record

    def view(self) -> Record:
        return {"uuid": self.vdi.get("uuid", ""), "name": self.vdi.get("name_label", ""),
                "size": self.vdi.get("virtual_size", 0), "userdevice": self.vbd.get("userdevice", "")}


def _device_order(disk: Disk) -> t.Tuple[int, str]:
    text = str(disk.vbd.get("userdevice", ""))
    return (int(text), text) if text.isdigit() else (1 << 30, text)


@dataclasses.dataclass
class SnapshotFamily:
    """A VM, its snapshots, and the drives and disks of both (those read)."""

    vm_ref: str
    vm: Record
    snapshots: Records = dataclasses.field(default_factory=dict)
    vbds: Records = dataclasses.field(default_factory=dict)
    vdis: Records = dataclasses.field(default_factory=dict)

    @property
    def vm_name(self) -> str:
        return str(self.vm.get("name_label", ""))

    def ordered(self) -> t.List[Pair]:
        return [(ref, self.snapshots[ref]) for ref in newest_first(self.snapshots)]

    def disks(self, owner_ref: str) -> t.List[Disk]:
        """The disk drives of the VM or one of its snapshots, in slot order; CD drives and empty drives are left out."""
        owner = self.vm if owner_ref == self.vm_ref else self.snapshots.get(owner_ref, {})
        found = []
        for vbd_ref in owner.get("VBDs") or []:
            vbd = self.vbds.get(vbd_ref)
            if vbd is None or vbd.get("type") != "Disk" or vbd.get("empty") or is_null(vbd.get("VDI")):
                continue
            vdi = self.vdis.get(vbd["VDI"])
            if vdi is not None:
                found.append(Disk(vbd_ref, vbd["VDI"], vbd, vdi))
        return sorted(found, key=_device_order)

    def left_out(self, snapshot_ref: str) -> t.List[Disk]:
        """The VM's disks the snapshot was taken without (ignore_disks), which a revert leaves detached.

        xapi's revert (xapi_vm_snapshot.ml, revert_vbds) detaches every disk of the VM that no disk of the
        snapshot was taken from; of those, the ones whose position no disk of the snapshot takes were left out
        on purpose. The others are older copies the snapshot's disks replace.
        """
        snapshot_disks = self.disks(snapshot_ref)
        taken_from = set(disk.vdi.get("snapshot_of") for disk in snapshot_disks)
        positions = set(str(disk.vbd.get("userdevice", "")) for disk in snapshot_disks)
        return [disk for disk in self.disks(self.vm_ref)
                if disk.vdi_ref not in taken_from and str(disk.vbd.get("userdevice", "")) not in positions]

    def positions_of(self, owner_ref: str) -> t.Set[str]:
        """The device positions the drives of the VM or one of its snapshots take (CD drives included)."""
        owner = self.vm if owner_ref == self.vm_ref else self.snapshots.get(owner_ref, {})
        return set(str(self.vbds[ref].get("userdevice", "")) for ref in owner.get("VBDs") or [] if ref in self.vbds)

    def owned_disks(self, snapshot_ref: str) -> t.List[str]:
        """The VDIs that go with the snapshot: snapshot disks no other VM's drive uses."""
        own_vbds = set(self.snapshots.get(snapshot_ref, {}).get("VBDs") or [])
        return [disk.vdi_ref for disk in self.disks(snapshot_ref)
                if disk.vdi.get("is_a_snapshot") and set(disk.vdi.get("VBDs") or []) <= own_vbds]

    def view(self, snapshot_ref: t.Optional[str]) -> Record:
        """The snapshot as the module returns it; {} when there is none."""
        record = self.snapshots.get(snapshot_ref or "")
        if record is None:
            return {}
        return {"uuid": record.get("uuid", ""), "name": record.get("name_label", ""), "description": record.get("name_description", ""),
                "time": iso_time(record.get("snapshot_time", "")), "with_memory": is_checkpoint(record),
                "disks": [disk.view() for disk in self.disks(snapshot_ref or "")]}

    def views(self) -> t.List[Record]:
        return [self.view(ref) for ref, _record in self.ordered()]

    def vm_view(self) -> Record:
        state = str(self.vm.get("power_state", ""))
        return {"uuid": self.vm.get("uuid", ""), "name": self.vm_name, "power_state": POWER_NAMES.get(state, state.lower())}

    # -- finding what the options name --------------------------------------------------------
    def named(self, name: str) -> t.Optional[Pair]:
        """The VM's snapshot with this name; several fail listing their uuids."""
        matches = [(ref, record) for ref, record in self.ordered() if record.get("name_label") == name]
        return _engine.one_or_none(matches, "name: the snapshot name", name)

    def with_uuid(self, uuid: str) -> t.Optional[Pair]:
        for ref, record in self.snapshots.items():
            if record.get("uuid") == uuid:
                return ref, record
        return None

    def ignored_vdis(self, keys: t.Sequence[str]) -> t.List[str]:
        """The VM's VDIs that ``ignore_disks`` names, by uuid or name."""
        disks = self.disks(self.vm_ref)
        refs = []
        for key in keys:
            by_uuid = [disk for disk in disks if disk.vdi.get("uuid") == key]
            matches = by_uuid or [disk for disk in disks if disk.vdi.get("name_label") == key]
            found = _engine.one_or_none([(disk.vdi_ref, disk.vdi) for disk in matches], "ignore_disks: the disk name", key)
            if found is None:
                known = ", ".join(disk.vdi.get("name_label", "") for disk in disks) or "none"
                raise errors.ResourceError("ignore_disks: VM {0!r} has no disk named {1!r} or with that uuid (its disks: {2})."
                                           .format(self.vm_name, key, known))
            refs.append(found[0])
        return sorted(set(refs))

    def describe_missing(self, name: str) -> str:
        known = ", ".join(sorted(set(str(record.get("name_label", "")) for record in self.snapshots.values()))) or "none"
        return "name: VM {0!r} has no snapshot named {1!r} (its snapshots: {2}).".format(self.vm_name, name, known)
