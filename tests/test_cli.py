"""The `recovery` command as a runner (or a script) uses it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from recovery.cli import cli

SCHEMA = {
    "file", "ok", "format", "sport", "is_run", "start_time_utc", "elapsed_s", "moving_s", "distance_m",
    "ascent_m", "avg_hr", "max_hr", "avg_cadence_spm", "device", "laps", "samples",
}  # fmt: skip
DEMO = Path(__file__).resolve().parents[1] / "sample_runs" / "demo-easy-run.fit"


def run_cli(*args: str, db: Path | None = None) -> tuple[int, str]:
    prefix = ["--db", str(db)] if db else []
    result = CliRunner().invoke(cli, [*prefix, *args])
    return result.exit_code, result.output


def test_inspect_json_has_the_documented_schema() -> None:
    code, out = run_cli("inspect", "--json", str(DEMO))
    data = json.loads(out)
    assert code == 0
    assert set(data) >= SCHEMA
    assert data["ok"] is True and data["format"] == "fit" and data["is_run"] is True
    assert data["start_time_utc"] == "2026-11-23T07:30:00Z"
    assert 5900 < data["distance_m"] < 6100


def test_inspect_prints_a_summary_a_runner_can_read() -> None:
    code, out = run_cli("inspect", str(DEMO))
    assert code == 0
    assert "run, a run: it gets a cool-down" in out
    assert "distance  6.0" in out and "/km" in out


def test_inspect_refuses_a_broken_file_with_one_sentence_and_status_2(tmp_path: Path) -> None:
    bad = tmp_path / "A8M01234.FIT"
    bad.write_bytes(DEMO.read_bytes()[:500])
    code, out = run_cli("inspect", "--json", str(bad))
    assert code == 2
    data = json.loads(out)
    assert data == {"file": str(bad), "ok": False, "error": data["error"]}
    assert data["error"].startswith("A8M01234.FIT is cut short")


def test_inspect_of_a_missing_file_is_a_usage_error(tmp_path: Path) -> None:
    code, _ = run_cli("inspect", str(tmp_path / "nope.fit"))
    assert code == 2


def test_import_prints_a_line_per_file_and_a_summary(tmp_path: Path) -> None:
    folder = tmp_path / "GARMIN" / "Activity"
    folder.mkdir(parents=True)
    (folder / "run.fit").write_bytes(DEMO.read_bytes())
    (folder / "copy.fit").write_bytes(DEMO.read_bytes())
    (folder / "broken.fit").write_bytes(b".FIT nonsense")
    (folder / ".DS_Store").write_bytes(b"junk")
    code, out = run_cli("import", str(tmp_path), db=tmp_path / "db.sqlite3")
    lines = out.strip().splitlines()
    assert code == 0
    assert len(lines) == 4, out
    assert lines[-1] == "1 imported, 1 duplicate, 0 not runs, 1 rejected"


def test_runs_json_lists_stored_runs_with_ids_and_sources(tmp_path: Path) -> None:
    db = tmp_path / "db.sqlite3"
    run_cli("import", str(DEMO), db=db)
    code, out = run_cli("runs", "--json", db=db)
    (run,) = json.loads(out)
    assert code == 0
    assert (SCHEMA - {"file", "ok"}) | {"id", "sources"} <= set(run)
    assert "file" not in run
    assert run["sources"] == [str(DEMO)]


def test_runs_on_an_empty_database_says_how_to_start(tmp_path: Path) -> None:
    code, out = run_cli("runs", db=tmp_path / "db.sqlite3")
    assert code == 0 and "recovery import" in out


def test_log_json_uses_the_documented_names(tmp_path: Path) -> None:
    db = tmp_path / "db.sqlite3"
    run_cli("import", str(DEMO), db=db)
    _code, out = run_cli("log", "--json", db=db)
    (entry,) = json.loads(out)
    assert set(entry) == {"path", "outcome", "run_id", "message", "at"}
    assert entry["outcome"] == "imported" and entry["at"].endswith("Z")


def test_the_console_script_is_installed(tmp_path: Path) -> None:
    script = Path(sys.executable).parent / "recovery"
    result = subprocess.run([str(script), "inspect", "--json", str(DEMO)], capture_output=True, text=True)
    assert result.returncode == 0 and json.loads(result.stdout)["ok"] is True


def test_folders_are_added_listed_and_removed_in_the_same_words_as_the_settings_page(tmp_path: Path) -> None:
    db = tmp_path / "db.sqlite3"
    unplugged = tmp_path / "GARMIN" / "Activity"  # a watch that is not plugged in right now
    code, out = run_cli("folders", "add", str(unplugged), db=db)
    assert code == 0
    assert out.strip() == (f"Now watching {unplugged}. It is not there right now; it will be read whenever it appears.")
    assert run_cli("folders", "add", str(unplugged), db=db)[1].startswith(f"Already watching {unplugged}.")
    code, out = run_cli("folders", "list", "--json", db=db)
    assert json.loads(out) == [{"path": str(unplugged), "available": False}]
    code, out = run_cli("folders", "remove", str(unplugged), db=db)
    assert code == 0 and out.strip() == f"No longer watching {unplugged}. The runs already imported stay."
    code, out = run_cli("folders", "remove", str(unplugged), db=db)
    assert code == 2 and f"{unplugged} is not a watched folder" in out


def test_a_python_with_too_old_a_sqlite_is_told_so_in_one_sentence(tmp_path: Path, monkeypatch) -> None:
    import sqlite3

    monkeypatch.setattr(sqlite3, "sqlite_version_info", (3, 34, 1))
    monkeypatch.setattr(sqlite3, "sqlite_version", "3.34.1")
    code, out = run_cli("runs", db=tmp_path / "db.sqlite3")
    assert code == 1
    assert "needs SQLite 3.35 or later, and this Python was built with SQLite 3.34.1" in out
    assert "Traceback" not in out and not (tmp_path / "db.sqlite3").exists()


@pytest.mark.parametrize(
    "path, sentence",
    [
        ("~nosuchuser/GARMIN", "~nosuchuser is not a user on this machine, so ~nosuchuser/GARMIN cannot be found."),
        ("/media/GAR\x01MIN", "A folder path cannot contain control characters; type the path as it is."),
    ],
)
def test_a_folder_that_cannot_be_watched_is_refused_in_one_sentence(tmp_path: Path, path: str, sentence: str) -> None:
    code, out = run_cli("folders", "add", path, db=tmp_path / "db.sqlite3")
    assert code == 2 and sentence in out and "Traceback" not in out
    code, out = run_cli("watch", path, db=tmp_path / "db.sqlite3")
    assert code == 2 and sentence in out
