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
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo

from recovery.classify import KM_PER_MILE
from recovery.coach.discomfort import DiscomfortLog
from recovery.model import Run

#: How long after a run its cool-down may still be done without breaking the streak.
COOLDOWN_GRACE = timedelta(hours=24)
#: "Your usual": the runner's runs over this span before the one being compared.
USUAL_WINDOW = timedelta(weeks=8)


@dataclass(frozen=True)
class RoutineSession:
    """A guided routine done (whole or in part), recorded when the timer stops."""

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

    @property
    def counts(self) -> bool:
        """Enough of the routine was done to count it as done."""
        return self.items_done > 0 and self.items_done * 2 >= self.items_planned


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
