"""Reading ../shared/runs/MANIFEST.csv for the tests."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from tests.conftest import SHARED_RUNS


@dataclass(frozen=True)
class Row:
    file: str
    format: str
    sport: str
    start_time_utc: str
    duration_s: float | None
    distance_m: float | None
    avg_hr: int | None
    parses_with: str
    odd: str

    @property
    def path(self) -> Path:
        return SHARED_RUNS / self.file

    @property
    def broken(self) -> bool:
        """The manifest says no reader gets through it (or it is an empty file)."""
        return self.parses_with == "none" or self.odd.startswith("empty file")


def _num(text: str) -> float | None:
    return float(text) if text.strip() else None


def rows() -> list[Row]:
    if not (SHARED_RUNS / "MANIFEST.csv").exists():
        return []
    with open(SHARED_RUNS / "MANIFEST.csv", newline="") as handle:
        return [
            Row(
                file=r["file"],
                format=r["format"],
                sport=r["sport"],
                start_time_utc=r["start_time_utc"],
                duration_s=_num(r["duration_s"]),
                distance_m=_num(r["distance_m"]),
                avg_hr=int(r["avg_hr"]) if r["avg_hr"].strip() else None,
                parses_with=r["parses_with"],
                odd=r["odd"],
            )
            for r in csv.DictReader(handle)
        ]
