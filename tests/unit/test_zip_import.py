# Copyright: (c) 2026, xen.xapi maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Module utilities imported from a zip laid out as Ansible's payload are compiled once each, and behave as before."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
UTILS = "ansible_collections/xen/xapi/plugins/module_utils/"

SAMPLE = {
    UTILS + "sample/__init__.py": "NAME = 'sample package'\n",
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
print(json.dumps({"compiled": {name.rpartition("/module_utils/")[2]: count for name, count in compiled.items() if "/module_utils/sample" in name},
                  "file": leaf.__file__, "package_path": list(package.__path__), "shown": shown,
                  "loader": type(leaf.__loader__).__name__}))
"""


# The finder runs where modules run: on this Python and on the oldest one modules support (XEN_TARGET_PYTHON, set by
# `make pytest`), whose zipimport is the oldest in use.
PYTHONS = sorted({sys.executable, os.environ.get("XEN_TARGET_PYTHON") or sys.executable})


def payload_zip(directory: Path) -> Path:
    """A zip laid out as Ansible's payload: empty package files up to module_utils, the sources below."""
    path = directory / "payload.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for package in ("ansible_collections", "ansible_collections/xen", "ansible_collections/xen/xapi",
                        "ansible_collections/xen/xapi/plugins", UTILS.rstrip("/")):
            archive.writestr(package + "/__init__.py", "")
        archive.write(REPO_ROOT / "plugins/module_utils/_zip_import.py", UTILS + "_zip_import.py")
        for name, source in SAMPLE.items():
            archive.writestr(name, source)
    return path


def probe(tmp_path: Path, mode: str, python: str) -> dict:
    zipped = payload_zip(tmp_path)
    output = subprocess.run([python, "-c", PROBE, mode], capture_output=True, text=True, check=True,
                            env={"PYTHONPATH": str(zipped), "PYTHONDONTWRITEBYTECODE": "1"}, cwd=str(tmp_path)).stdout
    return json.loads(output)


@pytest.mark.parametrize("python", PYTHONS, ids=lambda python: Path(python).name)
def test_python_zipimport_compiles_each_source_twice(tmp_path: Path, python: str) -> None:
    """Why the finder exists: without it, each file is compiled twice."""
    assert probe(tmp_path, "without-finder", python)["compiled"] == {"sample/__init__.py": 2, "sample/leaf.py": 2}


@pytest.mark.parametrize("python", PYTHONS, ids=lambda python: Path(python).name)
def test_finder_compiles_each_source_once_and_keeps_files_paths_and_tracebacks(tmp_path: Path, python: str) -> None:
    result = probe(tmp_path, "with-finder", python)
    assert result["compiled"] == {"sample/__init__.py": 1, "sample/leaf.py": 1}
    assert result["loader"] == "_SourceInZipLoader"
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
