"""The fast FIT path gives exactly what fitdecode gives, or steps aside.

`decode_fast` must return a DecodedFit equal to `decode_reference`'s (floats bit for bit,
the same dates, a record's as the FIT int, None where fitdecode says no value), or None so that fitdecode reads the
file. Checked on every real FIT file in ../shared/runs, on the project's own synthetic files,
on hand-written files using what the synthetic writer does not (big-endian definitions,
compressed timestamps, developer fields, altitude and speed with their enhanced twins), and
on damaged copies from Hypothesis, where the fast path must never raise and must step aside
whenever fitdecode itself fails.
"""

from __future__ import annotations

import math
import struct
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from recovery.errors import FileProblem
from recovery.parsers import fit, fitfast, gunzip_if_needed
from recovery.parsers.fit import DecodedFit, _build_run, decode, decode_reference, fit_crc, fit_datetime, fit_seconds
from recovery.parsers.fitfast import decode_fast
from recovery.synthetic import make_run, to_fit
from tests.manifest import rows

START = datetime(2024, 3, 2, 7, 30, tzinfo=UTC)
FIT_EPOCH_UNIX = 631065600
FIT_ROWS = [row for row in rows() if row.format == "fit"]
#: Of the real running files that fitdecode reads, at least this share takes the fast path.
FAST_SHARE_FLOOR = 0.8


def _reference_or_error(data: bytes) -> DecodedFit | Exception:
    try:
        return decode_reference(data)
    except Exception as exc:  # whatever fitdecode raises, the fast path must then step aside
        return exc


def _same_bits(a: object, b: object) -> bool:
    """Equal, with floats compared bit for bit and types kept (1 is not 1.0, NaN is NaN)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        return struct.pack("<d", a) == struct.pack("<d", b)
    if isinstance(a, tuple | list):
        return len(a) == len(b) and all(_same_bits(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same_bits(a[k], b[k]) for k in a)
    if isinstance(a, datetime):
        return a == b and a.tzinfo == b.tzinfo
    return a == b


def assert_identical(fast: DecodedFit, reference: DecodedFit) -> None:
    assert fast == reference
    for name in ("file_ids", "sessions", "laps", "activities", "device_infos", "sports", "warnings"):
        assert _same_bits(getattr(fast, name), getattr(reference, name)), name
    assert _same_bits(fast.records.columns(), reference.records.columns()), "records"


def _run_or_refusal(fit: DecodedFit) -> object:
    try:
        return _build_run(fit, "run.fit", "cid")
    except FileProblem as exc:
        return str(exc)


# --------------------------------------------------------------------------- real files


def _real_params() -> list:
    if not FIT_ROWS:
        return [pytest.param(None, marks=pytest.mark.skip(reason="../shared/runs is missing"))]
    return [pytest.param(row.file, id=row.file) for row in FIT_ROWS]


@pytest.mark.parametrize("file", _real_params())
def test_a_real_fit_file_decodes_fast_to_exactly_what_fitdecode_gives_or_not_at_all(
    file: str, shared_runs: Path
) -> None:
    data = (shared_runs / file).read_bytes()
    reference = _reference_or_error(data)
    fast = decode_fast(data)
    if isinstance(reference, Exception):
        assert fast is None, "fitdecode fails on it, so the fast path must leave it to fitdecode"
        return
    if fast is not None:
        assert_identical(fast, reference)
        assert _run_or_refusal(fast) == _run_or_refusal(reference)
    assert decode(data) == reference


def test_most_real_running_files_take_the_fast_path(shared_runs: Path) -> None:
    running = [row for row in FIT_ROWS if row.sport == "running" and not row.broken]
    assert len(running) >= 10
    fast = [row.file for row in running if decode_fast((shared_runs / row.file).read_bytes()) is not None]
    share = len(fast) / len(running)
    print(f"fast path: {len(fast)} of {len(running)} running files ({share:.0%})")
    assert share >= FAST_SHARE_FLOOR, sorted(set(r.file for r in running) - set(fast))


def test_a_file_fitdecode_warns_about_is_left_to_fitdecode(shared_runs: Path) -> None:
    data = (shared_runs / "python-fitparse/coros-pace-2-cycling-misaligned-fields.fit").read_bytes()
    assert any("invalid field size" in w for w in decode_reference(data).warnings)
    assert decode_fast(data) is None


def test_compressed_speed_and_distance_are_left_to_fitdecode(shared_runs: Path) -> None:
    data = (shared_runs / "python-fitparse/compressed-speed-distance.fit").read_bytes()
    assert decode_reference(data).records
    assert decode_fast(data) is None


# --------------------------------------------------------------------------- project-made files


@cache
def synthetic_fit(duration_s: float = 600) -> bytes:
    return to_fit(make_run(7, START, duration_s=duration_s, interval_s=1))


def test_a_record_time_is_the_int_in_the_file_and_fitdecode_s_date_made_of_it() -> None:
    """Records keep the FIT int (a date for each of thousands would cost more than decoding them)."""
    moment = datetime(2024, 3, 2, 7, 30, 5, tzinfo=UTC)
    seconds = _fit_time(moment)
    assert fit_seconds(moment) == seconds and fit_datetime(seconds) == moment
    assert fit_datetime(seconds).tzinfo is UTC
    assert fit_seconds(12345) == 12345 and fit_seconds(None) is None  # a count since power-on stays as it is


def test_a_synthetic_run_decodes_fast_to_exactly_what_fitdecode_gives() -> None:
    data = synthetic_fit(3600)
    fast, reference = decode_fast(data), decode_reference(data)
    assert fast is not None
    assert len(fast.records) == 3601
    assert_identical(fast, reference)
    assert fast.records.timestamp[0] == _fit_time(START) and fit_datetime(fast.records.timestamp[0]) == START
    assert _build_run(fast, "run.fit", "c") == _build_run(reference, "run.fit", "c")


def _definition(
    local: int,
    global_num: int,
    fields: list[tuple[int, int, int]],
    big: bool = False,
    dev: list[tuple[int, int, int]] | None = None,
) -> bytes:
    """A definition message: (field number, size, base type) each, developer fields (number, size, index)."""
    out = struct.pack(
        ">BBBHB" if big else "<BBBHB", 0x40 | local | (0x20 if dev else 0), 0, int(big), global_num, len(fields)
    )
    out += b"".join(struct.pack("BBB", *f) for f in fields)
    if dev:
        out += bytes([len(dev)]) + b"".join(struct.pack("BBB", *f) for f in dev)
    return out


def _fit(body: bytes, header_size: int = 14) -> bytes:
    header = struct.pack("<BBHI4s", header_size, 0x20, 2132, len(body), b".FIT")
    if header_size == 14:
        header += struct.pack("<H", fit_crc(header))
    whole = header + body
    return whole + struct.pack("<H", fit_crc(whole))


def _file_id(big: bool = False) -> bytes:
    """file_id: an activity from a Garmin (type, manufacturer, time_created)."""
    fmt = ">BBHI" if big else "<BBHI"
    return _definition(0, 0, [(0, 1, 0x00), (1, 2, 0x84), (4, 4, 0x86)], big) + struct.pack(
        fmt, 0, 4, 1, _fit_time(START)
    )


def _session(local: int, big: bool = False) -> bytes:
    """session: start_time, total_elapsed_time (ms), total_distance (cm), sport running."""
    fmt = ">BIIIB" if big else "<BIIIB"
    return _definition(local, 18, [(2, 4, 0x86), (7, 4, 0x86), (9, 4, 0x86), (5, 1, 0x00)], big) + struct.pack(
        fmt, local, _fit_time(START), 120_000, 40_000, 1
    )


def _fit_time(moment: datetime, offset_s: float = 0) -> int:
    return round(moment.timestamp() + offset_s) - FIT_EPOCH_UNIX


RECORD_FIELDS = [(253, 4, 0x86), (0, 4, 0x85), (1, 4, 0x85), (2, 2, 0x84), (3, 1, 0x02), (5, 4, 0x86), (6, 2, 0x84)]


def _records(count: int, big: bool, local: int = 1) -> bytes:
    """Records with altitude and speed (which fitdecode expands into their enhanced fields), some invalid."""
    fmt = (">" if big else "<") + "BIiiHBIH"
    out = _definition(local, 20, RECORD_FIELDS, big)
    for i in range(count):
        out += struct.pack(
            fmt,
            local,
            _fit_time(START, i),
            0x7FFFFFFF if i % 7 == 3 else 583_000_000 + i * 37,
            0x7FFFFFFF if i % 7 == 3 else 28_000_000 - i * 11,
            0xFFFF if i % 5 == 2 else 2_500 + 3 * i,  # (m + 500) * 5
            0xFF if i % 6 == 1 else 120 + i % 50,
            0xFFFFFFFF if i == 4 else 280 * i,
            0xFFFF if i % 9 == 8 else 2_800 + 13 * i,
        )
    return out


@pytest.mark.parametrize("big", [False, True], ids=["little-endian", "big-endian"])
def test_a_hand_written_file_decodes_fast_to_exactly_what_fitdecode_gives(big: bool) -> None:
    data = _fit(_file_id(big) + _records(40, big) + _session(2, big))
    fast, reference = decode_fast(data), decode_reference(data)
    assert fast is not None
    assert_identical(fast, reference)
    assert fast.records.altitude[:3] == [0.0, 0.6000000000000227, None]  # (2500 + 3i) / 5 - 500
    assert fast.sessions[0]["sport"] == "running"


@pytest.mark.parametrize("run", [1, 15, 16, 17, 527, 528, 529, 1100])
def test_records_in_runs_of_any_length_between_other_messages_decode_as_fitdecode_decodes_them(run: int) -> None:
    """Records of one definition one after another are read at once (`fitfast._record_segment`)."""
    definition = _definition(1, 20, RECORD_FIELDS)
    records = _records(run + 3, False)[len(definition) :]  # the data messages alone
    size = len(records) // (run + 3)
    body = _file_id() + definition + _definition(3, 21, [(253, 4, 0x86), (0, 1, 0x00), (1, 1, 0x00)])
    for block in range(3):  # `run` records, an event, then one, two or three records more
        body += records[: run * size] + struct.pack("<BIBB", 3, _fit_time(START, run + block), 0, block)
        body += records[run * size : (run + block + 1) * size]
    data = _fit(body + _session(4))
    fast, reference = decode_fast(data), decode_reference(data)
    assert fast is not None
    assert_identical(fast, reference)
    assert len(fast.records) == 3 * run + 6


#: Three record definitions a watch might mix: with a position, without one, and big-endian with the enhanced fields.
_MIXED = {
    1: (False, RECORD_FIELDS),
    2: (False, [(253, 4, 0x86), (5, 4, 0x86), (2, 2, 0x84), (6, 2, 0x84)]),
    3: (True, [(253, 4, 0x86), (0, 4, 0x85), (1, 4, 0x85), (78, 4, 0x86), (73, 4, 0x86), (3, 1, 0x02)]),
}


def _mixed_record(local: int, i: int) -> bytes:
    """Record number `i` of local type `local` in `_MIXED`, with an invalid value now and then."""
    big, fields = _MIXED[local]
    values = {
        253: _fit_time(START, i),
        0: 0x7FFFFFFF if i % 7 == 3 else 583_000_000 + i * 37,
        1: 0x7FFFFFFF if i % 7 == 3 else 28_000_000 - i * 11,
        2: 0xFFFF if i % 5 == 2 else 2_500 + 3 * i,
        3: 0xFF if i % 6 == 1 else 120 + i % 50,
        5: 0xFFFFFFFF if i % 11 == 4 else 280 * i,
        6: 0xFFFF if i % 9 == 8 else 2_800 + 13 * i,
        73: 0xFFFFFFFF if i % 4 == 1 else 2_900 + 7 * i,
        78: 0xFFFFFFFF if i % 8 == 5 else 2_600 + i,
    }
    codes = {(4, 0x86): "I", (4, 0x85): "i", (2, 0x84): "H", (1, 0x02): "B"}
    fmt = (">" if big else "<") + "B" + "".join(codes[size, base] for _num, size, base in fields)
    return struct.pack(fmt, local, *(values[num] for num, _size, _base in fields))


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.sampled_from(sorted(_MIXED)), st.integers(1, 40)), min_size=1, max_size=14))
def test_records_of_several_definitions_in_any_order_decode_as_fitdecode_decodes_them(blocks: list) -> None:
    """A watch may alternate record definitions record by record (`fitfast._record_segment` reads them all at once)."""
    body = _file_id()
    for local, (big, fields) in _MIXED.items():
        body += _definition(local, 20, fields, big)
    i = 0
    for local, count in blocks:  # `count` records of one definition, then the next block's
        for _ in range(count):
            body += _mixed_record(local, i)
            i += 1
    data = _fit(body + _session(4))
    fast, reference = decode_fast(data), decode_reference(data)
    assert fast is not None
    assert_identical(fast, reference)
    assert len(fast.records) == i


def test_enhanced_fields_and_their_plain_twins_give_fitdecodes_winner_whatever_their_order() -> None:
    body = _file_id()
    # enhanced first, then the plain field, whose expansion overwrites it when valid
    fields = [(253, 4, 0x86), (78, 4, 0x86), (73, 4, 0x86), (2, 2, 0x84), (6, 2, 0x84)]
    body += _definition(1, 20, fields)
    for i, (alt, speed) in enumerate([(0xFFFF, 0xFFFF), (3000, 2000), (0xFFFF, 2100)]):
        body += struct.pack("<BIIIHH", 1, _fit_time(START, i), 2600 + i, 3100 + i, alt, speed)
    body += _definition(2, 20, [(253, 4, 0x86), (2, 2, 0x84), (6, 2, 0x84), (78, 4, 0x86), (73, 4, 0x86)])
    for i, (alt, speed) in enumerate([(3000, 2000), (2700, 2100)]):
        body += struct.pack("<BIHHII", 2, _fit_time(START, 10 + i), alt, speed, 0xFFFFFFFF, 3500 + i)
    data = _fit(body)
    fast, reference = decode_fast(data), decode_reference(data)
    assert fast is not None
    assert_identical(fast, reference)
    assert list(zip(fast.records.altitude, fast.records.speed, strict=True)) == [
        (20.0, 3.1),  # enhanced only: the plain ones are invalid
        (100.0, 2.0),  # the plain ones come later and win
        (2602 / 5 - 500, 2.1),  # fitdecode's own arithmetic: 20.399999999999977
        (100.0, 3.5),  # enhanced altitude invalid, so the plain one's; enhanced speed later, so it
        (40.0, 3.501),
    ]


def test_compressed_timestamps_on_records_count_from_the_last_full_timestamp_as_fitdecode_does() -> None:
    start = _fit_time(START)
    body = _file_id()
    # an event with a full timestamp, then records with 5-bit offsets that roll over past 31
    body += _definition(3, 21, [(253, 4, 0x86), (0, 1, 0x00), (1, 1, 0x00)]) + struct.pack("<BIBB", 3, start, 0, 0)
    body += _definition(1, 20, [(3, 1, 0x02), (5, 4, 0x86)])
    for i in range(70):
        body += struct.pack("<BBI", 0x80 | (1 << 5) | ((start + i * 3) & 0x1F), 100 + i % 60, i * 900)
    data = _fit(body)
    fast, reference = decode_fast(data), decode_reference(data)
    assert fast is not None
    assert_identical(fast, reference)
    assert fast.records.timestamp[-1] == start + 69 * 3


def test_a_compressed_timestamp_on_a_summary_message_is_left_to_fitdecode() -> None:
    body = _file_id() + _records(5, big=False)
    body += _definition(2, 18, [(7, 4, 0x86)]) + struct.pack("<BI", 0x80 | (2 << 5) | 3, 120_000)
    data = _fit(body)
    assert decode_reference(data).sessions
    assert decode_fast(data) is None


def test_developer_fields_in_records_are_skipped_by_their_declared_sizes() -> None:
    body = _file_id()
    body += _definition(4, 207, [(3, 1, 0x02)]) + struct.pack("<BB", 4, 0)  # developer_data_id, index 0
    body += _definition(5, 206, [(0, 1, 0x02), (1, 1, 0x02), (2, 1, 0x02), (3, 8, 0x07)])
    body += struct.pack("<BBBB8s", 5, 0, 0, 0x84, b"Power")  # field 0: uint16
    body += struct.pack("<BBBB8s", 5, 0, 1, 0x88, b"Stiff")  # field 1: float32
    body += _definition(1, 20, [(253, 4, 0x86), (3, 1, 0x02)], dev=[(0, 2, 0), (1, 4, 0)])
    for i in range(20):
        body += struct.pack("<BIBHf", 1, _fit_time(START, i), 130 + i, 250 + i, 9.5)
    body += _session(2)
    data = _fit(body)
    fast, reference = decode_fast(data), decode_reference(data)
    assert fast is not None
    assert_identical(fast, reference)
    assert fast.records.heart_rate == [130 + i for i in range(20)]


def test_messages_a_decoded_file_does_not_keep_are_not_handed_to_fitdecode() -> None:
    """An hrv message a second, or a watch maker's own: fitdecode would read them only for them to be dropped."""
    body = _file_id() + _definition(1, 20, RECORD_FIELDS)
    body += _definition(2, 78, [(0, 10, 0x84)])  # hrv: five beat-to-beat times
    body += _definition(3, 0xFF00, [(0, 14, 0x07), (1, 4, 0x86)])  # a manufacturer's message, unknown to the profile
    records = _records(30, False)[len(_definition(1, 20, RECORD_FIELDS)) :]
    size = len(records) // 30
    for i in range(30):
        body += records[i * size : (i + 1) * size]
        body += struct.pack("<B5H", 2, 800 + i, 810, 0xFFFF, 0xFFFF, 0xFFFF)
        body += struct.pack("<B14sI", 3, b"maker's own", i)
    data = _fit(body + _session(4))
    fast, reference = decode_fast(data), decode_reference(data)
    assert fast is not None
    assert_identical(fast, reference)
    others, _records_read = fitfast._walk(data)  # type: ignore[misc]
    assert b"maker's own" in data and b"maker's own" not in others
    assert struct.pack("<B5H", 2, 800, 810, 0xFFFF, 0xFFFF, 0xFFFF) not in others


def test_a_message_fitdecode_could_fail_on_is_still_handed_to_it() -> None:
    """A date in a 64-bit field: fitdecode's processor overflows on it, so the whole file is fitdecode's to refuse."""
    body = _file_id() + _definition(5, 162, [(1, 8, 0x8F)]) + struct.pack("<BQ", 5, 2**63)  # timestamp_correlation
    data = _fit(body + _records(20, False) + _session(2))
    with pytest.raises(OverflowError):
        decode_reference(data)
    assert decode_fast(data) is None


def test_chained_files_decode_fast_one_after_another() -> None:
    first = _fit(_file_id() + _records(10, big=False) + _session(2))
    second = _fit(_file_id(True) + _records(12, big=True, local=3) + _session(4, True), header_size=12)
    data = first + second
    fast, reference = decode_fast(data), decode_reference(data)
    assert fast is not None
    assert_identical(fast, reference)
    assert len(fast.records) == 22 and len(fast.sessions) == 2


def test_a_wrong_checksum_is_warned_about_as_fitdecode_path_does() -> None:
    data = bytearray(_fit(_file_id() + _records(10, big=False)))
    data[-1] ^= 0xFF
    fast, reference = decode_fast(bytes(data)), decode_reference(bytes(data))
    assert fast is not None
    assert_identical(fast, reference)
    assert len(fast.warnings) == 1 and "CRC" in fast.warnings[0]


def test_a_record_field_written_as_an_array_is_left_to_fitdecode() -> None:
    body = _file_id() + _definition(1, 20, [(253, 4, 0x86), (78, 8, 0x86)])
    body += struct.pack("<BIII", 1, _fit_time(START), 3000, 3001)
    data = _fit(body)
    assert decode_reference(data).records.altitude[0] == 100.0
    assert decode_fast(data) is None


def test_a_developer_field_of_an_unknown_base_type_is_refused_in_words() -> None:
    """fitdecode fails with a bare KeyError (57); the refusal says what that number is."""
    body = _file_id() + _definition(4, 207, [(3, 1, 0x02)]) + struct.pack("<BB", 4, 0)
    body += _definition(5, 206, [(0, 1, 0x02), (1, 1, 0x02), (2, 1, 0x02)]) + struct.pack("<BBBB", 5, 0, 0, 57)
    data = _fit(body + _records(5, big=False) + _session(2))
    assert decode_fast(data) is None
    with pytest.raises(FileProblem) as refused:
        fit.parse(data, "run.fit", "cid")
    assert str(refused.value) == (
        "run.fit is a damaged FIT file that cannot be decoded (it refers to a value that is not defined: 57)."
    )


def test_a_file_cut_short_is_left_to_fitdecode_and_keeps_its_refusal() -> None:
    data = synthetic_fit()[:-40]
    assert decode_fast(data) is None
    reference = _reference_or_error(data)
    assert isinstance(reference, Exception)
    with pytest.raises(type(reference)) as raised:
        decode(data)
    assert str(raised.value) == str(reference)


# --------------------------------------------------------------------------- damaged copies


@cache
def _seed_files() -> tuple[bytes, ...]:
    short = to_fit(make_run(3, START, duration_s=40, interval_s=1))
    hand = _fit(_file_id() + _records(12, big=True) + _session(2))
    dev = _fit(
        _file_id()
        + _definition(4, 207, [(3, 1, 0x02)])
        + struct.pack("<BB", 4, 0)
        + _definition(5, 206, [(0, 1, 0x02), (1, 1, 0x02), (2, 1, 0x02)])
        + struct.pack("<BBBB", 5, 0, 0, 0x84)
        + _definition(1, 20, [(253, 4, 0x86), (3, 1, 0x02)], dev=[(0, 2, 0)])
        + b"".join(struct.pack("<BIBH", 1, _fit_time(START, i), 140, 200) for i in range(8))
        + b"".join(struct.pack("<BBH", 0x80 | (1 << 5) | i, 150, 0) for i in range(8))
    )
    mixed = _file_id() + b"".join(_definition(local, 20, fields, big) for local, (big, fields) in _MIXED.items())
    mixed += _definition(6, 78, [(0, 10, 0x84)])  # hrv, left out of what fitdecode reads
    for i in range(120):  # 60 records of mixed definitions (read by numpy), then one hrv after each
        mixed += _mixed_record((1, 2, 1, 3)[i % 4] if i < 60 else 1, i)
        if i >= 60:
            mixed += struct.pack("<B5H", 6, 800 + i, 810, 0xFFFF, 0xFFFF, 0xFFFF)
    return short, hand, dev, _fit(mixed + _session(4))


def _damage(data: bytes, cut: int, flips: list[tuple[int, int]]) -> bytes:
    out = bytearray(data[: max(0, len(data) - cut)])
    for at, bit in flips:
        if out:
            out[at % len(out)] ^= 1 << bit
    return bytes(out)


@settings(max_examples=1500, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(
    which=st.integers(0, 3),
    cut=st.one_of(st.just(0), st.integers(0, 64), st.integers(0, 3000)),
    flips=st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 7)), max_size=4),
)
def test_damaged_bytes_never_make_the_fast_path_raise_or_differ(which: int, cut: int, flips: list) -> None:
    data = _damage(_seed_files()[which], cut, flips)
    fast = decode_fast(data)
    reference = _reference_or_error(data)
    if isinstance(reference, Exception):
        assert fast is None, f"fitdecode fails ({reference!r}) but the fast path answered"
    elif fast is not None:
        assert_identical(fast, reference)


def test_the_seed_files_for_damage_take_the_fast_path() -> None:
    for data in _seed_files():
        fast = decode_fast(data)
        assert fast is not None
        assert_identical(fast, decode_reference(data))
        assert not any(isinstance(v, float) and math.isnan(v) for r in fast.records.rows() for v in r)


def test_the_benchmarks_baseline_reads_with_the_libraries_alone_and_only_when_asked() -> None:
    """RECOVERY_PARSERS=reference (bench/import_speed.py's baseline) swaps in the readers from before the fast ones;
    without it, the fast ones read."""
    import os
    import subprocess
    import sys

    show = "import recovery.parsers as p; print(sorted((k, f.__module__, f.__name__) for k, f in p.PARSERS.items()))"

    def readers(**env: str) -> str:
        base = {k: v for k, v in os.environ.items() if k != "RECOVERY_PARSERS"}
        done = subprocess.run([sys.executable, "-c", show], capture_output=True, text=True, env={**base, **env},
                              check=True, timeout=60)  # fmt: skip
        return done.stdout.strip()

    assert readers(RECOVERY_PARSERS="reference") == str([
        ("fit", "recovery.parsers.fit", "parse_reference"),
        ("gpx", "recovery.parsers.gpx_reference", "parse"),
        ("tcx", "recovery.parsers.tcx_reference", "parse"),
    ])  # fmt: skip
    assert readers() == str([
        ("fit", "recovery.parsers.fit", "parse"), ("gpx", "recovery.parsers.gpx", "parse"),
        ("tcx", "recovery.parsers.tcx", "parse"),
    ])  # fmt: skip


# --- the file checksum in C -------------------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(data=st.binary(max_size=4096), start=st.integers(0, 0xFFFF))
def test_the_c_checksum_equals_the_profiles_algorithm_for_any_bytes(data: bytes, start: int) -> None:
    assert fit._file_crc(data) == fit_crc(data)
    assert fit._file_crc(data, start) == fit_crc(data, start)


def test_the_c_checksum_equals_the_profiles_algorithm_on_every_real_fit_file(shared_runs: Path) -> None:
    for row in FIT_ROWS:
        data = gunzip_if_needed((shared_runs / row.file).read_bytes(), row.file)
        assert fit._file_crc(data) == fit_crc(data), row.file
