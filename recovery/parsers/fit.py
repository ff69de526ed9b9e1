"""FIT, the binary format Garmin, COROS, Suunto, Wahoo and most watches write.

Decoding happens in one function, `decode`: our own fast path
(`recovery.parsers.fitfast`) where it is certain to give what fitdecode
gives, fitdecode (`decode_reference`) for every other file, so nothing after
it can tell which one read the bytes. Everything after it works on
plain dicts of *native* fields: a developer field that happens to share a
native field's name (a Stryd "Distance", say) never overwrites it.
"""

from __future__ import annotations

import io
import math
import struct
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import compress, repeat
from operator import le, sub
from typing import Any

import crcmod
import fitdecode

from recovery import bounds
from recovery.classify import normalise_sport
from recovery.errors import FileRejected, NotAnActivity, refusing
from recovery.model import FOOT_SPORTS, Lap, Leg, Run
from recovery.parsers import samples
from recovery.streams import Streams, downsample, from_columns

SEMICIRCLE_TO_DEG = 180.0 / 2**31
FIT_EPOCH_UNIX = 631065600  # 1989-12-31T00:00:00Z, as fitdecode.processors.FIT_UTC_REFERENCE
FIT_EPOCH = datetime.fromtimestamp(FIT_EPOCH_UNIX, UTC)
DATETIME_MIN = 0x10000000  # below it a FIT date_time counts seconds since power-on (fitdecode keeps the int)

MESG_FILE_ID, MESG_SESSION, MESG_LAP, MESG_RECORD = 0, 18, 19, 20
MESG_ACTIVITY, MESG_DEVICE_INFO, MESG_SPORT = 34, 23, 12
#: The summary messages `DecodedFit` keeps, besides the records.
SUMMARY_MESSAGES = frozenset({MESG_FILE_ID, MESG_SESSION, MESG_LAP, MESG_ACTIVITY, MESG_DEVICE_INFO, MESG_SPORT})

# record field numbers (FIT profile)
_R_TIME, _R_LAT, _R_LON, _R_ALT, _R_HR, _R_DIST, _R_SPEED = 253, 0, 1, 2, 3, 5, 6
_R_ENH_SPEED, _R_ENH_ALT = 73, 78

_NOT_ACTIVITY = {
    "settings": "a device settings file",
    "device": "a device description file",
    "sport": "a sport settings file",
    "workout": "a planned workout",
    "course": "a course (a planned route)",
    "schedules": "a training schedule",
    "weight": "a weight-scale file",
    "totals": "a lifetime totals file",
    "goals": "a goals file",
    "blood_pressure": "a blood-pressure file",
    "monitoring_a": "a daily health-monitoring file",
    "monitoring_b": "a daily health-monitoring file",
    "monitoring_daily": "a daily health-monitoring file",
    "activity_summary": "an activity summary without samples",
    "segment": "a segment definition",
    "segment_list": "a segment list",
}


def _crc_table() -> tuple[int, ...]:
    """CRC-16/ARC (reflected 0x8005), the checksum FIT uses, one lookup per byte."""
    table = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
        table.append(crc)
    return tuple(table)


_CRC_TABLE = _crc_table()


def fit_crc(data: bytes, crc: int = 0) -> int:
    """The FIT CRC-16 of `data`, continuing from `crc`: the profile's algorithm, kept as the reference.

    `_file_crc` (crcmod-plus's C loop, 40x faster) is what the import uses; tests/test_fit_fast.py
    holds the two equal.
    """
    table = _CRC_TABLE
    for byte in data:
        crc = (crc >> 8) ^ table[(crc ^ byte) & 0xFF]
    return crc


#: The same CRC-16/ARC in C: polynomial x^16 + x^15 + x^2 + 1, reflected, starting from 0, no final XOR.
_file_crc: Callable[..., int] = crcmod.mkCrcFun(0x18005, initCrc=0, rev=True, xorOut=0)


def checksum_warnings(data: bytes) -> list[str]:
    """Check each chained FIT file's trailing CRC once, over its whole bytes.

    fitdecode can do this too, but it updates the CRC on every small read,
    which costs about a fifth of the decode; one pass here is ten times
    cheaper. Structural damage is left for the decoder to report.
    """
    warnings = []
    pos = 0
    while pos + 12 <= len(data):
        header_size = data[pos]
        if header_size not in (12, 14) or data[pos + 8 : pos + 12] != b".FIT":
            break
        end = pos + header_size + int.from_bytes(data[pos + 4 : pos + 8], "little")
        if end + 2 > len(data):
            break
        stored = int.from_bytes(data[end : end + 2], "little")
        if stored and _file_crc(data[pos:end]) != stored:
            warnings.append(f"mismatching CRC in FIT footer (footer offset: {end})")
        pos = end + 2
    return warnings


@dataclass
class Records:
    """The record messages' fields, column by column, one entry per record in the file's order.

    The timestamp is the FIT int (`fit_datetime` makes it fitdecode's datetime): a date for
    thousands of records per run would cost more than decoding them. Columns, not a tuple per
    record: the streams are built column by column, and a tuple each was made only to be
    taken apart again.
    """

    timestamp: list[Any] = field(default_factory=list)
    lat: list[Any] = field(default_factory=list)  # semicircles
    lon: list[Any] = field(default_factory=list)
    altitude: list[Any] = field(default_factory=list)  # metres; enhanced_altitude where fitdecode gives one
    heart_rate: list[Any] = field(default_factory=list)
    distance: list[Any] = field(default_factory=list)  # metres
    speed: list[Any] = field(default_factory=list)  # m/s; enhanced_speed where fitdecode gives one

    def __len__(self) -> int:
        return len(self.timestamp)

    def columns(self) -> tuple[list[Any], ...]:
        """The seven columns, in the order of the fields above."""
        return (self.timestamp, self.lat, self.lon, self.altitude, self.heart_rate, self.distance, self.speed)

    def append(self, row: Sequence[Any]) -> None:
        """Add one record, its fields in the order of `columns` (the decoders add columns: `extend`)."""
        for column, value in zip(self.columns(), row, strict=True):
            column.append(value)

    def extend(self, columns: Sequence[list[Any]]) -> None:
        """Add records given as columns, in the order of `columns`."""
        for column, values in zip(self.columns(), columns, strict=True):
            column.extend(values)

    def rows(self) -> list[tuple[Any, ...]]:
        """One tuple per record (for tests: the import reads the columns)."""
        return list(zip(*self.columns(), strict=True))

    def where(self, keep: Sequence[bool]) -> Records:
        """The records for which `keep` is true."""
        return Records(*(list(compress(column, keep)) for column in self.columns()))


@dataclass
class DecodedFit:
    """What the decoder hands over: native fields only, by message."""

    file_ids: list[dict[str, Any]] = field(default_factory=list)
    sessions: list[dict[str, Any]] = field(default_factory=list)
    laps: list[dict[str, Any]] = field(default_factory=list)
    activities: list[dict[str, Any]] = field(default_factory=list)
    device_infos: list[dict[str, Any]] = field(default_factory=list)
    sports: list[dict[str, Any]] = field(default_factory=list)
    records: Records = field(default_factory=Records)
    warnings: list[str] = field(default_factory=list)


#: A FIT decoder: `decode` (the fast path first) or `decode_reference` (fitdecode alone).
Decoder = Callable[[bytes, "io.BytesIO | None"], DecodedFit]


def decode(data: bytes, stream: io.BytesIO | None = None) -> DecodedFit:
    """Decode FIT bytes (chained files included) into native-field dicts.

    The fast path (`recovery.parsers.fitfast.decode_fast`, about ten times quicker on a long
    run) gives exactly what `decode_reference` gives, or None when it cannot be certain; then,
    and for every damaged file, fitdecode reads it, so its errors and `stream` (how far it
    got) mean what they always did.
    """
    from recovery.parsers.fitfast import decode_fast  # it builds on this module, so it is imported late

    fast = decode_fast(data)
    return fast if fast is not None else decode_reference(data, stream)


def decode_reference(data: bytes, stream: io.BytesIO | None = None) -> DecodedFit:
    """Decode FIT bytes (chained files included) into native-field dicts with fitdecode.

    Raises fitdecode's errors for data that cannot be read; a wrong CRC or an
    odd field size only adds a warning, as fitdecode itself does. `stream`,
    when given, is the BytesIO over `data` the decoder reads, so the caller
    can say how far it got.
    """
    out = DecodedFit()
    records = out.records
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        reader = fitdecode.FitReader(
            stream if stream is not None else io.BytesIO(data),
            check_crc=fitdecode.CrcCheck.DISABLED,  # checked once by checksum_warnings
            error_handling=fitdecode.ErrorHandling.WARN,
        )
        data_frame = fitdecode.FIT_FRAME_DATA
        for frame in reader:
            if frame.frame_type != data_frame:
                continue
            num = frame.global_mesg_num
            if num == MESG_RECORD:
                values: dict[int, Any] = {}
                for f in frame.fields:
                    fd = f.field_def
                    if fd is not None and fd.is_dev:
                        continue
                    value = f.value
                    if value is not None:
                        # A few devices write a field as an array; the first value is the reading.
                        values[f.def_num] = value[0] if isinstance(value, tuple) else value
                records.timestamp.append(fit_seconds(values.get(_R_TIME)))
                records.lat.append(values.get(_R_LAT))
                records.lon.append(values.get(_R_LON))
                records.altitude.append(values.get(_R_ENH_ALT, values.get(_R_ALT)))
                records.heart_rate.append(values.get(_R_HR))
                records.distance.append(values.get(_R_DIST))
                records.speed.append(values.get(_R_ENH_SPEED, values.get(_R_SPEED)))
            elif num in SUMMARY_MESSAGES:
                message = {
                    f.name: f.value for f in frame.fields if not (f.field_def is not None and f.field_def.is_dev)
                }
                {
                    MESG_FILE_ID: out.file_ids,
                    MESG_SESSION: out.sessions,
                    MESG_LAP: out.laps,
                    MESG_ACTIVITY: out.activities,
                    MESG_DEVICE_INFO: out.device_infos,
                    MESG_SPORT: out.sports,
                }[num].append(message)
    out.warnings = checksum_warnings(data) + [str(w.message) for w in caught]
    return out


def fit_seconds(value: Any) -> Any:
    """A FIT date_time as the int in the file, from fitdecode's datetime; anything else as it is."""
    return (value - FIT_EPOCH) // timedelta(seconds=1) if isinstance(value, datetime) else value


def fit_datetime(seconds: int) -> datetime:
    """The datetime fitdecode's DefaultDataProcessor makes of a FIT date_time at or above DATETIME_MIN."""
    return datetime.fromtimestamp(FIT_EPOCH_UNIX + seconds, UTC)


def parse(data: bytes, name: str, content_id: str, *, decoder: Decoder | None = None) -> Run:
    """Read a FIT file into a Run, or say in one sentence why it is not one.

    fitdecode can fail on damaged bytes in ways it does not foresee itself
    (an AssertionError in its reader, a TypeError in a processor); those are
    refused with the byte offset it had reached.
    """
    stream = io.BytesIO(data)
    with refusing(name, "the FIT data is damaged", lambda _exc: f"at byte {stream.tell()}"):
        fit = _decode(data, stream, name, decoder or decode)
    return _build_run(fit, name, content_id)


def parse_reference(data: bytes, name: str, content_id: str) -> Run:
    """`parse` with fitdecode alone, as FIT files were read before the fast path: the benchmarks' baseline."""
    return parse(data, name, content_id, decoder=decode_reference)


def _decode(data: bytes, stream: io.BytesIO, name: str, decoder: Decoder) -> DecodedFit:
    """`decode`, with fitdecode's own errors said in plain words."""
    try:
        return decoder(data, stream)
    except fitdecode.FitHeaderError as exc:
        raise FileRejected(name, f"is not a readable FIT file: its header is damaged ({exc})") from exc
    except fitdecode.FitEOFError as exc:
        raise FileRejected(
            name, "is cut short: it ends in the middle of a message (was it still being copied?)"
        ) from exc
    except (fitdecode.FitError, ValueError, KeyError, IndexError, struct.error) as exc:
        raise FileRejected(name, f"is a damaged FIT file that cannot be decoded ({_short(exc)})") from exc


def _short(exc: Exception) -> str:
    """The first line of a decoder's error, in words where it gives only a value (a KeyError's bare key)."""
    if isinstance(exc, KeyError) and exc.args:
        return f"it refers to a value that is not defined: {exc.args[0]!r}"[:160]
    text = str(exc).split("\n")[0]
    return text[:160] if text else type(exc).__name__


def _build_run(fit: DecodedFit, name: str, content_id: str) -> Run:
    if not fit.file_ids and not fit.sessions and not fit.records:
        raise FileRejected(name, "holds no FIT data at all")
    file_types = [fid.get("type") for fid in fit.file_ids]
    if file_types and "activity" not in file_types and not fit.sessions:
        kind = file_types[0]
        what = _NOT_ACTIVITY.get(str(kind), f"a FIT file of type '{kind}'")
        raise NotAnActivity(name, f"is {what}, not a recorded activity")

    timed = _timed(fit.records)
    if not fit.sessions and not timed:
        raise NotAnActivity(name, "records no activity: it has no sessions, laps or timed samples")

    first = fit.sessions[0] if fit.sessions else {}
    start = first.get("start_time")
    origin = fit_seconds(start) if _is_time(start) else _first_plausible(timed)
    if origin is None:
        raise NotAnActivity(name, "records no start time, so it cannot be placed in your history")

    relative = origin < DATETIME_MIN  # fitdecode gives a date from DATETIME_MIN up, the int below
    file_warnings = [_plain_warning(w) for w in fit.warnings]

    start_utc: datetime | None = None
    start_local: datetime | None = None
    if relative:
        start_local = _local_start_from_relative(fit, origin)
        file_warnings.append(
            "The watch recorded time since it was switched on rather than a date; the start is shown in local time."
            if start_local
            else "The watch recorded no date for this activity."
        )
    else:
        start_utc = fit_datetime(origin)

    full = _streams(timed, origin, relative)

    legs = tuple(_leg(s) for s in fit.sessions)
    sport_label, sub_label = _sport_labels(fit)
    sport = normalise_sport(sport_label, sub_label) or "other"
    if legs and len({leg.sport for leg in legs if not leg.is_transition}) == 1 and len(legs) > 1:
        sport = next(leg.sport for leg in legs if not leg.is_transition)

    elapsed = _sum(s.get("total_elapsed_time") for s in fit.sessions)
    moving = _sum(s.get("total_timer_time") for s in fit.sessions)
    distance = _sum(s.get("total_distance") for s in fit.sessions)
    ascent = _sum(s.get("total_ascent") for s in fit.sessions)
    descent = _sum(s.get("total_descent") for s in fit.sessions)
    if elapsed is None and len(full) >= 2:
        elapsed = full.t[-1] - full.t[0]
    if moving is None:
        moving = samples.moving_time(full.t, full.distance)
    if distance is None:
        distance = _last_distance(full)
    if ascent is None:
        ascent, descent = samples.ascent_descent(full.altitude)

    avg_hr = _weighted_hr(fit.sessions)
    max_hr = _max(s.get("max_heart_rate") for s in fit.sessions)
    if avg_hr is None:
        avg_hr, stream_max = samples.heart_rate_summary(full.hr)
        max_hr = max_hr or stream_max
    cadence = _cadence_spm(first, sport) if len(legs) <= 1 else None

    utc_offset = _utc_offset(fit)
    if elapsed is not None and 7 * 86400 < elapsed <= bounds.MAX_DURATION_S:
        file_warnings.append(
            f"The file says this activity lasted {elapsed / 86400:.0f} days; the watch was probably left recording."
        )
    if elapsed is not None and moving is not None and moving > elapsed + 1:
        file_warnings.append("The file's moving time is longer than its elapsed time.")

    return Run(
        content_id=content_id,
        source_format="fit",
        sport=sport,
        sport_label=_label(sport_label, sub_label),
        start_time_utc=start_utc,
        elapsed_s=elapsed,
        moving_s=moving,
        distance_m=distance,
        ascent_m=ascent,
        descent_m=descent,
        avg_hr=avg_hr,
        max_hr=max_hr if max_hr else None,
        avg_cadence_spm=cadence,
        device=_device(fit),
        laps=tuple(_lap(lap) for lap in fit.laps),
        legs=legs,
        streams=downsample(full),
        utc_offset_s=utc_offset,
        start_time_local=start_local,
        has_gps=full.has("lat"),
        warnings=tuple(dict.fromkeys(file_warnings)),
    )


def _streams(timed: Records, origin: int, relative: bool) -> Streams:
    """The records as streams, in time order, column by column (a step per record was a third of a FIT read).

    A date among counts since power-on, or the other way round, has no place in this run.
    """
    ts = timed.timestamp
    if ts and not (max(ts) < DATETIME_MIN if relative else min(ts) >= DATETIME_MIN):
        timed = timed.where([(t < DATETIME_MIN) == relative for t in ts])
        ts = timed.timestamp
    if not ts:
        return Streams()
    t = list(map(float, map(sub, ts, repeat(origin))))
    la, lo = _positions(timed.lat, timed.lon)
    columns = [t, timed.distance, timed.speed, [hr or None for hr in timed.heart_rate], timed.altitude, la, lo]
    if not all(map(le, t[:-1], t[1:])):
        order = sorted(range(len(t)), key=t.__getitem__)  # stable, as sorting the rows by time was
        columns = [[column[i] for i in order] for column in columns]
    return from_columns(*columns)


def _positions(lats: Sequence[Any], lons: Sequence[Any]) -> tuple[list[float | None], list[float | None]]:
    """Each record's position in degrees, both None where it is not a point on the globe.

    Semicircles are ints: then the degrees are one multiplication each and the bounds one
    look at the extremes; anything else is judged record by record.
    """
    if set(map(type, lats)) == {int} == set(map(type, lons)):
        la, lo = [v * SEMICIRCLE_TO_DEG for v in lats], [v * SEMICIRCLE_TO_DEG for v in lons]
        if la and bounds.is_position(min(la), min(lo)) and bounds.is_position(max(la), max(lo)):
            return la, lo
    degrees = zip(map(_degrees, lats), map(_degrees, lons), strict=True)
    pairs = [(la, lo) if bounds.is_position(la, lo) else (None, None) for la, lo in degrees]
    return [la for la, _lo in pairs], [lo for _la, lo in pairs]


def _plain_warning(text: str) -> str:
    if "CRC" in text:
        return "The file's checksum is wrong, so part of it may be damaged; everything readable was kept."
    return f"The decoder warned: {text.split(';')[0][:160]}."


def _local_start_from_relative(fit: DecodedFit, origin: int) -> datetime | None:
    """Old watches count from power-on; the activity message's local time anchors it."""
    for act in fit.activities:
        local, ts = act.get("local_timestamp"), act.get("timestamp")
        if isinstance(local, datetime) and isinstance(ts, int):
            try:
                return (local - timedelta(seconds=ts - origin)).replace(tzinfo=None)
            except OverflowError:  # a power-on count reaching before year 1
                return None
    return None


def _is_time(value: Any) -> bool:
    """A FIT timestamp: a date (fitdecode's datetime, or the int of a record), or an int count since power-on."""
    return isinstance(value, datetime) or (isinstance(value, int) and not isinstance(value, bool))


def _timed(records: Records) -> Records:
    """The records with a time (`_is_time`): at once when every time is an int, as the decoders give them."""
    if set(map(type, records.timestamp)) == {int}:
        return records
    return records.where(list(map(_is_time, records.timestamp)))


def _first_plausible(timed: Records) -> int | None:
    """The first record's time, skipping dates no watch could have recorded (a stray year 9999)."""
    dated = [t for t in timed.timestamp if t >= DATETIME_MIN]
    keep = bounds.plausible_times([fit_datetime(seconds) for seconds in dated])
    for seconds, ok in zip(dated, keep, strict=True):
        if ok:
            return seconds
    return timed.timestamp[0] if timed else None


def _degrees(semicircles: Any) -> float | None:
    value = bounds.finite(semicircles)
    return None if value is None else value * SEMICIRCLE_TO_DEG


def _sport_labels(fit: DecodedFit) -> tuple[str | None, str | None]:
    for source in (fit.sessions, fit.sports, fit.laps):
        for message in source:
            sport = message.get("sport")
            if sport is not None and str(sport) != "transition":
                return str(sport), _str_or_none(message.get("sub_sport"))
    return None, None


def _str_or_none(value: Any) -> str | None:
    return None if value is None else str(value)


def _label(sport: str | None, sub: str | None) -> str:
    if not sport:
        return ""
    return sport if not sub or sub == "generic" else f"{sport} ({sub})"


def _leg(session: dict[str, Any]) -> Leg:
    label, sub = _str_or_none(session.get("sport")), _str_or_none(session.get("sub_sport"))
    sport = normalise_sport(label, sub) or "other"
    start = session.get("start_time")
    start_utc = start if isinstance(start, datetime) else None
    avg_hr = session.get("avg_heart_rate") or None
    return Leg(
        sport=sport,
        sport_label=_label(label, sub),
        start_time_utc=start_utc,
        elapsed_s=session.get("total_elapsed_time"),
        moving_s=session.get("total_timer_time"),
        distance_m=session.get("total_distance"),
        ascent_m=session.get("total_ascent"),
        avg_hr=avg_hr,
        max_hr=session.get("max_heart_rate") or None,
        avg_cadence_spm=_cadence_spm(session, sport),
        laps=session.get("num_laps") or 0,
        is_transition=label == "transition",
    )


def _lap(lap: dict[str, Any]) -> Lap:
    start = lap.get("start_time")
    return Lap(
        start_time_utc=start if isinstance(start, datetime) else None,
        elapsed_s=lap.get("total_elapsed_time"),
        moving_s=lap.get("total_timer_time"),
        distance_m=lap.get("total_distance"),
        avg_hr=lap.get("avg_heart_rate") or None,
    )


def _sum(values: Any) -> float | None:
    present = [float(v) for v in values if isinstance(v, int | float) and not math.isnan(v)]
    return sum(present) if present else None


def _max(values: Any) -> int | None:
    present = [int(v) for v in values if isinstance(v, int | float) and v and math.isfinite(v)]
    return max(present) if present else None


def _weighted_hr(sessions: list[dict[str, Any]]) -> int | None:
    pairs = [
        (s["avg_heart_rate"], s.get("total_timer_time") or s.get("total_elapsed_time") or 0)
        for s in sessions
        if s.get("avg_heart_rate")
    ]
    return samples.weighted_mean(pairs)


def _cadence_spm(session: dict[str, Any], sport: str) -> int | None:
    """Steps per minute. FIT counts strides (one foot), so double it."""
    if sport not in FOOT_SPORTS:
        return None
    cadence = session.get("avg_running_cadence") or session.get("avg_cadence")
    if not cadence:
        return None
    fraction = session.get("avg_fractional_cadence") or 0.0
    steps = (bounds.finite(cadence) or 0.0) + (bounds.finite(fraction) or 0.0)
    return round(steps * 2) if steps and math.isfinite(steps * 2) else None


def _last_distance(full: Any) -> float | None:
    values = [d for d in full.distance if not math.isnan(d)]
    if values:
        return max(values)
    if full.has("lat"):
        return samples.cumulative_distance(full.lat, full.lon)[-1]
    return None


def _utc_offset(fit: DecodedFit) -> int | None:
    """Local minus UTC, rounded to the quarter hour, from the activity message."""
    for act in fit.activities:
        local, ts = act.get("local_timestamp"), act.get("timestamp")
        if isinstance(local, datetime) and isinstance(ts, datetime):
            seconds = (local - ts).total_seconds()
            quarter = round(seconds / 900) * 900
            if abs(quarter) <= 14 * 3600:
                return int(quarter)
    return None


def _device(fit: DecodedFit) -> str | None:
    for fid in fit.file_ids:
        maker = fid.get("manufacturer")
        product = fid.get("product_name") or fid.get("garmin_product") or fid.get("product")
        parts = [str(p) for p in (maker, product) if p not in (None, "")]
        if parts:
            return " ".join(parts)
    return None
