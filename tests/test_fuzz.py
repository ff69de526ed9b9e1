"""Damaged copies of real and synthetic activity files: each is read, or refused in one sentence.

Hypothesis mutates the bytes the way copies go wrong (bit flips, overwritten,
inserted and deleted runs of bytes, truncation, duplicated chunks, gzip
around it all) and, in XML, puts absurd values where numbers and times were
(inf, NaN, 1e999, the year 9999). Whatever comes in, `read_activity` either
returns a Run that can be stored and holds nothing implausible, or raises a
FileProblem whose text is one sentence naming the file. Nothing else.

Examples are fixed in number and derandomized so CI time stays flat (about
a minute in all); raise FUZZ_EXAMPLES locally for a longer hunt.
"""

from __future__ import annotations

import gzip
import math
import os
import re
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from recovery import bounds
from recovery.errors import FileProblem
from recovery.model import Run
from recovery.parsers import read_activity
from recovery.streams import COLUMNS
from recovery.synthetic import gzip_bytes, make_run, to_fit, to_gpx, to_tcx
from tests.test_parser_refusals import stored

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "4000"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example],
)

#: Small real files (each parses in a few milliseconds), among them the ones whose mutations once
#: crashed fitdecode or our parsers.
REAL_FIT = (
    "python-fitparse/garmin-fenix-5-run.fit",
    "python-fitparse/activity-settings.fit",
    "python-fitparse/DeveloperData.fit",
    "python-fitparse/MonitoringFile.fit",
    "goldencheetah/2012_02_05_09_03_59.fit",
    "goldencheetah/10kUNLP2014-Garmin15.fit",
    "sweatpy/6471559601_ACTIVITY.fit",
)
REAL_XML = (
    "fittrackee/test.gpx",
    "opentracks/gpx_timezone.gpx",
    "opentracks/legacy_gpx_trackpointextensions_incorrect.gpx",
    "gpxpy/around-visnjan-with-car.gpx",
    "gpxpy/Mojstrovka.gpx",
    "sweatpy/activity_5039744860.tcx",
)
_RUN = make_run(11, datetime(2026, 11, 20, 7, 0, tzinfo=UTC), duration_s=180)
SYNTHETIC = {
    "A8M01234.FIT": to_fit(_RUN),
    "morning.gpx": to_gpx(_RUN),
    "morning.tcx": to_tcx(_RUN),
    "strava.fit.gz": gzip_bytes(to_fit(_RUN)),  # damage inside the gzip itself
}

_ABSURD_NUMBERS = (b"inf", b"-inf", b"nan", b"1e999", b"-1e400", b"1e308", b"99999999999999999999999", b"-5")
_ABSURD_TIMES = (b"9999-12-31T23:59:59Z", b"0001-01-01T00:00:00+05:00", b"1970-01-01T00:00:00Z", b"2099-12-31T23:59Z")
_NUMBER = re.compile(rb"-?\d+(?:\.\d+)?")
_TIME = re.compile(rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)?")

_at = st.integers(min_value=0, max_value=2**31)
MUTATION = st.one_of(
    st.tuples(st.just("flip"), _at, st.integers(0, 7)),
    st.tuples(st.just("overwrite"), _at, st.binary(min_size=1, max_size=8)),
    st.tuples(st.just("insert"), _at, st.binary(min_size=1, max_size=16)),
    st.tuples(st.just("delete"), _at, st.integers(1, 64)),
    st.tuples(st.just("truncate"), _at),
    st.tuples(st.just("duplicate"), _at, st.integers(1, 512), _at),
    st.tuples(st.just("absurd number"), _at, st.sampled_from(_ABSURD_NUMBERS)),
    st.tuples(st.just("absurd time"), _at, st.sampled_from(_ABSURD_TIMES)),
)
DAMAGE = st.tuples(st.lists(MUTATION, min_size=1, max_size=4), st.booleans())


def mutate(data: bytes, op: tuple) -> bytes:
    """One mutation; positions are taken modulo the length, so every draw applies."""
    kind, at, *rest = op
    n = len(data)
    i = at % (n + 1)
    if kind == "flip" and n:
        return data[: i % n] + bytes([data[i % n] ^ (1 << rest[0])]) + data[i % n + 1 :]
    if kind == "overwrite":
        return data[:i] + rest[0] + data[i + len(rest[0]) :]
    if kind == "insert":
        return data[:i] + rest[0] + data[i:]
    if kind == "delete":
        return data[:i] + data[i + rest[0] :]
    if kind == "truncate":
        return data[:i]
    if kind == "duplicate":
        chunk = data[i : i + rest[0]]
        j = rest[1] % (n + 1)
        return data[:j] + chunk + data[j:]
    if kind in ("absurd number", "absurd time"):
        found = list((_NUMBER if kind == "absurd number" else _TIME).finditer(data))
        if found:
            hit = found[at % len(found)]
            return data[: hit.start()] + rest[0] + data[hit.end() :]
    return data


def damaged(data: bytes, damage: tuple[list[tuple], bool]) -> bytes:
    ops, wrap = damage
    for op in ops:
        data = mutate(data, op)
    return gzip_bytes(data) if wrap else data


def _within(value: float | None, low: float, high: float) -> bool:
    return value is None or low <= value <= high


def plausible(run: Run) -> None:
    """Nothing implausible reaches the store: every figure and sample within the bounds."""
    assert run.start_time_utc is None or bounds.in_window(run.start_time_utc)
    for item in (run, *run.legs, *run.laps):
        assert _within(item.elapsed_s, 0, bounds.MAX_DURATION_S)
        assert _within(item.moving_s, 0, bounds.MAX_DURATION_S)
        assert _within(item.distance_m, 0, bounds.MAX_DISTANCE_M)
        assert _within(item.avg_hr, bounds.MIN_HR, bounds.MAX_HR)
    assert _within(run.max_hr, bounds.MIN_HR, bounds.MAX_HR)
    assert _within(run.ascent_m, 0, bounds.MAX_ASCENT_M)
    assert _within(run.avg_cadence_spm, bounds.MIN_CADENCE_SPM, bounds.MAX_CADENCE_SPM)
    assert all(math.isfinite(t) and abs(t) <= bounds.MAX_DURATION_S for t in run.streams.t)
    for name in COLUMNS:
        if name != "t":
            low, high = bounds.STREAM_LIMITS[name]
            assert all(math.isnan(v) or low <= v <= high for v in run.streams.column(name)), name


def read_or_refuse(data: bytes, name: str) -> None:
    """The property: a Run that can be stored, or one sentence naming the file; nothing else."""
    try:
        run = read_activity(data, name)
    except FileProblem as problem:
        text = str(problem)
        assert text.startswith(name), text
        assert text.endswith(".") and "\n" not in text, text
        return
    plausible(run)
    stored(run)


@cache
def _real(root: Path, relative: str) -> bytes:
    return (root / relative).read_bytes()


@FUZZ
@given(seed=st.sampled_from(sorted(SYNTHETIC)), damage=DAMAGE)
def test_a_damaged_synthetic_file_is_read_or_refused_in_one_sentence(seed: str, damage: tuple) -> None:
    read_or_refuse(damaged(SYNTHETIC[seed], damage), seed)


@FUZZ
@given(seed=st.sampled_from(REAL_FIT), damage=DAMAGE)
def test_a_damaged_real_fit_file_is_read_or_refused_in_one_sentence(
    shared_runs: Path, seed: str, damage: tuple
) -> None:
    read_or_refuse(damaged(_real(shared_runs, seed), damage), Path(seed).name)


@FUZZ
@given(seed=st.sampled_from(REAL_XML), damage=DAMAGE)
def test_a_damaged_real_gpx_or_tcx_file_is_read_or_refused_in_one_sentence(
    shared_runs: Path, seed: str, damage: tuple
) -> None:
    read_or_refuse(damaged(_real(shared_runs, seed), damage), Path(seed).name)


@pytest.mark.parametrize("seed", sorted(SYNTHETIC))
def test_every_synthetic_seed_is_itself_read(seed: str) -> None:
    """The fuzzing starts from files that are read: a seed refused outright would test nothing."""
    run = read_activity(SYNTHETIC[seed], seed)
    plausible(run)
    if not seed.endswith(".gz"):
        assert read_activity(gzip.compress(SYNTHETIC[seed]), seed).start_time_utc == run.start_time_utc
    stored(run)


def test_every_real_seed_is_itself_read_or_refused_as_the_manifest_says(shared_runs: Path) -> None:
    for seed in REAL_FIT + REAL_XML:
        read_or_refuse(_real(shared_runs, seed), Path(seed).name)
