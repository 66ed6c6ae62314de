# Copyright: (c) 2026, xen.xapi maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The table of operations sent as one plain call (run_state_change), checked against the XAPI datamodel:
each is a message with an Async form (so xapi runs it as a task that a late answer can be followed on), takes
the object and the arguments the table expects, and the field it settles on is a field of that object."""

from __future__ import annotations

import inspect

import pytest
from xapisim import schema as xapi_schema

from ansible_collections.xen.xapi.plugins.module_utils._xapi.tasks import STATE_AFTER

SCHEMA = xapi_schema.load()


@pytest.mark.parametrize("method", sorted(STATE_AFTER))
def test_each_state_change_matches_the_datamodel(method: str) -> None:
    cls, name = method.split(".")
    message = SCHEMA.cls(cls).messages[name]
    assert message.is_async, "{0} has no Async form: xapi would not run it as a task".format(method)
    arity = len(inspect.signature(STATE_AFTER[method]).parameters)
    assert len(message.params) == 1 + arity
    assert (message.params[0][1].kind, message.params[0][1].name) == ("ref", cls)
    field, _value = STATE_AFTER[method](*(["arg"] * arity))
    assert field in SCHEMA.cls(cls).fields


@pytest.mark.parametrize("method, args, expected", [
    ("VM.start", (False, False), ("power_state", "Running")),
    ("VM.start", (True, False), ("power_state", "Paused")),
    ("VM.resume_on", ("OpaqueRef:host", True, False), ("power_state", "Paused")),
    ("VM.clean_shutdown", (), ("power_state", "Halted")),
    ("VBD.insert", ("OpaqueRef:iso",), ("VDI", "OpaqueRef:iso")),
    ("VBD.eject", (), ("empty", True)),
])
def test_the_state_each_operation_leaves(method: str, args: tuple, expected: tuple) -> None:
    assert STATE_AFTER[method](*args) == expected
