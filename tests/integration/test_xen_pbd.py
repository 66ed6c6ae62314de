"""xen_pbd end to end against the simulator: reconfiguration across the pool in the right order,
plug and unplug, removal, attaching hosts that lack a PBD, refusals, and secrets at -vvvv.

The order of operations is watched on the event stream by a second client while the module runs,
with plug and unplug slowed down so that each step shows as its own event.
"""
from __future__ import annotations

import threading
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List

import pytest

from harness import run_examples, run_playbook

from ansible_collections.xen.xapi.plugins.module_utils._xapi.client import XapiClient
from ansible_collections.xen.xapi.plugins.module_utils._xapi.urls import ConnectionParams

EXAMPLE_MODULES = ("xen_network", "xen_sr", "xen_pbd")
OLD_SERVER, NEW_SERVER = "192.0.2.60", "192.0.2.61"
FIRST_PASSWORD, SECOND_PASSWORD = "Sm8-first-Pa55word", "Sm8-second-Pa55word"


def client_for(sim: Any) -> XapiClient:
    return XapiClient(ConnectionParams(hostname=sim.url, username=sim.info["username"], password=sim.info["password"], ca_path=sim.ca_cert))


class PbdWatcher:
    """Records every PBD change (as event.from reports them) until stopped."""

    def __init__(self, sim: Any) -> None:
        self.client = client_for(sim)
        self.events: List[Dict[str, Any]] = []
        self.host_names: Dict[str, str] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> PbdWatcher:
        self.client.login()
        self.host_names = dict((ref, record["name_label"]) for ref, record in self.client.call("host.get_all_records").items())
        first = self.client.call("event.from", ["pbd"], "", 0.0)
        self._token = first["token"]
        self._known = dict((event["ref"], event["snapshot"]) for event in first.get("events") or [])
        self._thread.start()
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self._stop.set()
        self._thread.join(timeout=10)
        self.client.logout()

    def _run(self) -> None:
        while not self._stop.is_set():
            answer = self.client.call("event.from", ["pbd"], self._token, 0.5)
            self._token = answer["token"]
            for event in answer.get("events") or []:
                snapshot = event.get("snapshot") or {}
                if event["operation"] == "del":
                    # Unplugged, then destroyed (xapi refuses to destroy a plugged PBD): when the watcher was slower than
                    # both, event.from merges them into this one deletion, which still says where and in which order.
                    snapshot = dict(self._known.get(event["ref"], {}), currently_attached=False)
                else:
                    self._known[event["ref"]] = snapshot
                self.events.append({"operation": event["operation"], "ref": event["ref"], "host": self.host_names.get(snapshot.get("host"), ""),
                                    "attached": snapshot.get("currently_attached"), "server": (snapshot.get("device_config") or {}).get("server")})

    def hosts_where(self, server: str, attached: bool) -> List[str]:
        """Hosts, in event order, whose PBD for ``server`` reached the given attachment state (once per PBD)."""
        seen: set = set()
        hosts = []
        for event in self.events:
            if event["server"] == server and event["attached"] is attached and event["ref"] not in seen:
                seen.add(event["ref"])
                hosts.append(event["host"])
        return hosts


@pytest.fixture
def master_is_host2(sim: Any) -> Iterator[None]:
    """host2 leads the pool, so that the master is neither first nor last by name; plug and unplug are slowed down."""
    sim.control_post("faults", {"master": "host2"})
    sim.control_post("durations", {"PBD.plug": 0.3, "PBD.unplug": 0.3})
    try:
        yield
    finally:
        sim.control_post("durations", {"PBD.plug": 0.05, "PBD.unplug": 0.05})
        sim.control_post("faults", {"master": "host1"})


def test_reconfiguration_unplugs_the_master_last_and_plugs_it_first(sim: Any, master_is_host2: None) -> None:
    with PbdWatcher(sim) as watcher:
        run_playbook(sim, "xen_pbd_reconfigure.yml")
    unplugged = watcher.hosts_where(OLD_SERVER, attached=False)
    plugged = watcher.hosts_where(NEW_SERVER, attached=True)
    assert unplugged == ["host1", "host3", "host2"], watcher.events
    assert plugged == ["host2", "host1", "host3"], watcher.events
    last_unplug = max(index for index, event in enumerate(watcher.events) if event["server"] == OLD_SERVER and event["attached"] is False)
    first_plug = min(index for index, event in enumerate(watcher.events) if event["server"] == NEW_SERVER and event["attached"] is True)
    assert last_unplug < first_plug


def test_plug_unplug_remove_attach_and_refusals(sim: Any) -> None:
    with client_for(sim) as api:
        api.call("SR.introduce", "", "it introduced", "", "nfs", "user", True, {})
    run_playbook(sim, "xen_pbd.yml")


def test_passwords_never_appear_in_output(sim: Any) -> None:
    result = run_playbook(sim, "xen_pbd_secrets.yml", "-vvvv", FIRST_SHARE_PASSWORD=FIRST_PASSWORD, SECOND_SHARE_PASSWORD=SECOND_PASSWORD)
    output = result.stdout + result.stderr
    assert FIRST_PASSWORD not in output and SECOND_PASSWORD not in output
    assert "//192.0.2.80/vms" in output and "it-user" in output  # the other settings are shown
    assert "host9" in output  # the failure itself is reported


def test_examples_of_the_network_and_storage_modules_run_as_written(sim_factory: Callable[..., Any], tmp_path: Path) -> None:
    run_examples(sim_factory(), tmp_path, *EXAMPLE_MODULES)
