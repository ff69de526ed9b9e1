"""Helpers shared by the benchmarks: progress, clocks, CPU accounting, medians and the table."""

from __future__ import annotations

import json
import os
import resource
import statistics
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

#: The columns of import_speed's summary table.
TABLE_HEADS = ("measurement", "median", "target", "ratio", "result")


def log(message: str) -> None:
    """Progress goes to stderr so the report on stdout stays clean."""
    print(message, file=sys.stderr, flush=True)


def utc_now() -> datetime:
    """The importer's clock: an aware UTC datetime."""
    return datetime.now(UTC)


class Meter:
    """Wall time over a `with` block, and the CPU time spent in it by us and by the rest of the machine.

    `own_cpu_s` counts this process and its finished children (the import's workers). `other_cpu_s`
    is every other busy CPU second on the machine (Linux /proc/stat, steal included): on a shared
    machine it tells a slow pass that had to share the cores from a slow import.
    """

    def __init__(self) -> None:
        self.started = 0.0
        self.seconds = 0.0
        self.own_cpu_s = 0.0
        self.other_cpu_s: float | None = None
        self._own = 0.0
        self._busy: float | None = None

    def __enter__(self) -> Meter:
        self._own, self._busy, self.started = own_cpu(), machine_busy_cpu(), time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        self.seconds = time.perf_counter() - self.started
        self.own_cpu_s = own_cpu() - self._own
        busy = machine_busy_cpu()
        if busy is not None and self._busy is not None:
            self.other_cpu_s = max(0.0, busy - self._busy - self.own_cpu_s)


def own_cpu() -> float:
    """CPU seconds of this process and of its children that have ended."""
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def machine_busy_cpu() -> float | None:
    """Busy CPU seconds of all cores since boot (not idle, not waiting for I/O), or None off Linux."""
    try:
        ticks = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    except (OSError, ValueError):
        return None
    return (sum(ticks) - ticks[3] - ticks[4]) / os.sysconf("SC_CLK_TCK")


class CpuPass(Protocol):
    """Anything timed with a Meter: the CPU it and the rest of the machine used."""

    @property
    def own_cpu_s(self) -> float: ...

    @property
    def other_cpu_s(self) -> float | None: ...


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def cpu_fields(passes: Sequence[CpuPass]) -> dict[str, Any]:
    """Per pass: CPU seconds used by the benchmark (workers included) and by other processes."""
    return {
        "own_cpu_s": [round(p.own_cpu_s, 2) for p in passes],
        "other_cpu_s": [None if p.other_cpu_s is None else round(p.other_cpu_s, 2) for p in passes],
    }


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def format_table(rows: Sequence[dict[str, str]], heads: Sequence[str] = TABLE_HEADS) -> str:
    """A plain fixed-width table."""
    widths = [max(len(h), *(len(r[h]) for r in rows)) for h in heads]
    line = "  ".join("-" * w for w in widths)
    out = ["  ".join(h.ljust(w) for h, w in zip(heads, widths, strict=True)), line]
    out += ["  ".join(r[h].ljust(w) for h, w in zip(heads, widths, strict=True)) for r in rows]
    return "\n".join(out)


def cpu_note(summary: dict[str, Any]) -> str:
    """'CPU s ours [..], others [..]' for the detail lines."""
    return f"CPU s: ours {summary['own_cpu_s']}, other processes {summary['other_cpu_s']}"


def load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def save_report(report: dict[str, Any], path: Path) -> None:
    """The JSON report every benchmark writes beside its printed table."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=2) + "\n")
