"""Strengthening on the days between runs: what protects the back, where stretching only soothes it.

Kept apart from the cool-down and warm-up (routine.py): it has its own
history (sessions done, by the timer, the CLI or the watch) and its own
progression.

Double progression, one exercise at a time: more reps (or a longer hold) a
step at a time up to the top of the range (rules.yaml, strength), then the
harder version (catalogue.yaml, `harder:`) from the bottom of its range.
The step is worked out again from the history on every call, never stored:

- one step up after `sessions_per_step` timer sessions that count, done at
  the current step (not its gentle version), with the back steady since
  the step began: no log at `gentle_from` or above and no rise;
- one step back when, since the step began, discomfort rose (a later log
  above an earlier one, counting logs from `recent_hours` before the step
  as the starting point, by `rise_points` or more) or reached `gentle_from`, or when the back was
  worse after a session;
- on the day itself, the gentle version at `gentle_from` or above or with a
  see-soon referral, and nothing with an urgent one.

A step changes only at the start of a session (when its routine was made),
at its end (the "how is your back now?" answer) or now, so the same history
and the same moment always give the same routine.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from recovery.coach.catalogue import Catalogue, Movement
from recovery.coach.discomfort import DiscomfortLog, Referral
from recovery.coach.routine import Item, Routine, _item, todays_discomfort
from recovery.coach.weights import Weights
from recovery.history import RoutineSession

STRENGTH = ("glute_bridge", "bird_dog", "plank", "side_plank")
NUMBER_WORDS = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")

EVIDENCE = (
    "Across 25 trials, stretching made no difference to injuries (risk ratio 0.96), while strength training cut "
    "them to about a third (0.32) (Lauersen et al., BJSM 2014).",
    "For low-back pain that keeps going, strengthening and motor-control exercise do better than stretching "
    "(Owen et al., BJSM 2020): that is what these sessions are for.",
)


def _count(n: int) -> str:
    return NUMBER_WORDS[n] if 0 <= n < len(NUMBER_WORDS) else str(n)


@dataclass(frozen=True)
class Step:
    """One rung of an exercise's ladder: which version, and how much of it."""

    variant: str  # standard | harder
    name: str
    hold_s: int | None
    reps: int | None

    @property
    def dose(self) -> str:
        if self.hold_s and self.reps:
            return f"{self.reps} x {self.hold_s} s"
        return f"{self.hold_s} s" if self.hold_s else f"{self.reps} reps"


def ladder(movement: Movement, weights: Weights) -> tuple[Step, ...]:
    """Every step of an exercise, easiest first: the standard version up to the top, then the harder one."""

    def climb(variant: str, name: str, hold_s: int | None, reps: int | None) -> list[Step]:
        if hold_s is not None:
            holds = _range(hold_s, weights.hold_step_s, weights.top_hold_s)
            return [Step(variant, name, h, reps) for h in holds]
        return [Step(variant, name, None, r) for r in _range(reps or 1, weights.rep_step, weights.top_reps)]

    steps = climb("standard", movement.name, movement.hold_s, movement.reps)
    if movement.harder is not None:
        h = movement.harder
        steps += climb("harder", h.name, h.hold_s, h.reps)
    return tuple(steps)


def _range(start: int, step: int, top: int) -> list[int]:
    values = [start]
    while values[-1] < top:
        values.append(min(values[-1] + step, top))
    return values


@dataclass(frozen=True)
class Change:
    kind: str  # up | worse | rise | high
    before: int
    after: int
    at: datetime
    score: int = 0  # the log that reached gentle_from (kind "high")


@dataclass
class Progress:
    """Where one exercise stands after the history: its step, the sessions done at it, the last change."""

    steps: tuple[Step, ...]
    level: int = 0
    done: list[datetime] = field(default_factory=list)
    since: datetime | None = None
    change: Change | None = None
    last_session: datetime | None = None

    @property
    def step(self) -> Step:
        return self.steps[self.level]


def progress(
    movement: Movement,
    sessions: Sequence[RoutineSession],
    logs: Sequence[DiscomfortLog],
    weights: Weights,
    now: datetime,
) -> Progress:
    """Replay the strength sessions before `now` to find the exercise's step today."""
    p = Progress(ladder(movement, weights))
    ordered = sorted((s for s in sessions if s.phase == "strength" and s.started_at < now),
                     key=lambda s: (s.started_at, s.finished_at))  # fmt: skip
    scored = sorted((log for log in logs if log.at <= now), key=lambda log: (log.at, log.score))
    baseline = timedelta(hours=weights.recent_hours)

    def back(at: datetime, kind: str, score: int = 0) -> None:
        before = p.level
        p.level = max(0, p.level - 1)
        p.since, p.done, p.change = at, [], Change(kind, before, p.level, at, score)

    def decide(at: datetime) -> None:
        if p.since is None:
            p.since = at
            return
        since = p.since
        new = [log for log in scored if since < log.at <= at]
        before = [log for log in scored if since - baseline <= log.at <= at]
        high = max((log.score for log in new), default=0)
        if high >= weights.gentle_from:
            back(at, "high", high)
        elif any(b.score - a.score >= weights.rise_points for b in new for a in before if a.at < b.at):
            back(at, "rise")
        elif len(p.done) >= weights.sessions_per_step and p.level + 1 < len(p.steps):
            p.change = Change("up", p.level, p.level + 1, at)
            p.level += 1
            p.since, p.done = at, []

    for s in ordered:
        offered = dict(s.items)
        if offered and movement.id not in offered:
            continue
        decide(s.started_at)
        if s.counts and offered.get(movement.id, "standard") != "gentle":
            p.done.append(s.started_at)
        if s.back_after == "worse":
            back(s.finished_at, "worse")
        p.last_session = s.started_at
    if p.since is not None:
        decide(now)
    return p


def _said(p: Progress, movement: Movement, weights: Weights) -> str:
    """What changed for this exercise since its last session and why, or where it stands."""
    step, name = p.step, p.step.name
    change = p.change
    if change is not None and (p.last_session is None or change.at > p.last_session):
        was = p.steps[change.before]
        if change.kind == "up":
            n = _count(weights.sessions_per_step)
            if step.variant != was.variant:
                return (f"{was.name}: {n} sessions at the top, {was.dose}, with your back steady: today the "
                        f"{name.lower()}, starting at {step.dose}.")  # fmt: skip
            return f"{name}: {n} sessions at {was.dose} with your back steady: today {step.dose}."
        why = {
            "worse": "your back was worse after the last session",
            "rise": "your discomfort has risen over the last sessions",
            "high": f"your discomfort reached {change.score}/10",
        }[change.kind]
        if change.after == change.before:
            return f"{was.name}: {why}, so it stays at {step.dose}, where it starts."
        if step.variant != was.variant:
            return f"{was.name}: {why}, so back to the {name.lower()} at {step.dose}."
        return f"{name}: {why}, so back to {step.dose}."
    if p.level + 1 >= len(p.steps):
        return f"{name}: {step.dose}, the top of its range: keep it there."
    nxt = p.steps[p.level + 1]
    left = max(1, weights.sessions_per_step - len(p.done))
    then = f"the {nxt.name.lower()}" if nxt.variant != step.variant else nxt.dose
    return f"{name}: {step.dose} for now; after {_count(left)} more steady session{'s' if left > 1 else ''}, {then}."


def _offered(movement: Movement, p: Progress, gentle: bool, reasons: list[str]) -> Item:
    if gentle:
        hold = (movement.gentle.hold_s if movement.gentle else movement.hold_s) if movement.hold_s else None
        return _item(movement, gentle=True, hold_s=hold, reasons=reasons)
    step = p.step
    harder = movement.harder if step.variant == "harder" else None
    per_side = harder.per_side if harder is not None and harder.per_side is not None else movement.per_side
    return Item(
        id=movement.id,
        name=step.name,
        kind=movement.kind,
        hold_s=step.hold_s,
        reps=step.reps,
        sides=2 if per_side else 1,
        variant=step.variant,
        reasons=tuple(reasons),
        steps=harder.steps if harder is not None else movement.steps,
        cues=movement.cues,
        avoid=movement.avoid,
        position=(harder.position if harder is not None else None) or movement.position,
    )


def this_week(sessions: Sequence[datetime], now: datetime) -> list[datetime]:
    """The strength sessions of the last 7 days: what the week's count (and its target) is about."""
    return [s for s in sessions if now - timedelta(days=7) < s <= now]


def build_strength(
    sessions: Sequence[datetime],
    logs: Sequence[DiscomfortLog],
    referral: Referral | None,
    catalogue: Catalogue,
    weights: Weights,
    now: datetime,
    *,
    routines: Sequence[RoutineSession] = (),
) -> Routine:
    """This week's strengthening: suggested when fewer than the target sessions were logged in 7 days.

    `sessions` are the moments of every strength session (the timer's, the
    CLI's, the watch's): they make the week's count. `routines` are the
    routine sessions the timer recorded: the strength ones among them set
    each exercise's step (see the module's docstring).
    """
    done = this_week(sessions, now)
    if referral is not None and referral.level == "urgent":
        return Routine(None, "strength", 0, (), ("Do not exercise until you have been seen.",), referral, "")
    if len(done) >= weights.sessions_per_week:
        note = f"You have done {len(done)} strength sessions in the last 7 days: that is enough for this week."
        return Routine(None, "strength", 0, (), (note,), referral, note)
    today = todays_discomfort(logs, now, weights)
    score = today.score if today else 0
    see_soon = referral is not None and referral.level == "see-soon"
    gentle = score >= weights.gentle_from or see_soon
    why = [
        f"You have logged {len(done)} of the {weights.sessions_per_week} strength sessions a week that keep "
        "the spine steady on the run.",
        *EVIDENCE,
        f"Each exercise goes up a step (more reps or a longer hold, then a harder version) after "
        f"{_count(weights.sessions_per_step)} sessions with your back steady, and back a step if your back is "
        "worse after a session or your discomfort rises.",
    ]
    if score >= weights.gentle_from:
        why.append(f"With {score}/10 discomfort logged, every exercise is its easier version today.")
    elif see_soon:
        why.append("Because you reported a warning sign, every exercise is its easier version until you have been "
                   "seen.")  # fmt: skip
    items = []
    for movement_id in STRENGTH:
        movement = catalogue.by_id(movement_id)
        p = progress(movement, routines, logs, weights, now)
        reasons = [_said(p, movement, weights)]
        if gentle and movement.gentle is not None:
            reasons.append(f"Today the {movement.gentle.name.lower()} instead, until your back settles.")
        items.append(_offered(movement, p, gentle, reasons))
    safety = ("Stop any exercise that brings on sharp pain.", "Rest a day between strength sessions.")
    total = sum(i.seconds(weights.seconds_between * 3) for i in items)
    return Routine(None, "strength", total, tuple(items), safety, referral, f"{len(items)} exercises", tuple(why))


#: A watch's strength activity this close to a session the timer or the CLI recorded is that same session.
SAME_SESSION = timedelta(hours=3)


def strength_moments(recorded: Sequence[datetime], watch: Sequence[datetime]) -> list[datetime]:
    """Every strength session once, oldest first: the recorded ones (timer, CLI) and the watch's activities.

    A runner who starts the watch's strength activity and follows the timer
    leaves two records of one session, so a watch activity within
    SAME_SESSION of a recorded session (or of an earlier watch activity)
    is not counted again.
    """
    kept = sorted(recorded)
    for moment in sorted(watch):
        if not any(abs(moment - other) <= SAME_SESSION for other in kept):
            kept.append(moment)
    return sorted(kept)
