"""A fast path for FIT decoding that gives exactly what fitdecode gives, or None when it cannot be sure.

fitdecode spends about 90 ms on a one-hour 1 Hz run, nearly all of it on the 3,600 record
messages, of which we keep nine fields. `decode_fast` walks the bytes itself: it decodes the
record messages with one layout per definition, as numpy rows (`_record_segment`: every record
from one message that is not a record to the next, of one definition or several, at once) or
with a compiled `struct.Struct` one by one (a record alone or a few, under a compressed timestamp
header, or one whose reserved header bits are set), and hands fitdecode (through
`recovery.parsers.fit.decode_reference`) a small FIT stream holding everything else, in order:
each file header (its data size fixed), every definition and every data message that is not a
record, except those `DecodedFit` does not keep and fitdecode cannot fail on (`_unread`: an
hrv message a second, a watch maker's own). fitdecode's own profile so names, scales and
enums the few dozen summary messages.

Anything whose meaning this module has not been checked to keep exactly (against fitdecode, in
tests/test_fit_fast.py) makes it return None, and the caller reads the whole file with
fitdecode: record fields of an unexpected base type or size, components touching the wanted
fields (compressed_speed_distance), a compressed timestamp on a message other than a record,
`hr` messages, odd developer field sizes, a message cut short, an undefined local message,
any warning from fitdecode, any error. Damaged files therefore keep fitdecode's refusals.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from fitdecode import profile, types

from recovery.parsers.fit import SUMMARY_MESSAGES, DecodedFit, Records, checksum_warnings, decode_reference

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
#: The struct codes of WANTED as numpy's, the byte order put before them.
_NUMPY_CODES = {"I": "u4", "i": "i4", "H": "u2", "B": "u1"}
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
    #: The same fields for a message with its header byte, named f0, f1, ... by unpacked index, for numpy.
    dtype: np.dtype[Any]
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
    `unread` says its data messages are ones fitdecode would read to no purpose and without
    fail (`_unread`): they are left out of the stream fitdecode is given.
    """

    global_num: int
    size: int | None
    ts_at: int | None
    ts_unpack: Callable[..., tuple[Any, ...]]
    record: RecordPlan | None
    dev_fields: dict[int, int]  # 206/207: kept field number -> byte offset in the data message
    unread: bool


def _record_plan(endian: str, fields: list[tuple[int, int, int]], dev_sizes: list[int]) -> RecordPlan | None:
    """The plan for a record definition, or None if any field could make fitdecode's record differ from ours."""
    fmt = [endian]
    where: dict[int, int] = {}
    alt: list[tuple[int, int]] = []
    speed: list[tuple[int, int]] = []
    index = 0
    at = 0
    kept: list[tuple[int, str]] = []  # (byte offset after the header, struct code)
    for num, size, base in fields:
        at += size
        if num in WANTED:
            want_base, code, invalid = WANTED[num]
            if base != want_base or size != struct.calcsize(code) or num in where:
                return None
            fmt.append(code)
            kept.append((at - size, code))
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
        dtype=np.dtype(
            {
                "names": [f"f{i}" for i in range(len(kept))],
                "formats": [endian + _NUMPY_CODES[code] for _at, code in kept],
                "offsets": [1 + at for at, _code in kept],
                "itemsize": 1 + at + sum(dev_sizes),
            }
        ),
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


def _walk(data: bytes) -> tuple[bytes, Records] | None:
    """Decode the records and gather everything else into a FIT stream of its own, or None."""
    n = len(data)
    others = bytearray()
    records = Records()
    rows: list[tuple[Any, ...]] = []  # records read one by one since the last segment, added to `records` at once
    append = rows.append
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
        steps = [0] * 0x100  # normal header byte -> one record's bytes with it; 0: not a record we read
        plans: list[RecordPlan | None] = [None] * 0x10
        dev_types: dict[int, dict[int, int]] = {}
        last_ts = 0
        p = start
        while p < end:
            h = data[p]
            if h & 0x80:
                local, offset = (h >> 5) & 0x3, h & 0x1F
            elif h & 0x40:
                defined = _definition(data, p, end, h, dev_types)
                if defined is None:
                    return None
                local_def, after = defined
                defs[h & 0x0F] = local_def
                plans[h & 0x0F] = local_def.record
                steps[h & 0x0F] = 1 + local_def.size if local_def.record is not None else 0  # type: ignore[operator]
                others += data[p:after]
                p = after
                continue
            else:
                local, offset = h & 0x0F, None
            d = defs.get(local)
            if d is None:
                return None  # fitdecode: local message not defined
            plan = d.record
            if plan is not None and h < 0x10:  # records one after another, of one definition or several: at once
                step = steps[h]
                if p + step < end and steps[data[p + step]]:  # at least two: else the record alone, below
                    segment, p = _record_segment(data, p, end, steps, plans)
                    if rows:
                        records.extend(_transposed(rows))
                        rows.clear()
                    records.extend(segment)
                    last = next((t for t in reversed(segment[0]) if t is not None), None)
                    if last is not None:
                        last_ts = last
                    continue
            if plan is not None:  # a record we can read: its size and timestamp are certain
                after = p + 1 + d.size
                if after > end:
                    return None
                r, ts = _unpacked(data, p, plan)
                if ts is not None:
                    last_ts = ts
                if offset is not None:
                    last_ts = ts = _accumulate(offset, last_ts)
                append(_row(r, ts, plan))
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
            if not d.unread:
                others += data[p:after]
            p = after
        size = len(others) - body_at
        header[4:8] = size.to_bytes(4, "little")
        if header_size == 14:
            header[12:14] = b"\x00\x00"  # a zero header CRC is "none"
        others[header_at:body_at] = header
        others += b"\x00\x00"  # a zero file CRC is "none": checksum_warnings checks the real one
        pos = end + 2
    records.extend(_transposed(rows))
    return bytes(others), records


def _unpacked(data: bytes, at: int, plan: RecordPlan) -> tuple[tuple[Any, ...], int | None]:
    """The kept fields of the record whose header byte is at `at`, and its timestamp (None if it has no valid one)."""
    r = plan.unpack(data, at + 1)
    ts = r[plan.ts] if plan.ts >= 0 else 0xFFFFFFFF
    return r, None if ts == 0xFFFFFFFF else ts


def _row(r: tuple[Any, ...], ts: Any, plan: RecordPlan) -> tuple[Any, ...]:
    """One record's fields as `Records` holds them, from its unpacked values and its timestamp."""
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
    return (
        ts,
        None if lat == 0x7FFFFFFF else lat,
        None if lon == 0x7FFFFFFF else lon,
        None if alt is None else float(alt) / 5 - 500,
        None if hr == 0xFF else hr,
        None if dist is None or dist == 0xFFFFFFFF else float(dist) / 100,
        None if speed is None else float(speed) / 1000,
    )


def _transposed(rows: list[tuple[Any, ...]]) -> list[list[Any]]:
    """Records as rows made the columns of `Records`."""
    return [list(column) for column in zip(*rows, strict=True)] if rows else [[] for _ in range(_RECORD_FIELD_COUNT)]


#: Records of one definition in a row that `_record_segment` steps over at once: a watch writes
#: them in long runs, or alternates two definitions (with and without a position) irregularly.
_LONG_RUN = 16
#: Then it looks this many headers ahead at a time.
_LOOK = 512
#: Records in a segment from which numpy reads them: below, its fixed cost (some 40 us) is more than a struct each.
_NUMPY_AT_LEAST = 48
#: A long run's headers for each normal header byte of a data message (local type 0-15): that byte, again and again.
_RUN_HEADERS = tuple(bytes((header,)) * _LONG_RUN for header in range(0x10))


def _run_length(data: bytes, p: int, end: int, step: int) -> int:
    """How many whole messages from `p` (at least `_LONG_RUN`) share its header byte, `step` bytes apart."""
    marker = data[p : p + 1]
    count, look = _LONG_RUN, _LOOK
    while True:
        start = p + count * step
        heads = data[start : min(end - step + 1, start + look * step) : step]  # whole messages only
        same = len(heads) - len(heads.lstrip(marker))
        count += same
        if same < look:
            return count


def _record_segment(
    data: bytes, p: int, end: int, steps: list[int], plans: list[RecordPlan | None]
) -> tuple[list[list[Any]], int]:
    """The records from `p` on, of one definition or several, up to the first message that is not one.

    One short loop reads each record's header byte (a long run of one definition at once),
    which says where every record starts; numpy then reads each definition's records at once
    and puts them back in the file's order. Answers them and where the next message starts
    (normal headers only: a compressed timestamp ends the segment). The records come as the
    columns of `Records`.
    """
    heads = bytearray()  # each record's header byte, in the file's order
    add_head = heads.append
    look = _LONG_RUN - 1
    q = p
    while q < end:
        h = data[q]
        step = steps[h]
        stop = q + step
        if not step or stop > end:
            break  # not a record we read, or cut short: the caller's loop says what it is
        last = q + look * step  # at least `_LONG_RUN` of one definition from here?
        if last + step <= end and data[last] == h and data[q : last + 1 : step] == _RUN_HEADERS[h]:
            count = _run_length(data, q, end, step)
            heads += bytes((h,)) * count
            stop = q + count * step
        else:
            add_head(h)
        q = stop
    if len(heads) < _NUMPY_AT_LEAST:  # numpy's fixed cost is more than a struct each for a few
        rows = []
        at = p
        for h in heads:
            plan = plans[h]
            assert plan is not None  # steps[h] is set only with a plan
            rows.append(_row(*_unpacked(data, at, plan), plan))
            at += steps[h]
        return _transposed(rows), q
    used: dict[int, RecordPlan] = {}
    for h in sorted(set(heads)):
        plan = plans[h]
        assert plan is not None  # steps[h] is set only with a plan
        used[h] = plan
    if len(used) == 1:  # one definition: its records lie one after another
        (plan,) = used.values()
        columns = _block_columns(np.frombuffer(data, dtype=plan.dtype, count=len(heads), offset=p), plan)
    else:
        order = np.frombuffer(heads, dtype=np.uint8)
        sizes = np.array(steps[:0x10])[order]
        starts = np.cumsum(sizes) - sizes  # where each record starts, counted from p
        by_definition = [_block_columns(_picked(data, p, starts[order == h], plan), plan) for h, plan in used.items()]
        # they come grouped by definition, as a stable sort of the header bytes puts them: back to the file's order
        where = np.empty(len(order), dtype=np.intp)
        where[np.argsort(order, kind="stable")] = np.arange(len(order))
        columns = [
            (np.concatenate([c[field][0] for c in by_definition])[where],
             np.concatenate([c[field][1] for c in by_definition])[where])
            for field in range(_RECORD_FIELD_COUNT)
        ]  # fmt: skip
    return [_with_none(values, missing) for values, missing in columns], q


#: A record's fields as `DecodedFit` holds them: (timestamp, lat, lon, altitude, heart_rate, distance, speed).
_RECORD_FIELD_COUNT = 7
#: One column: each record's value, and whether it has none.
Column = tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]


def _picked(data: bytes, p: int, starts: np.ndarray[Any, Any], plan: RecordPlan) -> np.ndarray[Any, Any]:
    """The records of one definition whose header bytes are at `starts` (counted from `p`), as numpy rows.

    A view of the bytes with a message starting at every byte picks them all out at once.
    """
    every_byte = np.ndarray(
        shape=(len(data) - p - plan.dtype.itemsize + 1,), dtype=plan.dtype, buffer=data, offset=p, strides=(1,)
    )
    return every_byte[starts]


def _block_columns(rows: np.ndarray[Any, Any], plan: RecordPlan) -> list[Column]:
    """Records of one definition as the columns of `DecodedFit.records`, read, checked and scaled by numpy.

    The floats are the very ones fitdecode's arithmetic makes: the int made a double,
    divided by the scale, the offset taken off.
    """
    return [
        _raw(rows, plan.ts, 0xFFFFFFFF),
        _raw(rows, plan.lat, 0x7FFFFFFF),
        _raw(rows, plan.lon, 0x7FFFFFFF),
        _scaled(rows, plan.alt, 5, 500),
        _raw(rows, plan.hr, 0xFF),
        _scaled(rows, ((plan.dist, 0xFFFFFFFF),) if plan.dist >= 0 else (), 100, 0),
        _scaled(rows, plan.speed, 1000, 0),
    ]


def _raw(rows: np.ndarray[Any, Any], at: int, invalid: int) -> Column:
    """Field `at` of each row as it is, missing where invalid or where the definition lacks it (`at` < 0)."""
    if at < 0:
        return np.zeros(len(rows), dtype=np.int64), np.ones(len(rows), dtype=bool)
    column = rows[f"f{at}"]
    return column, column == invalid


def _scaled(rows: np.ndarray[Any, Any], fields: tuple[tuple[int, int], ...], scale: int, offset: int) -> Column:
    """value / scale - offset of the last valid of `fields` (a value and its enhanced twin) in each row."""
    values = np.zeros(len(rows), dtype=np.float64)
    missing = np.ones(len(rows), dtype=bool)
    for at, invalid in fields:
        column = rows[f"f{at}"]
        valid = column != invalid
        values = np.where(valid, column / scale - offset, values)
        missing &= ~valid
    return values, missing


def _with_none(values: np.ndarray[Any, Any], missing: np.ndarray[Any, Any]) -> list[Any]:
    """The values as Python ints or floats, None where `missing`."""
    if not missing.any():
        return values.tolist()  # type: ignore[no-any-return]
    if missing.all():
        return [None] * len(values)
    out = values.astype(object)
    out[missing] = None
    return out.tolist()  # type: ignore[no-any-return]


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
            unread=not dev_sizes and _unread(global_num, fields),
        ),
        after,
    )


#: The messages `DecodedFit` keeps, those fitdecode reads developer fields by, and records and hr (never left out).
_KEPT = SUMMARY_MESSAGES | {MESG_FIELD_DESCRIPTION, MESG_DEVELOPER_DATA_ID, MESG_RECORD, MESG_HR}
#: Unsigned integers of 32 bits or fewer: a date or a time of day fitdecode's processor makes of one cannot fail.
_SMALL_UNSIGNED = frozenset({0x00, 0x02, 0x0A, 0x84, 0x8B, 0x86, 0x8C})


def _unread(global_num: int, fields: list[tuple[int, int, int]]) -> bool:
    """Whether fitdecode reads a data message of this definition to no purpose and cannot fail on it.

    Not one `DecodedFit` keeps (an `hrv` each second, say, or a watch maker's own messages),
    no developer fields (checked by the caller), and no field fitdecode does more with than
    unpack and scale: components only on a single integer (their bits are taken out of it),
    a date or time of day only from a single small unsigned integer. Leaving such messages to
    fitdecode cost most of a long run's decode in files that log heart-rate variability.
    """
    if global_num in _KEPT:
        return False
    mesg_type = profile.MESSAGE_TYPES.get(global_num)
    if mesg_type is None:
        return True  # an unknown message: fitdecode keeps its raw values
    for num, size, base in fields:
        field = mesg_type.fields.get(num)
        if field is None:
            continue
        single = size == BASE_SIZES.get(base)
        for f in (field, *(field.subfields or ())):
            if f.components and not (
                single and base in _INTEGER_TYPES and all(c.def_num in mesg_type.fields for c in f.components)
            ):
                return False
            if f.type.name in _PROCESSED_TYPES and not (single and base in _SMALL_UNSIGNED):
                return False
    return True


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
