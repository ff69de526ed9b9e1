"""GPX, the XML track format phone apps, Strava and Garmin Connect export.

Read with lxml (after the shared safety check, `recovery.parsers.check_xml`; the settings in
`recovery.parsers.xmlsafe`): no entities resolved, no DTD loaded, nothing fetched, no huge text
nodes. A document of ordinary size is parsed whole and walked; a huge one is streamed with
iterparse. Either way each track point becomes one small tuple as soon as it is read and is then
cleared, instead of gpxpy's objects (its parse was three quarters of an import). It reads exactly what
gpxpy read for `recovery.parsers.gpx_reference`, the reader it replaced, down to gpxpy's
checks and their words, and tests/test_xml_fast.py holds it to the same Run, warnings and
refusals. Heart rate comes from whichever extension namespace the app used (GPX 1.1 only, as
gpxpy reads extensions only there).
"""

from __future__ import annotations

import functools
import math
import re
import xml.etree.ElementTree as StdET
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from itertools import accumulate, compress, repeat
from operator import le, sub
from typing import NamedTuple

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException
from lxml import etree

from recovery import bounds
from recovery.classify import normalise_sport
from recovery.errors import FileRejected, NotAnActivity
from recovery.model import Run
from recovery.parsers import samples, xmlcolumns, xmlsafe
from recovery.streams import downsample, from_columns, with_column

_DECLARES = "declares a DTD or XML entities, which activity files never need; refused for safety"
_HR_TAGS = {"hr", "heartrate", "heart_rate"}
#: Years outside this range are a device's clock gone wrong (no GPS watch predates 1990).
SANE_YEARS = (1990, 2100)
#: gpxpy drops the first default namespace from the text before parsing, so GPX's own elements
#: have bare names (and an element of the GPX namespace under a prefix is not read); so do we.
_DEFAULT_NAMESPACE = re.compile(r"""\sxmlns=(['"])[^'"]+\1""")
#: gpxpy's time pattern, as it is (its sign class runs from "+" to "−", as gpxpy's does).
_TIMESTAMP = re.compile(
    r"^([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})[T ]([0-9]{1,2}):([0-9]{1,2}):([0-9]{1,2})"
    r"(\.[0-9]{1,15})?(Z|[+-−][0-9]{2}:?(?:[0-9]{2})?)?$"
)
_DECLARATION = re.compile(r"<\?xml[ \t\r\n][^?]*\?>")
_FIXES = ("none", "2d", "3d", "dgps", "pps", "3")
#: The checked fields of a point, in gpxpy's order: (tag, or "@attribute", what it must hold).
_POINT_HEAD = (("@lat", "lat"), ("@lon", "lon"), ("ele", float))
_POINT_TAIL = (
    ("magvar", float),
    ("geoidheight", float),
    ("fix", "fix"),
    ("sat", int),
    ("hdop", float),
    ("vdop", float),
    ("pdop", float),
    ("ageofdgpsdata", float),
    ("dgpsid", int),
)
_RARE = frozenset(tag for tag, _kind in _POINT_TAIL) | {"course", "speed"}
_POINT = (*_POINT_HEAD, *_POINT_TAIL)  # a waypoint, a route point, a GPX 1.1 track point
_TRACK_POINT_10 = (*_POINT_HEAD, ("course", float), ("speed", float), *_POINT_TAIL)
_BOUNDS = (("@minlat", float), ("@maxlat", float), ("@minlon", float), ("@maxlon", float))
_TAGS = ("trkpt", "trkseg", "trk", "wpt", "rte", "metadata", "bounds")
#: gpxpy's Earth for its 2D length (gpxpy.geo), which is the run's distance.
_GPXPY_EARTH_RADIUS = 6378.137 * 1000
_GPXPY_ONE_DEGREE = (2 * math.pi * _GPXPY_EARTH_RADIUS) / 360


class _Invalid(Exception):
    """A value gpxpy refuses, in gpxpy's words."""


class _Point(NamedTuple):
    latitude: float
    longitude: float
    elevation: float | None
    timed: bool  # it carries a time gpxpy reads, even one with no UTC moment
    moment: datetime | None  # that time in UTC
    hr: float | None


def parse(data: bytes | str, name: str, content_id: str, *, check: Callable[[], None] | None = None) -> Run:
    """Read a GPX file into a Run, or say in one sentence why it is not one (`check`: see `xmlsafe.Walk`)."""
    original = data if isinstance(data, str) else as_text(data)
    text = _DEFAULT_NAMESPACE.sub("", original, count=1)
    reading = _Reading()
    source = _undeclared(text).encode("utf-8")  # the text is decoded already: a declared encoding no longer applies
    if check is not None and not _unseen_is_xml(original, text):
        check()
    try:
        walk = xmlsafe.Walk(source, "utf-8", _TAGS, name, whole=xmlsafe.held_whole(text), check=check)
        if not (walk.root is not None and not walk.error_log and reading.columns(walk.root, text)):
            for _event, element in walk:
                reading.element(element)
    except etree.XMLSyntaxError as exc:
        raise FileRejected(name, f"is not well-formed XML, so it cannot be read as GPX ({_cause(str(exc))})") from exc
    if walk.root is not None and walk.root.getroottree().docinfo.internalDTD is not None:
        raise FileRejected(name, _DECLARES)  # check_xml refuses it first; this holds when the reader is called alone
    cause = _syntax(text, walk.error_log, name)
    if cause is not None:
        raise FileRejected(name, f"is not well-formed XML, so it cannot be read as GPX ({cause})")
    invalid = reading.first_invalid()
    if invalid is not None:
        raise FileRejected(name, f"is a GPX file with invalid content ({_cause(invalid)})")

    segments = [seg for _label, track in reading.tracks for seg in track]
    points = [p for seg in segments for p in seg]
    if not points:
        if reading.routes:
            raise NotAnActivity(name, "holds a planned route, not a recorded activity")
        if reading.waypoints:
            raise NotAnActivity(name, "holds only waypoints, not a recorded activity")
        raise NotAnActivity(name, "holds no track points, so there is no activity in it")
    timed = [p for p in points if p.timed]
    if not timed:
        raise NotAnActivity(
            name, "has no times on its points: it looks like a route drawn on a map, not a recorded activity"
        )
    kept = _plausible_times(segments, timed, name)
    kept_moments = [list(compress([p.moment for p in seg], ok)) for seg, ok in zip(segments, kept, strict=True)]
    origin = min(moment for moments in kept_moments for moment in moments)
    t: list[float] = []
    along: list[float] = []  # the distance along the track, not counting the jump between segments
    rows: list[_Point] = []
    running = 0.0
    recorded = 0.0  # time within segments: a new segment means the recording paused
    for seg, ok, moments in zip(segments, kept, kept_moments, strict=True):
        if moments:
            recorded += (max(moments) - min(moments)).total_seconds()
        distances = _along(seg, running)
        running = distances[-1] if distances else running
        t += map(timedelta.total_seconds, map(sub, moments, repeat(origin)))
        along += compress(distances, ok)
        rows += compress(seg, ok)
    if not all(map(le, t[:-1], t[1:])):  # some apps write points slightly out of time order: sort them
        order = sorted(range(len(t)), key=t.__getitem__)  # stably, by time alone
        t, along, rows = [t[i] for i in order], [along[i] for i in order], [rows[i] for i in order]
    latitudes, longitudes, elevations, _timed, _moment, hrs = zip(*rows, strict=True)
    furthest = list(accumulate(along, max, initial=0.0))[1:]  # kept monotonic over the sort
    full = from_columns(t, furthest, [None] * len(t), hrs, elevations, latitudes, longitudes)
    full = with_column(full, "speed", _speeds(full.t, full.distance))
    elapsed = recorded
    moving = samples.moving_time(full.t, full.distance)
    distance = _length(segments, kept)
    ascent, descent = samples.ascent_descent(full.altitude)
    avg_hr, max_hr = samples.heart_rate_summary(full.hr)
    label = next((label for label, _track in reading.tracks if label), "") or ""
    warnings = []
    if not SANE_YEARS[0] <= origin.year <= SANE_YEARS[1]:
        warnings.append(f"The file's dates look wrong (it starts in {origin.year}).")
    if len(timed) < len(points):
        warnings.append(f"Only {len(timed)} of its {len(points)} points have a time.")
    if len(rows) < len(timed):
        warnings.append(f"{len(timed) - len(rows)} of its points carry impossible times and were left out.")
    span = full.t[-1] - full.t[0] if len(full) >= 2 else 0.0
    if span > elapsed + 60:
        pieces = sum(1 for seg in segments if seg)
        warnings.append(
            f"The recording was paused or split {pieces - 1} time(s); the time between pieces is not counted."
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
        device=reading.creator or None,
        laps=(),
        legs=(),
        streams=downsample(full),
        has_gps=True,
        warnings=tuple(warnings),
    )


def as_text(data: bytes) -> str:
    """The document as the GPX reader reads it (and the XML safety check sees it): UTF-8, a BOM dropped."""
    return data.decode("utf-8-sig", errors="replace")


class _Reading:
    """What the parse has gathered: tracks of segments of points, and gpxpy's first refusal in each part.

    gpxpy reads the metadata's bounds, then the waypoints, the routes, the tracks, and stops at
    the first value it refuses; the parse here meets them in document order, so it keeps the
    first refusal of each part and `first_invalid` answers as gpxpy would. A track point is read
    only under <trk><trkseg> at the top, as gpxpy finds them, and cleared once read.
    """

    def __init__(self) -> None:
        self.root: etree._Element | None = None
        self.segment: etree._Element | None = None  # the <trkseg> of the last track point read
        self.v11 = False
        self.creator: str | None = None
        self.tracks: list[tuple[str | None, list[list[_Point]]]] = []
        self.segments: list[list[_Point]] = []
        self.points: list[_Point] = []
        self.routes = 0
        self.waypoints = 0
        self.bounds_seen = False
        self.invalid_bounds: str | None = None
        self.invalid_waypoint: str | None = None
        self.invalid_route: str | None = None
        self.invalid_track: str | None = None
        self.invalid_point: str | None = None  # in the track being read

    def first_invalid(self) -> str | None:
        return self.invalid_bounds or self.invalid_waypoint or self.invalid_route or self.invalid_track

    def columns(self, root: etree._Element, text: str) -> bool:
        """Read a whole, well-formed tree column by column, as `element` would read it walked.

        The columns come from the document's `text` where every point is written the usual way
        (`_written_points`), else from the tree by XPath (`xmlcolumns`). Answers False, having
        read nothing, when a point holds something only the walk reads as gpxpy does (a rare
        field to check, a value gpxpy refuses): then the walk reads it.
        """
        self._root(root)
        count = int(_POINT_COUNT(root))
        written = _written_points(text, count)
        if written is not None:
            lats, lons, eles, times, hr_texts = written
            hrs = xmlcolumns.numbers(hr_texts) if self.v11 else [None] * count
        else:
            if _CHILDREN(root) != _USUAL_CHILDREN(root) and _RARE_CHILD(root):  # counting is cheap, looking is not
                return False
            lats, lons = _LATITUDES(root), _LONGITUDES(root)
            if len(lats) != count or len(lons) != count:  # a point without a position: gpxpy's refusal
                return False
            eles, times = _ELEVATIONS(root, count), _TIMES(root, count)
            hrs = _heart_rates(root, count) if self.v11 else [None] * count
            if eles is None or times is None or hrs is None:
                return False
        try:
            latitudes, longitudes = list(map(float, lats)), list(map(float, lons))
            elevations = [float(value) if value else None for value in eles]  # "" only from the text: no text
        except ValueError:
            return False
        timed, moments = _times(times)
        points = list(map(_Point, latitudes, longitudes, elevations, timed, moments, hrs))
        taken = 0
        for child in root:
            tag = child.tag
            if tag == "trk":
                segments = []
                for segment in child.iterchildren("trkseg"):
                    size = int(_SEGMENT_SIZE(segment))
                    segments.append(points[taken : taken + size])
                    taken += size
                self.segments = segments
                self._track(child)
            elif tag in ("wpt", "rte") or tag == ("metadata" if self.v11 else "bounds"):
                self.part(child)
        return True

    def element(self, element: etree._Element) -> None:
        if self.root is None:
            root = element
            while (up := root.getparent()) is not None:
                root = up
            self._root(root)
        parent = element.getparent()
        if parent is None:
            return
        tag = element.tag
        if tag == "trkpt":
            if parent is self.segment or (parent.tag == "trkseg" and _is_track(parent.getparent(), self.root)):
                self.segment = parent  # the next point is most likely in the same one: no need to look up again
                self._track_point(element, parent)
        elif parent is not self.root:
            if tag == "trkseg" and _is_track(parent, self.root):
                self.segments.append(self.points)
                self.points = []
                element.clear()
        elif tag == "trk":
            self._track(element)
            element.clear()  # walked, the tree is freed as it is read (a whole tree is freed at once, faster)
        else:
            self.part(element)

    def _root(self, root: etree._Element) -> None:
        self.root = root
        self.v11 = root.get("version") == "1.1"
        self.creator = root.get("creator")

    def part(self, element: etree._Element) -> None:
        """A waypoint, a route, or the bounds: a child of the root other than a track."""
        tag = element.tag
        if tag == "wpt":
            self.waypoints += 1
            if self.invalid_waypoint is None:
                self.invalid_waypoint = _invalid(element, _POINT)
            element.clear()
        elif tag == "rte":
            self.routes += 1
            if self.invalid_route is None:
                self.invalid_route = _invalid(element, (("number", int),)) or next(
                    (
                        problem
                        for point in element
                        if point.tag == "rtept" and (problem := _invalid(point, _POINT)) is not None
                    ),
                    None,
                )
            element.clear()
        elif not self.bounds_seen and tag == ("metadata" if self.v11 else "bounds"):
            self.bounds_seen = True  # gpxpy reads the first <metadata><bounds> (1.1) or <bounds> (1.0)
            box = element.find("bounds") if self.v11 else element
            self.invalid_bounds = _invalid(box, _BOUNDS) if box is not None else None

    def _track_point(self, element: etree._Element, segment: etree._Element) -> None:
        if self.invalid_track is None and self.invalid_point is None:
            try:
                self.points.append(self._point(element))
            except _Invalid as exc:
                self.invalid_point = str(exc)
        element.clear()
        while element.getprevious() is not None:
            del segment[0]

    def _point(self, element: etree._Element) -> _Point:
        children: dict[str, etree._Element] = {}
        for child in element:
            children.setdefault(child.tag, child)
        if children.keys().isdisjoint(_RARE):  # what a watch writes: only lat, lon and ele to check
            latitude = _coordinate(element, "lat", "latitude")
            longitude = _coordinate(element, "lon", "longitude")
            node = children.get("ele")
            elevation = None if node is None else _float_text(node.text, "ele")
        else:
            values = _checked(element, children, _POINT if self.v11 else _TRACK_POINT_10)
            latitude, longitude, elevation = values["@lat"], values["@lon"], values.get("ele")  # type: ignore[assignment]
        node = children.get("time")
        timed, moment = _time(node.text if node is not None else None)
        hr = None
        if self.v11 and (extensions := children.get("extensions")) is not None:
            hr = _extension_value(extensions, _HR_TAGS)
        return _Point(latitude, longitude, elevation, timed, moment, hr)  # type: ignore[arg-type]

    def _track(self, element: etree._Element) -> None:
        problem = _invalid(element, (("number", int),)) or self.invalid_point
        if self.invalid_track is None:
            self.invalid_track = problem
        label = None
        if self.v11:
            node = element.find("type")
            label = node.text if node is not None else None
        self.tracks.append((label, self.segments))
        self.segments, self.points, self.invalid_point = [], [], None


#: Track points as the walk finds them: in a <trkseg> of a <trk> of the root.
_POINTS = "/*/trk/trkseg/trkpt"
_POINT_COUNT = etree.XPath(f"count({_POINTS})")
_SEGMENT_SIZE = etree.XPath("count(trkpt)")
_CHILDREN = etree.XPath(f"count({_POINTS}/*)")
_USUAL_CHILDREN = etree.XPath(f"count({_POINTS}/ele) + count({_POINTS}/time) + count({_POINTS}/extensions)")
_RARE_CHILD = etree.XPath(f"boolean({_POINTS}/*[{' or '.join(f'self::{tag}' for tag in sorted(_RARE))}])")
_LATITUDES = etree.XPath(f"{_POINTS}/@lat", smart_strings=False)
_LONGITUDES = etree.XPath(f"{_POINTS}/@lon", smart_strings=False)
_ELEVATIONS = xmlcolumns.Column(_POINTS, f"ele[1]/{xmlcolumns.FIRST_TEXT}")
_TIMES = xmlcolumns.Column(_POINTS, f"time[1]/{xmlcolumns.FIRST_TEXT}")
_EXTENSIONS = etree.XPath(f"{_POINTS}/extensions[1]")
_ANY_EXTENSIONS = etree.XPath(f"boolean({_POINTS}/extensions)")


_SPACE = r"[ \t\r\n]*"
_VALUE = r"([^<&\r]*)"  # a text node as written: no markup, no reference, no line end libxml2 would rewrite
_ATTRIBUTE = r'"([^"<&\t\n\r]*)"'  # an attribute value libxml2 keeps as written (no whitespace to normalise)
_NAME = r"[A-Za-z_][\w.-]*"
#: Garmin's TrackPointExtension (v1 and v2, under any prefix), the one place watches and apps put heart
#: rate: its children in the schema's order, each holding only text, those before the heart rate
#: named otherwise. So its <hr> is the first element of a name in `_HR_TAGS` with text.
_TRACK_POINT_EXTENSION = (
    rf"<extensions>{_SPACE}<(?P<prefix>(?:{_NAME}:)?)TrackPointExtension>{_SPACE}"
    rf"(?:<(?P=prefix)(?:atemp|wtemp|depth|cad|speed|course|bearing)>[^<]*</(?P=prefix){_NAME}>{_SPACE})*"
    rf"(?:<(?P=prefix)hr>([^<&\r]+)</(?P=prefix)hr>{_SPACE}(?:<(?P=prefix){_NAME}>[^<]*</(?P=prefix){_NAME}>{_SPACE})*)?"
    rf"</(?P=prefix)TrackPointExtension>{_SPACE}</extensions>{_SPACE}"
)
#: A track point as watches and apps write one: lat then lon, then ele, time and extensions in
#: the schema's order, each at most once, no attribute, no prefix outside the extensions.
_WRITTEN_POINT = re.compile(
    rf"<trkpt lat={_ATTRIBUTE} lon={_ATTRIBUTE}>{_SPACE}"
    rf"(?:<ele>{_VALUE}</ele>{_SPACE})?"
    rf"(?:<time>{_VALUE}</time>{_SPACE})?"
    rf"(?:{_TRACK_POINT_EXTENSION})?"
    r"</trkpt>"
)


def _written_points(text: str, count: int) -> tuple[Sequence[str], ...] | None:
    """Each point's lat, lon, ele, time and heart rate as written in the text ("" for none), or None unless sure.

    It is sure when the tree's `count` track points (all at `_POINTS`) are the expression's
    matches and the only places "trkpt" is written: then no match lies in a comment, CDATA or
    text, each is one track point with its own start and end tags, and its children, written
    without attributes or prefixes, are GPX's (the default namespace is cut from the text, and
    a point in another namespace would be written with a prefix or a declaration). A value
    written without markup or references is the text node itself.
    """
    if text.count("trkpt") != 2 * count:
        return None
    rows = _WRITTEN_POINT.findall(text)
    if len(rows) != count:
        return None
    if not rows:
        return ((),) * 5
    latitudes, longitudes, elevations, times, _prefix, hrs = zip(*rows, strict=True)
    return latitudes, longitudes, elevations, times, hrs


def _is_track(node: etree._Element | None, root: etree._Element | None) -> bool:
    return node is not None and node.tag == "trk" and node.getparent() is root


def _checked(
    element: etree._Element, children: dict[str, etree._Element], fields: tuple[tuple[str, object], ...]
) -> dict[str, float | int | str | None]:
    """The fields' values as gpxpy converts them, or gpxpy's refusal of the first bad one."""
    values: dict[str, float | int | str | None] = {}
    for key, kind in fields:
        if key[0] == "@":
            raw = element.get(key[1:])
            label = None  # gpxpy names an attribute's field by its tag, which it has none of
        else:
            node = children.get(key)
            raw = node.text if node is not None else None
            label = key
        if raw is None:
            if kind in ("lat", "lon"):
                raise _Invalid(f"{'latitude' if kind == 'lat' else 'longitude'} is mandatory in None (got None)")
            continue
        if kind == "fix":
            if raw not in _FIXES:
                raise _Invalid(f'Invalid value "{raw}", possible: {_FIXES}')
            continue
        try:
            values[key] = int(raw.strip()) if kind is int else float(raw.strip())
        except Exception as exc:
            raise _Invalid(f"Invalid value for <{label}>... {raw} ({exc})") from exc
    return values


def _coordinate(element: etree._Element, attribute: str, field: str) -> float:
    """A point's lat or lon as `_checked` reads it, for the common case, without its loop."""
    raw = element.get(attribute)
    if raw is None:
        raise _Invalid(f"{field} is mandatory in None (got None)")
    try:
        return float(raw.strip())
    except Exception as exc:
        raise _Invalid(f"Invalid value for <None>... {raw} ({exc})") from exc


def _float_text(raw: str | None, label: str | None) -> float | None:
    """gpxpy's float field: None for no text, else float(text.strip()) or gpxpy's refusal."""
    if raw is None:
        return None
    try:
        return float(raw.strip())
    except Exception as exc:
        raise _Invalid(f"Invalid value for <{label}>... {raw} ({exc})") from exc


def _invalid(element: etree._Element, fields: tuple[tuple[str, object], ...]) -> str | None:
    children: dict[str, etree._Element] = {}
    for child in element:
        children.setdefault(child.tag, child)
    try:
        _checked(element, children, fields)
    except _Invalid as exc:
        return str(exc)
    return None


def _time(text: str | None) -> tuple[bool, datetime | None]:
    """(gpxpy reads a time, that time in UTC): as gpxpy's parse_time and the reference's `_utc` together.

    A time gpxpy cannot read is no time. One it reads but that lies beyond any datetime in UTC
    (year 1 at +05:00, an offset of 99 hours) is a time without a moment.
    """
    if not text:
        return False, None
    match = _TIMESTAMP.match(text)
    if match is None:
        return False, None
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    parts = (int(year), int(month), int(day), int(hour), int(minute), int(second))
    micro = int(fraction[1:7] + "0" * (6 - len(fraction[1:7]))) if fraction else 0
    try:
        local = datetime(*parts, micro)  # type: ignore[misc]
    except (ValueError, OverflowError):
        return False, None
    if not zone or zone == "Z":  # what almost every file writes: no offset to take away
        return True, local.replace(tzinfo=UTC)
    offset = timedelta(minutes=_offset_minutes(zone))
    if not -timedelta(hours=24) < offset < timedelta(hours=24):
        return True, None
    try:
        return True, (local - offset).replace(tzinfo=UTC)
    except OverflowError:
        return True, None


def _times(texts: list[str | None]) -> tuple[list[bool], list[datetime | None]]:
    """`_time` of each text, all at once when every one is written the ordinary way."""
    moments = xmlcolumns.ordinary_times(texts)
    if moments is not None:
        return [bool(text) for text in texts], moments
    pairs = list(map(_time, texts))
    return [timed for timed, _moment in pairs], [moment for _timed, moment in pairs]


def _offset_minutes(zone: str) -> int:
    """gpxpy's SimpleTZ reading of a zone ("Z", "+05:30", "-0800", "+05")."""
    if len(zone) < 2:
        return 0
    if zone[0] in ("−", "-"):
        sign, zone = -1, zone[1:]
    else:
        if zone[0] == "+":
            zone = zone[1:]
        sign = 1
    hour = int(zone[:2]) if zone[:2].isdigit() else 0
    minute = (int(zone[-2:]) if zone[-2:].isdigit() else 0) if len(zone) >= 4 else 0
    return sign * (hour * 60 + minute)


def _plausible_times(segments: list[list[_Point]], timed: list[_Point], name: str) -> list[list[bool]]:
    """For each segment, which of its points keep their time: a UTC moment, not an impossible one (a stray 9999).

    Refuses the file when no point has a time a watch could have recorded.
    """
    moments = [p.moment for p in timed]
    keep = iter(bounds.plausible_times(moments))
    kept = [[p.timed and next(keep) and p.moment is not None for p in seg] for seg in segments]
    if not any(map(any, kept)):
        raise bounds.impossible_start(name, min((m for m in moments if m is not None), default=None))
    return kept


def _along(segment: list[_Point], running: float) -> list[float]:
    """The distance along the track at each point, from `running` on: haversine steps between points with a position.

    A point without one (off the globe: OpenTracks marks its pauses so) adds nothing and is not stepped from.
    """
    latitudes, longitudes = [p.latitude for p in segment], [p.longitude for p in segment]
    if latitudes and _on_the_globe(latitudes, longitudes):  # what a watch writes: every step at once
        return list(accumulate(samples.haversine_steps(latitudes, longitudes), initial=running))
    return _along_stepwise(segment, running)


def _along_stepwise(segment: list[_Point], running: float) -> list[float]:
    """`_along` a point at a time, skipping the points off the globe."""
    out = []
    prev: _Point | None = None
    for p in segment:
        if bounds.is_position(p.latitude, p.longitude):
            if prev is not None:
                running += samples.haversine_m(prev.latitude, prev.longitude, p.latitude, p.longitude)
            prev = p
        out.append(running)
    return out


def _on_the_globe(latitudes: list[float], longitudes: list[float]) -> bool:
    """Whether every position is one (`bounds.is_position`), from the extremes of the columns."""
    if any(map(math.isnan, latitudes)) or any(map(math.isnan, longitudes)):
        return False
    return bounds.is_position(min(latitudes), min(longitudes)) and bounds.is_position(max(latitudes), max(longitudes))


def _length(segments: list[list[_Point]], kept: list[list[bool]]) -> float:
    """gpxpy's 2D length (the figure its users know), over the points with a finite position.

    An infinite or NaN coordinate would make gpxpy raise or answer NaN, so
    those points are left out, as are points stamped with an impossible
    time (a glitch, not a place visited). Finite positions beyond ±90/±180 are still
    measured, as gpxpy does: a real OpenTracks file encodes its pauses that
    way and the manifest holds gpxpy's figure for it (see bounds.MAX_DISTANCE_M).
    """
    total = 0.0
    for seg, ok in zip(segments, kept, strict=True):
        latitudes, longitudes = [p.latitude for p in seg], [p.longitude for p in seg]
        if not (all(ok) and math.isfinite(sum(latitudes)) and math.isfinite(sum(longitudes))):  # else, look at each
            located = [p for p, good in zip(seg, ok, strict=True) if _finite_position(p) and (good or not p.timed)]
            latitudes, longitudes = [p.latitude for p in located], [p.longitude for p in located]
        total += _length_2d(latitudes, longitudes)
    return total


def _length_2d(latitudes: list[float], longitudes: list[float]) -> float:
    """gpxpy.geo.length_2d, step for step, so the distance agrees to the last digit.

    gpxpy's distance from each point back to the one before: flat (the cosine at the later
    point, each point's taken once) within 0.2 degrees, `_far_distance` beyond.
    """
    cos, radians, sqrt = math.cos, math.radians, math.sqrt
    coefs = [cos(radians(latitude)) for latitude in latitudes]
    length: float = 0
    ends = zip(latitudes[1:], longitudes[1:], latitudes[:-1], longitudes[:-1], coefs[1:], strict=True)
    for lat1, lon1, lat2, lon2, coef in ends:
        x, d_lon = lat1 - lat2, lon1 - lon2
        if -0.2 <= x <= 0.2 and -0.2 <= d_lon <= 0.2:
            y = d_lon * coef
            d = sqrt(x * x + y * y) * _GPXPY_ONE_DEGREE
        else:
            d = _far_distance(lat1, lon1, lat2, lon2)
        if d:
            length += d
    return length


def _far_distance(latitude_1: float, longitude_1: float, latitude_2: float, longitude_2: float) -> float:
    """gpxpy.geo.distance without elevation for points more than 0.2 degrees apart: haversine on gpxpy's Earth."""
    d_lon = math.radians(longitude_1 - longitude_2)
    lat1 = math.radians(latitude_1)
    lat2 = math.radians(latitude_2)
    d_lat = lat1 - lat2
    a = math.pow(math.sin(d_lat / 2), 2) + math.pow(math.sin(d_lon / 2), 2) * math.cos(lat1) * math.cos(lat2)
    return _GPXPY_EARTH_RADIUS * (2 * math.asin(math.sqrt(a)))


def _finite_position(point: _Point) -> bool:
    return math.isfinite(point.latitude) and math.isfinite(point.longitude)  # floats: bounds.finite's test


def _heart_rates(root: etree._Element, count: int) -> list[float | None] | None:
    """Each point's heart rate from its extensions, or None when only some points have extensions.

    The names apps give heart rate differ in case and depth, so each point's extensions are
    searched as the walk searches them (`_extension_value`).
    """
    if not _ANY_EXTENSIONS(root):
        return [None] * count
    extensions = _EXTENSIONS(root)
    if len(extensions) != count:
        return None
    return [_extension_value(element, _HR_TAGS) for element in extensions]


def _extension_value(extensions: etree._Element, tags: set[str]) -> float | None:
    """Find e.g. <gpxtpx:hr> in any namespace, however deeply the app nested it."""
    for element in extensions.iterdescendants(etree.Element):  # elements only, in document order
        if _bare(element.tag) in tags and element.text:
            try:
                return bounds.finite(float(element.text))  # "inf" and "nan" parse, and are no reading
            except ValueError:
                return None
    return None


@functools.lru_cache(maxsize=512)
def _bare(tag: str) -> str:
    """ "{ns}hr", "gpxtpx:hr", "HR" -> "hr"; a file repeats a few tags thousands of times."""
    return tag.rsplit("}", 1)[-1].rsplit(":", 1)[-1].lower()


def _speeds(t: Sequence[float], distance: Sequence[float]) -> list[float]:
    """Speed over a few samples, so GPS jitter does not make sprints out of standing still.

    Sample i's window runs from max(0, i - 2) to min(n - 1, i + 2): the columns shifted by two,
    their ends repeated.
    """
    n = len(t)
    if n < 2:
        return [math.nan] * n

    def before(column: Sequence[float]) -> list[float]:
        return [column[0], column[0], *column[: n - 2]]

    def after(column: Sequence[float]) -> list[float]:
        return [*column[2:], column[-1], column[-1]]

    spans = map(sub, after(t), before(t))
    return [
        (far - near) / dt if dt > 0 else math.nan
        for near, far, dt in zip(before(distance), after(distance), spans, strict=True)
    ]


def _unseen_is_xml(original: str, text: str) -> bool:
    """Whether what libxml2 is not shown is XML: the declaration, and the start tag the namespace was cut from."""
    declaration = _DECLARATION.match(text)
    if declaration is not None and not xmlsafe.expat_takes(declaration.group() + "<a/>"):
        return False
    cut = _DEFAULT_NAMESPACE.search(original)
    if cut is None:
        return True
    opening, closing = original.rfind("<", 0, cut.start()), original.find(">", cut.end())
    tag = original[opening : closing + 1] if opening >= 0 and closing >= 0 else ""
    return xmlsafe.expat_takes(tag if tag.endswith("/>") else tag[:-1] + "/>")


def _undeclared(text: str) -> str:
    """The text without its XML declaration, its lines kept.

    The text is decoded already, so the declared encoding no longer applies, and check_xml has
    read the declaration with expat, which takes some libxml2 refuses (version="inf").
    """
    declaration = _DECLARATION.match(text)
    if declaration is None:
        return text
    return "\n" * declaration.group().count("\n") + text[declaration.end() :]


def _syntax(text: str, log: etree._ListErrorLog, name: str) -> str | None:
    """Why the text is no XML in gpxpy's words ("Error parsing XML: ..."), or None when it is XML.

    Only a file lxml complained about comes here: the standard library reads the same text once
    more, as gpxpy did (check_xml refused any entity declaration), so a refusal keeps the sentence
    it always had. Where the standard library takes it, lxml's namespace complaints (a URI it
    finds invalid) pass, and its fatal errors (a text node over 10 MB) refuse the file.
    """
    complaints = [entry for entry in log if entry.level >= etree.ErrorLevels.ERROR]
    if not complaints:
        return None
    try:
        SafeET.XML(text)
    except DefusedXmlException as exc:  # check_xml refuses these first; this holds when the reader is called alone
        raise FileRejected(name, _DECLARES) from exc
    except StdET.ParseError as std:
        return _cause(f"Error parsing XML: {std}")
    fatal = next((entry for entry in complaints if entry.level == etree.ErrorLevels.FATAL), None)
    if fatal is None:
        return None
    return _cause(f"{fatal.message}, line {fatal.line}, column {fatal.column}")


def _cause(text: str) -> str:
    text = text.strip().split("\n")[0]
    return text[:160] or "Exception"
