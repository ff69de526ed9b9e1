"""A fast path for FIT decoding that gives exactly what fitdecode gives, or None when it cannot be sure.

fitdecode spends about 90 ms on a one-hour 1 Hz run, nearly all of it on the 3,600 record
messages, of which we keep nine fields. `decode_fast` walks the bytes itself: it decodes the
record messages with one compiled `struct.Struct` per definition, and hands fitdecode (through
`recovery.parsers.fit.decode_reference`) a small FIT stream holding everything else, in order:
each file header (its data size fixed), every definition and every data message that is not a
record. fitdecode's own profile so names, scales and enums the few dozen summary messages.

Anything whose meaning this module has not been checked to keep exactly (against fitdecode, in
tests/test_fit_fast.py) makes it return None, and the caller reads the whole file with
fitdecode: record fields of an unexpected base type or size, components touching the wanted
fields (compressed_speed_distance), a compressed timestamp on a message other than a record,
`hr` messages, odd developer field sizes, a message cut short, an undefined local message,
any warning from fitdecode, any error. Damaged files therefore keep fitdecode's refusals.
"""

from __future__ import annotations

import struct
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fitdecode import profile, types

from recovery.parsers.fit import DecodedFit, checksum_warnings, decode_reference

MESG_RECORD, MESG_HR = 20, profile.MESG_NUM_HR
MESG_FIELD_DESCRIPTION, MESG_DEVELOPER_DATA_ID = profile.MESG_NUM_FIELD_DESCRIPTION, profile.MESG_NUM_DEVELOPER_DATA_ID
FIELD_TIMESTAMP = profile.FIELD_NUM_TIMESTAMP

#: The byte size fitdecode gives each base type number; an unknown number is read as bytes.
BASE_SIZES: dict[int, int] = {num: base.size for num, base in types.BASE_TYPES.items()}
_UINT8_TYPES = (0x00, 0x02)  # enum and uint8: one byte, 0xFF is "no value"
_INTEGER_TYPES = frozenset({0x00, 0x01, 0x02, 0x83, 0x84, 0x85, 0x86, 0x0A, 0x8B, 0x8C, 0x0D, 0x8E, 0x8F, 0x90})

#: Record fields we keep: number -> (base type, struct code, invalid value). Anything else for them: fall back.
WANTED: dict[int, tuple[int, str, int]] = {
    253: (0x86, "I", 0xFFFFFFFF),  # timestamp
    0: (0x85, "i", 0x7FFFFFFF),  # position_lat, semicircles
    1: (0x85, "i", 0x7FFFFFFF),  # position_long
    2: (0x84, "H", 0xFFFF),  # altitude, (m + 500) * 5; fitdecode also expands it into enhanced_altitude
    3: (0x02, "B", 0xFF),  # heart_rate
    5: (0x86, "I", 0xFFFFFFFF),  # distance, cm
    6: (0x84, "H", 0xFFFF),  # speed, mm/s; fitdecode also expands it into enhanced_speed
    73: (0x86, "I", 0xFFFFFFFF),  # enhanced_speed
    78: (0x86, "I", 0xFFFFFFFF),  # enhanced_altitude
}
_RECORD_FIELDS = profile.MESSAGE_TYPES[MESG_RECORD].fields
#: Field types fitdecode's DefaultDataProcessor rewrites (and can fail on); only the timestamp may have one.
_PROCESSED_TYPES = frozenset({"date_time", "local_date_time", "localtime_into_day"})


@dataclass(frozen=True)
class RecordPlan:
    """How to read the kept fields of one record definition: a struct over them and where each lands.

    `alt` and `speed` list (unpacked index, invalid value) in definition order: fitdecode's
    expansion of altitude into enhanced_altitude (and speed into enhanced_speed) makes the
    last valid one of the pair the value, whichever of the two it is.
    """

    unpack: Callable[..., tuple[Any, ...]]
    #: The same fields as (byte offset in the message after its header, size, struct code), for `_columns`.
    fields: tuple[tuple[int, int, str], ...]
    swap: bool  # the file's byte order is not this machine's
    ts: int
    lat: int
    lon: int
    hr: int
    dist: int
    alt: tuple[tuple[int, int], ...]
    speed: tuple[tuple[int, int], ...]


@dataclass(frozen=True)
class Definition:
    """One local message type as fitdecode would read it.

    `size` is None when fitdecode would fail or do something unchecked on a data message of
    this definition (a field of size 0, an odd developer field size, an `hr` message).
    `ts_at` is the byte offset of a uint32 timestamp in the data message (compressed
    timestamps count from it), -1 if none, None when the timestamp is of another kind.
    `record` is set only for a record definition read with certainty (its size and timestamp too).
    """

    global_num: int
    size: int | None
    ts_at: int | None
    ts_unpack: Callable[..., tuple[Any, ...]]
    record: RecordPlan | None
    dev_fields: dict[int, int]  # 206/207: kept field number -> byte offset in the data message


def _record_plan(endian: str, fields: list[tuple[int, int, int]], dev_sizes: list[int]) -> RecordPlan | None:
    """The plan for a record definition, or None if any field could make fitdecode's record differ from ours."""
    fmt = [endian]
    where: dict[int, int] = {}
    alt: list[tuple[int, int]] = []
    speed: list[tuple[int, int]] = []
    index = 0
    at = 0
    kept: list[tuple[int, int, str]] = []
    for num, size, base in fields:
        at += size
        if num in WANTED:
            want_base, code, invalid = WANTED[num]
            if base != want_base or size != struct.calcsize(code) or num in where:
                return None
            fmt.append(code)
            kept.append((at - size, size, code))
            where[num] = index
            if num in (2, 78):
                alt.append((index, invalid))
            elif num in (6, 73):
                speed.append((index, invalid))
            index += 1
            continue
        field = _RECORD_FIELDS.get(num)
        if field is not None:
            if field.subfields or field.type.name in _PROCESSED_TYPES:
                return None
            if field.components and (any(c.def_num in WANTED for c in field.components) or base not in _INTEGER_TYPES):
                return None  # compressed_speed_distance; or an accumulator fitdecode cannot add up
        fmt.append(f"{size}x")
    fmt.extend(f"{size}x" for size in dev_sizes)
    return RecordPlan(
        unpack=struct.Struct("".join(fmt)).unpack_from,
        fields=tuple(kept),
        swap=(endian == "<") != (sys.byteorder == "little"),
        ts=where.get(253, -1),
        lat=where.get(0, -1),
        lon=where.get(1, -1),
        hr=where.get(3, -1),
        dist=where.get(5, -1),
        alt=tuple(alt),
        speed=tuple(speed),
    )


def _accumulate(offset: int, last: int) -> int:
    """fitdecode's compressed timestamp: 5 bits of offset on top of the last full timestamp."""
    value = offset + (last & ~0x1F)
    if offset < (last & 0x1F):
        value += 0x20
    return value


def decode_fast(data: bytes) -> DecodedFit | None:
    """The DecodedFit `decode_reference(data)` gives, field by field, or None when it cannot be certain.

    None means "read it with fitdecode": never an error of its own, never a guess.
    """
    walked = _walk(data)
    if walked is None:
        return None
    others, records = walked
    try:
        rest = decode_reference(others)
    except Exception:  # fitdecode fails in many ways on damaged data; it will say how on the whole file
        return None
    if rest.warnings or rest.records:
        return None  # its warnings name byte offsets of the filtered stream: let it read the real one
    return DecodedFit(
        file_ids=rest.file_ids,
        sessions=rest.sessions,
        laps=rest.laps,
        activities=rest.activities,
        device_infos=rest.device_infos,
        sports=rest.sports,
        records=records,
        warnings=checksum_warnings(data),
    )


def _walk(data: bytes) -> tuple[bytes, list[tuple[Any, ...]]] | None:
    """Decode the records and gather everything else into a FIT stream of its own, or None."""
    n = len(data)
    others = bytearray()
    records: list[tuple[Any, ...]] = []
    append = records.append
    pos = 0
    while pos < n:
        if n - pos < 12:
            return None
        header_size = data[pos]
        if header_size not in (12, 14) or data[pos + 8 : pos + 12] != b".FIT":
            return None
        start = pos + header_size
        end = start + int.from_bytes(data[pos + 4 : pos + 8], "little")
        if end + 2 > n:
            return None
        header = bytearray(data[pos:start])
        header_at = len(others)
        others += header
        body_at = len(others)
        defs: dict[int, Definition] = {}
        dev_types: dict[int, dict[int, int]] = {}
        last_ts = 0
        p = start
        while p < end:
            h = data[p]
            if h & 0x80:
                local, offset = (h >> 5) & 0x3, h & 0x1F
            elif h & 0x40:
                got = _definition(data, p, end, h, dev_types)
                if got is None:
                    return None
                local_def, after = got
                defs[h & 0x0F] = local_def
                others += data[p:after]
                p = after
                continue
            else:
                local, offset = h & 0x0F, None
            d = defs.get(local)
            if d is None:
                return None  # fitdecode: local message not defined
            plan = d.record
            if plan is not None and offset is None:  # a long run of records of one definition: at once
                step = 1 + d.size  # type: ignore[operator]
                if p + _LONG_RUN * step <= end and data[p : p + _LONG_RUN * step : step] == _RUN_HEADERS[h]:
                    last, p = _record_run(data, p, end, step, plan, records)
                    if last is not None:
                        last_ts = last
                    continue
            if plan is not None:  # a record we can read: its size and timestamp are certain
                after = p + 1 + d.size
                if after > end:
                    return None
                r = plan.unpack(data, p + 1)
                raw_ts = r[plan.ts] if plan.ts >= 0 else 0xFFFFFFFF
                if raw_ts != 0xFFFFFFFF:
                    last_ts = raw_ts
                if offset is not None:
                    last_ts = _accumulate(offset, last_ts)
                    ts: Any = last_ts
                else:
                    ts = None if raw_ts == 0xFFFFFFFF else raw_ts
                lat = r[plan.lat] if plan.lat >= 0 else None
                lon = r[plan.lon] if plan.lon >= 0 else None
                hr = r[plan.hr] if plan.hr >= 0 else None
                dist = r[plan.dist] if plan.dist >= 0 else None
                alt = speed = None
                for i, invalid in plan.alt:
                    if r[i] != invalid:
                        alt = r[i]
                for i, invalid in plan.speed:
                    if r[i] != invalid:
                        speed = r[i]
                append(
                    (
                        ts,
                        None if lat == 0x7FFFFFFF else lat,
                        None if lon == 0x7FFFFFFF else lon,
                        None if alt is None else float(alt) / 5 - 500,
                        None if hr == 0xFF else hr,
                        None if dist is None or dist == 0xFFFFFFFF else float(dist) / 100,
                        None if speed is None else float(speed) / 1000,
                    )
                )
                p = after
                continue
            if d.size is None or d.ts_at is None or d.global_num == MESG_RECORD:
                return None  # fitdecode would fail, or do what we have not checked
            if offset is not None:
                return None  # its timestamp counts from records the filtered stream lacks
            after = p + 1 + d.size
            if after > end:
                return None
            if d.ts_at >= 0:
                (raw_ts,) = d.ts_unpack(data, p + d.ts_at)
                if raw_ts != 0xFFFFFFFF:
                    last_ts = raw_ts
            if d.dev_fields and not _developer_data(data, p, d, dev_types):
                return None
            others += data[p:after]
            p = after
        size = len(others) - body_at
        header[4:8] = size.to_bytes(4, "little")
        if header_size == 14:
            header[12:14] = b"\x00\x00"  # a zero header CRC is "none"
        others[header_at:body_at] = header
        others += b"\x00\x00"  # a zero file CRC is "none": checksum_warnings checks the real one
        pos = end + 2
    return bytes(others), records


#: Records in a row (no other message between) from which `_record_run` reads them column by column:
#: a watch writes them in long runs, or one or a few between hrv or event messages, read one by one.
_LONG_RUN = 16
#: Then it looks this many headers ahead at a time.
_LOOK = 512
#: The headers of a long run of data messages with each normal header byte: that byte, again and again.
_RUN_HEADERS = tuple(bytes((header,)) * _LONG_RUN for header in range(0x40))


def _record_run(
    data: bytes, p: int, end: int, step: int, plan: RecordPlan, records: list[tuple[Any, ...]]
) -> tuple[int | None, int]:
    """Decode the records from `p` on that share its header byte (at least `_LONG_RUN` of them).

    Each message is `step` bytes, so the next header is `step` on: a stride slice of the bytes
    shows how many follow in a row, and `_columns` reads them all in C. Answers the last valid
    timestamp among them (None if none) and where the next message starts.
    """
    marker = data[p : p + 1]
    count, look = _LONG_RUN, _LOOK
    while True:
        start = p + count * step
        heads = data[start : min(end - step + 1, start + look * step) : step]  # whole messages only
        same = len(heads) - len(heads.lstrip(marker))
        count += same
        if same < look:
            break
    stop = p + count * step
    columns = _columns(data, p + 1, stop, step, plan)
    absent: list[Any] = [None] * count
    ts = _valid(columns, plan.ts, 0xFFFFFFFF, absent)
    lat = _valid(columns, plan.lat, 0x7FFFFFFF, absent)
    lon = _valid(columns, plan.lon, 0x7FFFFFFF, absent)
    hr = _valid(columns, plan.hr, 0xFF, absent)
    dist = absent if plan.dist < 0 else [None if v == 0xFFFFFFFF else v / 100 for v in columns[plan.dist]]
    # int / int is the float division of float(v), rounded once: the very float fitdecode's scaling makes
    alt = _scaled(columns, plan.alt, 5, 500, absent)
    speed = _scaled(columns, plan.speed, 1000, 0, absent)
    records.extend(zip(ts, lat, lon, alt, hr, dist, speed, strict=True))
    return next((v for v in reversed(ts) if v is not None), None), stop


def _columns(data: bytes, start: int, stop: int, step: int, plan: RecordPlan) -> list[list[int]]:
    """Each kept field of the messages from `start` (after the first header) to `stop`, as a list of ints.

    A field's bytes sit `step` apart: a stride slice takes its k-th byte of every message at
    once, k slices interleaved make the column in the machine's byte order, and a memoryview
    cast reads it, all in C (twice as fast as `struct.iter_unpack` and transposing its tuples).
    """
    count = (stop - start + 1) // step
    columns = []
    for at, size, code in plan.fields:
        if size == 1:
            columns.append(list(data[start + at : stop : step]))
            continue
        column = bytearray(count * size)
        for byte in range(size):
            column[(size - 1 - byte if plan.swap else byte) :: size] = data[start + at + byte : stop : step]
        columns.append(memoryview(column).cast(code).tolist())
    return columns


def _valid(columns: list[Any], at: int, invalid: int, absent: list[Any]) -> Any:
    """The column at `at` with None for the invalid value; `absent` when the definition lacks the field."""
    if at < 0:
        return absent
    column = columns[at]
    return [None if v == invalid else v for v in column] if invalid in column else column


def _scaled(columns: list[Any], fields: tuple[tuple[int, int], ...], scale: int, offset: int, absent: list[Any]) -> Any:
    """value / scale - offset of the last valid of `fields` (a value and its enhanced twin) in each message."""
    if len(fields) == 1:
        at, invalid = fields[0]
        return [None if v == invalid else v / scale - offset for v in columns[at]]
    values = absent
    for at, invalid in fields:
        values = [a if v == invalid else v / scale - offset for v, a in zip(columns[at], values, strict=True)]
    return values


def _definition(
    data: bytes, p: int, end: int, h: int, dev_types: dict[int, dict[int, int]]
) -> tuple[Definition, int] | None:
    """Read the definition message at `p`, as fitdecode does; None where fitdecode would fail or warn."""
    if p + 6 > end:
        return None
    endian = "<" if data[p + 2] == 0 else ">"
    global_num = int.from_bytes(data[p + 3 : p + 5], "little" if endian == "<" else "big")
    count = data[p + 5]
    q = p + 6
    after = q + 3 * count
    if after > end:
        return None
    fields = [(data[i], data[i + 1], data[i + 2]) for i in range(q, after, 3)]
    dev_sizes: list[int] = []
    usable = global_num != MESG_HR  # hr timestamps count from the last timestamp of any message
    if h & 0x20:
        if after + 1 > end:
            return None
        q = after + 1
        after = q + 3 * data[after]
        if after > end:
            return None
        for i in range(q, after, 3):
            num, size, index = data[i], data[i + 1], data[i + 2]
            base_size = dev_types.get(index, {}).get(num)
            if base_size is None:
                return None  # fitdecode warns about an undescribed developer field
            if num == FIELD_TIMESTAMP:
                return None  # fitdecode would take it for the message's timestamp
            if size < base_size or size % base_size:
                usable = False  # fitdecode reads fewer bytes than declared, or fails
            dev_sizes.append(size)
    ts_at: int | None = -1
    at = 1
    for num, size, base in fields:
        if size % BASE_SIZES.get(base, 1):
            return None  # fitdecode warns and reads it as bytes
        if size == 0:
            usable = False
        if num == FIELD_TIMESTAMP:
            ts_at = at if base == 0x86 and size == 4 and ts_at == -1 else None
        at += size
    message_size = at - 1 + sum(dev_sizes)
    record = _record_plan(endian, fields, dev_sizes) if global_num == MESG_RECORD and usable else None
    kept: dict[int, int] = {}
    if global_num in (MESG_FIELD_DESCRIPTION, MESG_DEVELOPER_DATA_ID):
        wanted = (0, 1, 2) if global_num == MESG_FIELD_DESCRIPTION else (3,)
        at = 1
        for num, field_size, base in fields:
            if num in wanted:
                if num in kept or base not in _UINT8_TYPES or field_size != 1:
                    usable = False
                kept[num] = at
            at += field_size
        if dev_sizes or not kept:
            usable = False
    return (
        Definition(
            global_num=global_num,
            size=message_size if usable else None,
            ts_at=ts_at,
            ts_unpack=struct.Struct(endian + "I").unpack_from,
            record=record,
            dev_fields=kept,
        ),
        after,
    )


def _developer_data(data: bytes, p: int, d: Definition, dev_types: dict[int, dict[int, int]]) -> bool:
    """Follow a developer_data_id or field_description message as fitdecode does; False where it is unsure."""

    def raw(num: int) -> int | None:
        at = d.dev_fields.get(num)
        if at is None:
            return None
        value = data[p + at]
        return None if value == 0xFF else value

    if d.global_num == MESG_DEVELOPER_DATA_ID:
        index = raw(3)
        if index is None:
            return False
        dev_types[index] = {}  # fitdecode starts the developer's field list afresh
        return True
    index, number = raw(0), raw(1)
    if index is None or number is None or index not in dev_types:
        return False
    base = raw(2)
    if base is not None and base not in BASE_SIZES:
        return False  # fitdecode fails on an unknown base type
    dev_types[index][number] = 1 if base is None else BASE_SIZES[base]  # none given: fitdecode reads bytes
    return True
