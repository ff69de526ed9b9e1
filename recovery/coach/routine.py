"""Build today's routine: a cool-down for this run and this back, the warm-up, or strengthening.

How the cool-down is chosen, in the order a physiotherapist would think it:

1. Safety first. An urgent red flag: no routine, go and be seen. Another
   red flag or high discomfort: only the gentlest positions.
2. Not a run (a ride, a swim): no running cool-down; it still counts as load.
3. How much: an easy short run gets a short cool-down (never none), an
   ordinary run about 5-7 minutes, a long, hilly or hard one more.
4. What: the guide's four lower-back holds, plus the muscles around the
   back (hips, hamstrings, glutes), all of them and held longer after a
   demanding run, one a day in turn otherwise.
5. With discomfort: gentler versions, shorter holds, fewer positions,
   never more.

Every item carries its reasons; the routine carries the safety notes that
apply today. Variety (which surrounding stretch today) is seeded from the
run, never from the clock, so the same inputs always give the same routine.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from recovery.coach.catalogue import Catalogue, Movement
from recovery.coach.discomfort import DiscomfortLog, Referral
from recovery.coach.load import RunClass
from recovery.coach.weights import Weights
from recovery.model import Run

#: The guide's after-run holds for the lower back, in the order they are done.
CORE_COOLDOWN = ("childs_pose", "seated_forward_fold", "supine_spinal_twist", "lying_knee_hug")
#: The muscles around the back the guide says not to neglect.
AROUND_COOLDOWN = ("figure_four", "kneeling_hip_flexor", "lying_hamstring")
#: When discomfort is high: the three positions that ask least of the back.
GENTLEST = ("childs_pose", "lying_knee_hug", "supine_spinal_twist")
WARMUP = ("cat_cow", "standing_twist", "hip_circles", "knee_to_chest_march")
SECONDS_PER_REP = 3
SECOND_HOLD = "A second hold: after a run like this one these muscles are the tightest, and give most the second time."
EMPHASIS_AREAS = {"hips", "hip_flexors", "hamstrings", "glutes"}

MISTAKES = (
    "Before your next run, warm up first: a few minutes of easy jogging or brisk walking, then the warm-up moves.",
    "Let a stretch come to you: forcing a position is how stretching causes strains.",
    "Sharp pain is a signal to stop, not something to stretch through.",
    "Tight hips, hamstrings and glutes pull on the lower back: they are part of the routine for a reason.",
)


@dataclass(frozen=True)
class Item:
    id: str
    name: str
    kind: str
    hold_s: int | None
    reps: int | None
    sides: int
    variant: str  # standard | gentle
    reasons: tuple[str, ...]
    steps: tuple[str, ...] = ()
    cues: tuple[str, ...] = ()
    avoid: tuple[str, ...] = ()

    @property
    def dose(self) -> str:
        """How much, in the runner's words: "30 s", "3 x 30 s" (three holds) or "10 reps" (per side if two)."""
        if self.hold_s and self.reps:
            return f"{self.reps} x {self.hold_s} s"
        return f"{self.hold_s} s" if self.hold_s else f"{self.reps} reps"

    def seconds(self, between: int) -> int:
        if self.hold_s is not None:
            return self.hold_s * self.sides * (self.reps or 1) + between
        return (self.reps or 0) * SECONDS_PER_REP * self.sides + between


@dataclass(frozen=True)
class Routine:
    run_id: int | None
    phase: str  # cooldown | warmup | strength
    total_s: int
    items: tuple[Item, ...]
    safety: tuple[str, ...]
    referral: Referral | None
    summary: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "phase": self.phase,
            "total_s": self.total_s,
            "summary": self.summary,
            "items": [
                {
                    "id": i.id,
                    "name": i.name,
                    "kind": i.kind,
                    "hold_s": i.hold_s,
                    "reps": i.reps,
                    "dose": i.dose,
                    "sides": i.sides,
                    "variant": i.variant,
                    "reasons": list(i.reasons),
                    "steps": list(i.steps),
                    "cues": list(i.cues),
                    "avoid": list(i.avoid),
                }
                for i in self.items
            ],
            "safety": list(self.safety),
            "referral": None if self.referral is None else self.referral.to_json(),
        }


def todays_discomfort(logs: Sequence[DiscomfortLog], moment: datetime, weights: Weights) -> DiscomfortLog | None:
    """The latest log within `recent_hours` before `moment` (or up to 12 h after, for 'after the run')."""
    window_start = moment - timedelta(hours=weights.recent_hours)
    recent = [log for log in logs if window_start <= log.at <= moment + timedelta(hours=12)]
    return max(recent, key=lambda log: (log.at, log.score)) if recent else None


def _seed(run: Run) -> int:
    return int(hashlib.sha256(run.content_id.encode()).hexdigest()[:8], 16)


def _item(movement: Movement, *, gentle: bool, hold_s: int | None, reasons: list[str]) -> Item:
    variant = movement.gentle if gentle and movement.gentle else None
    reps = (variant.reps if variant else movement.reps) if movement.kind != "static" else None
    return Item(
        id=movement.id,
        name=variant.name if variant else movement.name,
        kind=movement.kind,
        hold_s=hold_s,
        reps=reps,
        sides=movement.sides,
        variant="gentle" if variant else "standard",
        reasons=tuple(reasons),
        steps=variant.steps if variant else movement.steps,
        cues=movement.cues,
        avoid=movement.avoid,
    )


def _demanding_reasons(run: Run, run_class: RunClass, weights: Weights) -> list[str]:
    km = (run.distance_m or 0) / 1000
    what = []
    if run_class.longest_in_weeks:
        what.append(f"your longest in {run_class.longest_in_weeks} weeks")
    elif run_class.is_long:
        what.append("long for you")
    if run_class.effort == "hard":
        what.append("hard for you")
    climb = _climb_per_km(run)
    if climb is not None and climb >= weights.hilly_m_per_km:
        what.append(f"hilly ({climb:.0f} m of climbing per km)")
    return [f"Your {km:.1f} km run was {' and '.join(what)}"] if what else []


def _climb_per_km(run: Run) -> float | None:
    if not run.distance_m or run.ascent_m is None or run.distance_m < 1000:
        return None
    return run.ascent_m / (run.distance_m / 1000)


def build_cooldown(
    run: Run,
    run_class: RunClass,
    logs: Sequence[DiscomfortLog],
    referral: Referral | None,
    catalogue: Catalogue,
    weights: Weights,
    *,
    run_id: int | None = None,
    notes: Sequence[str] = (),
) -> Routine:
    """The cool-down for one run: items with reasons, the safety notes and any referral.

    `notes` are facts about the load worth telling today (a sudden jump in
    the week's load, heart-rate limits that were estimated); they follow the
    safety notes.
    """
    moment = run.end_time_utc or run.start_time_utc
    today = todays_discomfort(logs, moment, weights) if moment else None
    score = today.score if today else 0
    safety = ["Hold each stretch still, with no bouncing: a mild, even pull, never pain.",
              "Breathe slowly; let each breath out soften the stretch a little."]  # fmt: skip
    if referral is not None and referral.level == "urgent":
        safety = ["Do not stretch or run until you have been seen."]
        return Routine(run_id, "cooldown", 0, (), tuple(safety), referral, "No routine today: please get seen first.")
    if not run.is_run:
        kind = run.sport.replace("_", " ")
        note = f"This was a {kind}, not a run: it counts toward your load, but gets no running cool-down."
        return Routine(run_id, "cooldown", 0, (), (note,), referral, note)

    minutes = (run.moving_s or run.elapsed_s or 0) / 60
    demanding_why = _demanding_reasons(run, run_class, weights)
    demanding = bool(demanding_why)
    red_flag = referral is not None and referral.level == "see-soon"
    gentle = score >= weights.gentle_from or red_flag
    fewer = score >= weights.fewer_from or red_flag
    short_easy = run_class.effort == "easy" and minutes < weights.short_run_minutes and not demanding

    if gentle:
        low, high = weights.eased_minutes
        ids = list(GENTLEST if fewer else (*GENTLEST, "seated_forward_fold"))
    else:
        if demanding:
            low, high = weights.extended_minutes
            ids = [*CORE_COOLDOWN, *AROUND_COOLDOWN]
        else:
            low, high = weights.short_minutes if short_easy else weights.ordinary_minutes
            turn = AROUND_COOLDOWN[_seed(run) % len(AROUND_COOLDOWN)]
            ids = [*CORE_COOLDOWN, turn] if short_easy else [*CORE_COOLDOWN, *AROUND_COOLDOWN]

    items: list[Item] = []
    for movement_id in ids:
        movement = catalogue.by_id(movement_id)
        reasons: list[str] = []
        if gentle:
            hold = min(weights.gentle_hold_s, movement.gentle.hold_s if movement.gentle else weights.gentle_hold_s)
            why = f"you logged {score}/10 discomfort today" if not red_flag else "you reported a warning sign"
            reasons.append(f"Because {why}, this is the gentler version, held {hold} s.")
            if fewer and movement_id in GENTLEST:
                reasons.append(
                    "With your back like this, the routine keeps to the three positions that ask least of it."
                )
        elif demanding and set(movement.targets) & EMPHASIS_AREAS:
            hold = weights.emphasis_hold_s
            area = _area_words(movement)
            reasons.append(f"{demanding_why[0]}, so the {area} hold is {hold} s.")
        else:
            hold = max(weights.hold_s, movement.hold_s or 0) if movement_id == "childs_pose" else weights.hold_s
        if movement_id in CORE_COOLDOWN:
            reasons.append("One of the four lower-back holds every cool-down is built on.")
        elif not demanding and not gentle:
            if short_easy:
                reasons.append(f"Today's turn for the muscles around your back ({_area_words(movement)}).")
            else:
                reasons.append(f"Your {_area_words(movement)} take part in every stride and pull on the lower back.")
        elif demanding and movement_id in AROUND_COOLDOWN and not any("hold is" in r for r in reasons):
            reasons.append(f"{demanding_why[0]}: the muscles around the back need their turn.")
        items.append(_item(movement, gentle=gentle, hold_s=hold, reasons=reasons))

    between = weights.seconds_between
    total = sum(i.seconds(between) for i in items)
    # Too long: drop from the end (the surrounding stretches go before the core four).
    while total > high * 60 and len(items) > 1:
        total -= items.pop().seconds(between)
    # Too short after a demanding run: a second hold of the hip and hamstring stretches.
    if not gentle and total < low * 60:
        for movement_id in ("figure_four", "lying_hamstring", "kneeling_hip_flexor", "childs_pose"):
            if total >= low * 60:
                break
            first = next((i for i in items if i.id == movement_id), None)
            if first is not None and total + first.seconds(between) <= high * 60:
                again = replace(first, reasons=(SECOND_HOLD,))
                items.append(again)
                total += again.seconds(between)
    if short_easy and not gentle:
        safety.append("A short, easy run needs only a short cool-down, but not none.")
    if today is not None and today.score > 0:
        safety.append(
            "Discomfort up to 5/10 during the stretches or your next runs is acceptable if it has settled by the "
            "next morning; sharp pain, or pain that rises from one day to the next, means stop. (This rule of thumb "
            "comes from tendon rehabilitation; using it for the back is a cautious borrowing.)"
        )
    safety.append(MISTAKES[_seed(run) % len(MISTAKES)])
    safety.extend(notes)
    summary = f"{len(items)} stretches, about {round(total / 60)} minutes"
    return Routine(run_id, "cooldown", total, tuple(items), tuple(safety), referral, summary)


def _area_words(movement: Movement) -> str:
    words = {"hips": "hip", "hip_flexors": "hip-flexor", "hamstrings": "hamstring", "glutes": "glute"}
    named = [words[t] for t in movement.targets if t in words]
    return " and ".join(dict.fromkeys(named)) or "lower-back"


def build_warmup(
    logs: Sequence[DiscomfortLog], referral: Referral | None, catalogue: Catalogue, weights: Weights, now: datetime
) -> Routine:
    """The dynamic warm-up before the next run, eased when the back is sore."""
    today = todays_discomfort(logs, now, weights)
    score = today.score if today else 0
    if referral is not None and referral.level == "urgent":
        return Routine(None, "warmup", 0, (), ("Do not run until you have been seen.",), referral, "No run today.")
    gentle = score >= weights.gentle_from or (referral is not None and referral.level == "see-soon")
    items = []
    for movement_id in WARMUP:
        movement = catalogue.by_id(movement_id)
        reasons = ["Moving the spine and hips through their range wakes them up without tiring them."]
        if gentle:
            reasons.append(f"With {score}/10 discomfort logged, the smaller-range version.")
        items.append(_item(movement, gentle=gentle, hold_s=None, reasons=reasons))
    safety = (
        "Start with five to ten minutes of easy jogging or brisk walking; these moves come after that.",
        "Keep every move slow and controlled: the warm-up is not the workout.",
    )
    total = sum(i.seconds(weights.seconds_between) for i in items)
    return Routine(None, "warmup", total, tuple(items), safety, referral, f"{len(items)} moves, about 5 minutes")
