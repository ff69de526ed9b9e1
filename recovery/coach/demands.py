"""What a run asked of the body, and of which tissues: the cool-down's stretches follow from this.

From the fields the store keeps of every run (distance, time, climb and
descent, laps, time at each heart rate, the sport) and how the run compares
with the runner's own (`RunClass`), each demand names the areas it loaded,
how strongly, and says so with the figure ("It climbed 540 m, 25 m per km").

Which tissue each demand loads is standard running biomechanics: climbing
works the calves (soleus included) and glutes; running downhill loads the
quadriceps eccentrically (the cause of the soreness after a long descent);
fast running and intervals lengthen the stride, asking most of the
hamstrings and hip flexors; long runs tire the hips, glutes and the lower
back's postural muscles; uneven trails ask more of the feet and the outer
hip. docs/coach.md gives the sources and says which pairings are
extrapolation.

Pure: no clock, no database. Figures read in the runner's units.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass

from recovery.classify import format_pace
from recovery.coach.load import HeartTime, Profile, RunClass
from recovery.coach.words import climb, climb_rate, distance, duration
from recovery.model import Lap, Run

#: Climbing or descending at least this much per km counts as hilly (rules.yaml can raise or lower it).
HILLY_M_PER_KM = 15
#: ... or this much in all, however long the run.
HILLY_TOTAL_M = 300
#: A run at least this long loads the hips, glutes and back whatever its pace.
LONG_MINUTES = 90
#: Laps shorter than this are too short to judge a pace from (GPS noise), except as strides.
SHORTEST_LAP_M = 150
#: Fast laps at least this much quicker than the slow ones mark a session of efforts and recoveries.
EFFORT_GAP = 1.2
#: Time above this share of heart-rate reserve counts as hard running.
HARD_RESERVE = 0.8
HARD_MINUTES = 10
NO_PROFILE = Profile()
#: Stride-length areas: fast running asks most of these.
SPEED_AREAS = ("hamstrings", "hip_flexors", "calves")


@dataclass(frozen=True)
class Demand:
    """One thing the run asked of the body."""

    kind: str  # climb | descent | speed | long | trail | treadmill | track
    areas: tuple[str, ...]  # catalogue areas, most loaded first
    weight: float  # how strongly, 1 = clearly
    said: str  # the figure, as a clause: "It climbed 540 m (25 m per km)"


@dataclass(frozen=True)
class Demands:
    session: str  # easy | steady | tempo | intervals | race | long
    hard: bool
    minutes: float
    items: tuple[Demand, ...]

    def weight_of(self, area: str) -> float:
        return sum(d.weight for d in self.items if area in d.areas)

    def first_for(self, area: str) -> Demand | None:
        """The demand that loaded this area most, to give as its reason."""
        loading = [d for d in self.items if area in d.areas]
        return max(loading, key=lambda d: (d.weight, -self.items.index(d))) if loading else None

    @property
    def demanding(self) -> bool:
        return any(d.weight >= 1 for d in self.items)

    def ranked_areas(self) -> list[str]:
        """Areas by how much this run loaded them (ties in the order the demands name them)."""
        order: dict[str, float] = {}
        for d in self.items:
            for rank, area in enumerate(d.areas):
                order[area] = order.get(area, 0.0) + d.weight * (1 - 0.1 * rank)
        return sorted(order, key=lambda a: -order[a])


def lap_paces(laps: Sequence[Lap]) -> list[tuple[float, Lap]]:
    """(seconds per km, lap) for laps long enough to judge, in order."""
    out = []
    for lap in laps:
        seconds = lap.moving_s or lap.elapsed_s
        if lap.distance_m and lap.distance_m >= SHORTEST_LAP_M and seconds and seconds > 0:
            out.append((seconds / (lap.distance_m / 1000), lap))
    return out


@dataclass(frozen=True)
class Efforts:
    """Laps that split into fast ones and the rest (warm-up, recoveries, cool-down)."""

    fast: tuple[float, ...]  # seconds per km of the fast laps, in order
    slow: tuple[float, ...]
    blocks: int  # runs of consecutive fast laps: 1 is a tempo block, 2 or more are repeats


def efforts(paces: Sequence[float]) -> Efforts | None:
    """The laps split where the gap between neighbouring paces (sorted) is widest, if that gap is EFFORT_GAP or more."""
    if len(paces) < 3:
        return None
    ordered = sorted(paces)
    ratio, at = max((ordered[i + 1] / ordered[i], i) for i in range(len(ordered) - 1))
    if ratio < EFFORT_GAP:
        return None
    cut = ordered[at]
    fast = [p <= cut for p in paces]
    blocks = sum(1 for i, f in enumerate(fast) if f and (i == 0 or not fast[i - 1]))
    return Efforts(tuple(p for p in paces if p <= cut), tuple(p for p in paces if p > cut), blocks)


def _pace_range(paces: Sequence[float], units: str) -> str:
    low, high = (format_pace(1000, p, units).removesuffix(f" /{units}") for p in (min(paces), max(paces)))
    return f"{low} /{units}" if low == high else f"{low}-{high} /{units}"


def _fast_enough(split: Efforts, usual_speed: float | None, climb_per_km: float) -> bool:
    """Fast laps are efforts when they beat the runner's usual pace, or (no history) the run is not a climb."""
    if usual_speed is not None:
        return 1000 / statistics.median(split.fast) >= usual_speed
    return climb_per_km < 2 * HILLY_M_PER_KM


def _hard_minutes(heart: HeartTime | None, profile: Profile) -> float:
    if heart is None or profile.max_hr is None:
        return 0.0
    rest = profile.rest_hr or 60
    threshold = rest + HARD_RESERVE * (profile.max_hr - rest)
    return sum(s for bpm, s in heart.seconds_at.items() if bpm >= threshold) / 60


def run_demands(
    run: Run,
    run_class: RunClass,
    *,
    heart: HeartTime | None = None,
    profile: Profile = NO_PROFILE,
    usual_speed: float | None = None,
    units: str = "km",
    hilly_m_per_km: float = HILLY_M_PER_KM,
) -> Demands:
    """What this run asked of which areas, each with its figure in the runner's units.

    `profile` carries the heart limits (estimated where the runner set none),
    `usual_speed` the runner's median running speed in m/s (None: no history).
    """
    minutes = (run.moving_s or run.elapsed_s or 0.0) / 60
    km = (run.distance_m or 0.0) / 1000
    items: list[Demand] = []
    climb_per_km = (run.ascent_m or 0.0) / km if km >= 1 else 0.0

    # Hills: the climb per km, or in all.
    for kind, metres, areas, verb in (
        ("climb", run.ascent_m, ("calves", "soleus", "glutes"), "climbed"),
        ("descent", run.descent_m, ("quadriceps", "hip_flexors"), "came down"),
    ):
        if metres is None or km < 1:
            continue
        rate = metres / km
        if rate >= hilly_m_per_km or metres >= HILLY_TOTAL_M:
            weight = 1.0 + min(1.0, max(rate / hilly_m_per_km - 1, metres / HILLY_TOTAL_M - 1) / 2)
            said = f"It {verb} {climb(metres, units)} ({climb_rate(rate, units)})"
            items.append(Demand(kind, areas, round(weight, 2), said))

    # Speed: efforts and recoveries in the laps, time at a hard heart rate, the whole run fast for this runner.
    session = "steady" if run_class.effort != "easy" else "easy"
    paces = lap_paces(run.laps)
    split = efforts([p for p, _ in paces])
    if split is not None and not _fast_enough(split, usual_speed, climb_per_km):
        split = None  # on a mountain, lap paces follow the gradient, not the effort
    hard_min = _hard_minutes(heart, profile)
    speed = run.distance_m / (minutes * 60) if run.distance_m and minutes > 0 else None
    fast_run = usual_speed is not None and speed is not None and speed >= usual_speed * 1.12
    strides = sum(1 for lap in run.laps if lap.distance_m and 50 <= lap.distance_m < SHORTEST_LAP_M)
    if split is not None and split.blocks >= 2 and len(split.fast) >= 3:
        session = "intervals"
        said = (f"It was a session of repeats: {len(split.fast)} fast laps at {_pace_range(split.fast, units)} "
                f"between easier ones at {_pace_range(split.slow, units)}")  # fmt: skip
        items.append(Demand("speed", SPEED_AREAS, 1.5, said))
    elif split is not None and len(split.fast) >= 3:
        session = "tempo"
        said = f"It had a sustained fast block: {len(split.fast)} laps at {_pace_range(split.fast, units)}"
        items.append(Demand("speed", SPEED_AREAS, 1.2, said))
    elif fast_run and split is None and minutes >= 12:
        assert speed is not None and usual_speed is not None
        session = "race"
        said = f"It was fast and even, {speed / usual_speed - 1:.0%} quicker than your usual pace: a race or time trial"
        items.append(Demand("speed", SPEED_AREAS, 1.3, said))
    elif strides >= 4:
        said = f"It ended with {strides} short, fast strides"
        items.append(Demand("speed", ("hamstrings", "hip_flexors"), 0.6, said))
    if hard_min >= HARD_MINUTES and session in ("easy", "steady"):
        session = "tempo" if minutes < LONG_MINUTES else session
        said = f"Your heart rate was high for {duration(hard_min * 60)}"
        items.append(Demand("speed", SPEED_AREAS, 1.0, said))
    hard = session in ("intervals", "tempo", "race") or run_class.effort == "hard" or hard_min >= HARD_MINUTES
    if run_class.effort == "hard" and not any(d.kind == "speed" for d in items):
        items.append(Demand("speed", SPEED_AREAS, 1.0, "It was hard for you, judged by your heart rate and pace"))

    # Length: the hips, glutes and the back's postural muscles tire over time.
    if minutes >= LONG_MINUTES or run_class.is_long or run_class.longest_in_weeks:
        weight = 1.0 + min(1.0, max(0.0, minutes - LONG_MINUTES) / 60)
        longest = f", your longest in {run_class.longest_in_weeks} weeks" if run_class.longest_in_weeks else ""
        said = f"It was long, {duration(minutes * 60)} for {distance(run.distance_m, units)}{longest}"
        items.append(Demand("long", ("glutes", "hips", "lower_back", "hamstrings"), round(weight, 2), said))
        if session in ("easy", "steady"):
            session = "long"

    # Surface, where the file says.
    if run.sport == "trail_run":
        items.append(Demand("trail", ("feet", "outer_hip", "calves"), 0.8, "It was on trails, uneven underfoot"))
    elif run.sport == "treadmill_run":
        items.append(Demand("treadmill", ("calves", "hip_flexors"), 0.5,
                            "It was on a treadmill, the same stride over and over"))  # fmt: skip
    elif run.sport == "track_run":
        items.append(Demand("track", ("outer_hip", "adductors"), 0.6, "It was on a track, always bending one way"))
    return Demands(session, hard, minutes, tuple(items))
