"""XAPI clients we did not write, run unchanged against the simulator over HTTPS with certificate checks.

- the official XenAPI Python SDK drives most of the simulator's own tests (see test_seeds_workflows.py);
- xen-api, the Node.js connector of Xen Orchestra (npm, pinned in tests/clients/xen-api/package-lock.json and
  installed by `make`), runs a typical session: it signs in, discovers the classes with system.listMethods,
  loads every object with get_all_records and follows them with event.from, resolves references, starts and
  stops a VM through async tasks, decodes an error, and disconnects (it leaves its session to expire, as it
  does with xapi).
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

from xapisim.process import SimProcess

XEN_API_CLIENT = Path(__file__).resolve().parents[2] / "tests" / "clients" / "xen-api"


def test_xen_orchestra_connector_runs_a_session(sim: SimProcess) -> None:
    node = shutil.which("node")
    assert node, "Node.js (18 or newer) is needed to run the xen-api client; `make test` installs its packages"
    assert (XEN_API_CLIENT / "node_modules" / "xen-api").is_dir(), "run `make node-clients` to install tests/clients/xen-api"
    result = subprocess.run([node, str(XEN_API_CLIENT / "session.mjs"), sim.url, sim.info["username"], sim.info["password"]],
                            env=dict(os.environ, NODE_EXTRA_CA_CERTS=sim.ca_cert or ""), capture_output=True, text=True,
                            timeout=180, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    findings = json.loads(result.stdout.strip().splitlines()[-1])
    assert findings["status"] == "connected" and findings["disconnected"] == "disconnected"
    assert findings["vms"] == ["build01", "db01", "legacy01", "web01", "web02"]
    assert findings["master"] == "host1" and findings["runningHost"].startswith("host")
    assert (findings["started"], findings["stopped"]) == ("Running", "Halted")
    assert findings["error"] == "VM_BAD_POWER_STATE" and findings["errorParams"][1:] == ["halted", "running"]
    calls = sim.control_get("stats")["calls"]
    assert calls.get("system.listMethods", 0) >= 1 and calls.get("Async.VM.start", 0) >= 1


def test_introspection_answers_as_xapi_does(sim_http: SimProcess) -> None:
    import urllib.request  # pylint: disable=import-outside-toplevel
    import xmlrpc.client  # pylint: disable=import-outside-toplevel

    # Over XML-RPC the list comes bare, without xapi's {Status, Value} envelope, as any introspection client expects.
    methods = xmlrpc.client.ServerProxy(sim_http.url).system.listMethods()
    assert {"VM.get_all_records", "VM.start", "session.login_with_password", "host.get_all_records"} <= set(methods)
    assert not [method for method in methods if method.startswith("Async.")]
    request = urllib.request.Request(sim_http.url + "/jsonrpc", headers={"Content-Type": "application/json"},
                                     data=json.dumps({"jsonrpc": "2.0", "method": "system.listMethods", "params": [], "id": 1}).encode())
    with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310  (a loopback test server)
        assert json.loads(answer.read())["result"] == methods
    # system.isAlive:<anything> echoes its first parameter; other system calls are unknown.
    assert xmlrpc.client.ServerProxy(sim_http.url).__getattr__("system.isAlive:probe")("hello") == {"Status": "Success", "Value": "hello"}
    assert xmlrpc.client.ServerProxy(sim_http.url).system.nothing()["ErrorDescription"] == ["MESSAGE_METHOD_UNKNOWN", "system.nothing"]
