"""Training load: TRIMP from heart rate, estimates without it, and runs judged against the runner's habits."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from recovery.coach.load import (
    EASY_TRIMP_PER_MIN,
    Profile,
    classify_run,
    ewma,
    longest_in_weeks,
    run_load,
    trend,
    trimp_per_minute,
    usual_speed,
)
from recovery.model import Run
from recovery.streams import Streams

NOW = datetime(2026, 11, 24, 18, 0, tzinfo=UTC)
PROFILE = Profile(max_hr=190, rest_hr=50)


def run(days_ago: float = 0, minutes: float = 40, km: float = 8.0, hr: float | None = 145, samples: bool = True) -> Run:
    n = int(minutes * 60 / 5) if samples and hr is not None else 0
    streams = Streams(t=tuple(i * 5.0 for i in range(n)), hr=tuple(float(hr) for _ in range(n)) if n else ())
    if n:
        nan = tuple(math.nan for _ in range(n))
        streams = Streams(t=streams.t, distance=nan, speed=nan, hr=streams.hr, altitude=nan, lat=nan, lon=nan)
    return Run(
        content_id=f"{days_ago}-{minutes}-{km}", source_format="fit", sport="run", sport_label="running",
        start_time_utc=NOW - timedelta(days=days_ago), elapsed_s=minutes * 60, moving_s=minutes * 60,
        distance_m=km * 1000, avg_hr=int(hr) if hr else None, streams=streams,
    )  # fmt: skip


def test_trimp_follows_banisters_formula() -> None:
    # 60 minutes at a heart-rate reserve of exactly 0.5, sex unknown (Runalyze's weighting).
    load = run_load(run(minutes=60, hr=120), PROFILE)
    assert load.method == "heart-rate"
    assert load.value == pytest.approx(60 * 0.5 * 0.7252 * math.exp(1.795 * 0.5), rel=0.01)
    assert load.notes == ()


def test_without_a_profile_the_heart_limits_are_estimated_and_said_so() -> None:
    load = run_load(run(), Profile(), history=[run(days_ago=3, hr=150)])
    assert any("assumed" in note or "taken as" in note for note in load.notes)


def test_without_heart_rate_the_load_comes_from_pace_against_the_runners_own() -> None:
    usual = [run(days_ago=d, minutes=50, km=10) for d in range(1, 8)]  # 5:00 /km
    faster = run_load(run(minutes=40, km=10, hr=None), PROFILE, usual)  # 4:00 /km
    slower = run_load(run(minutes=60, km=10, hr=None), PROFILE, usual)  # 6:00 /km
    assert faster.method == slower.method == "pace"
    assert faster.value / 40 > slower.value / 60, "per minute, a faster run than usual is harder"
    assert "estimated" in faster.notes[0]
    # Pages working out a whole history's loads pass the usual pace in, worked out once: the same loads.
    assert usual_speed(usual) == pytest.approx(10_000 / (50 * 60))
    for one in (run(minutes=40, km=10, hr=None), run(minutes=60, km=10, hr=None)):
        assert run_load(one, PROFILE, usual, usual=usual_speed(usual)) == run_load(one, PROFILE, usual)


def test_a_run_is_judged_against_the_runners_own_habits() -> None:
    history = [(r, run_load(r, PROFILE)) for r in (run(days_ago=d, minutes=40, hr=140) for d in range(1, 15, 2))]
    easy = run(minutes=40, hr=120)
    hard = run(minutes=40, hr=170)
    long = run(minutes=100, km=20, hr=140)
    assert classify_run(easy, run_load(easy, PROFILE), history, NOW).effort == "easy"
    assert classify_run(hard, run_load(hard, PROFILE), history, NOW).effort == "hard"
    judged = classify_run(long, run_load(long, PROFILE), history, NOW)
    assert judged.is_long and any("usual" in r for r in judged.reasons)


def test_longest_in_weeks() -> None:
    history = [run(days_ago=50, km=25), *[run(days_ago=d, km=10) for d in range(2, 40, 3)]]
    assert longest_in_weeks(run(km=24), history) == 7
    assert longest_in_weeks(run(km=9), history) is None


def test_fitness_fatigue_and_a_described_jump() -> None:
    steady = [(NOW - timedelta(days=d), 50.0) for d in range(8, 60)]
    jump = [(NOW - timedelta(days=d), 120.0) for d in range(0, 7)]
    result = trend(steady + jump, NOW)
    assert result.fatigue > result.fitness and result.form < 0
    assert result.description and "times your average week" in result.description
    assert "injur" not in result.description.lower(), "described, never predicted"
    assert trend(steady, NOW).description is None


def test_ewma_smoothing_is_one_minus_e_to_the_minus_one_over_n() -> None:
    assert ewma([100.0], 7) == pytest.approx(100 * (1 - math.exp(-1 / 7)))


@given(st.floats(40, 220), st.floats(40, 220))
def test_a_higher_heart_rate_never_gives_less_load(a: float, b: float) -> None:
    low, high = sorted((a, b))
    assert trimp_per_minute(low, 190, 50, None) <= trimp_per_minute(high, 190, 50, None)


@given(st.floats(1, 300), st.one_of(st.none(), st.floats(60, 200)))
def test_load_is_never_negative_and_grows_with_time(minutes: float, hr: float | None) -> None:
    short = run_load(run(minutes=minutes, hr=hr, samples=False), PROFILE)
    longer = run_load(run(minutes=minutes * 2, hr=hr, samples=False), PROFILE)
    assert 0 <= short.value <= longer.value


def test_the_easy_unit_matches_an_easy_heart_rate() -> None:
    assert pytest.approx(trimp_per_minute(50 + 0.6 * 140, 190, 50, None)) == EASY_TRIMP_PER_MIN
