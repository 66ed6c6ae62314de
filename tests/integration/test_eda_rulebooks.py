"""The example rulebooks of extensions/eda/rulebooks: each passes ansible-rulebook's own loading checks (schema,
conditions, the engine's form), and restart_tagged_vms.yml runs end to end under ansible-rulebook against the
simulator: a tagged VM that halts is started again, an untagged one is not."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from ansible_rulebook.json_generator import generate_dict_rulesets
from ansible_rulebook.rules_parser import parse_rule_sets
from ansible_rulebook.validators import Validate
from harness import ansible_env, xenapi

RULEBOOKS = Path(__file__).resolve().parents[2] / "extensions" / "eda" / "rulebooks"
VARIABLES = {"sr_usage_threshold": 90}


@pytest.mark.parametrize("name", sorted(path.name for path in RULEBOOKS.glob("*.yml")
                                        if path.name not in ("inventory.yml", "sr_usage_vars.yml")))
def test_rulebook_loads_as_ansible_rulebook_loads_it(name: str) -> None:
    data = yaml.safe_load((RULEBOOKS / name).read_text(encoding="utf-8"))
    Validate.rulebook(data)
    rulesets = parse_rule_sets(data, VARIABLES)
    assert generate_dict_rulesets(rulesets, VARIABLES)
    sources = [source for ruleset in data for source in ruleset["sources"]]
    assert all("xen.xapi.xapi_events" in source for source in sources), sources


def test_restart_tagged_vms_end_to_end(sim_factory, tmp_path: Path) -> None:
    sim = sim_factory()
    with xenapi(sim) as api:
        web02 = api.VM.get_by_name_label("web02")[0]
        web01 = api.VM.get_by_name_label("web01")[0]
        api.VM.add_tags(web02, "auto-restart")
    env = ansible_env(sim)
    log = tmp_path / "rulebook.log"
    command = [str(Path(sys.executable).parent / "ansible-rulebook"), "-r", str(RULEBOOKS / "restart_tagged_vms.yml"),
               "-i", str(RULEBOOKS / "inventory.yml"), "-v"]
    with open(log, "w", encoding="utf-8") as output:
        process = subprocess.Popen(command, env=env, stdout=output, stderr=subprocess.STDOUT, cwd=tmp_path, start_new_session=True)
    try:
        # The source reads the pool once it starts; the shutdowns must come after that.
        assert _wait(lambda: _source_session(sim) or process.poll() is not None, 120) and process.poll() is None, log.read_text()
        time.sleep(2)
        with xenapi(sim) as api:
            api.VM.hard_shutdown(web02)
            api.VM.hard_shutdown(web01)
        assert _wait(lambda: _power(sim, web02) == "Running" or process.poll() is not None, 180), log.read_text()
        assert _power(sim, web02) == "Running", log.read_text()
        assert _power(sim, web01) == "Halted", "an untagged VM is left halted"
    finally:
        os.killpg(process.pid, signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def _source_session(sim) -> bool:
    return any(originator.startswith("xen.xapi/") for originator in sim.control_get("stats")["sessions_by_originator"])


def _power(sim, vm: str) -> str:
    with xenapi(sim) as api:
        return api.VM.get_power_state(vm)


def _wait(condition, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.5)
    return False
