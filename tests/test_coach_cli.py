"""The coach from the command line: cool-down, warm-up, strength and the discomfort log."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from click.testing import CliRunner

from recovery.cli import cli

DEMO = Path(__file__).resolve().parents[1] / "sample_runs" / "demo-easy-run.fit"


def run_cli(db: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["--db", str(db), *args])
    return result.exit_code, result.output


def test_the_cooldown_of_the_demo_run_as_json(tmp_path: Path) -> None:
    db = tmp_path / "db.sqlite3"
    run_cli(db, "import", str(DEMO))
    code, out = run_cli(db, "cooldown", "--json")
    routine = json.loads(out)
    assert code == 0 and routine["phase"] == "cooldown" and routine["run_id"] == 1
    assert 3 * 60 <= routine["total_s"] <= 7 * 60
    assert all(20 <= i["hold_s"] <= 30 and i["kind"] == "static" and i["reasons"] for i in routine["items"])
    assert routine["referral"] is None


def test_the_cooldown_in_words_says_why(tmp_path: Path) -> None:
    db = tmp_path / "db.sqlite3"
    run_cli(db, "import", str(DEMO))
    code, out = run_cli(db, "cooldown")
    assert code == 0 and "Child's pose: 30 s" in out and "why:" in out and "no bouncing" in out


def test_no_runs_yet_is_a_clear_error(tmp_path: Path) -> None:
    code, out = run_cli(tmp_path / "db.sqlite3", "cooldown")
    assert code == 2 and "no runs yet" in out


def test_discomfort_8_brings_the_referral_and_a_red_flag_the_urgent_message(tmp_path: Path) -> None:
    db = tmp_path / "db.sqlite3"
    code, out = run_cli(db, "discomfort", "add", "8", "--when", "after", "--where", "one-side", "--json")
    assert code == 0 and json.loads(out)["referral"]["level"] == "see-soon"
    code, out = run_cli(db, "discomfort", "add", "3", "--red-flag", "bladder_bowel", "--json")
    assert json.loads(out)["referral"]["level"] == "urgent"
    run_cli(db, "import", str(DEMO))
    _, out = run_cli(db, "cooldown", "--json")
    assert json.loads(out)["items"] == []
    _, out = run_cli(db, "discomfort", "list", "--json")
    assert [entry["score"] for entry in json.loads(out)] == [8, 3]


def test_an_unknown_red_flag_is_refused_with_the_names(tmp_path: Path) -> None:
    code, out = run_cli(tmp_path / "db.sqlite3", "discomfort", "add", "3", "--red-flag", "headache")
    assert code == 2 and "saddle_numbness" in out
    _, out = run_cli(tmp_path / "db.sqlite3", "discomfort", "red-flags", "--json")
    assert {f["name"] for f in json.loads(out)} >= {"saddle_numbness", "bladder_bowel", "night_pain"}


def test_strength_is_suggested_until_two_sessions_are_logged(tmp_path: Path) -> None:
    db = tmp_path / "db.sqlite3"
    _, out = run_cli(db, "strength", "--json")
    assert len(json.loads(out)["items"]) == 4
    run_cli(db, "strength", "done")
    yesterday = (datetime.now(UTC) - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%S")
    run_cli(db, "strength", "done", "--at", yesterday)
    _, out = run_cli(db, "strength", "--json")
    data = json.loads(out)
    assert data["items"] == [] and "enough for this week" in data["safety"][0]


def test_the_warmup_and_the_settings(tmp_path: Path) -> None:
    db = tmp_path / "db.sqlite3"
    _, out = run_cli(db, "warmup", "--json")
    assert [i["kind"] for i in json.loads(out)["items"]] == ["dynamic"] * 4
    code, out = run_cli(db, "settings", "--max-hr", "186", "--rest-hr", "48")
    assert code == 0 and "Maximum heart rate: 186 bpm" in out and "Resting heart rate: 48 bpm" in out
    code, out = run_cli(db, "settings", "--json", "--sex", "female", "--units", "mi")
    assert code == 0
    expected = {"units": "mi", "time_zone": None, "max_hr": 186, "rest_hr": 48, "sex": "female", "past_cancer": None,
                "nudge_url": None, "quiet_from": None, "quiet_until": None, "nudge_words": "distance",
                "public_url": None}  # fmt: skip
    assert json.loads(out) | {"zone_used": None} == expected | {"zone_used": None}
    code, out = run_cli(db, "settings", "--max-hr", "unset", "--json")
    assert code == 0 and json.loads(out)["max_hr"] is None and json.loads(out)["rest_hr"] == 48


def test_a_setting_out_of_its_bounds_is_refused_by_the_cli_with_the_same_sentence_as_the_form(tmp_path: Path) -> None:
    from recovery.settings import validate

    code, out = run_cli(tmp_path / "db.sqlite3", "settings", "--max-hr", "300")
    _, problems = validate({"max_hr": "300"})
    assert code == 2 and problems == ["Maximum heart rate must be a whole number from 120 to 240 bpm."]
    assert problems[0] in out
    _, out = run_cli(tmp_path / "db.sqlite3", "settings", "--json")
    assert json.loads(out)["max_hr"] is None, "nothing was stored"


def test_a_sudden_jump_in_load_is_described_never_predicted(tmp_path: Path) -> None:
    from recovery.synthetic import make_run, to_fit

    folder = tmp_path / "runs"
    folder.mkdir()
    start = datetime(2026, 10, 1, 7, 0, tzinfo=UTC)
    for day in range(0, 28, 4):  # a light month: a 20-minute run every four days
        (folder / f"easy-{day}.fit").write_bytes(to_fit(make_run(day, start + timedelta(days=day), duration_s=1200)))
    for day in range(28, 34):  # then an hour every day for a week
        (folder / f"big-{day}.fit").write_bytes(to_fit(make_run(day, start + timedelta(days=day), duration_s=3600)))
    db = tmp_path / "db.sqlite3"
    run_cli(db, "import", str(folder))
    _, out = run_cli(db, "cooldown", "--json")
    safety = " ".join(json.loads(out)["safety"])
    assert "times your average week over the last four" in safety
    assert "injur" not in safety.lower()


def test_a_discomfort_score_out_of_range_is_refused_before_any_database_is_made(tmp_path: Path) -> None:
    code, out = run_cli(tmp_path / "db.sqlite3", "discomfort", "add", "11")
    assert code == 2 and "from 0 (none) to 10" in out
    assert not (tmp_path / "db.sqlite3").exists()


def test_a_coach_folder_that_is_not_there_stops_every_command_with_one_sentence(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("RECOVERY_COACH_DIR", str(tmp_path / "nowhere"))
    code, out = run_cli(tmp_path / "db.sqlite3", "warmup")
    assert code == 2 and f"RECOVERY_COACH_DIR names {tmp_path / 'nowhere'}, which is not a folder." in out
