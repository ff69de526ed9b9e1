"""Gather what the coach needs from the store, and ask the (pure) coach.

The CLI and the dashboard call these; all the deciding happens in
`recovery.coach`, which never sees the database or the clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from recovery.coach.catalogue import Catalogue, load_catalogue
from recovery.coach.discomfort import DiscomfortLog, RedFlag, Referral, assess, load_red_flags
from recovery.coach.load import Load, Profile, classify_run, heart_limits, run_load, trend, usual_speed
from recovery.coach.routine import Routine, build_cooldown, build_strength, build_warmup
from recovery.coach.weights import Weights, load_weights
from recovery.model import Run
from recovery.store import Store, StoredRun

#: How far back the coach looks for the runner's habits and "longest in N weeks".
HISTORY = timedelta(days=365)
DISCOMFORT_HISTORY = timedelta(days=60)


@dataclass(frozen=True)
class CoachData:
    catalogue: Catalogue
    weights: Weights
    red_flags: dict[str, RedFlag]


@cache
def coach_data() -> CoachData:
    """The coach's data files, loaded and checked once per process."""
    return CoachData(load_catalogue(), load_weights(), load_red_flags())


def profile(store: Store) -> Profile:
    values = store.settings()

    def number(key: str) -> int | None:
        return int(values[key]) if values.get(key, "").isdigit() else None

    return Profile(max_hr=number("max_hr"), rest_hr=number("rest_hr"), sex=values.get("sex") or None)


def resolved_profile(store: Store, history: list[Run]) -> tuple[Profile, tuple[str, ...]]:
    """The runner's heart limits, estimated (and said so) where they set none."""
    told = profile(store)
    max_hr, rest_hr, notes = heart_limits(told, history)
    return Profile(max_hr=max_hr, rest_hr=rest_hr, sex=told.sex), notes


_LOADS: dict[tuple[object, ...], Load] = {}
_LOADS_KEPT = 50_000


def load_of(stored: StoredRun, runner: Profile, history: list[Run], usual: float | None) -> Load:
    """`run_load` for a stored run of `history`, remembered for the life of the process.

    Every dashboard page sums a year of loads; a run's load changes only with
    the run itself or the runner's heart limits, which are both in the key.
    Loads estimated from pace also depend on the runner's usual pace
    (`usual`, `usual_speed(history)` worked out once by the caller), so
    those are worked out afresh each time (they are cheap: no samples).
    """
    run = stored.run
    key = (stored.id, run.content_id, run.moving_s, run.elapsed_s, run.avg_hr, runner, stored.heart is None)
    load = _LOADS.get(key)
    if load is None:
        load = run_load(run, runner, history, stored.heart, usual=usual)
        if load.method != "pace":
            if len(_LOADS) >= _LOADS_KEPT:
                _LOADS.clear()
            _LOADS[key] = load
    return load


@dataclass(frozen=True)
class DiscomfortNow:
    """The runner's recent discomfort logs and what they call for: read once, used by every routine on a page."""

    logs: list[DiscomfortLog]
    referral: Referral | None


def discomfort_now(store: Store, now: datetime) -> DiscomfortNow:
    logs = store.discomfort_logs(since=now - DISCOMFORT_HISTORY)
    return DiscomfortNow(logs, assess(logs, now, coach_data().red_flags))


def referral_now(store: Store, now: datetime) -> Referral | None:
    return discomfort_now(store, now).referral


def cooldown_for(store: Store, run_id: int | None, now: datetime, stored: StoredRun | None = None) -> Routine | None:
    """The cool-down for a stored run (default: the latest run); None if there is none.

    `stored` is the run itself when the caller has already read it.
    """
    if stored is None:
        latest = run_id if run_id is not None else store.latest_run_id()
        stored = store.run(latest) if latest is not None else None
    if stored is None:
        return None
    data = coach_data()
    run = stored.run
    start = run.start_time_utc or now
    stored_history = store.runs_between(start - HISTORY, start)
    history = [s.run for s in stored_history]
    # Estimate missing heart limits once for the whole history, not once per run.
    runner, limit_notes = resolved_profile(store, history)
    usual = usual_speed(history)
    loads = [(s.run, load_of(s, runner, history, usual)) for s in stored_history]
    load = run_load(run, runner, history, stored.heart, usual=usual)
    run_class = classify_run(run, load, loads, start)
    logs = store.discomfort_logs(since=start - DISCOMFORT_HISTORY)
    referral = assess(logs, now, data.red_flags)
    week = trend([(r.start_time_utc, ld.value) for r, ld in loads if r.start_time_utc] + [(start, load.value)], start)
    notes = [week.description] if week.description else []
    notes.extend((*limit_notes, *load.notes))
    return build_cooldown(run, run_class, logs, referral, data.catalogue, data.weights, run_id=stored.id, notes=notes)


def warmup_for(store: Store, now: datetime, discomfort: DiscomfortNow | None = None) -> Routine:
    data = coach_data()
    d = discomfort or discomfort_now(store, now)
    return build_warmup(d.logs, d.referral, data.catalogue, data.weights, now)


def strength_for(store: Store, now: datetime, discomfort: DiscomfortNow | None = None) -> Routine:
    data = coach_data()
    d = discomfort or discomfort_now(store, now)
    return build_strength(store.strength_sessions(), d.logs, d.referral, data.catalogue, data.weights, now)
