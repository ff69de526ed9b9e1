"""Consistency and trends as the runner sees them: streaks, the calendar, weekly sums, "your usual"."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from recovery.classify import format_pace
from recovery.coach.discomfort import DiscomfortLog
from recovery.coach.load import Profile, heart_time, run_load
from recovery.dashboard import FRESH_RUN, is_fresh_run, run_series
from recovery.history import (
    RoutineSession,
    SessionInputError,
    calendar,
    compared_with_usual,
    cooldown_streak,
    cooled_run_ids,
    feedback_said,
    parse_feedback,
    parse_items,
    weekly,
)
from recovery.model import Run
from recovery.parsers import read_activity
from recovery.synthetic import demo_run, make_run, to_fit
from tests.conftest import NOW


def run_at(start: datetime, km: float = 8.0, minutes: float = 45.0, hr: int | None = 140) -> Run:
    return Run(
        content_id=f"run-{start.isoformat()}-{km}",
        source_format="fit",
        sport="run",
        sport_label="running",
        start_time_utc=start,
        elapsed_s=minutes * 60,
        moving_s=minutes * 60,
        distance_m=km * 1000,
        avg_hr=hr,
    )


def cooled(run_id: int, at: datetime, done: int = 5, planned: int = 5) -> RoutineSession:
    return RoutineSession(run_id, "cooldown", at - timedelta(minutes=6), at, planned, done, done * 60, done == planned)


# -- a session as JSON, and what a client sends about one -----------------------------

KNOWN = {"childs_pose", "cat_cow", "supine_twist"}


def test_a_session_as_json_carries_its_stretches_and_feedback_and_its_items_parse_back() -> None:
    items = (("childs_pose", "standard"), ("cat_cow", "gentle"))
    session = RoutineSession(3, "cooldown", NOW - timedelta(minutes=5), NOW, 2, 2, 240, True, items, "same",
                             ("cat_cow",), id=12)  # fmt: skip
    as_json = session.to_json()
    assert as_json == {
        "id": 12, "run_id": 3, "phase": "cooldown", "started_at": "2026-11-24T11:55:00Z",
        "finished_at": "2026-11-24T12:00:00Z", "items_planned": 2, "items_done": 2, "seconds_done": 240,
        "completed": True, "counts": True, "items": [{"id": "childs_pose", "variant": "standard"},
                                                      {"id": "cat_cow", "variant": "gentle"}],
        "back_after": "same", "disagreed": ["cat_cow"],
    }  # fmt: skip
    assert parse_items(as_json["items"], KNOWN) == items
    assert parse_items(None, KNOWN) == ()


def test_feedback_left_out_keeps_what_is_stored_and_a_list_sent_replaces_it() -> None:
    session = RoutineSession(3, "cooldown", NOW, NOW, 2, 2, 240, True, (("childs_pose", "standard"),
                             ("cat_cow", "standard")), "worse", ("cat_cow",))  # fmt: skip
    assert parse_feedback({"back_after": "better"}, session, KNOWN) == ("better", ("cat_cow",))
    assert parse_feedback({"disagreed": ["childs_pose", "childs_pose"]}, session, KNOWN) == ("worse", ("childs_pose",))
    assert parse_feedback({"back_after": None, "disagreed": []}, session, KNOWN) == (None, ())
    # Only this routine's stretches; for a session stored without them, any the catalogue knows.
    try:
        parse_feedback({"disagreed": ["supine_twist"]}, session, KNOWN)
    except SessionInputError as exc:
        assert str(exc) == "Only a stretch of this routine can be marked as not agreeing; the feedback was not saved."
    else:
        raise AssertionError("a stretch the routine did not offer was taken")
    bare = RoutineSession(None, "warmup", NOW, NOW, 2, 2, 60, True)
    assert parse_feedback({"disagreed": ["supine_twist"]}, bare, KNOWN) == (None, ("supine_twist",))


def test_the_end_screen_says_what_was_saved_in_words() -> None:
    session = RoutineSession(3, "cooldown", NOW, NOW, 2, 2, 240, True, back_after="same", disagreed=("a", "b"))
    assert feedback_said(session) == "Saved: your back feels the same and 2 stretches did not agree with you."
    strength = RoutineSession(None, "strength", NOW, NOW, 2, 2, 240, True, disagreed=("a",))
    assert feedback_said(strength) == "Saved: 1 exercise did not agree with you."


def test_a_run_is_todays_for_a_day_after_it_ended_and_then_the_warmup_leads() -> None:
    run = run_at(NOW - timedelta(hours=30), minutes=60)  # ended 29 hours before NOW
    end = NOW - timedelta(hours=29)
    assert is_fresh_run(run, end + timedelta(minutes=5))
    assert is_fresh_run(run, end + FRESH_RUN)
    assert not is_fresh_run(run, end + FRESH_RUN + timedelta(minutes=1))
    assert not is_fresh_run(run, NOW)
    assert is_fresh_run(run, end - timedelta(minutes=10))  # a watch's clock a little ahead
    undated = Run("x", "fit", "run", "running", None, 1800.0, 1800.0, 5000.0)
    assert not is_fresh_run(undated, NOW)


# -- streaks --------------------------------------------------------------------


def test_the_streak_counts_runs_in_a_row_with_a_cooldown_back_from_the_newest() -> None:
    starts = [(i, NOW - timedelta(days=10 - i)) for i in range(1, 8)]  # runs 1..7, oldest first
    sessions = [cooled(i, start + timedelta(hours=1)) for i, start in starts if i not in (3,)]
    streak = cooldown_streak(starts, cooled_run_ids(sessions), NOW)
    assert (streak.current, streak.best) == (4, 4)  # 4, 5, 6, 7 in a row; run 3 broke it


def test_todays_run_waiting_for_its_cooldown_does_not_break_the_streak() -> None:
    starts = [(1, NOW - timedelta(days=2)), (2, NOW - timedelta(hours=3))]
    streak = cooldown_streak(starts, {1}, NOW)
    assert (streak.current, streak.waiting_run_id) == (1, 2)
    # A day later, still nothing done: now it breaks the streak.
    later = cooldown_streak(starts, {1}, NOW + timedelta(days=1))
    assert (later.current, later.waiting_run_id, later.best) == (0, None, 1)


def test_a_cooldown_counts_when_at_least_half_of_it_was_done() -> None:
    starts = [(1, NOW - timedelta(hours=30))]
    assert cooldown_streak(starts, cooled_run_ids([cooled(1, NOW, done=3, planned=6)]), NOW).current == 1
    assert cooldown_streak(starts, cooled_run_ids([cooled(1, NOW, done=2, planned=6)]), NOW).current == 0
    warmup = RoutineSession(1, "warmup", NOW, NOW, 4, 4, 120, True)
    assert cooldown_streak(starts, cooled_run_ids([warmup]), NOW).current == 0


@given(
    st.lists(st.tuples(st.integers(0, 2000), st.booleans()), max_size=40, unique_by=lambda pair: pair[0]),
)
def test_streaks_never_exceed_the_runs_cooled_and_the_current_never_beats_the_best(
    runs: list[tuple[int, bool]],
) -> None:
    starts = [(i, NOW - timedelta(hours=hours + 25)) for i, (hours, _) in enumerate(runs)]
    sessions = [cooled(i, NOW) for i, (_, done) in enumerate(runs) if done]
    streak = cooldown_streak(starts, cooled_run_ids(sessions), NOW)
    assert 0 <= streak.current <= streak.best <= len(sessions)
    if runs and all(done for _, done in runs):
        assert streak.current == streak.best == len(runs)


@given(st.lists(st.integers(0, 2000), min_size=1, max_size=30, unique=True))
def test_a_cooldown_for_the_newest_run_always_moves_the_streak_up_by_one(hours: list[int]) -> None:
    starts = [(i, NOW - timedelta(hours=h + 25)) for i, h in enumerate(hours)]
    newest = min(range(len(hours)), key=lambda i: hours[i])
    before = cooldown_streak(starts, set(), NOW)
    after = cooldown_streak(starts, {newest}, NOW)
    assert (before.current, after.current) == (0, 1)


# -- calendar and weeks ---------------------------------------------------------


def test_the_calendar_puts_a_late_evening_run_on_the_runners_own_day() -> None:
    late = datetime(2026, 11, 20, 23, 30, tzinfo=UTC)  # Saturday 00:30 in Paris
    days = calendar([run_at(late)], [], [], ZoneInfo("Europe/Paris"), start=date(2026, 11, 1), end=NOW.date())
    assert [(d.day, d.distance_km, d.runs) for d in days] == [(date(2026, 11, 21), 8.0, 1)]
    utc = calendar([run_at(late)], [], [], ZoneInfo("UTC"), start=date(2026, 11, 1), end=NOW.date())
    assert utc[0].day == date(2026, 11, 20)


def test_the_calendar_marks_cooldowns_and_the_worst_discomfort_of_each_day() -> None:
    start = datetime(2026, 11, 22, 8, tzinfo=UTC)
    logs = [DiscomfortLog(start + timedelta(hours=2), 2), DiscomfortLog(start + timedelta(hours=9), 5)]
    days = calendar([run_at(start)], [cooled(1, start + timedelta(hours=1))], logs, ZoneInfo("UTC"),
                    start=date(2026, 11, 1), end=NOW.date())  # fmt: skip
    [day] = days
    assert day.cooldown_done and day.discomfort == 5


def test_weekly_sums_distance_load_and_the_share_of_runs_cooled_down() -> None:
    monday = datetime(2026, 11, 16, 7, tzinfo=UTC)
    runs = [(i, run_at(monday + timedelta(days=i), km=10), 50.0) for i in range(4)]
    ride = Run("ride", "fit", "ride", "cycling", monday, 3600, 3600, 30_000)
    sessions = [cooled(0, monday), cooled(1, monday + timedelta(days=1))]
    weeks = weekly([*runs, (9, ride, 80.0)], sessions, [DiscomfortLog(monday, 3)], ZoneInfo("UTC"),
                   end=NOW.date(), weeks=3)  # fmt: skip
    assert [w.start for w in weeks] == [date(2026, 11, 9), date(2026, 11, 16), date(2026, 11, 23)]
    week = weeks[1]
    assert (week.distance_km, week.load, week.runs, week.cooled, week.discomfort_max) == (40.0, 280.0, 4, 2, 3)
    assert week.cooldown_share == 0.5  # the ride's load counts; its distance and cool-down do not
    assert weeks[2].runs == 0 and weeks[2].cooldown_share is None


# -- compared with the usual ----------------------------------------------------


def test_a_run_is_compared_with_the_runners_last_eight_weeks() -> None:
    earlier = [run_at(NOW - timedelta(days=d), km=8.0, minutes=44.0, hr=140) for d in (3, 6, 9, 12)]
    today = run_at(NOW, km=16.0, minutes=96.0, hr=150)
    text = compared_with_usual(today, earlier)
    assert text == "2.0x your usual 8.0 km, 30 s/km slower than usual, heart rate 10 bpm higher"
    same = compared_with_usual(run_at(NOW, km=8.0, minutes=44.0, hr=141), earlier, units="mi")
    assert same == "about your usual 5.0 mi, at your usual pace"


def test_with_fewer_than_three_earlier_runs_there_is_no_usual_to_compare_with() -> None:
    assert compared_with_usual(run_at(NOW), [run_at(NOW - timedelta(days=2))]) is None


def test_pace_reads_the_way_runners_say_it_in_either_unit() -> None:
    assert format_pace(10_000, 3000) == "5:00 /km"
    assert format_pace(1609.344, 480, "mi") == "8:00 /mi"
    assert format_pace(0, 100) == "no pace"


# -- the per-run charts and the load worked out from kept heart-rate times ----------


def test_the_pace_chart_is_smoothed_and_leaves_out_standing_still() -> None:
    run = read_activity(to_fit(demo_run()), "demo.fit")
    series = run_series(run)
    paces = [p for p in series["pace"].values if p is not None]
    assert paces and 240 < sorted(paces)[len(paces) // 2] < 480  # the demo's easy pace, in s/km
    assert len(series["hr"].values) == len(run.streams)
    miles = run_series(run, "mi")["pace"].values
    ratio = next(m for m in miles if m) / next(k for k in series["pace"].values if k)
    assert abs(ratio - 1.609344) < 1e-6


def test_the_load_from_kept_heart_rate_times_equals_the_load_from_the_samples() -> None:
    run = read_activity(to_fit(make_run(5, NOW - timedelta(days=1), duration_s=2400)), "r.fit")
    heart = heart_time(run)
    assert heart is not None and abs(sum(heart.seconds_at.values()) - heart.covered_s) < 1e-6
    profile = Profile(max_hr=190, rest_hr=50)
    without_samples = run.replace(streams=type(run.streams)())
    assert run_load(without_samples, profile, heart=heart) == run_load(run, profile)
    again = type(heart).from_json(heart.to_json())
    assert run_load(without_samples, profile, heart=again).value == run_load(run, profile).value
