"""Helpers for the browser tests: a real `recovery serve` on a fresh database, and Debian's Chromium.

Nothing here downloads a browser: the tests drive /usr/bin/chromium through
Playwright, and skip (or fail, with RECOVERY_REQUIRE_BROWSER set) without it.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import ConsoleMessage, Page

from tests.conftest import ROOT, SHARED_RUNS, free_port, stop_process
from tests.manifest import Row, rows

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
RECOVERY = Path(sys.executable).parent / "recovery"
SCREENSHOTS = ROOT / "test-output" / "screenshots"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
SERVER_START_TIMEOUT_S = 20.0


def need_browser() -> None:
    """Skip cleanly where Debian's Chromium is missing, unless the run insists on a browser."""
    if CHROMIUM.exists():
        return
    message = f"the browser tests need Debian's Chromium at {CHROMIUM} (apt-get install chromium); none found"
    if os.environ.get("RECOVERY_REQUIRE_BROWSER"):
        pytest.fail(message + ", and RECOVERY_REQUIRE_BROWSER is set")
    pytest.skip(message)


def need_real_runs() -> None:
    if not (SHARED_RUNS / "MANIFEST.csv").exists():
        pytest.skip(f"the real activity files are not at {SHARED_RUNS}; these tests need ../shared/runs")


def _pick(file: str, fmt: str) -> Row:
    """A run the manifest names, checked to still be what the test expects of it."""
    row = next((r for r in rows() if r.file == file), None)
    if row is None or row.format != fmt or row.sport.lower() != "running" or not row.path.exists():
        pytest.skip(f"{file} is no longer in {SHARED_RUNS / 'MANIFEST.csv'} as a {fmt} run")
    return row


def outdoor_fit_run() -> Row:
    """A 10 km outdoor run from a Garmin Forerunner 955, with GPS and heart rate."""
    need_real_runs()
    return _pick("goldencheetah/Fr955v19.28andStryd.fit", "fit")


def gpx_run() -> Row:
    """A 5.3 km run exported by Garmin Connect as GPX, with heart rate."""
    need_real_runs()
    return _pick("workoutizer/garmin_example.gpx", "gpx")



def start_serving(
    command: list[str], env: dict[str, str], folder: Path, log: Path, healthz: Callable[[], Any]
) -> subprocess.Popen[bytes]:
    """Start `recovery serve` (its output in `log`) and wait until `healthz()` answers {"status": "ok"}."""
    env = {k: v for k, v in env.items() if k != "RECOVERY_DATABASE_URL"}
    with open(log, "wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=folder)
    deadline = time.monotonic() + SERVER_START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"recovery serve exited with {process.returncode}:\n{log.read_text()}")
        try:
            with healthz() as response:
                if json.load(response) == {"status": "ok"}:
                    return process
        except (urllib.error.URLError, ConnectionError, TimeoutError, FileNotFoundError):
            time.sleep(0.05)  # FileNotFoundError: an HTTPS server's authority, not written yet
    stop_process(process)
    raise RuntimeError(f"recovery serve did not answer /healthz within {SERVER_START_TIMEOUT_S} s")


@dataclass
class Server:
    """`recovery serve` on its own port and its own SQLite database."""

    folder: Path
    db_url: str = ""
    #: The `recovery` command to start: this environment's, or another install's (the wheel test).
    command: Path = RECOVERY
    url: str = ""
    process: subprocess.Popen[bytes] | None = None
    log: Path = field(init=False)

    def __post_init__(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        self.db_url = self.db_url or f"sqlite:///{self.folder / 'recovery.sqlite3'}"
        self.log = self.folder / "serve.log"

    def start(self) -> Server:
        port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        env = {**os.environ, "RECOVERY_TIMER_SPEED_ALLOWED": "1"}
        command = [str(self.command), "--db", self.db_url, "serve", "--port", str(port), "--no-watch"]
        self.process = start_serving(command, env, self.folder, self.log, lambda: urllib.request.urlopen(
            self.url + "/healthz", timeout=1))  # fmt: skip
        return self

    def stop(self) -> None:
        if self.process is not None:
            stop_process(self.process)

    def import_file(self, path: Path) -> str:
        """`recovery import FILE` against this server's database; returns what it printed."""
        done = subprocess.run(
            [str(self.command), "--db", self.db_url, "import", str(path)],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout


def run_id_from(message: str) -> int:
    """The id in 'x.fit: imported a 10.0 km run on 2024-07-09 as run 1.'"""
    found = re.search(r"as run (\d+)\.", message)
    assert found, f"the import did not say which run it stored: {message!r}"
    return int(found.group(1))


class PageProblems:
    """Console errors (CSP violations among them) and uncaught exceptions seen by a page."""

    def __init__(self) -> None:
        self.seen: list[str] = []

    def watch(self, page: Page) -> Page:
        page.on("console", lambda message: self._console(message, page))
        page.on("pageerror", lambda error: self.seen.append(f"{page.url}: uncaught {error}"))
        return page

    def _console(self, message: ConsoleMessage, page: Page) -> None:
        if message.type == "error":
            self.seen.append(f"{page.url}: console error: {message.text}")

    def assert_none(self) -> None:
        assert self.seen == [], "the pages reported errors:\n" + "\n".join(self.seen)


#: Records every value that body's data-timer-state and data-phase take, so a test can
#: check the timer went through its phases even when a fast speed makes them brief.
RECORD_TIMER_STATES = """
window.__timerSeen = { state: [], phase: [] };
new MutationObserver(function (changes) {
  changes.forEach(function (change) {
    if (change.target !== document.body) { return; }
    var key = change.attributeName === "data-timer-state" ? "state" : "phase";
    var value = change.target.getAttribute(change.attributeName);
    var list = window.__timerSeen[key];
    if (list[list.length - 1] !== value) { list.push(value); }
  });
}).observe(document, { attributes: true, subtree: true, attributeFilter: ["data-timer-state", "data-phase"] });
"""

#: Roles of the controls someone fills in or presses; each needs a name a screen reader can say.
CONTROL_ROLES = {"button", "checkbox", "radio", "textbox", "combobox", "spinbutton", "slider", "searchbox", "switch"}


def unnamed_controls(page: Page) -> tuple[int, list[str]]:
    """(how many controls Chromium's accessibility tree has, those among them without a name)."""
    cdp = page.context.new_cdp_session(page)
    try:
        tree: dict[str, Any] = cdp.send("Accessibility.getFullAXTree")
    finally:
        cdp.detach()
    controls = [
        node for node in tree["nodes"] if not node.get("ignored") and node.get("role", {}).get("value") in CONTROL_ROLES
    ]
    unnamed = [
        f"{node['role']['value']} (DOM node {node.get('backendDOMNodeId')})"
        for node in controls
        if not str(node.get("name", {}).get("value", "")).strip()
    ]
    return len(controls), unnamed
