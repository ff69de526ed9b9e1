"""Charts for the dashboard, rendered as inline SVG strings.

Pure functions (no Flask, no database, no clock) so that they are cheap to test and to cache.
The page runs under a strict Content-Security-Policy: no scripts, no `style` attributes and no
`<style>` elements. Nothing here writes one; the look comes entirely from the page's stylesheet
through these classes (the only presentation attribute used is `text-anchor`, which places
labels and is not affected by the policy):

- every chart: `chart` plus `chart-series` (line_chart), `chart-route`, `chart-heatmap`,
  `chart-weekly` or `chart-load` on the `<svg>`; `chart-empty` on the "No data" text
- axes and labels: `chart-axis`, `chart-grid`, `chart-tick`, `chart-legend`
- lines: `chart-line chart-line-{kind}` (pace, hr, elevation, load), `chart-area chart-area-elevation`;
  polylines are not filled unless the stylesheet says `fill: none`, so it must
- route: `route-line` (needs `fill: none`), `route-start`, `route-end`
- heat map: `heat heat-0` .. `heat heat-4`, `heat-cooldown` (give it `pointer-events: none` so the
  day's tooltip still shows)
- bars and dots: `chart-bar`, `chart-bar-week`, `chart-bar-usual`, `chart-dot chart-dot-discomfort`

Missing readings (None, NaN, infinities) are gaps: lines are split at them and nothing is drawn
in their place, never a zero. Input with no readings at all gives a small "No data" SVG.
"""

from __future__ import annotations

import html
import math
import re
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from recovery.classify import KM_PER_MILE
from recovery.history import monday

__all__ = ["KM_PER_MILE", "Day", "Week", "heatmap", "line_chart", "load_bars", "route_svg", "weekly_chart"]

KM_PER_DEGREE = 111.195  # mean Earth radius (6371.0088 km) times pi/180

_HALF_MAX = sys.float_info.max / 2
_DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
# Steps that read well as minutes and hours when an axis is in seconds, tried beside 1-2-2.5-5 steps.
_TIME_STEPS = (15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 900.0, 1200.0, 1800.0, 3600.0, 7200.0, 10800.0)
_HEAT_THRESHOLDS_KM = (0.0, 5.0, 10.0, 16.0)  # level 1 is "more than 0", the others "at least"
_ROUTE_MAX_POINTS = 1500

Point = tuple[float, float]


# --- small helpers -------------------------------------------------------------------------------


def _esc(text: object) -> str:
    """Every text value goes through here: titles and formatter output may hold markup."""
    return html.escape(str(text), quote=True)


def _n(value: float) -> str:
    """A coordinate to 1 decimal without a trailing '.0', to keep the markup small."""
    rounded = round(value, 1)
    if rounded == 0:
        return "0"
    text = f"{rounded:.1f}"
    return text[:-2] if text.endswith(".0") else text


def _reading(value: float | None) -> float | None:
    """A finite float, or None for "no reading" (None, NaN, infinities, junk)."""
    if value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _class_token(text: str, default: str) -> str:
    """A string made safe to use inside a class attribute."""
    return re.sub(r"[^a-z0-9_-]+", "-", text.lower()).strip("-") or default


def _check_units(units: str) -> None:
    if units not in ("km", "mi"):
        raise ValueError(f"units must be 'km' or 'mi', not {units!r}")


def _distance(km: float, units: str) -> str:
    """A distance in the runner's units; thresholds and storage stay in km."""
    value = km / KM_PER_MILE if units == "mi" else km
    return f"{value:.1f} {units}"


def _long_date(day: date) -> str:
    """'Tue 3 Nov 2026', in English whatever the server's locale."""
    return f"{_DAY_NAMES[day.weekday()]} {day.day} {_MONTH_NAMES[day.month - 1]} {day.year}"


def _short_date(day: date) -> str:
    return f"{day.day} {_MONTH_NAMES[day.month - 1]}"


def _number(value: float) -> str:
    """An axis value without noise digits ('2.5', '40', '1e+06')."""
    return f"{value:.4g}"


def _svg(cls: str, width: float, height: float, title: str, label: str, body: Iterable[str]) -> str:
    """The one `<svg>` root every chart shares, with its accessible name and title."""
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart {cls}" viewBox="0 0 {_n(width)} {_n(height)}" '
        f'preserveAspectRatio="xMidYMid meet" role="img" aria-label="{_esc(label)}">'
        f"<title>{_esc(title)}</title>" + "".join(body) + "</svg>"
    )


def _empty(cls: str, width: float, height: float, title: str, message: str = "No data") -> str:
    """Said instead of drawn, so an empty chart is never mistaken for a flat one."""
    text = (
        f'<text class="chart-empty" x="{_n(width / 2)}" y="{_n(height / 2)}" text-anchor="middle">'
        f"{_esc(message)}</text>"
    )
    return _svg(cls, width, height, title, f"{title}: {message}", [text])


def _text(cls: str, x: float, y: float, text: str, anchor: str = "start") -> str:
    anchor_attr = "" if anchor == "start" else f' text-anchor="{anchor}"'
    return f'<text class="{cls}" x="{_n(x)}" y="{_n(y)}"{anchor_attr}>{_esc(text)}</text>'


def _line(cls: str, x1: float, y1: float, x2: float, y2: float) -> str:
    return f'<line class="{cls}" x1="{_n(x1)}" y1="{_n(y1)}" x2="{_n(x2)}" y2="{_n(y2)}"/>'


def _points(points: Iterable[Point]) -> str:
    return " ".join(f"{_n(x)},{_n(y)}" for x, y in points)


def _segments(seq: Iterable[Point | None]) -> list[list[Point]]:
    """Split a sequence at its gaps (None): each run of readings becomes its own line."""
    out: list[list[Point]] = []
    current: list[Point] = []
    for point in seq:
        if point is None:
            if current:
                out.append(current)
            current = []
        else:
            current.append(point)
    if current:
        out.append(current)
    return out


def _polyline(cls: str, segment: list[Point], left: float, right: float) -> str:
    """One run of a line; a lone reading between gaps becomes a 2-pixel dash so it stays visible."""
    if len(segment) == 1:
        x, y = segment[0]
        segment = [(max(left, x - 1), y), (min(right, x + 1), y)]
    return f'<polyline class="{cls}" points="{_points(segment)}"/>'


# --- scales, ranges and ticks ---------------------------------------------------------------------


@dataclass(frozen=True)
class _Scale:
    """Maps [lo, hi] onto pixels [start, end], clamping outliers to the ends.

    Works on halves of the values so that data near the float limits cannot overflow.
    """

    lo: float
    hi: float
    start: float
    end: float

    def __call__(self, value: float) -> float:
        t = (value / 2 - self.lo / 2) / (self.hi / 2 - self.lo / 2)
        t = min(1.0, max(0.0, t))
        return self.start + t * (self.end - self.start)


def _percentile(ordered: Sequence[float], q: float) -> float:
    """Linear-interpolated percentile of sorted values, overflow-safe."""
    pos = (len(ordered) - 1) * q
    i = math.floor(pos)
    if i + 1 >= len(ordered):
        return ordered[-1]
    a, b = ordered[i], ordered[i + 1]
    frac = pos - i
    value = a * (1 - frac) + b * frac
    return min(max(value, a), b)


def _padded(lo: float, hi: float, fraction: float) -> tuple[float, float]:
    """A range widened by `fraction` each side; a flat range gets room so a line is not on the edge."""
    half_lo, half_hi = lo / 2, hi / 2
    span = half_hi - half_lo
    if span <= 1e-9 * max(1.0, abs(half_lo), abs(half_hi)):
        pad = max(abs(half_lo) * 0.05, abs(half_hi) * 0.05, 0.5)
    else:
        pad = span * fraction
    half_lo = max(half_lo - pad, -_HALF_MAX)
    half_hi = min(half_hi + pad, _HALF_MAX)
    return half_lo * 2, half_hi * 2


def _ticks(lo: float, hi: float, fewest: int, most: int, target: int) -> list[float]:
    """Round values inside [lo, hi] for axis labels: fewest..most of them, as near `target` as can be."""
    half_span = hi / 2 - lo / 2
    candidates: list[float] = list(_TIME_STEPS)
    exponent = math.floor(math.log10(half_span) + math.log10(2 / target))
    for e in (exponent - 1, exponent, exponent + 1):
        try:
            base = 10.0**e
        except OverflowError:
            continue
        candidates += [m * base for m in (1.0, 2.0, 2.5, 5.0)]
    best: tuple[tuple[int, float], list[float]] | None = None
    for step in candidates:
        if not (math.isfinite(step) and step > 0):
            continue
        a, b = lo / step, hi / step
        if not (math.isfinite(a) and math.isfinite(b)):
            continue
        first, last = math.ceil(a), math.floor(b)
        count = last - first + 1
        if not fewest <= count <= most:
            continue
        ticks = [k * step for k in range(first, last + 1)]
        if any(not lo <= t <= hi for t in ticks):
            continue  # float error at extreme magnitudes
        key = (abs(count - target), -step)
        if best is None or key < best[0]:
            best = (key, ticks)
    if best is not None:
        return best[1]
    return [2 * (lo / 2 * (1 - i / (target - 1)) + hi / 2 * (i / (target - 1))) for i in range(target)]


def _nice_top(value: float, divisions: int) -> float:
    """The smallest round step times `divisions` that reaches `value`: an axis maximum without much headroom."""
    if not value > 1e-9:
        return float(divisions)  # nothing to show: a plain 0..divisions axis
    base = 10.0 ** math.floor(math.log10(value / divisions))
    for m in (1.0, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0):
        top = m * base * divisions
        if top >= value:
            return top if math.isfinite(top) else value
    return value  # pragma: no cover - the loop always reaches 10


# --- downsampling -----------------------------------------------------------------------------------


def _extremes(run: list[Point]) -> list[Point]:
    """The lowest and highest reading of a run, in order: keeps spikes that a stride would drop."""
    if len(run) <= 2:
        return run
    low = min(range(len(run)), key=lambda i: run[i][1])
    high = max(range(len(run)), key=lambda i: run[i][1])
    return [run[i] for i in sorted({low, high})]


def _bucketed(seq: list[Point | None], buckets: int) -> list[Point | None]:
    size = math.ceil(len(seq) / buckets)
    out: list[Point | None] = []
    for start in range(0, len(seq), size):
        bucket = seq[start : start + size]
        runs = _segments(bucket)
        if bucket[0] is None:
            out.append(None)
        if runs:
            out += _extremes(runs[0])
            if len(runs) > 1:  # runs in between are narrower than a pixel: keep the gap, drop them
                out.append(None)
                out += _extremes(runs[-1])
        if bucket[-1] is None:
            out.append(None)
    return out


def _downsample(seq: list[Point | None], max_points: int) -> list[Point | None]:
    """At most `max_points` readings, by min/max per bucket, keeping the gaps."""
    if sum(p is not None for p in seq) <= max_points:
        return seq
    buckets = max(1, max_points // 2)
    while True:
        out = _bucketed(seq, buckets)
        kept = sum(p is not None for p in out)
        if kept <= max_points or buckets == 1:
            return out
        buckets = max(1, buckets * max_points // kept - 1)


def _thin(seq: list[Point | None], limit: int) -> list[Point | None]:
    """At most `limit` points by stride, keeping the first and last and breaking wherever a gap was."""
    valid = sum(p is not None for p in seq)
    if valid <= limit:
        return seq
    stride = math.ceil(valid / (limit - 1))
    out: list[Point | None] = []
    rank = 0
    gap = False
    for point in seq:
        if point is None:
            gap = True
            continue
        if rank % stride == 0 or rank == valid - 1:
            if gap:
                out.append(None)
                gap = False
            out.append(point)
        rank += 1
    return out


# --- line chart ----------------------------------------------------------------------------------


def line_chart(
    xs: Sequence[float],
    ys: Sequence[float | None],
    *,
    title: str,
    x_format: Callable[[float], str],
    y_format: Callable[[float], str],
    invert_y: bool = False,
    kind: str = "line",
    width: int = 640,
    height: int = 200,
    max_points: int = 600,
) -> str:
    """A time-series line (per-run pace, heart rate, elevation).

    The y range comes from the 2nd..98th percentiles padded 5%, so one GPS spike cannot flatten the
    run; readings beyond it are clamped to the edge. `invert_y` puts low values at the top (pace:
    faster is higher). Long series are cut to `max_points` readings by min/max buckets.
    """
    left, right, top, bottom = 56.0, width - 24.0, 10.0, height - 26.0
    if right - left < 40 or bottom - top < 40:
        raise ValueError(f"a {width}x{height} chart leaves no room to plot")
    if max_points < 4:
        raise ValueError("max_points must be at least 4")
    kind_class = _class_token(kind, "line")

    seq: list[Point | None] = []
    x_values: list[float] = []
    for raw_x, raw_y in zip(xs, ys, strict=False):
        x, y = _reading(raw_x), _reading(raw_y)
        if x is not None:
            x_values.append(x)
        seq.append((x, y) if x is not None and y is not None else None)
    readings = sorted(p[1] for p in seq if p is not None)
    if not readings:
        return _empty("chart-series", width, height, title)

    x_lo, x_hi = min(x_values), max(x_values)
    x_range = (x_lo, x_hi) if x_hi / 2 - x_lo / 2 > 0 else _padded(x_lo, x_hi, 0.0)
    y_low, y_high = _percentile(readings, 0.02), _percentile(readings, 0.98)
    y_range = _padded(y_low, y_high, 0.05)
    sx = _Scale(*x_range, left, right)
    sy = _Scale(*y_range, top, bottom) if invert_y else _Scale(*y_range, bottom, top)

    parts: list[str] = []
    for value in _ticks(*y_range, 3, 5, 4):
        py = sy(value)
        parts.append(_line("chart-grid", left, py, right, py))
        parts.append(_text("chart-tick", left - 6, py + 4, y_format(value), "end"))
    for value in _ticks(*x_range, 4, 6, 5):
        parts.append(_text("chart-tick", sx(value), height - 8, x_format(value), "middle"))
    parts.append(_line("chart-axis", left, top, left, bottom))
    parts.append(_line("chart-axis", left, bottom, right, bottom))

    runs = _segments(None if p is None else (sx(p[0]), sy(p[1])) for p in _downsample(seq, max_points))
    if kind_class == "elevation":
        base = sy(y_range[1]) if invert_y else sy(y_range[0])
        for run in runs:
            if len(run) > 1:
                area = [*run, (run[-1][0], base), (run[0][0], base)]
                parts.append(f'<polygon class="chart-area chart-area-elevation" points="{_points(area)}"/>')
    line_class = f"chart-line chart-line-{kind_class}"
    parts += [_polyline(line_class, run, left, right) for run in runs]

    gaps = len(_segments(seq)) - 1
    usual_low = readings[round(0.02 * (len(readings) - 1))]  # real readings, not interpolated ones
    usual_high = readings[round(0.98 * (len(readings) - 1))]
    label = (
        f"{title}, {x_format(x_lo)} to {x_format(x_hi)}: "
        f"mostly between {y_format(usual_low)} and {y_format(usual_high)}"
        + (f", with {gaps} gap{'s' if gaps > 1 else ''} in the readings" if gaps else "")
    )
    return _svg("chart-series", width, height, title, label, parts)


# --- route ---------------------------------------------------------------------------------------


def route_svg(lats: Sequence[float], lons: Sequence[float], *, title: str, size: int = 320) -> str:
    """The route drawn from its GPS points (no map tiles: the service is offline).

    Equirectangular, longitude scaled by cos(mean latitude), one scale for both axes so the shape
    is true, north up. Points without a fix break the line.
    """
    if size < 40:
        raise ValueError("a route needs at least 40 pixels")
    seq: list[Point | None] = []
    for raw_lat, raw_lon in zip(lats, lons, strict=False):
        lat, lon = _reading(raw_lat), _reading(raw_lon)
        if lat is not None and lon is not None and -90 <= lat <= 90 and -180 <= lon <= 180:
            seq.append((lat, lon))
        else:
            seq.append(None)  # no fix: the line breaks here
    fixes = [p for p in seq if p is not None]
    if len(fixes) < 2:
        return _empty("chart-route", size, size, title, "No GPS track")

    lon_values = [lon for _, lon in fixes]
    wraps = max(lon_values) - min(lon_values) > 180  # crosses the antimeridian: draw it in one piece
    k = math.cos(math.radians(math.fsum(lat for lat, _ in fixes) / len(fixes)))

    def project(fix: Point) -> Point:
        lat, lon = fix
        if wraps and lon < 0:
            lon += 360
        return lon * k, lat

    projected = [project(p) for p in fixes]
    min_x, max_x = min(x for x, _ in projected), max(x for x, _ in projected)
    min_y, max_y = min(y for _, y in projected), max(y for _, y in projected)
    span_x, span_y = max_x - min_x, max_y - min_y
    pad = max(10.0, size * 0.06)
    room = size - 2 * pad
    # Under a micro-degree (0.1 m) the watch stood still: one dot in the middle, not an infinite zoom.
    scale = room / max(span_x, span_y) if max(span_x, span_y) > 1e-6 else 0.0
    off_x = pad + (room - span_x * scale) / 2
    off_y = pad + (room - span_y * scale) / 2

    def to_pixels(fix: Point) -> Point:
        x, y = project(fix)
        return off_x + (x - min_x) * scale, off_y + (max_y - y) * scale

    parts = [
        f'<polyline class="route-line" points="{_points(to_pixels(p) for p in run)}"/>'
        for run in _segments(_thin(seq, _ROUTE_MAX_POINTS))
        if len(run) > 1
    ]
    radius = _n(max(3.0, size / 64))
    for cls, name, fix in (("route-start", "Start", fixes[0]), ("route-end", "Finish", fixes[-1])):
        x, y = to_pixels(fix)
        parts.append(f'<circle class="{cls}" cx="{_n(x)}" cy="{_n(y)}" r="{radius}"><title>{name}</title></circle>')

    (x0, y0), (x1, y1) = project(fixes[0]), project(fixes[-1])
    apart = math.hypot(x1 - x0, y1 - y0) * KM_PER_DEGREE
    label = (
        f"{title}: map of the route, about {span_x * KM_PER_DEGREE:.1f} km east to west and "
        f"{span_y * KM_PER_DEGREE:.1f} km north to south, finishing {apart:.1f} km from the start"
    )
    return _svg("chart-route", size, size, title, label, parts)


# --- calendar heat map ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Day:
    """One calendar day as the heat map needs it."""

    day: date
    distance_km: float  # running distance that day (0 on a rest day)
    cooldown_done: bool  # a cool-down was completed that day
    discomfort: int | None = None  # highest score logged that day


def _merge_days(a: Day, b: Day) -> Day:
    """Two entries for one date add up rather than one hiding the other."""
    scores = [s for s in (a.discomfort, b.discomfort) if s is not None]
    km = (_reading(a.distance_km) or 0.0) + (_reading(b.distance_km) or 0.0)
    return Day(a.day, km, a.cooldown_done or b.cooldown_done, max(scores) if scores else None)


def _heat_level(km: float) -> int:
    """0 for no run, then one level per threshold passed (>0, >=5, >=10, >=16 km)."""
    if not km > _HEAT_THRESHOLDS_KM[0]:
        return 0
    return sum(km >= t for t in _HEAT_THRESHOLDS_KM[1:]) + 1


def _day_title(day: date, entry: Day | None, units: str) -> str:
    km = max(0.0, _reading(entry.distance_km) or 0.0) if entry else 0.0
    facts = [f"{_distance(km, units)} run" if km > 0 else "rest day"]
    if entry and entry.cooldown_done:
        facts.append("cool-down done")
    if entry and entry.discomfort is not None:
        facts.append(f"discomfort {entry.discomfort}/10")
    return f"{_long_date(day)}: " + ", ".join(facts)


def heatmap(days: Sequence[Day], *, end: date, weeks: int = 53, units: str = "km") -> str:
    """A calendar heat map of runs and cool-downs, GitHub-style, weeks as columns, Monday at the top.

    Level classes follow distance in km whatever `units` says; only the words use miles.
    """
    _check_units(units)
    if weeks < 1:
        raise ValueError("weeks must be at least 1")
    cell, pitch, left, top = 11.0, 13.0, 24.0, 18.0
    width, height = left + max(weeks, 3) * pitch + 4, top + 7 * pitch + 4  # 3 columns at least: room for a month
    first = end - timedelta(days=end.weekday(), weeks=weeks - 1)
    title = f"Runs and cool-downs, {weeks} weeks to {_long_date(end)}"

    by_date: dict[date, Day] = {}
    for entry in days:
        if first <= entry.day <= end:
            known = by_date.get(entry.day)
            by_date[entry.day] = entry if known is None else _merge_days(known, entry)
    if not by_date:
        return _empty("chart-heatmap", width, height, title)

    parts: list[str] = []
    starts = [col for col in range(weeks) if col == 0 or (first + timedelta(weeks=col)).day <= 7]
    for i, col in enumerate(starts):
        if i == 0 and len(starts) > 1 and starts[1] - col < 3:
            continue  # a partial first month would print over the next month's name
        month = (first + timedelta(weeks=col)).month
        parts.append(_text("chart-tick", left + col * pitch, top - 6, _MONTH_NAMES[month - 1]))
    for row, name in ((0, "M"), (2, "W"), (4, "F")):
        parts.append(_text("chart-tick", left - 5, top + row * pitch + 9, name, "end"))

    run_days = cooldowns = 0
    total_km = 0.0
    for offset in range((end - first).days + 1):
        day = first + timedelta(days=offset)
        col, row = divmod(offset, 7)
        x, y = left + col * pitch, top + row * pitch
        entry = by_date.get(day)
        km = max(0.0, _reading(entry.distance_km) or 0.0) if entry else 0.0
        level = _heat_level(km)
        run_days += level > 0
        total_km += km
        parts.append(
            f'<rect class="heat heat-{level}" x="{_n(x)}" y="{_n(y)}" width="{_n(cell)}" height="{_n(cell)}">'
            f"<title>{_esc(_day_title(day, entry, units))}</title></rect>"
        )
        if entry and entry.cooldown_done:
            cooldowns += 1
            parts.append(f'<circle class="heat-cooldown" cx="{_n(x + cell / 2)}" cy="{_n(y + cell / 2)}" r="2"/>')

    label = (
        f"{title}: {run_days} day{'' if run_days == 1 else 's'} with a run, {_distance(total_km, units)} in all; "
        f"{cooldowns} cool-down{'' if cooldowns == 1 else 's'} done"
    )
    return _svg("chart-heatmap", width, height, title, label, parts)


# --- weekly distance, load and discomfort --------------------------------------------------------


@dataclass(frozen=True)
class Week:
    """One training week as the weekly chart needs it."""

    start: date  # the Monday
    distance_km: float
    load: float  # training load points (TRIMP)
    discomfort_max: int | None  # highest discomfort logged that week, None if none logged


def weekly_chart(weeks: Sequence[Week], *, units: str = "km", width: int = 640, height: int = 220) -> str:
    """Weekly distance (bars) and load (line) against discomfort (dots) on one time axis.

    Weeks sit on the calendar, so a missing week leaves a gap instead of closing up. Distance uses
    the left axis; load (scaled to its own maximum) and discomfort (0-10) share the right.
    """
    _check_units(units)
    left, right, top, bottom = 48.0, width - 58.0, 26.0, height - 22.0
    if right - left < 60 or bottom - top < 40:
        raise ValueError(f"a {width}x{height} chart leaves no room to plot")
    title = "Weekly distance, load and discomfort"
    rows = sorted(weeks, key=lambda w: w.start)
    per_unit = KM_PER_MILE if units == "mi" else 1.0
    distances = [None if (v := _reading(w.distance_km)) is None else max(0.0, v) / per_unit for w in rows]
    loads = [None if (v := _reading(w.load)) is None else max(0.0, v) for w in rows]
    scores = [None if w.discomfort_max is None else min(10, max(0, w.discomfort_max)) for w in rows]
    if all(v is None for v in (*distances, *loads, *scores)):
        return _empty("chart-weekly", width, height, title)

    first = monday(rows[0].start)
    slots = (monday(rows[-1].start) - first).days // 7 + 1
    slot = (right - left) / slots
    centres = [left + ((monday(w.start) - first).days // 7 + 0.5) * slot for w in rows]
    divisions = 5
    dist_top = _nice_top(max((d for d in distances if d is not None), default=0.0), divisions)
    load_top = _nice_top(max((v for v in loads if v is not None), default=0.0), divisions)

    def height_of(value: float, top_value: float) -> float:
        return (bottom - top) * min(1.0, value / top_value)

    # The legend ends at the recent end: a phone opens this chart scrolled there (history.html's chart-scroll).
    key = max(left, right - 290)
    parts = [
        f'<rect class="chart-bar" x="{_n(key)}" y="6" width="10" height="10"/>',
        _text("chart-legend", key + 14, 15, f"Distance ({units})"),
        _line("chart-line chart-line-load", key + 110, 11, key + 126, 11),
        _text("chart-legend", key + 130, 15, "Load"),
        f'<circle class="chart-dot chart-dot-discomfort" cx="{_n(key + 180)}" cy="11" r="3.5"/>',
        _text("chart-legend", key + 188, 15, "Discomfort (0-10)"),
    ]
    for i in range(divisions + 1):
        y = bottom - (bottom - top) * i / divisions
        if i:
            parts.append(_line("chart-grid", left, y, right, y))
        parts.append(_text("chart-tick", left - 5, y + 4, f"{_number(dist_top * i / divisions)} {units}", "end"))
        if any(v is not None for v in loads):
            parts.append(_text("chart-tick", right + 4, y + 4, _number(load_top * i / divisions)))
        if any(s is not None for s in scores):
            parts.append(_text("chart-tick", width - 4, y + 4, str(10 * i // divisions), "end"))
    parts.append(_line("chart-axis", left, bottom, right, bottom))
    every = max(1, math.ceil(slots / max(1, int((right - left) // 56))))
    for w, x in zip(rows, centres, strict=True):
        if ((monday(w.start) - first).days // 7) % every == 0:
            parts.append(_text("chart-tick", x, height - 6, _short_date(monday(w.start)), "middle"))

    bar_width = max(1.0, slot * 0.7)
    for w, x, km, load, score in zip(rows, centres, distances, loads, scores, strict=True):
        if km is None:
            continue
        h = height_of(km, dist_top)
        words = [
            f"Week of {_short_date(w.start)}: {km:.1f} {units}",
            "no load recorded" if load is None else f"load {load:.0f}",
            "no discomfort logged" if score is None else f"discomfort up to {score}/10",
        ]
        parts.append(
            f'<rect class="chart-bar" x="{_n(x - bar_width / 2)}" y="{_n(bottom - h)}" width="{_n(bar_width)}" '
            f'height="{_n(h)}"><title>{_esc(", ".join(words))}</title></rect>'
        )

    load_seq: list[Point | None] = []
    previous_slot = None
    for w, x, load in zip(rows, centres, loads, strict=True):
        this_slot = (monday(w.start) - first).days // 7
        if previous_slot is not None and this_slot - previous_slot > 1:
            load_seq.append(None)  # a week with no entry is not a week of zero load
        previous_slot = this_slot
        load_seq.append(None if load is None else (x, bottom - height_of(load, load_top)))
    parts += [_polyline("chart-line chart-line-load", run, left, right) for run in _segments(load_seq)]

    for w, x, score in zip(rows, centres, scores, strict=True):
        if score is not None:
            cy = bottom - (bottom - top) * score / 10
            parts.append(
                f'<circle class="chart-dot chart-dot-discomfort" cx="{_n(x)}" cy="{_n(cy)}" r="3.5">'
                f"<title>{_esc(f'Week of {_short_date(w.start)}: discomfort up to {score}/10')}</title></circle>"
            )

    known = [d for d in distances if d is not None]
    facts = [f"{len(rows)} week{'' if len(rows) == 1 else 's'} from {_short_date(first)} {first.year}"]
    if known:
        facts.append(f"{sum(known) / len(known):.1f} {units} a week on average, most {max(known):.1f} {units}")
    if any(v is not None for v in loads):
        facts.append(f"highest load {max(v for v in loads if v is not None):.0f}")
    top_score = max((s for s in scores if s is not None), default=None)
    facts.append("no discomfort logged" if top_score is None else f"discomfort up to {top_score}/10")
    return _svg("chart-weekly", width, height, title, f"{title}: " + "; ".join(facts), parts)


# --- this week's load against the usual ----------------------------------------------------------


def load_bars(last_7: float, weekly_average_28: float, *, width: int = 320) -> str:
    """This week's load next to the average week of the last four (two horizontal bars, labelled)."""
    height, label_width, value_width, bar_height = 64.0, 88.0, 44.0, 20.0
    room = width - label_width - value_width - 4
    if room < 40:
        raise ValueError("load bars need at least 176 pixels")
    title = "Training load: this week and your average week"
    week, usual = _reading(last_7), _reading(weekly_average_28)
    if week is None and usual is None:
        return _empty("chart-load", width, height, title)
    week = None if week is None else max(0.0, week)
    usual = None if usual is None else max(0.0, usual)
    longest = max(v for v in (week, usual) if v is not None) or 1.0

    parts: list[str] = []
    for y, name, cls, value in (
        (8.0, "This week", "chart-bar-week", week),
        (36.0, "Average week", "chart-bar-usual", usual),
    ):
        parts.append(_text("chart-legend", label_width - 6, y + 14, name, "end"))
        if value is None:
            parts.append(_text("chart-tick", label_width, y + 14, "no data"))
            continue
        length = room * value / longest
        parts.append(
            f'<rect class="chart-bar {cls}" x="{_n(label_width)}" y="{_n(y)}" width="{_n(length)}" '
            f'height="{_n(bar_height)}"><title>{_esc(f"{name}: load {value:.0f}")}</title></rect>'
        )
        parts.append(_text("chart-tick", label_width + length + 4, y + 14, f"{value:.0f}"))

    if week is None:
        label = f"This week's load is not known; your average week {usual:.0f}"
    elif usual is None:
        label = f"This week's load {week:.0f}; no average week to compare with"
    elif usual > 0:
        label = f"This week {week / usual:.1f} times your average week (load {week:.0f} against {usual:.0f})"
    elif week > 0:
        label = f"Load {week:.0f} this week, after no load in the last four weeks"
    else:
        label = "No training load this week or in the last four weeks"
    return _svg("chart-load", width, height, title, label, parts)
