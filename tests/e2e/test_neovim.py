"""A second, real LSP client: Neovim's built-in one (0.7.2 API), headless, driven by Lua.

`tests/e2e/neovim/hover_and_lens.lua` starts `python -m derivlens serve` with
`vim.lsp.start_client`, hovers a `def` (raw markdown and the floating window a user
sees), fetches the code lenses with `vim.lsp.codelens.refresh()` and runs the lens
with `vim.lsp.codelens.run()`; it writes a JSON report that is checked here.
Needs `nvim` (Debian: `apt-get install -y neovim`); skipped when it is not installed.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.neovim

SCRIPT = Path(__file__).parent / "neovim" / "hover_and_lens.lua"
NVIM = shutil.which("nvim")
BLOCKS = "▁▂▃▄▅▆▇█"

SOURCE = """\
import torch

def wiggle(x):
    return x ** 3 - x
"""
DEF_LINE = 2


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    if NVIM is None:
        pytest.skip("nvim is not installed (Debian/Ubuntu: apt-get install -y neovim)")
    work = tmp_path_factory.mktemp("neovim")
    path = work / "wiggle.py"
    path.write_text(SOURCE)
    out = work / "report.json"
    env = {
        **os.environ,
        "DERIVLENS_NVIM_FILE": str(path),
        "DERIVLENS_NVIM_OUT": str(out),
        "DERIVLENS_NVIM_PYTHON": sys.executable,
        "DERIVLENS_NVIM_LINE": str(DEF_LINE),
        "XDG_CACHE_HOME": str(work / "cache"),  # Neovim's lsp.log goes here
        "XDG_STATE_HOME": str(work / "state"),
        "XDG_CONFIG_HOME": str(work / "config"),
    }
    run = subprocess.run(
        [NVIM, "--headless", "-u", "NONE", "-i", "NONE", "-c", f"luafile {SCRIPT}"],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )
    assert out.exists(), f"nvim wrote no report (exit {run.returncode}): {run.stderr[-2000:]}"
    result = json.loads(out.read_text())
    assert "failure" not in result, result["failure"]
    assert run.returncode == 0, run.stderr[-2000:]
    return result


def spark(lines: list[str], label: str) -> str:
    for line in lines:
        stripped = line.strip().strip("`").rstrip()
        if stripped.startswith(label + " ") or stripped.startswith(label + "  "):
            return stripped[len(label) :].strip().rstrip("`").strip()
    raise AssertionError(f"no {label} sparkline among {[line[:60] for line in lines]}")


def test_hover_text_has_summary_and_sparkline(report: dict[str, Any]) -> None:
    markdown = report["hover"]
    assert isinstance(markdown, str)
    lines = markdown.splitlines()
    # Neovim 0.7.2 does not advertise workspace/configuration: initializationOptions count
    assert lines[0] == "**wiggle(x)** · autograd · x ∈ [-1, 1] · order 1"
    f_row, d_row = spark(lines, "f"), spark(lines, "f′")
    assert set(f_row) <= set(BLOCKS) and set(d_row) <= set(BLOCKS)
    assert len(f_row) >= 16 and len(d_row) >= 16
    # x³ - x on [-1, 1]: 0 at both ends, a peak at -1/√3 and a trough at +1/√3;
    # its derivative 3x² - 1 is highest at the ends and lowest in the middle.
    level = [BLOCKS.index(c) for c in f_row]
    peak, trough = level.index(max(level)), level.index(min(level))
    assert 0 < peak < len(level) // 2 < trough < len(level) - 1
    assert d_row[0] == "█" and d_row[-1] == "█"
    assert "▁" in d_row[len(d_row) // 3 : -len(d_row) // 3]


def test_hover_float_shows_it_to_the_user(report: dict[str, Any]) -> None:
    shown = report["float_lines"]
    assert shown[0].startswith("**wiggle(x)**") or "wiggle(x)" in shown[0]
    text = "\n".join(shown)
    assert "f′" in text and any(block in text for block in BLOCKS)
    # The sparkline comes before the (for Neovim, unreadable) data-URI line.
    sparkline_at = next(i for i, line in enumerate(shown) if "f′" in line)
    image_at = next((i for i, line in enumerate(shown) if "data:image/png" in line), len(shown))
    assert sparkline_at < image_at


def test_body_line_has_no_hover(report: dict[str, Any]) -> None:
    assert report["body_hover"] is None


def test_code_lens_runs_the_plot_command(report: dict[str, Any]) -> None:
    # the plot command and the panel's two helpers (docs/protocol.md: derivlens.functions, sweep)
    commands = sorted(report["commands"])
    assert commands == ["derivlens.functions", "derivlens.plot", "derivlens.sweep"]
    (lens,) = report["lenses"]
    assert lens["range"]["start"]["line"] == DEF_LINE
    assert lens["command"]["title"] == "Plot derivative"
    assert lens["command"]["command"] == "derivlens.plot"
    (argument,) = lens["command"]["arguments"]
    assert argument["uri"].endswith("/wiggle.py") and argument["position"]["line"] == DEF_LINE

    assert report["command_error"] is None
    result = report["command"]
    assert result["function"] == "wiggle" and result["method"] == "autograd"
    assert result["domain"] == [-1, 1] and result["order"] == 1
    assert result["image_format"] == "png"
    xs, f, d1 = result["x"], result["f"], result["derivatives"]["1"]
    assert len(xs) == len(f) == len(d1) == 401
    assert xs[0] == -1 and xs[-1] == 1
    assert max(abs(v - (x**3 - x)) for x, v in zip(xs, f, strict=True)) < 1e-12
    assert max(abs(v - (3 * x**2 - 1)) for x, v in zip(xs, d1, strict=True)) < 1e-12
