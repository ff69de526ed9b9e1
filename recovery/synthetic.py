"""Made-up but plausible running activities, for the benchmark, the tests and the demo file.

Everything is derived from `random.Random(seed)` and the arguments: no clock, no I/O
except in `main`, so the same seed and arguments always give the same bytes.

FIT files are written by a small encoder in this module (`struct` plus the FIT CRC from
`recovery.parsers.fit`), not by `fit_tool.fit_file_builder.FitFileBuilder`.
fit-tool 0.9.16 builds Python objects per field and validates every message: writing just
the 3,601 records of a one-hour 1 Hz run took 1.5-2 s, too slow for a benchmark that writes
a few hundred such files. The hand encoder (one definition per message type, then packed
data messages, the 14-byte header and both CRCs) writes the whole file in 13-20 ms.
tests/test_synthetic.py checks its output with fitdecode (CRC enforced) field by field.

Units follow the formats: FIT cadence, GPX `gpxtpx:cad` and TCX `RunCadence` count
strides (one foot), i.e. half of `Point.cadence_spm`, which counts steps. Cadence is
always generated as an even number of steps, as watches count strides, so halving is
exact in every format.
"""

from __future__ import annotations

import argparse
import gzip
import math
import random
import struct
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

from recovery.parsers.fit import fit_crc

EARTH_RADIUS_M = 6_371_008.8
CREATOR = "recovery synthetic"
#: The FIT activity message says local time is UTC+1, so readers can derive an offset.
LOCAL_OFFSET_S = 3600
DEMO_FILE = "demo-easy-run.fit"
DEMO_START = datetime(2026, 11, 23, 7, 30, tzinfo=UTC)
DEMO_PACE_S_PER_KM = 360.0
#: Long enough for about 6 km at the demo pace once the warm-up is counted.
DEMO_DURATION_S = 2220.0


@dataclass(frozen=True)
class Point:
    """One sample; `t` is seconds since the start, `cadence_spm` counts steps."""

    t: float
    lat: float
    lon: float
    altitude_m: float
    distance_m: float
    speed_mps: float
    heart_rate: int
    cadence_spm: int


@dataclass(frozen=True)
class SyntheticRun:
    """A made-up activity: an aware UTC start and its samples, the first at t=0."""

    start: datetime
    points: tuple[Point, ...]
    sport: str = "running"
    name: str = "Synthetic run"
    #: The FIT sub-sport (`to_fit`): "generic", or "strength_training" under the sport "training".
    sub_sport: str = "generic"
    #: False: the FIT file carries no positions (an indoor session), as a watch writes it.
    gps: bool = True

    @property
    def elapsed_s(self) -> float:
        """Seconds from the first to the last sample (no pauses, so also the timer time)."""
        return self.points[-1].t - self.points[0].t if self.points else 0.0

    @property
    def end(self) -> datetime:
        return self.start + timedelta(seconds=self.elapsed_s)

    @property
    def distance_m(self) -> float:
        return self.points[-1].distance_m if self.points else 0.0

    @property
    def avg_heart_rate(self) -> int:
        """Mean of the samples' heart rates (samples are evenly spaced)."""
        return round(sum(p.heart_rate for p in self.points) / len(self.points))

    @property
    def max_heart_rate(self) -> int:
        return max(p.heart_rate for p in self.points)

    @property
    def avg_cadence_spm(self) -> int:
        """Mean cadence in steps per minute, rounded to an even number like the samples."""
        mean = sum(p.cadence_spm for p in self.points) / len(self.points)
        return 2 * round(mean / 2)

    @property
    def ascent_m(self) -> float:
        return _climb([p.altitude_m for p in self.points])[0]

    @property
    def descent_m(self) -> float:
        return _climb([p.altitude_m for p in self.points])[1]

    @property
    def calories(self) -> int:
        """A rough estimate: about 1 kcal per kg per km for a 70 kg runner."""
        return round(self.distance_m / 1000 * 70)


def make_run(
    seed: int,
    start: datetime,
    duration_s: float = 3600,
    interval_s: float = 1.0,
    pace_s_per_km: float = 330,
    lat: float = 48.8566,
    lon: float = 2.3522,
    sport: str = "running",
) -> SyntheticRun:
    """A plausible run: a loop-ish route near (lat, lon), warm-up, hills, HR drift.

    Samples are taken every `interval_s` from 0 to `duration_s` inclusive. Distance is
    the trapezoidal integral of speed, and each step moves the position by exactly that
    distance (flat-earth metres-to-degrees at the current latitude).
    """
    if start.tzinfo is None:
        raise ValueError("start must be timezone-aware")
    if duration_s <= 0 or interval_s <= 0 or pace_s_per_km <= 0:
        raise ValueError("duration_s, interval_s and pace_s_per_km must be positive")
    start = start.astimezone(UTC)
    rng = random.Random(seed)

    steps = max(1, math.ceil(duration_s / interval_s - 1e-9))
    times = [min(i * interval_s, duration_s) for i in range(steps + 1)]
    target = 1000.0 / pace_s_per_km

    # Terrain, fixed per seed: altitude is a sum of gentle waves along the distance.
    base_alt = rng.uniform(20.0, 120.0)
    hills = _waves(rng, 3, (4.0, 10.0), (1200.0, 4000.0))
    # Pace: slow swings over minutes, plus a little step-to-step noise.
    swings = _waves(rng, 2, (0.01, 0.03), (240.0, 900.0))
    warm_up_s = rng.uniform(360.0, 720.0)
    warm_up_slow = rng.uniform(0.06, 0.12)
    # Heart rate: rises from ~110 towards ~155, drifting up a few beats per hour.
    hr_rest = rng.uniform(105.0, 114.0)
    hr_steady = rng.uniform(146.0, 152.0) + (330.0 - pace_s_per_km) / 15.0
    hr_tau = rng.uniform(240.0, 420.0)
    hr_drift = rng.uniform(4.0, 9.0) / 3600.0
    cadence_base = rng.uniform(166.0, 174.0)
    # Route: one slow turn through 360 degrees over the run, with gentle bends.
    heading0 = rng.uniform(0, 2 * math.pi)
    turn = rng.choice((-1.0, 1.0)) * 2 * math.pi
    bends = _waves(rng, 3, (0.15, 0.45), (300.0, 1400.0))

    def altitude_at(d: float) -> float:
        return base_alt + sum(a * math.sin(2 * math.pi * d / w + ph) for a, w, ph in hills)

    def grade_at(d: float) -> float:
        return sum(a * 2 * math.pi / w * math.cos(2 * math.pi * d / w + ph) for a, w, ph in hills)

    # Pass 1: speed, distance, altitude, heart rate, cadence.
    speeds: list[float] = []
    dists: list[float] = []
    alts: list[float] = []
    hrs: list[int] = []
    cads: list[int] = []
    noise = 0.0
    effort = 0.0
    hr_noise = 0.0
    dist = 0.0
    prev_t = 0.0
    lag = min(1.0, interval_s / 30.0)  # heart rate follows effort over about 30 s
    for i, t in enumerate(times):
        grade = grade_at(dist)
        ramp = 1.0 - 0.45 * math.exp(-t / 4.0)  # from standing to running in a few seconds
        warm = 1.0 - warm_up_slow * 0.5 * (1.0 + math.cos(math.pi * min(t, warm_up_s) / warm_up_s))
        swing = sum(a * math.sin(2 * math.pi * t / w + ph) for a, w, ph in swings)
        noise = 0.9 * noise + rng.gauss(0.0, 0.006)
        speed = target * ramp * warm * (1.0 + swing + noise - 2.5 * grade)
        speed = max(0.5, speed)
        if i:
            dist += (speeds[-1] + speed) / 2.0 * (t - prev_t)
        prev_t = t
        speeds.append(speed)
        dists.append(dist)
        alts.append(altitude_at(dist) + rng.gauss(0.0, 0.15))
        # Effort (relative speed and climbing) moves the heart rate with a lag.
        effort += (min(1.0, t / 60.0) * (speed / target - 1.0 + 4.0 * grade) - effort) * lag
        hr_noise = 0.95 * hr_noise + rng.gauss(0.0, 0.4)
        hr = hr_rest + (hr_steady - hr_rest) * (1.0 - math.exp(-t / hr_tau)) + hr_drift * t
        hrs.append(round(min(200.0, max(60.0, hr + 40.0 * effort + hr_noise))))
        steps_pm = cadence_base + 12.0 * (speed - target) + rng.gauss(0.0, 1.2)
        cads.append(2 * round(min(186.0, max(150.0, steps_pm)) / 2))

    # Pass 2: positions, each step as long as the distance it covers.
    total = max(dist, 1.0)
    lat0 = math.radians(lat)
    la, lo = lat0, math.radians(lon)
    points: list[Point] = []
    for i, t in enumerate(times):
        if i:
            step = dists[i] - dists[i - 1]
            d_mid = (dists[i] + dists[i - 1]) / 2.0
            heading = heading0 + turn * d_mid / total
            heading += sum(a * math.sin(2 * math.pi * d_mid / w + ph) for a, w, ph in bends)
            la_mid = la + step * math.cos(heading) / (2.0 * EARTH_RADIUS_M)
            la += step * math.cos(heading) / EARTH_RADIUS_M
            lo += step * math.sin(heading) / (EARTH_RADIUS_M * math.cos(la_mid))
        points.append(
            Point(
                t=t,
                lat=math.degrees(la),
                lon=math.degrees(lo),
                altitude_m=round(alts[i], 2),
                distance_m=dists[i],
                speed_mps=speeds[i],
                heart_rate=hrs[i],
                cadence_spm=cads[i],
            )
        )
    name = "Morning run" if 5 <= start.hour < 12 else "Afternoon run" if start.hour < 18 else "Evening run"
    return SyntheticRun(start=start, points=tuple(points), sport=sport, name=name)


def make_strength_session(
    seed: int, start: datetime, duration_s: float = 1800, interval_s: float = 1.0, *, heart_rate: bool = True
) -> SyntheticRun:
    """A strength session as a watch records it: FIT sport training, sub-sport strength_training, indoors.

    No positions and no distance; the heart rate (when `heart_rate`) climbs
    during each set of about 45 s and settles in the rest after it. Without
    it the samples carry none (a watch worn without its sensor).
    """
    if start.tzinfo is None:
        raise ValueError("start must be timezone-aware")
    if duration_s <= 0 or interval_s <= 0:
        raise ValueError("duration_s and interval_s must be positive")
    rng = random.Random(seed)
    rest = rng.uniform(75.0, 85.0)
    steps = max(1, math.ceil(duration_s / interval_s - 1e-9))
    points = []
    for i in range(steps + 1):
        t = min(i * interval_s, duration_s)
        in_set = (t % 120.0) < 45.0
        hr = rest + (35.0 if in_set else 15.0) + rng.gauss(0.0, 2.0)
        points.append(Point(t=t, lat=0.0, lon=0.0, altitude_m=0.0, distance_m=0.0, speed_mps=0.0,
                            heart_rate=round(hr) if heart_rate else 0, cadence_spm=0))  # fmt: skip
    return SyntheticRun(start=start.astimezone(UTC), points=tuple(points), sport="training",
                        name="Strength", sub_sport="strength_training", gps=False)  # fmt: skip


def _waves(
    rng: random.Random, count: int, amp: tuple[float, float], wave: tuple[float, float]
) -> list[tuple[float, float, float]]:
    """`count` random (amplitude, wavelength, phase) triples, drawn from the given ranges."""
    return [(rng.uniform(*amp), rng.uniform(*wave), rng.uniform(0, math.tau)) for _ in range(count)]


def _climb(altitudes: Sequence[float], threshold: float = 1.0) -> tuple[float, float]:
    """Metres up and down, ignoring wiggles smaller than `threshold` (sensor noise)."""
    up = down = 0.0
    if not altitudes:
        return up, down
    anchor = altitudes[0]
    for a in altitudes[1:]:
        if a - anchor >= threshold:
            up += a - anchor
            anchor = a
        elif anchor - a >= threshold:
            down += anchor - a
            anchor = a
    return up, down


# --------------------------------------------------------------------------- FIT

FIT_EPOCH_UNIX = 631_065_600  # 1989-12-31T00:00:00Z
_FIT_PROFILE_VERSION = 2132  # 21.32
_FIT_PROTOCOL_VERSION = 0x20  # 2.0
_SEMICIRCLES_PER_DEG = 2**31 / 180.0
_FIT_SPORTS = {"running": 1, "cycling": 2, "walking": 11, "hiking": 17, "swimming": 5, "generic": 0,
               "fitness_equipment": 4, "training": 10}  # fmt: skip
_FIT_SUB_SPORTS = {"generic": 0, "strength_training": 20}
_FIT_INVALID_SINT32, _FIT_INVALID_UINT8 = 0x7FFFFFFF, 0xFF
# FIT base types: (base type byte, struct code)
_ENUM, _UINT8, _UINT16, _SINT32, _UINT32, _UINT32Z = (
    (0x00, "B"),
    (0x02, "B"),
    (0x84, "H"),
    (0x85, "i"),
    (0x86, "I"),
    (0x8C, "I"),
)
_STRING_SIZE = 20


class _FitMessage:
    """One local message type: its definition record and a packer for its data records."""

    def __init__(self, local: int, global_num: int, fields: Sequence[tuple[int, tuple[int, str]]]) -> None:
        self.local = local
        self.struct = struct.Struct("<B" + "".join(code for _, (_, code) in fields))
        self.definition = struct.pack("<BBBHB", 0x40 | local, 0, 0, global_num, len(fields))
        for num, (base, code) in fields:
            self.definition += struct.pack("<BBB", num, struct.calcsize("<" + code), base)

    def pack(self, *values: int | bytes) -> bytes:
        return self.struct.pack(self.local, *values)


_STRING = (0x07, f"{_STRING_SIZE}s")

_FILE_ID = _FitMessage(
    0,
    0,
    [(0, _ENUM), (1, _UINT16), (2, _UINT16), (3, _UINT32Z), (4, _UINT32), (8, _STRING)],
)  # type, manufacturer, product, serial_number, time_created, product_name
_EVENT = _FitMessage(1, 21, [(253, _UINT32), (0, _ENUM), (1, _ENUM), (3, _UINT32), (4, _UINT8)])
_RECORD = _FitMessage(
    2,
    20,
    [
        (253, _UINT32),  # timestamp
        (0, _SINT32),  # position_lat
        (1, _SINT32),  # position_long
        (5, _UINT32),  # distance, 1/100 m
        (73, _UINT32),  # enhanced_speed, mm/s
        (78, _UINT32),  # enhanced_altitude, (m + 500) * 5
        (3, _UINT8),  # heart_rate
        (4, _UINT8),  # cadence, strides per minute
    ],
)
# Lap (19) and session (18) share most fields, under different numbers: (name, lap, session, type).
_SUMMARY = (
    ("timestamp", 253, 253, _UINT32),
    ("event", 0, 0, _ENUM),
    ("event_type", 1, 1, _ENUM),
    ("start_time", 2, 2, _UINT32),
    ("start_position_lat", 3, 3, _SINT32),
    ("start_position_long", 4, 4, _SINT32),
    ("sport", 25, 5, _ENUM),
    ("sub_sport", 39, 6, _ENUM),
    ("total_elapsed_time", 7, 7, _UINT32),  # ms
    ("total_timer_time", 8, 8, _UINT32),  # ms
    ("total_distance", 9, 9, _UINT32),  # cm
    ("total_cycles", 10, 10, _UINT32),  # strides
    ("total_calories", 11, 11, _UINT16),
    ("avg_speed", 13, 14, _UINT16),  # mm/s
    ("max_speed", 14, 15, _UINT16),
    ("avg_heart_rate", 15, 16, _UINT8),
    ("max_heart_rate", 16, 17, _UINT8),
    ("avg_cadence", 17, 18, _UINT8),  # strides per minute
    ("max_cadence", 18, 19, _UINT8),
    ("total_ascent", 21, 22, _UINT16),
    ("total_descent", 22, 23, _UINT16),
    ("message_index", 254, 254, _UINT16),
    ("enhanced_avg_speed", 110, 124, _UINT32),
    ("enhanced_max_speed", 111, 125, _UINT32),
)
_SUMMARY_NAMES = [name for name, _, _, _ in _SUMMARY]
_LAP = _FitMessage(3, 19, [(lap, kind) for _, lap, _, kind in _SUMMARY] + [(24, _ENUM)])  # + lap_trigger
_SESSION = _FitMessage(
    4,
    18,
    [(session, kind) for _, _, session, kind in _SUMMARY]
    + [(25, _UINT16), (26, _UINT16), (28, _ENUM)],  # + first_lap_index, num_laps, trigger
)
_ACTIVITY = _FitMessage(
    5, 34, [(253, _UINT32), (0, _UINT32), (1, _UINT16), (2, _ENUM), (3, _ENUM), (4, _ENUM), (5, _UINT32)]
)  # timestamp, total_timer_time, num_sessions, type, event, event_type, local_timestamp

# Profile enum values used below.
_FILE_ACTIVITY, _MANUFACTURER_DEVELOPMENT = 4, 255
_EVENT_TIMER, _EVENT_LAP, _EVENT_SESSION, _EVENT_ACTIVITY = 0, 9, 8, 26
_EVENT_TYPE_START, _EVENT_TYPE_STOP, _EVENT_TYPE_STOP_ALL = 0, 1, 4
_LAP_TRIGGER_SESSION_END, _SESSION_TRIGGER_ACTIVITY_END, _ACTIVITY_MANUAL = 7, 0, 0


def _fit_time(moment: datetime, offset_s: float = 0.0) -> int:
    return round(moment.timestamp() + offset_s) - FIT_EPOCH_UNIX


def _semicircles(degrees: float) -> int:
    return max(-(2**31) + 1, min(2**31 - 1, round(degrees * _SEMICIRCLES_PER_DEG)))


def _u(value: float, limit: int) -> int:
    """Clamp a scaled value into an unsigned field, below its 'invalid' marker."""
    return max(0, min(limit - 1, round(value)))


def to_fit(run: SyntheticRun) -> bytes:
    """A FIT activity file: file_id, timer events, records, one lap, one session, activity.

    FIT timestamps are whole seconds, so sample times are rounded to the second.
    """
    if not run.points:
        raise ValueError("a run needs at least one point")
    start = _fit_time(run.start)
    end = _fit_time(run.start, run.elapsed_s)
    pts = run.points
    first = pts[0]
    records = bytearray()
    records += _FILE_ID.definition
    records += _FILE_ID.pack(
        _FILE_ACTIVITY, _MANUFACTURER_DEVELOPMENT, 1, 0x5EED0000 | (start & 0xFFFF), start, CREATOR.encode()
    )
    records += _EVENT.definition
    records += _EVENT.pack(start, _EVENT_TIMER, _EVENT_TYPE_START, 0, 0)
    records += _RECORD.definition
    pack = _RECORD.pack
    base = run.start.timestamp() - FIT_EPOCH_UNIX
    position = _semicircles if run.gps else (lambda _degrees: _FIT_INVALID_SINT32)
    for p in pts:
        records += pack(
            round(base + p.t),
            position(p.lat),
            position(p.lon),
            _u(p.distance_m * 100, 2**32),
            _u(p.speed_mps * 1000, 2**32),
            _u((p.altitude_m + 500) * 5, 2**32),
            _u(p.heart_rate, 255) if p.heart_rate > 0 else _FIT_INVALID_UINT8,  # 0: no reading
            _u(p.cadence_spm / 2, 255),
        )
    records += _EVENT.pack(end, _EVENT_TIMER, _EVENT_TYPE_STOP_ALL, 0, 0)

    elapsed_ms = _u(run.elapsed_s * 1000, 2**32)
    avg_speed = run.distance_m / run.elapsed_s if run.elapsed_s > 0 else 0.0
    max_speed = max(p.speed_mps for p in pts)
    summary = {
        "timestamp": end,
        "event_type": _EVENT_TYPE_STOP,
        "start_time": start,
        "start_position_lat": position(first.lat),
        "start_position_long": position(first.lon),
        "sport": _FIT_SPORTS.get(run.sport, 0),
        "sub_sport": _FIT_SUB_SPORTS.get(run.sub_sport, 0),
        "total_elapsed_time": elapsed_ms,
        "total_timer_time": elapsed_ms,
        "total_distance": _u(run.distance_m * 100, 2**32),
        "total_cycles": _u(sum(p.cadence_spm / 2 for p in pts) / len(pts) * run.elapsed_s / 60, 2**32),
        "total_calories": _u(run.calories, 2**16),
        "avg_speed": _u(avg_speed * 1000, 2**16),
        "max_speed": _u(max_speed * 1000, 2**16),
        "avg_heart_rate": _u(run.avg_heart_rate, 255) if run.max_heart_rate > 0 else _FIT_INVALID_UINT8,
        "max_heart_rate": _u(run.max_heart_rate, 255) if run.max_heart_rate > 0 else _FIT_INVALID_UINT8,
        "avg_cadence": _u(run.avg_cadence_spm / 2, 255),
        "max_cadence": _u(max(p.cadence_spm for p in pts) / 2, 255),
        "total_ascent": _u(run.ascent_m, 2**16),
        "total_descent": _u(run.descent_m, 2**16),
        "message_index": 0,
        "enhanced_avg_speed": _u(avg_speed * 1000, 2**32),
        "enhanced_max_speed": _u(max_speed * 1000, 2**32),
    }
    lap = [_EVENT_LAP if k == "event" else summary[k] for k in _SUMMARY_NAMES]
    session = [_EVENT_SESSION if k == "event" else summary[k] for k in _SUMMARY_NAMES]
    records += _LAP.definition + _LAP.pack(*lap, _LAP_TRIGGER_SESSION_END)
    records += _SESSION.definition + _SESSION.pack(*session, 0, 1, _SESSION_TRIGGER_ACTIVITY_END)
    records += _ACTIVITY.definition
    records += _ACTIVITY.pack(
        end, elapsed_ms, 1, _ACTIVITY_MANUAL, _EVENT_ACTIVITY, _EVENT_TYPE_STOP, end + LOCAL_OFFSET_S
    )

    header = struct.pack("<BBHI4s", 14, _FIT_PROTOCOL_VERSION, _FIT_PROFILE_VERSION, len(records), b".FIT")
    header += struct.pack("<H", fit_crc(header))
    body = header + bytes(records)
    return body + struct.pack("<H", fit_crc(body))


# --------------------------------------------------------------------------- GPX / TCX


def _iso(moment: datetime) -> str:
    """ISO 8601 in UTC with a Z, milliseconds only when the time has them."""
    moment = moment.astimezone(UTC)
    if moment.microsecond:
        return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _point_time(run: SyntheticRun, t: float) -> str:
    return _iso(run.start + timedelta(seconds=round(t, 3)))


def to_gpx(run: SyntheticRun) -> bytes:
    """GPX 1.1 with elevation, time and Garmin TrackPointExtension v1 heart rate and cadence."""
    out = [
        '<?xml version="1.0" encoding="UTF-8"?>\n',
        (
            f'<gpx version="1.1" creator={quoteattr(CREATOR)} xmlns="http://www.topografix.com/GPX/1/1"'
            ' xmlns:gpxtpx="http://www.garmin.com/xmlschemas/TrackPointExtension/v1"'
            ' xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"'
            ' xsi:schemaLocation="http://www.topografix.com/GPX/1/1 http://www.topografix.com/GPX/1/1/gpx.xsd'
            " http://www.garmin.com/xmlschemas/TrackPointExtension/v1"
            ' http://www8.garmin.com/xmlschemas/TrackPointExtensionv1.xsd">\n'
        ),
        f"  <metadata>\n    <name>{escape(run.name)}</name>\n",
        f"    <time>{_iso(run.start)}</time>\n  </metadata>\n",
        f"  <trk>\n    <name>{escape(run.name)}</name>\n    <type>{escape(run.sport)}</type>\n    <trkseg>\n",
    ]
    for p in run.points:
        out.append(
            f'      <trkpt lat="{p.lat:.7f}" lon="{p.lon:.7f}"><ele>{p.altitude_m:.1f}</ele>'
            f"<time>{_point_time(run, p.t)}</time><extensions><gpxtpx:TrackPointExtension>"
            f"<gpxtpx:hr>{p.heart_rate}</gpxtpx:hr><gpxtpx:cad>{p.cadence_spm // 2}</gpxtpx:cad>"
            "</gpxtpx:TrackPointExtension></extensions></trkpt>\n"
        )
    out.append("    </trkseg>\n  </trk>\n</gpx>\n")
    return "".join(out).encode("utf-8")


_TCX_SPORTS = {"running": "Running", "cycling": "Biking"}


def to_tcx(run: SyntheticRun) -> bytes:
    """TCX (TrainingCenterDatabase v2): one activity, one lap, trackpoints with TPX speed and cadence."""
    if not run.points:
        raise ValueError("a run needs at least one point")
    pts = run.points
    start = _iso(run.start)
    out = [
        '<?xml version="1.0" encoding="UTF-8"?>\n',
        (
            '<TrainingCenterDatabase xmlns="http://www.garmin.com/xmlschemas/TrainingCenterDatabase/v2"'
            ' xmlns:ns3="http://www.garmin.com/xmlschemas/ActivityExtension/v2"'
            ' xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"'
            ' xsi:schemaLocation="http://www.garmin.com/xmlschemas/TrainingCenterDatabase/v2'
            ' http://www.garmin.com/xmlschemas/TrainingCenterDatabasev2.xsd">\n'
        ),
        "  <Activities>\n",
        f'    <Activity Sport="{_TCX_SPORTS.get(run.sport, "Other")}">\n',
        f"      <Id>{start}</Id>\n",
        f'      <Lap StartTime="{start}">\n',
        f"        <TotalTimeSeconds>{run.elapsed_s:.1f}</TotalTimeSeconds>\n",
        f"        <DistanceMeters>{run.distance_m:.2f}</DistanceMeters>\n",
        f"        <MaximumSpeed>{max(p.speed_mps for p in pts):.3f}</MaximumSpeed>\n",
        f"        <Calories>{run.calories}</Calories>\n",
        f"        <AverageHeartRateBpm><Value>{run.avg_heart_rate}</Value></AverageHeartRateBpm>\n",
        f"        <MaximumHeartRateBpm><Value>{run.max_heart_rate}</Value></MaximumHeartRateBpm>\n",
        "        <Intensity>Active</Intensity>\n",
        "        <TriggerMethod>Manual</TriggerMethod>\n",
        "        <Track>\n",
    ]
    for p in pts:
        out.append(
            f"          <Trackpoint><Time>{_point_time(run, p.t)}</Time><Position>"
            f"<LatitudeDegrees>{p.lat:.7f}</LatitudeDegrees><LongitudeDegrees>{p.lon:.7f}</LongitudeDegrees>"
            f"</Position><AltitudeMeters>{p.altitude_m:.1f}</AltitudeMeters>"
            f"<DistanceMeters>{p.distance_m:.2f}</DistanceMeters>"
            f"<HeartRateBpm><Value>{p.heart_rate}</Value></HeartRateBpm>"
            f"<Extensions><ns3:TPX><ns3:Speed>{p.speed_mps:.3f}</ns3:Speed>"
            f"<ns3:RunCadence>{p.cadence_spm // 2}</ns3:RunCadence></ns3:TPX></Extensions></Trackpoint>\n"
        )
    avg_speed = run.distance_m / run.elapsed_s if run.elapsed_s > 0 else 0.0
    out += [
        "        </Track>\n",
        "        <Extensions><ns3:LX>",
        f"<ns3:AvgSpeed>{avg_speed:.3f}</ns3:AvgSpeed>",
        f"<ns3:AvgRunCadence>{run.avg_cadence_spm // 2}</ns3:AvgRunCadence>",
        f"<ns3:MaxRunCadence>{max(p.cadence_spm for p in pts) // 2}</ns3:MaxRunCadence>",
        "</ns3:LX></Extensions>\n",
        "      </Lap>\n",
        '      <Creator xsi:type="Device_t">\n',
        f"        <Name>{escape(CREATOR)}</Name>\n",
        "        <UnitId>0</UnitId>\n        <ProductID>0</ProductID>\n",
        "        <Version><VersionMajor>1</VersionMajor><VersionMinor>0</VersionMinor></Version>\n",
        "      </Creator>\n",
        "    </Activity>\n",
        "  </Activities>\n",
        "</TrainingCenterDatabase>\n",
    ]
    return "".join(out).encode("utf-8")


def gzip_bytes(data: bytes) -> bytes:
    """Gzip with mtime=0 and no file name, so the same input gives the same bytes."""
    return gzip.compress(data, mtime=0)


def demo_run() -> SyntheticRun:
    """The demo's easy run: about 6 km at about 6:00/km, 2026-11-23 07:30 UTC, seed 1."""
    return make_run(1, DEMO_START, duration_s=DEMO_DURATION_S, pace_s_per_km=DEMO_PACE_S_PER_KM)


def main(argv: Sequence[str] | None = None) -> None:
    """`python -m recovery.synthetic OUTPUT_DIR`: write the demo file into OUTPUT_DIR."""
    parser = argparse.ArgumentParser(prog="python -m recovery.synthetic", description=main.__doc__)
    parser.add_argument("output_dir", metavar="OUTPUT_DIR", type=Path)
    args = parser.parse_args(argv)
    args.output_dir.mkdir(parents=True, exist_ok=True)
    run = demo_run()
    path = args.output_dir / DEMO_FILE
    path.write_bytes(to_fit(run))
    km, minutes = run.distance_m / 1000, run.elapsed_s / 60
    print(f"wrote {path} ({km:.2f} km in {minutes:.0f} min, {len(run.points)} points)")


if __name__ == "__main__":
    main()
