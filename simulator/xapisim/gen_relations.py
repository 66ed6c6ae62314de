"""Relations for ``gen_schema.py``: pairs of fields xapi keeps in step, like VBD.VM and VM.VBDs.

The datamodel does not list them. ``KNOWN_RELATIONS`` mirrors xapi's ``all_relations``; it is
checked against the fields that exist, and pairs guessed from field types are compared with it.
"""
from __future__ import annotations

from typing import Any

from xapisim.schema import parse_type

# xapi's all_relations (datamodel.ml), "many" end first. Self-pairs such as subject.roles and
# role.subroles are plain stored sets rather than two ends of a relation, so they are left out.
KNOWN_RELATIONS: tuple[tuple[str, str], ...] = (
    ("VM.snapshot_of", "VM.snapshots"),
    ("VDI.snapshot_of", "VDI.snapshots"),
    ("VM.parent", "VM.children"),
    ("task.subtask_of", "task.subtasks"),
    ("task.session", "session.tasks"),
    ("PIF.bond_slave_of", "Bond.slaves"),
    ("Bond.master", "PIF.bond_master_of"),
    ("VLAN.tagged_PIF", "PIF.VLAN_slave_of"),
    ("tunnel.access_PIF", "PIF.tunnel_access_PIF_of"),
    ("tunnel.transport_PIF", "PIF.tunnel_transport_PIF_of"),
    ("PBD.host", "host.PBDs"),
    ("PBD.SR", "SR.PBDs"),
    ("VBD.VDI", "VDI.VBDs"),
    ("crashdump.VDI", "VDI.crash_dumps"),
    ("VBD.VM", "VM.VBDs"),
    ("crashdump.VM", "VM.crash_dumps"),
    ("VIF.VM", "VM.VIFs"),
    ("VIF.network", "network.VIFs"),
    ("Cluster_host.cluster", "Cluster.cluster_hosts"),
    ("PIF.host", "host.PIFs"),
    ("PIF.network", "network.PIFs"),
    ("VDI.SR", "SR.VDIs"),
    ("VTPM.VM", "VM.VTPMs"),
    ("console.VM", "VM.consoles"),
    ("VM.resident_on", "host.resident_VMs"),
    ("host_cpu.host", "host.host_CPUs"),
    ("host_crashdump.host", "host.crashdumps"),
    ("host_patch.host", "host.patches"),
    ("host_patch.pool_patch", "pool_patch.host_patches"),
    ("host.updates", "pool_update.hosts"),
    ("VM.protection_policy", "VMPP.VMs"),
    ("VM.snapshot_schedule", "VMSS.VMs"),
    ("VM.appliance", "VM_appliance.VMs"),
    ("PGPU.GPU_group", "GPU_group.PGPUs"),
    ("VGPU.GPU_group", "GPU_group.VGPUs"),
    ("VGPU.type", "VGPU_type.VGPUs"),
    ("VGPU.VM", "VM.VGPUs"),
    ("VGPU.resident_on", "PGPU.resident_VGPUs"),
    ("PGPU.supported_VGPU_types", "VGPU_type.supported_on_PGPUs"),
    ("PGPU.enabled_VGPU_types", "VGPU_type.enabled_on_PGPUs"),
    ("GPU_group.supported_VGPU_types", "VGPU_type.supported_on_GPU_groups"),
    ("GPU_group.enabled_VGPU_types", "VGPU_type.enabled_on_GPU_groups"),
    ("PCI.host", "host.PCIs"),
    ("PGPU.host", "host.PGPUs"),
    ("PCI.attached_VMs", "VM.attached_PCIs"),
    ("PCI.physical_function", "PCI.virtual_functions"),
    ("VDI.metadata_of_pool", "pool.metadata_VDIs"),
    ("SR.introduced_by", "DR_task.introduced_SRs"),
    ("PVS_server.site", "PVS_site.servers"),
    ("PVS_proxy.site", "PVS_site.proxies"),
    ("PVS_cache_storage.site", "PVS_site.cache_storage"),
    ("PUSB.host", "host.PUSBs"),
    ("PUSB.USB_group", "USB_group.PUSBs"),
    ("VUSB.USB_group", "USB_group.VUSBs"),
    ("VUSB.VM", "VM.VUSBs"),
    ("Feature.host", "host.features"),
    ("network_sriov.physical_PIF", "PIF.sriov_physical_PIF_of"),
    ("network_sriov.logical_PIF", "PIF.sriov_logical_PIF_of"),
    ("Certificate.host", "host.certificates"),
    ("VM.groups", "VM_group.VMs"),
    ("Driver_variant.driver", "Host_driver.variants"),
)

RelationEnds = tuple[str, str, str, str]  # (class_a, field_a, class_b, field_b)
# class -> field name -> raw datamodel field
Fields = dict[str, dict[str, dict[str, Any]]]


def _target(fields: Fields, cls: str, field: str) -> tuple[str, str] | None:
    """(target class, "ref" or "set") when ``cls.field`` is a reference or a set of references."""
    raw = fields.get(cls, {}).get(field)
    if raw is None:
        return None
    ftype = parse_type(raw["type"])
    if ftype.kind == "ref" and ftype.name:
        return ftype.name, "ref"
    if ftype.kind == "set" and ftype.elem is not None and ftype.elem.kind == "ref" and ftype.elem.name:
        return ftype.elem.name, "set"
    return None


def known_relations(fields: Fields) -> tuple[list[RelationEnds], list[str]]:
    """KNOWN_RELATIONS whose two fields exist and point at each other, and why others were dropped."""
    kept, dropped = [], []
    for end_a, end_b in KNOWN_RELATIONS:
        class_a, field_a = end_a.split(".")
        class_b, field_b = end_b.split(".")
        target_a, target_b = _target(fields, class_a, field_a), _target(fields, class_b, field_b)
        if target_a is None or target_b is None:
            missing = [end for end, target in ((end_a, target_a), (end_b, target_b)) if target is None]
            dropped.append(f"{end_a} / {end_b}: no reference field {', '.join(missing)}")
        elif target_a[0] != class_b or target_b[0] != class_a or (target_a[1], target_b[1]) == ("ref", "ref"):
            dropped.append(f"{end_a} / {end_b}: field types do not point at each other")
        else:
            kept.append((class_a, field_a, class_b, field_b))
    return kept, dropped


def _has_ref_between(fields: Fields, class_a: str, class_b: str) -> bool:
    return any(_target(fields, class_a, f) == (class_b, "ref") for f in fields.get(class_a, {})) or any(
        _target(fields, class_b, f) == (class_a, "ref") for f in fields.get(class_b, {})
    )


def candidate_relations(fields: Fields) -> list[RelationEnds]:
    """Pairs guessed from types alone: a ``X ref`` (or ``X ref set``) on A whose only counterpart
    is a runtime ``A ref set`` on X, with no other field of A pointing at X the same way."""
    found: list[RelationEnds] = []
    for class_a, class_fields in fields.items():
        for field_a in class_fields:
            target = _target(fields, class_a, field_a)
            if target is None:
                continue
            class_b, kind_a = target
            if kind_a == "set" and (class_b == class_a or _has_ref_between(fields, class_a, class_b)):
                # A set of its own class (role.subroles) is not two ends; and where a plain
                # reference links the classes, their sets are the far ends of ref<->set pairs
                # (PIF.bond_master_of belongs with Bond.master, not with Bond.slaves).
                continue
            same_way = [f for f in class_fields if _target(fields, class_a, f) == target]
            back = [
                f
                for f, raw in fields.get(class_b, {}).items()
                if _target(fields, class_b, f) == (class_a, "set")
                and raw["qualifier"] == "RO/runtime"
                and (class_b, f) != (class_a, field_a)
            ]
            if len(same_way) == 1 and len(back) == 1:
                found.append((class_a, field_a, class_b, back[0]))
    # A set<->set pair is found from both sides; keep one.
    unique: dict[frozenset[tuple[str, str]], RelationEnds] = {}
    for rel in found:
        unique.setdefault(frozenset({(rel[0], rel[1]), (rel[2], rel[3])}), rel)
    return list(unique.values())


def _ends(rel: RelationEnds) -> frozenset[tuple[str, str]]:
    return frozenset({(rel[0], rel[1]), (rel[2], rel[3])})


def relation_report(kept: list[RelationEnds], dropped: list[str], candidates: list[RelationEnds]) -> list[str]:
    known = {_ends(rel) for rel in kept}
    guessed = {_ends(rel) for rel in candidates}

    def show(rel: RelationEnds) -> str:
        return f"{rel[0]}.{rel[1]} / {rel[2]}.{rel[3]}"

    lines = [f"dropped (known to xapi, absent here): {reason}" for reason in dropped]
    lines += [f"kept, not guessable from types alone: {show(r)}" for r in kept if _ends(r) not in guessed]
    lines += [f"guessed from types, not a known relation (left out): {show(r)}" for r in candidates
              if _ends(r) not in known]
    return lines
