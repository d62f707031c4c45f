"""Only the code a function needs runs: no prints, no file writes, no `__main__` blocks."""

from __future__ import annotations

import textwrap

from derivlens.locate import parse_module
from derivlens.slicing import sliced_source
from tests.helpers import array, evaluate_source

SIDE_EFFECTS = """\
import os
import torch

WITNESS = {witness!r}
SCALE = 3.0
UNUSED = 99

print("module-level print")
with open(WITNESS, "w") as handle:
    handle.write("a top-level file write ran")


def f(x):
    UNUSED = 1  # a local: does not drag in the module's UNUSED
    return torch.sin(x) * SCALE + UNUSED


for i in range(3):
    open(WITNESS + str(i), "w").close()

if __name__ == "__main__":
    open(WITNESS + ".main", "w").close()
"""


def test_side_effects_at_module_level_never_run(tmp_path, capfd):
    witness = tmp_path / "witness.txt"
    source = SIDE_EFFECTS.format(witness=str(witness))
    result = evaluate_source(tmp_path, source, "f")
    x = array(result["x"])
    assert abs(array(result["f"]) - (3 * __import__("numpy").sin(x) + 1)).max() < 1e-12
    assert not witness.exists()
    assert not (tmp_path / "witness.txt.main").exists()
    assert not any(tmp_path.glob("witness.txt*"))
    assert "module-level print" not in capfd.readouterr().out


def test_slice_keeps_line_numbers_and_only_needed_statements():
    source = SIDE_EFFECTS.format(witness="/nonexistent")
    module = parse_module(source)
    sliced = sliced_source(module, module.by_name("f"))[0].splitlines()
    original = source.splitlines()
    kept = {i + 1 for i, text in enumerate(sliced) if text.strip()}
    for line in kept:
        assert sliced[line - 1] == original[line - 1]
    kept_text = "\n".join(sliced)
    assert "import torch" in kept_text and "SCALE = 3.0" in kept_text
    assert "import os" not in kept_text  # not used by f
    assert "UNUSED = 99" not in kept_text
    assert "print(" not in kept_text and "open(" not in kept_text and "__main__" not in kept_text


def test_transitive_helpers_constants_and_guarded_imports():
    source = textwrap.dedent(
        """\
        try:
            import numpy as np
        except ImportError:
            np = None
        import json
        BASE = 2
        RATE = BASE * 3
        RATE += 1

        def helper(t):
            return t * RATE

        def f(x, k=BASE):
            return helper(x) + k

        def unrelated():
            return json.dumps({})
        """
    )
    module = parse_module(source)
    kept, _ = sliced_source(module, module.by_name("f"))
    assert "RATE += 1" in kept and "BASE = 2" in kept and "def helper" in kept
    assert "import json" not in kept and "def unrelated" not in kept
    assert "import numpy as np" not in kept  # helper never uses np


def test_class_body_statements_other_than_definitions_are_dropped():
    source = textwrap.dedent(
        """\
        class Tools:
            LIMIT = 4
            print("class body ran")
            for i in range(3):
                LIMIT += 0

            @staticmethod
            def clip(x):
                return x * Tools.LIMIT
        """
    )
    module = parse_module(source)
    kept, _ = sliced_source(module, module.by_name("Tools.clip"))
    assert "print(" not in kept and "for i" not in kept
    assert "LIMIT = 4" in kept
    compile(kept, "t.py", "exec")  # still valid Python


# --- star imports ---------------------------------------------------------------------------

STARRED = """\
from math import *
from .consts import *
import torch

EPS = 1e-3


def shifted(x):
    return x + EPS


def with_pi(x):
    return x * PI


def with_abs(x):
    return abs(x)


pow = torch.pow


def late_pow(x):
    return pow(x, 3)
"""


def kept_star_imports(name: str) -> list[str]:
    module = parse_module(STARRED)
    code, _ = sliced_source(module, module.by_name(name))
    return [line for line in code.splitlines() if line.endswith("import *")]


def test_a_star_import_is_kept_when_a_needed_name_may_come_from_it():
    # PI is bound by nothing in the file: either star import may bind it
    assert kept_star_imports("with_pi") == ["from math import *", "from .consts import *"]
    # a builtin's name too: a star import may replace it (`from math import *` does `pow`)
    assert kept_star_imports("with_abs") == ["from math import *", "from .consts import *"]


def test_a_star_import_is_dropped_when_every_needed_name_is_bound_after_it():
    assert kept_star_imports("shifted") == []  # EPS is bound after both
    assert kept_star_imports("late_pow") == []  # `pow = torch.pow` comes after both


def test_a_star_import_supplies_the_constant_a_function_uses(tmp_path):
    source = "from math import *\n\ndef f(x):\n    return x * pi + e\n"
    result = evaluate_source(tmp_path, source, "f", domain=(0, 1), samples=11)
    x = array(result["x"])
    assert abs(array(result["f"]) - (x * 3.141592653589793 + 2.718281828459045)).max() < 1e-12
