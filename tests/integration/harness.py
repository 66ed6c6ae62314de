"""Helpers for integration tests: run playbooks against a simulator with the collection importable."""
from __future__ import annotations

import ast
import contextlib
import json
import os
import ssl
import subprocess
import sys
from pathlib import Path
from typing import Any, Iterator

import pytest
import yaml

TARGETS = Path(__file__).resolve().parent / "playbooks"
# The modules' bytecode cache (plugins/module_utils/_zip_import.py) for the tests' runs: their own, not the user's,
# and written as on a machine with Python's defaults, so that the runs after the first take their code from it.
BYTECODE_CACHE = Path(__file__).resolve().parents[2] / "build" / "test-bytecode-cache"


def ansible_env(sim: Any, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.update({
        "XDG_CACHE_HOME": str(BYTECODE_CACHE),
        "XAPI_HOST": sim.url,
        "XAPI_USERNAME": sim.info["username"],
        "XAPI_PASSWORD": sim.info["password"],
        # For playbooks that pass the password as an option: an extra var would be echoed at -vvvv.
        "SIM_PASSWORD": sim.info["password"],
        "XAPI_CA_PATH": sim.ca_cert or "",
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_FORCE_COLOR": "0",
        "ANSIBLE_RETRY_FILES_ENABLED": "0",
        # make compat points this at the oldest supported Python to run the modules there.
        "ANSIBLE_PYTHON_INTERPRETER": os.environ.get("XEN_TARGET_PYTHON") or sys.executable,
        "ANSIBLE_LOCALHOST_WARNING": "0",
        "ANSIBLE_INVENTORY_UNPARSED_WARNING": "0",
    })
    env.update(extra)
    return env


def run_playbook(sim: Any, playbook: str, *args: str, expect_rc: int | None = 0, **env: str) -> subprocess.CompletedProcess[str]:
    """Run ``playbooks/<playbook>`` on localhost against ``sim``; fail the test with the output when rc differs."""
    bin_dir = Path(sys.executable).parent
    command = [str(bin_dir / "ansible-playbook"), "-i", "localhost,", "-c", "local", str(TARGETS / playbook),
               "-e", json.dumps({"sim_control": sim.info["control"], "sim_ca": sim.ca_cert or "",
                                 "sim_hosts": sim.info["hosts"], "sim_url": sim.url}), *args]
    result = subprocess.run(command, env=ansible_env(sim, **env), capture_output=True, text=True, timeout=600, check=False)
    if expect_rc is not None and result.returncode != expect_rc:
        pytest.fail(f"{playbook} exited {result.returncode}, expected {expect_rc}\n--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}")
    return result


def module_examples(name: str) -> list[dict[str, Any]]:
    """The tasks of a module's EXAMPLES block, read from its source without importing it."""
    source = (Path(__file__).resolve().parents[2] / "plugins" / "modules" / f"{name}.py").read_text(encoding="utf-8")
    for node in ast.parse(source).body:
        if isinstance(node, ast.Assign) and any(isinstance(target, ast.Name) and target.id == "EXAMPLES" for target in node.targets):
            return yaml.safe_load(ast.literal_eval(node.value))
    raise AssertionError(f"{name} has no EXAMPLES")


def run_examples(sim: Any, directory: Path, *names: str) -> subprocess.CompletedProcess[str]:
    """Run the EXAMPLES of the named modules as written, one play per module, and fail on any failed task."""
    plays = [{"name": f"Examples of {name}", "hosts": "localhost", "gather_facts": False, "tasks": module_examples(name)} for name in names]
    playbook = directory / "examples.yml"
    playbook.write_text(yaml.safe_dump(plays, sort_keys=False), encoding="utf-8")
    result = run_playbook(sim, str(playbook))
    assert "failed=0" in result.stdout, result.stdout
    return result


@contextlib.contextmanager
def xenapi(sim: Any, who: str = "xen.xapi tests", url: str | None = None) -> Iterator[Any]:
    """The XenAPI SDK's proxy on the simulator's master (found again if it moved), logged in, for setting up a test."""
    import XenAPI  # pylint: disable=import-outside-toplevel

    context = ssl.create_default_context(cafile=sim.ca_cert)
    target = url or sim.url
    for _attempt in range(3):
        session = XenAPI.Session(target, transport=XenAPI.xmlrpclib.SafeTransport(context=context))
        try:
            session.xenapi.login_with_password(sim.info["username"], sim.info["password"], "1.0", who)
            break
        except XenAPI.Failure as err:
            if err.details[0] != "HOST_IS_SLAVE":
                raise
            scheme, rest = sim.url.split("://", 1)
            target = f"{scheme}://{err.details[1]}:{rest.rsplit(':', 1)[1]}"
    try:
        yield session.xenapi
    finally:
        session.xenapi.session.logout()


def start_local_guest(sim: Any, host_name: str, name: str = "local guest") -> None:
    """A running VM whose only disk is on the local SR of host_name: it cannot leave that host."""
    with xenapi(sim) as api:
        host = api.host.get_by_name_label(host_name)[0]
        local = next(ref for ref, rec in api.SR.get_all_records().items()
                     if rec["type"] == "lvm" and api.PBD.get_host(rec["PBDs"][0]) == host)
        vm = api.VM.clone(api.VM.get_by_name_label("build01")[0], name)
        for vbd in api.VM.get_VBDs(vm):
            api.VBD.destroy(vbd)
        disk = api.VDI.create({"name_label": "local", "name_description": "", "SR": local, "virtual_size": str(2 ** 30),
                               "type": "user", "sharable": False, "read_only": False, "other_config": {}, "xenstore_data": {},
                               "sm_config": {}, "tags": []})
        api.VBD.create({"VM": vm, "VDI": disk, "userdevice": "0", "bootable": True, "mode": "RW", "type": "Disk",
                        "unpluggable": True, "empty": False, "other_config": {}, "qos_algorithm_type": "", "qos_algorithm_params": {}})
        api.VM.start_on(vm, host, False, False)
