# Copyright: (c) 2026, xen.xapi maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a run keeps for the next with the same options (_run_memory.py): found again, secrets left out, damaged or
foreign files ignored, old files removed."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from ansible_collections.xen.xapi.plugins.module_utils import _run_memory

PARAMS = {"hostname": "https://pool.example", "username": "root", "password": "s3cret", "name": "web01", "vcpus": 2,
          "cloud_init": {"user_data": "#cloud-config\npassword: hunter2\n"}, "state": "running"}
UNKEYED = ("password", "cloud_init")
FACTS = {"vm": "OpaqueRef:vm", "vbds": ["OpaqueRef:vbd"]}


@pytest.fixture(autouse=True)
def cache_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return tmp_path / "cache"


def memory_files(cache_home: Path) -> list:
    return sorted((cache_home / "xen.xapi" / "runs").glob("*.json"))


def test_a_run_is_recalled_by_a_run_of_the_same_kind_with_the_same_options() -> None:
    assert _run_memory.recall("VmResource", PARAMS, UNKEYED) is None
    _run_memory.keep("VmResource", PARAMS, False, FACTS, UNKEYED)
    assert _run_memory.recall("VmResource", PARAMS, UNKEYED) == _run_memory.Memory(changed=False, facts=FACTS)
    assert _run_memory.recall("VmResource", dict(PARAMS, vcpus=4), UNKEYED) is None
    assert _run_memory.recall("VmResource", dict(PARAMS, hostname="https://other.example"), UNKEYED) is None
    assert _run_memory.recall("VdiResource", PARAMS, UNKEYED) is None


def test_secrets_stay_out_of_the_file_and_its_name(cache_home: Path) -> None:
    _run_memory.keep("VmResource", PARAMS, True, FACTS, UNKEYED)
    # Another password or other cloud-init data: the same task, the same file.
    assert _run_memory.recall("VmResource", dict(PARAMS, password="changed", cloud_init={"user_data": "other"}), UNKEYED) is not None
    (path,) = memory_files(cache_home)
    text = path.read_text(encoding="utf-8")
    assert "s3cret" not in text and "hunter2" not in text and "web01" not in text
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and stat.S_IMODE(path.parent.stat().st_mode) == 0o700


@pytest.mark.parametrize("content", [b"", b"{", b"[]", b'{"changed": false}', b'{"changed": "no", "facts": {}}', b'{"changed": false, "facts": []}'])
def test_a_damaged_file_is_not_used(cache_home: Path, content: bytes) -> None:
    _run_memory.keep("VmResource", PARAMS, False, FACTS, UNKEYED)
    (path,) = memory_files(cache_home)
    path.write_bytes(content)
    assert _run_memory.recall("VmResource", PARAMS, UNKEYED) is None


def test_a_file_others_can_write_is_not_used(cache_home: Path) -> None:
    _run_memory.keep("VmResource", PARAMS, False, FACTS, UNKEYED)
    (path,) = memory_files(cache_home)
    path.chmod(0o666)
    assert _run_memory.recall("VmResource", PARAMS, UNKEYED) is None


def test_a_cache_that_cannot_be_made_keeps_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", "/dev/null/cache")
    _run_memory.keep("VmResource", PARAMS, False, FACTS, UNKEYED)  # no error
    assert _run_memory.recall("VmResource", PARAMS, UNKEYED) is None


def test_files_of_tasks_not_run_for_long_are_removed_once_a_day(cache_home: Path) -> None:
    _run_memory.keep("VmResource", PARAMS, False, FACTS, UNKEYED)
    _run_memory.keep("VmResource", dict(PARAMS, vcpus=8), False, FACTS, UNKEYED)
    old, recent = memory_files(cache_home)
    folder = old.parent
    now = old.stat().st_mtime + _run_memory.FORGET_AFTER + 10
    os.utime(recent, (now, now))
    marker = folder / ".tidied"
    os.utime(marker, (now - 60, now - 60))
    _run_memory.tidy(str(folder), now=now)  # looked a minute ago: not again
    assert old.exists()
    os.utime(marker, (now - _run_memory.TIDY_EVERY - 1, now - _run_memory.TIDY_EVERY - 1))
    _run_memory.tidy(str(folder), now=now)
    assert not old.exists() and recent.exists()
