"""`make demo` end to end: the guided tour runs against a fresh simulator, as a new user runs it."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]


def test_the_guided_tour_runs_end_to_end() -> None:
    env = dict(os.environ, PYTHONPATH=str(REPO_ROOT / "tests"))
    result = subprocess.run([sys.executable, str(REPO_ROOT / "tests" / "run_demo.py")], cwd=REPO_ROOT, env=env,
                            capture_output=True, text=True, timeout=900, check=False)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "failed=0" in result.stdout
    for part in ("inventory plugin read pool demo-pool", "Network 'VLAN 42 (demo)'", "SR 'NFS (demo)'", "Created demo-web",
                 "web01 sees the disk", "Took snapshot 'demo before upgrade'", "Imported build01-restored",
                 "chunk(s) checked against their checksums", "Tour complete"):
        assert part in result.stdout, part
    # The tour leaves the pool as it found it: five guests, as the demo pool starts with.
    assert "The pool is back to 5 guests" in result.stdout
