"""The guided timer's plan: how long to get ready, what the second side says, and the words for each phase.

The browser's timer (recovery/web/static/timer.js) only counts down what this
plan says; the figures and the words live here, as plain functions, so they
are tested without a browser and the page never restates them.

The get-ready time follows where the body goes next: staying on the floor
from one stretch to the next is quick, getting up from lying to standing (or
down again) is not, and the first stretch leaves time to put the phone down.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from recovery.coach.routine import SECONDS_PER_REP, Routine

#: Seconds to get into the first position: put the phone down, find the mat.
FIRST_READY_S = 10
#: Seconds between two movements done in the same position (floor to floor).
SAME_POSITION_READY_S = 7
#: Seconds between positions close to each other (a chair and the floor, a chair and standing) or not known.
NEW_POSITION_READY_S = 10
#: Seconds to get from the floor to standing, or down again.
FLOOR_AND_STANDING_READY_S = 15
#: Seconds to change sides.
SWITCH_S = 5
#: Seconds of rest between repeated holds of one exercise (a plank's 3 x 30 s).
REST_S = 10
#: The seconds counted down aloud ("3, 2, 1") before each hold and each side.
COUNTDOWN_S = 3
#: How soon before the end of a movement its successor is announced ("Next: ...").
ANNOUNCE_NEXT_S = 6
#: What one movement is called in each phase: "Stretch 2 of 4", "Move 2 of 4", "Exercise 3 of 4".
STEP_WORDS = {"cooldown": "Stretch", "warmup": "Move", "strength": "Exercise"}

_SIDE = re.compile(r"\b(right|left|Right|Left|RIGHT|LEFT)\b(?! angle)")
_SWAP = {"right": "left", "left": "right", "Right": "Left", "Left": "Right", "RIGHT": "LEFT", "LEFT": "RIGHT"}
#: The end of a step that tells the runner to change sides, pointless on the last side.
_CHANGE_SIDES = re.compile(
    r"(?:[,;]\s*|\s+)(?:and\s+|then\s+)?(?:change (?:sides|legs)|switch sides|repeat on the other side)\.\s*$",
    re.IGNORECASE,
)


def get_ready_s(before: str | None, position: str | None, *, first: bool = False) -> int:
    """Seconds to get ready for a movement done in `position`, after one done in `before`."""
    if first:
        return FIRST_READY_S
    if before is None or position is None:
        return NEW_POSITION_READY_S
    if before == position:
        return SAME_POSITION_READY_S
    if {before, position} == {"floor", "standing"}:
        return FLOOR_AND_STANDING_READY_S
    return NEW_POSITION_READY_S


def mirrored(text: str) -> str:
    """The same words for the other side: right and left swapped, keeping their capitals ("a right angle" stays)."""
    return _SIDE.sub(lambda match: _SWAP[match.group(1)], text)


def second_side(steps: Sequence[str]) -> tuple[str, ...]:
    """A movement's steps for its second side: mirrored, and without the closing "then change sides"."""
    return tuple(_CHANGE_SIDES.sub(".", mirrored(step)) for step in steps)


def timer_plan(routine: Routine) -> dict[str, Any]:
    """What the timer page runs: the routine's JSON, each item with its get-ready time and second-side steps."""
    plan = routine.to_json()
    before: str | None = None
    for index, (item, shown) in enumerate(zip(routine.items, plan["items"], strict=True)):
        shown["get_ready_s"] = get_ready_s(before, item.position, first=index == 0)
        shown["second_side_steps"] = list(second_side(item.steps)) if item.sides == 2 else []
        before = item.position
    plan.update(
        step_word=STEP_WORDS[routine.phase],
        switch_s=SWITCH_S,
        rest_s=REST_S,
        countdown_s=COUNTDOWN_S,
        announce_next_s=ANNOUNCE_NEXT_S,
        seconds_per_rep=SECONDS_PER_REP,
    )
    return plan
