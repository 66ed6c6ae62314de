# Copyright: (c) 2026, xen.xapi maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reading a VM and what surrounds it in as little time as the pool allows.

A VM is found with one `VM.get_all_records_where`, sent together with the reads of the small pool-wide classes
(hosts, networks, SRs, pool) and of the template it would be made from. Its devices (exactly those objects: its
VBDs, VIFs and guest metrics) then come in one `query.snapshot`, and its disks with a second one when first used.
A snapshot is one call per class, the calls sent together on the connection: one round trip. A run that changes
the VM without looking at its disks (a power transition) takes them with the read after its changes, together
with the rest. A VM the run made is read by its reference in two round trips (read_by_ref). A run with the
options of an earlier one reads the VM, its devices and its disks in the first round trip, by the references that
run found (see last_run).
"""

from __future__ import annotations

import typing as t

from ansible_collections.xen.xapi.plugins.module_utils import _engine
from ansible_collections.xen.xapi.plugins.module_utils._xapi import client as xapi_client, codec, errors, query
from ansible_collections.xen.xapi.plugins.module_utils.disks import lookup
from ansible_collections.xen.xapi.plugins.module_utils.vm import last_run, view

# The pool-wide classes read with every VM: few objects each, and names users refer to.
POOL_CLASSES = ("host", "network", "SR", "pool")
Objects = t.Dict[str, view.Records]


def pool_objects(objects: Objects) -> view.PoolObjects:
    pools = list(objects.get("pool", {}).values())
    return view.PoolObjects(hosts=objects.get("host", {}), networks=objects.get("network", {}), srs=objects.get("SR", {}),
                            pool=pools[0] if pools else {})


def read_view(client: xapi_client.XapiClient, ref: str, record: view.Record, pool: t.Optional[view.PoolObjects] = None) -> view.VmView:
    """The whole VM in two snapshots: its devices with the pool classes (unless ``pool`` holds them already, as read
    earlier in the same round), then its disks (when first used)."""
    objects = query.snapshot(client, POOL_CLASSES if pool is None else (),
                             {"VBD": record.get("VBDs", []), "VIF": record.get("VIFs", []), "VM_guest_metrics": [record.get("guest_metrics", "")]})
    vbds = objects["VBD"]

    def read_disks() -> view.Records:
        return query.snapshot(client, objects={"VDI": _disk_refs(vbds.values())})["VDI"]
    guest_metrics = list(objects["VM_guest_metrics"].values())
    return view.VmView(ref=ref, record=record, vbds=vbds, vdis=view.LazyRecords(read_disks), vifs=objects["VIF"],
                       guest_metrics=guest_metrics[0] if guest_metrics else {}, pool=pool_objects(objects) if pool is None else pool)


def _disk_refs(vbds: t.Iterable[view.Record]) -> t.List[str]:
    return [vbd.get("VDI", "") for vbd in vbds if not view.is_null(vbd.get("VDI"))]


def read_by_ref(client: xapi_client.XapiClient, ref: str, pool: t.Optional[view.PoolObjects] = None) -> view.VmView:
    """A VM known by its reference only (one the run made): the VM with its drives and interfaces (found by their VM
    field) and, unless ``pool`` holds them, the pool objects in one round trip; their disks and its guest metrics in
    a second."""
    reads = [("VM", query.ref_in([ref])), ("VBD", query.field_equals("VM", ref)), ("VIF", query.field_equals("VM", ref))]
    answers = query.read_each(client, reads + ([(cls, None) for cls in POOL_CLASSES] if pool is None else []))
    record = answers[0].get(ref)
    if record is None:  # gone: VM.get_record says so in xapi's words (HANDLE_INVALID)
        return read_view(client, ref, codec.normalize_record("VM", client.call("VM.get_record", ref)), pool)
    vbds, vifs = answers[1], answers[2]
    metrics = record.get("guest_metrics", "")
    second = query.snapshot(client, objects={"VDI": _disk_refs(vbds.values()), "VM_guest_metrics": [metrics]})
    return view.VmView(ref=ref, record=record, vbds=vbds, vdis=second["VDI"], vifs=vifs,
                       guest_metrics=second["VM_guest_metrics"].get(metrics, {}) if not view.is_null(metrics) else {},
                       pool=pool if pool is not None else pool_objects(dict(zip(POOL_CLASSES, answers[len(reads):]))))


def reread(client: xapi_client.XapiClient, ref: str, earlier: t.Optional[view.VmView] = None,
           pool: t.Optional[view.PoolObjects] = None) -> view.VmView:
    """The VM again, after changes. With the view read before them, in one snapshot where its devices are known.

    The objects the earlier view held (the VM, its VBDs, their VDIs, VIFs and guest metrics, whether or not the earlier
    view had read the disks) and those the run made for it since (``made``: new disks and interfaces) come again with
    guest metrics in one snapshot; only when the VM now has a device or guest metrics nobody noted (the guest agent
    came up, another client added a disk) does it cost the reads of a first one. The pool objects are not read again:
    they come from the earlier view or ``pool``, read earlier in the same round (a VM's changes do not change them,
    and a new round reads them afresh).
    """
    pool = earlier.pool if earlier is not None else pool
    if earlier is None or earlier.ref != ref:
        return read_by_ref(client, ref, pool)
    guest_metrics = earlier.record.get("guest_metrics", "")
    made = earlier.made
    objects = query.snapshot(client, objects={"VM": [ref], "VBD": list(earlier.vbds) + made.get("VBD", []),
                                              "VIF": list(earlier.vifs) + made.get("VIF", []),
                                              "VDI": _disk_refs(earlier.vbds.values()) + made.get("VDI", []),
                                              "VM_guest_metrics": [guest_metrics] + made.get("VM_guest_metrics", [])})
    record = objects["VM"].get(ref)
    if record is None:  # gone: VM.get_record says so in xapi's words (HANDLE_INVALID)
        return read_view(client, ref, codec.normalize_record("VM", client.call("VM.get_record", ref)), pool)
    return assembled(client, ref, record, objects, earlier.pool) or read_view(client, ref, record, pool)


def assembled(client: xapi_client.XapiClient, ref: str, record: view.Record, objects: t.Mapping[str, view.Records],
              pool: view.PoolObjects, lazy_disks: bool = False) -> t.Optional[view.VmView]:
    """The VM from records read by reference (``objects``: {"VBD": ..., "VIF": ..., "VDI": ..., "VM_guest_metrics":
    ...}), if they hold every drive, interface and guest metrics its record lists, and the disks in those drives;
    with ``lazy_disks``, disks missing there are read on first use instead. None when they do not."""
    vbds = dict((vbd, objects["VBD"].get(vbd)) for vbd in record.get("VBDs", []))
    vifs = dict((vif, objects["VIF"].get(vif)) for vif in record.get("VIFs", []))
    metrics = record.get("guest_metrics", "")
    if None in vbds.values() or None in vifs.values() or not (view.is_null(metrics) or metrics in objects["VM_guest_metrics"]):
        return None
    disks = _disk_refs(t.cast(view.Records, vbds).values())
    vdis: t.Mapping[str, view.Record]
    if all(vdi in objects["VDI"] for vdi in disks):
        vdis = dict((vdi, objects["VDI"][vdi]) for vdi in disks)
    elif lazy_disks:
        vdis = view.LazyRecords(lambda: query.snapshot(client, objects={"VDI": disks})["VDI"])
    else:
        return None
    return view.VmView(ref=ref, record=record, vbds=t.cast(view.Records, vbds), vdis=vdis, vifs=t.cast(view.Records, vifs),
                       guest_metrics=objects["VM_guest_metrics"].get(metrics, {}) if not view.is_null(metrics) else {}, pool=pool)


def _key_clause(key: str) -> str:
    """Matches an object by uuid or name_label (`name__label` is how the filter language spells it)."""
    return query.where_any(query.field_equals("uuid", key), query.field_equals("name__label", key))


# Plain VMs: never templates (which snapshots also are) nor control domains.
PLAIN_VM = query.where_all(query.field_equals("is_a_template", False), query.field_equals("is_control_domain", False))
# Templates made from VMs, which `is_a_template: true` must still find (never the default ones).
CUSTOM_TEMPLATE = query.where_all(query.field_equals("is_a_template", True), query.field_equals("is_a_snapshot", False),
                                  query.field_equals("is_default_template", False), query.field_equals("is_control_domain", False))


class FirstRead(t.NamedTuple):
    """What the first read of a round found: the VM the options name, and what making it would start from."""

    vm: t.Optional[t.Tuple[str, view.Record]]
    #: the VMs or templates the `template` or `source` option may name (None: not read)
    sources: t.Optional[view.Records]
    #: the pool objects (None: not read)
    pool: t.Optional[view.PoolObjects]
    #: the whole VM, when the references of the last run (see last_run) held its devices (None: still to be read)
    whole: t.Optional[view.VmView] = None


# What a VM refers to, read beside it by the references the last run with the same options found.
DEVICE_CLASSES = ("VBD", "VIF", "VDI", "VM_guest_metrics")


def first_read(client: xapi_client.XapiClient, params: t.Mapping[str, t.Any], may_create: bool,
               last: t.Optional[last_run.LastRun] = None) -> FirstRead:
    """The VM the identity options name, in one round trip with what a creation would need when the VM may have to
    be made: the template or source it would be copied from, and the pool objects (which a VM found needs as well).
    With ``last``, its devices and disks by the references it holds, in the same round trip (see last_run).

    A name matching several VMs fails listing their uuids. A template made from a VM (is_a_template: true) is still
    found, by uuid or by name, so that it can be turned back; by name, plain VMs come first. Default templates,
    snapshots and control domains never match.
    """
    reads: t.List[t.Tuple[str, t.Optional[str]]] = [("VM", _vm_selector(params.get("name"), params.get("uuid")))]
    source = _source_option(params) if may_create else None
    if source is not None:
        reads.append(("VM", _source_selector(*source)))
    remembered = dict(zip(DEVICE_CLASSES, (last.vbds, last.vifs, last.vdis, [last.guest_metrics]))) if last is not None and last.vm else {}
    devices = [cls for cls in DEVICE_CLASSES if any(not view.is_null(ref) for ref in remembered.get(cls, []))]
    reads += [(cls, query.ref_in(remembered[cls])) for cls in devices]
    with_pool = may_create or bool(remembered)
    if with_pool:
        reads += [(cls, None) for cls in POOL_CLASSES]
    answers = query.read_each(client, reads)
    vm = _pick_vm(answers[0], params.get("name"), params.get("uuid"))
    pool = pool_objects(dict(zip(POOL_CLASSES, answers[-len(POOL_CLASSES):]))) if with_pool else None
    whole = None
    if vm is not None and pool is not None and remembered and vm[0] == t.cast(last_run.LastRun, last).vm:
        objects = dict((cls, answers[1 + (source is not None) + devices.index(cls)] if cls in devices else {}) for cls in DEVICE_CLASSES)
        whole = completed(client, vm[0], vm[1], objects, pool)
    return FirstRead(vm, answers[1] if source is not None else None, pool, whole)


def completed(client: xapi_client.XapiClient, ref: str, record: view.Record, objects: t.Mapping[str, view.Records],
              pool: view.PoolObjects) -> t.Optional[view.VmView]:
    """The VM from the records of its devices read already, reading those they lack: the drives, interfaces and
    guest metrics its record lists but ``objects`` does not hold in one round trip (none when it holds them all, as
    when they did not change since the last run), the disks on first use unless ``objects`` holds them all, and new
    guest metrics alone on first use too. So a VM whose guest agent came up, or that has a new drive, costs at most
    the reads of a VM read afresh."""
    wanted = {"VBD": record.get("VBDs", []), "VIF": record.get("VIFs", []), "VM_guest_metrics": [record.get("guest_metrics", "")]}
    missing = dict((cls, [one for one in refs if not view.is_null(one) and one not in objects[cls]]) for cls, refs in wanted.items())
    metrics = missing.pop("VM_guest_metrics")
    if not any(missing.values()) and metrics:
        # Only the guest metrics are new (the VM started again since): read when first used, most often with the
        # read that takes the logout along.
        whole = assembled(client, ref, record, dict(objects, VM_guest_metrics={metrics[0]: {}}), pool, lazy_disks=True)
        if whole is not None:
            whole.guest_metrics = view.LazyRecords(
                lambda: query.snapshot(client, objects={"VM_guest_metrics": metrics})["VM_guest_metrics"].get(metrics[0], {}))
        return whole
    if any(missing.values()):
        more = query.snapshot(client, objects=dict(missing, VM_guest_metrics=metrics))
        objects = dict((cls, dict(records, **more.get(cls, {}))) for cls, records in objects.items())
    return assembled(client, ref, record, objects, pool, lazy_disks=True)


def _vm_selector(name: t.Optional[str], uuid: t.Optional[str]) -> str:
    identity = query.field_equals("uuid", uuid) if uuid else query.field_equals("name__label", name or "")
    return query.where_all(query.where_any(PLAIN_VM, CUSTOM_TEMPLATE), identity)


def _pick_vm(records: view.Records, name: t.Optional[str], uuid: t.Optional[str]) -> t.Optional[t.Tuple[str, view.Record]]:
    plain = [(ref, record) for ref, record in sorted(records.items()) if not record.get("is_a_template")]
    return _engine.one_or_none(plain or sorted(records.items()), "name" if not uuid else "uuid", uuid or name or "")


def _source_option(params: t.Mapping[str, t.Any]) -> t.Optional[t.Tuple[str, str]]:
    """(option, value) of what a new VM is copied from: `template`, else `source`; None when neither is given."""
    for option in ("template", "source"):
        if params.get(option):
            return option, str(params[option])
    return None


def _source_selector(option: str, key: str) -> str:
    if option == "template":
        selector = query.where_all(query.field_equals("is_a_template", True), query.field_equals("is_a_snapshot", False))
    else:
        selector = query.where_any(query.field_equals("is_a_snapshot", True), PLAIN_VM)
    return query.where_all(selector, _key_clause(key))


def find_source(client: xapi_client.XapiClient, params: t.Mapping[str, t.Any], candidates: t.Optional[view.Records] = None) -> t.Tuple[str, view.Record]:
    """The template (option `template`) or the VM or snapshot to copy (`source`), by name or uuid: among the
    candidates the first read found, or read now."""
    source = _source_option(params)
    if source is None:
        raise errors.ResourceError("template: give the template (or source) to create the VM from.")
    option, key = source
    if candidates is None:
        candidates = query.get_all_records_where(client, "VM", _source_selector(option, key))
    found = _engine.one_or_none(sorted(candidates.items()), option, key)
    if found is None:
        what = "template" if option == "template" else "VM or snapshot"
        raise errors.ResourceError("{0}: no {1} is named {2!r} or has that uuid.".format(option, what, key))
    return found


def find_vdi(client: xapi_client.XapiClient, option: str, key: str) -> t.Tuple[str, view.Record]:
    """A virtual disk by uuid or name (snapshots' disks aside)."""
    records = query.get_all_records_where(client, "VDI", _key_clause(key))
    found = _engine.one_or_none(sorted((ref, rec) for ref, rec in records.items() if not rec.get("is_a_snapshot")), option, key)
    if found is None:
        raise errors.ResourceError("{0}: no virtual disk is named {1!r} or has that uuid.".format(option, key))
    return found


def find_iso(client: xapi_client.XapiClient, srs: view.Records, option: str, key: str) -> t.Tuple[str, view.Record]:
    """An ISO image by uuid or name: only disks of ISO libraries match, never a VM's virtual disk."""
    return lookup.resolve_iso(query.get_all_records_where(client, "VDI", _key_clause(key)), srs, key, option)
