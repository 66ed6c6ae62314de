# Copyright: (c) 2026, xen.xapi maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Compile each of this collection's module utilities once when a module runs from Ansible's payload zip.

Ansible ships a module with the sources it imports in a zip, and the target runs it with the zip on ``sys.path``.
Python's zipimport (3.8 to 3.13) compiles every source file twice there: once when the import system asks for
the module's file name (``zipimporter.get_filename`` compiles the code to learn which file it comes from), and
again to run it. xen_vm imports some 40 files: about 70 ms of compiling on every run, half of it wasted.

Each module imports this first. Its finder, just ahead of Python's path finder, serves only this collection's
module utilities found in a zip: it reads the source from the zip and compiles it once. Anything else (not in a
zip, another package, a zip without the source) is left to Python's import system as before.
"""

from __future__ import annotations

import os
import sys
import typing as t
import zipimport
from importlib.machinery import ModuleSpec, PathFinder
from types import ModuleType

_PACKAGE = __name__.rpartition(".")[0] + "."


class _SourceInZipLoader:
    """Runs one module from its source in the zip; tracebacks read the same source (``get_source``)."""

    def __init__(self, importer: zipimport.zipimporter, path: str, source: str) -> None:
        self._importer = importer
        self._source: t.Optional[str] = source
        self.path = path

    def create_module(self, spec: ModuleSpec) -> t.Optional[ModuleType]:  # pylint: disable=unused-argument
        return None  # the default module object

    def exec_module(self, module: ModuleType) -> None:
        source, self._source = self._source or self._importer.get_source(module.__name__), None
        exec(compile(source, self.path, "exec", dont_inherit=True), module.__dict__)  # pylint: disable=exec-used

    def get_source(self, fullname: str) -> t.Optional[str]:
        return self._importer.get_source(fullname)

    def get_filename(self, fullname: str) -> str:  # pylint: disable=unused-argument
        return self.path


class _SourceInZipFinder:
    """Finds this collection's module utilities in a zip on the parent package's path."""

    @staticmethod
    def find_spec(fullname: str, path: t.Optional[t.Sequence[str]] = None,
                  target: t.Optional[ModuleType] = None) -> t.Optional[ModuleSpec]:  # pylint: disable=unused-argument
        if not fullname.startswith(_PACKAGE) or not path:
            return None
        for entry in path:
            spec = _spec_in_zip(fullname, entry)
            if spec is not None:
                return spec
        return None


def _spec_in_zip(fullname: str, entry: str) -> t.Optional[ModuleSpec]:
    importer = sys.path_importer_cache.get(entry)
    try:
        if not isinstance(importer, zipimport.zipimporter):
            importer = zipimport.zipimporter(entry)
        is_package = importer.is_package(fullname)
        source = importer.get_source(fullname)
    except Exception:  # pylint: disable=broad-exception-caught  # not a zip, not in it, or a zipimport unlike any known
        return None  # Python's own import decides
    if source is None:  # only compiled code in the zip: nothing to compile, zipimport does it well
        return None
    location = "{0}{1}{2}{3}".format(importer.archive, os.sep, importer.prefix, fullname.rpartition(".")[2])
    path = location + os.sep + "__init__.py" if is_package else location + ".py"
    spec = ModuleSpec(fullname, _SourceInZipLoader(importer, path, source), origin=path, is_package=is_package)
    spec.has_location = True  # sets the module's __file__
    if is_package:
        spec.submodule_search_locations = [location]
    return spec


def _install() -> None:
    """Just ahead of Python's path finder (which holds zipimport), after the finders of built-in and frozen modules."""
    if _SourceInZipFinder in sys.meta_path:
        return
    position = next((index for index, finder in enumerate(sys.meta_path) if finder is PathFinder), len(sys.meta_path))
    sys.meta_path.insert(position, _SourceInZipFinder)  # type: ignore[arg-type]  # a class with find_spec is a finder


_install()
