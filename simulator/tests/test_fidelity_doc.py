"""FIDELITY.md stays true to the tests: every test it names exists, and every xapi source file it cites is one of xapi's."""
from __future__ import annotations

import re
from pathlib import Path

SIM_TESTS = Path(__file__).resolve().parent
DOC = SIM_TESTS.parent / "xapisim" / "FIDELITY.md"


def test_every_test_named_in_the_fidelity_notes_exists() -> None:
    text = DOC.read_text(encoding="utf-8")
    current = None
    missing = []
    for match in re.finditer(r"`(?:(test_[a-z0-9_]+\.py))?::([a-z0-9_]+)", text):
        current = match.group(1) or current
        source = (SIM_TESTS / current).read_text(encoding="utf-8") if current else ""
        if f"def {match.group(2)}(" not in source:
            missing.append(f"{current}::{match.group(2)}")
    assert missing == []
    assert len(re.findall(r"`xapi/[a-z_]+\.ml`", text)) >= 40


def test_every_simulator_file_named_in_the_fidelity_notes_exists() -> None:
    text = DOC.read_text(encoding="utf-8")
    named = set(re.findall(r"`((?:[a-z_]+/)*[a-z_]+\.(?:py|json))`", text))
    assert "semantics/vm/state.py" in named

    def where(name: str) -> Path:
        if name.startswith("tests/"):
            return SIM_TESTS.parents[1] / name
        return (SIM_TESTS if name.startswith("test_") else DOC.parent) / name

    missing = sorted(name for name in named if not where(name).exists())
    assert missing == []
