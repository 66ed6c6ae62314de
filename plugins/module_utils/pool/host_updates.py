# Copyright: (c) 2026, xen.xapi maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Host updates (XenServer 8 and XCP-ng 8.3 update repositories) and the reboots they ask for.

``pool.sync_updates`` fetches what the enabled update repository offers and marks each host
(``latest_synced_updates_applied``: yes, no or unknown before any sync); ``host.apply_updates`` installs what
the host lacks, given the hash of that sync, and leaves guidance in ``pending_guidances``: ``reboot_host`` (and
its livepatch-failure variants) or ``restart_toolstack``. XAPI disables a host while it applies updates and
refuses to enable it again while guidance is pending, so a reboot (or a toolstack restart) ends the work.

A reboot is over when the host has started its toolstack again (``agent_start_time`` in its ``other_config``,
written by xapi at each start, moved on) and is live. While the host is away, and the whole pool's API when
the host is the master, calls fail: the waiter logs in again and goes on until its deadline.
"""

from __future__ import annotations

import time
import typing as t

from ansible_collections.xen.xapi.plugins.module_utils import _engine
from ansible_collections.xen.xapi.plugins.module_utils._xapi import client as xapi_client, codec, errors, query

REBOOT_GUIDANCE = ("reboot_host", "reboot_host_on_livepatch_failure", "reboot_host_on_kernel_livepatch_failure",
                   "reboot_host_on_xen_livepatch_failure")
TOOLSTACK_GUIDANCE = "restart_toolstack"
# Seconds between attempts to reach a pool whose host (or master) is rebooting.
RECONNECT_PAUSE = 2.0


def needs_reboot(record: _engine.Record) -> bool:
    return any(item in REBOOT_GUIDANCE for item in record.get("pending_guidances") or [])


def needs_toolstack_restart(record: _engine.Record) -> bool:
    return TOOLSTACK_GUIDANCE in (record.get("pending_guidances") or [])


def agent_start_time(record: _engine.Record) -> str:
    return str((record.get("other_config") or {}).get("agent_start_time", ""))


def synced_hash(client: xapi_client.XapiClient, pool: _engine.Record, option: str = "sync_updates") -> str:
    """The hash of the pool's last sync ("" before any), from its single enabled update repository (one call)."""
    repositories = query.snapshot(client, objects={"Repository": list(pool.get("repositories") or [])})["Repository"]
    updates = [record for record in repositories.values() if record.get("update")]
    if not updates:
        raise errors.ResourceError("{0}: the pool has no enabled update repository (NO_REPOSITORY_ENABLED). Configure one "
                                   "(xe pool-configure-repositories, or XenCenter).".format(option))
    return str(updates[0].get("hash") or "")


def update_hash(client: xapi_client.XapiClient, pool: _engine.Record) -> str:
    """The hash host.apply_updates needs: the pool's last sync, which must have happened."""
    digest = synced_hash(client, pool, "apply_updates")
    if not digest:
        raise errors.ResourceError("apply_updates: the pool has not synced its update repository yet. Run xen.xapi.xen_pool with "
                                   "sync_updates: true first.")
    return digest


def wait_until_restarted(client: xapi_client.XapiClient, host: str, metrics: str, started: str, timeout: float,
                         sleep: t.Callable[[float], None] = time.sleep) -> _engine.Record:
    """Block until ``host`` runs a toolstack started after ``started`` (its agent_start_time then) and is live.

    Waits on event.from for the host and its metrics; a dropped connection (the host, or the master, is down)
    means trying again, logged in afresh, after a pause. Returns the host's record.
    """
    deadline = time.monotonic() + timeout
    token, host_record, live = "", {}, False
    while time.monotonic() < deadline:
        try:
            wait = 0.0 if token == "" else max(0.0, min(deadline - time.monotonic(), client.http_timeout * 0.8))
            answer = client.call("event.from", ["host/" + host, "host_metrics/" + metrics], token, float(wait))
        except errors.XapiConnectionError as err:
            if not err.recoverable:
                raise
            token = ""
            sleep(min(RECONNECT_PAUSE, max(0.0, deadline - time.monotonic())))
            _log_in_again(client)
            continue
        token = answer.get("token", token)
        for event in answer.get("events") or []:
            if event.get("ref") == host and event.get("snapshot"):
                host_record = codec.normalize_record("host", event["snapshot"])
            elif event.get("ref") == metrics and event.get("snapshot"):
                live = bool(codec.normalize_record("host_metrics", event["snapshot"]).get("live"))
        if host_record and live and agent_start_time(host_record) != started:
            return host_record
    raise errors.ResourceError("did not come back within {0:g} seconds.".format(timeout))


def _log_in_again(client: xapi_client.XapiClient) -> None:
    """A fresh session where one answers; a host that timed out while down is asked again."""
    client.forget_silent_hosts()
    try:
        client.login()
    except errors.XapiConnectionError as err:
        if not err.recoverable:
            raise
