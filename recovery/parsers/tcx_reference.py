"""The defusedxml-based TCX reader the project used before `recovery.parsers.tcx`: kept, unchanged, as the reference.

Used by tests/test_xml_fast.py as the cross-check and by bench/xml_parse.py as the baseline;
nothing in the app calls it.

TCX, Garmin's older XML format, still exported by Garmin Connect, Polar and Strava.

Read with defusedxml's iterparse, so entity tricks are refused and a large
file streams instead of building one big tree.
"""

from __future__ import annotations

import io
from datetime import datetime
from xml.etree.ElementTree import Element, ParseError

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException

from recovery import bounds
from recovery.classify import normalise_sport
from recovery.errors import FileRejected, NotAnActivity
from recovery.model import FOOT_SPORTS, Lap, Leg, Run
from recovery.parsers import samples
from recovery.parsers.tcx import _child, _local, _number, _text, _time  # the same small readers as the new one
from recovery.streams import downsample, from_rows


def parse(data: bytes, name: str, content_id: str) -> Run:
    """Read a TCX file into a Run, or say in one sentence why it is not one."""
    activities: list[Element] = []
    courses = 0
    creator: str | None = None
    author: str | None = None
    multisport = False
    try:
        for _event, element in SafeET.iterparse(io.BytesIO(data), events=("end",)):
            tag = _local(element.tag)
            if tag == "Activity":
                activities.append(element)
            elif tag == "Course":
                courses += 1
            elif tag == "MultiSportSession":
                multisport = True
            elif tag == "Author":
                author = _text(element, "Name")
    except DefusedXmlException as exc:
        raise FileRejected(name, "declares XML entities, which activity files never need; refused for safety") from exc
    except ParseError as exc:
        raise FileRejected(name, f"is not well-formed XML, so it cannot be read as TCX ({exc})") from exc

    if not activities:
        if courses:
            raise NotAnActivity(name, "is a course (a planned route), not a recorded activity")
        raise NotAnActivity(name, "holds no activity")

    legs: list[Leg] = []
    laps: list[Lap] = []
    rows = []
    lap_hr: list[tuple[float, float]] = []
    lap_max_hr: list[float] = []
    cadences: list[tuple[float, float]] = []
    origin: datetime | None = None
    for activity in activities:
        creator = creator or _text(activity, "Creator", "Name")
        label = activity.get("Sport", "")
        sport = normalise_sport(label) or "other"
        leg_laps = [c for c in activity if _local(c.tag) == "Lap"]
        leg_start = _time(leg_laps[0].get("StartTime")) if leg_laps else _time(_text(activity, "Id"))
        if origin is None:
            origin = leg_start
        leg_time = leg_dist = 0.0
        leg_hr: list[tuple[float, float]] = []
        leg_rows_from = len(rows)
        for lap in leg_laps:
            seconds = _number(lap, "TotalTimeSeconds") or 0.0
            metres = _number(lap, "DistanceMeters") or 0.0
            hr = _number(lap, "AverageHeartRateBpm", "Value")
            max_hr = _number(lap, "MaximumHeartRateBpm", "Value")
            cadence = _number(lap, "Cadence") or _number(lap, "Extensions", "LX", "AvgRunCadence")
            leg_time += seconds
            leg_dist += metres
            if hr:
                leg_hr.append((hr, seconds))
            if max_hr:
                lap_max_hr.append(max_hr)
            if cadence and sport in FOOT_SPORTS:
                cadences.append((cadence, seconds))
            laps.append(Lap(_time(lap.get("StartTime")), None, seconds, metres, round(hr) if hr else None))
            for point in lap.iter():
                if _local(point.tag) == "Trackpoint":
                    rows.append(_trackpoint(point))
        lap_hr.extend(leg_hr)
        leg_times = _plausible([r[0] for r in rows[leg_rows_from:]])
        leg_elapsed = leg_time
        if leg_start is not None and leg_times:
            leg_elapsed = max(leg_time, (max(leg_times) - leg_start).total_seconds())
        legs.append(
            Leg(
                sport=sport,
                sport_label=label,
                start_time_utc=leg_start,
                elapsed_s=leg_elapsed,
                moving_s=leg_time,
                distance_m=leg_dist,
                avg_hr=samples.weighted_mean(leg_hr),
                laps=len(leg_laps),
                is_transition=label.lower() == "transition",
            )
        )
        activity.clear()

    if origin is None:
        times = _plausible([r[0] for r in rows])
        origin = min(times) if times else None
    if origin is None:
        raise NotAnActivity(name, "records no start time, so it cannot be placed in your history")

    full = from_rows(_timed_rows(rows, origin))
    moving = sum(leg.moving_s or 0.0 for leg in legs) if laps else samples.moving_time(full.t, full.distance)
    distance = sum(leg.distance_m or 0.0 for leg in legs) if laps else None
    if not distance and full.has("distance"):
        distance = max(d for d in full.distance if d == d)
    elapsed = full.t[-1] if len(full) else moving
    ascent, descent = samples.ascent_descent(full.altitude)
    avg_hr = samples.weighted_mean(lap_hr)
    stream_avg, stream_max = samples.heart_rate_summary(full.hr)
    max_hr = round(max(lap_max_hr)) if lap_max_hr else stream_max
    cadence = samples.weighted_mean(cadences)
    run_sport = next((leg.sport for leg in legs if not leg.is_transition), "other")
    label = next((leg.sport_label for leg in legs if not leg.is_transition), "")
    if multisport or len({leg.sport for leg in legs}) > 1:
        label = "multisport"
    return Run(
        content_id=content_id,
        source_format="tcx",
        sport=run_sport,
        sport_label=label,
        start_time_utc=origin,
        elapsed_s=elapsed,
        moving_s=moving,
        distance_m=distance,
        ascent_m=ascent,
        descent_m=descent,
        avg_hr=avg_hr if avg_hr is not None else stream_avg,
        max_hr=max_hr,
        avg_cadence_spm=round(cadence * 2) if cadence else None,
        device=creator or author,
        laps=tuple(laps),
        legs=tuple(legs) if len(legs) > 1 else (),
        streams=downsample(full),
        has_gps=full.has("lat"),
    )


def _plausible(times: list[datetime | None]) -> list[datetime]:
    """The times a watch could have recorded, dropping a stray year 9999 among them."""
    return [t for t, ok in zip(times, bounds.plausible_times(times), strict=True) if ok and t is not None]


def _timed_rows(rows: list[tuple], origin: datetime) -> list[tuple]:
    """Trackpoints as seconds from the start, in time order, leaving out impossible times.

    Sorted by time alone and stably: several real watches repeat a time, and
    a repeated point lacking heart rate or distance must neither reorder the
    others nor be compared (None with a number) to break the tie.
    """
    times = [r[0] for r in rows]
    keep = bounds.plausible_times(times)
    timed = [((r[0] - origin).total_seconds(), *r[1:]) for r, ok in zip(rows, keep, strict=True) if ok]
    timed.sort(key=lambda r: r[0])
    return timed


def _trackpoint(point: Element) -> tuple:
    hr = _number(point, "HeartRateBpm", "Value")
    speed = None
    ext = _child(point, "Extensions")
    if ext is not None:
        for node in ext.iter():
            if _local(node.tag) == "Speed" and node.text:
                try:
                    speed = bounds.finite(float(node.text))
                except ValueError:
                    speed = None
    return (
        _time(_text(point, "Time")),
        _number(point, "DistanceMeters"),
        speed,
        hr if hr else None,
        _number(point, "AltitudeMeters"),
        _number(point, "Position", "LatitudeDegrees"),
        _number(point, "Position", "LongitudeDegrees"),
    )
