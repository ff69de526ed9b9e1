"""The readers' column-at-a-time finishes give what their step-by-step forms gave, for every input.

Each reader turns its samples into streams a column at a time where a step per sample cost
more than decoding it. The steps are kept here, as they were written before, and hypothesis
holds the two equal (by repr, so NaN meets NaN and -0.0 is not 0.0).
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from recovery import bounds
from recovery.parsers import fit, gpx, tcx
from recovery.streams import Streams, from_rows

BASE = datetime(2024, 5, 1, 6, tzinfo=UTC)
maybe_float = st.none() | st.floats(allow_nan=True, allow_infinity=True)


def fit_streams_stepwise(timed: list[tuple], origin: int, relative: bool) -> Streams:
    rows = []
    for ts, lat, lon, alt, hr, dist, speed in timed:
        if (ts < fit.DATETIME_MIN) != relative:
            continue
        t = float(ts - origin)
        la, lo = fit._degrees(lat), fit._degrees(lon)
        if not bounds.is_position(la, lo):
            la = lo = None
        rows.append((t, dist, speed, hr or None, alt, la, lo))
    rows.sort(key=lambda r: r[0])
    return from_rows(rows)


semicircles = st.none() | st.integers(-(2**31), 2**31 - 1) | st.integers(-(2**29), 2**29)
fit_times = st.integers(0, 2**20) | st.integers(fit.DATETIME_MIN, fit.DATETIME_MIN + 2**20)
fit_records = st.tuples(
    fit_times,
    semicircles | st.floats(allow_nan=True),
    semicircles,
    maybe_float,
    st.none() | st.integers(0, 255),
    maybe_float,
    maybe_float,
)


@given(st.lists(fit_records, max_size=60), fit_times)
def test_fit_records_become_the_same_streams_by_column_as_by_record(timed: list[tuple], origin: int) -> None:
    relative = origin < fit.DATETIME_MIN
    records = fit.Records()
    for row in timed:
        records.append(row)
    assert repr(fit._streams(records, origin, relative)) == repr(fit_streams_stepwise(timed, origin, relative))


@given(st.lists(st.tuples(st.integers(-(2**30), 2**30), st.integers(-(2**31), 2**31 - 1)), min_size=1, max_size=40))
def test_fit_positions_on_the_globe_are_read_at_once_as_one_by_one(pairs: list[tuple[int, int]]) -> None:
    lats, lons = [a for a, _ in pairs], [b for _, b in pairs]
    one_by_one = [(la, lo) for la, lo in zip(map(fit._degrees, lats), map(fit._degrees, lons), strict=True)]
    la, lo = fit._positions(lats, lons)
    assert list(zip(la, lo, strict=True)) == one_by_one


coordinates = st.floats(-91, 91) | st.floats(allow_nan=True, allow_infinity=True)
gpx_points = st.lists(st.tuples(coordinates, st.floats(-181, 181) | coordinates), max_size=40).map(
    lambda pairs: [gpx._Point(la, lo, None, True, BASE, None) for la, lo in pairs]
)


@given(gpx_points, st.floats(0, 1e6))
def test_gpx_distance_along_a_segment_is_the_same_stepped_at_once_as_one_by_one(points, running: float) -> None:
    assert repr(gpx._along(points, running)) == repr(gpx._along_stepwise(points, running))


@given(st.lists(st.tuples(st.floats(0, 5), st.floats(0, 30) | st.just(math.nan)), max_size=40))
def test_gpx_speed_over_shifted_columns_is_the_speed_over_each_window(steps: list[tuple[float, float]]) -> None:
    t, distance, now, far = [], [], 0.0, 0.0
    for dt, dd in steps:
        now, far = now + dt, far + dd
        t.append(now)
        distance.append(far)
    n = len(t)
    windows = [(max(0, i - 2), min(n - 1, i + 2)) for i in range(n)]
    stepwise = [(distance[b] - distance[a]) / (t[b] - t[a]) if t[b] > t[a] else math.nan for a, b in windows]
    assert repr(gpx._speeds(tuple(t), tuple(distance))) == repr(stepwise)


def tcx_streams_stepwise(rows: list[tuple], origin: datetime) -> Streams:
    keep = bounds.plausible_times([r[0] for r in rows])
    timed = [((r[0] - origin).total_seconds(), *r[1:]) for r, ok in zip(rows, keep, strict=True) if ok]
    timed.sort(key=lambda r: r[0])
    return from_rows(timed)


tcx_times = (
    st.none()
    | st.integers(-600, 4000).map(lambda s: BASE + timedelta(seconds=s))
    | st.just(datetime(9999, 1, 1, tzinfo=UTC))
)
tcx_rows = st.tuples(tcx_times, maybe_float, maybe_float, maybe_float, maybe_float, maybe_float, maybe_float)


@given(st.lists(tcx_rows, max_size=50))
def test_tcx_trackpoints_become_the_same_streams_by_column_as_by_row(rows: list[tuple]) -> None:
    assert repr(tcx._timed_streams(rows, BASE)) == repr(tcx_streams_stepwise(rows, BASE))
