"""The lxml GPX and TCX readers give the very Run the gpxpy/defusedxml readers gave, or the same refusal.

recovery/parsers/gpx_reference.py and tcx_reference.py are the readers the project used before;
every file here goes through the whole of `read_activity` with each, and the outcomes must be
equal: the Run to the last digit of every float (streams included), or the same kind of refusal
with the same sentence. The lxml readers read an ordinary file's track points at once, by column
(`recovery.parsers.xmlcolumns`); each file is also read by their element walk alone, which
must give the same outcome again.
"""

from __future__ import annotations

import contextlib
import copy
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from xml.etree import ElementTree

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from recovery import parsers
from recovery.errors import FileProblem
from recovery.model import Run
from recovery.parsers import gpx, gpx_reference, read_activity, read_file, tcx, tcx_reference, xmlcolumns, xmlsafe
from recovery.synthetic import gzip_bytes, make_run, to_gpx, to_tcx
from tests.manifest import rows
from tests.test_fuzz import DAMAGE, damaged

Outcome = Run | tuple[str, str]


@contextmanager
def _readers(gpx_parse: object, tcx_parse: object) -> Iterator[None]:
    """`read_activity` with these two XML readers in place of the app's, put back afterwards."""
    before = dict(parsers.PARSERS)
    parsers.PARSERS.update(gpx=gpx_parse, tcx=tcx_parse)
    try:
        yield
    finally:
        parsers.PARSERS.update(before)


@contextmanager
def _column_readers(gpx_columns: object, tcx_table: object) -> Iterator[None]:
    """The lxml readers with these in place of their column readings, put back afterwards."""
    columns, table = gpx._Reading.columns, tcx._columns
    gpx._Reading.columns, tcx._columns = gpx_columns, tcx_table  # type: ignore[method-assign,assignment]
    try:
        yield
    finally:
        gpx._Reading.columns, tcx._columns = columns, table  # type: ignore[method-assign]


def _walked() -> contextlib.AbstractContextManager[None]:
    """The lxml readers without their column reading: every track point read by the walk."""
    return _column_readers(lambda self, root, text: False, lambda root, text: None)


def _outcome(data: bytes, name: str) -> Outcome:
    try:
        return read_activity(data, name)
    except FileProblem as problem:
        return (type(problem).__name__, str(problem))


def both(data: bytes, name: str) -> tuple[Outcome, Outcome]:
    """(the reference readers' outcome, the lxml readers' outcome) for one file's bytes.

    The lxml readers' outcome is checked first to be the same with and without their columns.
    """
    with _readers(gpx_reference.parse, tcx_reference.parse):
        reference = _outcome(data, name)
    with _readers(gpx.parse, tcx.parse):
        fast = _outcome(data, name)
        with _walked():
            walked = _outcome(data, name)
    assert fast == walked, "the column reading and the walk disagree"
    return reference, fast


def assert_same(data: bytes, name: str) -> Outcome:
    reference, fast = both(data, name)
    assert fast == reference
    return fast


# --- every real GPX and TCX file --------------------------------------------------------------

_XML_ROWS = [row for row in rows() if row.format in ("gpx", "tcx")]


def test_the_real_files_include_gpx_and_tcx(shared_runs: object) -> None:
    formats = {row.format for row in _XML_ROWS}
    assert formats == {"gpx", "tcx"}, "the cross-check below must cover both formats"


@pytest.mark.parametrize("file", [row.file for row in _XML_ROWS] or ["(none)"])
def test_each_real_gpx_and_tcx_file_reads_as_the_reference_reads_it(shared_runs: object, file: str) -> None:
    path = shared_runs / file  # type: ignore[operator]
    data = read_file(path)
    outcome = assert_same(data, path.name)
    if isinstance(outcome, Run):
        assert len(outcome.streams) > 0 or outcome.distance_m is not None


def test_real_files_the_reference_reads_are_read_with_real_numbers(shared_runs: object) -> None:
    """Guard against two readers agreeing on nothing: most real files give a Run with a distance."""
    runs = [
        outcome
        for row in _XML_ROWS
        if isinstance(outcome := assert_same(read_file(row.path), row.path.name), Run)
    ]
    assert len(runs) >= len(_XML_ROWS) // 2
    assert sum(1 for run in runs if run.distance_m) >= len(runs) // 2


def _read_by_column(data: bytes, name: str) -> bool:
    """Whether the lxml reader read this file's track points by column rather than by its walk."""
    taken: list[bool] = []
    columns, table = gpx._Reading.columns, tcx._columns

    def gpx_columns(reading: object, root: object, text: object) -> bool:
        taken.append(columns(reading, root, text))  # type: ignore[arg-type]
        return taken[-1]

    def tcx_table(root: object, text: object) -> object:
        rows = table(root, text)  # type: ignore[arg-type]
        taken.append(rows is not None)
        return rows

    with _column_readers(gpx_columns, tcx_table):
        _outcome(data, name)
    return taken == [True]


def test_ordinary_files_are_read_by_column_and_the_rest_by_the_walk(shared_runs: object) -> None:
    """The identity tests above cover both readings only while both are really used."""
    assert _read_by_column(to_gpx(_RUN), "own.gpx") and _read_by_column(to_tcx(_RUN), "own.tcx")
    by_column = {row.file: _read_by_column(read_file(row.path), row.path.name) for row in _XML_ROWS}
    assert sum(by_column.values()) >= len(by_column) * 2 // 3, by_column
    assert not all(by_column.values()), "some real files hold what only the walk reads"
    written_unusually = HAND_GPX["some-times-missing.gpx"].replace(b"<trkpt lat", b"<trkpt  lat")
    assert not _read_by_column(written_unusually, "a.gpx"), "not from the text, and its times do not line up"
    assert not _read_by_column(HAND_TCX["a-time-in-another-namespace.tcx"], "a.tcx")


# --- files the project makes, and small hand-written ones ----------------------------------------

_START = datetime(2026, 11, 20, 7, 0, tzinfo=UTC)
_RUN = make_run(5, _START, duration_s=900)


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("synthetic.gpx", to_gpx(_RUN)),
        ("synthetic.tcx", to_tcx(_RUN)),
        ("synthetic.gpx.gz", gzip_bytes(to_gpx(_RUN))),
        ("synthetic.tcx.gz", gzip_bytes(to_tcx(_RUN))),
    ],
)
def test_the_projects_own_gpx_and_tcx_read_the_same(name: str, data: bytes) -> None:
    run = assert_same(data, name)
    assert isinstance(run, Run)
    assert run.avg_hr is not None and run.distance_m and run.distance_m > 1000


def _gpx(body: str, version: str = "1.1", namespace: str = "http://www.topografix.com/GPX/1/1") -> bytes:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<gpx version="{version}" creator="Hand &amp; Watch"'
        f' xmlns="{namespace}" xmlns:gpxtpx="http://www.garmin.com/xmlschemas/TrackPointExtension/v1"'
        f' xmlns:tpx2="http://www.garmin.com/xmlschemas/TrackPointExtension/v2">{body}</gpx>'
    ).encode()


def _pt(i: int, *, ele: bool = True, time: bool = True, hr: str = "", lat: float = 48.85) -> str:
    inner = (f"<ele>{30 + i * 0.7:.1f}</ele>" if ele else "") + (
        f"<time>2026-11-20T07:{i // 60:02d}:{i % 60:02d}Z</time>" if time else ""
    )
    return f'<trkpt lat="{lat + i * 0.0001:.6f}" lon="{2.35 + i * 0.00007:.6f}">{inner}{hr}</trkpt>'


_HR_V1 = "<extensions><gpxtpx:TrackPointExtension><gpxtpx:hr>{}</gpxtpx:hr><gpxtpx:cad>88</gpxtpx:cad>" \
    "</gpxtpx:TrackPointExtension></extensions>"
_HR_V2 = "<extensions><tpx2:TrackPointExtension><tpx2:hr>{}</tpx2:hr><tpx2:cad>86</tpx2:cad>" \
    "</tpx2:TrackPointExtension></extensions>"


def _seg(points: list[str]) -> str:
    return "<trkseg>" + "".join(points) + "</trkseg>"


HAND_GPX = {
    "heart-rate-v1.gpx": _gpx(
        "<trk><type>running</type>" + _seg([_pt(i, hr=_HR_V1.format(120 + i)) for i in range(40)]) + "</trk>"
    ),
    "heart-rate-v2.gpx": _gpx(
        "<trk><type>trail_running</type>" + _seg([_pt(i, hr=_HR_V2.format(130 + i % 7)) for i in range(40)]) + "</trk>"
    ),
    "no-elevation.gpx": _gpx("<trk>" + _seg([_pt(i, ele=False) for i in range(30)]) + "</trk>"),
    "some-times-missing.gpx": _gpx("<trk>" + _seg([_pt(i, time=i % 3 != 1) for i in range(30)]) + "</trk>"),
    "paused-segments.gpx": _gpx(
        "<trk>" + _seg([_pt(i) for i in range(20)]) + _seg([_pt(i) for i in range(200, 230)]) + _seg([]) + "</trk>"
        "<trk><type>running</type>" + _seg([_pt(i) for i in range(400, 420)]) + "</trk>"
    ),
    "far-apart-points.gpx": _gpx("<trk>" + _seg([_pt(i * 3000) for i in range(3)]) + "</trk>"),
    "gpx-1-0.gpx": _gpx(
        "<trk><number>1</number>"
        + _seg([_pt(i, hr="<speed>3.1</speed><course>90</course>") for i in range(20)])
        + "</trk>",
        version="1.0",
        namespace="http://www.topografix.com/GPX/1/0",
    ),
    "comments-and-time-zones.gpx": _gpx(
        "<metadata><bounds minlat='48' maxlat='49' minlon='2' maxlon='3'/></metadata><trk><!-- a note -->"
        + _seg(
            [
                '<trkpt lat="48.1" lon="2.1"><ele>1<!-- c -->2</ele><time>2026-11-20T08:00:00+01:00</time></trkpt>',
                '<trkpt lat="48.1001" lon="2.1"><time>2026-11-20T07:00:05.123456789Z</time></trkpt>',
                '<trkpt lat="48.1002" lon="2.1"><time>2026-11-20 02:00:10-0500</time></trkpt>',
                '<trkpt lat="48.1003" lon="2.1"><time>2026-11-20T07:00:15</time></trkpt>',
                '<trkpt lat="48.1004" lon="2.1"><time>2026-11-20T07:00:20+99:00</time></trkpt>',
                '<trkpt lat="48.1005" lon="2.1"><time>9999-12-31T23:59:59Z</time></trkpt>',
                '<trkpt lat="48.1006" lon="2.1"><time>not a time</time></trkpt>',
            ]
        )
        + "</trk>"
    ),
    "route.gpx": _gpx('<rte><rtept lat="1" lon="2"/></rte>'),
    "waypoints.gpx": _gpx('<wpt lat="1" lon="2"><name>a</name></wpt>'),
    "empty-track.gpx": _gpx("<trk><trkseg/></trk>"),
    "untimed.gpx": _gpx("<trk>" + _seg([_pt(i, time=False) for i in range(5)]) + "</trk>"),
    "bad-latitude.gpx": _gpx('<trk><trkseg><trkpt lat="north" lon="2"/></trkseg></trk>'),
    "no-longitude.gpx": _gpx('<trk><trkseg><trkpt lat="1"/></trkseg></trk>'),
    "bad-fix.gpx": _gpx("<trk>" + _seg([_pt(1), '<trkpt lat="1" lon="2"><fix>4d</fix></trkpt>']) + "</trk>"),
    "bad-number-after-bad-point.gpx": _gpx(
        '<trk><trkseg><trkpt lat="1" lon="2"><sat>x</sat></trkpt></trkseg><number>one</number></trk>'
    ),
    "bad-waypoint-after-track.gpx": _gpx(
        '<trk><trkseg><trkpt lat="1" lon="2"><ele>high</ele></trkpt></trkseg></trk><wpt lat="?" lon="1"/>'
    ),
    "bad-bounds.gpx": _gpx("<metadata><bounds minlat='south'/></metadata><trk>" + _seg([_pt(1)]) + "</trk>"),
    "unbound-prefix.gpx": _gpx("<trk><x:trkseg/></trk>"),
    "prefixed-gpx-namespace.gpx": (
        b'<g:gpx version="1.1" xmlns:g="http://www.topografix.com/GPX/1/1"><g:trk><g:trkseg>'
        b'<g:trkpt lat="1" lon="2"><g:time>2026-11-20T07:00:00Z</g:time></g:trkpt></g:trkseg></g:trk></g:gpx>'
    ),
    "latin-1-declared.gpx": (
        '<?xml version="1.0" encoding="ISO-8859-1"?><gpx version="1.1" creator="Montréal">'
        + "<trk>" + _seg([_pt(i) for i in range(5)]) + "</trk></gpx>"
    ).encode(),
    # Every point holds each value, so the columns line up, and each has something the columns must read as the walk:
    "every-point-odd-text.gpx": _gpx(
        "<trk>"
        + _seg(
            [
                f'<trkpt lat=" 48.{i} " lon="2.{i}"><ele>1<!-- merged -->{i}</ele><time>2026-11-20T07:00:0{i}Z</time>'
                f"<extensions><x:HR xmlns:x='urn:x'> {120 + i} </x:HR></extensions></trkpt>"
                for i in range(1, 9)
            ]
        )
        + "</trk>"
    ),
    "every-point-zoned-or-spaced-times.gpx": _gpx(
        "<trk>"
        + _seg(
            [
                f"<trkpt lat='48.{i}' lon='2.{i}'><ele>-{i}e1</ele><time>"
                + ("2026-11-20T08:00:0{}+01:00", " 2026-11-20T07:00:0{}Z ", "2026-11-20T07:00:0{}.25Z")[i % 3].format(i)
                + "</time></trkpt>"
                for i in range(9)
            ]
        )
        + "</trk>"
    ),
    "every-point-an-empty-time.gpx": _gpx(
        "<trk>" + _seg([f"<trkpt lat='1' lon='2.{i}'><time><![CDATA[]]></time></trkpt>" for i in range(4)]) + "</trk>"
    ),
    "an-impossible-day.gpx": _gpx(
        "<trk>"
        + _seg([f"<trkpt lat='1' lon='{i}'><time>2026-02-{28 + i % 2 * 2}T07:00:0{i}Z</time></trkpt>"
                for i in range(6)])
        + "</trk>"
    ),
    "every-point-nan-and-infinite.gpx": _gpx(
        "<trk>"
        + _seg(
            [
                f"<trkpt lat='{('nan', '1', 'inf')[i % 3]}' lon='2.{i}'><ele>1e999</ele>"
                f"<time>2026-11-20T07:00:0{i}Z</time></trkpt>"
                for i in range(6)
            ]
        )
        + "</trk>"
    ),
}


@pytest.mark.parametrize("name", list(HAND_GPX))
def test_hand_written_gpx_reads_as_the_reference_reads_it(name: str) -> None:
    assert_same(HAND_GPX[name], name)


def test_heart_rate_from_both_garmin_extensions_and_paused_segments_come_through() -> None:
    """Agreement must be on something: these files do carry heart rate, pauses and a label."""
    v1 = assert_same(HAND_GPX["heart-rate-v1.gpx"], "v1.gpx")
    v2 = assert_same(HAND_GPX["heart-rate-v2.gpx"], "v2.gpx")
    paused = assert_same(HAND_GPX["paused-segments.gpx"], "paused.gpx")
    assert isinstance(v1, Run) and v1.max_hr == 159 and v1.device == "Hand & Watch"
    assert isinstance(v2, Run) and v2.avg_hr is not None and v2.sport_label == "trail_running"
    assert isinstance(paused, Run) and any("paused or split 2 time(s)" in w for w in paused.warnings)


def _tcx(activities: str, extra: str = "") -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<TrainingCenterDatabase'
        ' xmlns="http://www.garmin.com/xmlschemas/TrainingCenterDatabase/v2"'
        ' xmlns:ns3="http://www.garmin.com/xmlschemas/ActivityExtension/v2">'
        f"<Activities>{activities}</Activities>{extra}</TrainingCenterDatabase>"
    ).encode()


def _tp(i: int, *, position: bool = True, hr: bool = True, speed: bool = True) -> str:
    return (
        f"<Trackpoint><Time>2026-11-20T07:{i // 60:02d}:{i % 60:02d}Z</Time>"
        + (
            f"<Position><LatitudeDegrees>{48.85 + i * 1e-4:.6f}</LatitudeDegrees>"
            f"<LongitudeDegrees>{2.35 + i * 1e-4:.6f}</LongitudeDegrees></Position>"
            if position
            else ""
        )
        + f"<AltitudeMeters>{35 + i % 9}</AltitudeMeters><DistanceMeters>{i * 3.1:.1f}</DistanceMeters>"
        + (f"<HeartRateBpm><Value>{125 + i % 11}</Value></HeartRateBpm>" if hr else "")
        + (f"<Extensions><ns3:TPX><ns3:Speed>{3 + i % 3 * 0.1:.1f}</ns3:Speed></ns3:TPX></Extensions>" if speed else "")
        + "</Trackpoint>"
    )


def _lap(start: int, points: list[str], cadence: str = "<Cadence>84</Cadence>") -> str:
    return (
        f'<Lap StartTime="2026-11-20T07:{start // 60:02d}:{start % 60:02d}Z"><TotalTimeSeconds>{len(points)}'
        f"</TotalTimeSeconds><DistanceMeters>{len(points) * 3.1:.1f}</DistanceMeters>"
        f"<AverageHeartRateBpm><Value>130</Value></AverageHeartRateBpm>"
        f"<MaximumHeartRateBpm><Value>141</Value></MaximumHeartRateBpm>{cadence}"
        f"<Track>{''.join(points)}</Track></Lap>"
    )


_LX_CADENCE = "<Extensions><LX><AvgRunCadence>85</AvgRunCadence></LX></Extensions>"
HAND_TCX = {
    "laps.tcx": _tcx(
        '<Activity Sport="Running"><Id>2026-11-20T07:00:00Z</Id>'
        + _lap(0, [_tp(i) for i in range(30)])
        + _lap(30, [_tp(i) for i in range(30, 70)], cadence=_LX_CADENCE)
        + '<Creator><Name>Forerunner 245</Name></Creator></Activity>'
    ),
    "no-positions-no-heart-rate.tcx": _tcx(
        '<Activity Sport="Running"><Id>2026-11-20T07:00:00Z</Id>'
        + _lap(0, [_tp(i, position=False, hr=False, speed=False) for i in range(40)])
        + "</Activity>"
    ),
    "multisport.tcx": _tcx(
        '<Activity Sport="Biking"><Id>2026-11-20T07:00:00Z</Id>' + _lap(0, [_tp(i) for i in range(20)]) + "</Activity>"
        '<Activity Sport="Running"><Id>2026-11-20T07:00:20Z</Id>' + _lap(20, [_tp(i) for i in range(20, 45)])
        + "</Activity>",
        extra="<Author><Name>Garmin Connect</Name></Author>",
    ),
    "two-tracks-in-a-lap-and-repeated-times.tcx": _tcx(
        '<Activity Sport="Running"><Id>2026-11-20T07:00:00Z</Id><Lap StartTime="2026-11-20T07:00:00Z">'
        "<Track>" + "".join(_tp(i // 2) for i in range(20)) + "</Track><Track>"
        + "".join(_tp(i) for i in range(10, 30)) + "</Track></Lap></Activity>"
    ),
    "no-laps.tcx": _tcx(
        '<Activity Sport="Other"><Id>2026-11-20T07:00:00Z</Id><Track>' + "".join(_tp(i) for i in range(9))
        + "</Track></Activity>"
    ),
    "nested-trackpoints.tcx": _tcx(
        '<Activity Sport="Running"><Id>2026-11-20T07:00:00Z</Id><Lap><Track>'
        "<Trackpoint><Time>2026-11-20T07:00:09Z</Time><Extensions>" + _tp(3) + "<Speed>4</Speed></Extensions>"
        + "</Trackpoint>" + _tp(5) + "</Track></Lap></Activity>"
    ),
    "course.tcx": _tcx("", extra="<Courses><Course><Name>Loop</Name></Course></Courses>"),
    "empty.tcx": _tcx(""),
    "no-start.tcx": _tcx('<Activity Sport="Running"><Lap><Track><Trackpoint/></Track></Lap></Activity>'),
    "unbound-prefix.tcx": _tcx('<Activity Sport="Running"><x:Lap/></Activity>'),
    # Ordinary in shape, so read by the table of columns, with values the table must read as the walk:
    "first-points-before-the-fix.tcx": _tcx(
        '<Activity Sport="Running"><Id>2026-11-20T07:00:00Z</Id>'
        + _lap(0, [_tp(i, position=i > 4, hr=i > 2, speed=i % 4 != 1) for i in range(30)])
        + "</Activity>"
    ),
    "odd-values.tcx": _tcx(
        '<Activity Sport="Running"><Id>2026-11-20T07:00:00Z</Id><Lap StartTime="2026-11-20T07:00:00Z"><Track>'
        "<Trackpoint><Time> 2026-11-20T07:00:01Z </Time><HeartRateBpm><Value>0</Value></HeartRateBpm>"
        "<DistanceMeters>inf</DistanceMeters><AltitudeMeters> 12 </AltitudeMeters></Trackpoint>"
        "<Trackpoint><Time>2026-11-20T08:00:02+01:00</Time><DistanceMeters>  </DistanceMeters>"
        "<Extensions><a:TPX xmlns:a='urn:a'><a:Speed>2.5</a:Speed><b:X xmlns:b='urn:b'><Speed>3.5</Speed>"
        "<Speed><![CDATA[]]></Speed></b:X></a:TPX></Extensions></Trackpoint>"
        "<Trackpoint><Time>2026-11-20T07:00:03</Time><DistanceMeters>1<!-- merged -->2</DistanceMeters>"
        "<Extensions><Speed>x</Speed></Extensions><AltitudeMeters>nan</AltitudeMeters></Trackpoint>"
        "<Trackpoint><Time>2026-02-30T07:00:04Z</Time><DistanceMeters>-1e999</DistanceMeters></Trackpoint>"
        "</Track></Lap></Activity>"
    ),
    "a-value-over-two-lines.tcx": _tcx(
        '<Activity Sport="Running"><Id>2026-11-20T07:00:00Z</Id><Lap><Track>'
        + _tp(1).replace("<DistanceMeters>", "<DistanceMeters>\n ").replace("</Time>", "&#9;</Time>")
        + _tp(2) + "</Track></Lap></Activity>"
    ),
    "a-time-in-another-namespace.tcx": _tcx(
        '<Activity Sport="Running"><Id>2026-11-20T07:00:00Z</Id><Lap><Track>'
        + _tp(1).replace("<Time>", "<o:Time xmlns:o='urn:o'>2026-11-20T09:00:00Z</o:Time><Time>")
        + _tp(2) + "</Track></Lap></Activity>"
    ),
}


@pytest.mark.parametrize("name", list(HAND_TCX))
def test_hand_written_tcx_reads_as_the_reference_reads_it(name: str) -> None:
    assert_same(HAND_TCX[name], name)


#: Faults in what the lxml readers cut out before libxml2 reads the rest (the declaration, GPX's default
#: namespace): libxml2 finds the rest clean, so the readers must ask expat about the part cut out.
_TRACK = "<trk>" + _seg([_pt(i) for i in range(5)]) + "</trk></gpx>"
UNSEEN_FAULTS = {
    "bad-standalone.gpx": ('<?xml version="1.0" standalone="maybe"?><gpx version="1.1">' + _TRACK).encode(),
    "declaration-without-version.gpx": ('<?xml encoding="UTF-8"?><gpx version="1.1">' + _TRACK).encode(),
    "namespace-with-an-ampersand.gpx": ('<gpx version="1.1" xmlns="urn:a&b">' + _TRACK).encode(),
    "namespace-with-a-less-than.gpx": ('<gpx version="1.1" xmlns="urn:a<b">' + _TRACK).encode(),
    "namespace-twice.gpx": ('<gpx version="1.1" xmlns="urn:a" xmlns="urn:b">' + _TRACK).encode(),
    "namespace-in-a-comment.gpx": ('<!-- xmlns="urn:a&b" --><gpx version="1.1">' + _TRACK).encode(),
    "bad-standalone.tcx": HAND_TCX["laps.tcx"].replace(b'encoding="UTF-8"?>', b'standalone="maybe"?>', 1),
    "unknown-encoding.tcx": HAND_TCX["laps.tcx"].replace(b'encoding="UTF-8"', b'encoding="no-such-code"', 1),
}


@pytest.mark.parametrize("name", list(UNSEEN_FAULTS))
def test_a_fault_in_what_libxml2_is_not_shown_is_refused_as_the_reference_refuses_it(name: str) -> None:
    assert_same(UNSEEN_FAULTS[name], name)


def test_laps_cadence_and_legs_come_through_from_tcx() -> None:
    laps = assert_same(HAND_TCX["laps.tcx"], "laps.tcx")
    multisport = assert_same(HAND_TCX["multisport.tcx"], "multisport.tcx")
    assert isinstance(laps, Run) and len(laps.laps) == 2 and laps.avg_cadence_spm == 170
    assert laps.device == "Forerunner 245" and len(laps.streams) == 70
    assert isinstance(multisport, Run) and len(multisport.legs) == 2 and multisport.device == "Garmin Connect"


def test_a_file_the_readers_refuse_is_refused_in_the_same_words() -> None:
    """gpxpy checks a track's number before its points, whatever the order in the file."""
    reference, fast = both(HAND_GPX["bad-number-after-bad-point.gpx"], "bad.gpx")
    assert fast == reference
    assert fast == (
        "FileRejected",
        "bad.gpx is a GPX file with invalid content (Invalid value for <number>... one "
        "(invalid literal for int() with base 10: 'one')).",
    )
    reference, fast = both(HAND_TCX["unbound-prefix.tcx"], "bad.tcx")
    assert fast == reference and fast[0] == "FileRejected" and "unbound prefix" in fast[1]


# --- damaged copies ------------------------------------------------------------------------------

_SMALL = make_run(3, _START, duration_s=120)
SMALL = {
    "small.gpx": to_gpx(_SMALL),
    "small.tcx": to_tcx(_SMALL),
    "hand.gpx": HAND_GPX["paused-segments.gpx"],
    "hand.tcx": HAND_TCX["multisport.tcx"],
}
DAMAGED = settings(
    max_examples=600,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@DAMAGED
@given(st.sampled_from(sorted(SMALL)), DAMAGE)
def test_a_damaged_gpx_or_tcx_reads_as_the_reference_reads_it(name: str, damage: tuple[list[tuple], bool]) -> None:
    data = damaged(SMALL[name], damage)
    reference, fast = both(data, name)  # anything but a Run or a FileProblem escapes and fails here
    assert fast == reference


# --- well-formed but strange: values, tags and whole elements moved about --------------------------

_VALUES = (
    "", " ", " 12 ", "x", "1e999", "nan", "-inf", "1_0", "\u0663", "150", "0", "-5", "3.5", "91", "181",
    "2026-11-20T07:00:00Z", "2026-11-20T07:00:00+05:30", "2026-13-20T07:00:00Z", "0001-01-01T00:00:00+05:00",
    "2026-11-20T07:00:00.5-0800", "2026-11-20T07:00:00512", "9999-12-31T23:59:59Z", "2026-11-20 07:00:01",
    "3d", "4d", "Running", "Biking", "Transition",
)
_TAG_NAMES = (
    "trkpt", "trkseg", "trk", "wpt", "rte", "rtept", "metadata", "bounds", "ele", "time", "extensions", "number",
    "type", "fix", "sat", "speed", "hr", "{urn:x}hr", "{http://www.topografix.com/GPX/1/1}trk",
    "Trackpoint", "Track", "Lap", "Activity", "Course", "Author", "Name", "Creator", "Id", "Time", "Position",
    "LatitudeDegrees", "DistanceMeters", "HeartRateBpm", "Value", "Extensions", "Speed", "TotalTimeSeconds",
    "MultiSportSession", "Cadence", "{urn:x}Lap",
)
_ATTRIBUTES = ("lat", "lon", "version", "creator", "Sport", "StartTime", "minlat")
_DEFAULT_XMLNS = re.compile(r"""\sxmlns=(['"])([^'"]+)\1""")
_EDIT = st.tuples(st.integers(0, 6), st.integers(0, 2**16), st.integers(0, 2**16), st.integers(0, 2**16))


def _edited(data: bytes, edits: list[tuple[int, int, int, int]], keep_namespace: bool) -> bytes:
    """The document with its values, attributes, tags and elements changed; still well-formed XML."""
    text = data.decode()
    declared = _DEFAULT_XMLNS.search(text)
    root = ElementTree.fromstring(_DEFAULT_XMLNS.sub("", text, count=1))
    for op, a, b, c in edits:
        elements = list(root.iter())
        element = elements[a % len(elements)]
        if op == 0:
            element.text = _VALUES[b % len(_VALUES)]
        elif op == 1:
            element.set(_ATTRIBUTES[b % len(_ATTRIBUTES)], _VALUES[c % len(_VALUES)])
        elif op == 2:
            element.tag = _TAG_NAMES[b % len(_TAG_NAMES)]
        elif op == 3:  # a copy of another element, put inside this one
            other = elements[b % len(elements)]
            if other is not root and element not in list(other.iter()):
                element.insert(c % (len(element) + 1), copy.deepcopy(other))
        elif op == 4:
            parent = next((p for p in elements if element in list(p)), None)
            if parent is not None:
                parent.remove(element)
        elif op == 5:
            ElementTree.SubElement(element, _TAG_NAMES[b % len(_TAG_NAMES)]).text = _VALUES[c % len(_VALUES)]
        elif element.attrib:
            del element.attrib[sorted(element.attrib)[b % len(element.attrib)]]
    out = ElementTree.tostring(root, encoding="unicode")
    if declared and keep_namespace:
        out = re.sub(r"^(<[A-Za-z:]+)", lambda m: f'{m.group(1)} xmlns="{declared.group(2)}"', out, count=1)
    return out.encode()


_WELL_FORMED = {**{n: d for n, d in HAND_GPX.items() if b"x:" not in d}, **HAND_TCX, **SMALL}
del _WELL_FORMED["unbound-prefix.tcx"]


@DAMAGED
@given(st.sampled_from(sorted(_WELL_FORMED)), st.lists(_EDIT, min_size=1, max_size=5), st.booleans())
def test_a_strange_but_well_formed_gpx_or_tcx_reads_as_the_reference_reads_it(
    name: str, edits: list[tuple[int, int, int, int]], keep_namespace: bool
) -> None:
    """Odd numbers and times, track points out of place, nested activities, bad values in gpxpy's checks."""
    data = _edited(_WELL_FORMED[name], edits, keep_namespace)
    reference, fast = both(data, name)
    assert fast == reference


# --- trackpoints read from the text, as they are written -----------------------------------------

_GARMIN_NS = "http://www.garmin.com/xmlschemas/TrainingCenterDatabase/v2"
_SPACES = st.sampled_from(["", " ", "\n          ", "\r\n", "\t"])
#: Mostly what apps write, so that whole documents are often read from the text; now and then what they do not.
_ODD_NUMBERS = ["", " 3 ", "1e999", "nan", "abc", "2\t", "7\r\n", "1&#48;", "<![CDATA[5]]>", "5<!--c-->"]
_NUMBERS = st.integers(0, 11).flatmap(
    lambda k: st.sampled_from(_ODD_NUMBERS) if k == 7 else st.sampled_from(["12.5", "3", "-0.25"])
)
_TIMES = st.integers(0, 11).flatmap(
    lambda k: st.sampled_from(["", " 2026-11-20T07:00:03Z ", "x", "2026-11-20T08:00:04+01:00"])
    if k == 7
    else st.sampled_from(["2026-11-20T07:00:01Z", "2026-11-20T07:00:02Z"])
)
_EXTENSIONS = st.sampled_from(
    [
        "<Extensions><ns3:TPX><ns3:Speed>{n}</ns3:Speed><ns3:RunCadence>80</ns3:RunCadence></ns3:TPX></Extensions>",
        '<Extensions>\n<TPX xmlns="http://www.garmin.com/xmlschemas/ActivityExtension/v2"><Speed>{n}</Speed></TPX>'
        "\n</Extensions>",
        "<Extensions><ns3:TPX><ns3:Speed></ns3:Speed></ns3:TPX></Extensions>",
        "<Extensions><ns3:TPX><ns3:Speed>{n}</ns3:Speed><ns3:Speed>4.5</ns3:Speed></ns3:TPX></Extensions>",
        "<Extensions><ns3:TPX><ns3:Watts>200</ns3:Watts><ns3:Speed>{n}</ns3:Speed></ns3:TPX></Extensions>",
        "<Extensions><ns3:TPX><ns3:SpeedX>{n}</ns3:SpeedX></ns3:TPX></Extensions>",
        "<Extensions><LX><Speed>{n}</Speed></LX></Extensions>",
        "<Extensions><ns3:TPX><ns3:Speed><ns3:Speed>{n}</ns3:Speed></ns3:Speed></ns3:TPX></Extensions>",
    ]
)


@st.composite
def _written_trackpoint(draw: st.DrawFn) -> str:
    """A trackpoint written the usual way, or nearly: a child moved, prefixed, foreign, doubled or odd inside."""
    w = draw(_SPACES)
    children = [
        f"<Time>{draw(_TIMES)}</Time>",
        f"<Position>{w}<LatitudeDegrees>{draw(_NUMBERS)}</LatitudeDegrees>{w}"
        f"<LongitudeDegrees>{draw(_NUMBERS)}</LongitudeDegrees>{w}</Position>",
        f"<AltitudeMeters>{draw(_NUMBERS)}</AltitudeMeters>",
        f"<DistanceMeters>{draw(_NUMBERS)}</DistanceMeters>",
        f"<HeartRateBpm>{w}<Value>{draw(_NUMBERS)}</Value>{w}</HeartRateBpm>",
        "<Cadence>84</Cadence>",
        "<SensorState>Present</SensorState>",
        draw(_EXTENSIONS).format(n=draw(_NUMBERS)),
    ]
    children = [child for child in children if draw(st.integers(0, 4))]  # most children, not all
    change = draw(st.integers(0, 29))  # mostly 0: written the usual way
    if children and change == 1:
        children.insert(draw(st.integers(0, len(children))), children.pop(draw(st.integers(0, len(children) - 1))))
    elif children and change == 2:  # the same name in Garmin's namespace (g:) or another one (x:)
        prefix = draw(st.sampled_from(["g:", "x:"]))
        k = draw(st.integers(0, len(children) - 1))
        children[k] = re.sub(r"<(/?)(?=[A-Z])", rf"<\1{prefix}", children[k])
    elif children and change == 3:
        children.append(children[0])
    elif change == 4:
        children.insert(0, "<Position><LatitudeDegrees>1</LatitudeDegrees></Position>")
    start = draw(
        st.sampled_from(["<Trackpoint>", '<Trackpoint a="1">', "<Trackpoint >"] if change == 5 else ["<Trackpoint>"])
    )
    return start + w + w.join(children) + w + "</Trackpoint>"


@st.composite
def _written_tcx(draw: st.DrawFn) -> bytes:
    points = draw(st.lists(_written_trackpoint(), max_size=4))
    track = "\n".join(points)
    if draw(st.integers(0, 7)) == 0:  # a trackpoint where only the text has one
        track += draw(st.sampled_from(["<!-- <Trackpoint></Trackpoint> -->", "<![CDATA[<Trackpoint></Trackpoint>]]>"]))
    notes = draw(st.sampled_from(["", "<Notes>Trackpoint</Notes>", "<Notes>a &amp; b</Notes>"]))
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<TrainingCenterDatabase xmlns="{_GARMIN_NS}" xmlns:g="{_GARMIN_NS}" xmlns:x="urn:elsewhere"'
        ' xmlns:ns3="http://www.garmin.com/xmlschemas/ActivityExtension/v2"><Activities><Activity Sport="Running">'
        '<Id>2026-11-20T07:00:00Z</Id><Lap StartTime="2026-11-20T07:00:00Z"><TotalTimeSeconds>6</TotalTimeSeconds>'
        f"{notes}<Track>{track}</Track></Lap></Activity></Activities></TrainingCenterDatabase>"
    ).encode()


@settings(max_examples=400, deadline=None, derandomize=True, database=None)
@given(_written_tcx())
def test_trackpoints_read_from_the_text_are_what_the_tree_holds(data: bytes) -> None:
    """The regular expression answers only when it is sure, and then with the table's very columns."""
    body, encoding = tcx._undeclared(data)
    root = etree.fromstring(body, xmlsafe.whole_parser(encoding))
    count = int(tcx._POINT_COUNT(root))
    written = tcx._written_columns(body.decode(), count)
    if written is not None:
        assert not tcx._FOREIGN(root), "a child in another namespace was read as Garmin's"
        table = tcx._TABLE(root, count)  # None where a value holds a tab: the walk reads those, compared below
        assert table is None or [list(column) for column in written] == table
    reference, fast = both(data, "written.tcx")
    assert fast == reference


_USUAL_POINT = (
    "<Trackpoint><Time>2026-11-20T07:00:01Z</Time><Position><LatitudeDegrees>48.8</LatitudeDegrees>"
    "<LongitudeDegrees>2.3</LongitudeDegrees></Position><AltitudeMeters>35</AltitudeMeters>"
    "<DistanceMeters>3.1</DistanceMeters><HeartRateBpm><Value>131</Value></HeartRateBpm>"
    "<Extensions><ns3:TPX><ns3:Speed>3.2</ns3:Speed></ns3:TPX></Extensions></Trackpoint>"
)
_UNUSUAL_POINT = '<Trackpoint a="1"><Time>2026-11-20T07:00:02Z</Time></Trackpoint>'
_NOT_SURE = {
    "a trackpoint only in a comment, beside one written unusually": (
        _USUAL_POINT + _UNUSUAL_POINT + "<!-- <Trackpoint><Time>2026-11-20T07:00:09Z</Time></Trackpoint> -->"
    ),
    "a trackpoint only in CDATA, beside one written unusually": (
        _USUAL_POINT + _UNUSUAL_POINT + "<![CDATA[<Trackpoint><Time>2026-11-20T07:00:09Z</Time></Trackpoint>]]>"
    ),
    "a time in another namespace": _USUAL_POINT.replace("Time>", "x:Time>"),
    "a time in Garmin's namespace by a prefix": _USUAL_POINT.replace("Time>", "g:Time>"),
    "a value with a character reference": _USUAL_POINT.replace("35<", "3&#53;<"),
    "a value with a line end libxml2 rewrites": _USUAL_POINT.replace("35<", "35\r\n<"),
    "a value with a comment in it": _USUAL_POINT.replace("35<", "3<!-- -->5<"),
    "two speeds": _USUAL_POINT.replace("</ns3:TPX>", "<ns3:Speed>4</ns3:Speed></ns3:TPX>"),
    "a distance before the altitude": _USUAL_POINT.replace(
        "<AltitudeMeters>35</AltitudeMeters><DistanceMeters>3.1</DistanceMeters>",
        "<DistanceMeters>3.1</DistanceMeters><AltitudeMeters>35</AltitudeMeters>",
    ),
}


def _one_lap(track: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<TrainingCenterDatabase xmlns="{_GARMIN_NS}" xmlns:g="{_GARMIN_NS}" xmlns:x="urn:elsewhere"'
        ' xmlns:ns3="http://www.garmin.com/xmlschemas/ActivityExtension/v2"><Activities><Activity Sport="Running">'
        '<Id>2026-11-20T07:00:00Z</Id><Lap StartTime="2026-11-20T07:00:00Z"><TotalTimeSeconds>6</TotalTimeSeconds>'
        f"<Track>{track}</Track></Lap></Activity></Activities></TrainingCenterDatabase>"
    ).encode()


def _from_text(data: bytes) -> list | None:
    body, encoding = tcx._undeclared(data)
    root = etree.fromstring(body, xmlsafe.whole_parser(encoding))
    return tcx._written_columns(body.decode(), int(tcx._POINT_COUNT(root)))


@pytest.mark.parametrize("case", sorted(_NOT_SURE))
def test_trackpoints_the_text_cannot_be_sure_of_are_left_to_the_tree(case: str) -> None:
    data = _one_lap(_NOT_SURE[case])
    assert _from_text(data) is None
    reference, fast = both(data, "unsure.tcx")
    assert fast == reference


def test_trackpoints_written_the_usual_way_are_read_from_the_text() -> None:
    """The property above means something only while the usual writing takes that way."""
    for data in (to_tcx(_RUN), HAND_TCX["laps.tcx"], _one_lap(_USUAL_POINT + "\n" + _USUAL_POINT)):
        assert _from_text(data)
    assert tcx._text_of(b"<a/>", "ISO-8859-1") is None and tcx._text_of(b"\xff<a/>", None) is None


_GPX_NS = "http://www.topografix.com/GPX/1/1"
_TPX_NS = "http://www.garmin.com/xmlschemas/TrackPointExtension/v1"
_GPX_EXTENSIONS_USUAL = [
        "<extensions><gpxtpx:TrackPointExtension><gpxtpx:hr>{n}</gpxtpx:hr><gpxtpx:cad>88</gpxtpx:cad>"
        "</gpxtpx:TrackPointExtension></extensions>",
        "<extensions>\n <ns3:TrackPointExtension>\n  <ns3:atemp>21</ns3:atemp>\n  <ns3:hr>{n}</ns3:hr>\n"
        " </ns3:TrackPointExtension>\n</extensions>",
        "<extensions><TrackPointExtension><hr>{n}</hr></TrackPointExtension></extensions>",
        "<extensions><gpxtpx:TrackPointExtension><gpxtpx:cad>88</gpxtpx:cad></gpxtpx:TrackPointExtension></extensions>",
]
_GPX_EXTENSIONS_UNUSUAL = [
        "<extensions><gpxtpx:TrackPointExtension><gpxtpx:hr></gpxtpx:hr><gpxtpx:cad>{n}</gpxtpx:cad>"
        "</gpxtpx:TrackPointExtension></extensions>",
        "<extensions><gpxtpx:TrackPointExtension><gpxtpx:HR>{n}</gpxtpx:HR></gpxtpx:TrackPointExtension></extensions>",
        "<extensions><gpxtpx:TrackPointExtension><gpxtpx:cad>88</gpxtpx:cad><gpxtpx:heartrate>{n}</gpxtpx:heartrate>"
        "</gpxtpx:TrackPointExtension></extensions>",
        "<extensions><heartrate>{n}</heartrate><gpxtpx:TrackPointExtension><gpxtpx:hr>99</gpxtpx:hr>"
        "</gpxtpx:TrackPointExtension></extensions>",
        "<extensions><gpxtpx:TrackPointExtension><gpxtpx:hr><x:hr>{n}</x:hr></gpxtpx:hr>"
        "</gpxtpx:TrackPointExtension></extensions>",
        '<extensions><t:TrackPointExtension xmlns:t="urn:t"><t:hr>{n}</t:hr></t:TrackPointExtension></extensions>',
        "<extensions><gpxtpx:TrackPointExtension><gpxtpx:hr>{n}</gpxtpx:hr></gpxtpx:TrackPointExtension>"
        "<x:hr>77</x:hr></extensions>",
]
#: Mostly Garmin's extension, as apps write it (a heart rate, or none); now and then what the text path leaves alone.
_GPX_EXTENSIONS = st.integers(0, 11).flatmap(
    lambda k: st.sampled_from(_GPX_EXTENSIONS_UNUSUAL if k >= 9 else _GPX_EXTENSIONS_USUAL)
)


@st.composite
def _written_track_point(draw: st.DrawFn) -> str:
    """A track point written the usual way, or nearly: a child moved, prefixed, doubled, or an unusual start tag."""
    w = draw(_SPACES)
    children = [f"<ele>{draw(_NUMBERS)}</ele>", f"<time>{draw(_TIMES)}</time>"]
    children += [draw(_GPX_EXTENSIONS).format(n=draw(_NUMBERS))]
    children = [child for child in children if draw(st.integers(0, 4))]  # most children, not all
    change = draw(st.integers(0, 29))  # mostly 0: written the usual way
    if children and change == 1:
        children.insert(draw(st.integers(0, len(children))), children.pop(draw(st.integers(0, len(children) - 1))))
    elif children and change == 2:  # the same name in another namespace
        k = draw(st.integers(0, len(children) - 1))
        children[k] = re.sub(r"<(/?)(?=[a-z])", r"<\1x:", children[k], count=2)
    elif children and change == 3:
        children.append(children[0])
    elif change == 4:
        children.insert(0, draw(st.sampled_from(["<name>a</name>", "<hdop>2</hdop>", "<fix>3d</fix>"])))
    lat, lon = draw(_NUMBERS), draw(_NUMBERS)
    start = f'<trkpt lat="{lat}" lon="{lon}">'
    if change == 5:
        start = draw(
            st.sampled_from([f'<trkpt lon="{lon}" lat="{lat}">', f"<trkpt lat='{lat}' lon='{lon}'>", "<trkpt>"])
        )
    return start + w + w.join(children) + w + "</trkpt>"


@st.composite
def _written_gpx(draw: st.DrawFn) -> bytes:
    segments = draw(st.lists(st.lists(_written_track_point(), max_size=4), min_size=1, max_size=2))
    track = "".join("<trkseg>" + "\n".join(points) + "</trkseg>" for points in segments)
    if draw(st.integers(0, 7)) == 0:  # a track point where only the text has one
        track += draw(st.sampled_from(["<!-- <trkpt></trkpt> -->", "<![CDATA[<trkpt></trkpt>]]>"]))
    notes = draw(st.sampled_from(["", "", "", "<name>trkpt</name>", "<name>a &amp; b</name>"]))
    version = draw(st.sampled_from(["1.1", "1.1", "1.0"]))
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<gpx version="{version}" creator="Hand" xmlns="{_GPX_NS}" xmlns:gpxtpx="{_TPX_NS}" xmlns:ns3="{_TPX_NS}"'
        f' xmlns:x="urn:elsewhere"><trk>{notes}{track}</trk></gpx>'
    ).encode()


def _gpx_tree(data: bytes) -> tuple[etree._Element, str]:
    text = gpx._DEFAULT_NAMESPACE.sub("", gpx.as_text(data), count=1)
    return etree.fromstring(gpx._undeclared(text).encode(), xmlsafe.whole_parser("utf-8")), text


def _gpx_from_text(data: bytes) -> tuple | None:
    root, text = _gpx_tree(data)
    return gpx._written_points(text, int(gpx._POINT_COUNT(root)))


@settings(max_examples=400, deadline=None, derandomize=True, database=None)
@given(_written_gpx())
def test_track_points_read_from_the_text_are_what_the_tree_holds(data: bytes) -> None:
    """The regular expression answers only when it is sure, and then with what the tree's points hold."""
    root, text = _gpx_tree(data)
    count = int(gpx._POINT_COUNT(root))
    written = gpx._written_points(text, count)
    if written is not None:
        points = root.xpath(gpx._POINTS)
        assert len(points) == count
        lats, lons, eles, times, hrs = written
        assert list(lats) == [point.get("lat") for point in points]
        assert list(lons) == [point.get("lon") for point in points]
        for column, tag in ((eles, "ele"), (times, "time")):
            assert list(column) == [point.findtext(tag) or "" for point in points]
        heart = []
        for point in points:
            extensions = point.find("extensions")
            heart.append(None if extensions is None else gpx._extension_value(extensions, gpx._HR_TAGS))
        assert xmlcolumns.numbers(hrs) == heart
        assert all(child.tag in ("ele", "time", "extensions") for point in points for child in point)
    reference, fast = both(data, "written.gpx")
    assert fast == reference


_USUAL_TRACK_POINT = (
    '<trkpt lat="48.85" lon="2.35"><ele>35</ele><time>2026-11-20T07:00:01Z</time>'
    "<extensions><gpxtpx:TrackPointExtension><gpxtpx:hr>131</gpxtpx:hr></gpxtpx:TrackPointExtension></extensions>"
    "</trkpt>"
)
_UNUSUAL_TRACK_POINT = '<trkpt lon="2.35" lat="48.85"><time>2026-11-20T07:00:02Z</time></trkpt>'
_GPX_NOT_SURE = {
    "a track point only in a comment, beside one written unusually": (
        _USUAL_TRACK_POINT + _UNUSUAL_TRACK_POINT + "<!-- <trkpt></trkpt> -->"
    ),
    "a track point only in CDATA, beside one written unusually": (
        _USUAL_TRACK_POINT + _UNUSUAL_TRACK_POINT + "<![CDATA[<trkpt></trkpt>]]>"
    ),
    "a time in another namespace": _USUAL_TRACK_POINT.replace("time>", "x:time>"),
    "a value with a character reference": _USUAL_TRACK_POINT.replace("35<", "3&#53;<"),
    "a value with a line end libxml2 rewrites": _USUAL_TRACK_POINT.replace("35<", "35\r\n<"),
    "a heart rate with a character reference": _USUAL_TRACK_POINT.replace(">131<", ">1&#51;1<"),
    "an empty heart rate before another one": _USUAL_TRACK_POINT.replace(
        "<gpxtpx:hr>131", "<gpxtpx:hr></gpxtpx:hr><gpxtpx:heartrate>131"
    ).replace("131</gpxtpx:hr>", "131</gpxtpx:heartrate>"),
    "a heart rate outside Garmin's extension first": _USUAL_TRACK_POINT.replace(
        "<extensions>", "<extensions><heartrate>99</heartrate>"
    ),
    "a point within a point's extensions": _USUAL_TRACK_POINT.replace(
        "</extensions>", '<trkpt lat="1" lon="2"></trkpt></extensions>'
    ),
}


@pytest.mark.parametrize("case", sorted(_GPX_NOT_SURE))
def test_track_points_the_text_cannot_be_sure_of_are_left_to_the_tree(case: str) -> None:
    data = _gpx("<trk><trkseg>" + _GPX_NOT_SURE[case] + "</trkseg></trk>")
    assert _gpx_from_text(data) is None
    reference, fast = both(data, "unsure.gpx")
    assert fast == reference


def test_track_points_written_the_usual_way_are_read_from_the_text() -> None:
    """The property above means something only while the usual writing takes that way."""
    usual = _gpx("<trk><trkseg>" + _USUAL_TRACK_POINT + "\n" + _USUAL_TRACK_POINT + "</trkseg></trk>")
    for data in (to_gpx(_RUN), HAND_GPX["heart-rate-v1.gpx"], HAND_GPX["paused-segments.gpx"], usual):
        assert _gpx_from_text(data)
    assert _gpx_from_text(usual)[4] == ("131", "131")


# --- the readers alone, without read_activity's check_xml in front --------------------------------


@pytest.mark.parametrize("fmt", ["gpx", "tcx"])
def test_the_lxml_readers_alone_refuse_a_dtd_and_never_read_a_file_through_an_entity(fmt: str, tmp_path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("2026-11-20T07:00:00Z hunter2")
    root = "gpx" if fmt == "gpx" else "TrainingCenterDatabase"
    inner = (
        '<trk><trkseg><trkpt lat="1" lon="2"><time>&e;</time></trkpt></trkseg></trk>'
        if fmt == "gpx"
        else "<Activities><Activity><Id>&e;</Id></Activity></Activities>"
    )
    document = (
        f'<?xml version="1.0"?><!DOCTYPE {root} [<!ENTITY e SYSTEM "{secret.as_uri()}">'
        f'<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
        f'<{root} version="1.1">{inner}</{root}>'
    )
    reader = gpx.parse if fmt == "gpx" else tcx.parse
    with pytest.raises(FileProblem) as refused:
        reader(document if fmt == "gpx" else document.encode(), f"hostile.{fmt}", "id")
    assert str(refused.value) == (
        f"hostile.{fmt} declares a DTD or XML entities, which activity files never need; refused for safety."
    )
    assert "hunter2" not in repr(refused.value.__dict__)


# --- parsed whole or streamed: the same reading ---------------------------------------------------
# A document up to xmlsafe.WHOLE_TREE_CHARS is parsed whole and its nesting measured on the tree; a
# longer one is streamed and check_xml measures the nesting as expat reads it. Setting the limit to 0
# streams every file, so both ways are held to the same outcome.


def _streamed(data: bytes, name: str, monkeypatch: pytest.MonkeyPatch) -> Outcome:
    with monkeypatch.context() as patch:
        patch.setattr(xmlsafe, "WHOLE_TREE_CHARS", 0)
        return _outcome(data, name)


@pytest.mark.parametrize("file", [row.file for row in _XML_ROWS] or ["(none)"])
def test_each_real_xml_file_reads_the_same_streamed_as_parsed_whole(
    shared_runs: object, file: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = shared_runs / file  # type: ignore[operator]
    data = read_file(path)
    assert xmlsafe.held_whole(data)
    assert _streamed(data, path.name, monkeypatch) == _outcome(data, path.name)


def _deep(fmt: str, depth: int, tail: str = "") -> bytes:
    nest = "<x>" * depth + "</x>" * depth
    if fmt == "gpx":
        points = [_pt(0), _pt(1).replace("</trkpt>", f"<extensions>{nest}</extensions></trkpt>")]
        return _gpx("<trk>" + _seg(points) + "</trk>" + tail)
    return (
        '<?xml version="1.0"?><TrainingCenterDatabase><Activities><Activity Sport="Running">'
        f"<Id>2026-11-20T07:00:00Z</Id><Lap StartTime=\"2026-11-20T07:00:00Z\"><Track><Trackpoint>"
        f"<Time>2026-11-20T07:00:00Z</Time><Extensions>{nest}</Extensions></Trackpoint></Track></Lap>"
        f"</Activity></Activities>{tail}</TrainingCenterDatabase>"
    ).encode()


@pytest.mark.parametrize("fmt", ["gpx", "tcx"])
@pytest.mark.parametrize(
    ("depth", "tail", "refusal"),
    [
        (200, "", "levels deep"),  # too deep
        (200, "<broken", "levels deep"),  # too deep first, then not well-formed: the first problem is said
        (20, "<broken", "not well-formed"),  # deep enough to be read, then not well-formed
    ],
)
def test_nesting_too_deep_is_refused_alike_whether_measured_on_the_tree_or_by_expat(
    fmt: str, depth: int, tail: str, refusal: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = _deep(fmt, depth, tail)
    whole = _outcome(data, f"deep.{fmt}")
    assert isinstance(whole, tuple) and refusal in whole[1]
    assert _streamed(data, f"deep.{fmt}", monkeypatch) == whole
    with _readers(gpx_reference.parse, tcx_reference.parse):
        assert _outcome(data, f"deep.{fmt}") == whole


@pytest.mark.parametrize("fmt", ["gpx", "tcx"])
def test_nesting_just_within_the_limit_is_read_whole_and_streamed(fmt: str, monkeypatch: pytest.MonkeyPatch) -> None:
    inner = xmlsafe.MAX_XML_DEPTH - (5 if fmt == "gpx" else 7)  # the levels around the <x> elements
    fits, over = _outcome(_deep(fmt, inner), f"deep.{fmt}"), _outcome(_deep(fmt, inner + 1), f"deep.{fmt}")
    assert isinstance(fits, Run)
    assert isinstance(over, tuple) and "levels deep" in over[1]
    assert _streamed(_deep(fmt, inner), f"deep.{fmt}", monkeypatch) == fits
    assert _streamed(_deep(fmt, inner + 1), f"deep.{fmt}", monkeypatch) == over
