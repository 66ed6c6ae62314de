"""xapi's HTTP handlers that move VMs and disks: ``/export``, ``/import``, ``/export_raw_vdi``, ``/import_raw_vdi``.

Each runs in the connection's thread, as in xapi: it checks the caller's credentials, completes
the task the caller named (``task_id``) or one of its own, and streams the body both ways so that
no archive or disk is ever held in memory whole. ``http_session.py`` holds what all four share;
``xva.py`` and ``compression.py`` the archive format.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from .raw_vdi import export_raw_vdi, import_raw_vdi
from .vm_export import export_vm
from .vm_import import import_vm

if TYPE_CHECKING:
    from ..context import SimulatorView
    from ..http_handler import DataExchange

_ROUTES = {
    ("GET", "/export"): export_vm,
    ("PUT", "/import"): import_vm,
    ("GET", "/export_raw_vdi"): export_raw_vdi,
    ("PUT", "/import_raw_vdi"): import_raw_vdi,
}


def serve_transfer(sim: SimulatorView, exchange: DataExchange) -> None:
    handler = _ROUTES.get((exchange.method, exchange.path))
    if handler is None:
        exchange.answer(405 if any(path == exchange.path for _verb, path in _ROUTES) else 404,
                        "Method Not Allowed", f"{exchange.method} {exchange.path}")
        return
    handler(sim, exchange)
