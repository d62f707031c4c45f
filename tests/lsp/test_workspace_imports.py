"""No module of the workspace is ever imported by the language server or the CLI.

The project folder is planted with a module for every name of Python's standard library
and of the server's dependencies. Each plant notes that it ran (a file in a folder outside
the project) and then hands over to the real module, as an attacker's would, so nothing
else looks wrong. Only the sandboxed child may import the project's modules: the plants
cannot note anything there (no writes), which is the point of the sandbox.

`python -m X` itself imports a few modules (runpy's `contextlib`, `importlib`) before any
code of X runs; that is Python's own behaviour for every `-m` module, measured here with
`python -m __hello__` and allowed. Everything derivlens imports after that is checked.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient

from tests.lsp.test_lsp import at, hover, open_document, plot
from tests.lsp_session import start

#: Imported by the server, the CLI, the sandbox's parent side or their dependencies.
DEPENDENCIES = [
    "attr",
    "attrs",
    "cattrs",
    "pygls",
    "lsprotocol",
    "typing_extensions",
    "exceptiongroup",
    "numpy",
    "PIL",
    "torch",
    "matplotlib",
    "landlock",
    "seccomp",
    "pyseccomp",
]

PLANT = """\
import os as _os, sys as _sys
try:  # only an unsandboxed process can note it (a sandboxed child cannot write)
    _os.close(_os.open({hits!r} + "/" + __name__, _os.O_CREAT | _os.O_WRONLY, 0o666))
except OSError:
    pass
_here = _os.path.dirname(_os.path.abspath(__file__))
_saved = list(_sys.path)
_sys.path[:] = [p for p in _sys.path if _os.path.abspath(p or ".") != _here]
_sys.modules.pop(__name__)
try:
    import importlib as _importlib
    _real = _importlib.import_module(__name__)
finally:
    _sys.path[:] = _saved
_sys.modules[__name__] = _real
"""

USER_FILE = "def f(x):\n    return x**3 - 2*x\n"


#: Named now (the server's command needs it), filled when the tests run.
BASE = Path(tempfile.gettempdir()) / f"derivlens-planted-{os.getpid()}"
PROJECT, HITS = BASE / "project", BASE / "hits"


@pytest.fixture(scope="module")
def planted() -> Iterator[tuple[Path, Path]]:
    """(the project folder full of plants, the folder where plants note that they ran)."""
    project, hits = PROJECT, HITS
    project.mkdir(parents=True)
    hits.mkdir()
    hits.chmod(0o777)
    names = {n for n in sys.stdlib_module_names if not n.startswith("_")} - {"sys", "builtins"}
    for name in sorted(names | set(DEPENDENCIES)):
        (project / f"{name}.py").write_text(PLANT.format(hits=str(hits)))
    (project / "func.py").write_text(USER_FILE)
    BASE.chmod(0o755)
    yield project, hits
    shutil.rmtree(BASE, ignore_errors=True)


def ran(hits: Path) -> set[str]:
    found = {p.name for p in hits.iterdir()}
    for p in hits.iterdir():
        p.unlink()
    return found


def python_m_baseline(project: Path, hits: Path) -> set[str]:
    """What `python -m` imports from the working directory before any module's code runs."""
    ran(hits)
    subprocess.run(
        [sys.executable, "-m", "__hello__"], cwd=project, check=True, capture_output=True
    )
    return ran(hits)


def env_without_safe_path() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("PYTHONSAFEPATH", None)
    return env


def plot_in_project(command: list[str], project: Path, env: dict[str, str]) -> None:
    """Run a `derivlens plot` of `f` in `project`: it succeeds, with `check_plot`'s curves."""
    proc = subprocess.run(
        command, cwd=project, env=env, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    check_plot(json.loads(proc.stdout))


def check_plot(result: dict[str, Any]) -> None:
    """The plot of the planted project's `f`: f = x³ − 2x and f′ = 3x² − 2."""
    assert result["function"] == "f", result
    xs, fs, ds = result["x"], result["f"], result["derivatives"]["1"]
    assert max(abs(v - (x**3 - 2 * x)) for x, v in zip(xs, fs, strict=True)) < 1e-12
    assert max(abs(d - (3 * x**2 - 2)) for x, d in zip(xs, ds, strict=True)) < 1e-9


def test_python_m_plot_from_the_project_imports_nothing_of_it(planted: tuple[Path, Path]):
    project, hits = planted
    baseline = python_m_baseline(project, hits)
    assert baseline <= {"contextlib", "importlib"}, baseline
    command = [sys.executable, "-m", "derivlens", "plot", "func.py", "--function", "f", "--json"]
    plot_in_project(command, project, env_without_safe_path())
    assert ran(hits) <= baseline


def test_console_script_from_the_project_imports_nothing_of_it(planted: tuple[Path, Path]):
    """Even with an empty PYTHONPATH entry (`PYTHONPATH=:/x`, which means the working folder)."""
    project, hits = planted
    script = shutil.which("derivlens", path=str(Path(sys.executable).parent))
    assert script, "the derivlens console script is not installed beside this interpreter"
    env = {**env_without_safe_path(), "PYTHONPATH": ":" + os.environ.get("PYTHONPATH", "")}
    # What the interpreter's start-up and pip's launcher (`import re, sys`) import with that
    # PYTHONPATH before any code of derivlens runs is not ours to decide.
    ran(hits)
    subprocess.run([sys.executable, "-c", "import re, sys"], cwd=project, env=env, check=True)
    startup = ran(hits)
    assert startup <= {"encodings", "codecs", "io", "abc", "site", "os", "stat", "re"}, startup
    plot_in_project(
        [script, "plot", str(project / "func.py"), "--function", "f", "--json"], project, env
    )
    assert ran(hits) <= startup


# --- the language server, started in the project folder without PYTHONSAFEPATH ------------
# (as the VS Code client started it before; the client now also sets PYTHONSAFEPATH=1 and
# runs the server in the extension's own folder: client-vscode/test/interpreter.test.ts)

SERVER = ClientServerConfig(
    server_command=["env", "-C", str(PROJECT), sys.executable, "-m", "derivlens", "serve"],
    server_env=env_without_safe_path(),
)


@pytest_lsp.fixture(config=SERVER)
async def client(lsp_client: LanguageClient, planted: tuple[Path, Path]) -> AsyncIterator[None]:
    await start(lsp_client, PROJECT, "project")
    yield  # the test shuts the session down itself, before it reads what ran


@pytest.mark.asyncio
async def test_language_server_in_the_project_imports_nothing_of_it(
    client: LanguageClient, planted: tuple[Path, Path]
):
    project, hits = planted
    uri = open_document(client, project / "func.py", USER_FILE, save=False)
    answer = await hover(client, uri, 0)
    assert answer is not None and "data:image/png;base64," in answer.contents.value
    check_plot(await plot(client, at(uri, 0)))
    lenses = await client.text_document_code_lens_async(
        types.CodeLensParams(text_document=types.TextDocumentIdentifier(uri=uri))
    )
    assert [lens.command.title for lens in lenses if lens.command] == ["Plot derivative"]
    await client.shutdown_session()
    # the server's start (python -m) may import what runpy imports; nothing after it
    assert ran(hits) <= python_m_baseline(project, hits)
