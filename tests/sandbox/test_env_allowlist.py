"""The worker's environment is an exact allow-list: names, never prefixes.

A token kept as `LC_SECRET_TOKEN` (or any name that merely starts like an allowed one)
stays behind; the locale settings a user sets (`LANG`, `LC_ALL`, each category by name)
still reach user code.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import uuid
from pathlib import Path

import pytest

from derivlens.sandbox.env import clean_environment

SECRET = "tok-SECRET-" + uuid.uuid4().hex
#: Every locale variable glibc reads, by name.
LOCALE = (
    "LANG", "LANGUAGE", "LC_ALL", "LC_CTYPE", "LC_NUMERIC", "LC_TIME", "LC_COLLATE",
    "LC_MONETARY", "LC_MESSAGES", "LC_PAPER", "LC_NAME", "LC_ADDRESS", "LC_TELEPHONE",
    "LC_MEASUREMENT", "LC_IDENTIFICATION",
)  # fmt: skip
#: Names that only look like allowed ones.
LOOKALIKES = (
    "LC_SECRET_TOKEN", "LC_", "LC_ALLX", "LC_ALL_TOKEN", "lc_all", "LANG_SECRET",
    "LANGUAGE_KEY", "PATHEXT_TOKEN", "TZ_KEY", "LC_CTYPE ",
)  # fmt: skip


def test_locale_variables_pass_by_name_and_lookalikes_do_not() -> None:
    source = {name: "C" for name in LOCALE} | {name: SECRET for name in LOOKALIKES}
    env = clean_environment("/tmp/h", "/tmp/m", {**source, "PATH": "/bin", "TZ": "UTC"})
    assert {name: env.get(name) for name in LOCALE} == {name: "C" for name in LOCALE}
    assert not set(LOOKALIKES) & set(env), sorted(set(LOOKALIKES) & set(env))
    assert SECRET not in json.dumps(env)
    assert (env["PATH"], env["TZ"]) == ("/bin", "UTC")


def test_user_code_run_by_the_cli_sees_no_lc_secret(tmp_path: Path) -> None:
    """Through the CLI, as a user runs it: the function reports what it can see."""
    source = tmp_path / "peek.py"
    source.write_text(
        textwrap.dedent(
            """\
            import os

            def f(x):
                seen = sorted(k + "=" + v for k, v in os.environ.items() if k.startswith("LC_"))
                try:
                    with open("/proc/self/environ", "rb") as environ:
                        raw = environ.read().decode(errors="replace")
                except OSError:
                    raw = ""
                raise RuntimeError(" ".join(seen) + (" SECRET-IN-PROC" if "SECRET" in raw else ""))
            """
        )
    )
    env = {**os.environ, "LC_SECRET_TOKEN": SECRET, "LC_ALL": "C.UTF-8", "LC_TIME": "C"}
    completed = subprocess.run(
        [sys.executable, "-m", "derivlens", "plot", str(source), "--function", "f", "--json"],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert completed.returncode == 1, completed.stderr
    error = json.loads(completed.stdout)["error"]
    assert error["kind"] == "user-error", error
    assert "RuntimeError" in error["message"] and "LC_ALL=C.UTF-8" in error["message"], error
    assert "LC_TIME=C" in error["message"], error
    assert "LC_SECRET_TOKEN" not in error["message"] and SECRET not in error["message"], error
    assert "SECRET-IN-PROC" not in error["message"], error


@pytest.mark.parametrize("name", ["LC_SECRET_TOKEN", "LC_ALLX"])
def test_a_lookalike_alone_is_dropped(name: str) -> None:
    assert name not in clean_environment("/tmp/h", "/tmp/m", {name: SECRET})
