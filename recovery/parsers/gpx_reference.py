"""The gpxpy-based GPX reader the project used before `recovery.parsers.gpx`: kept as the reference.

Unchanged but for one line: gpxpy quietly switches to lxml when lxml is installed (it now is, for
the fast reader), which would change what this reference reads (lxml re-decodes the text by its
declared encoding, and words its errors differently). It is pinned to the standard library's
ElementTree, as it ran in production. Used by tests/test_xml_fast.py as the cross-check and by
bench/xml_parse.py as the baseline; nothing in the app calls it.

gpxpy reads the XML (after the shared safety check, `recovery.parsers.check_xml`); heart rate
and cadence come from whichever extension namespace the app used.
"""

from __future__ import annotations

import math
import xml.etree.ElementTree
from datetime import UTC, datetime

import gpxpy
import gpxpy.geo
import gpxpy.gpx
import gpxpy.parser

from recovery import bounds
from recovery.classify import normalise_sport
from recovery.errors import FileRejected, NotAnActivity
from recovery.model import Run
from recovery.parsers import samples
from recovery.streams import downsample, from_rows

_HR_TAGS = {"hr", "heartrate", "heart_rate"}
#: Years outside this range are a device's clock gone wrong (no GPS watch predates 1990).
SANE_YEARS = (1990, 2100)

gpxpy.parser.mod_etree = xml.etree.ElementTree  # as in production before lxml came in (see the docstring)


def parse(data: bytes | str, name: str, content_id: str) -> Run:
    """Read a GPX file into a Run, or say in one sentence why it is not one."""
    try:
        gpx = gpxpy.parse(data if isinstance(data, str) else as_text(data))
    except gpxpy.gpx.GPXXMLSyntaxException as exc:
        raise FileRejected(name, f"is not well-formed XML, so it cannot be read as GPX ({_cause(exc)})") from exc
    except gpxpy.gpx.GPXException as exc:
        raise FileRejected(name, f"is a GPX file with invalid content ({_cause(exc)})") from exc
    except (ValueError, TypeError) as exc:
        raise FileRejected(name, f"is a GPX file with invalid values ({_cause(exc)})") from exc

    points = [p for track in gpx.tracks for seg in track.segments for p in seg.points]
    if not points:
        if gpx.routes:
            raise NotAnActivity(name, "holds a planned route, not a recorded activity")
        if gpx.waypoints:
            raise NotAnActivity(name, "holds only waypoints, not a recorded activity")
        raise NotAnActivity(name, "holds no track points, so there is no activity in it")
    timed = [p for p in points if p.time is not None]
    if not timed:
        raise NotAnActivity(
            name, "has no times on its points: it looks like a route drawn on a map, not a recorded activity"
        )
    when = _plausible_times(timed, name)
    origin = min(when.values())
    rows = []
    running = 0.0  # along the track, not counting the jump between segments
    recorded = 0.0  # time within segments: a new segment means the recording paused
    for track in gpx.tracks:
        for seg in track.segments:
            prev: gpxpy.gpx.GPXTrackPoint | None = None
            seg_times = [when[id(p)] for p in seg.points if id(p) in when]
            if seg_times:
                recorded += (max(seg_times) - min(seg_times)).total_seconds()
            for p in seg.points:
                if bounds.is_position(p.latitude, p.longitude):
                    if prev is not None:
                        running += samples.haversine_m(prev.latitude, prev.longitude, p.latitude, p.longitude)
                    prev = p
                moment = when.get(id(p))
                if moment is None:
                    continue
                hr = _extension_value(p, _HR_TAGS)
                rows.append(
                    ((moment - origin).total_seconds(), running, None, hr, p.elevation, p.latitude, p.longitude)
                )
    # Some apps write points slightly out of time order; sort them, keeping
    # the distance along the track monotonic.
    rows.sort(key=lambda r: r[0])
    furthest = 0.0
    for i, row in enumerate(rows):
        furthest = max(furthest, row[1])
        rows[i] = (row[0], furthest, *row[2:])
    full = from_rows(rows)
    speed_rows = _speeds(full.t, full.distance)
    full = from_rows(
        (t, d, s, h, a, la, lo)
        for t, d, s, h, a, la, lo in zip(
            full.t, full.distance, speed_rows, full.hr, full.altitude, full.lat, full.lon, strict=True
        )
    )

    elapsed = recorded
    moving = samples.moving_time(full.t, full.distance)
    distance = _length(gpx, when)
    ascent, descent = samples.ascent_descent(full.altitude)
    avg_hr, max_hr = samples.heart_rate_summary(full.hr)
    label = next((t.type for t in gpx.tracks if t.type), "") or ""
    warnings = []
    if not SANE_YEARS[0] <= origin.year <= SANE_YEARS[1]:
        warnings.append(f"The file's dates look wrong (it starts in {origin.year}).")
    if len(timed) < len(points):
        warnings.append(f"Only {len(timed)} of its {len(points)} points have a time.")
    if len(when) < len(timed):
        warnings.append(f"{len(timed) - len(when)} of its points carry impossible times and were left out.")
    span = full.t[-1] - full.t[0] if len(full) >= 2 else 0.0
    if span > elapsed + 60:
        warnings.append(
            f"The recording was paused or split {_segments(gpx) - 1} time(s); the time between pieces is not counted."
        )
    return Run(
        content_id=content_id,
        source_format="gpx",
        sport=normalise_sport(label) or "other",
        sport_label=label,
        start_time_utc=origin,
        elapsed_s=elapsed,
        moving_s=moving,
        distance_m=distance,
        ascent_m=ascent,
        descent_m=descent,
        avg_hr=avg_hr,
        max_hr=max_hr,
        avg_cadence_spm=None,
        device=gpx.creator or None,
        laps=(),
        legs=(),
        streams=downsample(full),
        has_gps=True,
        warnings=tuple(warnings),
    )


def as_text(data: bytes) -> str:
    """The document as gpxpy reads it (and the XML safety check sees it): UTF-8, a BOM dropped."""
    return data.decode("utf-8-sig", errors="replace")


def _segments(gpx: gpxpy.gpx.GPX) -> int:
    return sum(1 for track in gpx.tracks for seg in track.segments if seg.points)


def _utc(moment: datetime) -> datetime | None:
    """The moment in UTC; None when it cannot be (year 1 at +05:00 lies before any datetime)."""
    try:
        if moment.tzinfo is None:
            return moment.replace(tzinfo=UTC)
        return moment.astimezone(UTC)
    except (OverflowError, ValueError):
        return None


def _plausible_times(timed: list[gpxpy.gpx.GPXTrackPoint], name: str) -> dict[int, datetime]:
    """Each timed point's UTC time, by id, leaving out the impossible (a stray year 9999).

    Refuses the file when no point has a time a watch could have recorded.
    """
    moments = [_utc(p.time) for p in timed if p.time is not None]
    keep = bounds.plausible_times(moments)
    when = {id(p): m for p, m, ok in zip(timed, moments, keep, strict=True) if ok and m is not None}
    if not when:
        raise bounds.impossible_start(name, min((m for m in moments if m is not None), default=None))
    return when


def _length(gpx: gpxpy.gpx.GPX, when: dict[int, datetime]) -> float:
    """gpxpy's 2D length (the figure its users know), over the points with a finite position.

    An infinite or NaN coordinate would make gpxpy raise or answer NaN, so
    those points are left out, as are points stamped with an impossible
    time (a glitch, not a place visited). Finite positions beyond ±90/±180 are still
    measured, as gpxpy does: a real OpenTracks file encodes its pauses that
    way and the manifest holds gpxpy's figure for it (see bounds.MAX_DISTANCE_M).
    """
    total = 0.0
    for track in gpx.tracks:
        for seg in track.segments:
            located = [p for p in seg.points if _finite_position(p) and (p.time is None or id(p) in when)]
            total += gpxpy.geo.length_2d(located) or 0.0
    return total


def _finite_position(point: gpxpy.gpx.GPXTrackPoint) -> bool:
    return bounds.finite(point.latitude) is not None and bounds.finite(point.longitude) is not None


def _extension_value(point: gpxpy.gpx.GPXTrackPoint, tags: set[str]) -> float | None:
    """Find e.g. <gpxtpx:hr> in any namespace, however deeply the app nested it."""
    for ext in point.extensions:
        for element in ext.iter():
            if not isinstance(element.tag, str):
                continue
            tag = element.tag.rsplit("}", 1)[-1].rsplit(":", 1)[-1].lower()
            if tag in tags and element.text:
                try:
                    return bounds.finite(float(element.text))  # "inf" and "nan" parse, and are no reading
                except ValueError:
                    return None
    return None


def _speeds(t: tuple[float, ...] | list[float], distance: tuple[float, ...] | list[float]) -> list[float]:
    """Speed over a few samples, so GPS jitter does not make sprints out of standing still."""
    out = []
    n = len(t)
    for i in range(n):
        a, b = max(0, i - 2), min(n - 1, i + 2)
        dt = t[b] - t[a]
        out.append((distance[b] - distance[a]) / dt if dt > 0 else math.nan)
    return out


def _cause(exc: Exception) -> str:
    text = str(exc).strip().split("\n")[0]
    return text[:160] or type(exc).__name__
