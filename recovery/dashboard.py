"""What each dashboard page shows, gathered from the store and worked out by the core.

The Flask views only call these and render the result, so everything a page
computes can be tested without a browser or a request. Like `coaching`,
this is glue: the deciding lives in `recovery.coach` and `recovery.history`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from recovery.classify import KM_PER_MILE
from recovery.coach.discomfort import Clearance, DiscomfortLog, Referral
from recovery.coach.load import Trend, trend
from recovery.coach.routine import Routine
from recovery.coaching import (
    HISTORY,
    Gathered,
    cooldown_for,
    loads,
    referral,
    resolved_profile,
    streak,
    strength_for,
    warmup_for,
)
from recovery.history import (
    DayMark,
    RoutineSession,
    Streak,
    WeekSummary,
    calendar,
    compared_with_usual,
    monday,
    weekly,
)
from recovery.model import Run
from recovery.store import Store, StoredRun

HEATMAP_WEEKS = 53
TREND_WEEKS = 26
SHARE_WEEKS = 8
RUNS_PER_PAGE = 50
#: A run that ended this recently is "today's run": Today leads with its cool-down. After an older one
#: (an old import, a rest day) Today leads with the warm-up and strength, and that run's cool-down is a tap away.
FRESH_RUN = timedelta(days=1)
#: The discomfort logs listed on Today.
RECENT_LOGS = timedelta(days=14)


@dataclass(frozen=True)
class Today:
    latest: StoredRun | None
    is_fresh: bool  # the latest run ended within FRESH_RUN: its cool-down leads (`is_fresh_run`)
    comparison: str | None
    cooldown: Routine | None
    cooled: bool  # the latest run already has a cool-down that counts
    warmup: Routine
    strength: Routine
    referral: Referral | None
    streak: Streak
    recent_logs: tuple[DiscomfortLog, ...]


def is_fresh_run(run: Run, now: datetime) -> bool:
    """Today is about this run: it ended within FRESH_RUN of `now`, so its cool-down leads the page.

    A run without a reachable end time (a watch that kept only local time) is never fresh; nor is one
    dated more than FRESH_RUN ahead (a watch's clock far off), while a few minutes ahead still is.
    """
    end = run.end_time_utc
    return end is not None and abs(now - end) <= FRESH_RUN


def today(store: Store, gathered: Gathered, now: datetime) -> Today:
    latest = gathered.latest
    comparison = None
    cooldown = None
    cooled = False
    is_fresh = False
    if latest is not None:
        run = latest.run
        start = run.start_time_utc or now
        usual_since = start - timedelta(weeks=8)
        source = gathered if gathered.covers(usual_since) else store
        earlier = [s.run for s in source.runs_between(usual_since, start)]
        comparison = compared_with_usual(run, earlier, gathered.settings.units)
        cooldown = cooldown_for(store, gathered, latest, now)
        cooled = latest.id in gathered.cooled
        is_fresh = is_fresh_run(run, now)
    return Today(
        latest=latest,
        is_fresh=is_fresh,
        comparison=comparison,
        cooldown=cooldown,
        cooled=cooled,
        warmup=warmup_for(gathered, now),
        strength=strength_for(gathered, now),
        referral=referral(gathered, now),
        streak=streak(gathered, now),
        recent_logs=tuple(gathered.logs_since(now - RECENT_LOGS)),
    )


@dataclass(frozen=True)
class HistoryView:
    streak: Streak
    days: tuple[DayMark, ...]
    end: date
    weeks: tuple[WeekSummary, ...]
    trend: Trend
    units: str


def history(gathered: Gathered, now: datetime) -> HistoryView:
    settings = gathered.settings
    tz = settings.tz
    end = now.astimezone(tz).date()
    first_day = monday(end) - timedelta(weeks=HEATMAP_WEEKS - 1)
    since = min(now - HISTORY, datetime.combine(first_day, datetime.min.time(), tz) - timedelta(days=1))
    stored = gathered.runs_between(since, now + timedelta(days=1))
    runs = [s.run for s in stored]
    runner, _ = resolved_profile(settings.profile, runs)
    with_loads = [(s.id, s.run, load.value) for s, load in loads(gathered, stored, runner)]
    sessions = [s for s in gathered.sessions if s.finished_at >= since]
    logs = gathered.logs_since(since)
    days = calendar(runs, sessions, logs, tz, start=first_day, end=end)
    weeks = weekly(with_loads, sessions, logs, tz, end=end, weeks=TREND_WEEKS)
    entries = [(r.start_time_utc, value) for _, r, value in with_loads if r.start_time_utc]
    return HistoryView(streak(gathered, now), tuple(days), end, tuple(weeks), trend(entries, now), settings.units)


#: The history page's back log: the logs (corrected ones marked) and "seen" records of this long.
BACK_LOG = timedelta(days=60)


@dataclass(frozen=True)
class BackLog:
    """The history page's list of discomfort logs and "seen, not an emergency" records, newest first."""

    entries: tuple[DiscomfortLog | Clearance, ...]
    referral: Referral | None  # clearable: the page offers "I have been seen"


def back_log(gathered: Gathered, now: datetime) -> BackLog:
    """The last BACK_LOG of logs, corrected and deleted ones included (marked), with every "seen" record in it,
    and the latest "seen" record however old (it still decides what counts)."""
    since = now - BACK_LOG
    logs = [log for log in (*gathered.discomfort, *gathered.corrected) if log.at >= since]
    seen = [c for c in gathered.clearances if c.seen_on >= since]
    if gathered.clearances and gathered.clearances[-1] not in seen:
        seen.append(gathered.clearances[-1])
    entries: list[DiscomfortLog | Clearance] = [*logs, *seen]
    # Newest first; a "seen" record goes above the logs it covers (ties: the log was there first).
    entries.sort(key=lambda e: (e.seen_on if isinstance(e, Clearance) else e.at, isinstance(e, Clearance),
                                e.id or 0), reverse=True)  # fmt: skip
    return BackLog(tuple(entries), referral(gathered, now))


@dataclass(frozen=True)
class RunPage:
    runs: tuple[StoredRun, ...]
    cooled: frozenset[int]
    page: int
    pages: int
    total: int


def run_list(store: Store, gathered: Gathered, page: int = 1, *, only_runs: bool = False) -> RunPage:
    total = store.count_runs(only_runs=only_runs)
    pages = max(1, math.ceil(total / RUNS_PER_PAGE))
    page = min(max(1, page), pages)
    runs = store.runs(limit=RUNS_PER_PAGE, offset=(page - 1) * RUNS_PER_PAGE, only_runs=only_runs, samples=False)
    cooled = gathered.cooled & {s.id for s in runs}
    return RunPage(tuple(runs), frozenset(cooled), page, pages, total)


@dataclass(frozen=True)
class Series:
    """One per-run chart's points: seconds from the start, and the value (None: no reading)."""

    t: tuple[float, ...]
    values: tuple[float | None, ...]

    def __bool__(self) -> bool:
        return any(v is not None for v in self.values)


def run_series(run: Run, units: str = "km") -> dict[str, Series]:
    """Pace (seconds per km or mile, smoothed over ~30 s), heart rate and elevation against time."""
    s = run.streams
    t = tuple(float(v) for v in s.t)

    def clean(values: object) -> tuple[float | None, ...]:
        return tuple(None if v is None or math.isnan(v) else float(v) for v in values)  # type: ignore[attr-defined]

    speed = list(clean(s.speed))
    if not any(v is not None for v in speed) and any(not math.isnan(v) for v in s.distance):
        speed = _speed_from_distance(t, clean(s.distance))
    per_unit = 1000.0 * (KM_PER_MILE if units == "mi" else 1.0)
    smoothed = _rolling_mean(t, speed, 30.0)
    pace = tuple(per_unit / v if v is not None and v > 0.5 else None for v in smoothed)  # slower than walking: none
    return {"pace": Series(t, pace), "hr": Series(t, clean(s.hr)), "elevation": Series(t, clean(s.altitude))}


def _speed_from_distance(t: tuple[float, ...], distance: tuple[float | None, ...]) -> list[float | None]:
    out: list[float | None] = [None]
    for i in range(1, len(t)):
        a, b = distance[i - 1], distance[i]
        dt = t[i] - t[i - 1]
        out.append((b - a) / dt if a is not None and b is not None and dt > 0 else None)
    return out


def _rolling_mean(t: tuple[float, ...], values: list[float | None], window_s: float) -> list[float | None]:
    """The mean of the readings in the last `window_s` seconds at each sample (GPS speed is jumpy)."""
    out: list[float | None] = []
    start = 0
    total = 0.0
    count = 0
    for i, value in enumerate(values):
        if value is not None:
            total += value
            count += 1
        while t[i] - t[start] > window_s:
            old = values[start]
            if old is not None:
                total -= old
                count -= 1
            start += 1
        out.append(total / count if count and value is not None else None)
    return out


def record_session(store: Store, session: RoutineSession) -> int:
    """Keep a routine done against its run (a strength routine also counts as a strength session); its id."""
    session_id = store.add_routine_session(session)
    if session.phase == "strength" and session.counts:
        store.add_strength_session(session.finished_at)
    return session_id
