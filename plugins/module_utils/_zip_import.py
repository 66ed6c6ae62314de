# Copyright: (c) 2026, xen.xapi maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Load a module's utilities from Ansible's payload zip compiling each at most once, and keep the result between runs.

Ansible ships a module with the sources it imports in a zip, and the target runs it with the zip on ``sys.path``.
Python's zipimport (3.8 to 3.13) compiles every source file twice there: once when the import system asks for
the module's file name (``zipimporter.get_filename`` compiles the code to learn which file it comes from), and
again to run it. Nor does it keep compiled code anywhere, so every run of every task compiles it all again:
xen_vm imports some 40 files of this collection, about 35 ms of compiling (70 ms with zipimport's double work)
out of a task of 0.3 s.

Each module imports this first. Its finder, just ahead of Python's path finder, serves this collection's module
utilities, and those of Ansible's own (``ansible.module_utils``) not yet imported, from the zip: it reads the
source there, and runs the code compiled from it, which it takes from the bytecode cache when that holds the
code of the very same source. (Ansible's wrapper imports ``ansible.module_utils.basic`` and what it needs before
the module runs, so of Ansible's the finder only serves what the module imports later, ``urls`` for instance.)
Anything else (not in a zip, another package, a zip without the source, a module the path finder would find
elsewhere first) is left to Python's import system as before.

The bytecode cache is one directory per user and Python version, ``$XDG_CACHE_HOME/xen.xapi/bytecode/<cache tag>``
(``~/.cache`` when XDG_CACHE_HOME is not set), one file per module: Python's magic number, the SHA-256 of the
source the code was compiled from, and the code. Code is used only when the file is owned by the user running
the module and writable by no one else, and its digest is that of the source in this run's zip; anything else is
compiled again. Like Python's own ``__pycache__``, nothing is written when PYTHONDONTWRITEBYTECODE is set, and a
directory that cannot be made or written (read-only home, no home) only means compiling as zipimport would.
"""

from __future__ import annotations

import marshal
import os
import sys
import typing as t
import zipimport
from importlib.machinery import ModuleSpec, PathFinder
from importlib.util import MAGIC_NUMBER
from types import CodeType, ModuleType

from ansible_collections.xen.xapi.plugins.module_utils import _user_cache

try:
    from _imp import _fix_co_filename  # type: ignore[attr-defined]  # CPython: what its own loader uses to point cached code at today's file
except ImportError:  # pragma: no cover  # other Pythons: cached code keeps the file name it was compiled with
    def _fix_co_filename(code: CodeType, path: str) -> None:  # pylint: disable=unused-argument
        return None

# The packages served: this collection's module utilities, and Ansible's.
_PREFIXES = (__name__.rpartition(".")[0] + ".", "ansible.module_utils.")
_DIGEST_SIZE = 32  # SHA-256
_HEADER_SIZE = len(MAGIC_NUMBER) + _DIGEST_SIZE


def cache_directory() -> t.Optional[str]:
    """The user's bytecode cache for this Python, or None when there is none (no home, no cache tag)."""
    tag = sys.implementation.cache_tag
    return _user_cache.directory("bytecode", tag) if tag is not None else None


def source_digest(source: str) -> bytes:
    import hashlib  # pylint: disable=import-outside-toplevel  # here: only a run that reads or writes the cache needs it

    return hashlib.sha256(source.encode("utf-8", "surrogateescape")).digest()


def cached_code(directory: str, fullname: str, digest: bytes) -> t.Optional[CodeType]:
    """The code the cache holds for this module, if it was compiled from the source with this digest."""
    data = _user_cache.read_own(os.path.join(directory, fullname + ".pyc"))
    if data is None or data[:_HEADER_SIZE] != MAGIC_NUMBER + digest:
        return None
    try:
        code = marshal.loads(data[_HEADER_SIZE:])
    except (EOFError, ValueError, TypeError):
        return None
    return code if isinstance(code, CodeType) else None


def keep_code(directory: str, fullname: str, digest: bytes, code: CodeType) -> None:
    """Write the code to the cache, whole or not at all (another run may be reading or writing the same file)."""
    _user_cache.write_whole(directory, fullname + ".pyc", MAGIC_NUMBER + digest + marshal.dumps(code))


def module_code(fullname: str, source: str, path: str) -> CodeType:
    """The module's code: from the cache when it holds this source's, else compiled (and kept for the next run)."""
    directory = cache_directory()
    if directory is None:
        return compile(source, path, "exec", dont_inherit=True)
    digest = source_digest(source)
    code = cached_code(directory, fullname, digest)
    if code is not None:
        _fix_co_filename(code, path)
        return code
    code = compile(source, path, "exec", dont_inherit=True)
    if not sys.dont_write_bytecode:
        try:
            keep_code(directory, fullname, digest, code)
        except OSError:
            pass  # a cache that cannot be written: this run compiled, as the next will
    return code


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
        if source is None:  # the zip lost the file since the finder read it
            raise ImportError("no source for {0} in {1}".format(module.__name__, self.path), name=module.__name__)
        exec(module_code(module.__name__, source, self.path), module.__dict__)  # pylint: disable=exec-used

    def get_source(self, fullname: str) -> t.Optional[str]:
        return self._importer.get_source(fullname)

    def get_filename(self, fullname: str) -> str:  # pylint: disable=unused-argument
        return self.path


class _SourceInZipFinder:
    """Finds the served packages' modules in a zip on the parent package's path."""

    @staticmethod
    def find_spec(fullname: str, path: t.Optional[t.Sequence[str]] = None,
                  target: t.Optional[ModuleType] = None) -> t.Optional[ModuleSpec]:  # pylint: disable=unused-argument
        if not fullname.startswith(_PREFIXES) or not path:
            return None
        leaf = fullname.rpartition(".")[2]
        for entry in path:
            if os.path.isdir(entry):
                if os.path.exists(os.path.join(entry, leaf + ".py")) or os.path.isdir(os.path.join(entry, leaf)):
                    return None  # found here first by Python's path finder, as without this finder
                continue
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
    # A loader by protocol (create_module, exec_module): subclassing importlib.abc.Loader would import importlib.abc first.
    loader = t.cast(t.Any, _SourceInZipLoader(importer, path, source))
    spec = ModuleSpec(fullname, loader, origin=path, is_package=is_package)
    spec.has_location = True  # sets the module's __file__
    if is_package:
        spec.submodule_search_locations = [location]
    return spec


def _install() -> None:
    """Just ahead of Python's path finder (which holds zipimport), after the finders of built-in and frozen modules."""
    if _SourceInZipFinder in sys.meta_path:
        return
    position = next((index for index, finder in enumerate(sys.meta_path) if finder is PathFinder), len(sys.meta_path))
    sys.meta_path.insert(position, _SourceInZipFinder)  # a class with find_spec is a finder


_install()
