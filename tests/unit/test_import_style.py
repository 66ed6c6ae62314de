"""Modules and module utilities import modules, not names from them.

Ansible builds a module's payload on the controller once per play run and module. For ``from package.module
import name`` it first looks for ``package/module/name`` as a module and then reads ``package/module.py`` again,
for every such name in every file; ``from package import module`` is looked up once and then cached. Keeping to
module imports takes about a tenth off xen_vm's build (tests/bench/bench_peer.py prints the build time).
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

COLLECTION = Path(__file__).resolve().parents[2]
PACKAGE = "ansible_collections.xen.xapi.plugins.module_utils"
SHIPPED = sorted(list((COLLECTION / "plugins" / "modules").glob("*.py")) + list((COLLECTION / "plugins" / "module_utils").rglob("*.py")))


def names_imported_from_modules(source: str) -> list[str]:
    """``module.name`` for each name imported from one of this collection's module utilities (not a package)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith(PACKAGE):
            relative = node.module[len(PACKAGE):].lstrip(".").replace(".", "/")
            if not (COLLECTION / "plugins" / "module_utils" / relative).is_dir():
                found.extend("{0}.{1}".format(node.module, alias.name) for alias in node.names)
    return found


def test_the_check_finds_a_name_import_and_accepts_a_module_import() -> None:
    assert names_imported_from_modules("from {0}._xapi.errors import XapiError\n".format(PACKAGE)) == [PACKAGE + "._xapi.errors.XapiError"]
    assert names_imported_from_modules("from {0}._xapi import errors\nfrom {0} import _engine\n".format(PACKAGE)) == []


@pytest.mark.parametrize("path", SHIPPED, ids=lambda path: str(path.relative_to(COLLECTION)))
def test_shipped_code_imports_modules_not_names(path: Path) -> None:
    assert names_imported_from_modules(path.read_text(encoding="utf-8")) == []
