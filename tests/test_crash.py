"""A real import process killed with SIGKILL at any moment loses and doubles nothing."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from recovery.synthetic import make_run, to_fit, to_gpx

START = datetime(2026, 10, 1, 6, 30, tzinfo=UTC)
RECOVERY = [sys.executable, "-m", "recovery"]


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """40 runs, ten of them also exported as GPX (the same run twice), plus junk."""
    root = tmp_path_factory.mktemp("GARMIN") / "Activity"
    root.mkdir()
    for day in range(40):
        run = make_run(day, START + timedelta(days=day), duration_s=900)
        (root / f"run-{day:02d}.fit").write_bytes(to_fit(run))
        if day % 4 == 0:
            (root / f"strava-{day:02d}.gpx").write_bytes(to_gpx(run))
    (root / "broken.fit").write_bytes(b"\x0e\x10" + b"\0" * 40)
    return root


def _runs(db: Path) -> list[dict]:
    out = subprocess.run([*RECOVERY, "--db", str(db), "runs", "--json"], capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def _import(db: Path, folder: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*RECOVERY, "--db", str(db), "import", "--workers", "1", str(folder)], capture_output=True, text=True
    )


@pytest.mark.slow
@pytest.mark.parametrize("kill_after_lines, extra_delay", [(0, 0.0), (3, 0.01), (9, 0.05), (20, 0.002), (45, 0.0)])
def test_sigkill_mid_import_then_import_again_gives_every_run_once(
    tmp_path: Path, folder: Path, kill_after_lines: int, extra_delay: float
) -> None:
    clean_db = tmp_path / "clean.sqlite3"
    assert _import(clean_db, folder).returncode == 0
    expected = sorted((r["start_time_utc"], r["distance_m"]) for r in _runs(clean_db))
    assert len(expected) == 40

    db = tmp_path / "killed.sqlite3"
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [*RECOVERY, "--db", str(db), "import", "--workers", "1", str(folder)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=env,
    )
    assert proc.stdout is not None
    for _ in range(kill_after_lines):
        if not proc.stdout.readline():
            break
    time.sleep(extra_delay)
    proc.send_signal(signal.SIGKILL)
    proc.wait()

    finish = _import(db, folder)
    assert finish.returncode == 0, finish.stderr
    got = sorted((r["start_time_utc"], r["distance_m"]) for r in _runs(db))
    assert got == expected, "every run exactly once after the crash and the re-import"
    sources = [s for r in _runs(db) for s in r["sources"]]
    assert len(sources) == len(set(sources)) == 50, "each file is a source of exactly one run"
