"""XML parse speed: the lxml GPX and TCX readers against the gpxpy/defusedxml readers they replaced.

Run from the project root:

    .venv/bin/python -m bench.xml_parse [--repeat 7] [--minutes 60]

One synthetic `--minutes` run at 1 Hz (recovery.synthetic, heart rate and cadence, as a watch
writes it) is written as GPX and as TCX, and each file goes --repeat times through the whole
`read_activity` (size checks, sniffing, the expat safety check, the parser, the bounds) and
through the parser alone, with each reader, in turn, so noise from other work on the machine
spreads over both. Before any timing
the two readers must give the same Run. Figures are medians with the range (min-max); the
ratio is reference / new. The report is printed and written as JSON to bench/out/xml_parse.json.
"""

from __future__ import annotations

import argparse
import platform
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any

from bench.common import format_table, load, log, median, save_report
from recovery import parsers
from recovery.model import Run
from recovery.parsers import gpx, gpx_reference, read_activity, tcx, tcx_reference
from recovery.synthetic import make_run, to_gpx, to_tcx

DEFAULT_JSON = Path(__file__).resolve().parent / "out" / "xml_parse.json"
START = datetime(2026, 11, 20, 7, 0, tzinfo=UTC)
READERS: dict[str, dict[str, Callable[..., Run]]] = {
    "reference": {"gpx": gpx_reference.parse, "tcx": tcx_reference.parse},
    "lxml": {"gpx": gpx.parse, "tcx": tcx.parse},
}
HEADS = ("file", "timed", "reader", "median ms", "min-max ms", "ratio")


def read_with(reader: str, data: bytes, name: str) -> Run:
    """`read_activity` with one reader's GPX and TCX parsers in place, put back afterwards."""
    before = dict(parsers.PARSERS)
    parsers.PARSERS.update(READERS[reader])
    try:
        return read_activity(data, name)
    finally:
        parsers.PARSERS.update(before)


def parse_alone(reader: str, data: bytes, name: str) -> Run:
    """The reader's parse function alone, on what read_activity hands it (GPX decoded to text)."""
    fmt = name.rsplit(".", 1)[-1]
    document: bytes | str = gpx.as_text(data) if fmt == "gpx" else data
    return READERS[reader][fmt](document, name, "bench")  # type: ignore[arg-type]


#: What is timed: the whole read (size checks, sniffing, the expat safety check, bounds) and the parser alone.
LEVELS: dict[str, Callable[[str, bytes, str], Run]] = {"read_activity": read_with, "parser alone": parse_alone}


def timed_ms(level: str, reader: str, data: bytes, name: str) -> float:
    started = time.perf_counter()
    LEVELS[level](reader, data, name)
    return (time.perf_counter() - started) * 1000


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=7, help="parses of each file with each reader")
    parser.add_argument("--minutes", type=int, default=60, help="length of the synthetic 1 Hz run")
    parser.add_argument("--json", type=Path, default=DEFAULT_JSON, help="where the JSON report goes")
    args = parser.parse_args(argv)

    run = make_run(7, START, duration_s=args.minutes * 60, interval_s=1.0)
    files = {f"run-{args.minutes}min.gpx": to_gpx(run), f"run-{args.minutes}min.tcx": to_tcx(run)}
    for name, data in files.items():
        if read_with("reference", data, name) != read_with("lxml", data, name):
            raise SystemExit(f"{name}: the two readers give different runs; a speed figure would mean nothing")
    keys = [(name, level) for name in files for level in LEVELS]
    times: dict[tuple[str, str], dict[str, list[float]]] = {key: {reader: [] for reader in READERS} for key in keys}
    for round_ in range(args.repeat):
        log(f"round {round_ + 1} of {args.repeat}")
        for name, level in keys:
            for reader in READERS:
                times[name, level][reader].append(timed_ms(level, reader, files[name], name))

    rows = []
    summary: dict[str, Any] = {}
    for name, level in keys:
        reference, fast = median(times[name, level]["reference"]), median(times[name, level]["lxml"])
        summary[f"{name} {level}"] = {
            "bytes": len(files[name]),
            "reference_median_ms": round(reference, 1),
            "lxml_median_ms": round(fast, 1),
            "ratio": round(reference / fast, 2),
        }
        for reader in READERS:
            values = times[name, level][reader]
            rows.append(
                {
                    "file": f"{name} ({len(files[name]) / 2**20:.1f} MB)",
                    "timed": level,
                    "reader": reader,
                    "median ms": f"{median(values):.1f}",
                    "min-max ms": f"{min(values):.1f}-{max(values):.1f}",
                    "ratio": f"{reference / fast:.2f}x" if reader == "lxml" else "",
                }
            )
    table = format_table(rows, HEADS)
    print(table)
    report = {
        "settings": {"repeat": args.repeat, "minutes": args.minutes},
        "machine": {"python": platform.python_version(), "lxml": version("lxml"), "gpxpy": version("gpxpy"),
                    "load": load()},
        "times_ms": {
            f"{name} {level}": {reader: [round(t, 2) for t in values] for reader, values in per.items()}
            for (name, level), per in times.items()
        },
        "summary": summary,
    }
    save_report(report, args.json)
    return report


if __name__ == "__main__":
    main()
