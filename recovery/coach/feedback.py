"""What happened after earlier routines, as the coach uses it: the loop from a routine to the next morning.

- A stretch marked "this one didn't agree with me" is offered next time in
  its gentler version; marked again in that version, it gives way to
  another stretch for the same area.
- A cool-down followed by a settled morning (a next-morning log of 2/10 or
  less) is kept as it was.
- "Worse" when the timer ended, or next-morning scores rising over the last
  two cool-downs, shorten and soften the next routine, and say so.

No log the next morning is no information, never a settled morning.
Pure: sessions, logs and `now` come in as arguments.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from recovery.coach.discomfort import SETTLED_SCORE, DiscomfortLog
from recovery.history import RoutineSession

#: How far back a "didn't agree" still counts.
REMEMBER = timedelta(days=90)
#: A next-morning log this long after a cool-down answers for it.
MORNING_FROM = timedelta(hours=4)
MORNING_TO = timedelta(hours=36)


@dataclass(frozen=True)
class Learned:
    """What earlier routines taught, for the next one."""

    #: Movement id -> the version that did not agree: "standard" (offer the gentle one) or "gentle" (offer another).
    disagreed: dict[str, str] = field(default_factory=dict)
    #: Why the next routine should be shorter and gentler, or None.
    softer: str | None = None
    #: Why the next routine keeps to the last one's stretches, or None.
    kept: str | None = None
    #: The movements of the last cool-down followed by a settled morning.
    kept_ids: tuple[str, ...] = ()


NOTHING = Learned()


def morning_after(session: RoutineSession, logs: Sequence[DiscomfortLog]) -> DiscomfortLog | None:
    """The first next-morning log after a routine, within MORNING_FROM..MORNING_TO of its end."""
    start, end = session.finished_at + MORNING_FROM, session.finished_at + MORNING_TO
    mornings = [log for log in logs if log.when == "next-morning" and start <= log.at <= end]
    return min(mornings, key=lambda log: (log.at, log.score)) if mornings else None


def learn(sessions: Sequence[RoutineSession], logs: Sequence[DiscomfortLog], now: datetime) -> Learned:
    """What the cool-downs done so far say about the next one."""
    done = sorted(
        (s for s in sessions if s.phase == "cooldown" and s.finished_at <= now),
        key=lambda s: (s.finished_at, s.started_at),
    )
    disagreed: dict[str, str] = {}
    for session in done:
        if now - session.finished_at > REMEMBER:
            continue
        offered = dict(session.items)
        for movement_id in session.disagreed:
            variant = offered.get(movement_id, "standard")
            # The gentle version disagreeing is the stronger signal; it is never undone by a later standard mark.
            if disagreed.get(movement_id) != "gentle":
                disagreed[movement_id] = variant

    softer = None
    if done and done[-1].back_after == "worse" and now - done[-1].finished_at <= MORNING_TO:
        softer = "Your back felt worse straight after the last cool-down, so today's is shorter and gentler."
    answered = [(s, m) for s in done if (m := morning_after(s, logs)) is not None]
    if softer is None and len(answered) >= 2:
        (_, before), (_, latest) = answered[-2], answered[-1]
        if latest.score > before.score and latest.score > SETTLED_SCORE and now - latest.at <= MORNING_TO * 2:
            softer = (
                f"The mornings after your last two cool-downs went from {before.score}/10 to {latest.score}/10, "
                "so today's is shorter and gentler."
            )
    kept: str | None = None
    kept_ids: tuple[str, ...] = ()
    if softer is None and answered:
        session, morning = answered[-1]
        if morning.score <= SETTLED_SCORE and session.items and session.back_after != "worse":
            kept_ids = tuple(movement_id for movement_id, _ in session.items)
            kept = (f"Your back was settled ({morning.score}/10) the morning after your last cool-down, "
                    "so its stretches stay.")  # fmt: skip
    return Learned(disagreed, softer, kept, kept_ids)
