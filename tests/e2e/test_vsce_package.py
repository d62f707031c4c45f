"""A plain `vsce package` works on a clean copy of client-vscode, as does `npm run package`,
and the .vsix ships every image its README shows (no network needed to see them).

Needs Node and `npm ci` done in client-vscode/ (as tests/e2e/test_client_unit.py). The copy
holds what a clone has: client-vscode's sources, and the repository's server/ and
constraints.txt that `vscode:prepublish` bundles.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CLIENT = ROOT / "client-vscode"
BUILT = ("node_modules", "dist", "bundled", "out-test", "*.vsix", "__pycache__")
IMAGE = re.compile(r"!\[[^\]]*\]\(([^)\s]+)\)")
#: Where vsce points a relative image once it knows the repository (its `raw/HEAD`).
RAW = re.compile(r"^https://github\.com/[^/]+/[^/]+/raw/HEAD/")


@pytest.fixture
def clean_copy(tmp_path: Path) -> Path:
    npm = shutil.which("npm")
    if npm is None:
        pytest.skip("npm is not installed")
    if not (CLIENT / "node_modules" / "@vscode" / "vsce").exists():
        subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=CLIENT, check=True
        )
    client = tmp_path / "repo" / "client-vscode"
    shutil.copytree(CLIENT, client, ignore=shutil.ignore_patterns(*BUILT))
    ignored = shutil.ignore_patterns(*BUILT)
    shutil.copytree(ROOT / "server", tmp_path / "repo" / "server", ignore=ignored)
    shutil.copy(ROOT / "constraints.txt", tmp_path / "repo" / "constraints.txt")
    (client / "node_modules").symlink_to(CLIENT / "node_modules")
    return client


@pytest.mark.parametrize(
    "command",
    [["node_modules/.bin/vsce", "package", "-o", "derivlens.vsix"], ["npm", "run", "package"]],
    ids=["vsce-package", "npm-run-package"],
)
def test_the_package_ships_the_readme_and_its_images(clean_copy: Path, command: list[str]) -> None:
    env = {**os.environ, "PYTHON": sys.executable}
    env.pop("DERIVLENS_README_IMAGES_URL", None)
    proc = subprocess.run(
        command,
        cwd=clean_copy,
        env=env,
        stdin=subprocess.DEVNULL,  # vsce asks instead of failing when stdin is a terminal
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-4000:]
    with zipfile.ZipFile(clean_copy / "derivlens.vsix") as vsix:
        names = set(vsix.namelist())
        readme = vsix.read("extension/readme.md").decode()
        shipped = {name: vsix.read(name) for name in names if name.endswith(".png")}
    wanted = IMAGE.findall((CLIENT / "README.md").read_text())
    assert len(wanted) >= 8 and all(link.startswith("media/") for link in wanted)
    for link in wanted:
        assert shipped[f"extension/{link}"] == (CLIENT / link).read_bytes()
    packaged = IMAGE.findall(readme)
    assert len(packaged) == len(wanted)
    for link, original in zip(packaged, wanted, strict=True):
        assert RAW.sub("", link) == original  # relative, or vsce's absolute form of it
    assert "extension/package.json" in names and "extension/dist/extension.js" in names
