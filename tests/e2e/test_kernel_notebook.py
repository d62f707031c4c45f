"""`derivlens.plot(f)` and `%derivlens f` in a real IPython kernel: a notebook executed by
nbclient, its outputs checked as a frontend gets them (docs/protocol.md, "In a notebook
kernel")."""

from __future__ import annotations

import base64
import json
import math
import os
from pathlib import Path
from typing import Any

import nbformat
import pytest
from nbclient import NotebookClient

from derivlens import images

SERVER = Path(__file__).resolve().parents[2] / "server"

CELLS = [
    "import math, torch, derivlens\n\ndef f(x):\n    return torch.sin(2 * x) * x",
    "r = derivlens.plot(f, domain=(-1, 1), order=2, samples=11)\n"
    "print(json.dumps([r.x, r.derivatives[1], r.derivatives[2]]))\nr",
    "%load_ext derivlens",
    "%derivlens f --domain -2 2 --order 1 --samples 5",
    "print(json.dumps([_.x, _.derivatives[1]]))",
    "try:\n    derivlens.plot(f, order=9)\nexcept derivlens.DerivlensError as e:\n"
    "    print(e.kind.value, '|', e.message)",
]


@pytest.fixture(scope="module")
def executed(tmp_path_factory: pytest.TempPathFactory) -> list[Any]:
    home = tmp_path_factory.mktemp("kernel")
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell("import json")] + [
        nbformat.v4.new_code_cell(source) for source in CELLS
    ]
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(SERVER), os.environ.get("PYTHONPATH", "")]),
        "IPYTHONDIR": str(home / "ipython"),
        "MPLCONFIGDIR": str(home / "mpl"),
    }
    client = NotebookClient(
        notebook, timeout=300, startup_timeout=120, kernel_name="python3", resources={}
    )
    with client.setup_kernel(env=env, cwd=str(home)):
        for index, cell in enumerate(notebook.cells):
            client.execute_cell(cell, index)
    return [cell.outputs for cell in notebook.cells[1:]]


def stream(outputs: list[Any]) -> str:
    return "".join(o["text"] for o in outputs if o["output_type"] == "stream")


def shown(outputs: list[Any]) -> dict[str, Any]:
    (data,) = [o["data"] for o in outputs if o["output_type"] in ("execute_result", "display_data")]
    return dict(data)


def assert_a_plot(data: dict[str, Any]) -> None:
    png = base64.b64decode(data["image/png"])
    assert images.png_problem(png, 2000, 1200) is None  # the panel layout at 2×
    assert images.svg_problem(data["image/svg+xml"].encode(), 1000, 600) is None
    assert data["text/html"].startswith(f'<img src="data:image/png;base64,{data["image/png"]}"')


def test_plot_in_a_kernel_shows_the_image_and_the_numbers(executed: list[Any]) -> None:
    outputs = executed[1]
    assert [o["output_type"] for o in outputs] == ["stream", "execute_result"]
    xs, first, second = json.loads(stream(outputs))
    assert len(xs) == 11
    for x, d1, d2 in zip(xs, first, second, strict=True):
        assert abs(d1 - (math.sin(2 * x) + 2 * x * math.cos(2 * x))) < 1e-9
        assert abs(d2 - (4 * math.cos(2 * x) - 4 * x * math.sin(2 * x))) < 1e-9
    data = shown(outputs)
    assert data["text/plain"] == "<derivlens result: f(x) on [-1, 1], order 2, autograd>"
    assert_a_plot(data)


def test_the_line_magic_in_a_kernel(executed: list[Any]) -> None:
    assert executed[2] == []  # %load_ext derivlens, silently
    data = shown(executed[3])
    assert data["text/plain"] == "<derivlens result: f(x) on [-2, 2], order 1, autograd>"
    assert_a_plot(data)
    xs, first = json.loads(stream(executed[4]))
    assert xs == [-2.0, -1.0, 0.0, 1.0, 2.0]
    for x, d1 in zip(xs, first, strict=True):
        assert abs(d1 - (math.sin(2 * x) + 2 * x * math.cos(2 * x))) < 1e-9


def test_bad_options_raise_derivlens_error_in_the_kernel(executed: list[Any]) -> None:
    assert stream(executed[5]) == (
        "invalid-options | order must be 1 to 4, got 9 (1 to 4 for 1 variable; 1 for 2 variables)\n"
    )
