"""The guided timer's plan, without a browser: get-ready times that follow the change of position, the second
side's steps mirrored, the words for each phase, and what the end screen says."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from flask.testing import FlaskClient
from hypothesis import given
from hypothesis import strategies as st

from recovery.coach.catalogue import POSITIONS, CatalogueError, load_catalogue, parse_catalogue
from recovery.coach.routine import Item, Routine
from recovery.coach.timer import (
    FIRST_READY_S,
    FLOOR_AND_STANDING_READY_S,
    SAME_POSITION_READY_S,
    get_ready_s,
    mirrored,
    second_side,
    timer_plan,
)
from recovery.history import RoutineSession, Streak, done_said
from tests.conftest import NOW
from tests.test_web import csrf_token

CATALOGUE = load_catalogue()


def item(movement_id: str, position: str | None, sides: int = 1) -> Item:
    return Item(movement_id, movement_id, "static", 30, None, sides, "standard", (), ("Hug your right knee.",),
                position=position)  # fmt: skip


def test_getting_up_from_the_floor_takes_longer_than_staying_down() -> None:
    assert get_ready_s("floor", "floor") == SAME_POSITION_READY_S
    assert get_ready_s("floor", "standing") == get_ready_s("standing", "floor") == FLOOR_AND_STANDING_READY_S
    assert SAME_POSITION_READY_S < get_ready_s("chair", "floor") < FLOOR_AND_STANDING_READY_S
    assert get_ready_s(None, "floor") > SAME_POSITION_READY_S  # not known: never the shortest
    assert get_ready_s("standing", "floor", first=True) == FIRST_READY_S


@given(st.sampled_from([*POSITIONS, None]), st.sampled_from([*POSITIONS, None]))
def test_a_change_of_position_never_gets_less_time_than_staying_put(before: str | None, after: str | None) -> None:
    assert get_ready_s(before, after) >= SAME_POSITION_READY_S
    if before != after:
        assert get_ready_s(before, after) > SAME_POSITION_READY_S


def test_every_movement_in_the_catalogue_says_where_the_body_is() -> None:
    assert all(m.position in POSITIONS for m in CATALOGUE.movements)
    # A gentle version done elsewhere says so: the standing version of the kneeling hip-flexor stretch.
    kneeling = CATALOGUE.by_id("kneeling_hip_flexor")
    assert kneeling.position == "floor" and kneeling.gentle is not None and kneeling.gentle.position == "standing"


def test_a_position_the_coach_does_not_know_is_refused_with_its_line() -> None:
    text = (
        "- id: knee\n  name: Knee hug\n  phase: cooldown\n  kind: static\n"
        "  position: sofa\n  targets: [lower_back]\n  hold_s: 30\n  per_side: false\n"
        "  steps: [Hug.]\n  cues: [Breathe.]\n  avoid: [Forcing.]\n"
    )
    with pytest.raises(CatalogueError, match=r"mine.yaml, line 5, field 'position': must be one of standing"):
        parse_catalogue(text, "mine.yaml")


def test_the_second_side_says_left_where_the_first_said_right_and_drops_change_sides() -> None:
    first = ["Lie on your back and hug your right knee up.", "Look to the Right; hold, then change sides."]
    assert second_side(first) == ("Lie on your back and hug your left knee up.", "Look to the Left; hold.")
    assert second_side(["Lower, rest, and repeat on the other side."]) == ("Lower, rest.",)
    assert second_side(["Hold there, then bend the knee, lower the foot and change sides."]) == (
        "Hold there, then bend the knee, lower the foot.",
    )
    assert mirrored("Keep a right angle at the knee.") == "Keep a right angle at the knee."


@given(st.lists(st.sampled_from(["right", "left", "Right", "Left", " ", "knee", "upright", ",", "alright"]),
                max_size=12))  # fmt: skip
def test_mirroring_twice_gives_the_words_back(words: list[str]) -> None:
    text = " ".join(words)
    assert mirrored(mirrored(text)) == text
    assert mirrored(text).count("upright") == text.count("upright")  # only whole words are swapped


def test_no_second_side_of_the_catalogue_still_tells_the_runner_to_change_sides() -> None:
    for movement in CATALOGUE.movements:
        if movement.per_side:
            for step in second_side(movement.steps):
                told = re.search(r"(change|switch) (sides|legs)\.$|repeat on the other side\.$", step)
                assert not told, (movement.id, step)


def test_the_plan_gives_each_item_its_get_ready_time_and_each_phase_its_word() -> None:
    items = (item("a", "floor"), item("b", "floor", sides=2), item("c", "standing"))
    plan = timer_plan(Routine(None, "cooldown", 120, items, (), None))
    assert [i["get_ready_s"] for i in plan["items"]] == [FIRST_READY_S, SAME_POSITION_READY_S,
                                                          FLOOR_AND_STANDING_READY_S]  # fmt: skip
    assert plan["items"][1]["second_side_steps"] == ["Hug your left knee."]
    assert plan["items"][0]["second_side_steps"] == []  # one side: nothing to mirror
    words = {phase: timer_plan(Routine(None, phase, 60, items, (), None))["step_word"]
             for phase in ("cooldown", "warmup", "strength")}  # fmt: skip
    assert words == {"cooldown": "Stretch", "warmup": "Move", "strength": "Exercise"}


# -- what the end screen says ------------------------------------------------------------------------------------

MOMENT = datetime(2026, 12, 3, 7, 30, tzinfo=UTC)


def session(phase: str, done: int, planned: int = 4) -> RoutineSession:
    return RoutineSession(None, phase, MOMENT - timedelta(minutes=6), MOMENT, planned, done, 300, done == planned)


def test_a_cooldown_reports_its_streak_strength_its_week_and_a_warmup_neither() -> None:
    streak = Streak(3, 5, None)
    assert done_said(session("cooldown", 4), streak=streak) == (
        "Well done: 4 of 4 stretches recorded.", "Cool-down streak: 3 runs in a row (best 5).")
    assert done_said(session("strength", 3, 3), strength_week=(2, 2)) == (
        "Well done: 3 of 3 exercises recorded.", "Strength sessions in the last 7 days: 2 of 2.")
    message, follow = done_said(session("warmup", 4), streak=streak)
    assert message == "Well done: 4 of 4 moves recorded." and "streak" not in follow.lower()
    assert done_said(session("warmup", 0), streak=streak) == ("Nothing was done, so nothing counts yet.", "")
    assert done_said(session("cooldown", 1), streak=streak)[0] == (
        "1 of 4 recorded. Do at least half for it to count toward your streak.")


# -- a record that arrives late, kept on a phone that was offline --------------------------------------------------


def done_body(**extra: object) -> dict[str, object]:
    return {"items_planned": 4, "items_done": 4, "seconds_done": 240, "completed": True, **extra}


def test_a_warmup_recorded_offline_keeps_the_time_it_ended(client: FlaskClient) -> None:
    ended = NOW - timedelta(hours=5)
    answer = client.post("/timer/warmup/done", json=done_body(finished_at=ended.isoformat()),
                         headers={"X-CSRFToken": csrf_token(client)})  # fmt: skip
    assert answer.status_code == 201, answer.get_json()
    assert answer.get_json()["session"]["finished_at"].startswith(ended.strftime("%Y-%m-%dT%H:%M"))


def test_a_phone_whose_clock_runs_ahead_still_records_its_routine_as_ending_now(client: FlaskClient) -> None:
    answer = client.post("/timer/warmup/done", json=done_body(finished_at=(NOW + timedelta(hours=1)).isoformat()),
                         headers={"X-CSRFToken": csrf_token(client)})  # fmt: skip
    assert answer.status_code == 201, answer.get_json()
    assert answer.get_json()["session"]["finished_at"].startswith(NOW.strftime("%Y-%m-%dT%H:%M"))


@pytest.mark.parametrize("when", [timedelta(days=3), "yesterday", 12, "2026-12-01T07:00:00"])
def test_a_record_claiming_an_impossible_end_is_refused_in_one_sentence(
    client: FlaskClient, when: timedelta | str | int
) -> None:
    sent = (NOW - when).isoformat() if isinstance(when, timedelta) else when
    answer = client.post("/timer/warmup/done", json=done_body(finished_at=sent),
                         headers={"X-CSRFToken": csrf_token(client)})  # fmt: skip
    assert answer.status_code == 400
    assert answer.get_json()["error"] == (
        "The timer sent a time the routine could not have ended at; nothing was saved.")
