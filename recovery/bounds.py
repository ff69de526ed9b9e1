"""What a body, a watch and the Earth make possible, declared once.

Every parsed Run passes through `check_run` (from `read_activity`) and every
sample stream through `recovery.streams.from_rows`, so a damaged or hostile
file can carry no infinite, NaN or absurd figure into the store, the charts
or the coach. A value beyond its bound is dropped (None, or NaN in a stream)
rather than clipped: a clipped figure would look real. Pure: no clock here,
so the date window is constant.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from recovery.errors import FileRejected

if TYPE_CHECKING:  # recovery.model imports streams, which imports this module
    from recovery.model import Lap, Leg, Run

#: Heart rate in beats per minute: below 20 or above 250 is a sensor fault, not a heart.
MIN_HR, MAX_HR = 20, 250
#: Steps per minute: elite sprinters reach about 280; 0 means no footpod.
MIN_CADENCE_SPM, MAX_CADENCE_SPM = 1, 300
#: One activity lasts at most a year (a watch left recording for weeks is real; years are not).
MAX_DURATION_S = 366 * 86400.0
#: 50,000 km: more than once round the Earth. Widened from 10,000 km because a real OpenTracks
#: GPX (opentracks/legacy_gpx_pause_resume.gpx) is measured at 39,507 km by gpxpy, its reference reader.
MAX_DISTANCE_M = 50_000_000.0
#: Metres climbed (or descended) in one activity: a thousand kilometres, far above any ultra.
MAX_ASCENT_M = 1_000_000.0
#: Altitude in metres: below the Dead Sea shore with GPS error, above an airliner's cruise.
MIN_ALTITUDE_M, MAX_ALTITUDE_M = -1_000.0, 15_000.0
#: Speed in metres per second: 300 m/s (1,080 km/h) is beyond anything a watch rides in but a jet.
MAX_SPEED_MS = 300.0
#: Degrees on the globe.
MAX_LATITUDE, MAX_LONGITUDE = 90.0, 180.0
#: Local clock minus UTC: time zones span -12 h to +14 h; ISO 8601 allows up to 18 h.
MAX_UTC_OFFSET_S = 18 * 3600
#: Laps in one activity (a track session at one lap a second for a year would be far fewer).
MAX_LAPS = 100_000
#: Starts outside this window are a clock gone wrong. Widened from 1990 to 1900 because a real
#: GPSBabel file (gpxpy/Mojstrovka.gpx) starts at 1901-12-13, a 32-bit clock's first second.
EARLIEST_START = datetime(1900, 1, 1, tzinfo=UTC)
LATEST_START = datetime(2100, 1, 1, tzinfo=UTC)

#: The bounds of each stream column but time (see recovery.streams.COLUMNS).
STREAM_LIMITS: dict[str, tuple[float, float]] = {
    "distance": (0.0, MAX_DISTANCE_M),
    "speed": (0.0, MAX_SPEED_MS),
    "hr": (float(MIN_HR), float(MAX_HR)),
    "altitude": (MIN_ALTITUDE_M, MAX_ALTITUDE_M),
    "lat": (-MAX_LATITUDE, MAX_LATITUDE),
    "lon": (-MAX_LONGITUDE, MAX_LONGITUDE),
}


def number(value: object, low: float, high: float) -> float | None:
    """`value` when it is a real number within [low, high]; None otherwise (NaN, inf, text...)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        as_float = float(value)
    except OverflowError:  # an int too large for a float
        return None
    return value if low <= as_float <= high else None  # type: ignore[return-value]


def whole(value: object, low: float, high: float) -> int | None:
    """`number`, rounded to an int (heart rate, cadence, counts)."""
    kept = number(value, low, high)
    return None if kept is None else round(kept)


def finite(value: object) -> float | None:
    """A float, or None for anything that is not a finite number."""
    kept = number(value, -math.inf, math.inf)
    return float(kept) if kept is not None and math.isfinite(kept) else None


def is_position(lat: object, lon: object) -> bool:
    """True for a point on the globe: both finite and within ±90 / ±180."""
    return (
        number(lat, -MAX_LATITUDE, MAX_LATITUDE) is not None and number(lon, -MAX_LONGITUDE, MAX_LONGITUDE) is not None
    )


def in_window(moment: object) -> bool:
    """True for a datetime a watch could have recorded (naive ones are taken as UTC)."""
    if not isinstance(moment, datetime):
        return False
    try:
        utc = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    except (OverflowError, ValueError):
        return False
    return EARLIEST_START <= utc < LATEST_START


def plausible_times(moments: Sequence[datetime | None]) -> list[bool]:
    """Which moments belong to the recording: inside the window and within a year of the median.

    One point stamped 9999 (or 1995 in a 2021 run) is dropped instead of
    stretching the activity over centuries. A recording's times in UTC, all in the window and
    within a year of each other, are all kept without a look at each (a call per point was a
    tenth of reading a TCX file); `each_plausible` looks at each, and the two always agree.
    """
    if moments and all(type(m) is datetime and m.tzinfo is UTC for m in moments):
        first, last = min(moments), max(moments)  # type: ignore[type-var]
        if first >= EARLIEST_START and last < LATEST_START and last - first <= timedelta(seconds=MAX_DURATION_S):
            return [True] * len(moments)  # each within a year of the median: the whole span is
    return each_plausible(moments)


def each_plausible(moments: Sequence[datetime | None]) -> list[bool]:
    """`plausible_times`, moment by moment (a naive moment taken as UTC, as `in_window` takes it)."""
    inside = [in_window(m) for m in moments]
    aware = [m.replace(tzinfo=UTC) if ok and m.tzinfo is None else m for m, ok in zip(moments, inside, strict=True)]  # type: ignore[union-attr]
    kept = sorted(m for m, ok in zip(aware, inside, strict=True) if ok)  # type: ignore[type-var]
    if not kept:
        return inside
    middle = kept[len(kept) // 2]
    reach = timedelta(seconds=MAX_DURATION_S)
    return [ok and abs(m - middle) <= reach for m, ok in zip(aware, inside, strict=True)]  # type: ignore[operator]


def impossible_start(name: str, moment: object) -> FileRejected:
    """The refusal of a file whose start no watch could have recorded, naming the year."""
    if isinstance(moment, datetime):
        return FileRejected(name, f"records a start in {moment.year}, a date no watch could have recorded; refused")
    return FileRejected(name, "records times no watch could have recorded; refused")


def refuse_start(run: Run, name: str) -> None:
    """A start outside the window is no recording at all: refuse the file."""
    for start in (run.start_time_utc, run.start_time_local):
        if start is not None and not in_window(start):
            raise impossible_start(name, start)


def _start(moment: datetime | None) -> datetime | None:
    return moment if in_window(moment) else None


def _seconds(value: object) -> float | None:
    return number(value, 0.0, MAX_DURATION_S)


def _metres(value: object) -> float | None:
    return number(value, 0.0, MAX_DISTANCE_M)


def _climb(value: object) -> float | None:
    return number(value, 0.0, MAX_ASCENT_M)


def _hr(value: object) -> int | None:
    return whole(value, MIN_HR, MAX_HR)


def _cadence(value: object) -> int | None:
    return whole(value, MIN_CADENCE_SPM, MAX_CADENCE_SPM)


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


def _sport(sport: object) -> str:
    from recovery.model import SPORTS

    return sport if isinstance(sport, str) and sport in SPORTS else "other"


def clean_lap(lap: Lap) -> Lap:
    return dataclasses.replace(
        lap,
        start_time_utc=_start(lap.start_time_utc),
        elapsed_s=_seconds(lap.elapsed_s),
        moving_s=_seconds(lap.moving_s),
        distance_m=_metres(lap.distance_m),
        avg_hr=_hr(lap.avg_hr),
    )


def clean_leg(leg: Leg) -> Leg:
    return dataclasses.replace(
        leg,
        sport=_sport(leg.sport),
        sport_label=_text(leg.sport_label),
        start_time_utc=_start(leg.start_time_utc),
        elapsed_s=_seconds(leg.elapsed_s),
        moving_s=_seconds(leg.moving_s),
        distance_m=_metres(leg.distance_m),
        ascent_m=_climb(leg.ascent_m),
        avg_hr=_hr(leg.avg_hr),
        max_hr=_hr(leg.max_hr),
        avg_cadence_spm=_cadence(leg.avg_cadence_spm),
        laps=whole(leg.laps, 0, MAX_LAPS) or 0,
        is_transition=bool(leg.is_transition),
    )


def check_run(run: Run, name: str) -> Run:
    """The run with every implausible figure dropped; refused when its start is impossible."""
    refuse_start(run, name)
    return run.replace(
        sport=_sport(run.sport),
        sport_label=_text(run.sport_label),
        elapsed_s=_seconds(run.elapsed_s),
        moving_s=_seconds(run.moving_s),
        distance_m=_metres(run.distance_m),
        ascent_m=_climb(run.ascent_m),
        descent_m=_climb(run.descent_m),
        avg_hr=_hr(run.avg_hr),
        max_hr=_hr(run.max_hr),
        avg_cadence_spm=_cadence(run.avg_cadence_spm),
        device=run.device if isinstance(run.device, str) and run.device else None,
        laps=tuple(clean_lap(lap) for lap in run.laps),
        legs=tuple(clean_leg(leg) for leg in run.legs),
        utc_offset_s=whole(run.utc_offset_s, -MAX_UTC_OFFSET_S, MAX_UTC_OFFSET_S),
    )
