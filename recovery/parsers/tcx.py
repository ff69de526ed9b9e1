"""TCX, Garmin's older XML format, still exported by Garmin Connect, Polar and Strava.

Read with lxml (after the shared safety check, `recovery.parsers.check_xml`; the settings in
`recovery.parsers.xmlsafe`): no entities resolved, no DTD loaded, nothing fetched, no huge text
nodes. A document of ordinary size is parsed whole and walked; a huge one is streamed with
iterparse, each trackpoint cleared once read. It reads exactly what `recovery.parsers.tcx_reference`
(the defusedxml reader it replaced) reads, and tests/test_xml_fast.py holds it to the same Run, warnings and refusals.
"""

from __future__ import annotations

import io
import math
import re
import xml.etree.ElementTree as StdET
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime, timedelta
from itertools import compress, repeat
from operator import le, sub
from typing import Any

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException
from lxml import etree

from recovery import bounds
from recovery.classify import normalise_sport
from recovery.errors import FileRejected, NotAnActivity
from recovery.model import FOOT_SPORTS, Lap, Leg, Run
from recovery.parsers import samples, xmlcolumns, xmlsafe
from recovery.streams import Streams, downsample, from_columns

#: The elements read, in any namespace (apps disagree on them).
_TAGS = ("{*}Trackpoint", "{*}Activity", "{*}Course", "{*}MultiSportSession", "{*}Author")
Element = etree._Element
_DECLARES = "declares a DTD or XML entities, which activity files never need; refused for safety"
_BOM = b"\xef\xbb\xbf"
_DECLARATION = re.compile(rb"<\?xml[ \t\r\n][^?]*\?>")
_ENCODING = re.compile(rb"""encoding\s*=\s*["']([A-Za-z][A-Za-z0-9._-]*)["']""")


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _child(element: Element, *path: str) -> Element | None:
    """Follow a path of local names, ignoring namespaces (apps disagree on them)."""
    node: Element | None = element
    for name in path:
        if node is None:
            return None
        node = next((c for c in node if _local(c.tag) == name), None)
    return node


def _text(element: Element, *path: str) -> str | None:
    node = _child(element, *path)
    return node.text.strip() if node is not None and node.text else None


def _number(element: Element, *path: str) -> float | None:
    """The finite number at `path`, or None ("inf", "nan" and "1e999" parse, and are no reading)."""
    text = _text(element, *path)
    try:
        return bounds.finite(float(text)) if text is not None else None
    except ValueError:
        return None


def _time(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
        if moment.tzinfo is None:
            return moment.replace(tzinfo=UTC)
        return moment.astimezone(UTC)
    except (ValueError, OverflowError):  # not a time, or one no datetime can hold in UTC
        return None


class _Reading:
    """What the parse has gathered so far: the rows of each lap, and each activity's leg as it ends.

    A trackpoint's row goes to the lap it belongs to as the reference reader saw it: the lap that
    is a direct child of its nearest Activity. A trackpoint nested in another trackpoint (a damaged
    file) follows it, in document order, and neither is cleared before the outer one is read.
    """

    def __init__(self) -> None:
        self.courses = 0
        self.author: str | None = None
        self.multisport = False
        self.activities = 0
        self.creator: str | None = None
        self.legs: list[Leg] = []
        self.laps: list[Lap] = []
        self.rows: list[tuple] = []
        self.lap_hr: list[tuple[float, float]] = []
        self.lap_max_hr: list[float] = []
        self.cadences: list[tuple[float, float]] = []
        self.origin: datetime | None = None
        self.lap_rows: dict[Element, list[tuple]] = {}
        self.nested: dict[Element, list[tuple]] = {}
        self.last_parent: Element | None = None
        self.last_owner: Element | None = None
        #: Free each activity once read, as a streamed walk must; a whole tree is freed at once, far faster.
        self.clearing = True

    def trackpoint(self, point: Element) -> None:
        block = [_trackpoint(point)]
        inner = self.nested.pop(point, None)
        if inner:
            block.extend(inner)
        parent = point.getparent()
        if parent is None or parent is not self.last_parent:  # the next point most likely shares its parent
            self.last_parent, self.last_owner = parent, _owner(point)
        owner = self.last_owner
        if owner is not None and _local(owner.tag) == "Trackpoint":  # it reads this one again: keep it whole
            self.nested.setdefault(owner, []).extend(block)
            return
        if owner is not None:
            self.lap_rows.setdefault(owner, []).extend(block)
        point.clear()
        if parent is not None and _local(parent.tag) == "Track":  # no one reads a Track's children
            while point.getprevious() is not None:
                del parent[0]

    def activity(self, activity: Element) -> None:
        """One activity (one leg of a multisport file), as the reference reader's loop reads it."""
        self.activities += 1
        rows = self.rows
        self.creator = self.creator or _text(activity, "Creator", "Name")
        label = activity.get("Sport", "")
        sport = normalise_sport(label) or "other"
        leg_laps = [c for c in activity if _local(c.tag) == "Lap"]
        leg_start = _time(leg_laps[0].get("StartTime")) if leg_laps else _time(_text(activity, "Id"))
        if self.origin is None:
            self.origin = leg_start
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
                self.lap_max_hr.append(max_hr)
            if cadence and sport in FOOT_SPORTS:
                self.cadences.append((cadence, seconds))
            self.laps.append(Lap(_time(lap.get("StartTime")), None, seconds, metres, round(hr) if hr else None))
            rows.extend(self.lap_rows.pop(lap, ()))
        self.lap_hr.extend(leg_hr)
        leg_times = _plausible([r[0] for r in rows[leg_rows_from:]])
        leg_elapsed = leg_time
        if leg_start is not None and leg_times:
            leg_elapsed = max(leg_time, (max(leg_times) - leg_start).total_seconds())
        self.legs.append(
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
        for lap in leg_laps:  # a lap's rows are taken or never will be
            self.lap_rows.pop(lap, None)
        if self.clearing:
            activity.clear()


def _owner(point: Element) -> Element | None:
    """Who reads this trackpoint: the nearest Trackpoint around it, else the Lap that is a direct child of
    its nearest Activity, else no one. It depends on the point's ancestors alone, all still open."""
    child, node = point, point.getparent()
    while node is not None:
        tag = _local(node.tag)
        if tag == "Trackpoint":
            return node
        if tag == "Activity":
            return child if _local(child.tag) == "Lap" else None
        child, node = node, node.getparent()
    return None


def parse(data: bytes, name: str, content_id: str, *, check: Callable[[], None] | None = None) -> Run:
    """Read a TCX file into a Run, or say in one sentence why it is not one (`check`: see `xmlsafe.Walk`)."""
    reading = _Reading()
    body, encoding = _undeclared(data)
    if check is not None and not xmlsafe.expat_takes(_prolog(data) + b"<a/>"):
        check()  # the declaration libxml2 is not shown is no XML
    try:
        walk = xmlsafe.Walk(body, encoding, _TAGS, name, whole=xmlsafe.held_whole(data), check=check)
        events: Iterable[tuple[str, Element]] = walk
        whole = walk.root is not None and not walk.error_log
        if whole and (lap_rows := _columns(walk.root, _text_of(body, encoding))) is not None:
            reading.lap_rows, reading.clearing = lap_rows, False  # the trackpoints read at once, the rest walked
            events = etree.iterwalk(walk.root, events=("end",), tag=_TAGS[1:])
        for _event, element in events:
            tag = _local(element.tag)
            if tag == "Trackpoint":
                reading.trackpoint(element)
            elif tag == "Activity":
                reading.activity(element)
            elif tag == "Course":
                reading.courses += 1
            elif tag == "MultiSportSession":
                reading.multisport = True
            elif tag == "Author":
                reading.author = _text(element, "Name")
    except (etree.XMLSyntaxError, LookupError) as exc:  # LookupError: an encoding libxml2 does not know
        raise FileRejected(name, f"is not well-formed XML, so it cannot be read as TCX ({exc})") from exc
    if walk.root is not None and walk.root.getroottree().docinfo.internalDTD is not None:
        raise FileRejected(name, _DECLARES)  # check_xml refuses it first; this holds when the reader is called alone
    cause = _syntax(data, walk.error_log, name)
    if cause is not None:
        raise FileRejected(name, f"is not well-formed XML, so it cannot be read as TCX ({cause})")

    if not reading.activities:
        if reading.courses:
            raise NotAnActivity(name, "is a course (a planned route), not a recorded activity")
        raise NotAnActivity(name, "holds no activity")

    legs, laps, rows, origin = reading.legs, reading.laps, reading.rows, reading.origin
    if origin is None:
        times = _plausible([r[0] for r in rows])
        origin = min(times) if times else None
    if origin is None:
        raise NotAnActivity(name, "records no start time, so it cannot be placed in your history")

    full = _timed_streams(rows, origin)
    moving = sum(leg.moving_s or 0.0 for leg in legs) if laps else samples.moving_time(full.t, full.distance)
    distance = sum(leg.distance_m or 0.0 for leg in legs) if laps else None
    if not distance and full.has("distance"):
        distance = max(d for d in full.distance if d == d)
    elapsed = full.t[-1] if len(full) else moving
    ascent, descent = samples.ascent_descent(full.altitude)
    avg_hr = samples.weighted_mean(reading.lap_hr)
    stream_avg, stream_max = samples.heart_rate_summary(full.hr)
    max_hr = round(max(reading.lap_max_hr)) if reading.lap_max_hr else stream_max
    cadence = samples.weighted_mean(reading.cadences)
    run_sport = next((leg.sport for leg in legs if not leg.is_transition), "other")
    label = next((leg.sport_label for leg in legs if not leg.is_transition), "")
    if reading.multisport or len({leg.sport for leg in legs}) > 1:
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
        device=reading.creator or reading.author,
        laps=tuple(laps),
        legs=tuple(legs) if len(legs) > 1 else (),
        streams=downsample(full),
        has_gps=full.has("lat"),
    )


def _prolog(data: bytes) -> bytes:
    """The byte-order mark and the XML declaration, as far as either is there: what `_undeclared` takes away."""
    start = len(_BOM) if data.startswith(_BOM) else 0
    declaration = _DECLARATION.match(data, start)
    return data[: declaration.end() if declaration is not None else start]


def _undeclared(data: bytes) -> tuple[bytes, str | None]:
    """The bytes without their XML declaration (lines kept), and the encoding it declared.

    check_xml has read the declaration with expat, which takes some libxml2 refuses
    (version="inf"); the encoding is all it tells a parser, so lxml is told that alone.
    """
    start = len(_BOM) if data.startswith(_BOM) else 0
    declaration = _DECLARATION.match(data, start)
    if declaration is None:
        return data, None
    named = _ENCODING.search(declaration.group())
    encoding = "utf-8" if start else named.group(1).decode("ascii") if named else None
    return b"\n" * declaration.group().count(b"\n") + data[declaration.end() :], encoding


def _syntax(data: bytes, log: etree._ListErrorLog, name: str) -> str | None:
    """Why the bytes are no XML in the words the refusal has always used (expat's), or None when they are.

    Only a file lxml complained about comes here: the standard library's parser reads it once
    more through defusedxml, as the reference did (check_xml refused any entity declaration). Where it takes the
    file, lxml's namespace complaints (a URI it finds invalid) pass, and its fatal errors (a text
    node over 10 MB) refuse it.
    """
    complaints = [entry for entry in log if entry.level >= etree.ErrorLevels.ERROR]
    if not complaints:
        return None
    try:
        for _ in SafeET.iterparse(io.BytesIO(data), events=("end",)):
            pass
    except DefusedXmlException as exc:  # check_xml refuses these first; this holds when the reader is called alone
        raise FileRejected(name, _DECLARES) from exc
    except StdET.ParseError as std:
        return str(std)
    fatal = next((entry for entry in complaints if entry.level == etree.ErrorLevels.FATAL), None)
    if fatal is None:
        return None
    return f"{fatal.message}, line {fatal.line}, column {fatal.column}"


def _plausible(times: list[datetime | None]) -> list[datetime]:
    """The times a watch could have recorded, dropping a stray year 9999 among them."""
    return [t for t, ok in zip(times, bounds.plausible_times(times), strict=True) if ok and t is not None]


def _timed_streams(rows: list[tuple], origin: datetime) -> Streams:
    """Trackpoints as streams of seconds from the start, in time order, leaving out impossible times.

    Sorted by time alone and stably: several real watches repeat a time, and
    a repeated point lacking heart rate or distance must neither reorder the
    others nor be compared (None with a number) to break the tie.
    """
    if not rows:
        return Streams()
    columns: list[Sequence[Any]] = list(zip(*rows, strict=True))
    keep = bounds.plausible_times(columns[0])
    if not all(keep):
        columns = [list(compress(column, keep)) for column in columns]
    t = list(map(timedelta.total_seconds, map(sub, columns[0], repeat(origin))))
    if not all(map(le, t[:-1], t[1:])):
        order = sorted(range(len(t)), key=t.__getitem__)
        t, columns = [t[i] for i in order], [[column[i] for i in order] for column in columns]
    return from_columns(t, *columns[1:])


def _trackpoint(point: Element) -> tuple:
    """One trackpoint's row, as `_child`, `_text` and `_number` read it, with its children looked at once."""
    first: dict[str, Element] = {}
    for child in point:
        first.setdefault(child.tag.rsplit("}", 1)[-1], child)  # _local, inlined: it runs for every child
    hr = _value(_first(first.get("HeartRateBpm"), "Value"))
    speed = None
    ext = first.get("Extensions")
    if ext is not None:
        for node in ext.iter("{*}Speed"):
            if node.text:
                try:
                    speed = bounds.finite(float(node.text))
                except ValueError:
                    speed = None
    position = first.get("Position")
    return (
        _time(_stripped(first.get("Time"))),
        _value(first.get("DistanceMeters")),
        speed,
        hr if hr else None,
        _value(first.get("AltitudeMeters")),
        _value(_first(position, "LatitudeDegrees")),
        _value(_first(position, "LongitudeDegrees")),
    )


#: Trackpoints where almost every file has them, in Garmin's namespace: the rows `_columns` reads.
_GARMIN = "http://www.garmin.com/xmlschemas/TrainingCenterDatabase/v2"
_NAMESPACES = {"t": _GARMIN}
_ROOT = f"{{{_GARMIN}}}TrainingCenterDatabase"
_LAPS = "/t:TrainingCenterDatabase/t:Activities/t:Activity/t:Lap"
_POINTS = f"{_LAPS}/t:Track/t:Trackpoint"
_POINT_COUNT = etree.XPath(f"count({_POINTS})", namespaces=_NAMESPACES)
_LAP_ELEMENTS = etree.XPath(_LAPS, namespaces=_NAMESPACES)
_LAP_SIZE = etree.XPath("count(t:Track/t:Trackpoint)", namespaces=_NAMESPACES)
#: Children in another namespace, which the walk finds by local name and the table would miss.
_FOREIGN = etree.XPath(
    " + ".join(f"count({_POINTS}{at}/*) - count({_POINTS}{at}/t:*)" for at in ("", "/t:Position", "/t:HeartRateBpm")),
    namespaces=_NAMESPACES,
)
_TEXT = xmlcolumns.FIRST_TEXT
#: `_trackpoint`'s row, in its order; the speed is the last <Speed> with text, at any depth, as the walk's loop keeps.
_TABLE = xmlcolumns.Table(
    _POINTS,
    (
        f"t:Time[1]/{_TEXT}",
        f"t:DistanceMeters[1]/{_TEXT}",
        f"(t:Extensions[1]//*[local-name()='Speed'][{_TEXT} != ''])[last()]/{_TEXT}",
        f"t:HeartRateBpm[1]/t:Value[1]/{_TEXT}",
        f"t:AltitudeMeters[1]/{_TEXT}",
        f"t:Position[1]/t:LatitudeDegrees[1]/{_TEXT}",
        f"t:Position[1]/t:LongitudeDegrees[1]/{_TEXT}",
    ),
    _NAMESPACES,
)


def _columns(root: Element, text: str | None) -> dict[Element, list[tuple]] | None:
    """Each lap's rows, read at once, when every trackpoint is where `_TABLE` looks for it.

    That is a Trackpoint of a Track of a Lap of an Activity of the document's Activities, in
    Garmin's namespace as its values are, none nested in another: then each row is
    `_trackpoint`'s and goes to the lap `_owner` names. Otherwise None, and the walk reads them.
    The rows are read from the document's `text` where it is written the usual way
    (`_written_columns`), else by `_TABLE` from the tree.
    """
    if root.tag != _ROOT:
        return None
    count = int(_POINT_COUNT(root))
    if sum(1 for _ in root.iter("{*}Trackpoint")) != count:
        return None
    columns = _written_columns(text, count) if text is not None else None
    if columns is None:
        if _FOREIGN(root):
            return None
        columns = _TABLE(root, count)
    if columns is None:
        return None
    times, distances, speeds, hrs, altitudes, latitudes, longitudes = columns
    rows = list(
        zip(
            _times(times),
            xmlcolumns.numbers(distances),
            xmlcolumns.numbers(speeds),
            [hr if hr else None for hr in xmlcolumns.numbers(hrs)],
            xmlcolumns.numbers(altitudes),
            xmlcolumns.numbers(latitudes),
            xmlcolumns.numbers(longitudes),
            strict=True,
        )
    )
    lap_rows: dict[Element, list[tuple]] = {}
    taken = 0
    for lap in _LAP_ELEMENTS(root):
        size = int(_LAP_SIZE(lap))
        lap_rows[lap] = rows[taken : taken + size]
        taken += size
    return lap_rows


_SPACE = r"[ \t\r\n]*"
_VALUE = r"([^<&\r]*)"  # a text node as written: no markup, no reference, no line end libxml2 would rewrite
_PREFIX = r"(?:[A-Za-z_][\w.-]*:)?"
_OTHER = rf"<(?!{_PREFIX}Speed>){_PREFIX}[A-Za-z_][\w.-]*>[^<&]*</[\w:.-]+>{_SPACE}"
#: A trackpoint as Garmin, Polar and Strava write one: children in the schema's order, each at most once,
#: no attribute, no prefix outside the extensions, speed (if any) first in one TPX.
_WRITTEN_POINT = re.compile(
    rf"<Trackpoint>{_SPACE}"
    rf"(?:<Time>{_VALUE}</Time>{_SPACE})?"
    rf"(?:<Position>{_SPACE}<LatitudeDegrees>{_VALUE}</LatitudeDegrees>{_SPACE}"
    rf"<LongitudeDegrees>{_VALUE}</LongitudeDegrees>{_SPACE}</Position>{_SPACE})?"
    rf"(?:<AltitudeMeters>{_VALUE}</AltitudeMeters>{_SPACE})?"
    rf"(?:<DistanceMeters>{_VALUE}</DistanceMeters>{_SPACE})?"
    rf"(?:<HeartRateBpm>{_SPACE}<Value>{_VALUE}</Value>{_SPACE}</HeartRateBpm>{_SPACE})?"
    rf"(?:<Cadence>[^<&]*</Cadence>{_SPACE})?"
    rf"(?:<SensorState>[^<&]*</SensorState>{_SPACE})?"
    rf"(?:<Extensions>{_SPACE}<{_PREFIX}TPX(?: xmlns=\"[^\"<&]*\")?>{_SPACE}"
    rf"(?:<{_PREFIX}Speed>{_VALUE}</{_PREFIX}Speed>{_SPACE})?(?:{_OTHER})*</{_PREFIX}TPX>{_SPACE}</Extensions>{_SPACE})?"
    r"</Trackpoint>"
)


def _text_of(body: bytes, encoding: str | None) -> str | None:
    """The document as text for `_written_columns`, when it is UTF-8 (as almost every TCX is); else None."""
    if encoding is not None and encoding.lower().replace("_", "-") not in ("utf-8", "utf8"):
        return None
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _written_columns(text: str, count: int) -> list[Sequence[str]] | None:
    """`_TABLE`'s columns read from the text by one regular expression, or None unless that is sure.

    It is sure when the tree's `count` trackpoints (all at `_POINTS`, none elsewhere) are the
    expression's matches and the only places "Trackpoint" is written: then no match lies in a
    comment, CDATA or text, each is one trackpoint element whose start and end tags it holds,
    and its children, written without attributes or prefixes, are in Garmin's namespace, so
    none is foreign. A value written without markup or references is the text node itself.
    """
    if text.count("Trackpoint") != 2 * count:
        return None
    rows = _WRITTEN_POINT.findall(text)
    if len(rows) != count:
        return None
    if not rows:
        return [[] for _ in range(7)]
    times, latitudes, longitudes, altitudes, distances, hrs, speeds = zip(*rows, strict=True)
    return [times, distances, speeds, hrs, altitudes, latitudes, longitudes]


def _times(texts: Sequence[str]) -> list[datetime | None]:
    """`_time` of each stripped text, all at once when all are written the ordinary way."""
    moments = xmlcolumns.ordinary_times(texts)
    return moments if moments is not None else [_time(text.strip()) for text in texts]


def _first(node: Element | None, name: str) -> Element | None:
    """`node`'s first child of that local name (`_child`'s step)."""
    if node is not None:
        for child in node:
            if child.tag.rsplit("}", 1)[-1] == name:
                return child
    return None


def _stripped(node: Element | None) -> str | None:
    return node.text.strip() if node is not None and node.text else None


def _value(node: Element | None) -> float | None:
    """`_number` of a node already found."""
    text = _stripped(node)
    if text is None:
        return None
    try:
        number = float(text)
    except ValueError:
        return None
    return number if math.isfinite(number) else None  # "inf", "nan" and "1e999" parse, and are no reading
