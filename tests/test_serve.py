"""`recovery serve` as a real process: the dashboard and the folder watchers together."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from recovery.store import Store
from recovery.synthetic import make_run, to_fit
from recovery.watchers.service import FolderSync
from tests.conftest import NOW, free_port


def get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=5) as response:
        return response.read().decode()


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, Path, Path]]:
    db = tmp_path / "recovery.sqlite3"
    folder = tmp_path / "watch"
    folder.mkdir()
    with Store(f"sqlite:///{db}") as store:
        store.add_folder(str(folder), now=NOW)
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "recovery", "--db", str(db), "serve", "--port", str(port), "--interval", "0.3"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while True:
        try:
            assert json.loads(get(base + "/healthz")) == {"status": "ok"}
            break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                message = process.stderr.read().decode() if process.stderr else ""
                raise AssertionError(f"serve did not start: {message}") from None
            time.sleep(0.2)
    yield base, folder, db
    process.terminate()
    process.wait(timeout=10)


@pytest.mark.slow
def test_a_run_synced_into_a_watched_folder_appears_on_the_dashboard(server: tuple[str, Path, Path]) -> None:
    base, folder, _ = server
    assert "No runs stored yet" in get(base + "/")
    (folder / "A1.FIT").write_bytes(to_fit(make_run(4, NOW - timedelta(hours=2), duration_s=1500)))
    deadline = time.monotonic() + 20
    while "No runs stored yet" in get(base + "/"):
        assert time.monotonic() < deadline, "the watched folder's run never reached the dashboard"
        time.sleep(0.3)
    page = get(base + "/")
    assert "Start the cool-down" in page
    assert "A1.FIT: imported" in get(base + "/imports")


def test_serve_keeps_its_watchers_in_step_with_the_folders_in_the_store(sqlite_store: Store, tmp_path: Path) -> None:
    sync = FolderSync(sqlite_store, clock=lambda: NOW)
    sqlite_store.add_folder(str(tmp_path / "a"), now=NOW)
    sync.sync()
    assert [job.id for job in sync.scheduler.get_jobs()] == [f"watch:{tmp_path / 'a'}"]
    sqlite_store.add_folder(str(tmp_path / "b"), now=NOW)
    sqlite_store.remove_folder(str(tmp_path / "a"))
    sync.sync()
    assert [job.id for job in sync.scheduler.get_jobs()] == [f"watch:{tmp_path / 'b'}"]


@pytest.mark.slow
def test_serve_with_a_mistake_in_rules_yaml_refuses_to_start_naming_the_file_and_line(tmp_path: Path) -> None:
    from recovery.coach.weights import RULES_FILE

    coach = tmp_path / "coach"
    coach.mkdir()
    lines = RULES_FILE.read_text(encoding="utf-8").splitlines()
    at = next(n for n, line in enumerate(lines) if line.strip().startswith("hold_s:"))
    lines[at] = lines[at].replace("25", "400")  # a hold far beyond what a stretch should last
    (coach / "rules.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    port = free_port()
    done = subprocess.run(
        [sys.executable, "-m", "recovery", "--db", str(tmp_path / "db.sqlite3"), "serve", "--port", str(port)],
        capture_output=True, text=True, timeout=60, env={**os.environ, "RECOVERY_COACH_DIR": str(coach)},
    )  # fmt: skip
    assert done.returncode == 2
    message = done.stderr.strip()
    assert len(message.splitlines()) == 1, message
    assert f"{coach / 'rules.yaml'}, line {at + 1}" in message and "hold_s" in message
    with pytest.raises(OSError), urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2):
        pass  # nothing ever listened
    assert not (tmp_path / "db.sqlite3").exists(), "refused before the database was even opened"
