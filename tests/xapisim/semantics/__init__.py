"""The semantic layer: hand-written behaviour of a real pool master, one file per class family.

Importing this package imports every module in it, and each registers its handlers with
``registry.handles``. Messages with no handler here are served by the generic layer.
"""
from __future__ import annotations

import importlib
import pkgutil

for _module in pkgutil.iter_modules(__path__):
    importlib.import_module(f"{__name__}.{_module.name}")
