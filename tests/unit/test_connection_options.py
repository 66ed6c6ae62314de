# Copyright: (c) 2026, xen.xapi maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The documented connection options and the argument spec describe the same options."""

from __future__ import annotations

import pytest

import yaml  # noqa: E402

# pylint: disable=wrong-import-position
from ansible_collections.xen.xapi.plugins.doc_fragments.connection import ModuleDocFragment  # noqa: E402
from ansible_collections.xen.xapi.plugins.module_utils._module import CONNECTION_ARGUMENT_SPEC  # noqa: E402

DOCUMENTED = yaml.safe_load(ModuleDocFragment.DOCUMENTATION)["options"]


def test_same_option_names() -> None:
    assert set(DOCUMENTED) == set(CONNECTION_ARGUMENT_SPEC)


@pytest.mark.parametrize("name", sorted(CONNECTION_ARGUMENT_SPEC))
def test_option_matches_documentation(name: str) -> None:
    spec, doc = CONNECTION_ARGUMENT_SPEC[name], DOCUMENTED[name]
    assert spec["type"] == doc["type"]
    assert spec.get("default") == doc.get("default")
    assert sorted(spec.get("aliases", [])) == sorted(doc.get("aliases", []))
    assert spec.get("choices") == doc.get("choices")
    assert spec.get("elements") == doc.get("elements")
    assert bool(spec.get("required")) == bool(doc.get("required"))


@pytest.mark.parametrize("name", sorted(CONNECTION_ARGUMENT_SPEC))
def test_environment_fallbacks_are_documented(name: str) -> None:
    fallback = CONNECTION_ARGUMENT_SPEC[name].get("fallback")
    text = " ".join(DOCUMENTED[name]["description"])
    for variable in (fallback[1] if fallback else []):
        assert "E({0})".format(variable) in text
