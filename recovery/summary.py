"""How a run is shown: the JSON schema later tools read, and the human summary.

The JSON names are a contract (`inspect --json`, `runs --json`): keep them.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, tzinfo
from typing import Any

from recovery.classify import KM_PER_MILE, format_pace, is_multisport, split_legs
from recovery.model import Run, iso_utc

SUMMARY_WORDS = {
    "imported": ("imported", "imported"),
    "duplicate": ("duplicate", "duplicates"),
    "not_a_run": ("not a run", "not runs"),
    "rejected": ("rejected", "rejected"),
}


def summary_line(counts: Counter[str]) -> str:
    """'12 imported, 3 duplicates, 2 not runs, 1 rejected'."""
    parts = []
    for key, (one, many) in SUMMARY_WORDS.items():
        n = counts.get(key, 0)
        parts.append(f"{n} {one if n == 1 else many}")
    return ", ".join(parts)


def _round(value: float | None, digits: int = 1) -> float | None:
    return None if value is None else round(float(value), digits)


def run_json(run: Run) -> dict[str, Any]:
    """The figures of one activity, in the schema of `inspect --json`."""
    multisport = is_multisport(run)
    parts = split_legs(run) if multisport else [run]
    data: dict[str, Any] = {
        "format": run.source_format,
        "sport": "other" if multisport else run.sport,
        "is_run": any(p.is_run for p in parts),
        "start_time_utc": iso_utc(run.start_time_utc),
        "elapsed_s": _round(run.elapsed_s, 3),
        "moving_s": _round(run.moving_s, 3),
        "distance_m": _round(run.distance_m, 2),
        "ascent_m": _round(run.ascent_m),
        "avg_hr": run.avg_hr,
        "max_hr": run.max_hr,
        "avg_cadence_spm": run.avg_cadence_spm,
        "device": run.device,
        "laps": len(run.laps) if run.laps else sum(leg.laps for leg in run.legs),
        "samples": len(run.streams),
        # Beyond the fixed schema: what a runner or a script may also want.
        "name": run.name,
        "sport_label": run.sport_label,
        "sport_inferred": run.sport_inferred,
        "start_time_local": run.start_time_local.isoformat() if run.start_time_local else None,
        "utc_offset_s": run.utc_offset_s,
        "has_gps": run.has_gps,
        "content_id": run.content_id,
        "warnings": list(run.warnings),
    }
    if multisport:
        data["sport_label"] = "multisport"
        data["legs"] = [
            {
                "sport": p.sport,
                "is_run": p.is_run,
                "start_time_utc": iso_utc(p.start_time_utc),
                "elapsed_s": _round(p.elapsed_s, 3),
                "moving_s": _round(p.moving_s, 3),
                "distance_m": _round(p.distance_m, 2),
                "avg_hr": p.avg_hr,
            }
            for p in parts
        ]
    return data


def inspect_json(run: Run, file: str) -> dict[str, Any]:
    return {"file": file, "ok": True, **run_json(run)}


def stored_json(run_id: int, run: Run, sources: tuple[str, ...]) -> dict[str, Any]:
    data = run_json(run)
    return {"id": run_id, **data, "sources": list(sources)}


def duration(seconds: float | None) -> str:
    if seconds is None:
        return "?"
    seconds = round(seconds)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def one_line(run: Run, units: str = "km", tz: tzinfo = UTC) -> str:
    """'2026-11-23 07:30  run  6.02 km  36:10  6:00 /km  HR 142' for lists, in the runner's units and time zone."""
    when = run.start_time_utc.astimezone(tz) if run.start_time_utc else run.start_time_local
    stamp = when.strftime("%Y-%m-%d %H:%M") if when else "no date        "
    per = KM_PER_MILE if units == "mi" else 1.0
    dist = f"{run.distance_m / 1000 / per:6.2f} {units}" if run.distance_m is not None else f"      ? {units}"
    time = run.moving_s or run.elapsed_s
    pace = format_pace(run.distance_m, time, units) if run.distance_m and time and run.is_run else ""
    hr = f"HR {run.avg_hr}" if run.avg_hr else ""
    sport = run.sport.replace("_", " ")
    name = f"  {run.name}" if run.name else ""
    return f"{stamp}  {sport:<13} {dist}  {duration(time):>8}  {pace:>10}  {hr:<6}{name}".rstrip()


def human_summary(run: Run, file: str) -> str:
    """A few lines a runner reads at a glance."""
    data = run_json(run)
    lines = [file if not run.name else f"{file}: {run.name}"]
    kind = data["sport"].replace("_", " ")
    if run.sport_inferred:
        kind += " (guessed from pace)"
    verdict = "a run: it gets a cool-down" if data["is_run"] else "not a run: it counts toward load only"
    lines.append(f"  {kind}, {verdict}")
    when = run.start_time_utc
    if when is not None:
        local = ""
        if run.utc_offset_s is not None:
            hours = run.utc_offset_s / 3600
            local = f" (UTC{hours:+g})"
        lines.append(f"  started   {when:%Y-%m-%d %H:%M:%S} UTC{local}")
    elif run.start_time_local is not None:
        lines.append(f"  started   {run.start_time_local:%Y-%m-%d %H:%M:%S} local time (no UTC date in the file)")
    if run.distance_m is not None:
        lines.append(f"  distance  {run.distance_m / 1000:.2f} km")
    lines.append(f"  time      {duration(run.moving_s)} moving, {duration(run.elapsed_s)} elapsed")
    if run.distance_m and run.moving_s and data["is_run"]:
        lines.append(f"  pace      {format_pace(run.distance_m, run.moving_s)}")
    if run.ascent_m is not None:
        lines.append(f"  climb     {run.ascent_m:.0f} m")
    if run.avg_hr:
        lines.append(f"  heart     {run.avg_hr} bpm average, {run.max_hr or '?'} max")
    if run.avg_cadence_spm:
        lines.append(f"  cadence   {run.avg_cadence_spm} steps/min")
    lines.append(
        f"  device    {run.device or 'unknown'}  ({run.source_format.upper()}, {data['laps']} laps, "
        f"{data['samples']} samples{', GPS' if run.has_gps else ', no GPS'})"
    )
    for leg in data.get("legs", []):
        dist = f"{leg['distance_m'] / 1000:.2f} km" if leg["distance_m"] is not None else "? km"
        lines.append(f"  leg       {leg['sport']:<13} {dist:>10}  {duration(leg['moving_s'])}")
    for warning in run.warnings:
        lines.append(f"  note      {warning}")
    return "\n".join(lines)
