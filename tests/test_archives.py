"""Whole exports: a Strava bulk export and a Garmin Connect data export, built from real files."""

from __future__ import annotations

import csv
import gzip
import io
import json
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from recovery.cli import cli
from recovery.ingest import ingest_inputs
from recovery.inputs import iter_inputs
from recovery.isolation import ParsePool
from recovery.store import Store
from recovery.synthetic import make_run, to_fit
from tests.conftest import NOW, zip_bytes

STRAVA_FILES = {
    # member name: (real file, Strava's type, the runner's title)
    "activities/1001.fit.gz": ("sports-lib/2067489619.fit", "Run", "Corenc evening run"),
    "activities/1002.gpx": ("workoutizer/garmin_example.gpx", "Run", "Saturday 5k"),
    "activities/1003.tcx.gz": ("python-tcxparser/test.tcx", "Run", "Boxing day run"),
    "activities/1004.gpx.gz": ("fittrackee/test.gpx", "Walk", "Walk to the shop"),
    "activities/1005.fit.gz": ("sweatpy/2020-06-01-16-52-40.fit", "Ride", "Spin"),
    "activities/1006.gpx": ("sports-lib/sports-tracker.gpx", "Run", "Pyrenees run"),
}


def strava_export(shared_runs: Path, target: Path) -> Path:
    rows = io.StringIO()
    writer = csv.writer(rows)
    writer.writerow(["Activity ID", "Activity Date", "Activity Name", "Activity Type", "Filename"])
    members: dict[str, bytes] = {}
    for member, (real, kind, title) in STRAVA_FILES.items():
        data = (shared_runs / real).read_bytes()
        members[member] = gzip.compress(data) if member.endswith(".gz") else data
        writer.writerow([member.split("/")[1].split(".")[0], "Jan 1, 2020, 7:00:00 AM", title, kind, member])
    members["activities.csv"] = rows.getvalue().encode()
    members["profile.csv"] = b"Athlete ID\n1\n"
    members["media/photo.jpg"] = b"\xff\xd8\xff"
    target.write_bytes(zip_bytes(members))
    return target


def garmin_export(shared_runs: Path, target: Path) -> Path:
    fits = ["sports-lib/6916728382.fit", "goldencheetah/Fr955v19.28andStryd.fit", "python-fitparse/Settings.fit"]
    inner = zip_bytes({Path(f).name: (shared_runs / f).read_bytes() for f in fits})
    target.write_bytes(
        zip_bytes(
            {
                "DI_CONNECT/DI-Connect-Uploaded-Files/UploadedFiles_0-_Part1.zip": inner,
                "DI_CONNECT/DI-Connect-Fitness/user_profile.json": b"{}",
            }
        )
    )
    return target


def test_a_strava_export_gives_names_and_types(sqlite_store: Store, shared_runs: Path, tmp_path: Path) -> None:
    archive = strava_export(shared_runs, tmp_path / "export_12345.zip")
    outcomes = list(ingest_inputs(sqlite_store, iter_inputs([archive]), clock=lambda: NOW))
    assert [o.outcome for o in outcomes] == ["imported", "imported", "imported", "not_a_run", "not_a_run", "imported"]
    by_name = {s.run.name: s.run for s in sqlite_store.runs(only_runs=False)}
    assert set(by_name) == {title for _, _, title in STRAVA_FILES.values()}
    # sports-tracker.gpx names no sport and its pace alone is ambiguous: Strava's "Run" settles it.
    assert by_name["Pyrenees run"].sport == "run" and not by_name["Pyrenees run"].sport_inferred
    assert by_name["Walk to the shop"].sport == "walk"
    assert by_name["Spin"].sport == "ride"


def test_a_garmin_export_is_read_through_its_nested_zip(sqlite_store: Store, shared_runs: Path, tmp_path: Path) -> None:
    archive = garmin_export(shared_runs, tmp_path / "garmin.zip")
    with ParsePool(2) as pool:  # parsed in worker processes, as `recovery import` does
        imported = ingest_inputs(sqlite_store, iter_inputs([archive]), clock=lambda: NOW, parser=pool)
        outcomes = [o.outcome for o in imported]
    assert sorted(outcomes) == ["imported", "imported", "not_a_run"]
    assert len(sqlite_store.runs(only_runs=True)) == 2


def test_importing_an_export_twice_adds_nothing(sqlite_store: Store, shared_runs: Path, tmp_path: Path) -> None:
    archive = strava_export(shared_runs, tmp_path / "export.zip")
    list(ingest_inputs(sqlite_store, iter_inputs([archive]), clock=lambda: NOW))
    count = sqlite_store.count_runs(only_runs=False)
    again = list(ingest_inputs(sqlite_store, iter_inputs([archive]), clock=lambda: NOW))
    assert sqlite_store.count_runs(only_runs=False) == count
    assert {o.outcome for o in again} == {"duplicate"}


@pytest.mark.parametrize(
    "member, expected",
    [("../../.bashrc.fit", "points outside the archive"), ("activities/bomb.gpx", "possible zip bomb")],
)
def test_hostile_archives_are_refused_with_a_sentence(tmp_path: Path, member: str, expected: str) -> None:
    good = to_fit(make_run(1, NOW - timedelta(days=1), duration_s=600))
    payload = b"<gpx>" + b" " * (40 * 1024 * 1024) if "bomb" in member else good
    archive = tmp_path / "export.zip"
    archive.write_bytes(zip_bytes({"activities/good.fit": good, member: payload}))
    result = CliRunner().invoke(cli, ["--db", str(tmp_path / "db.sqlite3"), "import", "--json", str(archive)])
    report = json.loads(result.output)
    outcomes = {Path(f["path"].split("!")[1]).name: f for f in report["files"]}
    assert outcomes["good.fit"]["outcome"] == "imported"
    refused = outcomes[Path(member).name]
    assert refused["outcome"] == "rejected" and expected in refused["message"]
    assert report["totals"] == {"imported": 1, "duplicate": 0, "not_a_run": 0, "rejected": 1}


def test_a_nul_byte_in_a_strava_title_loses_no_run_on_either_database(store: Store, tmp_path: Path) -> None:
    """PostgreSQL refuses NUL in text: the title is cleaned, and both runs of the export are stored."""
    runs = {f"activities/{n}.fit": to_fit(make_run(n, NOW - timedelta(days=n), duration_s=600)) for n in (1, 2)}
    index = "Activity ID,Activity Name,Activity Type,Filename\n"
    index += "1,Morning\x00 run\x1b[31m,Run,activities/1.fit\n2,Evening run,Run,activities/2.fit\n"
    archive = tmp_path / "export.zip"
    archive.write_bytes(zip_bytes({**runs, "activities.csv": index.encode()}))
    outcomes = [o.outcome for o in ingest_inputs(store, iter_inputs([archive]), clock=lambda: NOW)]
    assert outcomes == ["imported", "imported"]
    assert sorted(s.run.name for s in store.runs(only_runs=False)) == ["Evening run", "Morning run[31m"]
