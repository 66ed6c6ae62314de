"""The ``catalog`` pool: the demo pool plus one object of every stored class it lacks.

Schema-conformance tests check every class's records against the datamodel; many classes (bonds, GPUs,
USB devices, updates, PVS sites, ...) cannot be made through the API, so this scenario makes one of each
directly: default values, references pointing at an existing object of the right class (the demo's, or
one made earlier here), and a network used for NBD so that VDI.get_nbd_info has something to describe.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from .demo import build_demo

if TYPE_CHECKING:
    from ..context import SimulatorView

# Made first: others point at them.
_FIRST = ("PGPU", "GPU_group", "VGPU_type", "PVS_site", "USB_group", "PUSB", "Cluster", "Repository", "Host_driver")


def build_catalog(sim: "SimulatorView") -> None:
    build_demo(sim)
    store, schema = sim.store, sim.schema
    stored = [name for name, cdef in schema.classes.items() if "get_record" in cdef.messages and name != "session"]
    missing = [name for name in stored if not store.records(name)]
    ordered = [name for name in _FIRST if name in missing] + [name for name in missing if name not in _FIRST]
    with store.lock:
        for name in ordered:
            if store.records(name):
                continue  # made as another object's companion
            fields = {}
            for field_name, field in schema.classes[name].fields.items():
                if field.type.kind == "ref" and field.type.name:
                    existing = sorted(store.records(field.type.name))
                    if existing:
                        fields[field_name] = existing[0]
            if "name_label" in schema.classes[name].fields:
                fields["name_label"] = f"catalog {name}"
            store.create(name, fields)
        management = next(ref for ref, record in store.records("network").items() if record["bridge"] == "xenbr0")
        store.update("network", management, purpose=["nbd"])
