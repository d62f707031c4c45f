"""Names a package imports on first use (derivlens.lazy), as `derivlens` and
`derivlens.sandbox` offer theirs."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from derivlens import lazy


def test_a_name_comes_from_its_home_and_is_kept_in_the_package() -> None:
    namespace = {"__name__": "pkg"}
    assert lazy.resolve(namespace, {"dumps": "json"}, "dumps") is json.dumps
    assert namespace["dumps"] is json.dumps


def test_an_unknown_name_is_an_attribute_error_naming_the_package() -> None:
    with pytest.raises(AttributeError) as raised:
        lazy.resolve({"__name__": "pkg"}, {"dumps": "json"}, "loads")
    assert str(raised.value) == "module 'pkg' has no attribute 'loads'"


PACKAGE = {
    "__init__.py": """
        from derivlens import lazy
        _HOMES = {"tool": "shadowed.tool", "Other": "shadowed.other"}
        def __getattr__(name):
            return lazy.resolve(globals(), _HOMES, name)
    """,
    "tool.py": "def tool():\n    return 'the function'\n",
    "other.py": "import shadowed.tool\nclass Other:\n    pass\n",
}


@pytest.mark.parametrize("first", ["Other", "tool"])
def test_a_function_named_as_its_module_wins_whatever_is_asked_first(
    first: str, tmp_path: Path
) -> None:
    """`other` imports the submodule `tool`, which sets `shadowed.tool` to the module."""
    for name, text in PACKAGE.items():
        (tmp_path / "shadowed").mkdir(exist_ok=True)
        (tmp_path / "shadowed" / name).write_text(textwrap.dedent(text))
    code = f"import shadowed; shadowed.{first}; print(shadowed.tool())"
    server = str(Path(lazy.__file__).parents[1])
    proc = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        env={"PYTHONPATH": f"{tmp_path}:{server}"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert (proc.returncode, proc.stdout) == (0, "the function\n"), proc.stderr


@pytest.mark.parametrize("first", ["Sandbox", "LayerStatus", "Job", "doctor"])
def test_the_sandbox_s_doctor_is_the_function_whatever_is_asked_first(first: str) -> None:
    code = (
        "import inspect, derivlens.sandbox as s\n"
        f"s.{first}\n"
        "print(inspect.isfunction(s.doctor), s.doctor.__module__)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert proc.stdout == "True derivlens.sandbox.doctor\n"
