"""The cool-down, warm-up and strength routines: a physio's cases, and rules for every input."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from recovery.coach.catalogue import load_catalogue
from recovery.coach.discomfort import DiscomfortLog, assess, load_red_flags
from recovery.coach.load import Profile, RunClass, classify_run, run_load
from recovery.coach.routine import build_cooldown, build_warmup
from recovery.coach.strength import build_strength
from recovery.coach.weights import load_weights
from recovery.model import Run
from recovery.parsers import read_path

CATALOGUE = load_catalogue()
WEIGHTS = load_weights()
FLAGS = load_red_flags()
NOW = datetime(2026, 11, 24, 18, 0, tzinfo=UTC)
EASY = RunClass("easy", False, None, ())


def run(minutes: float, km: float, ascent: float = 20, sport: str = "run", cid: str = "r") -> Run:
    return Run(
        content_id=cid, source_format="fit", sport=sport, sport_label=sport,
        start_time_utc=NOW - timedelta(minutes=minutes + 10), elapsed_s=minutes * 60, moving_s=minutes * 60,
        distance_m=km * 1000, ascent_m=ascent, avg_hr=140,
    )  # fmt: skip


def logs(*scores: int, hours_ago: float = 0.1, **kw) -> list[DiscomfortLog]:
    return [DiscomfortLog(NOW - timedelta(hours=hours_ago + i), s, **kw) for i, s in enumerate(reversed(scores))]


def cooldown(r: Run, run_class: RunClass = EASY, discomfort: list[DiscomfortLog] = ()):
    return build_cooldown(r, run_class, discomfort, assess(discomfort, NOW, FLAGS), CATALOGUE, WEIGHTS, run_id=7)


def test_an_easy_5k_with_no_discomfort_gets_a_short_cooldown_not_none() -> None:
    routine = cooldown(run(26, 5))
    assert 3 * 60 <= routine.total_s <= 5 * 60
    assert [i.id for i in routine.items][:4] == ["childs_pose", "seated_forward_fold", "supine_spinal_twist",
                                                 "lying_knee_hug"]  # fmt: skip
    assert all(i.variant == "standard" and i.reasons for i in routine.items)
    assert routine.referral is None
    assert any("short cool-down, but not none" in s for s in routine.safety)


def test_a_32k_long_run_gets_longer_hip_and_hamstring_holds_with_the_reason() -> None:
    long_run = RunClass("steady", True, 6, ())
    routine = cooldown(run(180, 32), long_run)
    assert 7 * 60 <= routine.total_s <= 10 * 60
    glutes = next(i for i in routine.items if i.id == "figure_four")
    assert glutes.hold_s == 30
    assert any("long, 3 h 00 min for 32.0 km, your longest in 6 weeks" in r and "glutes" in r for r in glutes.reasons)
    assert "The areas this run worked hardest are held 30 s, the rest 25 s." in routine.reasons
    assert {"figure_four", "lying_hamstring"} <= {i.id for i in routine.items}


def test_a_hard_interval_session_with_discomfort_6_is_gentle_and_short() -> None:
    routine = cooldown(run(50, 10), RunClass("hard", False, None, ()), logs(6, when="after"))
    assert [i.id for i in routine.items] == ["childs_pose", "lying_knee_hug", "supine_spinal_twist"]
    assert all(i.variant == "gentle" and i.hold_s == 20 for i in routine.items)
    assert routine.total_s <= 5 * 60
    assert any("up to 5/10" in s and "cautious borrowing" in s for s in routine.safety)


def test_a_red_flag_gives_the_urgent_message_and_no_routine() -> None:
    routine = cooldown(run(40, 8), discomfort=logs(3, red_flags=("bladder_bowel",)))
    assert routine.items == () and routine.referral.level == "urgent"
    assert routine.to_json()["referral"]["text"].startswith("Go to an emergency department now")


def test_three_rising_logs_attach_a_referral_to_the_routine() -> None:
    rising = [DiscomfortLog(NOW - timedelta(days=d), s) for d, s in ((5, 1), (3, 2), (0.1, 3))]
    routine = cooldown(run(40, 8), discomfort=rising)
    assert routine.referral.level == "consider" and routine.items


def test_a_ride_gets_no_running_cooldown() -> None:
    routine = cooldown(run(60, 25, sport="ride"))
    assert routine.items == () and "not a run" in routine.safety[0]


def test_a_real_long_run_from_a_coros_watch(shared_runs: Path) -> None:
    real = read_path(shared_runs / "sports-lib/6916728382.fit")
    load = run_load(real, Profile())
    routine = build_cooldown(real, classify_run(real, load, [], real.start_time_utc), [], None, CATALOGUE, WEIGHTS)
    assert 7 * 60 <= routine.total_s <= 10 * 60
    assert routine.reasons[0].startswith("Your 21.5 km run: long and hilly.")


def test_the_json_has_the_documented_names() -> None:
    data = cooldown(run(40, 8)).to_json()
    assert {"run_id", "phase", "total_s", "items", "safety", "referral"} <= set(data)
    assert {"id", "name", "kind", "hold_s", "reps", "sides", "variant", "reasons"} <= set(data["items"][0])
    assert data["phase"] == "cooldown" and data["run_id"] == 7


def test_warmup_and_strength() -> None:
    warmup = build_warmup([], None, CATALOGUE, WEIGHTS, NOW)
    assert [i.id for i in warmup.items] == ["cat_cow", "standing_twist", "hip_circles", "knee_to_chest_march"]
    assert all(i.kind == "dynamic" and i.reps for i in warmup.items)
    strength = build_strength([NOW - timedelta(days=2)], [], None, CATALOGUE, WEIGHTS, NOW)
    assert {i.id for i in strength.items} == {"plank", "side_plank", "glute_bridge", "bird_dog"}
    doses = {i.id: i.dose for i in strength.items}  # what the page, the timer and the CLI all show
    assert doses == {"plank": "3 x 30 s", "side_plank": "2 x 20 s", "glute_bridge": "12 reps", "bird_dog": "8 reps"}
    assert {i.dose for i in warmup.items} == {f"{i.reps} reps" for i in warmup.items}
    enough = build_strength([NOW - timedelta(days=1), NOW - timedelta(days=4)], [], None, CATALOGUE, WEIGHTS, NOW)
    assert enough.items == ()


runs = st.builds(
    run,
    minutes=st.floats(5, 300),
    km=st.floats(0.5, 60),
    ascent=st.floats(0, 2000),
    cid=st.text("abcdef0123456789", min_size=1, max_size=8),
)
classes = st.builds(RunClass, st.sampled_from(["easy", "steady", "hard"]), st.booleans(),
                    st.one_of(st.none(), st.integers(4, 52)), st.just(()))  # fmt: skip
flag_sets = st.lists(st.sampled_from(sorted(FLAGS)), max_size=2).map(tuple)


@settings(max_examples=200, deadline=None)
@given(runs, classes, st.integers(0, 10), st.integers(0, 10))
def test_more_discomfort_never_means_longer_holds_more_positions_or_harder_versions(r, c, a, b) -> None:
    low, high = sorted((a, b))
    easier, sorer = cooldown(r, c, logs(low)), cooldown(r, c, logs(high))
    assert max((i.hold_s for i in sorer.items), default=0) <= max((i.hold_s for i in easier.items), default=0)
    assert len(sorer.items) <= len(easier.items)
    gentle_before = {i.id for i in easier.items if i.variant == "gentle"}
    assert gentle_before <= {i.id for i in sorer.items if i.variant == "gentle"} | (
        {i.id for i in easier.items} - {i.id for i in sorer.items}
    )


@settings(max_examples=200, deadline=None)
@given(runs, classes, st.integers(0, 10), flag_sets)
def test_every_cooldown_keeps_its_holds_time_and_reasons_in_bounds(r, c, score, flags) -> None:
    routine = cooldown(r, c, logs(score, red_flags=flags))
    for item in routine.items:
        assert 20 <= item.hold_s <= 30, "static holds after a run are 20-30 s"
        assert item.reasons
    if any(FLAGS[f].level == "urgent" for f in flags):
        assert routine.items == () and routine.referral.level == "urgent"
    elif (routine.referral is not None and routine.referral.level == "see-soon") or score >= WEIGHTS.gentle_from:
        assert all(i.variant == "gentle" for i in routine.items)
        assert 60 <= routine.total_s <= 5 * 60
    else:
        assert 3 * 60 <= routine.total_s <= 10 * 60
    assert routine == cooldown(r, c, logs(score, red_flags=flags)), "the same inputs give the same routine"


def test_a_mistake_in_the_rule_weights_names_its_line(tmp_path: Path) -> None:
    import pytest

    from recovery.coach.catalogue import CatalogueError
    from recovery.coach.weights import RULES_FILE

    lines = RULES_FILE.read_text().split("\n")
    n = next(i for i, line in enumerate(lines) if line.strip().startswith("emphasis_hold_s:"))
    lines[n] = "  emphasis_hold_s: 45"
    mutated = tmp_path / "rules.yaml"
    mutated.write_text("\n".join(lines))
    with pytest.raises(CatalogueError, match=rf"rules.yaml, line {n + 1}, field 'emphasis_hold_s': must be between 20"):
        load_weights(mutated)
