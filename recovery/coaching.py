"""Gather what the coach and the pages need from the store, once per request, and ask the (pure) coach.

`gather(store, now)` reads it all in a handful of queries and keeps it
until the database's data version moves on (any write of data, in any
process) or REGATHER passes, so while nothing changed a page pays one
query for it (the version), plus whatever the page reads of its own. The CLI and the dashboard
both call the functions here; all the deciding happens in `recovery.coach`
and `recovery.history`, which never see the database or the clock.
"""

from __future__ import annotations

import os
import weakref
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

from recovery.coach.catalogue import DEFAULT_CATALOGUE, Catalogue, CatalogueError, load_catalogue
from recovery.coach.demands import run_demands
from recovery.coach.discomfort import (
    RED_FLAGS_FILE,
    Clearance,
    DiscomfortLog,
    RedFlag,
    Referral,
    assess,
    load_red_flags,
)
from recovery.coach.feedback import learn
from recovery.coach.load import Load, Profile, classify_run, heart_limits, run_load, trend, usual_speed
from recovery.coach.routine import Routine, build_cooldown, build_warmup
from recovery.coach.strength import build_strength, strength_moments, this_week
from recovery.coach.weights import RULES_FILE, Weights, load_weights
from recovery.history import COOLDOWN_GRACE, RoutineSession, Streak, cooldown_streak, cooled_run_ids
from recovery.model import Run
from recovery.settings import NAMES, Settings, from_stored
from recovery.store import Store, StoredRun

#: How far back the coach looks for the runner's habits and "longest in N weeks".
HISTORY = timedelta(days=365)
DISCOMFORT_HISTORY = timedelta(days=60)
#: What `gather` reads back from now: a year for the coach, and the history page's 53-week calendar
#: (which starts on a Monday, so up to 6 days more) with a day to spare.
WINDOW = timedelta(days=380)
#: A gathering is read again after this long even if the version did not move: its window keeps up with
#: now, and a write that did not move it (a hand-made SQL change) shows within minutes.
REGATHER = timedelta(minutes=5)
#: A folder with the coach's data files to use instead of the shipped ones (any of the three).
ENV_COACH_DIR = "RECOVERY_COACH_DIR"


# -- the coach's data files -------------------------------------------------------


@dataclass(frozen=True)
class CoachData:
    catalogue: Catalogue
    weights: Weights
    red_flags: dict[str, RedFlag]


def coach_files() -> dict[str, Path]:
    """The three files the coach reads: each from RECOVERY_COACH_DIR where that folder has it, else the shipped one."""
    shipped = {"catalogue": DEFAULT_CATALOGUE, "weights": RULES_FILE, "red_flags": RED_FLAGS_FILE}
    folder = os.environ.get(ENV_COACH_DIR)
    if not folder:
        return shipped
    if not Path(folder).is_dir():
        raise CatalogueError(f"{ENV_COACH_DIR} names {folder}, which is not a folder.")
    return {what: own if (own := Path(folder) / path.name).exists() else path for what, path in shipped.items()}


def coach_data() -> CoachData:
    """The coach's data files, loaded and checked once per process (per set of files).

    Raises CatalogueError naming the file and line at fault; `serve` and the
    CLI call this before anything else, so a mistake stops them at start.
    """
    files = coach_files()
    return _load(files["catalogue"], files["weights"], files["red_flags"])


@lru_cache(maxsize=8)
def _load(catalogue: Path, weights: Path, red_flags: Path) -> CoachData:
    try:
        return CoachData(load_catalogue(catalogue), load_weights(weights), load_red_flags(red_flags))
    except (OSError, UnicodeDecodeError) as exc:
        name = getattr(exc, "filename", None) or "one of the coach's files"
        raise CatalogueError(f"{name}: could not be read ({getattr(exc, 'strerror', None) or exc}).") from exc


# -- one gathering per request ----------------------------------------------------


@dataclass(frozen=True, eq=False)
class Gathered:
    """Everything a page or a command needs from the store for the coach, as read at one data version."""

    version: int
    read_at: datetime
    since: datetime  # `runs` and `discomfort` go back to here
    settings: Settings
    latest: StoredRun | None  # the newest running activity, however old, without samples
    runs: tuple[StoredRun, ...]  # every activity since `since`, oldest first, without samples
    run_starts: tuple[tuple[int, datetime], ...]  # every dated running activity ever: the streak
    sessions: tuple[RoutineSession, ...]  # every routine ever done, oldest first
    discomfort: tuple[DiscomfortLog, ...]  # since `since`, oldest first: the logs that count
    strength: tuple[datetime, ...]  # every strength session the timer or the CLI recorded (the watch's: in runs)
    clearances: tuple[Clearance, ...] = ()  # every "seen, not an emergency"
    corrected: tuple[DiscomfortLog, ...] = ()  # corrected or deleted logs since `since`, kept for the history list
    #: Figures worked out from this gathering (loads, the streak), kept as long as it is.
    memo: dict[tuple[Any, ...], Any] = field(default_factory=dict, repr=False)

    def covers(self, start: datetime) -> bool:
        return start >= self.since

    def runs_between(self, start: datetime, end: datetime) -> list[StoredRun]:
        """Activities starting in [start, end), from the gathering (`start` must be covered)."""
        return [s for s in self.runs if s.run.start_time_utc is not None and start <= s.run.start_time_utc < end]

    def logs_since(self, start: datetime) -> list[DiscomfortLog]:
        return [log for log in self.discomfort if log.at >= start]

    @property
    def cooled(self) -> set[int]:
        """Runs with a cool-down that counts (`RoutineSession.counts`)."""
        key = ("cooled",)
        if key not in self.memo:
            self.memo[key] = cooled_run_ids(self.sessions)
        return self.memo[key]  # type: ignore[no-any-return]


#: One gathering per open store (a server has one): replaced whole, so a request thread reading it never
#: sees it half made.
_GATHERED: weakref.WeakKeyDictionary[Store, Gathered] = weakref.WeakKeyDictionary()


def gather(store: Store, now: datetime) -> Gathered:
    """What the store holds for the coach and the pages: read again only when the data version moved on.

    The version is read first, so what is kept is never older than the
    version it is kept under; a write in between only means the next
    request reads again.
    """
    version = store.version()
    kept = _GATHERED.get(store)
    if kept is not None and kept.version == version and timedelta(0) <= now - kept.read_at < REGATHER:
        return kept
    since = now - WINDOW - REGATHER
    logs = store.discomfort_logs(since=since, include_corrected=True)  # one query: the history list shows both
    gathered = Gathered(
        version=version,
        read_at=now,
        since=since,
        settings=from_stored(store.settings(NAMES)),
        latest=store.latest(only_runs=True),
        runs=tuple(store.runs_between(since)),
        run_starts=tuple(store.run_starts()),
        sessions=tuple(store.routine_sessions()),
        discomfort=tuple(log for log in logs if log.corrected_at is None),
        strength=tuple(store.strength_sessions()),
        clearances=tuple(store.clearances()),
        corrected=tuple(log for log in logs if log.corrected_at is not None),
    )
    _GATHERED[store] = gathered
    return gathered


# -- what the coach makes of it ------------------------------------------------------


def resolved_profile(told: Profile, history: Sequence[Run]) -> tuple[Profile, tuple[str, ...]]:
    """The runner's heart limits, estimated (and said so) where they set none."""
    max_hr, rest_hr, notes = heart_limits(told, history)
    return Profile(max_hr=max_hr, rest_hr=rest_hr, sex=told.sex), notes


def loads(gathered: Gathered, stored: Sequence[StoredRun], runner: Profile) -> list[tuple[StoredRun, Load]]:
    """The load of each of these runs, each judged against all of them (its history), once per gathering."""
    key = ("loads", runner, tuple(s.id for s in stored))
    if key not in gathered.memo:
        history = [s.run for s in stored]
        usual = usual_speed(history)
        gathered.memo[key] = [(s, run_load(s.run, runner, history, s.heart, usual=usual)) for s in stored]
    return gathered.memo[key]  # type: ignore[no-any-return]


def referral(gathered: Gathered, now: datetime) -> Referral | None:
    """The one referral a page shows: from the logs of the last DISCOMFORT_HISTORY, and any "seen" since."""
    return assess(gathered.logs_since(now - DISCOMFORT_HISTORY), now, coach_data().red_flags, gathered.clearances,
                  past_cancer=gathered.settings.past_cancer == "yes", tz=gathered.settings.tz)  # fmt: skip



def history_before(store: Store, gathered: Gathered, start: datetime) -> list[StoredRun]:
    """The year of activities before `start`: from the gathering, or read for a run older than it covers."""
    if gathered.covers(start - HISTORY):
        return gathered.runs_between(start - HISTORY, start)
    return store.runs_between(start - HISTORY, start)


def cooldown_for(
    store: Store, gathered: Gathered, stored: StoredRun | None, now: datetime
) -> Routine | None:
    """The cool-down for a stored run (None: there is no run); `gathered` is this request's gathering."""
    if stored is None:
        return None
    data = coach_data()
    run = stored.run
    start = run.start_time_utc or now
    earlier = history_before(store, gathered, start)
    history = [s.run for s in earlier]
    # Estimate missing heart limits once for the whole history, not once per run.
    runner, limit_notes = resolved_profile(gathered.settings.profile, history)
    usual = usual_speed(history)
    with_loads = [(s.run, load) for s, load in loads(gathered, earlier, runner)]
    load = run_load(run, runner, history, stored.heart, usual=usual)
    run_class = classify_run(run, load, with_loads, start)
    logs = gathered.logs_since(start - DISCOMFORT_HISTORY) if gathered.covers(start - DISCOMFORT_HISTORY) else (
        store.discomfort_logs(since=start - DISCOMFORT_HISTORY))  # fmt: skip
    entries = [(r.start_time_utc, ld.value) for r, ld in with_loads if r.start_time_utc] + [(start, load.value)]
    week = trend(entries, start)
    notes = [week.description] if week.description else []
    notes.extend((*limit_notes, *load.notes))
    units = gathered.settings.units
    asked = run_demands(run, run_class, heart=stored.heart, profile=runner, usual_speed=usual, units=units,
                        hilly_m_per_km=data.weights.hilly_m_per_km)  # fmt: skip
    learned = learn([s for s in gathered.sessions if s.run_id != stored.id], logs, start)
    return build_cooldown(
        run, run_class, logs, referral(gathered, now), data.catalogue, data.weights, run_id=stored.id, notes=notes,
        demands=asked, learned=learned, units=units,
    )  # fmt: skip


def warmup_for(gathered: Gathered, now: datetime) -> Routine:
    data = coach_data()
    logs = gathered.logs_since(now - DISCOMFORT_HISTORY)
    return build_warmup(logs, referral(gathered, now), data.catalogue, data.weights, now)


def _strength_sessions(gathered: Gathered) -> list[datetime]:
    # The watch's strength activities count too, from the gathering (no query of their own).
    watch = [s.run.start_time_utc for s in gathered.runs if s.run.sport == "strength" and s.run.start_time_utc]
    return strength_moments(gathered.strength, watch)


def strength_for(gathered: Gathered, now: datetime) -> Routine:
    data = coach_data()
    logs = gathered.logs_since(now - DISCOMFORT_HISTORY)
    return build_strength(_strength_sessions(gathered), logs, referral(gathered, now), data.catalogue, data.weights,
                          now, routines=gathered.sessions)  # fmt: skip


def strength_week(gathered: Gathered, now: datetime) -> tuple[int, int]:
    """Strength sessions in the last 7 days, and the weekly target: what the end of a strength routine reports."""
    return len(this_week(_strength_sessions(gathered), now)), coach_data().weights.sessions_per_week


def streak(gathered: Gathered, now: datetime) -> Streak:
    """The cool-down streak: it changes with the data, and when the newest run's time for its cool-down runs out."""
    newest = max((start for _, start in gathered.run_starts), default=None)
    within_grace = newest is not None and now - newest <= COOLDOWN_GRACE
    key = ("streak", within_grace)
    if key not in gathered.memo:
        gathered.memo[key] = cooldown_streak(gathered.run_starts, gathered.cooled, now)
    return gathered.memo[key]  # type: ignore[no-any-return]


def latest_stored(store: Store, gathered: Gathered, run_id: int | None) -> StoredRun | None:
    """A run by id (without samples), or the newest run: what the CLI's and the timer's cool-down is for."""
    if run_id is None:
        return gathered.latest
    stored = next((s for s in gathered.runs if s.id == run_id), None)
    if stored is not None:
        return stored
    return store.run(run_id)
