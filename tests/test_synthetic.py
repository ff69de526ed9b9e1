"""The synthetic run generator: plausible, deterministic, and readable in every format."""

from __future__ import annotations

import gzip
import io
import math
from datetime import UTC, datetime, timedelta, timezone
from itertools import pairwise
from pathlib import Path

import defusedxml.ElementTree as SafeET
import fitdecode
import gpxpy
import pytest

from recovery.parsers import read_activity
from recovery.synthetic import (
    DEMO_FILE,
    SyntheticRun,
    demo_run,
    gzip_bytes,
    main,
    make_run,
    to_fit,
    to_gpx,
    to_tcx,
)

START = datetime(2026, 3, 14, 6, 45, tzinfo=UTC)
DURATION = 600
TCX_NS = "{http://www.garmin.com/xmlschemas/TrainingCenterDatabase/v2}"
TPX_NS = "{http://www.garmin.com/xmlschemas/ActivityExtension/v2}"
SAMPLE_FILE = Path(__file__).resolve().parent.parent / "sample_runs" / DEMO_FILE


@pytest.fixture(scope="module")
def run() -> SyntheticRun:
    return make_run(1, START, duration_s=DURATION)


def _haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6_371_008.8 * math.asin(math.sqrt(h))


def _fit_messages(data: bytes) -> dict[str, list[dict[str, object]]]:
    """Every data message by name, CRC checked."""
    out: dict[str, list[dict[str, object]]] = {}
    with fitdecode.FitReader(io.BytesIO(data), check_crc=fitdecode.CrcCheck.RAISE) as reader:
        for frame in reader:
            if frame.frame_type == fitdecode.FIT_FRAME_DATA:
                out.setdefault(frame.name, []).append({f.name: f.value for f in frame.fields})
    return out


def _close(value: float, expected: float, rel: float = 0.01) -> bool:
    return abs(value - expected) <= rel * expected


@pytest.mark.parametrize("interval_s", [1.0, 5.0])
def test_run_is_plausible_and_consistent(interval_s: float) -> None:
    run = make_run(3, START, duration_s=DURATION, interval_s=interval_s)
    pts = run.points
    assert run.start == START and run.start.utcoffset() == timedelta(0)
    assert len(pts) == DURATION / interval_s + 1
    assert pts[0].t == 0 and pts[-1].t == DURATION and run.elapsed_s == DURATION
    # Distance is the integral of speed, and positions move by exactly that distance.
    integral = sum((a.speed_mps + b.speed_mps) / 2 * (b.t - a.t) for a, b in pairwise(pts))
    assert run.distance_m == pytest.approx(integral, rel=1e-9)
    moved = sum(_haversine_m(a.lat, a.lon, b.lat, b.lon) for a, b in pairwise(pts))
    assert moved == pytest.approx(run.distance_m, rel=1e-3)
    assert all(b.distance_m >= a.distance_m for a, b in pairwise(pts))
    # A runner, not a car: pace, heart rate, cadence and hills in believable ranges.
    assert 2.3 < run.distance_m / DURATION < 3.6
    assert 100 <= pts[0].heart_rate <= 118 and pts[-1].heart_rate > pts[0].heart_rate + 15
    assert all(60 <= p.heart_rate <= 200 for p in pts)
    assert all(150 <= p.cadence_spm <= 186 and p.cadence_spm % 2 == 0 for p in pts)
    altitudes = [p.altitude_m for p in pts]
    assert max(altitudes) - min(altitudes) < 80
    assert all(_haversine_m(pts[0].lat, pts[0].lon, p.lat, p.lon) < 2000 for p in pts)


def test_start_must_be_aware() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        make_run(1, datetime(2026, 3, 14, 6, 45), duration_s=60)


def test_start_in_another_zone_is_stored_as_utc() -> None:
    local = START.astimezone(timezone(timedelta(hours=-5)))
    assert make_run(1, local, duration_s=60).start.tzinfo == UTC
    assert make_run(1, local, duration_s=60) == make_run(1, START, duration_s=60)


def test_same_seed_gives_same_bytes() -> None:
    a = make_run(42, START, duration_s=DURATION)
    b = make_run(42, START, duration_s=DURATION)
    assert a == b
    for write in (to_fit, to_gpx, to_tcx):
        assert write(a) == write(b)
        assert gzip_bytes(write(a)) == gzip_bytes(write(b))


def test_different_seeds_give_different_bytes() -> None:
    a = make_run(1, START, duration_s=DURATION)
    b = make_run(2, START, duration_s=DURATION)
    for write in (to_fit, to_gpx, to_tcx):
        assert write(a) != write(b)


def test_fit_decodes_to_the_same_run(run: SyntheticRun) -> None:
    messages = _fit_messages(to_fit(run))
    (file_id,) = messages["file_id"]
    assert file_id["type"] == "activity" and file_id["time_created"] == run.start
    (session,) = messages["session"]
    assert session["start_time"] == run.start
    assert session["sport"] == "running" and session["sub_sport"] == "generic"
    assert session["total_elapsed_time"] == DURATION and session["total_timer_time"] == DURATION
    assert _close(session["total_distance"], run.distance_m)
    assert session["avg_heart_rate"] == run.avg_heart_rate
    assert session["max_heart_rate"] == run.max_heart_rate
    assert session["avg_running_cadence"] * 2 == run.avg_cadence_spm
    assert session["num_laps"] == 1 and len(messages["lap"]) == 1
    assert session["total_ascent"] == round(run.ascent_m)
    events = [(e["event"], e["event_type"]) for e in messages["event"]]
    assert events == [("timer", "start"), ("timer", "stop_all")]

    records = messages["record"]
    assert len(records) == len(run.points)
    assert records[0]["timestamp"] == run.start
    assert records[-1]["timestamp"] == run.start + timedelta(seconds=DURATION)
    assert _close(records[-1]["distance"], run.distance_m)
    semicircle = 180 / 2**31
    for record, point in zip(records[:: len(records) // 7], run.points[:: len(records) // 7], strict=True):
        assert record["position_lat"] * semicircle == pytest.approx(point.lat, abs=1e-6)
        assert record["position_long"] * semicircle == pytest.approx(point.lon, abs=1e-6)
        assert record["enhanced_speed"] == pytest.approx(point.speed_mps, abs=1e-3)
        assert record["enhanced_altitude"] == pytest.approx(point.altitude_m, abs=0.2)
        assert record["heart_rate"] == point.heart_rate
        assert record["cadence"] * 2 == point.cadence_spm

    (activity,) = messages["activity"]
    assert activity["local_timestamp"] - activity["timestamp"] == timedelta(hours=1)


def test_gpx_decodes_to_the_same_run(run: SyntheticRun) -> None:
    gpx = gpxpy.parse(to_gpx(run).decode())
    assert gpx.version == "1.1" and gpx.creator
    (track,) = gpx.tracks
    assert track.type == "running"
    points = track.segments[0].points
    assert len(points) == len(run.points)
    assert points[0].time == run.start
    assert gpx.get_duration() == DURATION
    assert _close(gpx.length_2d(), run.distance_m)
    hrs, cads = [], []
    for point in points:
        values = {}
        for extension in point.extensions:
            for element in extension.iter():
                if element.text and element.text.strip():
                    values[element.tag.rsplit("}", 1)[-1]] = int(element.text)
        hrs.append(values["hr"])
        cads.append(values["cad"])
    assert round(sum(hrs) / len(hrs)) == run.avg_heart_rate
    assert [c * 2 for c in cads] == [p.cadence_spm for p in run.points]
    assert points[-1].elevation == pytest.approx(run.points[-1].altitude_m, abs=0.05)


def test_tcx_decodes_to_the_same_run(run: SyntheticRun) -> None:
    root = SafeET.fromstring(to_tcx(run))
    (activity,) = root.iter(f"{TCX_NS}Activity")
    assert activity.get("Sport") == "Running"
    assert activity.findtext(f"{TCX_NS}Id") == "2026-03-14T06:45:00Z"
    assert activity.findtext(f"{TCX_NS}Creator/{TCX_NS}Name")
    (lap,) = activity.iter(f"{TCX_NS}Lap")
    assert lap.get("StartTime") == "2026-03-14T06:45:00Z"
    assert float(lap.findtext(f"{TCX_NS}TotalTimeSeconds")) == DURATION
    assert _close(float(lap.findtext(f"{TCX_NS}DistanceMeters")), run.distance_m)
    assert int(lap.findtext(f"{TCX_NS}AverageHeartRateBpm/{TCX_NS}Value")) == run.avg_heart_rate
    assert int(lap.findtext(f"{TCX_NS}MaximumHeartRateBpm/{TCX_NS}Value")) == run.max_heart_rate
    assert lap.findtext(f"{TCX_NS}Intensity") == "Active"
    assert lap.findtext(f"{TCX_NS}TriggerMethod") == "Manual"

    trackpoints = list(lap.iter(f"{TCX_NS}Trackpoint"))
    assert len(trackpoints) == len(run.points)
    times = [datetime.fromisoformat(tp.findtext(f"{TCX_NS}Time")) for tp in trackpoints]
    assert times[0] == run.start and (times[-1] - times[0]).total_seconds() == DURATION
    hrs = [int(tp.findtext(f"{TCX_NS}HeartRateBpm/{TCX_NS}Value")) for tp in trackpoints]
    assert round(sum(hrs) / len(hrs)) == run.avg_heart_rate
    last = trackpoints[-1]
    assert _close(float(last.findtext(f"{TCX_NS}DistanceMeters")), run.distance_m)
    assert float(last.findtext(f"{TCX_NS}Position/{TCX_NS}LatitudeDegrees")) == pytest.approx(
        run.points[-1].lat, abs=1e-6
    )
    tpx = last.find(f"{TCX_NS}Extensions/{TPX_NS}TPX")
    assert float(tpx.findtext(f"{TPX_NS}Speed")) == pytest.approx(run.points[-1].speed_mps, abs=1e-3)
    assert int(tpx.findtext(f"{TPX_NS}RunCadence")) * 2 == run.points[-1].cadence_spm


@pytest.mark.parametrize(("write", "suffix"), [(to_fit, "fit"), (to_gpx, "gpx"), (to_tcx, "tcx")])
def test_project_parsers_read_every_format(run: SyntheticRun, write, suffix: str) -> None:
    parsed = read_activity(gzip_bytes(write(run)), f"synthetic.{suffix}.gz")
    assert parsed.sport == "run"
    assert parsed.start_time_utc == run.start
    assert parsed.elapsed_s == DURATION
    assert _close(parsed.distance_m, run.distance_m)
    assert parsed.avg_hr == run.avg_heart_rate


def test_gzip_bytes_is_deterministic_and_reversible(run: SyntheticRun) -> None:
    data = to_fit(run)
    packed = gzip_bytes(data)
    assert packed[4:8] == b"\0\0\0\0"  # mtime
    assert gzip.decompress(packed) == data


def test_main_writes_the_demo_file(tmp_path: Path) -> None:
    main([str(tmp_path / "out")])
    data = (tmp_path / "out" / DEMO_FILE).read_bytes()
    demo = demo_run()
    assert data == to_fit(demo)
    (session,) = _fit_messages(data)["session"]
    assert session["start_time"] == datetime(2026, 11, 23, 7, 30, tzinfo=UTC)
    assert 5900 <= session["total_distance"] <= 6100
    pace = session["total_timer_time"] / (session["total_distance"] / 1000)
    assert 345 <= pace <= 390  # about 6:00/km, warm-up included


def test_sample_file_is_up_to_date() -> None:
    assert SAMPLE_FILE.read_bytes() == to_fit(demo_run()), (
        "sample_runs/demo-easy-run.fit is stale: run `python -m recovery.synthetic sample_runs`"
    )
