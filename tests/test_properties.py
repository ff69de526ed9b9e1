"""Rules that must hold for every input, checked with hypothesis."""

from __future__ import annotations

import itertools
import math
from datetime import UTC, datetime, timedelta, timezone

import gpxpy.geo
from hypothesis import given, settings
from hypothesis import strategies as st

from recovery import bounds
from recovery.classify import is_same_activity, normalise_sport
from recovery.model import SPORTS, Run
from recovery.parsers import gpx, samples
from recovery.streams import COLUMNS, Streams, downsample, from_rows, pack, unpack

BASE = datetime(2026, 1, 1, tzinfo=UTC)
floats = st.floats(allow_nan=True, allow_infinity=False, width=32)


#: Positions are kept as 64-bit floats: drawn at full width, so storing them as 32-bit would fail.
positions = {"lat": st.floats(-90, 90) | st.just(math.nan), "lon": st.floats(-180, 180) | st.just(math.nan)}


@st.composite
def streams(draw, max_size: int = 300) -> Streams:
    columns = [positions.get(name, floats) for name in COLUMNS if name != "t"]
    rows = draw(st.lists(st.tuples(st.floats(0.0, 30.0, width=32), *columns), max_size=max_size))
    t, total = [], 0.0
    for row in rows:
        total += row[0]
        t.append(total)
    names = [name for name in COLUMNS if name != "t"]
    cols = {name: tuple(row[i + 1] for row in rows) for i, name in enumerate(names)}
    return Streams(t=tuple(t), **cols)


def _same(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or math.isclose(a, b, rel_tol=1e-6, abs_tol=1e-6)


@given(streams())
def test_streams_survive_the_blob(s: Streams) -> None:
    back = unpack(pack(s))
    assert len(back) == len(s)
    for name in COLUMNS:
        if name in ("lat", "lon"):  # exactly
            assert all(
                (math.isnan(a) and math.isnan(b)) or a == b
                for a, b in zip(back.column(name), s.column(name), strict=True)
            )
        else:  # stored as 32-bit floats
            assert all(
                _same(a, float(b)) or abs(a - b) < 1e-3 * max(1, abs(b))
                for a, b in zip(back.column(name), s.column(name), strict=True)
            )


@given(streams(max_size=600), st.integers(2, 200))
def test_downsampling_keeps_the_ends_order_and_the_cap(s: Streams, cap: int) -> None:
    small = downsample(s, cap)
    assert len(small) <= max(cap, 0) or len(small) == len(s) <= cap
    if len(s):
        assert small.t[0] == s.t[0] and small.t[-1] == s.t[-1]
    assert list(small.t) == sorted(small.t)


def test_a_one_hour_run_at_one_second_keeps_all_but_one_sample_of_3601() -> None:
    hour = from_rows((float(i), i * 3.0, 3.0, 150, 20, None, None) for i in range(3601))
    kept = downsample(hour, 3600)
    assert len(kept) == 3600
    assert kept.t[0] == 0.0 and kept.t[-1] == 3600.0


@given(st.integers(3, 2000), st.integers(2, 400), st.floats(0.2, 10.0))
def test_evenly_recorded_streams_are_cut_to_exactly_the_cap(n: int, cap: int, interval: float) -> None:
    s = from_rows((i * interval, None, None, None, None, None, None) for i in range(n))
    assert len(downsample(s, cap)) == min(n, cap)


def _run(start_min: float, minutes: float, km: float | None) -> Run:
    return Run(
        content_id="x",
        source_format="fit",
        sport="run",
        sport_label="running",
        start_time_utc=BASE + timedelta(minutes=start_min),
        elapsed_s=minutes * 60,
        moving_s=minutes * 60,
        distance_m=None if km is None else km * 1000,
    )


spans = st.tuples(st.floats(0, 600), st.floats(1, 300), st.one_of(st.none(), st.floats(0.1, 100)))


@given(spans, spans)
def test_being_the_same_activity_is_symmetric(a, b) -> None:
    assert is_same_activity(_run(*a), _run(*b)) == is_same_activity(_run(*b), _run(*a))


@given(spans, st.floats(0.5, 600))
def test_activities_that_do_not_overlap_in_time_are_never_the_same(a, gap: float) -> None:
    first = _run(*a)
    later = _run(a[0] + a[1] + gap, a[1], a[2])
    assert not is_same_activity(first, later)


@given(spans)
def test_an_activity_is_the_same_as_itself(a) -> None:
    assert is_same_activity(_run(*a), _run(*a))


@settings(max_examples=300)
@given(st.text(max_size=30), st.one_of(st.none(), st.text(max_size=20)))
def test_any_sport_label_maps_into_the_vocabulary(label: str, sub: str | None) -> None:
    assert normalise_sport(label, sub) in (*SPORTS, None)


_ZONES = st.sampled_from([UTC, None, timezone(timedelta(hours=5, minutes=30)), timezone(-timedelta(hours=23))])


@st.composite
def recording_times(draw) -> list[datetime | None]:
    """A recording's times: mostly close together in UTC, sometimes a stray year, zone, naive time or gap."""
    start = draw(st.datetimes(min_value=datetime(1890, 1, 1), max_value=datetime(2110, 1, 1)))
    steps = draw(st.lists(st.floats(0, 400 * 86400) | st.floats(0, 10), max_size=40))
    times: list[datetime | None] = []
    for step in steps:
        try:
            times.append((start + timedelta(seconds=step)).replace(tzinfo=UTC))
        except OverflowError:
            times.append(None)
    for _ in range(draw(st.integers(0, 2))):
        odd = draw(st.none() | st.datetimes(timezones=_ZONES))
        times.insert(draw(st.integers(0, len(times))), odd)
    return times


@settings(max_examples=400, deadline=None)
@given(recording_times())
def test_keeping_a_whole_recording_at_once_agrees_with_looking_at_each_time(times: list[datetime | None]) -> None:
    assert bounds.plausible_times(times) == bounds.each_plausible(times)


def test_a_recording_in_the_window_is_kept_whole_and_a_stray_year_is_dropped() -> None:
    run = [datetime(2026, 11, 20, 7, tzinfo=UTC) + timedelta(seconds=i) for i in range(5)]
    assert bounds.plausible_times(run) == [True] * 5
    stray = [*run[:2], datetime(9999, 1, 1, tzinfo=UTC), *run[2:]]
    assert bounds.plausible_times(stray) == [True, True, False, True, True, True]


_globe = st.lists(st.tuples(st.floats(-90, 90), st.floats(-180, 180)), max_size=40)


@given(_globe)
def test_haversine_steps_are_the_very_floats_of_a_call_per_step(track: list[tuple[float, float]]) -> None:
    latitudes, longitudes = [lat for lat, _ in track], [lon for _, lon in track]
    one_by_one = [samples.haversine_m(*a, *b) for a, b in itertools.pairwise(track)]
    assert samples.haversine_steps(latitudes, longitudes) == one_by_one


def _walked(start: tuple[float, float], steps: list[tuple[float, float]]) -> list[tuple[float, float]]:
    track = [start]
    for d_lat, d_lon in steps:
        track.append((track[-1][0] + d_lat, track[-1][1] + d_lon))
    return track


_step = st.floats(-0.35, 0.35)  # either side of gpxpy's 0.2 degrees between flat and haversine
_near_steps = st.builds(
    _walked, st.tuples(st.floats(-80, 80), st.floats(-170, 170)), st.lists(st.tuples(_step, _step), max_size=40)
)


@given(_globe | _near_steps)
def test_a_gpx_tracks_length_is_gpxpys_to_the_last_digit(track: list[tuple[float, float]]) -> None:
    """Near points take gpxpy's flat step and far ones its haversine: the sum is gpxpy's, float for float."""
    latitudes, longitudes = [lat for lat, _ in track], [lon for _, lon in track]
    points = [gpxpy.geo.Location(lat, lon) for lat, lon in track]
    assert gpx._length_2d(latitudes, longitudes) == (gpxpy.geo.length_2d(points) or 0)
