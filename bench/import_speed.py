"""Import speed: how fast real and synthetic activity files become stored runs.

Run from the project root (see bench/README.md):

    .venv/bin/python -m bench.import_speed [--repeat N] [--synthetic N] [--quick]

1. Every activity file under the real-files folder is imported into a fresh SQLite database
   with 1 and with 2 worker processes. The baseline, timed in the same run, is a plain
   fitparse decode of the folder's FIT files (.fit.gz unpacked first), single process.
   Target: fitparse time / import time >= 1.7. Our bare FIT `decode` is timed for context.
2. An archive of --synthetic one-hour 1 Hz runs (half FIT, a quarter each GPX and TCX, a
   third of each gzipped), packed like a Strava export, is imported end to end with 2 and
   with 1 workers. Target: >= 500 activities per minute with 2 workers. Generating the
   archive is not timed; every file must come out `imported` or the benchmark fails.

3. The same archive imported with 2 workers by the current readers and, beside it in the same
   round, by the readers as they stood before issue 15 (fitdecode alone, gpxpy, defusedxml's
   ElementTree: `RECOVERY_PARSERS=reference`), each in a process of its own
   (`bench.import_once`). Targets: >= 3,000 activities per minute on 2 cores, and >= 4x the
   import before issue 15. `--large` makes the archive 3,000 runs.

Each figure is the median over --repeat rounds; a round runs every measurement once, in
turn, so noise from other work on the machine spreads over all of them. The report is
printed and written as JSON to bench/out/import_speed.json.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import io
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
import warnings
import zipfile
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from importlib.metadata import version
from pathlib import Path
from typing import Any

import fitparse

from bench.common import Meter, cpu_fields, cpu_note, format_table, load, log, median, save_report, utc_now, verdict
from recovery.ingest import ingest_inputs
from recovery.inputs import iter_inputs
from recovery.isolation import ParsePool
from recovery.parsers.fit import decode
from recovery.store import Store
from recovery.synthetic import SyntheticRun, gzip_bytes, make_run, to_fit, to_gpx, to_tcx

DEFAULT_RUNS_DIR = Path(__file__).resolve().parents[2] / "shared" / "runs"  # ../shared/runs beside the project
DEFAULT_JSON = Path(__file__).resolve().parent / "out" / "import_speed.json"
FITPARSE_RATIO_TARGET = 1.7
PER_MINUTE_TARGET = 500.0
#: Issue 15's targets for the mixed export, 2 workers: activities per minute, and the ratio to the import before it.
MIXED_PER_MINUTE_TARGET = 3000.0
BEFORE_RATIO_TARGET = 4.0
LARGE_SYNTHETIC = 3000
#: --quick: one round, a few synthetic runs, and only the smallest real files.
QUICK_REPEAT, QUICK_SYNTHETIC, QUICK_REAL_FILES = 1, 8, 24
#: An untimed import of this many small real files first, so no pass pays for lazy imports.
WARM_UP_FILES = 10
SYNTHETIC_FIRST_START = datetime(2024, 1, 1, 6, 0, tzinfo=UTC)
SYNTHETIC_DURATION_S = 3600.0
WRITERS: dict[str, Callable[[SyntheticRun], bytes]] = {"fit": to_fit, "gpx": to_gpx, "tcx": to_tcx}
MB = 1_000_000


# --------------------------------------------------------------------------- inputs


@dataclass(frozen=True)
class RealSet:
    """The real files: what the importer is given, and the FIT files for the baselines."""

    paths: list[Path]
    files: int
    bytes: int
    fit_files: list[Path]
    fit_bytes: int
    subset: bool
    warm_up: list[Path]


def real_set(runs_dir: Path, quick: bool) -> RealSet:
    """Every activity file under `runs_dir` (only the smallest few with --quick)."""
    if not runs_dir.is_dir():
        raise SystemExit(f"real-files folder not found: {runs_dir}")
    items = [(item.label, len(item.read())) for item in iter_inputs([runs_dir])]
    paths: list[Path] = [runs_dir]
    smallest = sorted((i for i in items if "!" not in i[0]), key=lambda i: (i[1], i[0]))
    warm_up = [Path(label) for label, _ in smallest[:WARM_UP_FILES]]
    if quick:
        items = smallest[:QUICK_REAL_FILES]
        items.sort()
        paths = [Path(label) for label, _ in items]
    fits = [Path(label) for label, _ in items if "!" not in label and label.lower().endswith((".fit", ".fit.gz"))]
    return RealSet(
        paths=paths,
        files=len(items),
        bytes=sum(size for _, size in items),
        fit_files=fits,
        fit_bytes=sum(p.stat().st_size for p in fits),
        subset=quick,
        warm_up=warm_up,
    )


@dataclass(frozen=True)
class Archive:
    """A Strava-export-like zip of synthetic one-hour runs."""

    path: Path
    activities: int
    kinds: dict[str, int]
    zip_bytes: int
    member_bytes: int
    build_seconds: float


def synthetic_kind(index: int, per_format: Counter[str]) -> str:
    """Half FIT, a quarter GPX, a quarter TCX; every third file of a format gzipped."""
    fmt = ("fit", "gpx", "fit", "tcx")[index % 4]
    per_format[fmt] += 1
    return f"{fmt}.gz" if per_format[fmt] % 3 == 0 else fmt


def build_archive(folder: Path, count: int) -> Archive:
    """Write `count` distinct one-hour runs, one a day, as `activities/<id>.<ext>` in a zip."""
    started = time.perf_counter()
    path = folder / "export_synthetic.zip"
    per_format: Counter[str] = Counter()
    rows: list[list[str]] = []
    member_bytes = 0
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as archive:
        for i in range(count):
            kind = synthetic_kind(i, per_format)
            start = SYNTHETIC_FIRST_START + timedelta(days=i, minutes=(i * 37) % 180)
            run = make_run(1000 + i, start, duration_s=SYNTHETIC_DURATION_S, pace_s_per_km=300 + (i * 13) % 61)
            data = WRITERS[kind.split(".")[0]](run)
            if kind.endswith(".gz"):
                data = gzip_bytes(data)
            name = f"activities/{10_000_000_000 + 7919 * i}.{kind}"
            archive.writestr(name, data)
            member_bytes += len(data)
            rows.append(
                [
                    name.split("/")[1].split(".")[0],
                    f"{start:%b %d, %Y, %I:%M:%S %p}",
                    run.name,
                    "Run",
                    f"{run.elapsed_s:.0f}",
                    f"{run.distance_m / 1000:.2f}",
                    name,
                ]
            )
        table = io.StringIO()
        writer = csv.writer(table)
        writer.writerow(
            ["Activity ID", "Activity Date", "Activity Name", "Activity Type", "Elapsed Time", "Distance", "Filename"]
        )
        writer.writerows(rows)
        archive.writestr("activities.csv", table.getvalue())
    counts = Counter(row[-1].split(".", 1)[1] for row in rows)
    return Archive(
        path, count, dict(sorted(counts.items())), path.stat().st_size, member_bytes, time.perf_counter() - started
    )


# --------------------------------------------------------------------------- measurements


@dataclass(frozen=True)
class DecodePass:
    """One pass of a decoder over the FIT files."""

    seconds: float
    own_cpu_s: float
    other_cpu_s: float | None
    failed: list[str]


def _fit_bytes(path: Path) -> bytes:
    data = path.read_bytes()
    return gzip.decompress(data) if path.name.lower().endswith(".gz") else data


def fitparse_pass(files: Sequence[Path]) -> DecodePass:
    """Plain fitparse: FitFile(path) and every message, skipping files it cannot read."""
    failed: list[str] = []
    with Meter() as meter, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for path in files:
            try:
                source: str | bytes = _fit_bytes(path) if path.name.lower().endswith(".gz") else str(path)
                list(fitparse.FitFile(source).get_messages())
            except Exception as exc:
                failed.append(f"{path.name}: {type(exc).__name__}")
    return DecodePass(meter.seconds, meter.own_cpu_s, meter.other_cpu_s, failed)


def decode_pass(files: Sequence[Path]) -> DecodePass:
    """Our bare FIT decode (fitdecode underneath) on the same files, read the same way."""
    failed: list[str] = []
    with Meter() as meter:
        for path in files:
            try:
                decode(_fit_bytes(path))
            except Exception as exc:
                failed.append(f"{path.name}: {type(exc).__name__}")
    return DecodePass(meter.seconds, meter.own_cpu_s, meter.other_cpu_s, failed)


@dataclass(frozen=True)
class ImportPass:
    """One import into a fresh SQLite database; `seconds` covers opening (migrating) it too."""

    seconds: float
    open_seconds: float
    own_cpu_s: float
    other_cpu_s: float | None
    outcomes: dict[str, int]
    runs_stored: int
    problems: list[str]


def import_pass(paths: Sequence[Path], workers: int) -> ImportPass:
    """Open a fresh SQLite store in a temp dir and import `paths`, consuming every outcome."""
    with tempfile.TemporaryDirectory(prefix="bench-import-db-") as tmp:
        with Meter() as meter:
            store = Store(f"sqlite:///{tmp}/bench.sqlite3")
            try:
                open_seconds = time.perf_counter() - meter.started
                with ParsePool(workers) as pool:
                    results = list(ingest_inputs(store, iter_inputs(list(paths)), clock=utc_now, parser=pool))
            finally:
                store.close()
        with Store(f"sqlite:///{tmp}/bench.sqlite3") as check:
            stored = check.count_runs(only_runs=False)
    outcomes = Counter(r.outcome for r in results)
    problems = [f"{r.outcome}: {r.message}" for r in results if r.outcome != "imported"][:5]
    return ImportPass(
        meter.seconds,
        open_seconds,
        meter.own_cpu_s,
        meter.other_cpu_s,
        dict(sorted(outcomes.items())),
        stored,
        problems,
    )


def import_in_process_of_its_own(paths: Sequence[Path], workers: int, parsers: str) -> ImportPass:
    """`bench.import_once` with RECOVERY_PARSERS=`parsers`: its workers start with that parser set."""
    env = {**os.environ, "RECOVERY_PARSERS": parsers}
    done = subprocess.run(
        [sys.executable, "-m", "bench.import_once", "--workers", str(workers), *map(str, paths)],
        capture_output=True, text=True, env=env, check=False, cwd=Path(__file__).resolve().parents[1],
    )  # fmt: skip
    if done.returncode != 0:
        raise SystemExit(f"FAILED: the {parsers} import in its own process: {done.stderr.strip()[-500:]}")
    said = json.loads(done.stdout.strip().splitlines()[-1])
    if said["parsers"] != parsers:
        raise SystemExit(f"FAILED: asked for the {parsers} readers, the import used {said['parsers']}")
    return ImportPass(said["seconds"], 0.0, 0.0, None, said["outcomes"], said["runs_stored"], [])


def check_synthetic(result: ImportPass, archive: Archive, workers: int) -> None:
    """Every synthetic file must be imported as a new run; anything else is a failure."""
    if result.outcomes != {"imported": archive.activities} or result.runs_stored != archive.activities:
        raise SystemExit(
            f"FAILED: synthetic import with {workers} worker(s) expected {archive.activities} imported runs, "
            f"got outcomes {result.outcomes} and {result.runs_stored} stored runs; e.g. {result.problems}"
        )


# --------------------------------------------------------------------------- report


def summarise_decode(passes: Sequence[DecodePass], size: int) -> dict[str, Any]:
    """Median time and MB/s of a decoder's passes over the FIT files."""
    seconds = median([p.seconds for p in passes])
    return {
        "seconds": [round(p.seconds, 3) for p in passes],
        "median_s": round(seconds, 3),
        "mb_per_s": round(size / MB / seconds, 3),
        **cpu_fields(passes),
        "failed": passes[0].failed,
    }


def summarise_import(passes: Sequence[ImportPass], files: int, size: int, fitparse_s: float) -> dict[str, Any]:
    """Median time, files/s and MB/s of the real-folder imports, and the fitparse ratio."""
    seconds = median([p.seconds for p in passes])
    return {
        "seconds": [round(p.seconds, 3) for p in passes],
        **cpu_fields(passes),
        "median_s": round(seconds, 3),
        "open_store_median_s": round(median([p.open_seconds for p in passes]), 3),
        "files_per_s": round(files / seconds, 2),
        "mb_per_s": round(size / MB / seconds, 3),
        "fitparse_over_import": round(fitparse_s / seconds, 3),
        "outcomes": passes[0].outcomes,
        "runs_stored": passes[0].runs_stored,
    }


def summarise_synthetic(passes: Sequence[ImportPass], activities: int) -> dict[str, Any]:
    """Median time and activities per minute of the synthetic imports."""
    seconds = median([p.seconds for p in passes])
    return {
        "seconds": [round(p.seconds, 3) for p in passes],
        **cpu_fields(passes),
        "median_s": round(seconds, 3),
        "per_minute": [round(activities / p.seconds * 60, 1) for p in passes],
        "median_per_minute": round(activities / seconds * 60, 1),
        "outcomes": passes[0].outcomes,
    }


def table_rows(m: dict[str, Any], real: RealSet, archive: Archive) -> list[dict[str, str]]:
    """The summary table: measurement, median, target, ratio, pass/fail."""
    fp, dec = m["fitparse"], m["fit_decode"]
    rows = []
    for workers in (1, 2):
        r = m[f"real_import_w{workers}"]
        rows.append(
            {
                "measurement": f"import real folder ({real.files} files), {workers} worker{'s' if workers > 1 else ''}",
                "median": f"{r['median_s']:.2f} s ({r['files_per_s']:.1f} files/s, {r['mb_per_s']:.2f} MB/s)",
                "target": f"fitparse/import >= {FITPARSE_RATIO_TARGET}x",
                "ratio": f"{r['fitparse_over_import']:.2f}x",
                "result": verdict(r["fitparse_over_import"] >= FITPARSE_RATIO_TARGET),
            }
        )
    rows.append(
        {
            "measurement": f"baseline: fitparse full decode ({len(real.fit_files)} FIT files)",
            "median": f"{fp['median_s']:.2f} s ({fp['mb_per_s']:.2f} MB/s)",
            "target": "baseline",
            "ratio": "1.00x",
            "result": "-",
        }
    )
    rows.append(
        {
            "measurement": f"context: recovery.parsers.fit.decode ({len(real.fit_files)} FIT files)",
            "median": f"{dec['median_s']:.2f} s ({dec['mb_per_s']:.2f} MB/s)",
            "target": "context (fitparse/decode)",
            "ratio": f"{fp['median_s'] / dec['median_s']:.2f}x",
            "result": "-",
        }
    )
    for workers in (2, 1):
        s = m[f"synthetic_import_w{workers}"]
        rows.append(
            {
                "measurement": f"import synthetic zip ({archive.activities} x 1 h), {workers} worker"
                + ("s" if workers > 1 else ""),
                "median": f"{s['median_per_minute']:.0f} activities/min ({s['median_s']:.2f} s)",
                "target": f">= {PER_MINUTE_TARGET:.0f}/min" if workers == 2 else "context",
                "ratio": f"{s['median_per_minute'] / PER_MINUTE_TARGET:.2f}x",
                "result": verdict(s["median_per_minute"] >= PER_MINUTE_TARGET) if workers == 2 else "-",
            }
        )
    now, before = m["synthetic_current_readers_w2"], m["synthetic_reference_readers_w2"]
    rows.append(
        {
            "measurement": f"mixed export ({archive.activities} x 1 h), 2 workers, current readers, own process",
            "median": f"{now['median_per_minute']:.0f} activities/min ({now['median_s']:.2f} s)",
            "target": f">= {MIXED_PER_MINUTE_TARGET:.0f}/min",
            "ratio": f"{now['median_per_minute'] / MIXED_PER_MINUTE_TARGET:.2f}x",
            "result": verdict(now["median_per_minute"] >= MIXED_PER_MINUTE_TARGET),
        }
    )
    rows.append(
        {
            "measurement": "  the same, readers before issue 15 (baseline, same rounds)",
            "median": f"{before['median_per_minute']:.0f} activities/min ({before['median_s']:.2f} s)",
            "target": f"current >= {BEFORE_RATIO_TARGET:g}x this",
            "ratio": f"{m['before_over_current']:.2f}x",
            "result": verdict(m["before_over_current"] >= BEFORE_RATIO_TARGET),
        }
    )
    return rows


def print_report(report: dict[str, Any]) -> None:
    """The human-readable report on stdout."""
    s, env, real, syn, m = (report[k] for k in ("settings", "environment", "real", "synthetic", "measurements"))
    print(f"Import speed benchmark  ({report['finished_at']})")
    print(
        f"  python {env['python']}, {env['cpus']} CPUs, fitparse {env['fitparse']}, fitdecode {env['fitdecode']};"
        f" load average {env['load_before']} before, {env['load_after']} after"
    )
    print(f"  repeat={s['repeat']} synthetic={s['synthetic']} quick={s['quick']}  (figures are medians of the passes)")
    if s["quick"]:
        print("  QUICK MODE: smoke test on tiny inputs; the targets do not apply to these figures.")
    print()
    print(
        f"Real files: {real['files']} activity files, {real['bytes'] / MB:.1f} MB in {real['dir']}"
        f"{' (smallest files only)' if real['subset'] else ''}; {real['fit_files']} FIT files,"
        f" {real['fit_bytes'] / MB:.1f} MB"
    )
    for workers in (1, 2):
        r = m[f"real_import_w{workers}"]
        print(f"  import, {workers} worker(s): passes {r['seconds']} s, median {r['median_s']} s; {cpu_note(r)}")
        print(f"      outcomes {r['outcomes']}, {r['runs_stored']} runs stored")
    for key, label in (("fitparse", "fitparse"), ("fit_decode", "fit.decode")):
        d = m[key]
        print(f"  {label}: passes {d['seconds']} s, median {d['median_s']} s; {cpu_note(d)}")
        print(f"      {len(d['failed'])} unreadable: {', '.join(d['failed'])}")
    print()
    print(
        f"Synthetic archive: {syn['activities']} one-hour 1 Hz runs {syn['kinds']},"
        f" zip {syn['zip_bytes'] / MB:.1f} MB ({syn['member_bytes'] / MB:.1f} MB of members),"
        f" generated in {syn['build_seconds']:.1f} s (not timed)"
    )
    for workers in (2, 1):
        r = m[f"synthetic_import_w{workers}"]
        print(f"  import, {workers} worker(s): passes {r['seconds']} s = {r['per_minute']} /min; {cpu_note(r)}")
        print(f"      median {r['median_per_minute']} activities/min; outcomes {r['outcomes']}")
    print()
    print(format_table(report["table"]))
    print()
    print(f"Benchmark wall time: {report['wall_seconds']:.0f} s; JSON: {report['json']}")


# --------------------------------------------------------------------------- main


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.import_speed", description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=None, help="rounds; figures are medians (default 3)")
    parser.add_argument("--synthetic", type=int, default=None, help="one-hour runs in the synthetic zip (default 300)")
    parser.add_argument(
        "--quick",
        action="store_true",
        help=f"smoke test: 1 round, {QUICK_SYNTHETIC} synthetic runs, the {QUICK_REAL_FILES}"
        " smallest real files (unless --repeat/--synthetic say otherwise)",
    )
    parser.add_argument("--large", action="store_true", help=f"a {LARGE_SYNTHETIC}-run synthetic export")
    parser.add_argument("--runs-dir", type=Path, default=DEFAULT_RUNS_DIR, help="the real files' folder")
    parser.add_argument("--json", type=Path, default=DEFAULT_JSON, help="where to write the JSON report")
    args = parser.parse_args(argv)
    if args.repeat is None:
        args.repeat = QUICK_REPEAT if args.quick else 3
    if args.synthetic is None:
        args.synthetic = QUICK_SYNTHETIC if args.quick else LARGE_SYNTHETIC if args.large else 300
    if args.repeat < 1 or args.synthetic < 1:
        parser.error("--repeat and --synthetic must be at least 1")
    return args


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    """Run every measurement --repeat times, print the report, write the JSON."""
    args = parse_args(argv)
    wall = time.perf_counter()
    load_before = load()
    real = real_set(args.runs_dir, args.quick)
    log(f"real files: {real.files} ({real.bytes / MB:.1f} MB), {len(real.fit_files)} FIT")
    fp_passes: list[DecodePass] = []
    dec_passes: list[DecodePass] = []
    real_passes: dict[int, list[ImportPass]] = {1: [], 2: []}
    syn_passes: dict[int, list[ImportPass]] = {1: [], 2: []}
    side_passes: dict[str, list[ImportPass]] = {"current": [], "reference": []}
    with tempfile.TemporaryDirectory(prefix="bench-import-speed-") as tmp:
        log(f"generating {args.synthetic} synthetic one-hour runs (not timed) ...")
        archive = build_archive(Path(tmp), args.synthetic)
        log(f"  {archive.kinds}, {archive.zip_bytes / MB:.1f} MB zip in {archive.build_seconds:.1f} s")
        import_pass(real.warm_up, 1)
        for rnd in range(1, args.repeat + 1):
            fp_passes.append(fitparse_pass(real.fit_files))
            log(f"round {rnd}/{args.repeat}: fitparse {fp_passes[-1].seconds:.2f} s")
            dec_passes.append(decode_pass(real.fit_files))
            log(f"round {rnd}/{args.repeat}: fit.decode {dec_passes[-1].seconds:.2f} s")
            for workers in (1, 2):
                real_passes[workers].append(import_pass(real.paths, workers))
                log(
                    f"round {rnd}/{args.repeat}: real import, {workers} worker(s) "
                    f"{real_passes[workers][-1].seconds:.2f} s {real_passes[workers][-1].outcomes}"
                )
            for workers in (2, 1):
                result = import_pass([archive.path], workers)
                check_synthetic(result, archive, workers)
                syn_passes[workers].append(result)
                log(
                    f"round {rnd}/{args.repeat}: synthetic import, {workers} worker(s) {result.seconds:.2f} s "
                    f"({archive.activities / result.seconds * 60:.0f}/min)"
                )
            for parsers in ("current", "reference"):
                result = import_in_process_of_its_own([archive.path], 2, parsers)
                check_synthetic(result, archive, 2)
                side_passes[parsers].append(result)
                log(
                    f"round {rnd}/{args.repeat}: synthetic import, {parsers} readers, 2 workers, own process "
                    f"{result.seconds:.2f} s ({archive.activities / result.seconds * 60:.0f}/min)"
                )
    every_real = real_passes[1] + real_passes[2]
    if len({json.dumps(p.outcomes) for p in every_real}) != 1:
        raise SystemExit(f"FAILED: real-folder outcomes differ between passes: {[p.outcomes for p in every_real]}")

    fitparse_s = median([p.seconds for p in fp_passes])
    decode_s = median([p.seconds for p in dec_passes])
    measurements: dict[str, Any] = {
        "fitparse": summarise_decode(fp_passes, real.fit_bytes),
        "fit_decode": {
            **summarise_decode(dec_passes, real.fit_bytes),
            "fitparse_over_decode": round(fitparse_s / decode_s, 3),
        },
    }
    for workers in (1, 2):
        measurements[f"real_import_w{workers}"] = summarise_import(
            real_passes[workers], real.files, real.bytes, fitparse_s
        )
    for workers in (2, 1):
        measurements[f"synthetic_import_w{workers}"] = summarise_synthetic(syn_passes[workers], archive.activities)

    for parsers in ("current", "reference"):
        measurements[f"synthetic_{parsers}_readers_w2"] = summarise_synthetic(side_passes[parsers], archive.activities)
    measurements["before_over_current"] = round(
        median([p.seconds for p in side_passes["reference"]]) / median([p.seconds for p in side_passes["current"]]), 3
    )

    report: dict[str, Any] = {
        "benchmark": "import_speed",
        "command": ".venv/bin/python -m bench.import_speed " + " ".join(sys.argv[1:] if argv is None else argv),
        "finished_at": utc_now().isoformat(timespec="seconds"),
        "settings": {"repeat": args.repeat, "synthetic": args.synthetic, "quick": args.quick, "large": args.large},
        "environment": {
            "python": platform.python_version(),
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "fitparse": version("fitparse"),
            "fitdecode": version("fitdecode"),
            "load_before": load_before,
            "load_after": load(),
        },
        "targets": {"fitparse_over_import": FITPARSE_RATIO_TARGET, "synthetic_per_minute_2_workers": PER_MINUTE_TARGET},
        "real": {
            "dir": str(args.runs_dir),
            "files": real.files,
            "bytes": real.bytes,
            "fit_files": len(real.fit_files),
            "fit_bytes": real.fit_bytes,
            "subset": real.subset,
        },
        "synthetic": {k: v for k, v in asdict(archive).items() if k != "path"},
        "measurements": measurements,
        "table": table_rows(measurements, real, archive),
        "wall_seconds": round(time.perf_counter() - wall, 1),
        "json": str(args.json),
    }
    save_report(report, args.json)
    print_report(report)
    return report


if __name__ == "__main__":
    main()
