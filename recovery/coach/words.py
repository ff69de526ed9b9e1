"""Figures in the coach's sentences, in the runner's units: "540 m" or "1,772 ft", "2 h 40 min"."""

from __future__ import annotations

from recovery.classify import KM_PER_MILE

FEET_PER_METRE = 3.28084


def distance(metres: float | None, units: str = "km") -> str:
    if metres is None:
        return "an unknown distance"
    if units == "mi":
        return f"{metres / 1000 / KM_PER_MILE:.1f} mi"
    return f"{metres / 1000:.1f} km"


def climb(metres: float, units: str = "km") -> str:
    """A height climbed or descended: metres, or feet in miles mode."""
    if units == "mi":
        return f"{metres * FEET_PER_METRE:,.0f} ft"
    return f"{metres:,.0f} m"


def climb_rate(metres_per_km: float, units: str = "km") -> str:
    if units == "mi":
        return f"{metres_per_km * FEET_PER_METRE * KM_PER_MILE:.0f} ft per mile"
    return f"{metres_per_km:.0f} m per km"


def duration(seconds: float) -> str:
    """'45 minutes', '1 h 05 min'."""
    minutes = round(seconds / 60)
    if minutes < 60:
        return f"{minutes} minute{'s' if minutes != 1 else ''}"
    return f"{minutes // 60} h {minutes % 60:02d} min"


def sentence(*parts: str) -> str:
    """Clauses joined into one sentence with its first letter up and one full stop."""
    text = ", ".join(p.strip().rstrip(".") for p in parts if p and p.strip())
    return text[:1].upper() + text[1:] + "." if text else ""
