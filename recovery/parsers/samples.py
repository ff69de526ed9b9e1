"""Figures computed from samples, for files that do not state them.

FIT sessions carry the watch's own totals; GPX never does and TCX only
partly, so every parser finishes a run with these same functions.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence

from recovery.bounds import MAX_HR, MIN_HR, finite

EARTH_RADIUS_M = 6_371_008.8
#: A gap between samples longer than this is a pause, not movement.
MAX_MOVING_GAP_S = 30.0
#: Slower than this (about 33 min/km) counts as standing still.
MIN_MOVING_SPEED = 0.5
#: Half-width of the window over which speed is judged for moving time.
WINDOW_S = 5.0
#: Altitude must change this much before it counts as climbing (GPS/baro noise).
ASCENT_HYSTERESIS_M = 3.0


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def haversine_steps(latitudes: Sequence[float], longitudes: Sequence[float]) -> list[float]:
    """`haversine_m` from each point to the next, the same floats, each point's radians and cosine taken once.

    For a track with every position on the globe: a call per step was a fifth of reading a GPX file.
    """
    radians, sin, cos, asin, sqrt = math.radians, math.sin, math.cos, math.asin, math.sqrt
    p = list(map(radians, latitudes))
    c = list(map(cos, p))
    half_dp = [sin((p2 - p1) / 2) for p1, p2 in itertools.pairwise(p)]
    half_dl = [sin(radians(lon2 - lon1) / 2) for lon1, lon2 in itertools.pairwise(longitudes)]
    roots = [sqrt(dp**2 + c1 * c2 * dl**2) for dp, c1, c2, dl in zip(half_dp, c[:-1], c[1:], half_dl, strict=True)]
    diameter = 2 * EARTH_RADIUS_M
    return [diameter * asin(root if root < 1.0 else 1.0) for root in roots]  # min(1.0, root), NaN too


def cumulative_distance(lat: Sequence[float], lon: Sequence[float]) -> list[float]:
    """Distance along the track at each sample (NaN positions carry the last value)."""
    out: list[float] = []
    total = 0.0
    prev: tuple[float, float] | None = None
    for la, lo in zip(lat, lon, strict=True):
        if not (math.isnan(la) or math.isnan(lo)):
            if prev is not None:
                total += haversine_m(prev[0], prev[1], la, lo)
            prev = (la, lo)
        out.append(total)
    return out


def moving_time(t: Sequence[float], distance: Sequence[float]) -> float | None:
    """Seconds spent moving: short gaps during which the runner covered ground.

    Speed is judged over a 10-second window, not point to point, because
    phone apps often repeat a position several times and then jump.
    """
    n = len(t)
    if n < 2:
        return None
    known = [i for i in range(n) if not math.isnan(distance[i])]
    if not known:  # no distance at all (indoor, no footpod): all short gaps count
        return sum(t[i] - t[i - 1] for i in range(1, n) if 0 < t[i] - t[i - 1] <= MAX_MOVING_GAP_S)
    kt = [t[i] for i in known]
    kd = [distance[i] for i in known]
    total = 0.0
    lo = hi = 0
    m = len(kt)
    for k in range(1, m):
        dt = kt[k] - kt[k - 1]
        if dt <= 0 or dt > MAX_MOVING_GAP_S:
            continue
        while kt[lo] < kt[k] - WINDOW_S and lo < k - 1:
            lo += 1
        hi = max(hi, k)
        while hi + 1 < m and kt[hi + 1] <= kt[k] + WINDOW_S:
            hi += 1
        span = kt[hi] - kt[lo]
        if span > 0 and (kd[hi] - kd[lo]) / span >= MIN_MOVING_SPEED:
            total += dt
    return total


def ascent_descent(altitude: Sequence[float]) -> tuple[float | None, float | None]:
    """Metres climbed and descended, ignoring wiggles smaller than the hysteresis."""
    values = [a for a in altitude if not math.isnan(a)]
    if len(values) < 2:
        return None, None
    up = down = 0.0
    anchor = values[0]
    for a in values[1:]:
        if a - anchor >= ASCENT_HYSTERESIS_M:
            up += a - anchor
            anchor = a
        elif anchor - a >= ASCENT_HYSTERESIS_M:
            down += anchor - a
            anchor = a
    return up, down


def heart_rate_summary(hr: Sequence[float]) -> tuple[int | None, int | None]:
    """Average and maximum of the real heart-rate values (0 means no sensor)."""
    values = [h for h in hr if MIN_HR <= h <= MAX_HR]  # NaN and inf fail the comparison
    if not values:
        return None, None
    return round(sum(values) / len(values)), round(max(values))


def weighted_mean(pairs: list[tuple[float, float]]) -> int | None:
    """Mean of (value, weight) pairs, rounded; plain mean when no weight is known.

    Pairs whose value or weight is not a finite number are left out, and a
    mean that overflows is no mean (None): a damaged lap must not raise.
    """
    usable = [(float(v), float(w)) for v, w in pairs if finite(v) is not None and finite(w) is not None]
    if not usable:
        return None
    weighted = [(v, w) for v, w in usable if w > 0]
    weight = sum(w for _, w in weighted)
    plain = not weighted or weight <= 0
    mean = sum(v for v, _ in usable) / len(usable) if plain else sum(v * w for v, w in weighted) / weight
    return round(mean) if math.isfinite(mean) else None
