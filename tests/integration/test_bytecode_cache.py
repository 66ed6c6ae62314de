"""The modules' bytecode cache on a real run: filled by the first run, used by the next, with the same results."""
from __future__ import annotations

import re
import stat
from pathlib import Path

from harness import run_playbook


def records_returned(sim, cache: Path, **env: str) -> int:
    result = run_playbook(sim, "xen_info_count.yml", XDG_CACHE_HOME=str(cache), **env)
    match = re.search(r"records_returned=(\d+)", result.stdout)
    assert match, result.stdout
    return int(match.group(1))


def entries(cache: Path) -> dict[str, tuple[int, int]]:
    """Each cached module of the run's Python: its file's mode and when it was written."""
    directories = list((cache / "xen.xapi" / "bytecode").glob("cpython-*"))
    assert len(directories) == 1, directories  # one Python ran the modules
    assert stat.S_IMODE(directories[0].stat().st_mode) == 0o700
    return {path.stem: (stat.S_IMODE(path.stat().st_mode), path.stat().st_mtime_ns) for path in directories[0].glob("*.pyc")}


def test_the_first_run_fills_the_cache_and_the_next_gives_the_same_result_from_it(sim, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    first = records_returned(sim, cache)
    kept = entries(cache)
    assert "ansible_collections.xen.xapi.plugins.module_utils._module" in kept
    assert "ansible_collections.xen.xapi.plugins.module_utils._xapi.client" in kept
    assert {mode for mode, _written in kept.values()} == {0o600}

    assert records_returned(sim, cache) == first
    assert entries(cache) == kept  # nothing written again, nothing added


def test_nothing_is_written_with_pythondontwritebytecode(sim, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    records_returned(sim, cache, PYTHONDONTWRITEBYTECODE="1")
    assert not cache.exists()


def test_a_damaged_entry_is_compiled_again(sim, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    first = records_returned(sim, cache)
    client = next((cache / "xen.xapi" / "bytecode").glob("cpython-*/ansible_collections.xen.xapi.plugins.module_utils._xapi.client.pyc"))
    client.write_bytes(client.read_bytes()[:40])  # cut short, as by a full disk
    assert records_returned(sim, cache) == first
    assert client.stat().st_size > 40  # written whole again
