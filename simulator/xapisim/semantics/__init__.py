"""The semantic layer: hand-written behaviour of a real pool master, one subpackage per family.

``api/`` sessions, tasks, events, messages and data sources; ``pool/`` the master and hosts;
``vm/`` VMs from records to power states and snapshots; ``storage/`` SRs, PBDs, VDIs and VBDs;
``network/`` networks, PIFs, VLANs and VIFs. Each module registers its handlers with
``registry.handles`` when imported; ``register_all`` imports them all. Messages with no handler
here are served by the generic layer (``generic.py``).
"""
from __future__ import annotations

import importlib
import pkgutil


def register_all() -> None:
    """Import every handler module of the layer, so each registers its handlers (idempotent)."""
    for module in pkgutil.walk_packages(__path__, prefix=f"{__name__}."):
        importlib.import_module(module.name)
