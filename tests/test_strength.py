"""The strength routine: double progression derived from the history, and what a sore back changes."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from recovery.coach.catalogue import CatalogueError, load_catalogue, parse_catalogue
from recovery.coach.discomfort import DiscomfortLog
from recovery.coach.strength import STRENGTH, build_strength, ladder
from recovery.coach.weights import RULES_FILE, load_weights
from recovery.history import RoutineSession

CATALOGUE = load_catalogue()
WEIGHTS = load_weights()
NOW = datetime(2026, 11, 24, 18, 0, tzinfo=UTC)


def session(days_ago: float, back_after: str | None = None, *, variant: str = "standard", done: int = 4):
    start = NOW - timedelta(days=days_ago)
    items = tuple((m, variant) for m in STRENGTH)
    return RoutineSession(None, "strength", start, start + timedelta(minutes=12), 4, done, 700, done == 4, items,
                          back_after)  # fmt: skip


def log(days_ago: float, score: int) -> DiscomfortLog:
    return DiscomfortLog(NOW - timedelta(days=days_ago), score)


def strength(routines=(), logs=(), referral=None, now=NOW):
    return build_strength([], list(logs), referral, CATALOGUE, WEIGHTS, now, routines=list(routines))


def doses(routine) -> dict[str, str]:
    return {i.id: i.dose for i in routine.items}


def by_id(routine, movement_id: str):
    return next(i for i in routine.items if i.id == movement_id)


def test_with_no_history_every_exercise_starts_at_the_catalogues_dose() -> None:
    assert doses(strength()) == {"glute_bridge": "12 reps", "bird_dog": "8 reps", "plank": "3 x 30 s",
                                 "side_plank": "2 x 20 s"}  # fmt: skip


def test_two_steady_sessions_add_reps_and_seconds_and_say_why() -> None:
    routine = strength([session(5), session(3)], [log(4, 1), log(2, 1)])
    assert doses(routine) == {"glute_bridge": "14 reps", "bird_dog": "10 reps", "plank": "3 x 35 s",
                              "side_plank": "2 x 25 s"}  # fmt: skip
    assert by_id(routine, "glute_bridge").reasons[0] == (
        "Glute bridge: two sessions at 12 reps with your back steady: today 14 reps."
    )


def test_one_session_is_not_enough_to_step_up_and_says_how_many_more() -> None:
    routine = strength([session(3)])
    assert by_id(routine, "plank").dose == "3 x 30 s"
    assert "after one more steady session, 3 x 35 s" in by_id(routine, "plank").reasons[0]


def test_at_the_top_of_its_range_an_exercise_moves_on_to_its_harder_version_from_the_bottom() -> None:
    steps = ladder(CATALOGUE.by_id("plank"), WEIGHTS)
    top = [i for i, s in enumerate(steps) if s.variant == "standard"][-1]
    history = [session(60 - 3 * i) for i in range(2 * (top + 1))]
    plank = by_id(strength(history), "plank")
    assert (plank.name, plank.variant, plank.dose) == ("Plank with alternate leg lift", "harder", "3 x 20 s")
    assert plank.reasons[0].startswith("Plank: two sessions at the top, 3 x 45 s, with your back steady")
    assert plank.steps == CATALOGUE.by_id("plank").harder.steps
    bridge = by_id(strength(history), "glute_bridge")  # 12, 14, 15, then the single-leg bridge, each leg
    assert (bridge.name, bridge.sides) == ("Single-leg bridge", 2)


def test_at_the_top_of_the_harder_version_it_stays_there() -> None:
    history = [session(100 - 2 * i) for i in range(40)]
    plank = by_id(strength(history), "plank")
    assert (plank.variant, plank.hold_s) == ("harder", WEIGHTS.top_hold_s)
    assert "the top of its range" in plank.reasons[0]


def test_rising_discomfort_takes_each_exercise_one_step_back() -> None:
    steady = [session(9), session(7), session(5), session(3)]  # two steps up: 16 reps would be beyond 15
    assert by_id(strength(steady), "bird_dog").dose == "12 reps"
    rising = strength(steady, [log(6, 1), log(2, 3)])
    # Up to 10 reps at the third session; from 1/10 before that step to 3/10 since: back to 8, not on to 12.
    assert by_id(rising, "bird_dog").dose == "8 reps"
    assert by_id(rising, "bird_dog").reasons[0] == (
        "Bird dog: your discomfort has risen over the last sessions, so back to 8 reps."
    )
    level = strength(steady, [log(6, 2), log(2, 2)])  # the same discomfort throughout is steady
    assert by_id(level, "bird_dog").dose == "12 reps"


def test_a_back_worse_after_the_last_session_takes_each_exercise_one_step_back() -> None:
    history = [session(9), session(7), session(5), session(3, "worse")]
    routine = strength(history)
    assert by_id(routine, "bird_dog").dose == "8 reps"  # up to 10 at the third session, back after the fourth
    assert by_id(routine, "bird_dog").reasons[0] == (
        "Bird dog: your back was worse after the last session, so back to 8 reps."
    )
    at_start = strength([session(3, "worse")])
    assert "so it stays at 3 x 30 s, where it starts" in by_id(at_start, "plank").reasons[0]


def test_high_discomfort_today_gives_the_gentle_versions_and_says_so_once() -> None:
    routine = strength([session(5), session(3)], [log(0.1, 5)])
    assert all(i.variant == "gentle" for i in routine.items)
    assert by_id(routine, "plank").name == "Kneeling plank"
    assert sum("5/10 discomfort logged" in r for r in routine.reasons) == 1
    assert not any("5/10 discomfort logged" in r for i in routine.items for r in i.reasons)


def test_a_see_soon_referral_gives_the_gentle_versions_and_an_urgent_one_none() -> None:
    from recovery.coach.discomfort import assess, load_red_flags

    flags = load_red_flags()
    level = {f.level: name for name, f in flags.items()}
    see_soon = assess([DiscomfortLog(NOW - timedelta(hours=1), 2, red_flags=(level["see-soon"],))], NOW, flags)
    urgent = assess([DiscomfortLog(NOW - timedelta(hours=1), 2, red_flags=(level["urgent"],))], NOW, flags)
    assert all(i.variant == "gentle" for i in strength(referral=see_soon).items)
    assert strength(referral=urgent).items == ()


def test_gentle_sessions_do_not_count_toward_the_next_step() -> None:
    assert doses(strength([session(5, variant="gentle"), session(3, variant="gentle")])) == doses(strength())


def test_sessions_that_do_not_count_do_not_step_up() -> None:
    assert doses(strength([session(5, done=1), session(3, done=1)])) == doses(strength())


def test_the_whole_routines_reasons_are_said_once_and_each_items_reasons_are_its_own() -> None:
    routine = strength([session(3)])
    assert any("0 of the 2 strength sessions" in r for r in routine.reasons)
    assert any("Lauersen" in r and "0.96" in r and "0.32" in r for r in routine.reasons)
    assert any("Owen" in r for r in routine.reasons)
    item_reasons = [r for i in routine.items for r in i.reasons]
    assert len(item_reasons) == len(set(item_reasons))
    assert not set(item_reasons) & set(routine.reasons)
    assert all(i.name.split()[0] in i.reasons[0] for i in routine.items)


def test_the_step_is_derived_from_the_history_the_same_every_time() -> None:
    history = [session(9), session(7, "same"), session(5), session(3, "better")]
    logs = [log(8, 2), log(4, 2)]
    assert strength(history, logs) == strength(list(reversed(history)), list(reversed(logs)))
    # Looking again an hour later, with nothing new, changes nothing.
    assert doses(strength(history, logs)) == doses(strength(history, logs, now=NOW + timedelta(hours=1)))


RANK = {"gentle": 0, "standard": 1, "harder": 2}


def _size(item) -> tuple[int, int, int]:
    return RANK[item.variant], item.hold_s or 0, item.reps or 0


sessions_drawn = st.lists(
    st.tuples(st.integers(1, 80), st.booleans(), st.booleans(), st.sampled_from([None, "better", "same", "worse"])),
    max_size=14,
    unique_by=lambda t: t[0],
)
logs_drawn = st.lists(st.tuples(st.integers(0, 80 * 24), st.integers(0, 10)), max_size=10)


def _history(drawn):
    return [session(days, back, variant="gentle" if gentle else "standard", done=4 if counts else 1)
            for days, counts, gentle, back in drawn]  # fmt: skip


def _logs(drawn):
    return [DiscomfortLog(NOW - timedelta(hours=hours), score) for hours, score in drawn]


@settings(max_examples=300, deadline=None)
@given(sessions_drawn, logs_drawn, logs_drawn, st.integers(0, 4), st.sets(st.integers(0, 13)))
def test_more_discomfort_or_worse_feedback_never_gives_a_harder_longer_or_larger_routine(
    drawn, drawn_logs, extra_logs, raise_by, worse_at
) -> None:
    history, logs = _history(drawn), _logs(drawn_logs)
    easier = strength(history, logs)
    sorer_logs = [replace(lg, score=min(10, lg.score + raise_by)) for lg in logs]
    # An added log is more discomfort: as high as any logged (a lower one would be the back settling).
    top = max((lg.score for lg in sorer_logs), default=0)
    sorer_logs += [replace(lg, score=max(lg.score, top)) for lg in _logs(extra_logs)]
    sorer_history = [replace(s, back_after="worse") if i in worse_at else s for i, s in enumerate(history)]
    sorer = strength(sorer_history, sorer_logs)
    assert len(sorer.items) <= len(easier.items)
    for item in sorer.items:
        assert _size(item) <= _size(by_id(easier, item.id)), (item, by_id(easier, item.id))


def _rules_with(tmp_path: Path, key: str, value: str) -> tuple[Path, int]:
    lines = RULES_FILE.read_text().split("\n")
    n = next(i for i, line in enumerate(lines) if line.strip().startswith(f"{key}:"))
    lines[n] = f"  {key}: {value}"
    mutated = tmp_path / "rules.yaml"
    mutated.write_text("\n".join(lines))
    return mutated, n + 1


@pytest.mark.parametrize(
    ("key", "value", "words"),
    [("top_reps", "40", "must be between 1 and 20"), ("rep_step", "0", "must be between 1 and 5"),
     ("top_hold_s", "300", "must be between 10 and 90"), ("hold_step_s", "'five'", "must be a whole number"),
     ("sessions_per_step", "0", "must be between 1 and 10"), ("rise_points", "11", "must be between 1 and 10")],
)  # fmt: skip
def test_a_mistake_in_the_progression_weights_names_its_line(tmp_path: Path, key: str, value: str, words: str) -> None:
    mutated, line = _rules_with(tmp_path, key, value)
    with pytest.raises(CatalogueError, match=rf"rules.yaml, line {line}, field '{key}': {words}"):
        load_weights(mutated)


def test_the_shipped_progression_weights_are_read() -> None:
    assert (WEIGHTS.sessions_per_step, WEIGHTS.rep_step, WEIGHTS.top_reps, WEIGHTS.hold_step_s,
            WEIGHTS.top_hold_s) == (2, 2, 15, 5, 45)  # fmt: skip


TEXT = Path(__file__).parents[1].joinpath("recovery", "coach", "catalogue.yaml").read_text()


def _replace_block(movement_id: str, old: str, new: str) -> str:
    start = TEXT.index(f"- id: {movement_id}\n")
    end = TEXT.find("\n- id:", start)
    block = TEXT[start:end]
    assert old in block
    return TEXT[:start] + block.replace(old, new, 1) + TEXT[end:]


def _line(text: str, needle: str, after: str) -> int:
    return text[: text.index(needle, text.index(after))].count("\n") + 1


def test_every_strength_exercise_has_a_harder_version_of_its_own() -> None:
    for movement in CATALOGUE.phase("strength"):
        harder = movement.harder
        assert harder is not None and harder.name != movement.name and harder.steps != movement.steps
        assert (harder.hold_s is None) == (movement.hold_s is None)


def test_a_harder_version_is_checked_like_a_gentle_one_with_its_line() -> None:
    text = _replace_block("plank", "    name: Plank with alternate leg lift\n    hold_s: 20",
                          "    name: Plank with alternate leg lift\n    hold_s: 200")  # fmt: skip
    with pytest.raises(CatalogueError, match=rf"line {_line(text, 'hold_s: 200', '- id: plank')}, field 'hold_s'"):
        parse_catalogue(text)
    text = _replace_block("bird_dog", "3-second pause\n    reps: 6\n", "3-second pause\n    hold_s: 20\n")
    with pytest.raises(CatalogueError, match="field 'hold_s': the standard exercise is counted in reps"):
        parse_catalogue(text)
    text = _replace_block("bird_dog", "3-second pause\n    reps: 6\n", "3-second pause\n    sets: 6\n")
    with pytest.raises(CatalogueError, match=rf"line {_line(text, 'sets: 6', '- id: bird_dog')}, field 'sets'"):
        parse_catalogue(text)
    text = _replace_block("childs_pose", "  gentle:", "  harder:\n    name: Deep child's pose\n  gentle:")
    with pytest.raises(CatalogueError, match="field 'harder': only a strength exercise progresses"):
        parse_catalogue(text)
