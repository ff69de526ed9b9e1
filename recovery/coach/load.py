"""Training load: how hard a run was, for this runner, and how their weeks add up.

- Per run: Banister's TRIMP from heart-rate reserve, summed over the run's
  samples. Without heart rate, an estimate from duration and pace relative
  to the runner's own recent runs, said so on the result.
- Per runner: each run classed against their own history (easy, steady,
  hard; long; "longest in N weeks"), not against fixed thresholds alone.
- Over time: fitness and fatigue as exponentially weighted averages of daily
  load (42 and 7 days, smoothing 1 - e^(-1/N), as GoldenCheetah and
  intervals.icu do), and a 7-day vs 28-day comparison that describes a jump
  in the runner's words. That comparison is never presented as an injury
  predictor: its coupling problem is well documented (Lolli et al. 2019,
  Impellizzeri et al. 2020).

Pure functions: the runner's history and `now` come in as arguments.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from itertools import islice
from types import EllipsisType

from recovery.classify import activity_span
from recovery.model import Run

#: Banister's weighting: TRIMP += minutes x HRr x A x e^(B x HRr).
TRIMP_WEIGHTS = {"male": (0.64, 1.92), "female": (0.86, 1.67), None: (0.7252, 1.795)}
#: When the runner has not set them (Runalyze's defaults), said so on the result.
DEFAULT_MAX_HR = 200
DEFAULT_REST_HR = 60
#: TRIMP per minute of an easy run (HRr about 0.6, sex unknown): the pace estimate's unit.
EASY_TRIMP_PER_MIN = 0.6 * 0.7252 * math.exp(1.795 * 0.6)
FITNESS_DAYS = 42
FATIGUE_DAYS = 7
#: History needed before a run is judged against the runner's own habits.
MIN_HISTORY = 5
HISTORY_WINDOW = timedelta(weeks=8)
#: Relative to the runner's median load per minute.
EASY_BELOW = 0.85
HARD_ABOVE = 1.25
#: Relative to the runner's median run length (time).
LONG_FACTOR = 1.5
#: Without enough history: absolute fallbacks.
LONG_MINUTES = 90
HARD_TRIMP_PER_MIN = 0.8 * 0.7252 * math.exp(1.795 * 0.8)  # a whole run at 80 % of heart-rate reserve


@dataclass(frozen=True)
class Profile:
    """What the runner told us about their heart; None where they have not."""

    max_hr: int | None = None
    rest_hr: int | None = None
    sex: str | None = None  # "male", "female" or None


@dataclass(frozen=True)
class Load:
    value: float  # TRIMP points
    method: str  # "heart-rate" | "average-heart-rate" | "pace" | "duration"
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class RunClass:
    """How this run compares with the runner's own recent runs."""

    effort: str  # easy | steady | hard
    is_long: bool
    longest_in_weeks: int | None  # "your longest run in N weeks" (None: not notable)
    reasons: tuple[str, ...]


def heart_limits(profile: Profile, history: Sequence[Run] = ()) -> tuple[int, int, tuple[str, ...]]:
    """Max and resting heart rate, estimated (and said so) when the runner set none."""
    notes = []
    max_hr = profile.max_hr
    if max_hr is None:
        seen = [r.max_hr for r in history if r.max_hr and 150 <= r.max_hr <= 230]
        if seen:
            max_hr = max(seen)
            notes.append(f"Your maximum heart rate is taken as {max_hr}, the highest your watch recorded; set yours.")
        else:
            max_hr = DEFAULT_MAX_HR
            notes.append(f"Your maximum heart rate is assumed to be {DEFAULT_MAX_HR}; set yours for a truer load.")
    rest_hr = profile.rest_hr
    if rest_hr is None:
        rest_hr = DEFAULT_REST_HR
        notes.append(f"Your resting heart rate is assumed to be {DEFAULT_REST_HR}; set yours for a truer load.")
    return max_hr, min(rest_hr, max_hr - 20), tuple(notes)


@lru_cache(maxsize=8192)
def trimp_per_minute(hr: float, max_hr: int, rest_hr: int, sex: str | None) -> float:
    """TRIMP per minute at one heart rate (memoised: a year of runs asks for the same few hundred)."""
    reserve = min(1.0, max(0.0, (hr - rest_hr) / (max_hr - rest_hr)))
    a, b = TRIMP_WEIGHTS.get(sex, TRIMP_WEIGHTS[None])
    return reserve * a * math.exp(b * reserve)


@dataclass(frozen=True)
class HeartTime:
    """Seconds spent at each whole heart rate, and the seconds of the run they cover.

    The load of a run for any heart limits follows from this alone, so it is
    worked out once per run and kept: a year of runs then costs a year of
    small tables, not a year of samples.
    """

    seconds_at: dict[int, float]
    covered_s: float

    def to_json(self) -> dict[str, object]:
        return {"covered_s": round(self.covered_s, 1), "seconds_at": {str(k): v for k, v in self.seconds_at.items()}}

    @classmethod
    def from_json(cls, data: dict[str, object]) -> HeartTime:
        seconds_at = data.get("seconds_at") or {}
        assert isinstance(seconds_at, dict)
        return cls({int(k): float(v) for k, v in seconds_at.items()}, float(data.get("covered_s") or 0.0))  # type: ignore[arg-type]


def heart_time(run: Run) -> HeartTime | None:
    """Time at each heart rate from the samples; None with fewer than 10 usable readings.

    A reading that is not a finite number is no reading (parsed streams are
    already bounded; a hand-built Run may not be), so it cannot raise here.
    """
    t, hr = run.streams.t, run.streams.hr
    seconds_at: dict[int, float] = {}
    count = 0
    isfinite = math.isfinite
    # each sample with the one before it (`t` runs one longer than the other two, so not strict)
    for before, now, reading in zip(t, islice(t, 1, None), islice(hr, 1, None), strict=False):
        dt = now - before
        if not isfinite(reading) or not 0 < dt <= 30:
            continue
        bpm = round(reading)
        seconds_at[bpm] = seconds_at.get(bpm, 0.0) + dt
        count += 1
    if count < 10:
        return None
    return HeartTime({k: round(v, 2) for k, v in sorted(seconds_at.items())}, sum(seconds_at.values()))


@dataclass(frozen=True)
class RunFigures:
    """What the store keeps of a run beside its own fields, worked out here when it is stored."""

    span: tuple[datetime, datetime] | None  # start and end in UTC (`classify.activity_span`)
    heart: HeartTime | None


def run_figures(run: Run) -> RunFigures:
    return RunFigures(activity_span(run), heart_time(run))


def run_load(
    run: Run,
    profile: Profile,
    history: Sequence[Run] = (),
    heart: HeartTime | None = None,
    *,
    usual: float | EllipsisType | None = ...,
) -> Load:
    """The load of one run (any sport: rides and swims count toward load too; a strength session only by heart rate).

    `heart` is the run's `heart_time`, when already known; otherwise it is
    worked out from the run's samples. `usual` is `usual_speed(history)`,
    for callers working out the loads of a whole history (else it is
    worked out here, once per run).
    """
    minutes = (run.moving_s or run.elapsed_s or 0.0) / 60.0
    if minutes <= 0:
        return Load(0.0, "duration", ("The file gives no duration, so this activity adds no load.",))
    max_hr, rest_hr, notes = heart_limits(profile, history)
    if heart is None and len(run.streams):
        heart = heart_time(run)
    if heart is not None and heart.covered_s > 0:
        at = heart.seconds_at.items()
        total = sum(s / 60.0 * trimp_per_minute(bpm, max_hr, rest_hr, profile.sex) for bpm, s in at)
        total *= minutes / (heart.covered_s / 60.0)  # gaps (smart recording, dropouts) at the same intensity
        return Load(round(total, 1), "heart-rate", notes)
    if run.avg_hr:
        value = minutes * trimp_per_minute(run.avg_hr, max_hr, rest_hr, profile.sex)
        return Load(round(value, 1), "average-heart-rate", notes)
    if run.sport == "strength":
        # Neither pace nor "an easy run's worth per minute" says anything about lifting and holding.
        note = "A strength session without heart rate adds no load; it counts as one of the week's strength sessions."
        return Load(0.0, "duration", (note,))
    if usual is ...:
        usual = usual_speed(history)
    if run.distance_m and usual:
        ratio = min(2.0, max(0.5, run.distance_m / (minutes * 60) / usual))
        value = minutes * EASY_TRIMP_PER_MIN * ratio**2
        note = "No heart rate in this file: the load is estimated from its length and your usual pace."
        return Load(round(value, 1), "pace", (note,))
    note = "No heart rate or pace to go on: the load is estimated from the duration as an easy effort."
    return Load(round(minutes * EASY_TRIMP_PER_MIN, 1), "duration", (note,))


def usual_speed(history: Sequence[Run]) -> float | None:
    """The runner's median running speed in m/s: what a load estimated from pace compares with."""
    speeds = [r.distance_m / r.moving_s for r in history if r.is_run and r.distance_m and r.moving_s]
    return statistics.median(speeds) if speeds else None


def classify_run(run: Run, load: Load, history: Sequence[tuple[Run, Load]], now: datetime) -> RunClass:
    """Easy, steady or hard, long or not: judged against this runner's own recent runs."""
    recent = [
        (r, ld) for r, ld in history
        if r.is_run and r.start_time_utc and now - HISTORY_WINDOW <= r.start_time_utc < (run.start_time_utc or now)
    ]  # fmt: skip
    minutes = (run.moving_s or run.elapsed_s or 0.0) / 60.0
    reasons = []
    if len(recent) >= MIN_HISTORY and minutes > 0:
        per_minute = [ld.value / ((r.moving_s or r.elapsed_s or 60) / 60) for r, ld in recent]
        usual = statistics.median(per_minute)
        ratio = (load.value / minutes) / usual if usual > 0 else 1.0
        effort = "easy" if ratio < EASY_BELOW else "hard" if ratio > HARD_ABOVE else "steady"
        reasons.append(f"Its effort per minute was {ratio:.0%} of your usual over the last 8 weeks.")
        usual_minutes = statistics.median((r.moving_s or r.elapsed_s or 0) / 60 for r, _ in recent)
        is_long = minutes >= LONG_FACTOR * usual_minutes
        if is_long:
            reasons.append(f"At {minutes:.0f} minutes it was well beyond your usual {usual_minutes:.0f}.")
    else:
        per_minute = load.value / minutes if minutes > 0 else 0.0
        effort = "hard" if per_minute >= HARD_TRIMP_PER_MIN else "steady" if minutes >= 30 else "easy"
        is_long = minutes >= LONG_MINUTES
        reasons.append("With few runs in your history so far, it is judged by its length and heart rate alone.")
    return RunClass(effort, is_long, longest_in_weeks(run, [r for r, _ in history]), tuple(reasons))


def longest_in_weeks(run: Run, history: Sequence[Run]) -> int | None:
    """Weeks since a run at least this long, when that is 4 or more (or ever, as 'None' if first)."""
    if not run.distance_m or run.start_time_utc is None:
        return None
    earlier = [r for r in history if r.is_run and r.start_time_utc and r.start_time_utc < run.start_time_utc]
    if not earlier:
        return None
    longer = [r.start_time_utc for r in earlier if (r.distance_m or 0) >= run.distance_m]
    since = max(longer) if longer else min(r.start_time_utc for r in earlier)
    weeks = int((run.start_time_utc - since).days // 7)
    return weeks if weeks >= 4 else None


def daily_loads(entries: Sequence[tuple[datetime, float]], start: datetime, end: datetime) -> list[float]:
    """Load per calendar day (UTC) from start to end inclusive, zero on rest days."""
    days = (end.date() - start.date()).days + 1
    out = [0.0] * max(days, 0)
    for when, value in entries:
        index = (when.date() - start.date()).days
        if 0 <= index < len(out):
            out[index] += value
    return out


def ewma(values: Sequence[float], days: int) -> float:
    """Exponentially weighted average with smoothing 1 - e^(-1/N) (GoldenCheetah, intervals.icu)."""
    k = 1 - math.exp(-1 / days)
    level = 0.0
    for value in values:
        level += k * (value - level)
    return level


@dataclass(frozen=True)
class Trend:
    fitness: float  # 42-day weighted average of daily load
    fatigue: float  # 7-day weighted average
    form: float  # fitness - fatigue
    last_7_days: float
    weekly_average_28: float
    description: str | None  # the jump in the runner's words, or None


def trend(entries: Sequence[tuple[datetime, float]], now: datetime) -> Trend:
    """Fitness, fatigue and the 7- vs 28-day comparison, described, never predicted."""
    start = now - timedelta(days=365)
    days = daily_loads(entries, start, now)
    fitness, fatigue = ewma(days, FITNESS_DAYS), ewma(days, FATIGUE_DAYS)
    last_7 = sum(days[-7:])
    weekly_28 = sum(days[-28:]) / 4
    description = None
    if weekly_28 > 0 and last_7 >= 1.3 * weekly_28:
        description = (
            f"This week's load is {last_7 / weekly_28:.1f} times your average week over the last four. "
            "A sudden jump is worth noticing: keep the cool-downs up and let easy days be easy."
        )
    return Trend(round(fitness, 1), round(fatigue, 1), round(fitness - fatigue, 1), round(last_7, 1),
                 round(weekly_28, 1), description)  # fmt: skip
