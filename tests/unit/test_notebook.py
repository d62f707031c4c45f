"""Notebook cells as one module, in-process: IPython syntax, offsets, cells that break."""

from __future__ import annotations

import pytest

from derivlens import engine
from derivlens.locate import parse_module
from derivlens.notebook import blank_ipython, combine


@pytest.mark.parametrize(
    ("line", "blanked"),
    [
        ("%matplotlib inline", ""),
        ("!pip install torch", ""),
        ("files = !ls", ""),
        ("result = %timeit -o f(1)", ""),
        ("np.sum?", ""),
        ("np.sum??", ""),
        ("?np.sum", ""),
        ("    %time x = 1", "    pass"),
        ("x = 1", "x = 1"),
        ("    != b)", "    != b)"),  # a continuation, not a shell escape
        ("    % 2)", "    % 2)"),  # a continuation, not a magic
    ],
)
def test_ipython_lines_are_blanked_and_python_is_kept(line, blanked):
    assert blank_ipython(line) == blanked


def test_cell_magics_keep_a_python_body_and_drop_anything_else():
    assert blank_ipython("%%time\nx = f(2)\n") == "\nx = f(2)\n"
    assert blank_ipython("%%bash\nls -l\nrm -rf /\n") == "\n\n\n"
    assert blank_ipython("\n%%html\n<b>x</b>") == "\n\n"


CELLS = [
    (0, "%matplotlib inline\nimport torch"),
    (1, "# a markdown cell sits at index 1 and is not passed"),
    (2, "A = 2.0\nprint('training...')\n"),
    (3, "def f(x):\n    return A * torch.sin(x)"),
    (4, "def g(x):\n    return x"),
]


def test_the_cells_up_to_the_target_make_one_module_with_lines_mapped_back():
    cells = combine(CELLS, target=3)
    assert cells.indices == (0, 1, 2, 3) and cells.index == 3
    module = parse_module(cells.text)
    f = module.by_name("f")
    assert cells.to_cell_line(f.def_line) == (3, 1)
    assert cells.to_text_line(1) == f.def_line
    assert [fn.name for fn in module.functions] == ["f"]  # nothing of cell 4
    assert cells.in_target(f.def_line)
    code = engine.prepare(module, f, "/nb/nb.ipynb", cells=cells).code
    assert "print" not in code and "A = 2.0" in code and "import torch" in code


def test_a_cell_above_that_does_not_parse_is_left_out():
    broken = [(0, "import torch"), (1, "def half(x:\n"), (2, "def f(x):\n    return x")]
    cells = combine(broken, target=2)
    module = parse_module(cells.text)
    assert [fn.name for fn in module.functions] == ["f"]
    assert cells.to_cell_line(module.by_name("f").def_line) == (2, 1)
