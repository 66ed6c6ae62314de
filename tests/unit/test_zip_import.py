# Copyright: (c) 2026, xen.xapi maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Module utilities imported from a zip laid out as Ansible's payload are compiled once each, and behave as before."""

from __future__ import annotations

import json
import stat
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
UTILS = "ansible_collections/xen/xapi/plugins/module_utils/"

SAMPLE = {
    "ansible/__init__.py": "",
    "ansible/module_utils/__init__.py": "",
    "ansible/module_utils/sample_core.py": "CORE = 'core'\n",
    UTILS + "sample/__init__.py": "from ansible.module_utils.sample_core import CORE\nNAME = 'sample package'\n",
    UTILS + "sample/leaf.py": ("from ansible_collections.xen.xapi.plugins.module_utils.sample import NAME\n\n\n"
                               "def fail():\n    raise ValueError('from ' + NAME)  # the line a traceback shows\n"),
}
# Imports the sample with compile() counted per file, and reports what the import system recorded.
PROBE = """
import builtins, collections, json, sys, traceback
compiled = collections.Counter()
real_compile = builtins.compile
def counting_compile(source, filename, *args, **kwargs):
    compiled[filename] += 1
    return real_compile(source, filename, *args, **kwargs)
builtins.compile = counting_compile
if sys.argv[1] == "with-finder":
    from ansible_collections.xen.xapi.plugins.module_utils import _zip_import
from ansible_collections.xen.xapi.plugins.module_utils.sample import leaf
try:
    leaf.fail()
except ValueError:
    shown = traceback.format_exc()
package = sys.modules["ansible_collections.xen.xapi.plugins.module_utils.sample"]
core = sys.modules["ansible.module_utils.sample_core"]
print(json.dumps({"compiled": {name.rpartition("/module_utils/")[2]: count for name, count in compiled.items() if "/plugins/module_utils/sample/" in name},
                  "file": leaf.__file__, "package_path": list(package.__path__), "shown": shown,
                  "loader": type(leaf.__loader__).__name__, "core_loader": type(core.__loader__).__name__,
                  "core_compiled": sum(count for name, count in compiled.items() if name.endswith("/sample_core.py"))}))
"""


# The finder runs where modules run: on this Python and on the oldest one modules support (XEN_TARGET_PYTHON, set by
# `make pytest`), whose zipimport is the oldest in use.
PYTHONS = sorted({sys.executable, os.environ.get("XEN_TARGET_PYTHON") or sys.executable})


def payload_zip(directory: Path, name: str = "payload.zip") -> Path:
    """A zip laid out as Ansible's payload: empty package files up to module_utils, the sources below."""
    path = directory / name
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for package in ("ansible_collections", "ansible_collections/xen", "ansible_collections/xen/xapi",
                        "ansible_collections/xen/xapi/plugins", UTILS.rstrip("/")):
            archive.writestr(package + "/__init__.py", "")
        for util in ("_zip_import.py", "_user_cache.py"):
            archive.write(REPO_ROOT / "plugins/module_utils" / util, UTILS + util)
        for name, source in SAMPLE.items():
            archive.writestr(name, source)
    return path


def probe(tmp_path: Path, mode: str, python: str, write_cache: bool = False, zip_name: str = "payload.zip") -> dict:
    """Run PROBE on the sample zip, with a bytecode cache of its own (tmp_path/cache), written to only if asked."""
    zipped = payload_zip(tmp_path, zip_name)
    env = {"PYTHONPATH": str(zipped), "XDG_CACHE_HOME": str(tmp_path / "cache")}
    if not write_cache:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
    output = subprocess.run([python, "-c", PROBE, mode], capture_output=True, text=True, check=True, env=env, cwd=str(tmp_path)).stdout
    return json.loads(output)


@pytest.mark.parametrize("python", PYTHONS, ids=lambda python: Path(python).name)
def test_python_zipimport_compiles_each_source_twice(tmp_path: Path, python: str) -> None:
    """Why the finder exists: without it, each file is compiled twice."""
    result = probe(tmp_path, "without-finder", python)
    assert result["compiled"] == {"sample/__init__.py": 2, "sample/leaf.py": 2}
    assert result["core_compiled"] == 2


@pytest.mark.parametrize("python", PYTHONS, ids=lambda python: Path(python).name)
def test_finder_compiles_each_source_once_and_keeps_files_paths_and_tracebacks(tmp_path: Path, python: str) -> None:
    result = probe(tmp_path, "with-finder", python)
    assert result["compiled"] == {"sample/__init__.py": 1, "sample/leaf.py": 1}
    assert result["loader"] == "_SourceInZipLoader"
    # Ansible's own module utilities too.
    assert (result["core_loader"], result["core_compiled"]) == ("_SourceInZipLoader", 1)
    assert not (tmp_path / "cache").exists()  # PYTHONDONTWRITEBYTECODE: nothing written
    zipped = str(tmp_path / "payload.zip")
    assert result["file"] == zipped + "/" + UTILS + "sample/leaf.py"
    assert result["package_path"] == [zipped + "/" + UTILS + "sample"]
    # The traceback shows the source line, read from the zip as before.
    assert "raise ValueError('from ' + NAME)  # the line a traceback shows" in result["shown"]
    assert "ValueError: from sample package" in result["shown"]


@pytest.mark.parametrize("name", ["ansible_collections.xen.xapi.plugins.module_utils._engine", "json"])
def test_finder_leaves_imports_outside_a_zip_to_python(name: str) -> None:
    from ansible_collections.xen.xapi.plugins.module_utils import _zip_import  # pylint: disable=import-outside-toplevel

    package = sys.modules[name.rpartition(".")[0]] if "." in name else None
    path = list(getattr(package, "__path__", [])) or None
    assert _zip_import._SourceInZipFinder.find_spec(name, path) is None  # pylint: disable=protected-access


def cache_files(tmp_path: Path) -> dict:
    """Each file of the sample's bytecode cache (tmp_path/cache) and its mode."""
    directory = next((tmp_path / "cache" / "xen.xapi" / "bytecode").iterdir())
    return {path.name: stat.S_IMODE(path.stat().st_mode) for path in directory.iterdir()}


@pytest.mark.parametrize("python", PYTHONS, ids=lambda python: Path(python).name)
def test_a_later_run_takes_the_code_from_the_cache_and_its_tracebacks_show_this_runs_zip(tmp_path: Path, python: str) -> None:
    first = probe(tmp_path, "with-finder", python, write_cache=True, zip_name="first.zip")
    assert first["compiled"] == {"sample/__init__.py": 1, "sample/leaf.py": 1}
    assert cache_files(tmp_path) == {"ansible.module_utils.sample_core.pyc": 0o600,
                                     "ansible_collections.xen.xapi.plugins.module_utils.sample.pyc": 0o600,
                                     "ansible_collections.xen.xapi.plugins.module_utils.sample.leaf.pyc": 0o600}
    directory = next((tmp_path / "cache" / "xen.xapi" / "bytecode").iterdir())
    assert stat.S_IMODE(directory.stat().st_mode) == 0o700

    later = probe(tmp_path, "with-finder", python, zip_name="later.zip")  # another run: the payload is elsewhere
    assert later["compiled"] == {} and later["core_compiled"] == 0
    assert later["file"] == str(tmp_path / "later.zip") + "/" + UTILS + "sample/leaf.py"
    assert 'later.zip/{0}sample/leaf.py", line 5, in fail'.format(UTILS) in later["shown"]
    assert "raise ValueError('from ' + NAME)  # the line a traceback shows" in later["shown"]


@pytest.mark.parametrize("python", PYTHONS, ids=lambda python: Path(python).name)
def test_cached_code_of_another_source_or_a_file_others_can_write_is_not_run(tmp_path: Path, python: str) -> None:
    probe(tmp_path, "with-finder", python, write_cache=True)
    directory = next((tmp_path / "cache" / "xen.xapi" / "bytecode").iterdir())
    leaf = directory / "ansible_collections.xen.xapi.plugins.module_utils.sample.leaf.pyc"
    package = directory / "ansible_collections.xen.xapi.plugins.module_utils.sample.pyc"
    # The code of another source under the leaf's name (as a newer collection would leave it): not this source's digest.
    leaf.write_bytes(package.read_bytes())
    package.chmod(0o620)  # writable by the group: not trusted
    result = probe(tmp_path, "with-finder", python)
    assert result["compiled"] == {"sample/__init__.py": 1, "sample/leaf.py": 1}
    assert result["core_compiled"] == 0  # its entry is intact
    assert "ValueError: from sample package" in result["shown"]


def test_a_module_found_first_in_a_directory_of_the_path_is_left_to_python(tmp_path: Path) -> None:
    from ansible_collections.xen.xapi.plugins.module_utils import _zip_import  # pylint: disable=import-outside-toplevel

    zipped = payload_zip(tmp_path)
    installed = tmp_path / "site" / "ansible" / "module_utils"
    installed.mkdir(parents=True)
    (installed / "sample_core.py").write_text("CORE = 'installed'\n", encoding="utf-8")
    in_zip = str(zipped) + "/ansible/module_utils"
    finder = _zip_import._SourceInZipFinder  # pylint: disable=protected-access
    assert finder.find_spec("ansible.module_utils.sample_core", [str(installed), in_zip]) is None
    spec = finder.find_spec("ansible.module_utils.sample_core", [in_zip, str(installed)])
    assert spec is not None and spec.origin == in_zip + "/sample_core.py"


def test_runs_filling_the_cache_at_once_all_succeed_and_leave_it_whole(tmp_path: Path) -> None:
    """Forks of one play run modules side by side: each writes whole entries or none (temporary file, then rename)."""
    zipped = payload_zip(tmp_path)
    env = {"PYTHONPATH": str(zipped), "XDG_CACHE_HOME": str(tmp_path / "cache")}
    runs = [subprocess.Popen([sys.executable, "-c", PROBE, "with-finder"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=str(tmp_path))
            for _run in range(6)]
    outputs = [run.communicate(timeout=60) for run in runs]
    assert [run.returncode for run in runs] == [0] * 6, outputs
    assert all("ValueError: from sample package" in json.loads(stdout)["shown"] for stdout, _stderr in outputs)
    assert sorted(cache_files(tmp_path)) == ["ansible.module_utils.sample_core.pyc", "ansible_collections.xen.xapi.plugins.module_utils.sample.leaf.pyc",
                                             "ansible_collections.xen.xapi.plugins.module_utils.sample.pyc"]  # no temporary file left
    assert probe(tmp_path, "with-finder", sys.executable)["compiled"] == {}
