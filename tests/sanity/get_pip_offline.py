"""Stand-in for get-pip.py that bootstraps pip from the standard library and PyPI.

ansible-test creates each sanity test virtual environment without pip and then
runs a cached ``get-pip.py`` (normally downloaded from ci-files.testing.ansible.com)
with pip-install style arguments, e.g. ``pip==24.2 --no-setuptools --no-wheel``.
This replacement needs no host other than the package index: it installs the
interpreter's bundled pip with ``ensurepip`` (or, where a distribution removed
ensurepip, uses the base interpreter's pip) and then installs the exact packages
ansible-test asked for. ``seed_pip_bootstrap.py`` puts it in place.
"""

from __future__ import annotations

import importlib.metadata
import pathlib
import subprocess
import sys

# get-pip.py options that pip itself does not understand, mapped to the
# bootstrap packages they ask us not to leave behind.
GET_PIP_SKIP_FLAGS = {
    '--no-setuptools': 'setuptools',
    '--no-wheel': 'wheel',
}


def split_arguments(argv: list[str]) -> tuple[list[str], list[str]]:
    """Return (pip install arguments, packages to remove after the bootstrap)."""
    pip_args = [arg for arg in argv if arg not in GET_PIP_SKIP_FLAGS]
    unwanted = [GET_PIP_SKIP_FLAGS[arg] for arg in argv if arg in GET_PIP_SKIP_FLAGS]
    return pip_args, unwanted


def run_pip(*args: str) -> None:
    """Run pip of the current interpreter quietly; errors are still reported."""
    subprocess.run([sys.executable, '-m', 'pip', *args, '--quiet', '--disable-pip-version-check'], check=True)


def is_installed(name: str) -> bool:
    """Return True if the distribution is installed in the running environment."""
    try:
        importlib.metadata.distribution(name)
    except importlib.metadata.PackageNotFoundError:
        return False
    return True


def base_python() -> str:
    """Return the interpreter this virtual environment was created from."""
    return str(pathlib.Path(sys.base_prefix) / 'bin' / f'python{sys.version_info[0]}.{sys.version_info[1]}')


def install_pip(pip_args: list[str]) -> None:
    """Install the requested pip (and packages) into the running environment."""
    ensurepip = subprocess.run([sys.executable, '-m', 'ensurepip', '--default-pip'], check=False, stdout=subprocess.DEVNULL)
    if ensurepip.returncode == 0:
        run_pip('install', *pip_args)
        return
    # Debian and Ubuntu ship ensurepip separately (python3.X-venv); fall back to
    # the base interpreter's pip, installing into this environment.
    print('ensurepip is unavailable, installing pip with the base interpreter', file=sys.stderr)
    subprocess.run(
        [base_python(), '-m', 'pip', '--python', sys.executable, 'install', *pip_args, '--quiet', '--disable-pip-version-check'],
        check=True,
    )


def main() -> None:
    """Bootstrap pip into the running (empty) virtual environment."""
    pip_args, unwanted = split_arguments(sys.argv[1:])
    install_pip(pip_args)
    # ensurepip on Python < 3.12 also installs setuptools; honour --no-setuptools.
    leftovers = [name for name in unwanted if is_installed(name)]
    if leftovers:
        run_pip('uninstall', '--yes', *leftovers)


if __name__ == '__main__':
    main()
