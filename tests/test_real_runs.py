"""Every real file in ../shared/runs is read with the manifest's figures, or refused plainly.

Where the project and the manifest disagree on purpose, the test says so:
- A heart rate of 0 (a Zwift ride, a Chinese indoor bike) means "no sensor";
  we report no heart rate rather than 0 bpm.
- sports-lib/broken-dates.fit has no session start time, so the manifest has
  none; its records are timed, so we take the start from the first record.
"""

from __future__ import annotations

from datetime import datetime

import pytest

from recovery.errors import FileProblem, FileRejected, NotAnActivity
from recovery.parsers import read_path
from recovery.summary import run_json
from tests.manifest import Row, rows

ROWS = rows()

#: Files that are readable but record no activity, and the words our sentence uses.
NOT_ACTIVITIES = {
    "python-fitparse/MonitoringFile.fit": "monitoring",
    "python-fitparse/Settings.fit": "settings",
    "python-fitparse/WorkoutRepeatSteps.fit": "workout",
    "python-fitparse/DeveloperData.fit": "no activity",
    "fittrackee/example.fit": "course",
    "goldencheetah/MetadataOnly.gpx": "no track points",
    "goldencheetah/A_ride_mapped_on_11_22_2011.gpx": "no times",
    "gpxpy/route.gpx": "route",
    "gpxpy/unicode_with_bom.gpx": "waypoints",
}
#: Starts we know and the manifest does not (see the module docstring).
START_FROM_RECORDS = {"sports-lib/broken-dates.fit": "2017-03-20T19:09:28Z"}


def _when(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _params() -> list:
    if not ROWS:
        return [pytest.param(None, marks=pytest.mark.skip(reason="../shared/runs is missing"))]
    return [pytest.param(row, id=row.file) for row in ROWS]


@pytest.mark.parametrize("row", _params())
def test_each_real_file_is_read_as_the_manifest_says_or_refused(row: Row) -> None:
    if row.broken:
        with pytest.raises(FileRejected) as refused:
            read_path(row.path)
        sentence = str(refused.value)
        assert sentence.startswith(row.path.name), "the sentence names the file"
        assert sentence.endswith(".") and "\n" not in sentence
        return
    if row.file in NOT_ACTIVITIES:
        with pytest.raises(NotAnActivity) as refused:
            read_path(row.path)
        assert str(refused.value).startswith(row.path.name)
        assert NOT_ACTIVITIES[row.file] in str(refused.value)
        return

    run = read_path(row.path)
    data = run_json(run)
    if row.start_time_utc:
        assert _when(data["start_time_utc"]) == _when(row.start_time_utc)
    elif row.file in START_FROM_RECORDS:
        assert data["start_time_utc"] == START_FROM_RECORDS[row.file]
    else:
        assert data["start_time_utc"] is None, "a device-relative start is not passed off as a date"
        assert run.start_time_local is not None or run.warnings
    if row.duration_s is not None:
        # The manifest's duration is the timer time for FIT and TCX, gpxpy's duration for GPX.
        ours = data["elapsed_s"] if row.format == "gpx" else data["moving_s"]
        assert ours == pytest.approx(row.duration_s, abs=1.0)
    if row.distance_m is not None:
        assert data["distance_m"] == pytest.approx(row.distance_m, rel=0.01, abs=10.0)
    if row.avg_hr:
        assert data["avg_hr"] == pytest.approx(row.avg_hr, abs=1)
    elif row.avg_hr == 0:
        assert data["avg_hr"] is None, "0 bpm means no heart-rate sensor"


def test_the_manifest_is_not_empty_when_present(shared_runs) -> None:
    assert len(ROWS) >= 100


def _fit_rows() -> list[Row]:
    return [r for r in ROWS if r.format == "fit" and "fitparse" in r.parses_with.split()]


@pytest.mark.parametrize("row", [pytest.param(r, id=r.file) for r in _fit_rows()] or [None])
def test_fitdecode_agrees_with_fitparse_where_fitparse_can_read(row: Row | None) -> None:
    """fitparse stays as a cross-check: both readers give the same session totals."""
    if row is None:
        pytest.skip("../shared/runs is missing")
    import fitparse

    sessions = list(fitparse.FitFile(str(row.path)).get_messages("session"))
    try:
        run = read_path(row.path)
    except FileProblem:
        assert not sessions, "a file with sessions fitparse can read must not be refused"
        return
    timer = sum(s.get_value("total_timer_time") or 0 for s in sessions)
    distance = sum(s.get_value("total_distance") or 0 for s in sessions)
    if timer:
        assert run.moving_s == pytest.approx(timer, abs=0.01)
    if distance:
        assert run.distance_m == pytest.approx(distance, abs=0.01)


def test_a_developer_field_named_like_a_native_one_does_not_replace_it(shared_runs) -> None:
    """Stryd writes its own 'Distance' and 'Speed'; the watch's own figures win."""
    run = read_path(shared_runs / "python-fitparse/developer-types-sample.fit")
    assert run.distance_m == pytest.approx(6753.99)
    distances = [d for d in run.streams.distance if d == d]
    assert distances == sorted(distances), "distance only grows: the dev field (0, 247...) did not leak in"
    assert distances[0] == pytest.approx(1.0) and distances[-1] == pytest.approx(6753.99, abs=1)


def test_a_wrong_checksum_is_a_warning_not_a_rejection(shared_runs) -> None:
    run = read_path(shared_runs / "python-fitparse/activity-filecrc.fit")
    assert run.is_run
    assert any("checksum" in w for w in run.warnings)


def test_a_coros_file_that_fitparse_cannot_read_is_read(shared_runs) -> None:
    run = read_path(shared_runs / "python-fitparse/coros-pace-2-cycling-misaligned-fields.fit")
    assert run.sport == "ride" and not run.is_run
    assert run.distance_m == pytest.approx(32145.8, abs=1)


def test_treadmill_runs_without_gps_are_runs(shared_runs) -> None:
    run = read_path(shared_runs / "sports-lib/6860622783.fit")
    assert run.sport == "treadmill_run" and run.is_run and not run.has_gps
    assert run.distance_m == pytest.approx(10630.4, abs=1)


def test_an_old_footpod_watch_without_dates_still_gives_a_run(shared_runs) -> None:
    run = read_path(shared_runs / "python-fitparse/compressed-speed-distance.fit")
    assert run.is_run and run.start_time_utc is None
    assert run.start_time_local is not None, "the local start comes from the activity message"
    assert run.distance_m == pytest.approx(10248.7, abs=1)


def test_cadence_is_in_steps_per_minute_not_fit_strides(shared_runs) -> None:
    run = read_path(shared_runs / "python-fitparse/garmin-fenix-5-run.fit")
    # The session says 83.5 strides/min (avg_cadence 83 + fractional 0.5): 167 steps.
    assert run.avg_cadence_spm == 167


def test_utc_offset_comes_from_the_watch(shared_runs) -> None:
    run = read_path(shared_runs / "python-fitparse/garmin-fenix-5-run.fit")
    assert run.utc_offset_s == -7 * 3600


def test_a_marathon_length_activity_stays_small(shared_runs) -> None:
    run = read_path(shared_runs / "sports-lib/6914448270.fit")  # 5.7 h ultra
    from recovery.streams import MAX_SAMPLES, pack

    assert len(run.streams) <= MAX_SAMPLES
    assert len(pack(run.streams)) < 200_000
