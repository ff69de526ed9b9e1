"""FIT decode speed: fitdecode's path (`decode_reference`) against the fast path `decode` takes first.

Run from the project root:

    .venv/bin/python -m bench.fit_decode [--repeat N] [--runs-dir DIR]

Two inputs: the largest real running FIT file under the real-files folder (skipped when the
folder is absent) and a synthetic one-hour 1 Hz run (`synthetic.make_run`, 3,601 records).
Each is decoded --repeat times (default 7) by each path, in turn, after one untimed warm-up;
the table gives the medians with their spread (min-max) and reference / fast. Both paths are
first checked to give equal results, so the figure is never for a wrong answer. The floor,
timed in the same rounds, is `bench.fit_floor.floor_decode`: every data message of the same
bytes unpacked by one precompiled struct, nothing else (no decoder can do less and read them).
Target: the fast path within 2x of the floor. The report is
printed and written as JSON to bench/out/fit_decode.json.
"""

from __future__ import annotations

import argparse
import csv
import platform
import sys
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.common import format_table, load, log, median, save_report, utc_now
from bench.fit_floor import floor_decode
from recovery.parsers.fit import decode, decode_reference
from recovery.parsers.fitfast import decode_fast
from recovery.synthetic import make_run, to_fit

DEFAULT_RUNS_DIR = Path(__file__).resolve().parents[2] / "shared" / "runs"  # ../shared/runs beside the project
DEFAULT_JSON = Path(__file__).resolve().parent / "out" / "fit_decode.json"
DEFAULT_REPEAT = 7
SYNTHETIC_START = datetime(2024, 1, 1, 6, 0, tzinfo=UTC)
HEADS = ("file", "records", "fitdecode ms (min-max)", "fast ms (min-max)", "ratio", "floor ms (min-max)",
         "fast / floor", "path")  # fmt: skip
FLOOR_TARGET = 2.0


def largest_running_fit(runs_dir: Path) -> Path | None:
    """The biggest running FIT file the manifest lists as readable, or None without the folder."""
    manifest = runs_dir / "MANIFEST.csv"
    if not manifest.exists():
        return None
    with open(manifest, newline="") as handle:
        files = [
            runs_dir / row["file"]
            for row in csv.DictReader(handle)
            if row["format"] == "fit" and row["sport"] == "running" and row["parses_with"] != "none"
        ]
    files = [f for f in files if f.exists()]
    return max(files, key=lambda f: f.stat().st_size) if files else None


def timings(decoder: Callable[[bytes], object], data: bytes, repeat: int) -> list[float]:
    """Seconds per decode, `repeat` times."""
    out = []
    for _ in range(repeat):
        started = time.perf_counter()
        decoder(data)
        out.append(time.perf_counter() - started)
    return out


def measure(name: str, data: bytes, repeat: int) -> dict[str, Any]:
    """Both paths on one input: checked equal, warmed up, then timed in turn."""
    reference = decode_reference(data)
    fast_path = decode_fast(data) is not None
    if decode(data) != reference:
        raise SystemExit(f"{name}: the fast path and fitdecode disagree; no figure for a wrong answer")
    if floor_decode(data) != len(reference.records):
        raise SystemExit(f"{name}: the floor decode read another number of records than fitdecode")
    ref_s: list[float] = []
    fast_s: list[float] = []
    floor_s: list[float] = []
    for _ in range(repeat):  # interleaved, so noise on the machine falls on all three
        ref_s += timings(decode_reference, data, 1)
        fast_s += timings(decode, data, 1)
        floor_s += timings(floor_decode, data, 1)
    return {
        "file": name,
        "bytes": len(data),
        "records": len(reference.records),
        "fast_path_taken": fast_path,
        "reference_s": ref_s,
        "fast_s": fast_s,
        "reference_median_s": median(ref_s),
        "fast_median_s": median(fast_s),
        "ratio": median(ref_s) / median(fast_s),
        "floor_s": floor_s,
        "floor_median_s": median(floor_s),
        "over_floor": median(fast_s) / median(floor_s),
        "floor_target": FLOOR_TARGET,
    }


def _ms(values: Sequence[float]) -> str:
    return f"{median(values) * 1000:.1f} ({min(values) * 1000:.1f}-{max(values) * 1000:.1f})"


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=DEFAULT_REPEAT, help="timed decodes per path and input")
    parser.add_argument("--runs-dir", type=Path, default=DEFAULT_RUNS_DIR, help="the real files (MANIFEST.csv)")
    parser.add_argument("--json", type=Path, default=DEFAULT_JSON, help="where the JSON report goes")
    args = parser.parse_args(argv)

    inputs: list[tuple[str, bytes]] = []
    real = largest_running_fit(args.runs_dir)
    if real is None:
        log(f"no real files at {args.runs_dir}: the synthetic run only")
    else:
        inputs.append((str(real.relative_to(args.runs_dir)), real.read_bytes()))
    synthetic = to_fit(make_run(1, SYNTHETIC_START, duration_s=3600, interval_s=1))
    inputs.append(("synthetic 1 h at 1 Hz", synthetic))

    results = []
    for name, data in inputs:
        log(f"timing {name} ({len(data) / 1000:.0f} kB), {args.repeat} rounds")
        results.append(measure(name, data, args.repeat))
    rows = [
        {
            "file": r["file"],
            "records": str(r["records"]),
            "fitdecode ms (min-max)": _ms(r["reference_s"]),
            "fast ms (min-max)": _ms(r["fast_s"]),
            "ratio": f"{r['ratio']:.1f}x",
            "floor ms (min-max)": _ms(r["floor_s"]),
            "fast / floor": f"{r['over_floor']:.1f}x (target <= {FLOOR_TARGET:g}x)",
            "path": "fast" if r["fast_path_taken"] else "fitdecode (fell back)",
        }
        for r in results
    ]
    print(format_table(rows, HEADS))
    save_report(
        {
            "benchmark": "fit_decode",
            "when": utc_now().isoformat(),
            "python": sys.version.split()[0],
            "machine": platform.machine(),
            "load": load(),
            "repeat": args.repeat,
            "results": results,
        },
        args.json,
    )


if __name__ == "__main__":
    main()
