"""The VS Code client's unit tests (`npm test` in client-vscode/), reported in the pytest summary.

They cover the client's pure logic: the `derivlens.plot` argument built from the editor and
the panel's controls, the panel's state transitions, CSV export, theme mapping and the
interpreter choice. Needs Node and `npm ci` done in client-vscode/ (scripts/test.sh does it);
runs `npm ci` itself when node_modules is missing.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

CLIENT = Path(__file__).resolve().parents[2] / "client-vscode"


def test_client_unit_tests_pass() -> None:
    npm = shutil.which("npm")
    if npm is None:
        pytest.skip("npm is not installed")
    if not (CLIENT / "node_modules" / "esbuild").exists():
        subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=CLIENT, check=True
        )
    proc = subprocess.run(
        [npm, "test", "--silent"], cwd=CLIENT, capture_output=True, text=True, timeout=300
    )
    out = proc.stdout + proc.stderr
    summary = dict(re.findall(r"^# (tests|pass|fail) (\d+)$", out, flags=re.MULTILINE))
    assert proc.returncode == 0, f"npm test failed:\n{out[-6000:]}"
    assert int(summary.get("fail", "1")) == 0, out[-6000:]
    assert int(summary.get("pass", "0")) >= 40, f"too few client tests ran: {summary}"
