"""The coach's rule weights (rules.yaml), checked on load like the catalogue."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from recovery.coach.catalogue import (
    STATIC_HOLD_S,
    STRENGTH_HOLD_S,
    STRENGTH_REPS,
    CatalogueError,
    YamlEntry,
    compose_list,
)

RULES_FILE = Path(__file__).with_name("rules.yaml")


@dataclass(frozen=True)
class Weights:
    hold_s: int = 25
    emphasis_hold_s: int = 30
    gentle_hold_s: int = 20
    short_minutes: tuple[int, int] = (3, 5)
    ordinary_minutes: tuple[int, int] = (5, 7)
    extended_minutes: tuple[int, int] = (7, 10)
    eased_minutes: tuple[int, int] = (1, 5)
    seconds_between: int = 10
    short_run_minutes: int = 30
    hilly_m_per_km: int = 15
    gentle_from: int = 4
    fewer_from: int = 6
    recent_hours: int = 36
    sessions_per_week: int = 2
    #: Double progression of each strength exercise: this many steady sessions at a step before the next one.
    sessions_per_step: int = 2
    rep_step: int = 2  # reps added per step, up to top_reps
    top_reps: int = 15
    hold_step_s: int = 5  # seconds added to each hold per step, up to top_hold_s
    top_hold_s: int = 45
    rise_points: int = 1  # a later log this much above an earlier one is a rise: one step back


#: section -> field -> (low, high) for numbers, or ("range", low, high) for [min, max] minute pairs.
_SCHEMA: dict[str, dict[str, tuple[Any, ...]]] = {
    "cooldown": {
        "hold_s": STATIC_HOLD_S,
        "emphasis_hold_s": STATIC_HOLD_S,
        "gentle_hold_s": STATIC_HOLD_S,
        "short_minutes": ("range", 1, 30),
        "ordinary_minutes": ("range", 1, 30),
        "extended_minutes": ("range", 1, 30),
        "eased_minutes": ("range", 1, 30),
        "seconds_between": (0, 60),
        "short_run_minutes": (5, 120),
        "hilly_m_per_km": (1, 200),
    },
    "discomfort": {"gentle_from": (1, 10), "fewer_from": (1, 10), "recent_hours": (1, 168)},
    "strength": {
        "sessions_per_week": (1, 7),
        "sessions_per_step": (1, 10),
        "rep_step": (1, 5),
        "top_reps": STRENGTH_REPS,
        "hold_step_s": (1, 15),
        "top_hold_s": STRENGTH_HOLD_S,
        "rise_points": (1, 10),
    },
}


def load_weights(path: Path | str = RULES_FILE) -> Weights:
    path = Path(path)
    filename = str(path)
    nodes = compose_list(path.read_text(encoding="utf-8"), filename, "sections")
    values: dict[str, Any] = {}
    for node in nodes:
        e = YamlEntry(node, filename, "each section")
        section = e.text("id")
        if section not in _SCHEMA:
            raise e.fail("id", f"'{section}' is not a section (known: {', '.join(_SCHEMA)})")
        for key in e.values:
            if key == "id":
                continue
            spec = _SCHEMA[section].get(key)
            if spec is None:
                raise e.fail(key, f"is not a weight of '{section}' (known: {', '.join(_SCHEMA[section])})")
            values[key] = _pair(e, key, spec[1], spec[2]) if spec[0] == "range" else e.number(key, spec)
    weights = Weights(**values)
    if not weights.gentle_hold_s <= weights.hold_s <= weights.emphasis_hold_s:
        raise CatalogueError(f"{filename}: gentle_hold_s <= hold_s <= emphasis_hold_s must hold, so discomfort "
                             "never lengthens a hold")  # fmt: skip
    if weights.fewer_from < weights.gentle_from:
        raise CatalogueError(f"{filename}: fewer_from must not be below gentle_from")
    return weights


def _pair(e: YamlEntry, key: str, low: int, high: int) -> tuple[int, int]:
    value = e.values[key]
    if (
        not isinstance(value, list)
        or len(value) != 2
        or not all(isinstance(v, int) and not isinstance(v, bool) and low <= v <= high for v in value)
        or value[0] > value[1]
    ):
        raise e.fail(key, f"must be [least, most] minutes between {low} and {high}, such as [5, 7]")
    return value[0], value[1]
