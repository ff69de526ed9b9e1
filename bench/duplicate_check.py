"""The duplicate check: how long finding the stored activities that overlap a new one takes, as the history grows.

Run from the project root (see bench/README.md):

    .venv/bin/python -m bench.duplicate_check [--sizes 3500,100000] [--lookups 300] [--repeat 5]

For each size a fresh SQLite database is filled with that many one-hour runs, one
every 21 hours back from now (a 100,000-run history reaches back 240 years: a
club's database, not one runner's). Then `--lookups` spans are looked up with the
store's own `Writer.overlapping` (what every import asks once per file), half of
them overlapping a stored run and half falling between two; and, in the same round
as the baseline, the query as it stood before issue 15 (every run that started
before the new one ended, then filtered), which the planner can only answer by
scanning. Target: the lookup at the largest size within 1.5 times the smallest.

Figures are per lookup, medians over --repeat rounds, with the range (min-max).
"""

from __future__ import annotations

import argparse
import dataclasses
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select

from bench.common import log, save_report
from recovery import schema
from recovery.coach.load import RunFigures, run_figures
from recovery.parsers import read_activity
from recovery.store import Store, _select_runs, _utc_naive, run_to_row
from recovery.streams import Streams
from recovery.synthetic import make_run, to_fit

DEFAULT_JSON = Path(__file__).resolve().parent / "out" / "duplicate_check.json"
FLAT_TARGET = 1.5
EVERY = timedelta(hours=21)
NOW = datetime(2026, 12, 1, 6, 0, tzinfo=UTC)


def fill(store: Store, runs: int) -> list[tuple[datetime, datetime]]:
    """`runs` stored one-hour runs, without samples; their spans."""
    model = read_activity(to_fit(make_run(1, NOW, duration_s=3600, interval_s=10)), "model.fit")
    figures = run_figures(model)
    assert figures.span is not None
    length = figures.span[1] - figures.span[0]
    spans = []
    rows = []
    for n in range(runs):
        start = NOW - EVERY * (n + 1)
        run = dataclasses.replace(model, content_id=f"bench-{n}", start_time_utc=start, streams=Streams())
        row = run_to_row(run, RunFigures((start, start + length), figures.heart), now=NOW)
        row["created_at"] = _utc_naive(NOW)
        rows.append(row)
        spans.append((start, start + length))
    with store.writing() as w:
        for chunk in range(0, len(rows), 5000):
            w.conn.execute(schema.runs.insert(), rows[chunk : chunk + 5000])
    return spans


def lookups(spans: Sequence[tuple[datetime, datetime]], count: int, seed: int) -> list[tuple[datetime, datetime]]:
    """Half the spans a stored run's, shifted a few minutes (a second copy from the watch); half between runs."""
    rng = random.Random(seed)
    found = []
    for n in range(count):
        start, end = spans[rng.randrange(len(spans))]
        shift = timedelta(minutes=3) if n % 2 == 0 else timedelta(hours=8)
        found.append((start + shift, end + shift))
    return found


def old_overlapping(w: Any, span: tuple[datetime, datetime]) -> list[Any]:
    """The duplicate check's query before issue 15: every run that started before this one ended."""
    t = schema.runs
    start, end = _utc_naive(span[0]), _utc_naive(span[1])
    query = _select_runs(True).where(t.c.start_time_utc <= end, t.c.end_time_utc >= start).order_by(t.c.id)
    return list(w.conn.execute(query))


def per_lookup(store: Store, spans: Sequence[tuple[datetime, datetime]], old: bool) -> tuple[float, int]:
    """Seconds per lookup over `spans`, and how many overlaps were found (a check that both queries agree)."""
    found = 0
    with store.writing() as w:
        began = time.perf_counter()
        for span in spans:
            found += len(old_overlapping(w, span) if old else w.overlapping(span))
        seconds = time.perf_counter() - began
    return seconds / len(spans), found


def plan(store: Store) -> str:
    """What SQLite does for the new query: it must search the start-time index, not scan the table."""
    t = schema.runs
    earliest, end = _utc_naive(NOW - timedelta(days=2)), _utc_naive(NOW)
    query = select(t.c.id).where(t.c.start_time_utc >= earliest, t.c.start_time_utc <= end, t.c.end_time_utc >= end)
    compiled = query.compile(store.engine, compile_kwargs={"literal_binds": True})
    with store.engine.connect() as conn:
        rows = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}").all()
    return "; ".join(str(row[-1]) for row in rows)


def spread(values: Sequence[float]) -> dict[str, float]:
    return {"median_ms": statistics.median(values) * 1000, "min_ms": min(values) * 1000, "max_ms": max(values) * 1000}


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="3500,100000", help="stored runs, comma-separated (default 3500,100000)")
    parser.add_argument("--lookups", type=int, default=300)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--json", type=Path, default=DEFAULT_JSON)
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    results: dict[int, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory(prefix="recovery-bench-") as folder:
        stores = {}
        for size in sizes:
            log(f"filling a database with {size:,} runs")
            store = Store(f"sqlite:///{Path(folder) / f'{size}.sqlite3'}")
            spans = fill(store, size)
            stores[size] = (store, lookups(spans, args.lookups, seed=size))
        new_times: dict[int, list[float]] = {size: [] for size in sizes}
        old_times: dict[int, list[float]] = {size: [] for size in sizes}
        for round_ in range(args.repeat):
            log(f"round {round_ + 1} of {args.repeat}")
            for size, (store, asked) in stores.items():
                seconds, found = per_lookup(store, asked, old=False)
                old_seconds, old_found = per_lookup(store, asked, old=True)
                if found != old_found:
                    sys.exit(f"the indexed query found {found} overlaps and the old one {old_found}: they must agree")
                new_times[size].append(seconds)
                old_times[size].append(old_seconds)
        for size, (store, _) in stores.items():
            results[size] = {"indexed": spread(new_times[size]), "before": spread(old_times[size]), "plan": plan(store)}
            store.close()
    small, large = min(sizes), max(sizes)
    growth = results[large]["indexed"]["median_ms"] / results[small]["indexed"]["median_ms"]
    before_growth = results[large]["before"]["median_ms"] / results[small]["before"]["median_ms"]
    report = {
        "sizes": sizes,
        "lookups": args.lookups,
        "repeat": args.repeat,
        "results": {str(k): v for k, v in results.items()},
        "growth": growth,
        "before_growth": before_growth,
        "target": FLAT_TARGET,
        "ok": growth <= FLAT_TARGET,
    }
    for size in sizes:
        r = results[size]
        i, b = r["indexed"], r["before"]
        print(f"{size:>9,} runs: indexed {i['median_ms']:.3f} ms per lookup ({i['min_ms']:.3f}-{i['max_ms']:.3f}); "
              f"before {b['median_ms']:.3f} ms ({b['min_ms']:.3f}-{b['max_ms']:.3f}); plan: {r['plan']}")  # fmt: skip
    print(f"{large:,} runs against {small:,}: {growth:.2f}x indexed (target <= {FLAT_TARGET}), "
          f"{before_growth:.1f}x before: {'met' if report['ok'] else 'NOT met'}")  # fmt: skip
    save_report(report, args.json)
    return report


if __name__ == "__main__":
    main()
