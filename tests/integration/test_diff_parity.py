"""The diff of check mode predicts what the real run returns: the same keys, the same kinds of values.

For each module that manages objects, a creation and a change run twice: in check mode with diff (which
must write nothing), then for real with diff. The predicted `after` must have the real `after`'s keys, and
each value the same kind (text, number, list, map, ...), nested lists and maps included. Values XAPI
chooses (uuids, device names, sizes the driver rounds) are not compared.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from harness import run_playbook

ETH1 = "Pool-wide network associated with eth1"
RUNS: list[tuple[str, dict[str, Any]]] = [
    ("xen.xapi.xen_vm", {"name": "parity01", "template": "Debian Bookworm 12", "state": "running", "vcpus": 2, "memory": "2GiB",
                         "disks": [{}, {"name": "parity01 data", "size": "1GiB"}], "networks": [{"network": ETH1}],
                         "cdrom": {"iso": "debian-12.7.0-amd64-netinst.iso"}, "tags": ["parity"]}),
    ("xen.xapi.xen_vm", {"name": "parity01", "memory": "4GiB", "vcpus": 3, "force": True, "state": "running",
                         "disks": [{}, {"size": "2GiB"}, {"name": "parity01 more", "size": "1GiB"}], "tags": ["parity", "grown"]}),
    ("xen.xapi.xen_vdi", {"name": "parity disk", "size": "1GiB", "tags": ["parity"]}),
    ("xen.xapi.xen_vdi", {"name": "parity disk", "size": "2GiB", "description": "grown"}),
    ("xen.xapi.xen_vbd", {"vm": "parity01", "vdi": "parity disk", "userdevice": "4", "plugged": True}),
    ("xen.xapi.xen_network", {"name": "parity net", "vlan": {"tag": 77, "device": "eth1"}, "tags": ["parity"]}),
    ("xen.xapi.xen_network", {"name": "parity net", "mtu": 9000, "description": "jumbo"}),
    ("xen.xapi.xen_sr", {"name": "parity iso", "type": "iso", "content_type": "iso", "shared": True,
                         "device_config": {"location": "/srv/parity"}}),
    ("xen.xapi.xen_pbd", {"sr": "parity iso", "hosts": "all", "device_config": {"location": "/srv/parity2"}}),
    ("xen.xapi.xen_host", {"name": "host3", "enabled": False}),
    ("xen.xapi.xen_vm_group", {"name": "parity group", "placement": "anti_affinity", "vms": ["web01", "web02"]}),
    ("xen.xapi.xen_vm_group", {"name": "parity group", "description": "apart", "vms": ["web02", "db01"]}),
    ("xen.xapi.xen_vm_snapshot", {"vm": "parity01", "name": "parity snap", "description": "before"}),
]


def play(runs: list[tuple[str, dict[str, Any]]]) -> list[dict[str, Any]]:
    tasks: list[dict[str, Any]] = []
    for index, (module, args) in enumerate(runs):
        tasks.append({"name": f"{index} {module} in check mode", module: args, "check_mode": True, "diff": True,
                      "register": f"check_{index}"})
        tasks.append({"name": f"{index} {module}", module: args, "diff": True, "register": f"real_{index}"})
        tasks.append({"name": f"{index} keep both diffs", "ansible.builtin.set_fact": {
            f"diff_{index}": {"check": f"{{{{ check_{index}.diff.after }}}}", "real": f"{{{{ real_{index}.diff.after }}}}",
                              "changed": f"{{{{ check_{index} is changed and real_{index} is changed }}}}"}}})
        tasks.append({"name": f"{index} save", "ansible.builtin.copy": {
            "content": f"{{{{ diff_{index} | to_json }}}}", "dest": f"{{{{ out_dir }}}}/diff_{index}.json", "mode": "0644"}})
    return [{"name": "Check-mode diffs against real diffs", "hosts": "localhost", "gather_facts": False, "tasks": tasks}]


def shape(value: Any) -> Any:
    """The kind of a value, recursively: maps by their keys, lists by their first item's kind."""
    if isinstance(value, dict):
        return {key: shape(item) for key, item in value.items()}
    if isinstance(value, list):
        return ["list", shape(value[0]) if value else "any"]
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    if value is None:
        return "any"
    return "text"


def compatible(predicted: Any, real: Any, path: str, problems: list[str]) -> None:
    if predicted == "any" or real == "any":
        return
    if isinstance(predicted, dict) and isinstance(real, dict):
        if set(predicted) != set(real):
            problems.append(f"{path}: keys {sorted(set(predicted) ^ set(real))} differ")
        for key in set(predicted) & set(real):
            compatible(predicted[key], real[key], f"{path}.{key}", problems)
    elif isinstance(predicted, list) and isinstance(real, list):
        compatible(predicted[1], real[1], path + "[]", problems)
    elif predicted != real:
        problems.append(f"{path}: {predicted} in check mode, {real} for real")


def test_check_mode_diffs_have_the_shape_of_real_diffs(sim, tmp_path: Path) -> None:
    import json  # pylint: disable=import-outside-toplevel
    playbook = tmp_path / "diff_parity.yml"
    playbook.write_text(yaml.safe_dump(play(RUNS), sort_keys=False), encoding="utf-8")
    run_playbook(sim, str(playbook), "-e", json.dumps({"out_dir": str(tmp_path)}))
    problems: list[str] = []
    for index, (module, _args) in enumerate(RUNS):
        diffs = json.loads((tmp_path / f"diff_{index}.json").read_text(encoding="utf-8"))
        assert diffs["changed"] in (True, "True"), (module, diffs)
        assert diffs["check"], f"{index} {module}: check mode predicted an empty object"
        compatible(shape(diffs["check"]), shape(diffs["real"]), f"{index} {module}", problems)
    assert problems == [], "\n".join(problems)
