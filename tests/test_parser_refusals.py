"""One regression test per way a damaged file used to end in a traceback instead of a sentence.

Each file is made here, from the project's own synthetic run: the smallest
change that once crashed the parser (found by tests/test_fuzz.py and its
ad-hoc predecessor on the real files in ../shared/runs).
"""

from __future__ import annotations

import math
import re
import struct
import time
import traceback
from datetime import UTC, datetime

import pytest

from recovery.classify import activity_span, split_legs
from recovery.coach.load import heart_time, run_figures
from recovery.errors import FileRejected, refusing
from recovery.model import Run
from recovery.parsers import MAX_XML_DEPTH, read_activity
from recovery.parsers.fit import fit_crc
from recovery.parsers.samples import weighted_mean
from recovery.store import run_to_row
from recovery.streams import Streams, from_rows, pack, unpack
from recovery.summary import run_json
from recovery.synthetic import make_run, to_fit, to_gpx, to_tcx

START = datetime(2026, 11, 20, 7, 0, tzinfo=UTC)
NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
RUN = make_run(7, START, duration_s=120)
FIT = to_fit(RUN)
U8, U32, F32, ENUM = 0x02, 0x86, 0x88, 0x00


def one_sentence(exc: pytest.ExceptionInfo, name: str) -> str:
    text = str(exc.value)
    assert text.startswith(name), "the sentence names the file"
    assert text.endswith(".") and "\n" not in text
    return text


def stored(run: Run) -> None:
    """Everything the import does with an accepted run, which must not raise either."""
    for part in split_legs(run):
        activity_span(part)
        run_to_row(part, run_figures(part), now=NOW)
        unpack(pack(part.streams))
    run_json(run)


# --------------------------------------------------------------------------- FIT: fitdecode's own failures


def definition(local: int, mesg: int, fields: list[tuple[int, int, int]]) -> bytes:
    """A FIT definition record: (field number, size in bytes, base type) per field."""
    out = struct.pack("<BBBHB", 0x40 | local, 0, 0, mesg, len(fields))
    return out + b"".join(struct.pack("<BBB", num, size, base) for num, size, base in fields)


def refit(records: bytes, declared: int | None = None) -> bytes:
    """A FIT file around these records, its header and CRCs right (the size may be declared wrong)."""
    size = len(records) if declared is None else declared
    header = struct.pack("<BBHI4s", 14, FIT[1], int.from_bytes(FIT[2:4], "little"), size, b".FIT")
    body = header + struct.pack("<H", fit_crc(header)) + records
    return body + struct.pack("<H", fit_crc(body))


def synthetic_fit_plus(extra: bytes) -> bytes:
    """The synthetic run's FIT with `extra` records after its own."""
    return refit(FIT[14:-2] + extra)


#: The seven places fitdecode itself raised on mutated real files, each rebuilt minimally: an array
#: (two values) where the profile expects one makes its processors and reader fail on a tuple.
FITDECODE_FAILURES = {
    "a record running past the declared data size (reader assertion)": (
        refit(FIT[14:-2], declared=len(FIT) - 19),
        AssertionError,
    ),
    "a timestamp written as two values (date_time processor)": (
        synthetic_fit_plus(definition(9, 20, [(253, 8, U32)]) + bytes([9]) + struct.pack("<II", 10**9, 10**9 + 1)),
        TypeError,
    ),
    "a local timestamp written as two values (local_date_time processor)": (
        synthetic_fit_plus(definition(9, 34, [(5, 8, U32)]) + bytes([9]) + struct.pack("<II", 10**9, 1)),
        TypeError,
    ),
    "a wake time written as two values (localtime_into_day processor)": (
        synthetic_fit_plus(definition(9, 3, [(28, 8, U32)]) + bytes([9]) + struct.pack("<II", 100, 200)),
        TypeError,
    ),
    "a developer data index written as two values (developer data id)": (
        synthetic_fit_plus(definition(9, 207, [(3, 2, U8)]) + bytes([9, 0, 1])),
        TypeError,
    ),
    "a developer field description with two indexes (field description)": (
        synthetic_fit_plus(definition(9, 206, [(0, 2, U8), (1, 1, U8), (2, 1, U8)]) + bytes([9, 0, 1, 0, 2])),
        TypeError,
    ),
    "cycles written as a float, twice (compressed accumulation)": (
        synthetic_fit_plus(
            definition(9, 20, [(253, 4, U32), (18, 4, F32)])
            + b"".join(bytes([9]) + struct.pack("<If", 1_100_000_000 + i, 3.5) for i in range(2))
        ),
        TypeError,
    ),
}


@pytest.mark.parametrize("data, cause", FITDECODE_FAILURES.values(), ids=list(FITDECODE_FAILURES))
def test_a_fit_file_fitdecode_trips_over_is_refused_at_the_byte_it_reached(data: bytes, cause: type) -> None:
    with pytest.raises(FileRejected) as exc:
        read_activity(data, "A8M01234.FIT")
    text = one_sentence(exc, "A8M01234.FIT")
    assert re.fullmatch(
        rf"A8M01234\.FIT could not be read: the FIT data is damaged at byte \d+ \({cause.__name__}\)\.", text
    )
    inner = exc.value.__cause__
    assert type(inner) is cause, "the refusal keeps what went wrong underneath"
    assert "fitdecode" in traceback.extract_tb(inner.__traceback__)[-1].filename, "the failure was inside fitdecode"
    offset = int(re.search(r"at byte (\d+)", text).group(1))
    assert 0 < offset <= len(data)


def test_a_fit_leg_whose_duration_is_two_values_is_stored_without_it() -> None:
    """A second session (a ride after the run) whose elapsed time is an array once broke the legs."""
    ride = definition(9, 18, [(2, 4, U32), (5, 1, ENUM), (7, 8, U32)])
    ride += bytes([9]) + struct.pack("<IBII", 1_100_000_000, 2, 5000, 6000)
    run = read_activity(synthetic_fit_plus(ride), "A8M01234.FIT")
    assert [leg.elapsed_s for leg in run.legs] == [pytest.approx(RUN.elapsed_s), None]
    stored(run)


def test_a_fit_file_starting_in_2105_is_refused_naming_the_year() -> None:
    with pytest.raises(FileRejected) as exc:
        read_activity(to_fit(make_run(7, datetime(2105, 6, 1, tzinfo=UTC), duration_s=60)), "A8M01234.FIT")
    assert "records a start in 2105, a date no watch could have recorded; refused" in one_sentence(exc, "A8M01234.FIT")


# --------------------------------------------------------------------------- TCX


def _tcx_with_repeat(drop: str) -> bytes:
    """The synthetic TCX with its third trackpoint repeated (same time), `drop` removed from the copy."""
    text = to_tcx(RUN).decode()
    points = re.findall(r"<Trackpoint>.*?</Trackpoint>", text)
    copy = re.sub(drop, "", points[2])
    assert copy != points[2]
    return text.replace(points[2], points[2] + copy, 1).encode()


def test_a_tcx_point_repeating_a_time_without_heart_rate_is_read() -> None:
    run = read_activity(_tcx_with_repeat(r"<HeartRateBpm>.*?</HeartRateBpm>"), "repeat.tcx")
    plain = read_activity(to_tcx(RUN), "plain.tcx")
    assert (run.distance_m, run.avg_hr, run.max_hr) == (plain.distance_m, plain.avg_hr, plain.max_hr)
    assert len(run.streams) == len(plain.streams) + 1
    stored(run)


def test_a_tcx_point_repeating_a_time_without_distance_is_read() -> None:
    run = read_activity(_tcx_with_repeat(r"<DistanceMeters>[^<]*</DistanceMeters>"), "repeat.tcx")
    assert run.distance_m == pytest.approx(RUN.distance_m, rel=0.01)
    stored(run)


def test_repeated_tcx_times_keep_the_file_order() -> None:
    """Sorted by time alone, stably: the copy without heart rate stays after the original."""
    run = read_activity(_tcx_with_repeat(r"<HeartRateBpm>.*?</HeartRateBpm>"), "repeat.tcx")
    assert run.streams.t[2] == run.streams.t[3]
    assert not math.isnan(run.streams.hr[2]) and math.isnan(run.streams.hr[3])


def test_a_tcx_lap_with_infinite_heart_rate_is_read_without_it() -> None:
    text = to_tcx(RUN).decode()
    data = re.sub(r"<AverageHeartRateBpm><Value>\d+", "<AverageHeartRateBpm><Value>1e999", text, count=1).encode()
    run = read_activity(data, "lap.tcx")
    assert run.laps[0].avg_hr is None and run.avg_hr is not None, "the samples' average stands in"
    stored(run)


def test_a_tcx_heart_rate_of_infinity_is_no_reading() -> None:
    text = to_tcx(RUN).decode()
    data = re.sub(r"<HeartRateBpm><Value>\d+", "<HeartRateBpm><Value>inf", text, count=5).encode()
    run = read_activity(data, "hr.tcx")
    assert all(math.isnan(h) for h in run.streams.hr[:5]) and not math.isnan(run.streams.hr[5])
    stored(run)


def test_a_tcx_time_that_cannot_be_put_in_utc_is_dropped() -> None:
    """9999-12-31T23:00-05:00 is a valid ISO time with no UTC datetime (it is in the year 10000)."""
    text = to_tcx(RUN).decode()
    stamps = re.findall(r"<Time>[^<]+</Time>", text)
    data = text.replace(stamps[-1], "<Time>9999-12-31T23:00:00-05:00</Time>", 1).encode()
    run = read_activity(data, "late.tcx")
    assert run.start_time_utc == START and run.elapsed_s == pytest.approx(RUN.elapsed_s - 1, abs=1)
    stored(run)


# --------------------------------------------------------------------------- GPX


def _gpx_point(index: int, old: str, new: str) -> bytes:
    """The synthetic GPX with `old` replaced by `new` in one track point."""
    text = to_gpx(RUN).decode()
    points = re.findall(r"<trkpt .*?</trkpt>", text)
    changed = points[index].replace(old, new, 1)
    assert changed != points[index]
    return text.replace(points[index], changed, 1).encode()


def _lat(index: int) -> str:
    return re.findall(r'<trkpt lat="([^"]+)"', to_gpx(RUN).decode())[index]


def test_a_gpx_point_at_infinite_latitude_is_left_out_of_the_distance() -> None:
    run = read_activity(_gpx_point(40, f'lat="{_lat(40)}"', 'lat="inf"'), "inf.gpx")
    plain = read_activity(to_gpx(RUN), "plain.gpx")
    assert run.distance_m is not None and math.isfinite(run.distance_m)
    assert run.distance_m == pytest.approx(plain.distance_m, abs=5.0)
    assert math.isnan(run.streams.lat[40]) and math.isnan(run.streams.lon[40])
    stored(run)


def test_a_gpx_latitude_beyond_the_pole_is_no_position_in_the_streams() -> None:
    run = read_activity(_gpx_point(40, f'lat="{_lat(40)}"', 'lat="91.5"'), "pole.gpx")
    assert math.isnan(run.streams.lat[40]) and math.isnan(run.streams.lon[40])
    assert all(abs(la) <= 90 for la in run.streams.lat if not math.isnan(la))
    stored(run)


def test_a_gpx_heart_rate_of_infinity_is_no_reading() -> None:
    hr = re.search(r"<gpxtpx:hr>(\d+)<", to_gpx(RUN).decode()).group(1)
    run = read_activity(_gpx_point(3, f"<gpxtpx:hr>{hr}<", "<gpxtpx:hr>inf<"), "hr.gpx")
    assert math.isnan(run.streams.hr[3])
    assert run.max_hr is not None and run.max_hr <= 250
    stored(run)


def test_a_gpx_elevation_of_infinity_is_no_altitude() -> None:
    ele = re.findall(r"<ele>[^<]*</ele>", to_gpx(RUN).decode())[3]
    run = read_activity(_gpx_point(3, ele, "<ele>inf</ele>"), "ele.gpx")
    assert math.isnan(run.streams.altitude[3])
    assert run.ascent_m is not None and math.isfinite(run.ascent_m)
    stored(run)


def test_a_gpx_point_stamped_9999_is_dropped_not_stretching_the_run() -> None:
    stamp = re.findall(r"<time>([^<]+)</time>", to_gpx(RUN).decode())[-1]
    run = read_activity(_gpx_point(-1, stamp, "9999-12-31T23:59:59Z"), "late.gpx")
    assert run.start_time_utc == START
    assert run.elapsed_s == pytest.approx(RUN.elapsed_s - 1, abs=1)
    assert any("impossible times" in w for w in run.warnings)
    stored(run)


def test_a_gpx_point_in_year_1_east_of_greenwich_is_dropped() -> None:
    """0001-01-01T00:00+05:00 is a valid ISO time that lies before the first UTC datetime."""
    stamp = re.findall(r"<time>([^<]+)</time>", to_gpx(RUN).decode())[-1]
    run = read_activity(_gpx_point(-1, stamp, "0001-01-01T00:00:00+05:00"), "early.gpx")
    assert run.start_time_utc == START
    stored(run)


def test_a_gpx_recorded_entirely_in_9999_is_refused_naming_the_year() -> None:
    data = to_gpx(make_run(7, START, duration_s=30)).decode().replace("2026-11-20", "9999-11-20").encode()
    with pytest.raises(FileRejected) as exc:
        read_activity(data, "future.gpx")
    assert "records a start in 9999, a date no watch could have recorded; refused" in one_sentence(exc, "future.gpx")


def test_a_gpx_from_1901_is_read_as_the_real_gpsbabel_file_is() -> None:
    """The date window reaches back to 1900 for gpxpy/Mojstrovka.gpx (a 32-bit clock's first second)."""
    run = read_activity(to_gpx(make_run(7, datetime(1901, 12, 13, 20, 45, 52, tzinfo=UTC), duration_s=30)), "old.gpx")
    assert run.start_time_utc.year == 1901 and any("dates look wrong" in w for w in run.warnings)
    with pytest.raises(FileRejected):
        read_activity(to_gpx(make_run(7, datetime(1899, 12, 31, tzinfo=UTC), duration_s=30)), "older.gpx")


# --------------------------------------------------------------------------- XML depth


def _deep_gpx(depth: int) -> bytes:
    head = b'<gpx version="1.1" creator="t"><trk><trkseg><trkpt lat="1" lon="1"><time>2026-11-20T07:00:00Z</time>'
    return head + b"<extensions>" * depth + b"</extensions>" * depth + b"</trkpt></trkseg></trk></gpx>"


def test_a_gpx_nested_150000_deep_is_refused_quickly_without_crashing() -> None:
    """gpxpy deep-copies extensions recursively: this file (2.8 MB) once overflowed the C stack."""
    data = _deep_gpx(150_000)
    assert len(data) > 2_500_000
    began = time.perf_counter()
    with pytest.raises(FileRejected) as exc:
        read_activity(data, "deep.gpx")
    assert time.perf_counter() - began < 1.0
    assert f"more than {MAX_XML_DEPTH} levels deep" in one_sentence(exc, "deep.gpx")
    assert "refused for safety" in str(exc.value)


def test_xml_nested_up_to_the_limit_is_still_read() -> None:
    depth = MAX_XML_DEPTH - 4  # gpx, trk, trkseg, trkpt, then the extensions
    assert read_activity(_deep_gpx(depth), "deep.gpx").start_time_utc == START
    with pytest.raises(FileRejected, match="levels deep"):
        read_activity(_deep_gpx(depth + 1), "deep.gpx")


def test_xml_that_is_not_well_formed_is_refused_with_its_line_and_column() -> None:
    data = to_tcx(RUN).replace(b"</Lap>", b"</Lapp>", 1)
    with pytest.raises(FileRejected) as exc:
        read_activity(data, "broken.tcx")
    assert re.search(
        r"is not well-formed XML \(mismatched tag at line \d+, column \d+\)\.$", one_sentence(exc, "broken.tcx")
    )


# --------------------------------------------------------------------------- figures from absurd values


@pytest.mark.parametrize(
    "pairs",
    [[(math.inf, 60.0)], [(math.nan, 60.0)], [(150.0, math.inf)], [(1e308, 1e308), (1.0, 1.0)], [(-1e308, 1e300)] * 3],
    ids=["infinite value", "NaN value", "infinite weight", "product overflows", "sum overflows"],
)
def test_a_weighted_mean_of_absurd_values_is_none_not_an_error(pairs: list[tuple[float, float]]) -> None:
    assert weighted_mean(pairs) is None


def test_a_weighted_mean_leaves_out_only_the_absurd_pairs() -> None:
    assert weighted_mean([(140.0, 60.0), (math.inf, 60.0), (160.0, 60.0)]) == 150


def _hand_built(hr: float, elapsed_s: float | None = 60.0) -> Run:
    t = tuple(float(i) for i in range(20))
    nan = (math.nan,) * 20
    streams = Streams(t=t, distance=nan, speed=nan, hr=(hr,) * 20, altitude=nan, lat=nan, lon=nan)
    return Run("x", "fit", "run", "", START, elapsed_s, elapsed_s, None, streams=streams)


@pytest.mark.parametrize("hr", [math.inf, -math.inf])
def test_heart_time_of_absurd_readings_does_not_raise(hr: float) -> None:
    heart = heart_time(_hand_built(hr))
    assert heart is None or all(math.isfinite(s) for s in heart.seconds_at.values())


@pytest.mark.parametrize("elapsed", [math.inf, math.nan, 1e300])
def test_the_end_of_a_run_lasting_forever_is_unknown_not_an_error(elapsed: float) -> None:
    run = _hand_built(150.0, elapsed)
    assert run.end_time_utc is None and activity_span(run) is None


def test_a_stream_value_beyond_float32_cannot_break_pack() -> None:
    streams = from_rows([(0.0, 1e39, 1e39, 1e39, 1e39, 1e39, 1e39), (1.0, 5.0, 2.0, 150.0, 40.0, 48.0, 2.0)])
    back = unpack(pack(streams))
    assert back.distance[1] == 5.0 and math.isnan(back.altitude[0]) and math.isnan(back.lat[0])


def test_a_sample_a_century_from_the_start_is_dropped() -> None:
    streams = from_rows([(0.0, 0.0, None, 150, None, None, None), (3.2e9, 5.0, None, 150, None, None, None)])
    assert streams.t == (0.0,)


# --------------------------------------------------------------------------- the shared helper


def test_refusing_turns_any_failure_into_one_sentence_and_lets_a_refusal_through() -> None:
    with pytest.raises(FileRejected) as exc, refusing("run.fit", "its legs could not be split"):
        raise OverflowError("date value out of range\nwith a second line")
    assert str(exc.value) == "run.fit could not be read: its legs could not be split (OverflowError)."
    with pytest.raises(FileRejected, match="more memory"), refusing("run.fit", "it is damaged"):
        raise MemoryError
    with pytest.raises(FileRejected, match=r"RecursionError\)\.$"), refusing("run.fit", "it is damaged"):
        raise RecursionError
    original = FileRejected("run.fit", "is empty")
    with pytest.raises(FileRejected) as exc, refusing("run.fit", "it is damaged"):
        raise original
    assert exc.value is original


def test_refusing_lets_ctrl_c_stop_an_import() -> None:
    with pytest.raises(KeyboardInterrupt), refusing("run.fit", "it is damaged"):
        raise KeyboardInterrupt
