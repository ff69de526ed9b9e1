"""Page speed: each dashboard page's server time on ten years of a daily runner, against one run.

Run from the project root (see bench/README.md):

    .venv/bin/python -m bench.page_speed [--samples N] [--runs N] [--reseed] [--postgres URL]

1. Seed (cached): ten years back from a fixed NOW, a daily runner. --runs synthetic 1 Hz runs of
   25-100 minutes (`recovery.synthetic.make_run` + `to_fit`) go through the real import,
   `ingest_inputs` with two parsing workers, as if synced from a watch folder, so every run also has its
   sources row and import-log line. Then 2,000 discomfort logs over the ten years (none worth a
   referral in the last 60 days), a counted cool-down for ~70 % of the runs, a weekly strength
   routine, one watched folder and the runner's settings. The SQLite file is kept under
   bench/out/, keyed by a version string, so a re-run skips seeding (--reseed forces it).
2. Baseline, built in the same run: a fresh database holding only the latest of those runs
   (same bytes, same settings and folder).
3. Each page is fetched through Flask's test client, in process, with `time.perf_counter()`
   around `client.get(path)` (status 200 asserted): a few untimed warm-ups, then --samples
   rounds; a round visits every page on both databases in a shuffled order, so machine noise
   hits both alike. Per page: median and p95 on each database, and the ratios big/one-run.
   Targets: p95 < 100 ms on the big database, and median big / median one-run < 3x.

The report is printed and written as JSON to bench/out/page_speed.json.
"""

from __future__ import annotations

import argparse
import functools
import gc
import hashlib
import json
import os
import platform
import random
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Integer, create_engine, func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from bench.common import Meter, format_table, load, log, median, save_report, utc_now, verdict
from recovery import schema
from recovery.coach.discomfort import DiscomfortLog
from recovery.coaching import coach_data, gather, referral
from recovery.database import MIGRATIONS
from recovery.history import RoutineSession
from recovery.ingest import ingest_bytes, ingest_inputs
from recovery.inputs import InputFile
from recovery.isolation import ParsePool
from recovery.store import Store
from recovery.synthetic import make_run, to_fit
from recovery.web import create_app

#: Bump when the seed's recipe changes: the cached database is keyed by it (with --runs and the migrations).
SEED_VERSION = "page-speed-seed-1"
NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
YEARS = 10
DEFAULT_RUNS = 3500
DISCOMFORT_LOGS = 2000
COOLDOWN_SHARE = 0.7
#: No log in this window may lead to a referral, so the today page shows the normal routine.
CALM_DAYS = 60
WATCHED_FOLDER = "/media/runner/GARMIN/Activity"
SETTINGS = {"units": "km", "time_zone": "Europe/Paris", "sex": "female"}
RANDOM_SEED = 20261124
LATEST_SEED = 9_999
WARM_UP = 3
P95_TARGET_MS = 100.0
RATIO_TARGET = 3.0
OUT = Path(__file__).resolve().parent / "out"
DEFAULT_JSON = OUT / "page_speed.json"
#: (name, path); {run} is the latest run's id on that database.
PAGES = (
    ("today", "/"),
    ("timer", "/timer/{run}"),
    ("history", "/history"),
    ("runs", "/runs"),
    ("run detail", "/runs/{run}"),
    ("imports", "/imports"),
    ("settings", "/settings"),
)
DATABASES = ("big", "one")
TABLE_HEADS = (
    "page",
    "big median",
    "big p95",
    "one-run median",
    "one-run p95",
    "ratio median",
    "ratio p95",
    "p95 < 100 ms",
    "ratio < 3x",
)


# --------------------------------------------------------------------------- the seed


@dataclass(frozen=True)
class Slot:
    """One planned run: its synthetic seed, start, length and pace, and the file name it syncs as."""

    seed: int
    start: datetime
    duration_s: float
    pace_s_per_km: float

    @property
    def label(self) -> str:
        return f"{WATCHED_FOLDER}/{self.start:%Y-%m-%d-%H-%M-%S}.fit"

    @property
    def end(self) -> datetime:
        return self.start + timedelta(seconds=self.duration_s)


def plan_runs(count: int, rng: random.Random) -> list[Slot]:
    """A daily runner over YEARS years ending on NOW's morning: a day off in 25, a second run now and then.

    Exactly `count` runs: random ones are dropped (or evening doubles added) to fit, never the latest,
    which starts at 07:30 UTC on NOW's day so the today page shows a fresh run.
    """
    last_day = NOW.date()
    first_day = last_day.replace(year=last_day.year - YEARS) + timedelta(days=1)
    slots: list[tuple[datetime, float, float]] = []
    day = first_day
    while day < last_day:
        if rng.random() >= 1 / 25:
            slots.append(_morning(day, rng))
            if rng.random() < 1 / 40:
                slots.append(_evening(day, rng))
        day += timedelta(days=1)
    latest = (datetime.combine(last_day, datetime.min.time(), UTC) + timedelta(hours=7, minutes=30), 50 * 60.0, 330.0)
    others = max(0, count - 1)
    if len(slots) > others:
        slots = sorted(rng.sample(slots, others))
    while len(slots) < others:
        slots.append(_evening(first_day + timedelta(days=rng.randrange((last_day - first_day).days)), rng))
    slots.sort()
    planned = [Slot(10_000 + i, start, duration, pace) for i, (start, duration, pace) in enumerate(slots)]
    return [*planned, Slot(LATEST_SEED, *latest)]  # the same run whatever `count` is


def _morning(day: date, rng: random.Random) -> tuple[datetime, float, float]:
    start = datetime.combine(day, datetime.min.time(), UTC) + timedelta(minutes=rng.randrange(5 * 60 + 45, 8 * 60 + 15))
    if day.weekday() == 6:  # the Sunday long run
        return start, rng.uniform(70, 100) * 60, rng.uniform(330, 390)
    return start, rng.triangular(25, 75, 45) * 60, rng.uniform(290, 370)


def _evening(day: date, rng: random.Random) -> tuple[datetime, float, float]:
    start = datetime.combine(day, datetime.min.time(), UTC) + timedelta(minutes=rng.randrange(17 * 60, 18 * 60 + 30))
    return start, rng.uniform(25, 45) * 60, rng.uniform(320, 380)


def fit_bytes(slot: Slot) -> bytes:
    """The run as a watch would write it: 1 Hz samples."""
    run = make_run(slot.seed, slot.start, duration_s=slot.duration_s, interval_s=1.0, pace_s_per_km=slot.pace_s_per_km)
    return to_fit(run)


class SyncClock:
    """The importer's clock during seeding: each file is 'imported' a few minutes after its run ended.

    `ingest_inputs` stores files in input order and reads the clock once per file.
    """

    def __init__(self, moments: Sequence[datetime]) -> None:
        self._moments = iter(moments)

    def __call__(self) -> datetime:
        return next(self._moments, NOW)


def import_runs(store: Store, slots: Sequence[Slot], rng: random.Random, workers: int) -> None:
    """Every planned run through the real import (parsing in `workers` processes); all must be imported."""
    synced = [min(NOW, s.end + timedelta(minutes=rng.uniform(3, 40))) for s in slots]
    inputs = (InputFile(s.label, functools.partial(fit_bytes, s)) for s in slots)
    started = time.perf_counter()
    with ParsePool(workers) as pool:
        for done, outcome in enumerate(ingest_inputs(store, inputs, clock=SyncClock(synced), parser=pool), 1):
            if outcome.outcome != "imported":
                raise SystemExit(f"FAILED: seeding {outcome.path}: {outcome.outcome}: {outcome.message}")
            if done % 250 == 0 or done == len(slots):
                rate = done / (time.perf_counter() - started)
                left = (len(slots) - done) / rate
                log(f"  imported {done}/{len(slots)} runs ({rate:.1f}/s, about {left:.0f} s left)")


def discomfort_logs(count: int, first: datetime, rng: random.Random) -> list[DiscomfortLog]:
    """`count` logs from `first` to NOW, mostly 0-3; nothing in the last CALM_DAYS that calls for a referral."""
    flags = sorted(flag.id for flag in coach_data().red_flags.values() if flag.level == "see-soon")
    span = (NOW - timedelta(hours=2) - first).total_seconds()
    moments = sorted(first + timedelta(seconds=rng.uniform(0, span)) for _ in range(count))
    calm_from = NOW - timedelta(days=CALM_DAYS)
    logs = []
    for i, at in enumerate(moments):
        when = rng.choices(("after", "next-morning", "before"), (5, 3, 2))[0]
        if at >= calm_from:
            # 0 or 1 only (nothing can rise three times), never into a leg, and the very last one is 0.
            score = 0 if i == len(moments) - 1 else rng.choice((0, 0, 1))
            logs.append(DiscomfortLog(at, score, when, rng.choice(("central", "one-side"))))
            continue
        score = rng.choices(range(9), (25, 30, 22, 12, 5, 3, 1.5, 1, 0.5))[0]
        where = rng.choices(("central", "one-side", "into-leg"), (70, 25, 5))[0]
        red = (rng.choice(flags),) if flags and score >= 6 and rng.random() < 0.1 else ()
        logs.append(DiscomfortLog(at, score, when, where, red, "Stiff after the long run." if score >= 5 else None))
    return logs


def add_routines(store: Store, rng: random.Random) -> tuple[int, int]:
    """A cool-down for about COOLDOWN_SHARE of the runs (not today's: it is waiting for one), a strength routine
    most weeks. Returns (cool-downs, strength sessions)."""
    stored = store.runs(only_runs=False, samples=False)
    latest_id = max(s.id for s in stored)
    cooldowns = 0
    for s in sorted(stored, key=lambda s: s.id):
        end = s.run.end_time_utc
        if s.id == latest_id or end is None or rng.random() >= COOLDOWN_SHARE:
            continue
        planned = rng.randrange(5, 10)
        done = planned if rng.random() < 0.85 else rng.randrange(1, planned)
        seconds = done * rng.randrange(45, 100)
        began = end + timedelta(minutes=rng.uniform(2, 20))
        store.add_routine_session(
            RoutineSession(
                s.id, "cooldown", began, began + timedelta(seconds=seconds), planned, done, seconds, done == planned
            )
        )
        cooldowns += 1
    strength = 0
    day = NOW.date().replace(year=NOW.year - YEARS)
    while day < NOW.date():
        if day.weekday() == 2 and rng.random() < 0.8:  # Wednesday evenings
            began = datetime.combine(day, datetime.min.time(), UTC) + timedelta(hours=19, minutes=rng.randrange(60))
            seconds = rng.randrange(600, 1200)
            finished = began + timedelta(seconds=seconds)
            store.add_routine_session(RoutineSession(None, "strength", began, finished, 6, 6, seconds, True))
            store.add_strength_session(finished)
            strength += 1
        day += timedelta(days=1)
    return cooldowns, strength


def configure(store: Store) -> None:
    """The runner's settings and watched folder (the same on both databases)."""
    for key, value in SETTINGS.items():
        store.set_setting(key, value)
    store.add_folder(WATCHED_FOLDER, now=NOW - timedelta(days=365 * YEARS))


def seed_key(runs: int) -> str:
    """The cache key: the seed recipe's version, --runs and the migrations the schema came from."""
    migrations = sorted(p.name for p in (MIGRATIONS / "versions").glob("*.py"))
    raw = json.dumps([SEED_VERSION, runs, NOW.isoformat(), DISCOMFORT_LOGS, migrations])
    return hashlib.sha256(raw.encode()).hexdigest()[:12]


@dataclass(frozen=True)
class Seed:
    path: Path
    info: dict[str, Any]
    cached: bool


def big_database(runs: int, reseed: bool, workers: int) -> Seed:
    """The ten-year SQLite database: from bench/out/ if this recipe was seeded before, else seeded now."""
    key = seed_key(runs)
    path = OUT / f"page_speed-{runs}-{key}.sqlite3"
    meta = path.with_suffix(".json")
    if path.exists() and meta.exists() and not reseed:
        info = json.loads(meta.read_text())
        log(f"seed: reusing {path.name} (seeded in {info['seed_seconds']:.0f} s on {info['seeded_at']})")
        return Seed(path, info, True)
    OUT.mkdir(parents=True, exist_ok=True)
    for stale in OUT.glob(f"page_speed-{runs}-*"):
        stale.unlink()
    building = OUT / f"page_speed-{runs}-{key}.building.sqlite3"
    rng = random.Random(RANDOM_SEED)
    slots = plan_runs(runs, rng)
    log(f"seed: {len(slots)} runs from {slots[0].start:%Y-%m-%d} to {slots[-1].start:%Y-%m-%d} -> {path.name}")
    started = time.perf_counter()
    with Store(f"sqlite:///{building}") as store:
        configure(store)
        import_runs(store, slots, rng, workers)
        import_s = time.perf_counter() - started
        logs = discomfort_logs(DISCOMFORT_LOGS, slots[0].start, rng)
        for entry in logs:
            store.add_discomfort(entry)
        cooldowns, strength = add_routines(store, rng)
        if (advice := referral(gather(store, NOW), NOW)) is not None:
            raise SystemExit(f"FAILED: the seed's discomfort logs call for a referral: {advice}")
        info = {
            "seed_version": SEED_VERSION,
            "key": key,
            "seeded_at": utc_now().isoformat(timespec="seconds"),
            "seed_seconds": round(time.perf_counter() - started, 1),
            "import_seconds": round(import_s, 1),
            "workers": workers,
            **contents(store),
            "cooldowns_added": cooldowns,
            "strength_sessions_added": strength,
        }
    checkpoint(building)
    info["bytes"] = building.stat().st_size
    os.replace(building, path)
    meta.write_text(json.dumps(info, indent=2) + "\n")
    log(f"seed: done in {info['seed_seconds']:.0f} s ({info['bytes'] / 1e6:.0f} MB)")
    return Seed(path, info, False)


def one_run_database(folder: Path) -> Path:
    """The baseline: a fresh database with only the latest planned run (the same bytes as in the big one)."""
    latest = plan_runs(1, random.Random(RANDOM_SEED))[-1]
    path = folder / "one-run.sqlite3"
    with Store(f"sqlite:///{path}") as store:
        configure(store)
        outcome = ingest_bytes(store, fit_bytes(latest), latest.label, now=latest.end + timedelta(minutes=10))
        if outcome.outcome != "imported":
            raise SystemExit(f"FAILED: the one-run database: {outcome.message}")
    checkpoint(path)
    return path


def contents(store: Store) -> dict[str, Any]:
    """What a database holds, row counts and the span of its runs."""
    counts = {}
    with store.engine.connect() as conn:
        for table in (
            "runs",
            "sources",
            "import_log",
            "discomfort_logs",
            "routine_sessions",
            "strength_sessions",
            "watched_folders",
        ):
            counts[table] = conn.scalar(select(func.count()).select_from(schema.metadata.tables[table])) or 0
        t = schema.runs
        first, last, samples = conn.execute(
            select(func.min(t.c.start_time_utc), func.max(t.c.start_time_utc), func.sum(t.c.sample_count))
        ).one()
    return {"rows": counts, "first_run": str(first), "latest_run": str(last), "samples": int(samples or 0)}


def checkpoint(path: Path) -> None:
    """Fold the WAL into the main file so the database is one self-contained file."""
    conn = sqlite3.connect(path)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()


def copy_database(source: Path, target: Path) -> None:
    """Measure on a copy, so the cached seed never changes whatever the pages do."""
    shutil.copyfile(source, target)


# --------------------------------------------------------------------------- PostgreSQL


PG_DATABASES = {"big": "recovery_bench", "one": "recovery_bench_one"}


@contextmanager
def postgres_databases(base_url: str, sources: dict[str, Path]) -> Iterator[dict[str, str]]:
    """Create recovery_bench and recovery_bench_one on `base_url`'s server (replacing any left over), fill each
    with a row-for-row copy of the matching SQLite database, yield their URLs, and drop them afterwards."""
    url = make_url(base_url.replace("postgresql://", "postgresql+psycopg://", 1))
    urls = {db: url.set(database=name).render_as_string(hide_password=False) for db, name in PG_DATABASES.items()}
    drop = [f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)' for name in PG_DATABASES.values()]
    _pg_admin(url, [*drop, *(f'CREATE DATABASE "{name}"' for name in PG_DATABASES.values())])
    try:
        for db, source in sources.items():
            started = time.perf_counter()
            copy_rows(source, urls[db])
            log(f"postgres: copied {source.name} into {PG_DATABASES[db]} in {time.perf_counter() - started:.0f} s")
        yield urls
    finally:
        _drop_when_free(url, drop)


def _drop_when_free(url: Any, drop: Sequence[str], tries: int = 20) -> None:
    """Drop the benchmark's databases; an autovacuum worker still busy on one (after the bulk copy) cannot
    be ended by a non-superuser, so wait for it. A database left behind is reported, not fatal:
    the measurements are already made, and the next run replaces it."""
    for attempt in range(tries):
        try:
            _pg_admin(url, drop)
            return
        except DBAPIError as error:
            if attempt == tries - 1:
                log(f"postgres: could not drop the benchmark databases ({error.orig}); the next run replaces them")
                return
            time.sleep(1.0)


def _pg_admin(url: Any, statements: Sequence[str]) -> None:
    """CREATE/DROP DATABASE cannot run in a transaction: AUTOCOMMIT, through the given database."""
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            for statement in statements:
                conn.execute(text(statement))
    finally:
        admin.dispose()


def copy_rows(source: Path, target_url: str) -> None:
    """Every row of every app table, ids kept, then each id sequence moved past the copied ids."""
    with Store(target_url) as target:  # migrates the empty database
        src = create_engine(f"sqlite:///{source}")
        try:
            with src.connect() as read, target.engine.begin() as write:
                for table in schema.metadata.sorted_tables:
                    write.execute(table.delete())  # what the migrations put in (the data version's row)
                    rows = read.execute(select(table)).mappings()
                    batch: list[dict[str, Any]] = []
                    for row in rows:
                        batch.append(dict(row))
                        if len(batch) == 200:
                            write.execute(table.insert(), batch)
                            batch = []
                    if batch:
                        write.execute(table.insert(), batch)
                    if "id" in table.c and isinstance(table.c.id.type, Integer):  # login_sessions' ids are text
                        write.execute(
                            text(
                                f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                                f"COALESCE((SELECT max(id) FROM {table.name}), 0) + 1, false)"
                            )
                        )
        finally:
            src.dispose()


# --------------------------------------------------------------------------- measuring


@dataclass
class Target:
    """One database being measured: its app, test client and the pages' paths on it."""

    name: str
    app: Flask
    client: FlaskClient
    paths: dict[str, str]


@contextmanager
def target(name: str, url: str) -> Iterator[Target]:
    app = create_app({"DATABASE_URL": url, "CLOCK": lambda: NOW, "TESTING": True})
    store: Store = app.extensions["recovery.store"]
    try:
        latest = store.runs(limit=1, only_runs=True, samples=False)[0].id
        yield Target(name, app, app.test_client(), {page: path.format(run=latest) for page, path in PAGES})
    finally:
        store.close()


class FullCollections:
    """Counts Python's full (generation 2) garbage collections: one in a request can add tens of ms."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        if phase == "stop" and info["generation"] == 2:
            self.count += 1

    @contextmanager
    def watching(self) -> Iterator[FullCollections]:
        gc.callbacks.append(self)
        try:
            yield self
        finally:
            gc.callbacks.remove(self)


FULL_GC = FullCollections()


@dataclass(frozen=True)
class Sample:
    seconds: float
    bytes: int
    full_gc: bool  # a full garbage collection ran during the request


def fetch(t: Target, page: str) -> Sample:
    """One request's server time; anything but 200 stops the benchmark."""
    collections = FULL_GC.count
    started = time.perf_counter()
    response = t.client.get(t.paths[page])
    seconds = time.perf_counter() - started
    if response.status_code != 200:
        raise SystemExit(f"FAILED: GET {t.paths[page]} on the {t.name} database gave {response.status_code}")
    return Sample(seconds, len(response.get_data()), FULL_GC.count != collections)


def check_pages(targets: dict[str, Target]) -> None:
    """The big database's today page shows today's run and no referral (else we would time another page)."""
    body = targets["big"].client.get("/").get_data(as_text=True)
    if "Today's run" not in body or 'id="referral"' in body:
        raise SystemExit("FAILED: the big database's today page does not show today's run without a referral")


def measure(targets: dict[str, Target], samples: int, rng: random.Random) -> dict[str, dict[str, list[Sample]]]:
    """WARM_UP untimed fetches of each page on each database, then `samples` shuffled rounds of every pair."""
    for t in targets.values():
        for page, _ in PAGES:
            for _ in range(WARM_UP):
                fetch(t, page)
    # As `recovery serve` does once started: what lives as long as the server leaves the full GC passes.
    gc.collect()
    gc.freeze()
    times: dict[str, dict[str, list[Sample]]] = {db: {page: [] for page, _ in PAGES} for db in targets}
    pairs = [(page, db) for page, _ in PAGES for db in targets]
    for rnd in range(samples):
        rng.shuffle(pairs)
        for page, db in pairs:
            times[db][page].append(fetch(targets[db], page))
        if (rnd + 1) % 10 == 0 or rnd + 1 == samples:
            log(f"  round {rnd + 1}/{samples}")
    return times


def p95(values: Sequence[float]) -> float:
    """95th percentile, linear between the two nearest samples (statistics' 'inclusive' method)."""
    if len(values) < 2:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[94]


def summarise(times: dict[str, dict[str, list[Sample]]]) -> dict[str, Any]:
    """Per page: median and p95 (ms) on each database, the ratios, and both verdicts."""
    out: dict[str, Any] = {}
    for page, path in PAGES:
        row: dict[str, Any] = {"path": path}
        for db in DATABASES:
            ms = [s.seconds * 1000 for s in times[db][page]]
            row[db] = {
                "median_ms": round(median(ms), 2),
                "p95_ms": round(p95(ms), 2),
                "min_ms": round(min(ms), 2),
                "max_ms": round(max(ms), 2),
                "bytes": times[db][page][0].bytes,
                "full_gc_samples": sum(s.full_gc for s in times[db][page]),
                "samples_ms": [round(v, 2) for v in ms],
            }
        row["ratio_median"] = round(row["big"]["median_ms"] / row["one"]["median_ms"], 2)
        row["ratio_p95"] = round(row["big"]["p95_ms"] / row["one"]["p95_ms"], 2)
        row["p95_pass"] = row["big"]["p95_ms"] < P95_TARGET_MS
        row["ratio_pass"] = row["ratio_median"] < RATIO_TARGET
        out[page] = row
    return out


def table_rows(pages: dict[str, Any]) -> list[dict[str, str]]:
    rows = []
    for page, row in pages.items():
        big, one = row["big"], row["one"]
        rows.append(
            {
                "page": f"{page} {row['path'].replace('{run}', '<latest>')}",
                "big median": f"{big['median_ms']:.1f} ms",
                "big p95": f"{big['p95_ms']:.1f} ms",
                "one-run median": f"{one['median_ms']:.1f} ms",
                "one-run p95": f"{one['p95_ms']:.1f} ms",
                "ratio median": f"{row['ratio_median']:.2f}x",
                "ratio p95": f"{row['ratio_p95']:.2f}x",
                "p95 < 100 ms": verdict(row["p95_pass"]),
                "ratio < 3x": verdict(row["ratio_pass"]),
            }
        )
    return rows


def run_backend(label: str, urls: dict[str, str], samples: int, rng: random.Random) -> dict[str, Any]:
    """Measure every page on both databases of one backend."""
    log(f"{label}: warming up, then {samples} rounds of {len(PAGES)} pages x 2 databases ...")
    with target("big", urls["big"]) as big, target("one", urls["one"]) as one:
        targets = {"big": big, "one": one}
        check_pages(targets)
        with Meter() as meter, FULL_GC.watching():
            times = measure(targets, samples, rng)
    pages = summarise(times)
    return {
        "pages": pages,
        "table": table_rows(pages),
        "measure_seconds": round(meter.seconds, 1),
        "own_cpu_s": round(meter.own_cpu_s, 1),
        "other_cpu_s": None if meter.other_cpu_s is None else round(meter.other_cpu_s, 1),
        "all_pass": all(r["p95_pass"] and r["ratio_pass"] for r in pages.values()),
    }


# --------------------------------------------------------------------------- report


def print_report(report: dict[str, Any]) -> None:
    s, env, seed = report["settings"], report["environment"], report["seed"]
    rows = seed["rows"]
    print(f"Page speed benchmark  ({report['finished_at']})")
    print(
        f"  python {env['python']}, {env['cpus']} CPUs; load average {env['load_before']} before, "
        f"{env['load_after']} after"
    )
    print(
        f"  samples={s['samples']} per page and database (after {WARM_UP} warm-ups), runs={s['runs']},"
        f" NOW={NOW:%Y-%m-%d %H:%M} UTC"
    )
    how = "reused from the cache (not re-seeded)" if seed["cached"] else "seeded in this run"
    print()
    print(
        f"Big database: {seed['file']} - {how}; seeding took {seed['seed_seconds']:.0f} s "
        f"(import {seed['import_seconds']:.0f} s, {seed['workers']} workers), not part of the measurement"
    )
    print(
        f"  {rows['runs']} runs ({seed['first_run'][:10]} to {seed['latest_run'][:10]}, {seed['samples']:,} samples"
        f" stored), {rows['import_log']} import-log lines, {rows['discomfort_logs']} discomfort logs,"
        f" {rows['routine_sessions']} routine sessions ({seed['cooldowns_added']} cool-downs,"
        f" {seed['strength_sessions_added']} strength), {seed['bytes'] / 1e6:.0f} MB"
    )
    print("One-run database: built in this run, the latest run only (same file, settings and watched folder)")
    for label, result in report["backends"].items():
        print()
        print(
            f"{label}: {result['measure_seconds']:.0f} s of measuring; CPU s: ours {result['own_cpu_s']}, "
            f"other processes {result['other_cpu_s']}"
        )
        print(format_table(result["table"], TABLE_HEADS))
        hit = [
            f"{page} {row['big']['full_gc_samples']}/{len(row['big']['samples_ms'])}"
            for page, row in result["pages"].items()
            if row["big"]["full_gc_samples"]
        ]
        if hit:
            print(f"  requests on the big database during which a full garbage collection ran: {', '.join(hit)}")
        if result["other_cpu_s"] is not None and result["other_cpu_s"] > 0.25 * result["measure_seconds"]:
            print("  NOTE: other processes were busy while measuring: the p95 figures are unreliable; re-run.")
        print(
            f"  -> {'every page PASSES' if result['all_pass'] else 'FAIL: see the rows above'}"
            f" (targets: p95 on the big database < {P95_TARGET_MS:.0f} ms; median big / median one-run"
            f" < {RATIO_TARGET:.0f}x)"
        )
    print()
    print(f"Benchmark wall time: {report['wall_seconds']:.0f} s; JSON: {report['json']}")


# --------------------------------------------------------------------------- main


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.page_speed", description=__doc__.split("\n\n")[0])
    parser.add_argument("--samples", type=int, default=30, help="timed fetches per page and database (default 30)")
    parser.add_argument(
        "--runs", type=int, default=DEFAULT_RUNS, help=f"runs in the big database (default {DEFAULT_RUNS})"
    )
    parser.add_argument("--reseed", action="store_true", help="seed the big database again even if it is cached")
    parser.add_argument("--workers", type=int, default=2, help="parsing processes while seeding (default 2)")
    parser.add_argument(
        "--postgres",
        metavar="URL",
        help="also measure on PostgreSQL: creates recovery_bench and recovery_bench_one on URL's server"
        " (replacing any left over) and drops them afterwards",
    )
    parser.add_argument("--json", type=Path, default=DEFAULT_JSON, help="where to write the JSON report")
    args = parser.parse_args(argv)
    if args.samples < 1 or args.runs < 1 or args.workers < 1:
        parser.error("--samples, --runs and --workers must be at least 1")
    return args


def command(argv: Sequence[str]) -> str:
    """The command line as run, with any database password hidden."""
    shown = [make_url(a).render_as_string(hide_password=True) if "://" in a else a for a in argv]
    return " ".join([".venv/bin/python -m bench.page_speed", *shown])


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    args = parse_args(argv)
    wall = time.perf_counter()
    load_before = load()
    seed = big_database(args.runs, args.reseed, args.workers)
    rng = random.Random(RANDOM_SEED)
    backends: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="bench-page-speed-") as tmp:
        folder = Path(tmp)
        big = folder / "big.sqlite3"
        copy_database(seed.path, big)
        one = one_run_database(folder)
        backends["SQLite"] = run_backend(
            "SQLite", {"big": f"sqlite:///{big}", "one": f"sqlite:///{one}"}, args.samples, rng
        )
        if args.postgres:
            with postgres_databases(args.postgres, {"big": big, "one": one}) as urls:
                backends["PostgreSQL"] = run_backend("PostgreSQL", urls, args.samples, rng)
    report: dict[str, Any] = {
        "benchmark": "page_speed",
        "command": command(sys.argv[1:] if argv is None else argv),
        "finished_at": utc_now().isoformat(timespec="seconds"),
        "settings": {
            "samples": args.samples,
            "runs": args.runs,
            "warm_up": WARM_UP,
            "now": NOW.isoformat(),
            "postgres": bool(args.postgres),
        },
        "environment": {
            "python": platform.python_version(),
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "load_before": load_before,
            "load_after": load(),
        },
        "targets": {"p95_ms": P95_TARGET_MS, "ratio_median": RATIO_TARGET},
        "seed": {"file": str(seed.path.relative_to(OUT.parent.parent)), "cached": seed.cached, **seed.info},
        "backends": backends,
        "wall_seconds": round(time.perf_counter() - wall, 1),
        "json": str(args.json),
    }
    save_report(report, args.json)
    print_report(report)
    return report


if __name__ == "__main__":
    main()
