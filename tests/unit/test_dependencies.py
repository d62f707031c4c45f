"""What the server imports at run time is what pyproject.toml declares, and pinned."""

from __future__ import annotations

import ast
import re
import sys
from importlib.metadata import PackageNotFoundError, packages_distributions, requires
from pathlib import Path

import tomllib

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "server" / "derivlens"


def normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def requirement_name(requirement: str) -> str:
    match = re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*", requirement)
    assert match is not None, requirement
    return normalized(match[0])


def imported_top_level_names() -> set[str]:
    """Every module the package's code imports (at any depth in a file), by top name."""
    names: set[str] = set()
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                names.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module.split(".")[0])
    return names - set(sys.stdlib_module_names) - {"derivlens"}


def test_every_third_party_import_is_a_declared_dependency() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    declared = {requirement_name(r) for r in project["dependencies"]}
    extras = project["optional-dependencies"]
    # An optional feature's imports (ipywidgets for the kernel's sliders) are its extra's.
    declared |= {requirement_name(r) for name in extras if name != "dev" for r in extras[name]}
    distributions = packages_distributions()
    undeclared = {}
    for name in imported_top_level_names():
        owners = {normalized(d) for d in distributions.get(name, [name])}
        if not owners & declared:
            undeclared[name] = sorted(owners)
    assert undeclared == {}
    # PIL (the PNG encoder) is one of them: a run-time dependency, not a test tool.
    assert "pillow" in declared
    assert "pillow" not in {requirement_name(r) for r in project["optional-dependencies"]["dev"]}


def test_every_dependency_is_pinned_and_nothing_undeclared_is() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = {requirement_name(r) for r in project["dependencies"]}
    wanted |= {requirement_name(r) for r in project["optional-dependencies"]["dev"]}
    lines = (ROOT / "constraints.txt").read_text().splitlines()
    pinned = {requirement_name(line) for line in lines if line and not line.startswith("#")}
    assert wanted <= pinned
    # The rest are what the declared ones need, pinned so that a run is reproducible
    # (the server's are bundled by the VS Code extension; the corpus's pull in a few).
    assert pinned - wanted <= needed_by(wanted)


def needed_by(names: set[str]) -> set[str]:
    """Every distribution the installed `names` require, transitively (any extra, any
    platform: a pin for what might be needed is not an undeclared dependency)."""
    seen: set[str] = set()
    todo = list(names)
    while todo:
        name = todo.pop()
        try:
            wants = requires(name) or []
        except PackageNotFoundError:
            continue
        for requirement in wants:
            dep = requirement_name(requirement)
            if dep not in seen:
                seen.add(dep)
                todo.append(dep)
    return seen
