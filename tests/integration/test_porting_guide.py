"""The porting guide's *After* examples, run as written against a simulator of their own."""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml
from harness import run_playbook

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "docsite" / "rst" / "porting_from_community_general.rst"


def after_examples() -> list[list[dict[str, Any]]]:
    """The YAML of every code block that follows an '*After* (xen.xapi):' paragraph, in order."""
    blocks = re.findall(r"^\*After\* \(xen\.xapi\):\n\n\.\. code-block:: yaml\n\n((?:  .*\n|\n)+)", GUIDE.read_text(encoding="utf-8"),
                        flags=re.MULTILINE)
    return [yaml.safe_load("\n".join(line[2:] for line in block.splitlines())) for block in blocks]


def test_after_examples_run_as_written(sim, tmp_path: Path) -> None:
    examples = after_examples()
    assert len(examples) == 4
    tasks = [task for example in examples for task in example]
    assert all("community.general" not in yaml.safe_dump(task) for task in tasks)
    playbook = tmp_path / "porting_guide.yml"
    playbook.write_text(yaml.safe_dump([{"name": "The porting guide's examples", "hosts": "localhost", "gather_facts": False,
                                         "tasks": tasks}], sort_keys=False), encoding="utf-8")
    result = run_playbook(sim, str(playbook))
    assert "failed=0" in result.stdout
    # Every write example changed the pool: app01 created, app02 created running, halted and removed.
    assert re.search(r"ok=\d+\s+changed=4\s", result.stdout), result.stdout
    # The guest's address came from its guest agent, as wait_for_ip promised.
    assert re.search(r'"msg": \[\s*"\d+\.\d+\.\d+\.\d+"', result.stdout), result.stdout
