# Copyright: (c) 2026, xen.xapi maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What every module run pays before its first call: imports, and the TLS context.

Ansible ships a module's imports as source in a zip, and the target compiles them on every run (twice: Python's
zipimport compiles a module once to learn its file name and again to run it), so code that only some runs need is
imported where those runs need it. Each case below names a module that a run of the listed modules must not load.
"""

from __future__ import annotations

import json
import ssl
import subprocess
import sys

import pytest

from ansible_collections.xen.xapi.plugins.module_utils._xapi.transport import make_ssl_context

_PLUGINS = "ansible_collections.xen.xapi.plugins."


@pytest.mark.parametrize("module, not_loaded", [
    # Ansible's urls loads the cryptography package where installed (tens of ms); only a download by URL needs it.
    ("modules.xen_vdi", ["ansible.module_utils.urls", "cryptography"]),
    # Making a VM (and parsing the template's disk list as XML) only when a VM is made.
    ("modules.xen_vm", ["module_utils.vm.create", "xml.etree.ElementTree"]),
    # A module that only reads never needs the reconcile engine, nor Ansible's shipping it (masking storage secrets
    # comes from the storage.credentials leaf, not device_config).
    ("modules.xen_info", ["module_utils._engine", "module_utils._journal", "module_utils._xapi.tasks", "module_utils.storage.device_config"]),
])
def test_module_import_leaves_out_what_only_some_runs_need(module: str, not_loaded: list[str]) -> None:
    names = [name if name.startswith(("ansible.", "cryptography", "xml.")) else _PLUGINS + name for name in not_loaded]
    code = ("import json, sys; import {0}; print(json.dumps([name for name in {1!r} if name in sys.modules]))"
            .format(_PLUGINS + module, names))
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                            env={"PYTHONPATH": ":".join(path for path in sys.path if path)}).stdout
    assert json.loads(loaded) == []


def test_unverified_context_loads_no_certificates() -> None:
    """validate_certs=false must not pay for loading the system's CA bundle (about 20 ms) it then ignores."""
    context = make_ssl_context(validate_certs=False, ca_path=None)
    assert (context.verify_mode, context.check_hostname) == (ssl.CERT_NONE, False)
    assert context.cert_store_stats()["x509_ca"] == 0


def test_verified_context_trusts_the_system_store_by_default() -> None:
    context = make_ssl_context(validate_certs=True, ca_path=None)
    assert (context.verify_mode, context.check_hostname) == (ssl.CERT_REQUIRED, True)
