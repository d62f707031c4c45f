"""The contract is declared once and the code keeps to its shape.

- the client's TypeScript types are generated from `model.py` and up to date;
- the sandbox is generic: it imports nothing of the maths, the plots or torch;
- every document the code cites is in the repository;
- small modules with one job: no function over 80 lines, no module over 500.
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "server" / "derivlens"
SOURCES = sorted(PACKAGE.rglob("*.py"))


def test_typescript_types_are_generated_from_the_python_contract() -> None:
    check = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "protocol_ts.py"), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert check.returncode == 0, check.stderr


def test_typescript_has_the_fields_of_every_result_type() -> None:
    import attrs

    from derivlens import model

    text = (ROOT / "client-vscode" / "src" / "logic" / "protocol.ts").read_text()

    def fields_of(name: str) -> list[str]:
        """An interface's fields, those of the interface it extends first."""
        body = re.search(rf"export interface {name}(?: extends (\w+))? \{{(.*?)\n\}}", text, re.S)
        assert body, name
        inherited = fields_of(body.group(1)) if body.group(1) else []
        return inherited + re.findall(r"^  (\w+)\??:", body.group(2), re.M)

    for name, cls in (
        ("CurvesResult", model.CurvesResult),
        ("VectorCurvesResult", model.VectorCurvesResult),
        ("SurfaceResult", model.SurfaceResult),
        ("PlotImage", model.Image),
        ("AxesBox", model.AxesBox),
    ):
        assert fields_of(name) == [f.name for f in attrs.fields(cls)], name


def imported_modules(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


@pytest.mark.parametrize("path", sorted((PACKAGE / "sandbox").rglob("*.py")), ids=lambda p: p.name)
def test_the_sandbox_knows_nothing_of_the_application(path: Path) -> None:
    forbidden = ("derivlens.runner", "derivlens.calculus", "derivlens.plotting", "torch")
    found = {
        name
        for name in imported_modules(path)
        if any(name == f or name.startswith(f + ".") for f in forbidden)
    }
    assert not found, f"{path.name} imports {found}"


def test_every_cited_document_exists() -> None:
    texts = {p: p.read_text() for p in [*SOURCES, *(ROOT / "tests").rglob("*.py")]}
    texts.update({p: p.read_text() for p in (ROOT / "client-vscode" / "src").rglob("*.ts")})
    for path, text in texts.items():
        assert "SPEC" + " §" not in text, f"{path} cites a document outside the repository"
        for cited in re.findall(r"\bdocs/[\w./-]+\.md", text):
            assert (ROOT / cited).is_file(), f"{path} cites {cited}, which does not exist"


def test_no_function_over_80_lines_and_no_module_over_500() -> None:
    long = []
    for path in SOURCES:
        text = path.read_text()
        if len(text.splitlines()) > 500:
            long.append(f"{path.relative_to(ROOT)}: {len(text.splitlines())} lines")
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                size = (node.end_lineno or node.lineno) - node.lineno + 1
                if size > 80:
                    long.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name}: {size}")
    assert not long, long
