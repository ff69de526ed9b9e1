"""The dashboard's charts: inline SVG that a strict Content-Security-Policy accepts and that never lies.

Each chart is one `<svg>` root with an accessible name, styled only by class names, with every
text value escaped. Missing readings are gaps, not zeros, and nothing is drawn outside the viewBox.
"""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from recovery.charts import KM_PER_MILE, Day, Week, heatmap, line_chart, load_bars, route_svg, weekly_chart

HOSTILE = "<script>alert('x')</script> & \"quoted\""
END = date(2026, 11, 24)  # a Tuesday


def clock(seconds: float) -> str:
    return f"{int(seconds) // 60}:{int(seconds) % 60:02d}"


def plain(value: float) -> str:
    return f"{value:.6g}"


def chart(
    ys: list[float | None],
    xs: list[float] | None = None,
    *,
    title: str = "Heart rate",
    y_format: Callable[[float], str] = plain,
    x_format: Callable[[float], str] = clock,
    **options: Any,
) -> str:
    """A line chart of `ys`, one reading a second unless `xs` says otherwise."""
    xs = [float(i) for i in range(len(ys))] if xs is None else xs
    return line_chart(xs, ys, title=title, x_format=x_format, y_format=y_format, **options)


# --- reading the SVG back -------------------------------------------------------------------------


def local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def parse(svg: str) -> ET.Element:
    """Parse as XML and check what every chart promises: CSP-safe, accessible, one root."""
    assert isinstance(svg, str)
    root = ET.fromstring(svg)
    assert local(root.tag) == "svg"
    assert root.get("role") == "img"
    assert root.get("aria-label")
    assert root.get("preserveAspectRatio") == "xMidYMid meet"
    assert "chart" in root.get("class", "").split()
    assert len(root.get("class", "").split()) >= 2
    assert local(root[0].tag) == "title" and root[0].text
    viewbox(root)
    for element in root.iter():
        assert local(element.tag) not in ("style", "script", "foreignObject")
        for name in element.attrib:
            assert name != "style"
            assert not local(name).lower().startswith("on")
            assert "href" not in name
    assert "<script" not in svg.lower()
    return root


def viewbox(root: ET.Element) -> tuple[float, float, float, float]:
    x, y, w, h = (float(v) for v in root.get("viewBox", "").split())
    assert w > 0 and h > 0
    return x, y, w, h


def find(root: ET.Element, tag: str, cls: str | None = None) -> list[ET.Element]:
    """Elements by tag (and by one of their classes)."""
    return [e for e in root.iter() if local(e.tag) == tag and (cls is None or cls in e.get("class", "").split())]


def points(polyline: ET.Element) -> list[tuple[float, float]]:
    return [(float(x), float(y)) for x, y in (pair.split(",") for pair in polyline.get("points", "").split())]


def coordinates(root: ET.Element) -> Iterator[tuple[float, float]]:
    """Every drawn position: polyline and polygon vertices, circle centres, line ends, rect corners, text anchors."""
    for e in root.iter():
        tag = local(e.tag)
        if tag in ("polyline", "polygon"):
            yield from points(e)
        elif tag == "circle":
            yield float(e.get("cx", "0")), float(e.get("cy", "0"))
        elif tag == "line":
            yield float(e.get("x1", "0")), float(e.get("y1", "0"))
            yield float(e.get("x2", "0")), float(e.get("y2", "0"))
        elif tag == "rect":
            x, y = float(e.get("x", "0")), float(e.get("y", "0"))
            yield x, y
            yield x + float(e.get("width", "0")), y + float(e.get("height", "0"))
        elif tag == "text":
            yield float(e.get("x", "0")), float(e.get("y", "0"))


def assert_inside(root: ET.Element) -> None:
    x0, y0, w, h = viewbox(root)
    for x, y in coordinates(root):
        assert math.isfinite(x) and math.isfinite(y)
        assert x0 <= x <= x0 + w and y0 <= y <= y0 + h, (x, y, w, h)


def is_empty(root: ET.Element, message: str = "No data") -> bool:
    texts = find(root, "text", "chart-empty")
    return len(texts) == 1 and texts[0].text == message


def all_points(root: ET.Element, cls: str) -> list[tuple[float, float]]:
    return [p for line in find(root, "polyline", cls) for p in points(line)]


# --- every chart ---------------------------------------------------------------------------------


def every_chart(title: str) -> dict[str, str]:
    return {
        "line": chart([140, 150, None, 160], title=title),
        "route": route_svg([51.5, 51.51, 51.52], [-0.1, -0.11, -0.1], title=title),
        "heatmap": heatmap([Day(END, 8.0, True, 4)], end=END, weeks=4),
        "weekly": weekly_chart([Week(date(2026, 11, 2), 42.1, 310, 3)]),
        "load": load_bars(310, 220),
    }


@pytest.mark.parametrize("name", ["line", "route", "heatmap", "weekly", "load"])
def test_every_chart_is_one_csp_safe_accessible_svg_inside_its_viewbox(name: str) -> None:
    root = parse(every_chart("Morning run")[name])
    assert_inside(root)


def test_hostile_titles_are_escaped_in_the_title_and_the_aria_label() -> None:
    for name in ("line", "route"):
        svg = every_chart(HOSTILE)[name]
        root = parse(svg)
        assert root[0].text == HOSTILE  # the parser gives back exactly what was asked for...
        assert HOSTILE in root.get("aria-label", "")
        assert "&lt;script&gt;" in svg and "&amp;" in svg and "&quot;quoted&quot;" in svg  # ...because it was escaped


def test_formatter_output_is_escaped_too() -> None:
    svg = chart([1.0, 2.0, 3.0], x_format=lambda v: "<b>&", y_format=lambda v: '"<i>"')
    root = parse(svg)
    assert {t.text for t in find(root, "text", "chart-tick")} == {"<b>&", '"<i>"'}
    assert "<b>" not in svg and "<i>" not in svg


def test_empty_input_says_no_data_instead_of_raising() -> None:
    for svg in (
        chart([]),
        chart([None, math.nan, math.inf]),
        line_chart([], [], title="Pace", x_format=clock, y_format=clock, invert_y=True, kind="pace"),
        heatmap([], end=END),
        weekly_chart([]),
        load_bars(math.nan, math.nan),
    ):
        assert is_empty(parse(svg))
    assert is_empty(parse(route_svg([], [], title="Route")), "No GPS track")
    assert is_empty(parse(route_svg([51.5], [-0.1], title="Route")), "No GPS track")
    assert is_empty(parse(route_svg([51.5, math.nan], [-0.1, 0.2], title="Route")), "No GPS track")


# --- line charts ---------------------------------------------------------------------------------


def test_a_line_has_its_kind_in_its_class_grid_lines_ticks_and_axes() -> None:
    root = parse(chart([140.0 + i % 30 for i in range(2700)], kind="hr"))
    assert root.get("aria-label") == "Heart rate, 0:00 to 44:59: mostly between 140 and 169"
    assert len(find(root, "polyline", "chart-line-hr")) == 1
    assert all("chart-line" in line.get("class", "").split() for line in find(root, "polyline"))
    y_ticks = [t for t in find(root, "text", "chart-tick") if t.get("text-anchor") == "end"]
    x_ticks = [t for t in find(root, "text", "chart-tick") if t.get("text-anchor") == "middle"]
    assert 3 <= len(find(root, "line", "chart-grid")) == len(y_ticks) <= 5
    assert 4 <= len(x_ticks) <= 6
    assert [t.text for t in x_ticks][:2] == ["0:00", "10:00"]  # round minutes when x is in seconds
    assert find(root, "line", "chart-axis")
    assert not find(root, "polygon")


def test_gaps_split_the_line_and_are_never_drawn_as_zero() -> None:
    for gap in (None, math.nan):
        root = parse(chart([150.0, 152.0, gap, 148.0, 149.0, 151.0]))
        lines = find(root, "polyline", "chart-line")
        assert [len(points(line)) for line in lines] == [2, 3]
        # The gap's x position (2 of 0..5) has no vertex at all, at zero or anywhere else.
        xs = {x for line in lines for x, _ in points(line)}
        assert len(xs) == 5
    # A real zero, by contrast, is drawn (clamped into the plot, far below the other readings).
    zero = parse(chart([150.0, 152.0, 0.0, 148.0, 149.0, 151.0]))
    assert [len(points(line)) for line in find(zero, "polyline", "chart-line")] == [6]


def test_a_lone_reading_between_gaps_still_shows() -> None:
    root = parse(chart([None, 150.0, None, 140.0, 141.0]))
    lone, rest = find(root, "polyline", "chart-line")
    (x1, y1), (x2, y2) = points(lone)
    assert y1 == y2 and 0 < x2 - x1 <= 2
    assert len(points(rest)) == 2


def test_pace_is_inverted_so_faster_plots_higher() -> None:
    slow_then_fast = [330.0, 320.0, 300.0, 280.0, 270.0]  # seconds per km, falling: getting faster
    pace = all_points(parse(chart(slow_then_fast, invert_y=True, kind="pace", y_format=clock)), "chart-line-pace")
    assert [y for _, y in pace] == sorted((y for _, y in pace), reverse=True)  # rising (SVG y grows downwards)
    hr = all_points(parse(chart(slow_then_fast, kind="hr")), "chart-line-hr")
    assert [y for _, y in hr] == sorted(y for _, y in hr)  # without inversion, falling values fall


def test_elevation_is_filled_underneath() -> None:
    root = parse(chart([10.0, 12.0, 15.0, None, 14.0, 11.0], kind="elevation", y_format=lambda v: f"{v:.0f} m"))
    areas = find(root, "polygon", "chart-area-elevation")
    assert len(areas) == 2 and all("chart-area" in a.get("class", "").split() for a in areas)
    assert len(find(root, "polyline", "chart-line-elevation")) == 2


def test_one_gps_spike_does_not_flatten_the_chart() -> None:
    ys = [300.0 + (i % 20) for i in range(500)]
    ys[250] = 3000.0  # standing at a crossing: pace goes through the roof
    root = parse(chart(ys, invert_y=True, kind="pace"))
    _, _, _, height = viewbox(root)
    normal = [y for x, y in all_points(root, "chart-line-pace")]
    spread = max(normal) - min(normal)
    assert spread > 0.6 * height  # the ordinary readings still use most of the height
    assert_inside(root)


def test_long_series_are_downsampled_keeping_their_spikes() -> None:
    ys: list[float | None] = [150.0 + math.sin(i / 50) * 10 for i in range(20_000)]
    ys[12_345] = 190.0  # a single-sample spike, beyond the robust range: clamped to the top edge
    ys[5_000:5_100] = [None] * 100
    full = parse(chart(ys, max_points=100_000))
    small = parse(chart(ys, max_points=600))
    vertices = all_points(small, "chart-line")
    assert len(vertices) <= 600
    assert len(find(small, "polyline", "chart-line")) == 2  # the gap survives
    assert min(y for _, y in vertices) == min(y for _, y in all_points(full, "chart-line"))


def test_constant_and_single_readings_sit_inside_the_plot() -> None:
    for ys in ([150.0] * 10, [150.0], [0.0, 0.0], [-1e308, 1e308, 5.0]):
        root = parse(chart(ys))
        assert find(root, "polyline", "chart-line")
        assert_inside(root)


readings = st.one_of(
    st.none(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.floats(min_value=-1e6, max_value=1e6),
)


@settings(max_examples=80, deadline=None)
@given(
    ys=st.lists(readings, max_size=120),
    invert=st.booleans(),
    kind=st.sampled_from(["pace", "hr", "elevation"]),
    max_points=st.integers(min_value=4, max_value=200),
    random_x=st.booleans(),
    data=st.data(),
)
def test_any_series_draws_inside_the_viewbox_or_says_no_data(
    ys: list[float | None], invert: bool, kind: str, max_points: int, random_x: bool, data: st.DataObject
) -> None:
    xs = (
        data.draw(st.lists(st.floats(allow_nan=True), min_size=len(ys), max_size=len(ys)))
        if random_x
        else [float(i) for i in range(len(ys))]
    )
    root = parse(chart(ys, xs, invert_y=invert, kind=kind, max_points=max_points))
    assert_inside(root)
    usable = sum(1 for x, y in zip(xs, ys, strict=True) if math.isfinite(x) and y is not None and math.isfinite(y))
    assert is_empty(root) == (usable == 0)
    vertices = all_points(root, "chart-line")
    assert len(vertices) <= max(max_points, usable) * 2  # lone readings become 2-pixel dashes


# --- the route -----------------------------------------------------------------------------------


def test_the_route_is_north_up_with_start_and_finish_markers() -> None:
    root = parse(route_svg([60.0, 60.005, 60.01], [10.0, 10.01, 10.02], title="Northeast"))
    (start,), (end,) = find(root, "circle", "route-start"), find(root, "circle", "route-end")
    assert float(end.get("cy", "0")) < float(start.get("cy", "0"))  # north is up
    assert float(end.get("cx", "0")) > float(start.get("cx", "0"))  # east is right
    assert len(find(root, "polyline", "route-line")) == 1
    assert root.get("viewBox") == "0 0 320 320"


def test_longitude_is_scaled_by_the_cosine_of_latitude() -> None:
    # At 60°N a degree of longitude is half a degree of latitude on the ground: this is a square.
    lats = [60.0, 60.0, 60.01, 60.01, 60.0]
    lons = [10.0, 10.02, 10.02, 10.0, 10.0]
    (line,) = find(parse(route_svg(lats, lons, title="Block")), "polyline", "route-line")
    xs, ys = [x for x, _ in points(line)], [y for _, y in points(line)]
    assert max(xs) - min(xs) == pytest.approx(max(ys) - min(ys), abs=0.2)


def test_a_lost_fix_breaks_the_route() -> None:
    root = parse(route_svg([51.5, 51.501, math.nan, 51.503, 51.504], [0.0, 0.001, math.nan, 0.003, 0.004], title="R"))
    assert [len(points(line)) for line in find(root, "polyline", "route-line")] == [2, 2]


def test_long_routes_are_thinned_but_keep_both_ends() -> None:
    n = 10_000
    lats = [51.5 + 0.02 * math.sin(i / 900) for i in range(n)]
    lons = [-0.1 + 0.03 * math.cos(i / 900) for i in range(n)]
    root = parse(route_svg(lats, lons, title="Long"))
    (line,) = find(root, "polyline", "route-line")
    route = points(line)
    assert len(route) <= 1500
    (start,), (end,) = find(root, "circle", "route-start"), find(root, "circle", "route-end")
    assert route[0] == (float(start.get("cx", "0")), float(start.get("cy", "0")))
    assert route[-1] == (float(end.get("cx", "0")), float(end.get("cy", "0")))


latitudes = st.floats(min_value=-89.9, max_value=89.9)
longitudes = st.floats(min_value=-179.9, max_value=179.9)


@st.composite
def tracks(draw: st.DrawFn) -> tuple[list[float], list[float]]:
    """Runs somewhere on Earth (not across the antimeridian), with lost fixes, or standing still."""
    lat0, lon0 = draw(latitudes), draw(longitudes)
    if draw(st.booleans()):
        n = draw(st.integers(min_value=0, max_value=50))
        return [lat0] * n, [lon0] * n  # the watch never moved
    steps = draw(st.lists(st.tuples(st.floats(-0.01, 0.01), st.floats(-0.01, 0.01), st.booleans()), max_size=80))
    lats, lons = [], []
    for dlat, dlon, lost in steps:
        lat0, lon0 = min(89.9, max(-89.9, lat0 + dlat)), min(179.9, max(-179.9, lon0 + dlon))
        lats.append(math.nan if lost else lat0)
        lons.append(lon0)
    return lats, lons


@settings(max_examples=80, deadline=None)
@given(track=tracks(), size=st.integers(min_value=40, max_value=800))
def test_any_track_draws_inside_the_square_or_says_no_gps_track(
    track: tuple[list[float], list[float]], size: int
) -> None:
    lats, lons = track
    root = parse(route_svg(lats, lons, title="Anywhere", size=size))
    assert root.get("viewBox") == f"0 0 {size} {size}"
    assert_inside(root)
    fixes = sum(1 for lat in lats if math.isfinite(lat))
    assert is_empty(root, "No GPS track") == (fixes < 2)
    if fixes >= 2:
        assert len(find(root, "circle", "route-start")) == len(find(root, "circle", "route-end")) == 1


# --- the calendar heat map -----------------------------------------------------------------------


def titles(root: ET.Element, cls: str) -> list[str]:
    """The tooltips of the rects of a class (legend swatches have none)."""
    return [c.text or "" for e in find(root, "rect", cls) for c in e if local(c.tag) == "title"]


def test_the_heat_map_has_one_cell_per_day_ending_on_end() -> None:
    root = parse(heatmap([Day(END, 8.2, True)], end=END, weeks=53))
    cells = find(root, "rect", "heat")
    assert len(cells) == 52 * 7 + END.weekday() + 1
    names = titles(root, "heat")
    assert names[0].startswith("Mon 24 Nov 2025: ")  # the first column starts on a Monday
    assert names[-1] == "Tue 24 Nov 2026: 8.2 km run, cool-down done"
    assert names[-2] == "Mon 23 Nov 2026: rest day"  # days not given are rest days
    first_column = {c.get("x") for c in cells[:7]}
    assert len(first_column) == 1
    assert [c.get("y") for c in cells[:7]] == sorted({c.get("y") for c in cells[:7]}, key=float)  # Monday on top
    assert [t.text for t in find(root, "text", "chart-tick") if t.text in ("M", "W", "F")] == ["M", "W", "F"]
    months = [t.text for t in find(root, "text", "chart-tick") if t.text not in ("M", "W", "F")]
    assert "Jan" in months and months[-1] == "Nov"
    assert_inside(root)


def test_heat_levels_follow_distance_in_km() -> None:
    distances = [0.0, 0.1, 4.99, 5.0, 9.9, 10.0, 15.9, 16.0, 42.2]
    days = [Day(END - timedelta(days=len(distances) - 1 - i), km, False) for i, km in enumerate(distances)]
    root = parse(heatmap(days, end=END, weeks=2))
    levels = [c.get("class") for c in find(root, "rect", "heat")][-len(distances) :]
    assert levels == [f"heat heat-{n}" for n in (0, 1, 1, 2, 2, 3, 3, 4, 4)]


def test_heat_titles_name_cool_downs_discomfort_and_miles() -> None:
    days = [
        Day(date(2026, 11, 3), 8.2, True, 4),
        Day(date(2026, 11, 4), 0.0, True),
        Day(date(2026, 11, 5), KM_PER_MILE * 5, False, 0),
    ]
    root = parse(heatmap(days, end=date(2026, 11, 8), weeks=1))
    assert titles(root, "heat")[1:4] == [
        "Tue 3 Nov 2026: 8.2 km run, cool-down done, discomfort 4/10",
        "Wed 4 Nov 2026: rest day, cool-down done",
        "Thu 5 Nov 2026: 8.0 km run, discomfort 0/10",
    ]
    assert len(find(root, "circle", "heat-cooldown")) == 2
    miles = parse(heatmap(days, end=date(2026, 11, 8), weeks=1, units="mi"))
    assert titles(miles, "heat")[3] == "Thu 5 Nov 2026: 5.0 mi run, discomfort 0/10"
    assert [c.get("class") for c in find(miles, "rect", "heat")][3] == "heat heat-2"  # still 8 km: level 2


def test_two_entries_for_one_day_add_up() -> None:
    root = parse(heatmap([Day(END, 3.0, False), Day(END, 4.0, True, 2)], end=END, weeks=1))
    assert titles(root, "heat")[-1] == "Tue 24 Nov 2026: 7.0 km run, cool-down done, discomfort 2/10"


def test_heat_map_rejects_unknown_units() -> None:
    with pytest.raises(ValueError, match="units"):
        heatmap([Day(END, 5, False)], end=END, units="furlongs")


@settings(max_examples=50, deadline=None)
@given(
    entries=st.lists(
        st.tuples(st.integers(0, 400), st.floats(allow_nan=True), st.booleans(), st.none() | st.integers(0, 10)),
        max_size=60,
    ),
    weeks=st.integers(1, 60),
)
def test_any_calendar_stays_inside_its_viewbox(entries: list[tuple[int, float, bool, int | None]], weeks: int) -> None:
    days = [Day(END - timedelta(days=ago), km, done, score) for ago, km, done, score in entries]
    root = parse(heatmap(days, end=END, weeks=weeks))
    assert_inside(root)
    if not is_empty(root):
        assert len(find(root, "rect", "heat")) == (weeks - 1) * 7 + END.weekday() + 1


# --- weekly chart and load bars ------------------------------------------------------------------


def weeks_of(*km: float, load: float = 300.0, discomfort: int | None = None) -> list[Week]:
    return [Week(date(2026, 9, 7) + timedelta(weeks=i), d, load, discomfort) for i, d in enumerate(km)]


def bar_heights(root: ET.Element) -> list[float]:
    return [float(bar.get("height", "0")) for bar in find(root, "rect", "chart-bar") if bar.find("*") is not None]


def test_week_bars_are_proportional_to_distance_in_either_unit() -> None:
    for units in ("km", "mi"):
        root = parse(weekly_chart(weeks_of(10.0, 20.0, 40.0), units=units))
        low, mid, high = bar_heights(root)
        assert mid == pytest.approx(2 * low, abs=0.2) and high == pytest.approx(4 * low, abs=0.2)
        assert_inside(root)
    mi = parse(weekly_chart(weeks_of(KM_PER_MILE * 26), units="mi"))
    assert titles(mi, "chart-bar")[0].startswith("Week of 7 Sep: 26.0 mi")


def test_week_titles_load_line_discomfort_dots_and_legend() -> None:
    weeks = [
        Week(date(2026, 11, 2), 42.1, 310.0, 3),
        Week(date(2026, 11, 9), 30.0, math.nan, None),
        Week(date(2026, 11, 16), 35.0, 280.0, 6),
        Week(date(2026, 11, 23), 20.0, 150.0, None),
    ]
    root = parse(weekly_chart(weeks))
    assert titles(root, "chart-bar") == [
        "Week of 2 Nov: 42.1 km, load 310, discomfort up to 3/10",
        "Week of 9 Nov: 30.0 km, no load recorded, no discomfort logged",
        "Week of 16 Nov: 35.0 km, load 280, discomfort up to 6/10",
        "Week of 23 Nov: 20.0 km, load 150, no discomfort logged",
    ]
    # The missing load splits the line rather than dropping it to zero.
    assert [len(points(line)) for line in find(root, "polyline", "chart-line-load")] == [2, 2]
    dots = find(root, "circle", "chart-dot-discomfort")
    plotted = [d for d in dots if d.find("*") is not None]
    assert len(plotted) == 2
    assert float(plotted[1].get("cy", "0")) < float(plotted[0].get("cy", "0"))  # 6/10 sits above 3/10
    assert len(dots) == 3  # plus the legend's
    legend = [t.text for t in find(root, "text", "chart-legend")]
    assert legend == ["Distance (km)", "Load", "Discomfort (0-10)"]
    assert "10" in [t.text for t in find(root, "text", "chart-tick")]


def test_a_week_without_an_entry_leaves_a_gap_on_the_time_axis() -> None:
    weeks = [Week(date(2026, 11, 2), 40, 300, None), Week(date(2026, 11, 16), 40, 300, None)]
    root = parse(weekly_chart(weeks))
    first, second = (float(b.get("x", "0")) for b in find(root, "rect", "chart-bar") if b.find("*") is not None)
    width = float(find(root, "rect", "chart-bar")[1].get("width", "0"))
    assert second - first > 2.5 * width  # room for the missing week between them
    assert len(find(root, "polyline", "chart-line-load")) == 2


@settings(max_examples=50, deadline=None)
@given(
    rows=st.lists(
        st.tuples(
            st.integers(0, 60), st.floats(allow_nan=True), st.floats(allow_nan=True), st.none() | st.integers(-3, 15)
        ),
        max_size=30,
    ),
    units=st.sampled_from(["km", "mi"]),
)
def test_any_weeks_stay_inside_the_viewbox(rows: list[tuple[int, float, float, int | None]], units: str) -> None:
    weeks = [Week(date(2026, 1, 5) + timedelta(weeks=w), km, load, score) for w, km, load, score in rows]
    root = parse(weekly_chart(weeks, units=units))
    assert_inside(root)


def test_load_bars_compare_this_week_with_the_average_week() -> None:
    root = parse(load_bars(310.0, 221.4))
    assert root.get("aria-label", "").startswith("This week 1.4 times your average week")
    (week,), (usual,) = find(root, "rect", "chart-bar-week"), find(root, "rect", "chart-bar-usual")
    assert float(week.get("width", "0")) / float(usual.get("width", "0")) == pytest.approx(310 / 221.4, rel=0.01)
    assert {"310", "221"} <= {t.text for t in find(root, "text", "chart-tick")}
    assert_inside(root)


@pytest.mark.parametrize(
    ("week", "usual", "said"),
    [
        (0.0, 0.0, "No training load"),
        (120.0, 0.0, "after no load"),
        (math.nan, 200.0, "not known"),
        (200.0, None, "no average week"),
    ],
)
def test_load_bars_say_what_they_can_when_a_side_is_missing_or_zero(
    week: float, usual: float | None, said: str
) -> None:
    root = parse(load_bars(week, usual))  # type: ignore[arg-type]  # None from a caller is tolerated
    assert said in root.get("aria-label", "")
    assert not is_empty(root)
    assert_inside(root)


def test_charts_are_deterministic_and_small() -> None:
    make: Callable[[], str] = lambda: chart([150.0 + i % 7 for i in range(5000)])  # noqa: E731
    assert make() == make()
    assert not re.search(r"\d\.\d\d", make())  # one decimal is enough
    assert len(make()) < 20_000
