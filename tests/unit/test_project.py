"""Which folder an evaluation may read (`project.project_root`), as a user would lay it out.

A fake home and a fake temporary folder stand in for the real ones (HOME, TMPDIR), so
these run the same as root and as anyone else, and touch nothing of theirs.
"""

from __future__ import annotations

import os
import pwd
import tempfile
from pathlib import Path

import pytest

from derivlens import engine
from derivlens.project import acceptable, project_root


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "home" / "user"
    (home / ".ssh").mkdir(parents=True)
    (home / ".ssh" / "id_rsa").write_text("KEY")
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("TMPDIR", str(tmp))
    monkeypatch.setattr(tempfile, "tempdir", None)  # gettempdir() reads TMPDIR again
    return home


def touch(path: Path, text: str = "") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_a_file_in_a_workspace_folder_gets_that_folder(home: Path) -> None:
    workspace = home / "work"
    file = touch(workspace / "pkg" / "deep" / "f.py")
    assert project_root(str(file), [str(workspace)]) == str(workspace)


def test_the_innermost_workspace_folder_wins(home: Path) -> None:
    outer, inner = home / "work", home / "work" / "sub"
    file = touch(inner / "f.py")
    assert project_root(str(file), [str(outer), str(inner)]) == str(inner)


def test_a_file_outside_every_workspace_gets_its_nearest_marked_folder(home: Path) -> None:
    for marker in ("pyproject.toml", "setup.py", "setup.cfg", ".git"):
        project = home / f"proj-{marker}"
        touch(project / marker)
        file = touch(project / "src" / "f.py")
        assert project_root(str(file), [str(home / "elsewhere")]) == str(project), marker


def test_a_scratch_file_in_home_reads_only_itself(home: Path) -> None:
    file = touch(home / "scratch.py")
    assert project_root(str(file)) is None
    touch(home / ".git" / "HEAD")  # a dotfiles repository makes home a "project"
    assert project_root(str(file)) is None
    assert project_root(str(touch(home / "notes" / "f.py"))) is None  # nearest is home


def test_home_as_a_workspace_folder_does_not_open_home(home: Path) -> None:
    touch(home / "proj" / "pyproject.toml")
    assert project_root(str(touch(home / "scratch.py")), [str(home)]) is None
    inner = touch(home / "proj" / "f.py")
    assert project_root(str(inner), [str(home)]) == str(home / "proj")


def test_a_file_in_the_temp_root_reads_only_itself(home: Path) -> None:
    tmp = Path(tempfile.gettempdir())
    touch(tmp / "setup.py")
    assert project_root(str(touch(tmp / "f.py"))) is None
    assert project_root(str(touch(tmp / "f.py")), [str(tmp)]) is None
    project = tmp / "proj"
    touch(project / "pyproject.toml")
    assert project_root(str(touch(project / "f.py"))) == str(project)


def test_a_folder_holding_home_is_never_the_project(home: Path) -> None:
    touch(home.parent / ".git" / "HEAD")  # /home itself under version control
    assert project_root(str(touch(home / "x" / "f.py"))) is None
    assert project_root(str(touch(home / "x" / "f.py")), [str(home.parent)]) is None


def test_prepare_grants_the_project_or_the_file_alone(home: Path) -> None:
    scratch = touch(home / "scratch.py", "def f(x):\n    return x\n")
    job = engine.prepare_source(scratch.read_text(), str(scratch), name="f").job(
        timeout=1.0, memory_mb=100
    )
    assert job.readable == (str(scratch),)
    project = home / "proj"
    touch(project / "pyproject.toml")
    file = touch(project / "f.py", "def f(x):\n    return x\n")
    job = engine.prepare_source(file.read_text(), str(file), name="f").job(
        timeout=1.0, memory_mb=100
    )
    assert job.readable == (str(project), str(file))


# --- the home's dot-folders: never a project, whatever marks them --------------------------


def test_a_dotfiles_repository_does_not_open_its_dot_folder(home: Path) -> None:
    touch(home / ".config" / ".git" / "HEAD")  # ~/.config kept in git, as dotfiles are
    touch(home / ".config" / "gh" / "hosts.yml", "oauth_token: SECRET")
    script = touch(home / ".config" / "nvim" / "plot.py")
    assert project_root(str(script)) is None
    assert project_root(str(script), [str(home / ".config")]) is None  # nor as a workspace


@pytest.mark.parametrize(
    "project",
    [
        ".dotfiles",  # a marked dot-folder itself
        ".local/src/tool",  # a marked folder anywhere under one
        ".cache/pip/src/pkg",
        "work/.hidden/proj",  # a dot-folder deeper in home counts as well
    ],
)
def test_no_folder_under_a_home_dot_folder_is_a_project(home: Path, project: str) -> None:
    touch(home / project / "pyproject.toml")
    file = touch(home / project / "sub" / "f.py")
    assert project_root(str(file)) is None
    assert project_root(str(file), [str(home / project)]) is None


def test_ordinary_projects_in_home_still_open(home: Path) -> None:
    """Dots elsewhere in a path are fine: only a component under home starting with '.'."""
    for project in (home / "work" / "proj.v2", home / "a.b"):
        touch(project / ".git" / "HEAD")
        assert project_root(str(touch(project / ".github" / "f.py"))) == str(project)


def test_a_dot_folder_through_a_symbolic_link_is_still_one(home: Path) -> None:
    touch(home / ".secret" / "proj" / "setup.py")
    (home / "proj").symlink_to(home / ".secret" / "proj")
    assert project_root(str(touch(home / "proj" / "f.py"))) is None
    assert project_root(str(home / "proj" / "f.py"), [str(home / "proj")]) is None


def test_the_password_database_home_counts_when_home_points_elsewhere(home: Path) -> None:
    """$HOME moved (to the fake one here) leaves the account's own home just as closed."""
    account_home = Path(pwd.getpwuid(os.getuid()).pw_dir)
    assert not acceptable(str(account_home / ".config" / "proj"))
    assert not acceptable(str(account_home / ".ssh"))
