"""Make ansible-test's sanity virtual environments installable with PyPI access only.

ansible-test (2.19) runs every single-version sanity test (pylint, validate-modules,
yamllint, ...) in a dedicated virtual environment under ``~/.ansible/test/venv``.
Those environments are created without pip and bootstrapped from a get-pip.py script
that ansible-test downloads from ci-files.testing.ansible.com unless a copy is already
cached at ``~/.ansible/test/cache/get_pip_<pip version>.py``.

This helper places ``get_pip_offline.py`` at that cache location, so the bootstrap
uses the standard library's ``ensurepip`` plus PyPI instead. A real get-pip.py
that is already cached is left untouched; an older copy of the stand-in is refreshed.

Run it with the interpreter that runs ansible-test.
"""

from __future__ import annotations

import pathlib
import shutil
import sys
import types

STAND_IN = pathlib.Path(__file__).resolve().with_name('get_pip_offline.py')
# The stand-in's docstring opening, used to recognise (and refresh) earlier copies of it.
STAND_IN_MARKER = b'Stand-in for get-pip.py'


def required_pip_version() -> str:
    """Return the pip version ansible-test bootstraps into sanity virtual environments."""
    # ansible-test keeps this pin in an internal helper; it only reads the Python version.
    from ansible_test._internal.python_requirements import get_venv_packages

    python = types.SimpleNamespace(version=f'{sys.version_info[0]}.{sys.version_info[1]}')
    return get_venv_packages(python)['pip']


def cache_path(pip_version: str) -> pathlib.Path:
    """Return where ansible-test looks for a cached get-pip.py for the given pip version."""
    return pathlib.Path.home() / '.ansible' / 'test' / 'cache' / f"get_pip_{pip_version.replace('.', '_')}.py"


def is_foreign_script(path: pathlib.Path) -> bool:
    """Return True if path holds a bootstrap script other than (any version of) our stand-in."""
    with path.open('rb') as script:
        head = script.read(len(STAND_IN_MARKER) + 3)
    return STAND_IN_MARKER not in head


def main() -> None:
    """Seed the ansible-test get-pip cache with the offline stand-in, refreshing older copies."""
    target = cache_path(required_pip_version())
    if target.exists() and is_foreign_script(target):
        print(f'ansible-test pip bootstrap: using the cached get-pip.py at {target}')
        return
    if target.exists() and target.read_bytes() == STAND_IN.read_bytes():
        print(f'ansible-test pip bootstrap: stand-in up to date at {target}')
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(STAND_IN, target)
    print(f'ansible-test pip bootstrap: stand-in installed at {target}')


if __name__ == '__main__':
    main()
