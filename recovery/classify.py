"""The one place that decides what a file's activity is.

Is it a run (and which kind)? Which legs of a multisport file are runs? Is it
the same activity as one already stored? Parsers only report what the file
says; these rules turn that into decisions, so they can be read and tested
in one place.
"""

from __future__ import annotations

import math
import re
from datetime import datetime, timedelta

from recovery.model import FOOT_SPORTS, RUNNING_SPORTS, ActivityHint, Run

KM_PER_MILE = 1.609344

#: Labels that mean "the file did not say" rather than a sport.
UNSPECIFIED = {"", "generic", "unknown", "none", "all", "the category", "activity"}

#: Strava writes its activity type as a number in GPX exports.
STRAVA_GPX_TYPES = {"1": "ride", "4": "hike", "9": "run", "10": "walk"}

#: (sub-sport, sport) words -> our sport; checked in order, first match wins.
_SUB_SPORT_RULES: tuple[tuple[str, str], ...] = (
    ("treadmill", "treadmill_run"),
    ("indoor_running", "treadmill_run"),
    ("indoor_run", "treadmill_run"),
    ("virtual_run", "treadmill_run"),
    ("trail", "trail_run"),
    ("track", "track_run"),
)
_SPORT_WORDS: tuple[tuple[str, str], ...] = (
    ("treadmill", "treadmill_run"),
    ("trail", "trail_run"),
    ("run", "run"),
    ("jog", "run"),
    ("walk", "walk"),
    ("hik", "hike"),
    ("mountaineer", "hike"),
    ("cycl", "ride"),
    ("bik", "ride"),
    ("ride", "ride"),
    ("swim", "swim"),
    ("strength", "strength"),
    ("weight", "strength"),  # Strava's "Weight Training"
)
#: FIT sub-sports that make any sport a strength session (the FIT profile files strength_training, 20, under
#: training, 10; some watches write it under fitness_equipment, 4, or generic).
STRENGTH_SUB_SPORTS = {"strength_training"}

# Pace limits used only when a file names no sport at all.
WALK_MIN_SPEED = 0.5  # m/s; slower than this is standing about
RUN_MIN_SPEED = 1.9  # m/s, about 8:45 /km: slower is walking pace
RUN_MAX_SPEED = 5.6  # m/s, about 3:00 /km average
RUN_MAX_BURST = 7.5  # m/s; a sustained top speed above this is wheels, not legs

# Two records are the same activity when their time spans overlap this much
# (of the longer one) and their distances (or speeds) agree this closely.
SAME_OVERLAP = 0.5
SAME_DISTANCE_RATIO = 0.25
SAME_DISTANCE_SLACK_M = 500.0


def normalise_sport(label: str | None, sub_label: str | None = None) -> str | None:
    """Map what a file calls its sport onto our vocabulary; None if it says nothing."""
    sport = (label or "").strip().lower()
    sub = (sub_label or "").strip().lower()
    if sport in STRAVA_GPX_TYPES:
        return STRAVA_GPX_TYPES[sport]
    if sub in STRENGTH_SUB_SPORTS and sport != "transition":
        return "strength"
    if sport in UNSPECIFIED:
        return None
    if sport == "fitness_equipment" and sub in ("treadmill", "indoor_running"):
        return "treadmill_run"
    if sport == "transition":
        return "other"
    for word, ours in _SPORT_WORDS:
        if word in sport:
            if ours == "run":
                for sub_word, sub_ours in _SUB_SPORT_RULES:
                    if sub_word in sub:
                        return sub_ours
            return ours
    return "other"


def infer_sport(run: Run) -> str | None:
    """Guess the sport from pace when the file names none (phone apps often don't)."""
    distance, moving = run.distance_m, run.moving_s or run.elapsed_s
    if not distance or not moving or moving < 60:
        return None
    speed = distance / moving
    burst = _sustained_top_speed(run.streams.speed)
    if speed < WALK_MIN_SPEED:
        return None
    if speed < RUN_MIN_SPEED:
        return "walk" if (burst is None or burst < RUN_MAX_BURST) else None
    if speed <= RUN_MAX_SPEED and (burst is None or burst < RUN_MAX_BURST):
        return "run"
    return None


def _sustained_top_speed(speeds: tuple[float, ...] | list[float]) -> float | None:
    """The 95th percentile speed: a single GPS glitch does not count as a sprint."""
    values = sorted(v for v in speeds if not math.isnan(v))
    if len(values) < 20:
        return None
    return values[int(len(values) * 0.95)]


def settle_sport(run: Run) -> Run:
    """Fill in a sport the file left unsaid, saying so on the run."""
    if run.sport != "other" or normalise_sport(run.sport_label) is not None:
        return run
    if any("points have a time" in w for w in run.warnings):
        return run  # too few timed points to judge a pace
    guess = infer_sport(run)
    if guess is None:
        return run
    pace = ""
    if run.distance_m and (run.moving_s or run.elapsed_s):
        pace = f" (an average of {format_pace(run.distance_m, run.moving_s or run.elapsed_s or 0)})"
    note = f"The file does not say what sport this was; from its pace{pace} it is taken as a {guess}."
    return run.replace(sport=guess, sport_inferred=True, warnings=(*run.warnings, note))


def apply_hint(run: Run, hint: ActivityHint | None) -> Run:
    """Take an export's name and sport for a run; the runner's own label wins.

    Strava's activities.csv carries the type the runner last chose (a ride
    the watch logged as a run, corrected). Within one family the file's more
    precise sport is kept: Strava's "Run" does not undo "treadmill run".
    """
    if hint is None:
        return run
    changes: dict[str, object] = {}
    if hint.name and not run.name:
        changes["name"] = hint.name.strip()[:200]
    told = normalise_sport(hint.sport_label)
    if told is not None and _family(told) != _family(run.sport):
        changes.update(sport=told, sport_label=hint.sport_label or "", sport_inferred=False)
        if run.sport_inferred:
            changes["warnings"] = tuple(w for w in run.warnings if not w.startswith("The file does not say"))
    return run.replace(**changes) if changes else run


def format_pace(distance_m: float | None, seconds: float | None, units: str = "km") -> str:
    """Minutes per kilometre or mile, the way runners say it: 5:42 /km, 9:10 /mi."""
    if not distance_m or distance_m <= 0 or seconds is None:
        return "no pace"
    per_unit = seconds / (distance_m / 1000.0) * (KM_PER_MILE if units == "mi" else 1.0)
    minutes, secs = divmod(round(per_unit), 60)
    return f"{minutes}:{secs:02d} /{units}"


def is_multisport(run: Run) -> bool:
    """More than one sport among the legs that are not transitions."""
    sports = {_family(leg.sport) for leg in run.legs if not leg.is_transition}
    return len(sports) > 1


def _family(sport: str) -> str:
    return "run" if sport in RUNNING_SPORTS else sport


def split_legs(run: Run) -> list[Run]:
    """The activities to store for one file.

    A multisport file (a triathlon, a run-and-ride) becomes one activity per
    leg, the way runners think of it: the running legs get a cool-down, the
    swim and the ride count toward load only. Transitions are dropped. Any
    other file is one activity.
    """
    if not is_multisport(run):
        return [run]
    parts: list[Run] = []
    file_start = run.start_time_utc
    for index, leg in enumerate(run.legs):
        if leg.is_transition:
            continue
        streams = run.streams
        if file_start is not None and leg.start_time_utc is not None:
            offset = (leg.start_time_utc - file_start).total_seconds()
            span = leg.elapsed_s or leg.moving_s or 0.0
            streams = run.streams.window(offset, offset + span)
        parts.append(
            run.replace(
                sport=leg.sport,
                sport_label=leg.sport_label,
                start_time_utc=leg.start_time_utc,
                elapsed_s=leg.elapsed_s,
                moving_s=leg.moving_s,
                distance_m=leg.distance_m,
                ascent_m=leg.ascent_m,
                descent_m=None,
                avg_hr=leg.avg_hr,
                max_hr=leg.max_hr,
                avg_cadence_spm=leg.avg_cadence_spm if leg.sport in FOOT_SPORTS else None,
                laps=(),
                legs=(leg,),
                streams=streams,
                leg_index=index,
                has_gps=streams.has("lat"),
            )
        )
    return parts


def activity_span(run: Run) -> tuple[datetime, datetime] | None:
    """When the activity started and ended in UTC (None without a UTC start)."""
    if run.start_time_utc is None or run.end_time_utc is None:
        return None
    last_sample = run.streams.t[-1] if len(run.streams) else 0.0
    end = max(run.end_time_utc, run.start_time_utc + timedelta(seconds=last_sample))
    return run.start_time_utc, end


def is_same_activity(a: Run, b: Run) -> bool:
    """Two files record the same activity: overlapping in time, at a similar speed.

    Start time and sport alone would merge two short runs on one morning; a
    hash alone misses the same run exported as FIT and as GPX. So the time
    spans must overlap by at least half of the *longer* one (a watch left
    recording for days swallows nothing), and the distances must agree
    within 500 m or, scaled by each record's own span, within 25 %: a copy
    re-synced with ten more minutes is the same run at the same speed, and a
    GPX re-measured from its points often differs from the watch's figure by
    more than a few percent.
    """
    span_a, span_b = activity_span(a), activity_span(b)
    if span_a is None or span_b is None:
        return False
    length_a = (span_a[1] - span_a[0]).total_seconds()
    length_b = (span_b[1] - span_b[0]).total_seconds()
    overlap = (min(span_a[1], span_b[1]) - max(span_a[0], span_b[0])).total_seconds()
    if min(length_a, length_b) <= 0:
        # Zero-length records: the same only if they start at the same second.
        if abs((span_a[0] - span_b[0]).total_seconds()) > 1:
            return False
    elif overlap < SAME_OVERLAP * max(length_a, length_b):
        return False
    if a.distance_m is None or b.distance_m is None:
        return True
    if abs(a.distance_m - b.distance_m) <= SAME_DISTANCE_SLACK_M:
        return True
    if min(length_a, length_b) <= 0:
        return False
    speed_a, speed_b = a.distance_m / length_a, b.distance_m / length_b
    return abs(speed_a - speed_b) <= SAME_DISTANCE_RATIO * max(speed_a, speed_b)


def richness(run: Run) -> tuple[int, ...]:
    """Orders copies of one activity: the richer source is the one kept.

    A watch's own FIT beats a re-export; heart rate, positions, laps and more
    samples beat their absence.
    """
    format_rank = {"fit": 2, "tcx": 1, "gpx": 0}[run.source_format]
    return (
        int(run.avg_hr is not None),
        int(run.moving_s is not None and run.elapsed_s is not None),
        format_rank,
        int(run.has_gps),
        len(run.laps),
        len(run.streams),
    )


_SAFE_NAME = re.compile(r"[\x00-\x1f\x7f]")


def display_name(path: str) -> str:
    """A file name fit to print: no control characters from hostile names."""
    return _SAFE_NAME.sub("?", path)
