"""A physiotherapist's cases: what this run asked, how this back behaves, and what happened last time.

Each test reads as a case: the run (a real file from ../shared/runs, or one
made up to be exactly that kind of session), the back, and what a careful
physio would expect of the cool-down.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from recovery.coach.catalogue import AREA_WORDS, load_catalogue
from recovery.coach.demands import run_demands
from recovery.coach.discomfort import DiscomfortLog, assess, load_red_flags
from recovery.coach.feedback import NOTHING, Learned, learn
from recovery.coach.load import Profile, RunClass, heart_time
from recovery.coach.routine import Routine, build_cooldown
from recovery.coach.weights import load_weights
from recovery.history import RoutineSession
from recovery.model import Lap, Run
from recovery.parsers import read_path

CATALOGUE = load_catalogue()
WEIGHTS = load_weights()
FLAGS = load_red_flags()
NOW = datetime(2026, 11, 24, 18, 0, tzinfo=UTC)
STEADY = RunClass("steady", False, None, ())
EASY = RunClass("easy", False, None, ())
RUNNER = Profile(max_hr=195, rest_hr=50)
NERVY = {m.id for m in CATALOGUE.movements if m.nerve_tension}


def laps_of(*parts: tuple[int, float, float]) -> tuple[Lap, ...]:
    """Laps from (how many, metres, seconds per km) groups, back to back from an hour before NOW."""
    laps, at = [], NOW - timedelta(hours=1)
    for count, metres, pace in parts:
        for _ in range(count):
            seconds = metres / 1000 * pace
            laps.append(Lap(at, seconds, seconds, metres))
            at += timedelta(seconds=seconds)
    return tuple(laps)


def made_run(
    minutes: float, km: float, *, ascent: float = 10, descent: float | None = None, laps: tuple[Lap, ...] = (),
    sport: str = "run", cid: str = "case",
) -> Run:  # fmt: skip
    return Run(
        content_id=cid, source_format="fit", sport=sport, sport_label=sport,
        start_time_utc=NOW - timedelta(minutes=minutes + 10), elapsed_s=minutes * 60, moving_s=minutes * 60,
        distance_m=km * 1000, ascent_m=ascent, descent_m=ascent if descent is None else descent, laps=laps,
    )  # fmt: skip


def cooldown(
    run: Run, run_class: RunClass = STEADY, logs: list[DiscomfortLog] = (), learned: Learned = NOTHING,
    units: str = "km", profile: Profile = RUNNER, usual: float | None = None,
) -> Routine:  # fmt: skip
    demands = run_demands(run, run_class, heart=heart_time(run), profile=profile, usual_speed=usual, units=units)
    referral = assess(logs, NOW, FLAGS)
    return build_cooldown(run, run_class, logs, referral, CATALOGUE, WEIGHTS, run_id=1, demands=demands,
                          learned=learned, units=units)  # fmt: skip


def areas(routine: Routine) -> set[str]:
    return {CATALOGUE.by_id(i.id).area for i in routine.items}


def all_reasons(routine: Routine) -> str:
    return " ".join([*routine.reasons, *(r for i in routine.items for r in i.reasons)])


def sentences(routine: Routine) -> list[str]:
    every = [*routine.reasons, *(r for i in routine.items for r in i.reasons), *routine.safety]
    return [s.strip() for text in every for s in re.split(r"(?<=[.!?])\s+", text) if s.strip()]


# -- what the run asked ------------------------------------------------------------


def test_a_hill_repeat_session_gets_calf_and_quadriceps_work_with_the_climb_and_descent_in_the_reasons() -> None:
    repeats = laps_of((1, 2000, 330), *[(1, 300, 250), (1, 300, 480)] * 8, (1, 2000, 340))
    hills = made_run(55, 9, ascent=320, descent=315, laps=repeats)
    routine = cooldown(hills)
    assert {"calves", "quadriceps"} <= areas(routine) or {"soleus", "quadriceps"} <= areas(routine)
    text = all_reasons(routine)
    assert "climbed 320 m" in text and "came down 315 m" in text


def test_a_real_hilly_half_marathon_gets_calves_quadriceps_and_glutes(shared_runs: Path) -> None:
    real = read_path(shared_runs / "sports-lib/6916728382.fit")
    routine = cooldown(real, RunClass("steady", True, None, ()))
    assert {"quadriceps", "glutes"} <= areas(routine) and areas(routine) & {"calves", "soleus"}
    assert "539 m" in all_reasons(routine) and "527 m" in all_reasons(routine)
    assert 7 * 60 <= routine.total_s <= 10 * 60


def test_an_interval_session_at_3_44_to_3_59_with_heart_rate_to_199_is_hard() -> None:
    reps = [(1, 1000, p) for p in (224, 230, 235, 239, 228, 232)]
    session = [(1, 2000, 330)] + [part for rep in reps for part in (rep, (1, 400, 400))] + [(1, 1500, 340)]
    intervals = made_run(55, 11.5, laps=laps_of(*session)).replace(avg_hr=165, max_hr=199)
    demands = run_demands(intervals, STEADY, profile=Profile(max_hr=199, rest_hr=50))
    assert demands.session == "intervals" and demands.hard
    routine = cooldown(intervals)
    assert {"hamstrings", "hip_flexors"} <= areas(routine)
    assert "3:44-3:59 /km" in all_reasons(routine)


def test_a_real_interval_session_from_a_garmin_is_recognised_from_its_laps(shared_runs: Path) -> None:
    real = read_path(shared_runs / "workoutizer/with_nones.fit")
    demands = run_demands(real, STEADY, heart=heart_time(real))
    assert demands.session == "intervals" and demands.hard
    assert {"hamstrings", "hip_flexors"} <= areas(cooldown(real))


def test_a_two_hour_run_puts_glutes_hips_and_back_first_with_longer_holds() -> None:
    routine = cooldown(made_run(125, 22, ascent=60), RunClass("steady", True, None, ()))
    assert "glutes" in areas(routine) and {"lower_back", "spine"} & areas(routine)
    glute = next(i for i in routine.items if CATALOGUE.by_id(i.id).area == "glutes")
    assert glute.hold_s == WEIGHTS.emphasis_hold_s and "2 h 05 min" in " ".join(glute.reasons)
    assert 7 * 60 <= routine.total_s <= 10 * 60


def test_an_easy_5k_stays_short() -> None:
    routine = cooldown(made_run(28, 5), EASY)
    assert 3 * 60 <= routine.total_s <= 5 * 60 and len(routine.items) <= 5
    assert routine.reasons[0].startswith("An easy 5.0 km run")


def test_a_trail_run_asks_more_of_the_feet_and_outer_hip() -> None:
    routine = cooldown(made_run(50, 9, sport="trail_run"))
    assert areas(routine) & {"feet", "outer_hip"}


REPEATS = laps_of((1, 2000, 330), *[(1, 800, 230), (1, 400, 420)] * 5, (1, 2000, 340))


def test_ten_different_runs_of_one_runner_get_routines_that_differ_where_their_demands_differ() -> None:
    runs = {
        "easy 5k": (made_run(28, 5, cid="a"), EASY),
        "steady 10k": (made_run(55, 10, cid="b"), STEADY),
        "hills": (made_run(60, 10, ascent=400, cid="c"), STEADY),
        "downhill": (made_run(50, 10, ascent=40, descent=420, cid="d"), STEADY),
        "intervals": (made_run(50, 10, cid="e", laps=REPEATS), STEADY),
        "tempo": (made_run(50, 11, cid="f", laps=laps_of((2, 1000, 330), (6, 1000, 250), (2, 1000, 340))), STEADY),
        "long": (made_run(130, 24, cid="g"), RunClass("steady", True, 8, ())),
        "trail": (made_run(60, 10, sport="trail_run", cid="h"), STEADY),
        "treadmill": (made_run(40, 8, sport="treadmill_run", ascent=0, cid="i"), STEADY),
        "track": (made_run(40, 9, sport="track_run", ascent=0, cid="j"), STEADY),
    }
    routines = {name: cooldown(r, c) for name, (r, c) in runs.items()}
    shapes = {name: frozenset(i.id for i in routine.items) for name, routine in routines.items()}
    assert len(set(shapes.values())) >= 8, "at least 8 of 10 different runs get a different set of stretches"
    assert shapes["hills"] != shapes["downhill"] != shapes["intervals"]
    assert "quadriceps" in areas(routines["downhill"]) and areas(routines["hills"]) & {"calves", "soleus"}
    assert routines["easy 5k"].total_s < routines["steady 10k"].total_s < routines["long"].total_s


# -- how this back behaves ------------------------------------------------------------


def test_pain_into_the_leg_never_gets_a_long_sitting_hamstring_fold_and_says_why() -> None:
    leg = [DiscomfortLog(NOW - timedelta(hours=1), 3, "after", "into-leg")]
    routine = cooldown(made_run(60, 11), logs=leg)
    assert not {i.id for i in routine.items} & NERVY
    assert any("sciatic nerve" in r for r in routine.reasons)
    assert routine.referral is not None and any("into your leg" in r for r in routine.referral.reasons)


def test_an_extension_preferring_back_never_gets_the_seated_forward_fold() -> None:
    prefers = [DiscomfortLog(NOW - timedelta(hours=1), 2, "after", "central", easier="backward")]
    routine = cooldown(made_run(60, 11), logs=prefers)
    ids = {i.id for i in routine.items}
    assert "seated_forward_fold" not in ids and {"sphinx", "prone_press_up"} & ids
    assert not any(CATALOGUE.by_id(i).bias == "flexion" for i in ids)


def test_a_back_that_prefers_bending_forward_gets_no_arching_positions() -> None:
    prefers = [DiscomfortLog(NOW - timedelta(hours=1), 2, "after", "central", easier="forward")]
    routine = cooldown(made_run(60, 11), logs=prefers)
    assert not any(CATALOGUE.by_id(i.id).bias == "extension" for i in routine.items)


# -- what happened after earlier routines ------------------------------------------------


def session(hours_ago: float, items: tuple[str, ...], *, variant: str = "standard", disagreed: tuple[str, ...] = (),
            back: str | None = None) -> RoutineSession:  # fmt: skip
    end = NOW - timedelta(hours=hours_ago)
    return RoutineSession(1, "cooldown", end - timedelta(minutes=6), end, len(items), len(items), 360, True,
                          tuple((i, variant) for i in items), back, disagreed)  # fmt: skip


def test_a_stretch_that_did_not_agree_comes_back_gentler_then_gives_way_to_another_for_the_same_area() -> None:
    first = cooldown(made_run(60, 11))
    hamstring = next(i for i in first.items if CATALOGUE.by_id(i.id).area == "hamstrings")
    once = learn([session(30, (hamstring.id,), disagreed=(hamstring.id,))], [], NOW)
    second = cooldown(made_run(60, 11), learned=once)
    again = next(i for i in second.items if i.id == hamstring.id)
    assert again.variant == "gentle"
    assert any("didn't agree with you" in r and "today it is the" in r for r in again.reasons)
    twice = learn([session(50, (hamstring.id,), disagreed=(hamstring.id,)),
                   session(30, (hamstring.id,), variant="gentle", disagreed=(hamstring.id,))], [], NOW)  # fmt: skip
    third = cooldown(made_run(60, 11), learned=twice)
    assert hamstring.id not in {i.id for i in third.items}
    swapped = [i for i in third.items if CATALOGUE.by_id(i.id).area == "hamstrings"]
    assert swapped and any("instead" in r for r in swapped[0].reasons)


def test_worse_after_the_last_cooldown_shortens_and_softens_the_next_and_says_so() -> None:
    worse = learn([session(5, ("childs_pose",), back="worse")], [], NOW)
    plain, softer = cooldown(made_run(60, 11)), cooldown(made_run(60, 11), learned=worse)
    assert softer.total_s < plain.total_s and all(i.variant == "gentle" for i in softer.items)
    assert any("worse straight after the last cool-down" in r for r in softer.reasons)


def test_rising_next_morning_scores_after_cooldowns_soften_the_routine() -> None:
    sessions = [session(60, ("childs_pose",)), session(30, ("childs_pose",))]
    mornings = [DiscomfortLog(NOW - timedelta(hours=45), 2, "next-morning"),
                DiscomfortLog(NOW - timedelta(hours=15), 4, "next-morning")]  # fmt: skip
    learned = learn(sessions, mornings, NOW)
    assert learned.softer is not None and "2/10 to 4/10" in learned.softer


def test_a_settled_morning_keeps_the_routine_and_no_log_is_not_a_settled_morning() -> None:
    done = session(30, ("childs_pose", "figure_four"))
    assert learn([done], [DiscomfortLog(NOW - timedelta(hours=15), 1, "next-morning")], NOW).kept_ids
    assert learn([done], [], NOW) == Learned()


# -- words a good coach would say ------------------------------------------------------


def test_in_miles_mode_the_reasons_say_miles_and_feet() -> None:
    routine = cooldown(made_run(60, 10, ascent=300), units="mi")
    text = all_reasons(routine)
    assert "6.2 mi" in text and "984 ft" in text and " km" not in text and " m (" not in text


# -- rules for every input --------------------------------------------------------------

made_runs = st.builds(
    made_run,
    minutes=st.floats(10, 300),
    km=st.floats(1, 60),
    ascent=st.floats(0, 2500),
    descent=st.one_of(st.none(), st.floats(0, 2500)),
    sport=st.sampled_from(["run", "trail_run", "treadmill_run", "track_run"]),
    cid=st.text("abcdef0123456789", min_size=1, max_size=6),
)
classes = st.builds(RunClass, st.sampled_from(["easy", "steady", "hard"]), st.booleans(),
                    st.one_of(st.none(), st.integers(4, 52)), st.just(()))  # fmt: skip
backs = st.builds(
    lambda score, where, easier: [DiscomfortLog(NOW - timedelta(hours=1), score, "after", where, easier=easier)],
    st.integers(0, 10), st.sampled_from(["central", "one-side", "into-leg"]),
    st.sampled_from([None, "forward", "backward", "neither"]),
)  # fmt: skip


@settings(max_examples=150, deadline=None)
@given(made_runs, classes, backs)
def test_every_item_has_reasons_naming_its_own_area_and_no_sentence_repeats(run, run_class, logs) -> None:
    routine = cooldown(run, run_class, logs)
    for item in routine.items:
        movement = CATALOGUE.by_id(item.id)
        words = [AREA_WORDS[t][0].split(" (")[0].split(",")[0] for t in movement.targets]
        text = " ".join(item.reasons)
        assert item.reasons and (any(w in text for w in words) or movement.name in text), (item.id, text)
    said = sentences(routine)
    assert len(said) == len(set(said)), [s for s in said if said.count(s) > 1]


@settings(max_examples=150, deadline=None)
@given(made_runs, classes, backs)
def test_pain_into_a_leg_and_a_preference_for_arching_are_always_honoured(run, run_class, logs) -> None:
    routine = cooldown(run, run_class, logs)
    ids = {i.id for i in routine.items}
    if logs[0].where == "into-leg" and logs[0].score > 0:
        assert not ids & NERVY
    if logs[0].easier == "backward":
        assert "seated_forward_fold" not in ids
    assert routine == cooldown(run, run_class, logs), "the same inputs give the same routine"


@settings(max_examples=150, deadline=None)
@given(made_runs, classes, st.sampled_from([None, "same", "better"]))
def test_worse_feedback_never_gives_a_longer_or_larger_routine(run, run_class, other) -> None:
    worse = learn([session(5, ("childs_pose",), back="worse")], [], NOW)
    calmer = learn([session(5, ("childs_pose",), back=other)], [], NOW)
    a, b = cooldown(run, run_class, learned=worse), cooldown(run, run_class, learned=calmer)
    assert a.total_s <= b.total_s and len(a.items) <= len(b.items)
    assert max((i.hold_s or 0 for i in a.items), default=0) <= max((i.hold_s or 0 for i in b.items), default=0)


@settings(max_examples=100, deadline=None)
@given(made_runs, classes, st.sampled_from(sorted(m.id for m in CATALOGUE.phase("cooldown"))))
def test_a_stretch_marked_as_disagreeing_is_never_offered_next_time_in_its_standard_form(run, run_class, marked):
    learned = learn([session(10, (marked,), disagreed=(marked,))], [], NOW)
    routine = cooldown(run, run_class, learned=learned)
    assert all(i.variant == "gentle" for i in routine.items if i.id == marked)


def test_a_real_10k_race_is_recognised_against_the_runners_usual_pace(shared_runs: Path) -> None:
    race = read_path(shared_runs / "goldencheetah/10kUNLP2014-Garmin15.fit")
    demands = run_demands(race, STEADY, usual_speed=1000 / 300)  # usually 5:00 /km; this was 3:42 /km
    assert demands.session == "race" and demands.hard
    assert "quicker than your usual pace" in demands.items[0].said


def test_a_steady_real_run_on_the_flat_asks_nothing_in_particular(shared_runs: Path) -> None:
    steady = read_path(shared_runs / "goldencheetah/Fr955v19.28andStryd.fit")
    demands = run_demands(steady, STEADY, heart=heart_time(steady), profile=Profile(max_hr=195, rest_hr=50))
    assert demands.session == "steady" and not demands.hard and not demands.demanding


def test_a_mountain_run_whose_lap_paces_follow_the_gradient_is_not_taken_for_intervals(shared_runs: Path) -> None:
    mountain = read_path(shared_runs / "sports-lib/garmin.fit")
    assert run_demands(mountain, STEADY).session != "intervals"


def test_the_coachs_own_sentences_share_no_run_of_seven_words_with_the_guide() -> None:
    guide_file = Path(__file__).resolve().parents[1].parent / "shared" / "domain" / "stretching-guide.txt"
    if not guide_file.exists():
        pytest.skip(f"the stretching guide is not at {guide_file}")

    def words(text: str) -> list[str]:
        return re.findall(r"[a-z']+", text.lower())

    guide = words(guide_file.read_text())
    shingles = {tuple(guide[i : i + 7]) for i in range(len(guide) - 6)}
    coach = Path(__file__).resolve().parents[1] / "recovery" / "coach"
    ours = words(" ".join(p.read_text() for p in sorted(coach.glob("*.py"))))
    assert not [" ".join(ours[i : i + 7]) for i in range(len(ours) - 6) if tuple(ours[i : i + 7]) in shingles]


PLURAL = [words for words, plural in AREA_WORDS.values() if plural]
SINGULAR = [words for words, plural in AREA_WORDS.values() if not plural]


@settings(max_examples=100, deadline=None)
@given(made_runs, classes, backs)
def test_reasons_agree_with_their_areas_singular_or_plural(run, run_class, logs) -> None:
    routine = cooldown(run, run_class, logs)
    text = all_reasons(routine)
    for words in PLURAL:
        assert not re.search(rf"\b{re.escape(words)} (is|takes|pulls|tires|needs|was)\b", text), words
    for words in SINGULAR:
        assert not re.search(rf"\b{re.escape(words)} (are|take|pull|tire|need|were)\b", text), words
    assert "your your" not in text and "  " not in text and ".." not in text


def test_the_warm_up_says_its_and_their_as_its_areas_need() -> None:
    from recovery.coach.routine import build_warmup

    for item in build_warmup([], None, CATALOGUE, WEIGHTS, NOW).items:
        words, plural = AREA_WORDS[CATALOGUE.by_id(item.id).area]
        for reason in item.reasons:
            if words in reason and "range" in reason:
                assert ("their range" in reason) == plural, reason
