"""A file inside a package is plotted in place: its relative and star imports work, and
what its import already did is not done twice (docs/protocol.md, "Semantics").

Each case writes a small project (`pyproject.toml`, packages with `__init__.py`) and
plots one of its files through the real sandbox, as `derivlens plot FILE` does.
"""

from __future__ import annotations

import asyncio
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from derivlens import SANDBOX_APP, defaults, engine, judge, wire
from derivlens.errors import DerivlensError
from derivlens.options import Source, read_all
from derivlens.sandbox import Sandbox
from tests.helpers import array

EXACT = 1e-12


@pytest.fixture(scope="module")
def sandbox() -> Iterator[tuple[asyncio.AbstractEventLoop, Sandbox]]:
    loop = asyncio.new_event_loop()
    box = Sandbox(SANDBOX_APP)
    loop.run_until_complete(box.start())
    try:
        yield loop, box
    finally:
        loop.run_until_complete(box.close())
        loop.close()


def write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))


def plot(sandbox: Any, path: Path, name: str, text: str | None = None) -> dict[str, Any]:
    """`derivlens plot PATH --function NAME --json` (of `text`, the editor's, if given)."""
    loop, box = sandbox
    try:
        prepared = engine.prepare_source(
            path.read_text() if text is None else text,
            str(path),
            name=name,
            requested=read_all({"domain": (-2, 2), "samples": 41}, Source.CLI),
            source=Source.CLI,
        )
        outcome = loop.run_until_complete(
            box.run(prepared.job(timeout=60, memory_mb=defaults.MEMORY_MB))
        )
        return wire.result_json(judge.finish(prepared, outcome, 0.0))
    except DerivlensError as error:
        return wire.error_json(error)


def values(result: dict[str, Any]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    assert "error" not in result, result
    return array(result["x"]), array(result["f"]), array(result["derivatives"]["1"])


def softplus(x: np.ndarray) -> np.ndarray:
    return np.log1p(np.exp(x))


SRC_LAYOUT = {
    "pyproject.toml": "[project]\nname = 'mylib'\n",
    "src/mylib/__init__.py": "",
    "src/mylib/utils.py": """\
        import torch

        def softplus(x):
            return torch.log1p(torch.exp(x))
        """,
    "src/mylib/core/__init__.py": "",
    "src/mylib/core/consts.py": "SCALE = 2.5\nSHIFT = 0.25\n",
    "src/mylib/core/acts.py": """\
        from ..utils import softplus
        from .consts import *
        from . import consts

        print("a module-level print must not run")

        def scaled(x):
            return SCALE * softplus(x) + consts.SHIFT

        def named(x):
            return x * len(__name__) + len(__package__)
        """,
}


def test_relative_and_star_imports_of_a_file_in_a_src_layout_package(sandbox, tmp_path):
    write(tmp_path, SRC_LAYOUT)
    acts = tmp_path / "src/mylib/core/acts.py"
    x, f, df = values(plot(sandbox, acts, "scaled"))
    np.testing.assert_allclose(f, 2.5 * softplus(x) + 0.25, rtol=EXACT, atol=EXACT)
    np.testing.assert_allclose(df, 2.5 / (1 + np.exp(-x)), rtol=EXACT, atol=EXACT)
    # __name__ "mylib.core.acts" (15 characters), __package__ "mylib.core" (10)
    x, f, df = values(plot(sandbox, acts, "named"))
    np.testing.assert_allclose(f, 15 * x + 10, rtol=EXACT, atol=EXACT)


def test_a_package_s_own_init_is_the_package(sandbox, tmp_path):
    write(tmp_path, {
        "pyproject.toml": "",
        "ease/__init__.py": """\
            from ._consts import *
            from ._shape import square

            def bounce(t):
                return K * square(t)
            """,
        "ease/_consts.py": "K = 7.5625\n__all__ = ['K']\n",
        "ease/_shape.py": "from . import _consts\n\ndef square(t):\n    return t * t\n",
    })  # fmt: skip
    x, f, df = values(plot(sandbox, tmp_path / "ease/__init__.py", "bounce"))
    np.testing.assert_allclose(f, 7.5625 * x * x, rtol=EXACT, atol=EXACT)
    np.testing.assert_allclose(df, 2 * 7.5625 * x, rtol=EXACT, atol=EXACT)


#: A package whose `__init__` imports the module plotted: its import runs it once.
REGISTERING = {
    "pyproject.toml": "",
    "acts/__init__.py": "from .table import averaged, softsign\nfrom .docs import documented\n",
    "acts/registry.py": """\
        NAMES = {}
        ACTS = []

        def register(name):
            def add(function):
                if name in NAMES:
                    raise KeyError(f"{name} is already registered")
                NAMES[name] = function
                return function
            return add
        """,
    "acts/table.py": """\
        from .registry import ACTS, register

        @register("softsign")
        def softsign(x):
            return x / (1 + abs(x))

        ACTS += [softsign]

        def averaged(x):
            return sum(act(x) for act in ACTS) / len(ACTS) + len(ACTS)
        """,
    "acts/docs.py": """\
        import torch
        from torch._C import _add_docstr

        from . import registry

        _pad = _add_docstr(torch._C._nn._pad_enum, "pads a tensor")

        def documented(x):
            return torch.tanh(x) if _pad.__doc__ and registry.ACTS else x
        """,
}


@pytest.mark.parametrize(
    ("module", "name", "f", "df"),
    [
        ("table", "softsign", lambda x: x / (1 + abs(x)), lambda x: 1 / (1 + abs(x)) ** 2),
        # ACTS holds softsign once, as after any import: re-running `ACTS += [...]` would
        # make it twice (the same average) and add 2, not 1
        ("table", "averaged", lambda x: x / (1 + abs(x)) + 1, lambda x: 1 / (1 + abs(x)) ** 2),
        ("docs", "documented", np.tanh, lambda x: 1 / np.cosh(x) ** 2),
    ],
)  # fmt: skip
def test_what_the_package_s_import_did_is_not_done_again(sandbox, tmp_path, module, name, f, df):
    write(tmp_path, REGISTERING)
    x, fx, dfx = values(plot(sandbox, tmp_path / f"acts/{module}.py", name))
    np.testing.assert_allclose(fx, f(x), rtol=EXACT, atol=EXACT)
    np.testing.assert_allclose(dfx, df(x), rtol=EXACT, atol=EXACT)


def test_the_editor_s_text_runs_when_it_differs_from_the_imported_file(sandbox, tmp_path):
    write(tmp_path, {
        "pyproject.toml": "",
        "shapes/__init__.py": "from .cubes import cube\n",
        "shapes/cubes.py": "from ._k import K\n\ndef cube(x):\n    return K * x**3\n",
        "shapes/_k.py": "K = 2.0\n",
    })  # fmt: skip
    edited = "from ._k import K\n\ndef cube(x):\n    return K * x**3 + 1\n"
    x, f, _ = values(plot(sandbox, tmp_path / "shapes/cubes.py", "cube", text=edited))
    np.testing.assert_allclose(f, 2 * x**3 + 1, rtol=EXACT, atol=EXACT)


def test_an_installed_module_already_imported_keeps_its_own_definitions(sandbox):
    import torch.nn.functional

    path = Path(torch.nn.functional.__file__)
    x, f, df = values(plot(sandbox, path, "softplus"))
    np.testing.assert_allclose(f, softplus(x), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(df, 1 / (1 + np.exp(-x)), rtol=1e-12, atol=1e-12)


def test_a_file_in_a_folder_without_init_is_run_as_before(sandbox, tmp_path):
    write(tmp_path, {
        "pyproject.toml": "",
        "scripts/helpers.py": "def twice(x):\n    return 2 * x\n",
        "scripts/run.py": "from helpers import twice\n\ndef f(x):\n    return twice(x) ** 2\n",
    })  # fmt: skip
    x, f, _ = values(plot(sandbox, tmp_path / "scripts/run.py", "f"))
    np.testing.assert_allclose(f, 4 * x * x, rtol=EXACT, atol=EXACT)
