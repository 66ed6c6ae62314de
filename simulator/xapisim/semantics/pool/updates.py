"""Update repositories and updates: Repository.introduce, pool.set_repositories, pool.sync_updates, host.apply_updates.

Following xapi_pool.ml (``sync_updates``, ``assert_can_sync_updates``), repository.ml (``set_available_updates``,
``apply_updates``) and repository_helpers.ml:
- ``sync_updates`` needs exactly one enabled update repository (NO_REPOSITORY_ENABLED,
  MULTIPLE_UPDATE_REPOSITORIES_ENABLED) and none from a bundle (CAN_NOT_SYNC_UPDATES); it records the
  offering's hash on the repository, ``pool.last_update_sync``, and on each host whether it already has every
  offered update (``latest_synced_updates_applied``), and returns the hash.
- ``apply_updates`` refuses with HA on (HA_IS_ENABLED), disables the host, then refuses a host with pending
  mandatory guidance (HOST_PENDING_MANDATORY_GUIDANCE_NOT_EMPTY), a hash other than the last sync's
  (UPDATEINFO_HASH_MISMATCH), and updates that need a reboot on a host still running guests
  (HOST_EVACUATION_IS_REQUIRED). Installed updates leave their guidance in ``pending_guidances``; the host is
  up to date (``latest_synced_updates_applied: yes``, ``last_update_hash``). It returns livepatch failures: none here.
The offering and each host's installed updates are the simulator's (``update_catalog.py``).
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from ...errors import XapiError
from ...registry import handles
from ...store import utcnow
from .master import pool_ref

if TYPE_CHECKING:
    from ...context import CallContext

# Guidance that needs the host emptied before the updates go on (repository_helpers.ml assert_host_evacuation_if_required).
_NEEDS_EVACUATION = ("reboot_host", "evacuate_host")
# Guidance applying the updates takes care of itself, never left pending.
_NOT_PENDING = ("evacuate_host",)


@handles("Repository.introduce")
def introduce(ctx: "CallContext", name_label: str, name_description: str, binary_url: str, source_url: str, update: bool,
              gpgkey_path: str) -> str:
    for record in ctx.store.records("Repository").values():
        if record["name_label"] == name_label or record["binary_url"] == binary_url:
            raise XapiError("REPOSITORY_ALREADY_EXISTS", record["uuid"])
    return ctx.store.create("Repository", {"name_label": name_label, "name_description": name_description,
                                           "binary_url": binary_url, "source_url": source_url, "update": update,
                                           "gpgkey_path": gpgkey_path, "origin": "remote", "hash": "", "up_to_date": False})


@handles("pool.set_repositories")
def set_repositories(ctx: "CallContext", pool: str, value: list[str]) -> str:
    store = ctx.store
    updates = [repo for repo in value if store.get("Repository", repo)["update"]]
    if len(updates) > 1:
        raise XapiError("MULTIPLE_UPDATE_REPOSITORIES_ENABLED")
    store.update("pool", pool, repositories=list(value))
    return ""


def update_repository(ctx: "CallContext") -> str:
    """The single enabled update repository (repository_helpers.ml get_single_enabled_update_repository)."""
    store = ctx.store
    enabled = store.get("pool", pool_ref(ctx.sim))["repositories"]
    updates = [repo for repo in enabled if store.exists("Repository", repo) and store.get("Repository", repo)["update"]]
    if not updates:
        raise XapiError("NO_REPOSITORY_ENABLED")
    if len(updates) > 1:
        raise XapiError("MULTIPLE_UPDATE_REPOSITORIES_ENABLED")
    return updates[0]


@handles("pool.sync_updates")
def sync_updates(ctx: "CallContext", pool: str, force: bool, token: str, token_id: str, username: str, password: str) -> str:
    store = ctx.store
    for repo in store.get("pool", pool)["repositories"]:
        if store.get("Repository", repo)["origin"] == "bundle":
            raise XapiError("CAN_NOT_SYNC_UPDATES")
    repo = update_repository(ctx)
    digest = ctx.sim.updates.digest()
    store.update("Repository", repo, hash=digest, up_to_date=True)
    for host in store.records("host"):
        store.update("host", host, latest_synced_updates_applied="no" if ctx.sim.updates.missing(host) else "yes")
    store.update("pool", pool, last_update_sync=utcnow())
    return digest


@handles("host.apply_updates")
def apply_updates(ctx: "CallContext", host: str, updateinfo_hash: str) -> list[list[str]]:
    store = ctx.store
    record = store.get("host", host)
    if store.get("pool", pool_ref(ctx.sim))["ha_enabled"]:
        raise XapiError("HA_IS_ENABLED")
    if record["enabled"]:
        store.update("host", host, enabled=False)
    if record["pending_guidances"]:
        raise XapiError("HOST_PENDING_MANDATORY_GUIDANCE_NOT_EMPTY", host)
    repo = update_repository(ctx)
    if not updateinfo_hash or updateinfo_hash != store.get("Repository", repo)["hash"]:
        raise XapiError("UPDATEINFO_HASH_MISMATCH")
    missing = ctx.sim.updates.missing(host)
    guidance = sorted({item for items in missing.values() for item in items})
    guests = [vm for vm in record["resident_VMs"] if not store.get("VM", vm)["is_control_domain"]]
    if guests and any(item in _NEEDS_EVACUATION for item in guidance):
        raise XapiError("HOST_EVACUATION_IS_REQUIRED", host)
    ctx.sim.updates.install(host, list(missing))
    pending = sorted(set(record["pending_guidances"]) | {item for item in guidance if item not in _NOT_PENDING})
    store.update("host", host, pending_guidances=pending, latest_synced_updates_applied="yes", last_update_hash=updateinfo_hash,
                 last_software_update=utcnow())
    return []
