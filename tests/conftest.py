"""Shared fixtures: the real runs beside the project, and a store on each database."""

from __future__ import annotations

import io
import os
import re
import socket
import subprocess
import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from flask import Flask
from flask.testing import FlaskClient
from playwright.sync_api import Browser, Playwright, sync_playwright
from sqlalchemy import create_engine, text

from recovery.store import Store
from recovery.web import create_app

if TYPE_CHECKING:  # tests.browser imports this module: at run time it is imported where it is used
    from tests.browser import PageProblems

ROOT = Path(__file__).resolve().parents[1]
SHARED_RUNS = ROOT.parent / "shared" / "runs"
NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True, scope="session")
def _certificates_of_our_own(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Every `serve` a test starts beyond this machine makes its certificates in a temporary folder, never in
    the runner's data folder (RECOVERY_TLS_DIR, inherited by the processes the tests start)."""
    os.environ.setdefault("RECOVERY_TLS_DIR", str(tmp_path_factory.mktemp("tls")))


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    """One Playwright per test process: a second one started while another lives fails, whichever module."""
    from tests.browser import need_browser

    need_browser()
    with sync_playwright() as started:
        yield started


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    """Debian's Chromium (/usr/bin/chromium), never a downloaded one; a test needing other flags launches its own
    from `playwright`."""
    from tests.browser import CHROMIUM, CHROMIUM_ARGS

    chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
    yield chromium
    chromium.close()


@pytest.fixture
def problems() -> PageProblems:
    """What a browser test's pages logged as errors or threw; the test ends with `problems.assert_none()`."""
    from tests.browser import PageProblems

    return PageProblems()


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def living_processes() -> dict[int, tuple[int, int]]:
    """pid -> (parent pid, process group) of every process that is not a zombie, read from /proc (Linux)."""
    found = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if fields[0] != "Z":
                found[int(entry.name)] = (int(fields[1]), int(fields[2]))
    return found


def zip_bytes(members: dict[str, bytes]) -> bytes:
    """A zip archive (an export, as Strava or Garmin make them) holding these members."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


@pytest.fixture(scope="session")
def shared_runs() -> Path:
    """../shared/runs, the real files from real watches (skipped cleanly where absent)."""
    if not (SHARED_RUNS / "MANIFEST.csv").exists():
        pytest.skip(f"the real activity files are not at {SHARED_RUNS}; these tests need ../shared/runs")
    return SHARED_RUNS


def _postgres_url(worker: str) -> str | None:
    """A per-xdist-worker PostgreSQL database, created on first use.

    RECOVERY_TEST_DB_PREFIX keeps two test runs at once (two checkouts on one server) out of each other's way.
    """
    base = os.environ.get("RECOVERY_TEST_POSTGRES_URL")
    if not base:
        if os.environ.get("RECOVERY_REQUIRE_POSTGRES"):
            pytest.fail("RECOVERY_REQUIRE_POSTGRES is set but RECOVERY_TEST_POSTGRES_URL is not")
        return None
    prefix = os.environ.get("RECOVERY_TEST_DB_PREFIX", "")
    name = "recovery_test_" + re.sub(r"\W", "_", f"{prefix}_{worker}" if prefix else worker)
    admin = create_engine(base.replace("postgresql://", "postgresql+psycopg://", 1), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if not conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}):
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return base.rsplit("/", 1)[0] + "/" + name


def _reset_postgres(url: str) -> None:
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path, worker_id: str) -> str:
    """A fresh, empty database of each kind the project supports."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'recovery.sqlite3'}"
    url = _postgres_url(worker_id)
    if url is None:
        pytest.skip("PostgreSQL is not available here (set RECOVERY_TEST_POSTGRES_URL; CI always does)")
    _reset_postgres(url)
    return url


@pytest.fixture
def postgres_url(worker_id: str) -> str:
    """A fresh, empty PostgreSQL database, for tests about PostgreSQL alone."""
    url = _postgres_url(worker_id)
    if url is None:
        pytest.skip("PostgreSQL is not available here (set RECOVERY_TEST_POSTGRES_URL; CI always does)")
    _reset_postgres(url)
    return url


def stop_process(process: subprocess.Popen[bytes]) -> None:
    """Stop a server the test started: SIGTERM, as a service manager would, then SIGKILL after 10 s."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    with Store(db_url) as s:
        yield s


@pytest.fixture
def sqlite_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    """A SQLite store in its own folder, away from the folders tests watch."""
    with Store(f"sqlite:///{tmp_path_factory.mktemp('db') / 'recovery.sqlite3'}") as s:
        yield s


@pytest.fixture
def app(db_url: str) -> Iterator[Flask]:
    """The dashboard on a fresh database of each kind, its clock stopped at NOW."""
    app = create_app({"DATABASE_URL": db_url, "CLOCK": lambda: NOW, "TESTING": True})
    yield app
    app.extensions["recovery.store"].close()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()
