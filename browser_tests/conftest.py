"""Fixtures of the real-browser test: one JupyterLab server and one Chromium for the whole session.

The server runs from the course environment on a free loopback port with a random token, reads
its settings from a throw-away folder (no autosave, every cell rendered, no news toast) and is
stopped, kernels and all, at the end. The browser is the system's Chromium (Playwright's own
browser download is never used).
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
OUT = ROOT / "build" / "browser"
CHROMIUM = os.environ.get("WM_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    "--disable-dev-shm-usage",
]
INSTALL_HINT = (
    "The browser test drives the system's Chromium, and {path} is missing.\n"
    "Install it with:  sudo apt-get install chromium   (Debian/Ubuntu: sudo apt-get update first)\n"
    "or point WM_CHROMIUM at a Chromium/Chrome binary:  WM_CHROMIUM=/path/to/chromium make test-browser"
)

# JupyterLab user settings for the test server only (JUPYTERLAB_SETTINGS_DIR points at a temporary copy).
LAB_SETTINGS = {
    # Never write the executed notebooks back over the committed ones.
    "@jupyterlab/docmanager-extension/plugin": {"autosave": False},
    # Every cell stays in the page, so outputs can be checked and the screenshot shows the whole notebook.
    "@jupyterlab/notebook-extension/tracker": {"windowingMode": "none"},
    # No "get notified about official Jupyter news?" toast, no update check.
    "@jupyterlab/apputils-extension/notification": {"fetchNews": "false", "checkForUpdates": False},
}


def _check_prerequisites() -> None:
    if not (Path(CHROMIUM).is_file() and os.access(CHROMIUM, os.X_OK)):
        pytest.exit(INSTALL_HINT.format(path=CHROMIUM), returncode=4)
    try:
        import playwright  # noqa: F401
    except ImportError:
        pytest.exit(
            "The Python package playwright is missing from this environment: run `make setup` "
            "(it is in the `test` extra).",
            returncode=4,
        )


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _request(url: str, method: str = "GET") -> tuple[int, bytes]:
    req = urllib.request.Request(url, method=method)
    with urllib.request.urlopen(req, timeout=10) as r:  # noqa: S310 (loopback only)
        return r.status, r.read()


class Lab:
    """A running JupyterLab: its address, token and REST helpers."""

    def __init__(self, port: int, token: str, proc: subprocess.Popen, log: Path):
        self.port, self.token, self.proc, self.log = port, token, proc, log
        self.base = f"http://127.0.0.1:{port}"

    def url(self, path: str) -> str:
        sep = "&" if "?" in path else "?"
        return f"{self.base}{path}{sep}token={self.token}"

    def api(self, path: str, method: str = "GET"):
        status, body = _request(self.url(f"/api/{path}"), method)
        return json.loads(body) if body else None

    def shutdown_kernels(self) -> None:
        """End every session and kernel, so that at most one kernel runs at a time."""
        for s in self.api("sessions"):
            self.api(f"sessions/{s['id']}", "DELETE")
        for k in self.api("kernels"):
            self.api(f"kernels/{k['id']}", "DELETE")


@pytest.fixture(scope="session")
def lab():
    _check_prerequisites()
    OUT.mkdir(parents=True, exist_ok=True)
    jupyter = Path(sys.executable).with_name("jupyter")
    tmp = Path(tempfile.mkdtemp(prefix="wm-browser-lab-"))
    for plugin, values in LAB_SETTINGS.items():
        package, name = plugin.rsplit("/", 1)
        f = tmp / "settings" / package / f"{name}.jupyterlab-settings"
        f.parent.mkdir(parents=True, exist_ok=True)
        f.write_text(json.dumps(values))
    env = dict(
        os.environ,
        HF_HUB_OFFLINE="1",
        OMP_NUM_THREADS="1",
        JUPYTERLAB_SETTINGS_DIR=str(tmp / "settings"),
        JUPYTERLAB_WORKSPACES_DIR=str(tmp / "workspaces"),
        # No user-level config or kernelspecs: `python3` is this environment's own kernel.
        JUPYTER_CONFIG_DIR=str(tmp / "config"),
        JUPYTER_DATA_DIR=str(tmp / "data"),
        JUPYTER_RUNTIME_DIR=str(tmp / "runtime"),
    )
    env.setdefault("MKL_NUM_THREADS", "1")
    port, token = _free_port(), secrets.token_hex(24)
    cmd = [
        str(jupyter),
        "lab",
        "--no-browser",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.token={token}",
        f"--ServerApp.root_dir={NOTEBOOKS}",
        "--ServerApp.terminals_enabled=False",
        "--LabApp.expose_app_in_browser=True",
        "--LabApp.news_url=",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
    ]
    if os.geteuid() == 0:
        cmd.append("--allow-root")
    log = OUT / "jupyter-lab.log"
    with open(log, "wb") as logf:
        proc = subprocess.Popen(
            cmd,
            cwd=NOTEBOOKS,
            env=env,
            stdout=logf,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    server = Lab(port, token, proc, log)
    try:
        deadline = time.monotonic() + 120
        while True:
            if proc.poll() is not None:
                pytest.fail(f"JupyterLab exited with {proc.returncode}; see {log}:\n{log.read_text()[-3000:]}")
            try:
                server.api("status")
                break
            except (urllib.error.URLError, ConnectionError, OSError):
                if time.monotonic() > deadline:
                    pytest.fail(f"JupyterLab did not answer on port {port} within 120 s; see {log}")
                time.sleep(0.5)
        yield server
    finally:
        try:
            server.shutdown_kernels()
        except Exception:  # noqa: BLE001 (the server may already be gone)
            pass
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)  # the server shuts its kernels down on SIGTERM
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(10)
        shutil.rmtree(tmp, ignore_errors=True)


@pytest.fixture(scope="session")
def browser_context(lab):
    from playwright.sync_api import sync_playwright

    profile = tempfile.mkdtemp(prefix="wm-browser-profile-")
    try:
        with sync_playwright() as p:
            context = p.chromium.launch_persistent_context(
                profile,
                executable_path=CHROMIUM,
                args=CHROMIUM_ARGS,
                headless=True,
                viewport={"width": 1400, "height": 1000},
                device_scale_factor=1,
            )
            try:
                yield context
            finally:
                context.close()
    finally:
        shutil.rmtree(profile, ignore_errors=True)


TIMINGS: list[tuple[str, str, float, float]] = []  # (notebook, outcome, run-all seconds, total seconds)


def pytest_terminal_summary(terminalreporter):
    if not TIMINGS:
        return
    terminalreporter.section("browser test timings (screenshots in build/browser/)")
    terminalreporter.write_line(f"{'notebook':28s} {'outcome':8s} {'run all':>8s} {'total':>8s}")
    for stem, outcome, run_s, total in TIMINGS:
        terminalreporter.write_line(f"{stem:28s} {outcome:8s} {run_s:7.1f}s {total:7.1f}s")
    ran = sum(t[2] for t in TIMINGS if t[2] == t[2])  # NaN (never finished) left out
    terminalreporter.write_line(f"{'all':28s} {'':8s} {ran:7.1f}s {sum(t[3] for t in TIMINGS):7.1f}s")
