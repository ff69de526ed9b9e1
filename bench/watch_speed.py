"""Watch speed: how soon a synced run is stored, what an idle rescan costs, how fast an export imports.

Run from the project root (see bench/README.md):

    .venv/bin/python -m bench.watch_speed [--repeat N] [--quick] [--json PATH]

1. Latency: a real `recovery watch FOLDER` process at its default settings (2 s poll, 0.5 s
   settle). --repeat times a new one-hour synthetic FIT is renamed into the folder (after a
   pause drawn from its own slice of the poll interval, so the drops spread over the poll
   cycle) and the SQLite database is polled every 20 ms until the run is there. Target: median
   under 3 s. Baseline: the same bytes through `ingest_bytes` into a fresh store, in this process.
2. Idle rescan: a folder of 10,000 tiny FIT files, all already imported. A kept
   `FolderScanner.scan()` that finds nothing new, against a bare recursive `os.scandir` walk
   (no stat) and one with `entry.stat()` per file. Target: under 3x the bare walk. A scan by a
   fresh scanner (which loads the ledger from the database first) is timed too.
3. Archive import: every real activity file packed like a Strava export (`activities/<n>.<ext>`,
   FIT gzipped, some GPX/TCX gzipped, an `activities.csv`), imported end to end with 2
   workers into a fresh SQLite database, in activities per second. Baseline: a 1-process
   `read_activity` of the same member bytes (no zip, no store); the floor is 1.0x.

Each figure is the median over --repeat passes; baseline and measurement alternate within a
round. The report is printed and written as JSON to bench/out/watch_speed.json.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import io
import json
import os
import platform
import random
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import IO, Any, TypeVar

from bench.common import Meter, cpu_fields, cpu_note, format_table, load, log, median, save_report, utc_now, verdict
from recovery.errors import FileProblem
from recovery.ingest import FileOutcome, ingest_bytes, ingest_inputs
from recovery.inputs import iter_inputs
from recovery.isolation import ParsePool
from recovery.parsers import read_activity
from recovery.store import SeenFile, Store
from recovery.synthetic import make_run, to_fit
from recovery.watchers.rules import DEFAULT_INTERVAL_S
from recovery.watchers.scanner import SETTLE_S, FolderScanner

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_RUNS_DIR = Path(__file__).resolve().parents[2] / "shared" / "runs"  # ../shared/runs beside the project
DEFAULT_JSON = Path(__file__).resolve().parent / "out" / "watch_speed.json"
DEFAULT_REPEAT = 5
DEFAULT_IDLE_FILES = 10_000
#: --quick: a smoke test; the targets mean nothing at these sizes.
QUICK_REPEAT, QUICK_IDLE_FILES, QUICK_REAL_FILES = 2, 500, 24

LATENCY_TARGET_S = 3.0
IDLE_RATIO_TARGET = 3.0
ARCHIVE_RATIO_FLOOR = 1.0
ARCHIVE_WORKERS = 2

#: How often the benchmark looks at the watcher's database, and how long it waits at most.
DB_POLL_S = 0.02
LATENCY_TIMEOUT_S = 60.0
#: After the watcher says it is watching: long enough for its first poll to have happened.
STARTUP_WAIT_S = 3.0
STARTUP_TIMEOUT_S = 120.0
LATENCY_START = datetime(2025, 3, 1, 7, 0, tzinfo=UTC)
IDLE_START = datetime(2000, 1, 1, 6, 0, tzinfo=UTC)
#: Every third GPX/TCX member of the archive is gzipped, as Strava does for some uploads.
GZIP_EVERY = 3
MB = 1_000_000
MS = 1000.0

T = TypeVar("T")


# --------------------------------------------------------------------------- helpers


def proc_cpu(pid: int) -> float | None:
    """CPU seconds (user + system) used so far by a running process, from /proc; None if unknown."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class WatcherMeter(Meter):
    """A Meter that also counts a running child process (the watcher) as ours, not as other work."""

    def __init__(self, pid: int) -> None:
        super().__init__()
        self.pid = pid
        self.watcher_cpu_s: float | None = None
        self._watcher: float | None = None

    def __enter__(self) -> WatcherMeter:
        self._watcher = proc_cpu(self.pid)
        super().__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        super().__exit__(*exc)
        now = proc_cpu(self.pid)
        if now is None or self._watcher is None:
            return
        self.watcher_cpu_s = now - self._watcher
        self.own_cpu_s += self.watcher_cpu_s
        if self.other_cpu_s is not None:
            self.other_cpu_s = max(0.0, self.other_cpu_s - self.watcher_cpu_s)


@dataclass(frozen=True)
class Timed:
    """One timed pass: wall seconds and the CPU used by us and by other processes."""

    seconds: float
    own_cpu_s: float
    other_cpu_s: float | None


def timed(action: Callable[[], T]) -> tuple[T, Timed]:
    """Run `action` under a Meter."""
    with Meter() as meter:
        result = action()
    return result, Timed(meter.seconds, meter.own_cpu_s, meter.other_cpu_s)


def summarise(passes: Sequence[Timed], scale: float = 1.0, digits: int = 4) -> dict[str, Any]:
    """Every pass (times `scale`: 1000 for ms), the median and max, and the CPU figures."""
    values = [p.seconds * scale for p in passes]
    return {
        "values": [round(v, digits) for v in values],
        "median": round(median(values), digits),
        "max": round(max(values), digits),
        **cpu_fields(passes),
    }


def other_benchmarks() -> list[str]:
    """Command lines of other benchmark processes running now (they would share the cores)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cmd = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
        except OSError:
            continue
        if "-m bench." in cmd and "timeout" not in cmd.split(" ", 1)[0]:
            found.append(f"{entry.name}: {cmd}")
    return found


# --------------------------------------------------------------------------- 1. latency


@dataclass
class Watcher:
    """A `recovery watch` child process and the lines it printed (with their arrival times)."""

    process: subprocess.Popen[str]
    lines: list[tuple[float, str]] = field(default_factory=list)
    reader: threading.Thread | None = None

    def wait_for(self, prefix: str, timeout: float) -> bool:
        """Until a printed line starts with `prefix`; False on timeout or exit."""
        deadline = time.perf_counter() + timeout
        while time.perf_counter() < deadline:
            if any(line.startswith(prefix) for _, line in list(self.lines)):
                return True
            if self.process.poll() is not None:
                return False
            time.sleep(0.05)
        return False


def start_watcher(db: Path, folder: Path, stderr: IO[str]) -> Watcher:
    """`python -m recovery --db sqlite:///DB watch FOLDER`, default interval, output read in a thread."""
    command = [sys.executable, "-m", "recovery", "--db", f"sqlite:///{db}", "watch", str(folder)]
    process = subprocess.Popen(
        command,
        cwd=PROJECT_ROOT,
        stdout=subprocess.PIPE,
        stderr=stderr,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    watcher = Watcher(process)

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            watcher.lines.append((time.perf_counter(), line.rstrip("\n")))

    watcher.reader = threading.Thread(target=read, daemon=True)
    watcher.reader.start()
    return watcher


def stop_watcher(watcher: Watcher) -> int | None:
    """Ctrl-C the watcher (it stops cleanly on SIGINT); kill it if it does not end in 15 s."""
    process = watcher.process
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    if watcher.reader is not None:
        watcher.reader.join(timeout=5)
    return process.returncode


def count_runs(conn: sqlite3.Connection) -> int:
    return int(conn.execute("SELECT count(*) FROM runs").fetchone()[0])


def wait_for_count(conn: sqlite3.Connection, above: int, timeout: float) -> float | None:
    """Seconds until `runs` holds more than `above` rows, polling every DB_POLL_S; None on timeout."""
    started = time.perf_counter()
    while True:
        if count_runs(conn) > above:
            return time.perf_counter() - started
        if time.perf_counter() - started > timeout:
            return None
        time.sleep(DB_POLL_S)


def latency_fit(i: int) -> bytes:
    """The i-th one-hour 1 Hz FIT: its own seed and its own day."""
    start = LATENCY_START + timedelta(days=i, minutes=(i * 37) % 180)
    return to_fit(make_run(5000 + i, start, duration_s=3600))


def drop_pauses(count: int, rng: random.Random) -> list[float]:
    """Pauses before each drop: one in each of `count` equal slices of the poll interval, shuffled.

    The time from one stored run to the next drop is otherwise nearly constant, so the drops would
    all land at the same moment of the watcher's poll cycle; stratified pauses spread them over it.
    """
    slots = list(range(count))
    rng.shuffle(slots)
    return [DEFAULT_INTERVAL_S * (slot + rng.random()) / count for slot in slots]


def ingest_baseline(tmp: Path, i: int, data: bytes, name: str) -> tuple[FileOutcome, Timed]:
    """`ingest_bytes` of one file into a fresh (already opened) SQLite store, with its ledger entry."""
    with Store(f"sqlite:///{tmp}/baseline-{i}.sqlite3") as store:
        seen = SeenFile(str(tmp / name), len(data), time.time_ns())
        return timed(lambda: ingest_bytes(store, data, seen.path, now=utc_now(), seen=seen))


def measure_latency(tmp: Path, repeat: int, rng: random.Random) -> dict[str, Any]:
    """Measurement 1: file renamed into a watched folder -> run stored, against a direct ingest_bytes."""
    folder, staging, db = tmp / "watched", tmp / "staging", tmp / "watch.sqlite3"
    folder.mkdir()
    staging.mkdir()
    files = [latency_fit(i) for i in range(repeat)]  # generated before any timing
    latencies: list[Timed] = []
    baselines: list[Timed] = []
    pauses = drop_pauses(repeat, rng)
    failures: list[str] = []
    with open(tmp / "watcher.stderr", "w") as stderr:
        watcher = start_watcher(db, folder, stderr)
        try:
            if not watcher.wait_for("Watching", STARTUP_TIMEOUT_S):
                raise SystemExit(
                    f"FAILED: the watcher did not start: {watcher.lines} {read_text(tmp / 'watcher.stderr')}"
                )
            time.sleep(STARTUP_WAIT_S)  # the first poll (of an empty folder) has happened
            watcher_cpu_before = proc_cpu(watcher.process.pid)
            conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
            try:
                for i, data in enumerate(files):
                    name = f"latency-{i:02d}.fit"
                    (staging / name).write_bytes(data)
                    before = count_runs(conn)
                    time.sleep(pauses[i])  # land at a chosen moment of the poll cycle
                    with WatcherMeter(watcher.process.pid) as meter:
                        os.rename(staging / name, folder / name)
                        waited = wait_for_count(conn, before, LATENCY_TIMEOUT_S)
                    if waited is None:
                        failures.append(f"{name}: not stored within {LATENCY_TIMEOUT_S:.0f} s")
                        continue
                    latencies.append(Timed(waited, meter.own_cpu_s, meter.other_cpu_s))
                    _outcome, base = ingest_baseline(tmp, i, data, name)
                    baselines.append(base)
                    log(
                        f"latency {i + 1}/{repeat}: {waited:.3f} s (pause {pauses[i]:.2f} s);"
                        f" ingest {base.seconds:.3f} s"
                    )
                stored = count_runs(conn)
            finally:
                conn.close()
            watcher_cpu_after = proc_cpu(watcher.process.pid)
        finally:
            code = stop_watcher(watcher)
    if failures or not latencies:
        raise SystemExit(f"FAILED: latency: {failures}; watcher said {[line for _, line in watcher.lines]}")
    lat, base = summarise(latencies), summarise(baselines)
    return {
        "watcher_command": f"{sys.executable} -m recovery --db sqlite:///TMP/watch.sqlite3 watch FOLDER",
        "interval_s": DEFAULT_INTERVAL_S,
        "settle_s": SETTLE_S,
        "file_bytes": [len(d) for d in files],
        "pauses_s": [round(p, 3) for p in pauses],
        "latency_s": lat,
        "ingest_bytes_s": base,
        "latency_over_ingest": round(lat["median"] / base["median"], 2),
        "waiting_share": round(1 - base["median"] / lat["median"], 3),
        "runs_stored": stored,
        "watcher_cpu_s": None
        if watcher_cpu_before is None or watcher_cpu_after is None
        else round(watcher_cpu_after - watcher_cpu_before, 2),
        "watcher_output": [line for _, line in watcher.lines],
        "watcher_exit_code": code,
    }


def read_text(path: Path) -> str:
    try:
        return path.read_text()[-2000:]
    except OSError:
        return ""


# --------------------------------------------------------------------------- 2. idle rescan


def make_idle_folder(folder: Path, count: int) -> int:
    """`count` distinct one-minute FIT files in one folder, three hours apart; returns their bytes."""
    folder.mkdir(parents=True)
    total = 0
    for i in range(count):
        start = IDLE_START + timedelta(hours=3 * i)
        data = to_fit(make_run(100_000 + i, start, duration_s=60))
        (folder / f"{start:%Y-%m-%d-%H-%M-%S}.fit").write_bytes(data)
        total += len(data)
    return total


def setup_by_scanner(store: Store, folder: Path, count: int) -> Counter[str]:
    """Import the folder the watcher's way: a settle-free FolderScanner, scanned until the ledger has it all.

    With settle_s=0 a new file is only taken at the scan after the one that first saw it.
    """
    scanner = FolderScanner(store, folder, utc_now, settle_s=0)
    outcomes: Counter[str] = Counter()
    for _ in range(5):
        outcomes.update(o.outcome for o in scanner.scan())
        if len(store.seen_files(str(folder))) >= count:
            break
    return outcomes


def setup_by_ingest(store: Store, folder: Path, count: int) -> Counter[str]:
    """Import the folder (two parsing workers), then write every ledger entry in one transaction."""
    with ParsePool(2) as pool:
        outcomes = Counter(o.outcome for o in ingest_inputs(store, iter_inputs([folder]), clock=utc_now, parser=pool))
    now = utc_now()
    with store.writing() as w:
        for entry in os.scandir(folder):
            st = entry.stat()
            w.mark_seen(SeenFile(entry.path, st.st_size, st.st_mtime_ns), now=now)
    return outcomes


SETUPS: dict[str, Callable[[Store, Path, int], Counter[str]]] = {"ingest": setup_by_ingest, "scanner": setup_by_scanner}


def bare_walk(root: str) -> int:
    """A recursive os.scandir walk that only lists entries (the file type comes from readdir, no stat)."""
    files = 0
    stack = [root]
    while stack:
        with os.scandir(stack.pop()) as entries:
            for entry in entries:
                if entry.is_dir():
                    stack.append(entry.path)
                else:
                    files += 1
    return files


def stat_walk(root: str) -> int:
    """The same walk with `entry.stat()` for every file (what noticing a changed file needs)."""
    files = 0
    stack = [root]
    while stack:
        with os.scandir(stack.pop()) as entries:
            for entry in entries:
                if entry.is_dir():
                    stack.append(entry.path)
                else:
                    entry.stat()
                    files += 1
    return files


def expect_idle(outcomes: list[FileOutcome], what: str) -> None:
    if outcomes:
        raise SystemExit(f"FAILED: {what} found {len(outcomes)} files on an idle folder, e.g. {outcomes[:3]}")


def measure_idle(tmp: Path, repeat: int, count: int, setup: str) -> dict[str, Any]:
    """Measurement 2: idle rescans of `count` imported files, kept and fresh scanner, against scandir walks."""
    folder = (tmp / "idle" / "Activity").resolve()
    log(f"idle rescan: writing {count} one-minute FIT files (setup, not timed) ...")
    total_bytes, generate = timed(lambda: make_idle_folder(folder, count))
    log(f"  {total_bytes / MB:.1f} MB in {generate.seconds:.1f} s; importing them with '{setup}' (not timed) ...")
    url = f"sqlite:///{tmp}/idle.sqlite3"
    with Store(url) as store:
        outcomes, imported = timed(lambda: SETUPS[setup](store, folder, count))
        ledger = len(store.seen_files(str(folder)))
        runs = store.count_runs(only_runs=False)
        log(f"  {dict(outcomes)} in {imported.seconds:.1f} s; {ledger} ledger entries, {runs} runs")
        if ledger != count or runs != count or outcomes != Counter(imported=count):
            raise SystemExit(f"FAILED: idle setup gave {dict(outcomes)}, {ledger} ledger entries, {runs} runs")
        kept = FolderScanner(store, folder, utc_now)
        expect_idle(kept.scan(), "the first scan of the kept scanner")  # loads the ledger, untimed
        root = str(folder)
        passes: dict[str, list[Timed]] = {"bare": [], "stat": [], "kept": [], "fresh": [], "open_store": []}
        for rnd in range(1, repeat + 1):
            listed, t_bare = timed(lambda: bare_walk(root))
            passes["bare"].append(t_bare)
            statted, t_stat = timed(lambda: stat_walk(root))
            passes["stat"].append(t_stat)
            result, t_kept = timed(kept.scan)
            expect_idle(result, "the kept scanner")
            passes["kept"].append(t_kept)
            result, t_fresh = timed(lambda: FolderScanner(store, folder, utc_now).scan())
            expect_idle(result, "a fresh scanner")
            passes["fresh"].append(t_fresh)
            _, t_open = timed(lambda: Store(url).close())
            passes["open_store"].append(t_open)
            if listed != count or statted != count:
                raise SystemExit(f"FAILED: the walks saw {listed} and {statted} files, not {count}")
            log(
                f"idle round {rnd}/{repeat}: bare {t_bare.seconds * MS:.1f} ms, stat"
                f" {t_stat.seconds * MS:.1f} ms, kept scan {t_kept.seconds * MS:.1f} ms,"
                f" fresh scan {t_fresh.seconds * MS:.1f} ms"
            )
    s = {key: summarise(value, MS, 2) for key, value in passes.items()}
    return {
        "files": count,
        "folder_layout": "one folder (like GARMIN/Activity)",
        "file_bytes": total_bytes,
        "setup": setup,
        "generate_s": round(generate.seconds, 1),
        "import_s": round(imported.seconds, 1),
        "bare_scandir_ms": s["bare"],
        "scandir_stat_ms": s["stat"],
        "kept_scan_ms": s["kept"],
        "fresh_scan_ms": s["fresh"],
        "open_store_ms": s["open_store"],
        "kept_over_bare": round(s["kept"]["median"] / s["bare"]["median"], 2),
        "kept_over_stat": round(s["kept"]["median"] / s["stat"]["median"], 2),
        "fresh_over_bare": round(s["fresh"]["median"] / s["bare"]["median"], 2),
        "fresh_over_stat": round(s["fresh"]["median"] / s["stat"]["median"], 2),
    }


# --------------------------------------------------------------------------- 3. archive import


@dataclass(frozen=True)
class Member:
    """One activity file as it sits in the export zip."""

    name: str
    data: bytes
    original: str


def export_members(runs_dir: Path, quick: bool) -> list[Member]:
    """Every activity file under `runs_dir` (the smallest few with --quick), named like a Strava export.

    FIT files are gzipped (.fit.gz); every GZIP_EVERY-th GPX/TCX too; a file already gzipped stays as it is.
    """
    if not runs_dir.is_dir():
        raise SystemExit(f"real-files folder not found: {runs_dir}")
    items = [(item.label, item.read()) for item in iter_inputs([runs_dir])]
    if quick:
        items = sorted(sorted(items, key=lambda i: (len(i[1]), i[0]))[:QUICK_REAL_FILES])
    members = []
    xml_count = 0
    for n, (label, data) in enumerate(items):
        lowered = label.lower()
        gzipped = lowered.endswith(".gz")
        fmt = lowered.removesuffix(".gz").rsplit(".", 1)[-1]
        if fmt in ("gpx", "tcx") and not gzipped:
            xml_count += 1
        if not gzipped and (fmt == "fit" or (fmt in ("gpx", "tcx") and xml_count % GZIP_EVERY == 0)):
            data, gzipped = gzip.compress(data, compresslevel=6, mtime=0), True
        name = f"activities/{10_000_000_000 + 7919 * n}.{fmt}{'.gz' if gzipped else ''}"
        members.append(Member(name, data, os.path.relpath(label, runs_dir)))
    return members


def build_export(path: Path, members: Sequence[Member]) -> None:
    """The zip: the members plus an activities.csv listing them.

    The index names each activity after its original file and leaves date and type blank, so the
    files alone decide the sport (the importer reads names and types from it since 1dbb387).
    """
    table = io.StringIO()
    writer = csv.writer(table)
    writer.writerow(["Activity ID", "Activity Date", "Activity Name", "Activity Type", "Filename"])
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as archive:
        for m in members:
            archive.writestr(m.name, m.data)
            writer.writerow([m.name.split("/")[1].split(".")[0], "", m.original, "", m.name])
        archive.writestr("activities.csv", table.getvalue())


def parse_all(members: Sequence[Member]) -> Counter[str]:
    """The baseline: `read_activity` of every member's bytes in this process; outcome per file."""
    results: Counter[str] = Counter()
    for m in members:
        try:
            read_activity(m.data, m.name)
            results["parsed"] += 1
        except FileProblem as problem:
            results[problem.outcome] += 1
    return results


def import_export(tmp: Path, zip_path: Path, rnd: int) -> tuple[Counter[str], int]:
    """Open a fresh SQLite store and import the zip end to end with ARCHIVE_WORKERS workers."""
    with Store(f"sqlite:///{tmp}/archive-{rnd}.sqlite3") as store:
        inputs = iter_inputs([zip_path])
        with ParsePool(ARCHIVE_WORKERS) as pool:
            outcomes = Counter(o.outcome for o in ingest_inputs(store, inputs, clock=utc_now, parser=pool))
        return outcomes, store.count_runs(only_runs=False)


def measure_archive(tmp: Path, repeat: int, runs_dir: Path, quick: bool) -> dict[str, Any]:
    """Measurement 3: activities/s of a whole-export import, against a 1-process parse of the same bytes."""
    members = export_members(runs_dir, quick)
    zip_path = tmp / "export_real.zip"
    build_export(zip_path, members)
    kinds = Counter(m.name.split(".", 1)[1] for m in members)
    log(f"archive: {len(members)} members {dict(sorted(kinds.items()))}, zip {zip_path.stat().st_size / MB:.1f} MB")
    parse_passes: list[Timed] = []
    import_passes: list[Timed] = []
    parse_results: list[Counter[str]] = []
    import_results: list[tuple[Counter[str], int]] = []
    for rnd in range(1, repeat + 1):
        result, t_parse = timed(lambda: parse_all(members))
        parse_passes.append(t_parse)
        parse_results.append(result)
        imported, t_import = timed(partial(import_export, tmp, zip_path, rnd))
        import_passes.append(t_import)
        import_results.append(imported)
        (tmp / f"archive-{rnd}.sqlite3").unlink(missing_ok=True)
        log(
            f"archive round {rnd}/{repeat}: parse {t_parse.seconds:.2f} s, import ({ARCHIVE_WORKERS} workers)"
            f" {t_import.seconds:.2f} s {dict(imported[0])}"
        )
    if len({json.dumps(sorted(r[0].items())) for r in import_results}) != 1:
        raise SystemExit(f"FAILED: archive outcomes differ between passes: {import_results}")
    outcomes, runs = import_results[0]
    if sum(outcomes.values()) != len(members):
        raise SystemExit(f"FAILED: {len(members)} members but {sum(outcomes.values())} outcomes: {outcomes}")
    parse_s = median([p.seconds for p in parse_passes])
    import_s = median([p.seconds for p in import_passes])
    return {
        "members": len(members),
        "kinds": dict(sorted(kinds.items())),
        "member_bytes": sum(len(m.data) for m in members),
        "zip_bytes": zip_path.stat().st_size,
        "subset": quick,
        "workers": ARCHIVE_WORKERS,
        "import_s": summarise(import_passes, digits=3),
        "parse_s": summarise(parse_passes, digits=3),
        "import_per_s": round(len(members) / import_s, 2),
        "parse_per_s": round(len(members) / parse_s, 2),
        "import_over_parse": round(parse_s / import_s, 3),
        "import_outcomes": dict(sorted(outcomes.items())),
        "runs_stored": runs,
        "parse_outcomes": dict(sorted(parse_results[0].items())),
    }


# --------------------------------------------------------------------------- report

HEADS = ("measurement", "median", "baseline", "ratio", "target", "result")


def table_rows(m: dict[str, Any], quick: bool) -> list[dict[str, str]]:
    """measurement, median, baseline, ratio, target, pass/fail."""
    lat, idle, arc = m["latency"], m["idle_rescan"], m["archive"]
    walks = f"scandir {idle['bare_scandir_ms']['median']:.1f} ms; +stat {idle['scandir_stat_ms']['median']:.1f} ms"

    def result(ok: bool) -> str:
        return "n/a (quick)" if quick else verdict(ok)

    return [
        {
            "measurement": f"file appears -> run stored (watch, {lat['interval_s']:g} s poll)",
            "median": f"{lat['latency_s']['median']:.2f} s (max {lat['latency_s']['max']:.2f} s)",
            "baseline": f"ingest_bytes {lat['ingest_bytes_s']['median'] * MS:.0f} ms",
            "ratio": f"{lat['latency_over_ingest']:.1f}x",
            "target": f"median < {LATENCY_TARGET_S:g} s",
            "result": result(lat["latency_s"]["median"] < LATENCY_TARGET_S),
        },
        {
            "measurement": f"idle rescan, {idle['files']:,} files, kept scanner",
            "median": f"{idle['kept_scan_ms']['median']:.1f} ms",
            "baseline": walks,
            "ratio": f"{idle['kept_over_bare']:.2f}x; {idle['kept_over_stat']:.2f}x",
            "target": f"< {IDLE_RATIO_TARGET:g}x bare scandir",
            "result": result(idle["kept_over_bare"] < IDLE_RATIO_TARGET),
        },
        {
            "measurement": f"idle rescan, {idle['files']:,} files, fresh scanner",
            "median": f"{idle['fresh_scan_ms']['median']:.1f} ms",
            "baseline": walks,
            "ratio": f"{idle['fresh_over_bare']:.2f}x; {idle['fresh_over_stat']:.2f}x",
            "target": "context",
            "result": "-",
        },
        {
            "measurement": f"import export zip ({arc['members']} real files), {arc['workers']} workers",
            "median": f"{arc['import_per_s']:.2f} activities/s ({arc['import_s']['median']:.2f} s)",
            "baseline": f"read_activity 1 process {arc['parse_per_s']:.2f}/s",
            "ratio": f"{arc['import_over_parse']:.2f}x",
            "target": f">= {ARCHIVE_RATIO_FLOOR:.1f}x (floor)",
            "result": result(arc["import_over_parse"] >= ARCHIVE_RATIO_FLOOR),
        },
    ]


def print_report(report: dict[str, Any]) -> None:
    """The human-readable report on stdout."""
    s, env, m = report["settings"], report["environment"], report["measurements"]
    lat, idle, arc = m["latency"], m["idle_rescan"], m["archive"]
    print(f"Watch speed benchmark  ({report['finished_at']})")
    print(
        f"  python {env['python']}, {env['cpus']} CPUs;"
        f" load average {env['load_before']} before, {env['load_after']} after"
    )
    print(
        f"  repeat={s['repeat']} idle_files={s['idle_files']} quick={s['quick']}  (figures are medians of the passes)"
    )
    if env["other_benchmarks"]:
        print(f"  WARNING: other benchmarks were running at the start: {env['other_benchmarks']}")
    if s["quick"]:
        print("  QUICK MODE: smoke test on tiny inputs; the targets do not apply to these figures.")
    print()
    print(
        f"1. Latency: `{lat['watcher_command']}` (interval {lat['interval_s']:g} s, settle {lat['settle_s']:g} s),"
        f" one-hour FIT files of {min(lat['file_bytes']) / 1000:.0f}-{max(lat['file_bytes']) / 1000:.0f} kB"
    )
    print(
        f"  latency s: {lat['latency_s']['values']} (pauses before each drop {lat['pauses_s']});"
        f" {cpu_note(lat['latency_s'])}"
    )
    print(f"  ingest_bytes s: {lat['ingest_bytes_s']['values']}; {cpu_note(lat['ingest_bytes_s'])}")
    print(
        f"  {lat['waiting_share']:.0%} of the median latency is waiting for the poll and the settle;"
        f" watcher CPU during the drops {lat['watcher_cpu_s']} s; {lat['runs_stored']} runs stored"
    )
    print()
    print(
        f"2. Idle rescan: {idle['files']} files, {idle['file_bytes'] / MB:.1f} MB, {idle['folder_layout']};"
        f" generated in {idle['generate_s']} s, imported by '{idle['setup']}' in {idle['import_s']} s (not timed)"
    )
    for key, label in (
        ("bare_scandir_ms", "bare scandir"),
        ("scandir_stat_ms", "scandir + stat"),
        ("kept_scan_ms", "kept scanner scan()"),
        ("fresh_scan_ms", "fresh scanner scan()"),
        ("open_store_ms", "context: open Store"),
    ):
        print(f"  {label} ms: {idle[key]['values']}; {cpu_note(idle[key])}")
    print()
    print(
        f"3. Archive: {arc['members']} real files {arc['kinds']}, zip {arc['zip_bytes'] / MB:.1f} MB"
        f"{' (smallest files only)' if arc['subset'] else ''}"
    )
    print(f"  import s ({arc['workers']} workers): {arc['import_s']['values']}; {cpu_note(arc['import_s'])}")
    print(f"      outcomes {arc['import_outcomes']}, {arc['runs_stored']} activities stored")
    print(f"  read_activity s (1 process): {arc['parse_s']['values']}; {cpu_note(arc['parse_s'])}")
    print(f"      {arc['parse_outcomes']}")
    print()
    print(format_table(report["table"], HEADS))
    print()
    print(f"Benchmark wall time: {report['wall_seconds']:.0f} s; JSON: {report['json']}")


# --------------------------------------------------------------------------- main


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.watch_speed", description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--repeat", type=int, default=None, help=f"passes; figures are medians (default {DEFAULT_REPEAT})"
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help=f"smoke test: {QUICK_REPEAT} passes, {QUICK_IDLE_FILES} idle files, the {QUICK_REAL_FILES}"
        " smallest real files (an explicit --repeat wins)",
    )
    parser.add_argument(
        "--idle-files", type=int, default=None, help=f"files in the idle folder (default {DEFAULT_IDLE_FILES:,})"
    )
    parser.add_argument(
        "--setup",
        choices=sorted(SETUPS),
        default="ingest",
        help="how the idle folder is imported before timing (default ingest)",
    )
    parser.add_argument("--runs-dir", type=Path, default=DEFAULT_RUNS_DIR, help="the real files' folder")
    parser.add_argument("--json", type=Path, default=DEFAULT_JSON, help="where to write the JSON report")
    args = parser.parse_args(argv)
    if args.repeat is None:
        args.repeat = QUICK_REPEAT if args.quick else DEFAULT_REPEAT
    if args.idle_files is None:
        args.idle_files = QUICK_IDLE_FILES if args.quick else DEFAULT_IDLE_FILES
    if args.repeat < 1 or args.idle_files < 1:
        parser.error("--repeat and --idle-files must be at least 1")
    return args


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    """Run the three measurements, print the report, write the JSON."""
    args = parse_args(argv)
    wall = time.perf_counter()
    load_before = load()
    others = other_benchmarks()
    if others:
        log(f"WARNING: other benchmarks are running and will share the cores: {others}")
    rng = random.Random(20261124)
    measurements: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="bench-watch-speed-") as tmp_name:
        tmp = Path(tmp_name).resolve()
        log(f"latency: starting `recovery watch` and dropping {args.repeat} one-hour FIT files ...")
        (tmp / "latency").mkdir()
        measurements["latency"] = measure_latency(tmp / "latency", args.repeat, rng)
        measurements["idle_rescan"] = measure_idle(tmp, args.repeat, args.idle_files, args.setup)
        measurements["archive"] = measure_archive(tmp, args.repeat, args.runs_dir, args.quick)
    report: dict[str, Any] = {
        "benchmark": "watch_speed",
        "command": ".venv/bin/python -m bench.watch_speed " + " ".join(sys.argv[1:] if argv is None else argv),
        "finished_at": utc_now().isoformat(timespec="seconds"),
        "settings": {"repeat": args.repeat, "idle_files": args.idle_files, "setup": args.setup, "quick": args.quick},
        "environment": {
            "python": platform.python_version(),
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "load_before": load_before,
            "load_after": load(),
            "other_benchmarks": others,
        },
        "targets": {
            "latency_median_s": LATENCY_TARGET_S,
            "idle_kept_over_bare_scandir": IDLE_RATIO_TARGET,
            "archive_import_over_parse": ARCHIVE_RATIO_FLOOR,
        },
        "measurements": measurements,
        "table": table_rows(measurements, args.quick),
        "wall_seconds": round(time.perf_counter() - wall, 1),
        "json": str(args.json),
    }
    save_report(report, args.json)
    print_report(report)
    return report


if __name__ == "__main__":
    main()
