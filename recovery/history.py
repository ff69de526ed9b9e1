"""Consistency and trends: streaks, the calendar, weekly sums, "compared with your usual".

Pure functions over runs, routine sessions and discomfort logs; the caller
passes the runner's time zone and `now`. The dashboard's history page and
today's page are drawn from these.

A cool-down *counts* toward the streak when at least half of its stretches
were done (finishing with a skip or two still counts; opening the timer and
closing it does not). The streak is counted in runs, not days: a runner who
runs three times a week and cools down after each has a streak that grows by
three a week. The newest run does not break the streak while there is still
time to do its cool-down (the day after it).
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, tzinfo
from typing import Any

from recovery.classify import KM_PER_MILE
from recovery.coach.discomfort import DiscomfortLog
from recovery.model import Run, iso_utc

#: How long after a run its cool-down may still be done without breaking the streak.
COOLDOWN_GRACE = timedelta(hours=24)
#: "Your usual": the runner's runs over this span before the one being compared.
USUAL_WINDOW = timedelta(weeks=8)


#: "How is your back now?" when the timer ends.
BACK_AFTER = ("better", "same", "worse")
#: The versions of a movement a routine may offer.
VARIANTS = ("standard", "gentle", "harder")
#: The most movements one routine session may list (the timer's own bound on items_planned).
MOST_ITEMS = 100


@dataclass(frozen=True)
class RoutineSession:
    """A guided routine done (whole or in part), recorded when the timer stops.

    As JSON (`to_json`; the timer's record and feedback replies, and the phone app later)::

        {"id": 12, "run_id": 3, "phase": "cooldown",
         "started_at": "2026-11-24T07:00:00Z", "finished_at": "2026-11-24T07:06:00Z",
         "items_planned": 6, "items_done": 6, "seconds_done": 330, "completed": true, "counts": true,
         "items": [{"id": "childs_pose", "variant": "standard"}, ...],
         "back_after": "worse",            # better | same | worse | null (not answered)
         "disagreed": ["childs_pose"]}     # movement ids, each one of `items`

    What a client sends is read by `parse_items` (the record's "items") and
    `parse_feedback` (the feedback's "back_after" and "disagreed").
    """

    run_id: int | None
    phase: str  # cooldown | warmup | strength
    started_at: datetime
    finished_at: datetime
    items_planned: int
    items_done: int
    seconds_done: int
    completed: bool  # reached the end (some stretches may have been skipped)
    #: The movements as offered, in order: (movement id, "standard" | "gentle").
    items: tuple[tuple[str, str], ...] = ()
    #: "How is your back now?" when the timer ended: better | same | worse (None: not answered).
    back_after: str | None = None
    #: Movement ids marked "this one didn't agree with me".
    disagreed: tuple[str, ...] = ()
    #: The store's id for it (None until stored); not part of what the session *is*.
    id: int | None = field(default=None, compare=False)

    @property
    def counts(self) -> bool:
        """Enough of the routine was done to count it as done."""
        return self.items_done > 0 and self.items_done * 2 >= self.items_planned

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "run_id": self.run_id,
            "phase": self.phase,
            "started_at": iso_utc(self.started_at),
            "finished_at": iso_utc(self.finished_at),
            "items_planned": self.items_planned,
            "items_done": self.items_done,
            "seconds_done": self.seconds_done,
            "completed": self.completed,
            "counts": self.counts,
            "items": items_json(self.items),
            "back_after": self.back_after,
            "disagreed": list(self.disagreed),
        }


class SessionInputError(ValueError):
    """What a client sent about a routine session cannot be taken; the message is one sentence for the runner."""


def items_json(items: Iterable[tuple[str, str]]) -> list[dict[str, str]]:
    """Offered movements as JSON (and as the store keeps them): [{"id": ..., "variant": ...}]."""
    return [{"id": movement_id, "variant": variant} for movement_id, variant in items]


def parse_items(value: object, known: Collection[str]) -> tuple[tuple[str, str], ...]:
    """The "items" a timer sends with its record: a list of {"id", "variant"}, each id one of `known`.

    Absent (None) is no items. Raises SessionInputError for anything else malformed.
    """
    if value is None:
        return ()
    if not isinstance(value, list) or len(value) > MOST_ITEMS:
        raise SessionInputError(f"The timer sent its stretches in a form it should not (a list of at most "
                                f"{MOST_ITEMS}); nothing was saved.")  # fmt: skip
    items = []
    for entry in value:
        if not isinstance(entry, Mapping) or set(entry) != {"id", "variant"}:
            raise SessionInputError('Each stretch the timer sends needs an "id" and a "variant"; nothing was saved.')
        movement_id, variant = entry["id"], entry["variant"]
        if not isinstance(movement_id, str) or movement_id not in known:
            raise SessionInputError("The timer sent a stretch the coach does not know; nothing was saved.")
        if variant not in VARIANTS:
            raise SessionInputError('A stretch\'s variant is "standard", "gentle" or "harder"; nothing was saved.')
        items.append((movement_id, str(variant)))
    return tuple(items)


_NOT_SAVED = "the feedback was not saved."


def parse_feedback(data: object, session: RoutineSession, known: Collection[str]) -> tuple[str | None, tuple[str, ...]]:
    """The session's feedback after what a client sent: {"back_after": better|same|worse|null, "disagreed": [ids]}.

    Returns (back_after, disagreed) to store. A key left out keeps the
    session's value; "disagreed" replaces its list, each id one of the
    session's movements (of `known`, the catalogue's, for a session stored
    without them), repeats dropped. Raises SessionInputError for anything malformed.
    """
    if not isinstance(data, Mapping) or not data or not set(data) <= {"back_after", "disagreed"}:
        raise SessionInputError(f'Feedback is "back_after" and "disagreed", and nothing else; {_NOT_SAVED}')
    back = data.get("back_after", session.back_after)
    if back is not None and back not in BACK_AFTER:
        raise SessionInputError(f'"How is your back now?" is answered better, same or worse; {_NOT_SAVED}')
    if "disagreed" not in data:
        return back, session.disagreed
    disagreed = data["disagreed"]
    if not isinstance(disagreed, list) or len(disagreed) > MOST_ITEMS:
        raise SessionInputError(f'"disagreed" is a list of at most {MOST_ITEMS} stretches; {_NOT_SAVED}')
    offered = {movement_id for movement_id, _ in session.items} or known
    if not all(isinstance(m, str) and m in offered for m in disagreed):
        raise SessionInputError(f"Only a stretch of this routine can be marked as not agreeing; {_NOT_SAVED}")
    return back, tuple(dict.fromkeys(disagreed))


def feedback_said(session: RoutineSession) -> str:
    """What the end screen says once its feedback is saved: "Saved: your back feels worse and 1 stretch did not..."."""
    said = []
    if session.back_after is not None:
        said.append(f"your back feels {'the same' if session.back_after == 'same' else session.back_after}")
    if session.disagreed:
        count = len(session.disagreed)
        noun = ("exercise", "exercises") if session.phase == "strength" else ("stretch", "stretches")
        said.append(f"{count} {noun[count != 1]} did not agree with you")
    return "Saved: " + " and ".join(said) + "." if said else "Saved."


#: What one item of a routine is called, by phase, singular and plural.
ITEM_NOUNS = {"cooldown": ("stretch", "stretches"), "warmup": ("move", "moves"), "strength": ("exercise", "exercises")}


def done_said(session: RoutineSession, *, streak: Streak | None = None, strength_week: tuple[int, int] | None = None
              ) -> tuple[str, str]:  # fmt: skip
    """What the end screen says when a routine is saved, and what it adds for its phase.

    A cool-down adds the cool-down streak, strength the week's sessions
    against the target (`strength_week`: done, target); a warm-up adds what
    to do next, never a streak that is not its own.
    """
    singular, plural = ITEM_NOUNS.get(session.phase, ITEM_NOUNS["cooldown"])
    done, planned = session.items_done, session.items_planned
    noun = singular if planned == 1 else plural
    if session.counts:
        message = f"Well done: {done} of {planned} {noun} recorded."
    elif done:
        toward = " toward your streak" if session.phase == "cooldown" else ""
        message = f"{done} of {planned} recorded. Do at least half for it to count{toward}."
    else:
        message = "Nothing was done, so nothing counts yet."
    if session.phase == "cooldown" and streak is not None:
        runs = "run" if streak.current == 1 else "runs"
        return message, f"Cool-down streak: {streak.current} {runs} in a row (best {streak.best})."
    if session.phase == "strength" and strength_week is not None:
        week, target = strength_week
        return message, f"Strength sessions in the last 7 days: {week} of {target}."
    if session.phase == "warmup" and session.counts:
        return message, "Start the run easy for the first few minutes and let the pace come."
    return message, ""


def local_day(run: Run, tz: tzinfo) -> date | None:
    """The calendar day the run started on, where the runner lives."""
    if run.start_time_utc is not None:
        return run.start_time_utc.astimezone(tz).date()
    return run.start_time_local.date() if run.start_time_local else None


def cooled_run_ids(sessions: Iterable[RoutineSession]) -> set[int]:
    return {s.run_id for s in sessions if s.phase == "cooldown" and s.run_id is not None and s.counts}


@dataclass(frozen=True)
class Streak:
    current: int  # runs in a row, up to the newest, followed by a cool-down
    best: int
    waiting_run_id: int | None  # the newest run, when its cool-down can still be done today

    def to_json(self) -> dict[str, int]:
        return {"current": self.current, "best": self.best}


def cooldown_streak(run_starts: Sequence[tuple[int, datetime]], cooled: set[int], now: datetime) -> Streak:
    """Runs in a row followed by a cool-down, newest back; and the best such run ever.

    `run_starts` are (run id, start time) of the running activities, in any
    order; `cooled` the ids of runs with a cool-down that counts
    (`cooled_run_ids`).
    """
    dated = sorted(((start, run_id) for run_id, start in run_starts), key=lambda pair: (pair[0], pair[1]))
    best = length = 0
    for _, run_id in dated:
        length = length + 1 if run_id in cooled else 0
        best = max(best, length)
    current = 0
    waiting = None
    for index, (start, run_id) in enumerate(reversed(dated)):
        if run_id in cooled:
            current += 1
        elif index == 0 and now - start <= COOLDOWN_GRACE:
            waiting = run_id  # still time: neither counts nor breaks
        else:
            break
    return Streak(current, best, waiting)


@dataclass(frozen=True)
class DayMark:
    day: date
    distance_km: float
    runs: int
    cooldown_done: bool
    discomfort: int | None


def calendar(
    runs: Sequence[Run],
    sessions: Iterable[RoutineSession],
    logs: Iterable[DiscomfortLog],
    tz: tzinfo,
    *,
    start: date,
    end: date,
) -> list[DayMark]:
    """One mark per day with a run, a cool-down or a discomfort log, from start to end inclusive."""
    distance: dict[date, float] = defaultdict(float)
    count: dict[date, int] = defaultdict(int)
    for run in runs:
        day = local_day(run, tz)
        if day is not None and start <= day <= end and run.is_run:
            distance[day] += (run.distance_m or 0.0) / 1000
            count[day] += 1
    cooled = {s.finished_at.astimezone(tz).date() for s in sessions if s.phase == "cooldown" and s.counts}
    worst: dict[date, int] = {}
    for log in logs:
        day = log.at.astimezone(tz).date()
        worst[day] = max(worst.get(day, 0), log.score)
    days = sorted({*distance, *cooled, *worst} & {start + timedelta(d) for d in range((end - start).days + 1)})
    return [DayMark(d, round(distance.get(d, 0.0), 2), count.get(d, 0), d in cooled, worst.get(d)) for d in days]


@dataclass(frozen=True)
class WeekSummary:
    start: date  # the Monday
    distance_km: float
    load: float
    runs: int
    cooled: int  # of those runs, how many were followed by a cool-down that counts
    discomfort_max: int | None

    @property
    def cooldown_share(self) -> float | None:
        return self.cooled / self.runs if self.runs else None


def monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def weekly(
    runs: Sequence[tuple[int, Run, float]],
    sessions: Iterable[RoutineSession],
    logs: Iterable[DiscomfortLog],
    tz: tzinfo,
    *,
    end: date,
    weeks: int,
) -> list[WeekSummary]:
    """Distance, load, cool-down share and worst discomfort per week, oldest first, `weeks` weeks to `end`.

    `runs` are (run id, run, load) triples; every activity's load counts,
    only runs count toward distance and the cool-down share.
    """
    first = monday(end) - timedelta(weeks=weeks - 1)
    cooled = cooled_run_ids(sessions)
    distance: dict[date, float] = defaultdict(float)
    load: dict[date, float] = defaultdict(float)
    ran: dict[date, int] = defaultdict(int)
    done: dict[date, int] = defaultdict(int)
    for run_id, run, run_load in runs:
        day = local_day(run, tz)
        if day is None or not first <= day <= end:
            continue
        week = monday(day)
        load[week] += run_load
        if run.is_run:
            distance[week] += (run.distance_m or 0.0) / 1000
            ran[week] += 1
            done[week] += run_id in cooled
    worst: dict[date, int] = {}
    for log in logs:
        week = monday(log.at.astimezone(tz).date())
        worst[week] = max(worst.get(week, 0), log.score)
    out = []
    for i in range(weeks):
        week = first + timedelta(weeks=i)
        out.append(WeekSummary(week, round(distance[week], 2), round(load[week], 1), ran[week], done[week],
                               worst.get(week)))  # fmt: skip
    return out


def compared_with_usual(run: Run, earlier: Sequence[Run], units: str = "km") -> str | None:
    """How this run compares with the runner's usual, in a few words; None without enough runs to say."""
    if run.start_time_utc is None or not run.distance_m:
        return None
    window = [
        r for r in earlier
        if r.is_run and r.distance_m and (r.moving_s or r.elapsed_s) and r.start_time_utc
        and run.start_time_utc - USUAL_WINDOW <= r.start_time_utc < run.start_time_utc
    ]  # fmt: skip
    if len(window) < 3:
        return None
    usual_distance = statistics.median(r.distance_m or 0.0 for r in window)
    parts = []
    ratio = run.distance_m / usual_distance if usual_distance else 1.0
    if ratio >= 1.15:
        parts.append(f"{ratio:.1f}x your usual {format_distance(usual_distance, units)}")
    elif ratio <= 0.85:
        parts.append(f"shorter than your usual {format_distance(usual_distance, units)}")
    else:
        parts.append(f"about your usual {format_distance(usual_distance, units)}")
    seconds = run.moving_s or run.elapsed_s
    if seconds:
        usual_pace = statistics.median((r.moving_s or r.elapsed_s or 0.0) / (r.distance_m or 1.0) for r in window)
        pace = seconds / run.distance_m
        per_unit = 1000 if units == "km" else KM_PER_MILE * 1000
        delta = round((pace - usual_pace) * per_unit)
        if abs(delta) >= 5:
            parts.append(f"{abs(delta)} s/{units} {'slower' if delta > 0 else 'quicker'} than usual")
        else:
            parts.append("at your usual pace")
    hr = [r.avg_hr for r in window if r.avg_hr]
    if run.avg_hr and len(hr) >= 3:
        diff = run.avg_hr - statistics.median(hr)
        if abs(diff) >= 5:
            parts.append(f"heart rate {abs(diff):.0f} bpm {'higher' if diff > 0 else 'lower'}")
    return ", ".join(parts)


def format_distance(metres: float | None, units: str = "km", digits: int = 1) -> str:
    if metres is None:
        return "?"
    if units == "mi":
        return f"{metres / 1000 / KM_PER_MILE:.{digits}f} mi"
    return f"{metres / 1000:.{digits}f} km"
