"""What each dashboard page shows, gathered from the store and worked out by the core.

The Flask views only call these and render the result, so everything a page
computes can be tested without a browser or a request. Like `coaching`,
this is glue: the deciding lives in `recovery.coach` and `recovery.history`.
"""

from __future__ import annotations

import math
import os
import weakref
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from recovery.classify import KM_PER_MILE
from recovery.coach.discomfort import DiscomfortLog, Referral
from recovery.coach.load import Trend, trend, usual_speed
from recovery.coach.routine import Routine
from recovery.coaching import (
    HISTORY,
    cooldown_for,
    discomfort_now,
    load_of,
    resolved_profile,
    strength_for,
    warmup_for,
)
from recovery.history import (
    COOLDOWN_GRACE,
    DayMark,
    RoutineSession,
    Streak,
    WeekSummary,
    calendar,
    compared_with_usual,
    cooldown_streak,
    monday,
    weekly,
)
from recovery.model import Run
from recovery.store import Store, StoredRun

UNITS = ("km", "mi")
HEATMAP_WEEKS = 53
TREND_WEEKS = 26
SHARE_WEEKS = 8
RUNS_PER_PAGE = 50
#: A run this recent is "today's run": its cool-down is the one suggested first.
FRESH_RUN = timedelta(hours=12)
#: The discomfort logs listed on Today.
RECENT_LOGS = timedelta(days=14)


@cache
def time_zones() -> frozenset[str]:
    """Every zone name this machine knows (scanning for them is slow: once per process)."""
    return frozenset(available_timezones())


def system_time_zone() -> str:
    """The machine's own zone name (TZ, or what /etc/localtime points to), else UTC."""
    name = os.environ.get("TZ", "").lstrip(":")
    if name in time_zones():
        return name
    try:
        target = str(Path("/etc/localtime").resolve())
    except OSError:
        return "UTC"
    marker = "zoneinfo/"
    if marker in target:
        candidate = target.split(marker, 1)[1]
        if candidate in time_zones():
            return candidate
    return "UTC"


@dataclass(frozen=True)
class Preferences:
    units: str  # km | mi
    time_zone: str

    @property
    def tz(self) -> tzinfo:
        try:
            return ZoneInfo(self.time_zone)
        except (ZoneInfoNotFoundError, ValueError):
            return ZoneInfo("UTC")


def preferences(store: Store) -> Preferences:
    values = store.settings()
    units = values.get("units") if values.get("units") in UNITS else "km"
    zone = values.get("time_zone") or system_time_zone()
    return Preferences(units, zone if zone in time_zones() else "UTC")


@dataclass(frozen=True)
class Today:
    latest: StoredRun | None
    is_fresh: bool  # the latest run ended within FRESH_RUN: its cool-down comes first
    comparison: str | None
    cooldown: Routine | None
    cooled: bool  # the latest run already has a cool-down that counts
    warmup: Routine
    strength: Routine
    referral: Referral | None
    streak: Streak
    recent_logs: tuple[DiscomfortLog, ...]


def today(store: Store, now: datetime) -> Today:
    latest_id = store.latest_run_id()
    latest = store.run(latest_id) if latest_id is not None else None
    discomfort = discomfort_now(store, now)
    comparison = None
    cooldown = None
    cooled = False
    is_fresh = False
    if latest is not None:
        run = latest.run
        start = run.start_time_utc or now
        earlier = [s.run for s in store.runs_between(start - timedelta(weeks=8), start)]
        comparison = compared_with_usual(run, earlier, preferences(store).units)
        cooldown = cooldown_for(store, latest.id, now, stored=latest)
        cooled = any(s.counts for s in store.routine_sessions(run_id=latest.id) if s.phase == "cooldown")
        end = run.end_time_utc
        is_fresh = end is not None and now - end <= FRESH_RUN
    return Today(
        latest=latest,
        is_fresh=is_fresh,
        comparison=comparison,
        cooldown=cooldown,
        cooled=cooled,
        warmup=warmup_for(store, now, discomfort),
        strength=strength_for(store, now, discomfort),
        referral=discomfort.referral,
        streak=streak(store, now),
        recent_logs=tuple(log for log in discomfort.logs if log.at >= now - RECENT_LOGS),
    )


@dataclass
class _KeptStreak:
    version: tuple[object, ...]
    starts: list[tuple[int, datetime]]
    cooled: set[int]
    newest: datetime | None
    by_grace: dict[bool, Streak]


#: Per open store: the streak's inputs at one activity version, and the streak before and after the grace time.
_STREAKS: weakref.WeakKeyDictionary[Store, _KeptStreak] = weakref.WeakKeyDictionary()


def streak(store: Store, now: datetime) -> Streak:
    """The cool-down streak, worked out again only when runs or routines changed.

    The streak reads every run ever stored, and every page shows it. It
    changes when a run or a routine is added or changed, or when the newest
    run's time for its cool-down runs out; nothing else. So it is kept per
    database under exactly those keys.
    """
    version = store.activity_version()
    kept = _STREAKS.get(store)
    if kept is None or kept.version != version:
        starts, cooled = store.run_starts(), store.cooled_run_ids()
        newest = max((start for _, start in starts), default=None)
        kept = _STREAKS[store] = _KeptStreak(version, starts, cooled, newest, {})
    within_grace = kept.newest is not None and now - kept.newest <= COOLDOWN_GRACE
    if within_grace not in kept.by_grace:
        kept.by_grace[within_grace] = cooldown_streak(kept.starts, kept.cooled, now)
    return kept.by_grace[within_grace]


@dataclass(frozen=True)
class HistoryView:
    streak: Streak
    days: tuple[DayMark, ...]
    end: date
    weeks: tuple[WeekSummary, ...]
    trend: Trend
    units: str


def history(store: Store, now: datetime) -> HistoryView:
    prefs = preferences(store)
    tz = prefs.tz
    end = now.astimezone(tz).date()
    first_day = monday(end) - timedelta(weeks=HEATMAP_WEEKS - 1)
    since = min(now - HISTORY, datetime.combine(first_day, datetime.min.time(), tz) - timedelta(days=1))
    stored = store.runs_between(since, now + timedelta(days=1))
    runs = [s.run for s in stored]
    runner, _ = resolved_profile(store, runs)
    usual = usual_speed(runs)
    loads = [(s.id, s.run, load_of(s, runner, runs, usual).value) for s in stored]
    sessions = store.routine_sessions(since=since)
    logs = store.discomfort_logs(since=since)
    days = calendar(runs, sessions, logs, tz, start=first_day, end=end)
    weeks = weekly(loads, sessions, logs, tz, end=end, weeks=TREND_WEEKS)
    entries = [(r.start_time_utc, value) for _, r, value in loads if r.start_time_utc]
    return HistoryView(streak(store, now), tuple(days), end, tuple(weeks), trend(entries, now), prefs.units)


@dataclass(frozen=True)
class RunPage:
    runs: tuple[StoredRun, ...]
    cooled: frozenset[int]
    page: int
    pages: int
    total: int


def run_list(store: Store, page: int = 1, *, only_runs: bool = False) -> RunPage:
    total = store.count_runs(only_runs=only_runs)
    pages = max(1, math.ceil(total / RUNS_PER_PAGE))
    page = min(max(1, page), pages)
    runs = store.runs(limit=RUNS_PER_PAGE, offset=(page - 1) * RUNS_PER_PAGE, only_runs=only_runs, samples=False)
    cooled = store.cooled_run_ids([s.id for s in runs])
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


def record_session(store: Store, session: RoutineSession) -> Streak:
    """Keep a routine done against its run (a strength routine also counts as a strength session)."""
    store.add_routine_session(session)
    if session.phase == "strength" and session.counts:
        store.add_strength_session(session.finished_at)
    return streak(store, session.finished_at)
