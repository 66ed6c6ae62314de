#!/usr/bin/env bash
# Prints the path of a Python X.Y interpreter (the first argument, e.g. 3.9) that runs: from PATH, else from
# pyenv's versions. make compat and make pytest use it to run ansible-core and the modules on every supported
# Python. Exits 1, naming what to install, when there is none.
set -euo pipefail
version="$1"
root="${PYENV_ROOT:-$HOME/.pyenv}"
if command -v pyenv >/dev/null 2>&1; then
    root="$(pyenv root)"
fi
candidates=()
if command -v "python$version" >/dev/null 2>&1; then
    candidates+=("$(command -v "python$version")")
fi
candidates+=("$root"/versions/"$version".*/bin/python"$version")
for candidate in "${candidates[@]}"; do
    # A pyenv shim is on PATH for every installed version but runs only the active ones.
    if [ -x "$candidate" ] && "$candidate" -c 'import venv' >/dev/null 2>&1; then
        echo "$candidate"
        exit 0
    fi
done
echo "No Python $version found (looked for python$version on PATH and in $root/versions): install it, e.g. 'pyenv install $version'." >&2
exit 1
