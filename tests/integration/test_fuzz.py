"""Bad input, generated: every module refuses it cleanly, names the option, and writes nothing.

Cases come from two sources: every documented option of every module gets values of the wrong type (a list
where text is expected, text where a number is, an unknown choice, ...), and a curated list adds values of
the right type that XAPI or the pool cannot take (empty or control-character names, sizes beyond 64 bits,
impossible positions, MTUs, bridge names, VLAN tags, retention without a prefix, ...). Each case runs the
module once, directly (as Ansible runs it on the target), against the demo pool:

- it fails, with no traceback and a message that names the option (or its parent option);
- the simulator counts no write call over all the cases (a failed run has written nothing).
"""
from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Iterator

import yaml

MODULES_DIR = Path(__file__).resolve().parents[2] / "plugins" / "modules"
TEMPLATE = "Debian Bookworm 12"
# Arguments that reach each module's checks: valid on their own, each case spoils one option.
BASE: dict[str, dict[str, Any]] = {
    "xen_vm": {"name": "fuzz01", "template": TEMPLATE, "state": "running"},
    "xen_vdi": {"name": "fuzz disk", "size": "1GiB"},
    "xen_vbd": {"vm": "web01", "vdi": "web01 root"},
    "xen_network": {"name": "fuzz net"},
    "xen_sr": {"name": "fuzz sr", "type": "iso", "device_config": {"location": "/srv/fuzz"}},
    "xen_pbd": {"sr": "NFS storage", "hosts": "all"},
    "xen_vm_snapshot": {"vm": "build01", "name": "fuzz snapshot"},
    "xen_host": {"name": "host3"},
    "xen_vm_group": {"name": "fuzz group", "placement": "anti_affinity", "vms": ["web01"]},
    "xen_pool_member": {"member": "127.0.1.9"},
    "xen_info": {"class_name": "VM"},
}
# Options that take any text, so no generated value of the right type is wrong.
FREE_TEXT = {"description", "name_description"}
CONNECTION = {"hostname", "username", "password", "validate_certs", "ca_path", "protocol", "timeout", "fallback_hosts"}
CONTROL = "fuzz\nname"
HUGE = 2 ** 80

# (module, option that the message must name, arguments over the base)
CURATED: list[tuple[str, str, dict[str, Any]]] = [
    ("xen_vm", "name", {"name": ""}), ("xen_vm", "name", {"name": "   "}), ("xen_vm", "name", {"name": CONTROL}),
    ("xen_vm", "vcpus", {"vcpus": 10 ** 12}), ("xen_vm", "vcpus", {"vcpus": 0}), ("xen_vm", "vcpus_max", {"vcpus_max": -1}),
    ("xen_vm", "cores_per_socket", {"cores_per_socket": 0}), ("xen_vm", "memory", {"memory": HUGE}),
    ("xen_vm", "memory", {"memory": "lots"}), ("xen_vm", "memory", {"memory": "-2GiB"}), ("xen_vm", "memory", {"memory": "0.5B"}),
    ("xen_vm", "memory_dynamic_min", {"memory_dynamic_min": "1e9"}), ("xen_vm", "description", {"description": "nul\x00"}),
    ("xen_vm", "disks[0].size", {"disks": [{"size": HUGE}]}), ("xen_vm", "disks[0].size", {"disks": [{"size": "0.5B"}]}),
    ("xen_vm", "disks[0].size", {"disks": [{"size": "ten gigs"}]}), ("xen_vm", "disks[0].userdevice", {"disks": [{"userdevice": "-1"}]}),
    ("xen_vm", "disks[0].userdevice", {"disks": [{"userdevice": "abc"}]}), ("xen_vm", "disks[0].userdevice", {"disks": [{"userdevice": "1.5"}]}),
    ("xen_vm", "disks[0].userdevice", {"disks": [{"userdevice": "255"}]}), ("xen_vm", "disks[0].name", {"disks": [{"name": ""}]}),
    ("xen_vm", "disks[0].name", {"disks": [{"name": CONTROL}]}), ("xen_vm", "disks", {"disks": [{"userdevice": "1"}, {"userdevice": "1"}]}),
    ("xen_vm", "networks[0].mtu", {"networks": [{"network": "x", "mtu": 100000}]}),
    ("xen_vm", "networks[0].mac", {"networks": [{"network": "x", "mac": "nope"}]}),
    ("xen_vm", "networks[0].device", {"networks": [{"network": "x", "device": "9"}]}),
    ("xen_vm", "boot_order", {"boot_order": "xyz"}), ("xen_vm", "shutdown_timeout", {"shutdown_timeout": 0}),
    ("xen_vm", "task_timeout", {"task_timeout": -1}), ("xen_vm", "guest_tools_timeout", {"guest_tools_timeout": -1}),
    ("xen_vm", "wait_for_ip_timeout", {"wait_for_ip_timeout": 0}), ("xen_vm", "template", {"template": "no such template"}),
    ("xen_vm", "cdrom.iso", {"cdrom": {"iso": "web01 root"}}), ("xen_vm", "cdrom.iso", {"cdrom": {"iso": "no such iso"}}),
    ("xen_vm", "sr", {"sr": "no such sr"}), ("xen_vm", "target_host", {"target_host": "host99"}),
    ("xen_vm", "affinity", {"affinity": "host99"}), ("xen_vm", "uuid", {"uuid": "00000000-0000-0000-0000-000000000000"}),
    ("xen_vdi", "name", {"name": ""}), ("xen_vdi", "name", {"name": CONTROL}), ("xen_vdi", "size", {"size": "0.5B"}),
    ("xen_vdi", "size", {"size": HUGE}), ("xen_vdi", "size", {"size": "-1GiB"}), ("xen_vdi", "size", {"size": 0}),
    ("xen_vdi", "sr", {"sr": "no such sr"}), ("xen_vdi", "source", {"source": "no such disk"}),
    ("xen_vbd", "userdevice", {"userdevice": "-1"}), ("xen_vbd", "userdevice", {"userdevice": "abc"}),
    ("xen_vbd", "userdevice", {"userdevice": ""}), ("xen_vbd", "userdevice", {"userdevice": "1.5"}),
    ("xen_vbd", "vdi", {"type": "CD", "vdi": "web01 root", "userdevice": "3"}), ("xen_vbd", "vm", {"vm": "no such vm"}),
    ("xen_vbd", "vdi", {"vdi": "no such disk", "userdevice": "5"}),
    ("xen_network", "name", {"name": ""}), ("xen_network", "name", {"name": CONTROL}), ("xen_network", "mtu", {"mtu": 100000}),
    ("xen_network", "mtu", {"mtu": 0}), ("xen_network", "bridge", {"bridge": "br with space"}),
    ("xen_network", "bridge", {"bridge": "xenbr77"}), ("xen_network", "bridge", {"bridge": "b" * 16}),
    ("xen_network", "vlan", {"vlan": {"tag": 5000, "device": "eth1"}}), ("xen_network", "vlan", {"vlan": {"tag": 5, "device": "eth9"}}),
    ("xen_sr", "name", {"name": ""}), ("xen_sr", "name", {"name": CONTROL}), ("xen_sr", "type", {"type": "warp"}),
    ("xen_sr", "target_host", {"target_host": "host99"}),
    ("xen_pbd", "sr", {"sr": "no such sr"}), ("xen_pbd", "hosts", {"hosts": ["host99"]}),
    ("xen_vm_snapshot", "name_prefix", {"name": None, "retain": 0, "name_prefix": ""}),
    ("xen_vm_snapshot", "name_prefix", {"name": None, "retain": 0, "name_prefix": "   "}),
    ("xen_vm_snapshot", "name_prefix", {"name": None, "retain": 2}), ("xen_vm_snapshot", "retain", {"retain": -1, "name_prefix": "n-"}),
    ("xen_vm_snapshot", "name", {"name": ""}), ("xen_vm_snapshot", "name", {"name": CONTROL}),
    ("xen_vm_snapshot", "vm", {"vm": "no such vm"}), ("xen_vm_snapshot", "ignore_disks", {"ignore_disks": ["no such disk"]}),
    ("xen_vm_snapshot", "with_memory", {"with_memory": True}),
    ("xen_host", "name", {"name": "host99"}), ("xen_host", "task_timeout", {"task_timeout": 0}),
    ("xen_vm_group", "name", {"name": ""}), ("xen_vm_group", "name", {"name": CONTROL}),
    ("xen_pool_member", "member", {"member": ""}), ("xen_pool_member", "force", {"member": "host3", "state": "absent"}),
    ("xen_pool_member", "member", {"member": "host1", "state": "absent", "force": True}),
    ("xen_vm_group", "vms", {"vms": ["no such vm"]}), ("xen_vm_group", "vms", {"vms": ["Debian Bookworm 12"]}),
    ("xen_info", "filters", {"filters": {"powerstate": "Running"}}), ("xen_info", "filters", {"filters": {"VBDs": "x"}}),
    ("xen_info", "class_name", {"class_name": "Spaceship"}), ("xen_info", "resolve", {"resolve": ["name_label"]}),
    ("xen_vm", "timeout", {"timeout": 0}), ("xen_vm", "timeout", {"timeout": "soon"}), ("xen_vm", "protocol", {"protocol": "pigeon"}),
    ("xen_vm", "validate_certs", {"validate_certs": "maybe"}), ("xen_vm", "hostname", {"hostname": "https://root:pw@host/path"}),
    ("xen_vm", "fallback_hosts", {"fallback_hosts": ["ftp://host2"]}),
]


def documented_options(module: str) -> dict[str, dict[str, Any]]:
    source = (MODULES_DIR / f"{module}.py").read_text(encoding="utf-8")
    for node in ast.parse(source).body:
        if isinstance(node, ast.Assign) and any(isinstance(target, ast.Name) and target.id == "DOCUMENTATION" for target in node.targets):
            return yaml.safe_load(ast.literal_eval(node.value)).get("options") or {}
    raise AssertionError(f"{module} has no DOCUMENTATION")


def wrong_types(spec: dict[str, Any]) -> Iterator[Any]:
    """Values of the wrong type for an option of this spec (none for raw options, which take anything)."""
    kind = spec.get("type", "str")
    if spec.get("choices"):
        yield "no-such-choice"
    if kind in ("str", "path"):
        yield {"not": "text"}
        yield ["not", "text"]
    elif kind == "int":
        yield "many"
        yield {"not": "a number"}
        yield [1, 2]
    elif kind == "bool":
        yield "perhaps"
        yield ["yes"]
    elif kind == "list":
        yield {"not": "a list"}
    elif kind == "dict":
        yield 42
        yield "not a dict"


def generated_cases() -> list[tuple[str, str, dict[str, Any]]]:
    cases = []
    for module in BASE:
        for option, spec in documented_options(module).items():
            if option in CONNECTION or (option in FREE_TEXT and not spec.get("choices")):
                continue
            for value in wrong_types(spec):
                cases.append((module, option, {option: value}))
    return cases


def run_module(module: str, args: dict[str, Any], env: dict[str, str]) -> dict[str, Any]:
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
        json.dump({"ANSIBLE_MODULE_ARGS": args}, handle)
    try:
        result = subprocess.run([sys.executable, str(MODULES_DIR / f"{module}.py"), handle.name], env=env, capture_output=True,
                                text=True, timeout=120, check=False)
    finally:
        os.unlink(handle.name)
    try:
        outcome = json.loads(result.stdout)
    except ValueError:
        outcome = {"unparsable": result.stdout[-2000:]}
    outcome["stderr"] = result.stderr
    return outcome


def test_bad_input_fails_cleanly_names_the_option_and_writes_nothing(sim) -> None:
    cases = generated_cases() + CURATED
    assert len(cases) >= 300, len(cases)
    env = dict(os.environ, XAPI_HOST=sim.url, XAPI_USERNAME=sim.info["username"], XAPI_PASSWORD=sim.info["password"],
               XAPI_CA_PATH=sim.ca_cert or "", PYTHONPATH=os.environ["ANSIBLE_COLLECTIONS_PATH"].split(os.pathsep)[0])
    sim.control_post("reset_stats", {})
    with ThreadPoolExecutor(max_workers=4) as pool:
        outcomes = list(pool.map(lambda case: run_module(case[0], dict(BASE[case[0]], **case[2]), env), cases))
    problems = []
    for (module, option, args), outcome in zip(cases, outcomes):
        message = str(outcome.get("msg", ""))
        where = f"{module} {json.dumps(args, default=str)[:120]}"
        if "Traceback" in outcome["stderr"] or "Traceback" in json.dumps(outcome) or "unparsable" in outcome:
            problems.append(f"{where}: traceback or unreadable output: {outcome.get('unparsable') or outcome['stderr'][-500:]}")
        elif not outcome.get("failed"):
            problems.append(f"{where}: accepted")
        elif option.split("[")[0].split(".")[0] not in message and option not in message:
            problems.append(f"{where}: message does not name {option}: {message}")
    assert problems == [], f"{len(problems)} of {len(cases)} cases:\n" + "\n".join(problems)
    stats = sim.control_get("stats")
    assert stats["write_calls"] == 0, stats
