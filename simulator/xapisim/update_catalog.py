"""What the update repositories offer and what each host has installed: the world outside xapi's database.

A real pool reads the offering from the repository's updateinfo.xml (synced by ``pool.sync_updates``) and
each host's installed packages from the host itself. Here both are plain tables, set through the control
API (``POST /_sim/updates``): an update is an id with the guidance it carries (``reboot_host``,
``restart_toolstack``, ...). Hosts start up to date with an empty offering.
"""
from __future__ import annotations

import hashlib
import json
import threading
from typing import Any


class UpdateCatalog:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.offered: dict[str, list[str]] = {}  # update id -> its guidance
        self.installed: dict[str, set[str]] = {}  # host ref -> update ids

    def publish(self, updates: list[dict[str, Any]]) -> None:
        """Replace the repository's offering with ``updates`` (``[{"id": ..., "guidance": [...]}]``)."""
        with self._lock:
            self.offered = {str(update["id"]): [str(g) for g in update.get("guidance", [])] for update in updates}

    def digest(self) -> str:
        """The hash pool.sync_updates returns: a SHA-256 of the offering, as xapi's is of updateinfo.xml.gz."""
        with self._lock:
            text = json.dumps(self.offered, sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()

    def missing(self, host: str) -> dict[str, list[str]]:
        """The offered updates ``host`` does not have, with their guidance."""
        with self._lock:
            have = self.installed.get(host, set())
            return {update: list(guidance) for update, guidance in self.offered.items() if update not in have}

    def install(self, host: str, updates: list[str]) -> None:
        with self._lock:
            self.installed.setdefault(host, set()).update(updates)

    def describe(self, names: dict[str, str]) -> dict[str, Any]:
        """The offering and what each host (by name) has installed, for the control API."""
        with self._lock:
            return {"offered": [{"id": update, "guidance": guidance} for update, guidance in sorted(self.offered.items())],
                    "installed": {names.get(host, host): sorted(ids) for host, ids in self.installed.items()}}
