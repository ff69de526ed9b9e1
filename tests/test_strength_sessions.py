"""Strength sessions that count: the timer's, the CLI's and the watch's own strength activities."""

from __future__ import annotations

from datetime import timedelta

import pytest

from recovery.classify import apply_hint, normalise_sport
from recovery.coach.load import Profile, run_load
from recovery.coach.strength import SAME_SESSION, strength_moments
from recovery.coaching import cooldown_for, gather, strength_for
from recovery.dashboard import record_session
from recovery.history import RoutineSession
from recovery.ingest import ingest_bytes
from recovery.model import ActivityHint
from recovery.parsers import read_activity
from recovery.store import Store
from recovery.streams import Streams
from recovery.synthetic import make_run, make_strength_session, to_fit, to_tcx
from tests.conftest import NOW


def strength_fit(days_ago: float, *, heart_rate: bool = True, seed: int = 1) -> bytes:
    return to_fit(make_strength_session(seed, NOW - timedelta(days=days_ago), duration_s=1500, heart_rate=heart_rate))


@pytest.mark.parametrize(
    ("sport", "sub_sport"),
    [("training", "strength_training"), ("fitness_equipment", "strength_training"), ("generic", "strength_training")],
)
def test_the_fit_profiles_strength_training_sub_sport_is_strength_under_any_sport(sport: str, sub_sport: str) -> None:
    assert normalise_sport(sport, sub_sport) == "strength"


@pytest.mark.parametrize(
    ("sport", "sub_sport", "ours"),
    [("training", "generic", "other"), ("training", "cardio_training", "other"), ("training", "yoga", "other"),
     ("fitness_equipment", "treadmill", "treadmill_run"), ("Other", None, "other"), ("running", "trail", "trail_run"),
     ("transition", "strength_training", "other")],
)  # fmt: skip
def test_other_training_stays_what_it_was(sport: str, sub_sport: str | None, ours: str) -> None:
    assert normalise_sport(sport, sub_sport) == ours


def test_a_watch_strength_activity_parses_as_strength_indoors_and_not_a_run() -> None:
    run = read_activity(strength_fit(1), "strength.fit")
    assert run.sport == "strength" and not run.is_run
    assert not run.has_gps and not run.distance_m and run.avg_hr
    assert "strength_training" in run.sport_label


def test_a_tcx_whose_sport_is_other_stays_other() -> None:
    run = read_activity(to_tcx(make_run(3, NOW - timedelta(days=1), duration_s=600, sport="other")), "other.tcx")
    assert run.sport == "other"


def test_stravas_weight_training_label_makes_an_unnamed_activity_strength() -> None:
    run = read_activity(to_tcx(make_run(3, NOW - timedelta(days=1), duration_s=600, sport="other")), "other.tcx")
    assert apply_hint(run, ActivityHint(name="Gym", sport_label="Weight Training")).sport == "strength"


def test_a_strength_session_adds_load_by_its_heart_rate_and_none_without_it() -> None:
    with_heart = read_activity(strength_fit(1), "hr.fit")
    load = run_load(with_heart, Profile(max_hr=190, rest_hr=50))
    assert load.method == "heart-rate" and load.value > 0
    without = read_activity(strength_fit(1, heart_rate=False), "no-hr.fit")
    assert without.avg_hr is None
    load = run_load(without, Profile(max_hr=190, rest_hr=50))
    assert load.value == 0 and "strength session" in load.notes[0]
    # Whereas another activity without heart rate is still estimated from its duration.
    other = read_activity(to_tcx(make_run(3, NOW - timedelta(days=1), duration_s=600, sport="other")), "o.tcx")
    assert run_load(other.replace(avg_hr=None, streams=Streams()), Profile()).value > 0


def test_the_watchs_strength_sessions_count_toward_the_weeks_sessions(store: Store) -> None:
    outcome = ingest_bytes(store, strength_fit(2), "strength.fit", now=NOW)
    assert outcome.outcome == "not_a_run" and "strength session" in outcome.message
    gathered = gather(store, NOW)
    assert gathered.latest is None  # not a run: Today's run and its cool-down are not about it
    one = strength_for(gathered, NOW)
    assert one.items and "logged 1 of the 2" in one.reasons[0]
    ingest_bytes(store, strength_fit(5, seed=2), "strength-2.fit", now=NOW)
    two = strength_for(gather(store, NOW), NOW)
    assert two.items == () and "2 strength sessions in the last 7 days" in two.summary
    # A week later neither counts toward that week any more.
    later = NOW + timedelta(days=6)
    assert strength_for(gather(store, later), later).items


def test_a_strength_activity_gets_no_running_cool_down(store: Store) -> None:
    outcome = ingest_bytes(store, strength_fit(0.5), "strength.fit", now=NOW)
    stored = store.run(outcome.run_ids[0])
    routine = cooldown_for(store, gather(store, NOW), stored, NOW)
    assert routine is not None and routine.items == ()


def test_a_session_both_the_watch_and_the_timer_recorded_counts_once(store: Store) -> None:
    ingest_bytes(store, strength_fit(2), "strength.fit", now=NOW)
    finished = NOW - timedelta(days=2) + timedelta(minutes=30)
    items = (("glute_bridge", "standard"), ("bird_dog", "standard"), ("plank", "standard"),
             ("side_plank", "standard"))  # fmt: skip
    record_session(store, RoutineSession(None, "strength", finished - timedelta(minutes=12), finished, 4, 4, 700,
                                         True, items))  # fmt: skip
    routine = strength_for(gather(store, NOW), NOW)
    assert routine.items and "logged 1 of the 2" in routine.reasons[0]
    store.add_strength_session(NOW - timedelta(days=4))  # the CLI's, another day: a second session
    assert strength_for(gather(store, NOW), NOW).items == ()


def test_watch_sessions_are_merged_with_recorded_ones_within_a_few_hours_only() -> None:
    recorded = [NOW - timedelta(days=3), NOW - timedelta(days=1)]
    watch = [NOW - timedelta(days=3, minutes=-20), NOW - timedelta(days=2), NOW - timedelta(days=2, hours=-1)]
    assert strength_moments(recorded, watch) == sorted([*recorded, NOW - timedelta(days=2)])
    assert strength_moments([], []) == []
    just_apart = [NOW - SAME_SESSION - timedelta(seconds=1)]
    assert strength_moments([NOW], just_apart) == [*just_apart, NOW]
