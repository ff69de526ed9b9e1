"""At a phone's width (390 px), each page opens where a runner looks first: the recent end.

A real `recovery serve` and Debian's Chromium (see tests/browser.py). The
history charts keep their per-week detail and scroll sideways, so they must
open at today; a run's charts fit the width whole; the runs list is cards,
with nothing wider than the screen; and an upload through the page's file
input links the new run and refreshes the import log without a reload.
Screenshots go to test-output/screenshots/phone-*.png.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from recovery.synthetic import make_run, to_fit
from tests.browser import (
    PHONE,
    SCREENSHOTS,
    PageProblems,
    Server,
    gpx_run,
    need_browser,
    outdoor_fit_run,
    run_id_from,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

#: Where each chart's recent end is against its scroll container, and whether it fits without scrolling.
CHART_ENDS = """
(selector) => Array.from(document.querySelectorAll(selector)).map(function (svg) {
  var box = svg.parentElement;
  while (box && box !== document.body && getComputedStyle(box).overflowX === "visible") { box = box.parentElement; }
  var inner = box.getBoundingClientRect(), chart = svg.getBoundingClientRect();
  return {
    label: svg.getAttribute("aria-label").slice(0, 60),
    chartLeft: chart.left, chartRight: chart.right, boxLeft: inner.left, boxRight: inner.right,
    scrolls: box.scrollWidth > box.clientWidth + 1,
    scrollLeft: box.scrollLeft, clientWidth: box.clientWidth, scrollWidth: box.scrollWidth,
  };
})
"""


@dataclass(frozen=True)
class Dashboard:
    server: Server
    real_run_id: int

    def url(self, path: str) -> str:
        return self.server.url + path


@pytest.fixture(scope="module")
def dashboard(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Dashboard]:
    """A real 10 km run, and six months of made-up runs up to this morning (the real files are years old)."""
    need_browser()
    run = outdoor_fit_run()
    folder = tmp_path_factory.mktemp("phone")
    server = Server(folder / "server")
    real_run_id = run_id_from(server.import_file(run.path))
    recent = folder / "recent"
    recent.mkdir()
    today = datetime.now(UTC).replace(hour=7, minute=0, second=0, microsecond=0)
    for day in range(0, 180, 3):
        start = today - timedelta(days=day)
        made_up = make_run(day, start, duration_s=1500 + 40 * (day % 7) * 5, interval_s=10, pace_s_per_km=330)
        (recent / f"{start:%Y-%m-%d}.fit").write_bytes(to_fit(made_up))
    server.import_file(recent)
    server.start()
    try:
        yield Dashboard(server, real_run_id)
    finally:
        server.stop()


@pytest.fixture
def phone(browser: Browser, problems: PageProblems) -> Iterator[Page]:
    context = browser.new_context(viewport=PHONE, color_scheme="light")
    context.set_default_timeout(10_000)
    yield problems.watch(context.new_page())
    context.close()


def shoot(page: Page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"phone-{name}.png"
    path.unlink(missing_ok=True)
    page.screenshot(path=str(path), full_page=True, animations="disabled", caret="hide")
    assert path.read_bytes().startswith(b"\x89PNG\r\n\x1a\n") and path.stat().st_size > 8_000, path
    return path


def no_sideways_scroll(page: Page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{page.url} is {width} px wide at {PHONE['width']} px"


def shows_its_recent_end(chart: dict[str, Any]) -> bool:
    """The chart's right (recent) end is inside its visible box."""
    return bool(chart["chartRight"] <= chart["boxRight"] + 2)


def test_the_history_charts_scroll_but_open_at_this_week(
    dashboard: Dashboard, phone: Page, problems: PageProblems
) -> None:
    phone.goto(dashboard.url("/history"))
    charts = phone.evaluate(CHART_ENDS, "svg.chart-heatmap, svg.chart-weekly")
    assert len(charts) == 2, charts
    for chart in charts:
        assert chart["scrolls"], f"at 390 px the history charts keep their per-week detail and scroll: {chart}"
        assert shows_its_recent_end(chart), f"opens away from this week: {chart}"
        assert chart["chartLeft"] < chart["boxLeft"] - 50, f"the older weeks are further left, a scroll away: {chart}"
    # The weeks before are a swipe (or the arrow keys) away: the scroll box is focusable and scrolls left.
    box = phone.locator(".chart-scroll").first
    expect(box).to_have_attribute("tabindex", "0")
    box.evaluate("(el) => { el.scrollLeft = -10000; }")
    (oldest_end,) = phone.evaluate(CHART_ENDS, "svg.chart-heatmap")
    assert oldest_end["chartLeft"] >= oldest_end["boxLeft"] - 2, (
        f"scrolled all the way, the oldest week shows: {oldest_end}"
    )
    box.evaluate("(el) => { el.scrollLeft = 0; }")
    no_sideways_scroll(phone)
    shoot(phone, "history")
    problems.assert_none()


def test_a_runs_charts_fit_the_phone_whole(dashboard: Dashboard, phone: Page, problems: PageProblems) -> None:
    phone.goto(dashboard.url(f"/runs/{dashboard.real_run_id}"))
    charts = phone.evaluate(CHART_ENDS, ".run-charts svg.chart-series")
    assert len(charts) >= 2, charts  # pace and heart rate at least, from a Forerunner with a chest strap
    for chart in charts:
        assert not chart["scrolls"], f"a whole run fits at 390 px: {chart}"
        assert chart["chartLeft"] >= chart["boxLeft"] - 1 and shows_its_recent_end(chart), chart
    # Still readable: the axis labels are no smaller than 9 px on the screen.
    smallest = phone.evaluate(
        """() => Math.min.apply(null, Array.from(document.querySelectorAll('.run-charts svg.chart-series text'))
              .map(function (t) { return t.getBoundingClientRect().height; }))"""
    )
    assert smallest >= 9, f"chart labels are {smallest:.1f} px high"
    no_sideways_scroll(phone)
    shoot(phone, "run")
    problems.assert_none()


def test_the_runs_list_is_cards_on_a_phone_and_a_table_to_a_screen_reader(
    dashboard: Dashboard, phone: Page, problems: PageProblems
) -> None:
    phone.goto(dashboard.url("/runs"))
    no_sideways_scroll(phone)
    first = phone.locator("table.runs tbody tr").first
    assert first.evaluate("(el) => getComputedStyle(el).display") == "grid", "each run is a card"
    card = first.bounding_box()
    assert card is not None and card["width"] <= PHONE["width"] - 20
    text = first.inner_text()
    assert re.search(r"\w{3} \d{1,2} \w{3} \d{4}", text), text  # the date
    for shown in (r"\d+\.\d\d km", r"\d+:\d\d", r"\d+:\d\d /km", r"running|run"):
        assert re.search(shown, text, re.IGNORECASE), f"{shown!r} not on the card: {text!r}"
    labels = first.evaluate(
        "(row) => Array.from(row.cells).map(function (c) { return getComputedStyle(c, '::before').content; })"
    )
    assert any("Distance" in label for label in labels) and any("Pace" in label for label in labels), labels
    first.get_by_role("link").first.click()
    expect(phone).to_have_url(re.compile(r"/runs/\d+$"))
    phone.go_back()
    # Cards to the eye, a table to a screen reader: the header cells still name each figure.
    cdp = phone.context.new_cdp_session(phone)
    try:
        nodes = cdp.send("Accessibility.getFullAXTree")["nodes"]
    finally:
        cdp.detach()
    roles = [n.get("role", {}).get("value") for n in nodes if not n.get("ignored")]
    assert {"table", "row", "columnheader", "cell"} <= set(roles), sorted(set(roles))
    headers = {
        str(n.get("name", {}).get("value", "")) for n in nodes if n.get("role", {}).get("value") == "columnheader"
    }
    assert {"When", "Distance", "Time", "Pace"} <= headers, headers
    shoot(phone, "runs")
    problems.assert_none()


def test_an_upload_links_the_new_run_and_refreshes_the_log_without_a_reload(
    browser: Browser, tmp_path: Path, problems: PageProblems
) -> None:
    need_browser()
    run = gpx_run()
    server = Server(tmp_path / "server").start()
    context = browser.new_context(viewport=PHONE)
    try:
        page = problems.watch(context.new_page())
        page.goto(server.url + "/imports")
        expect(page.get_by_test_id("import-log-hint")).to_have_text("Nothing imported yet.")
        page.evaluate("window.__sameDocument = true")  # gone if the page reloads
        page.locator("#file-input").set_input_files([run.path])
        expect(page.locator("body")).to_have_attribute("data-uploaded", "yes", timeout=30_000)
        view = page.locator("#upload-runs a", has_text=re.compile(r"^View your \d+\.\d km run$"))
        expect(view).to_have_count(1)
        expect(page.locator("#upload-runs a", has_text="Open the cool-down")).to_have_count(1)
        log = page.get_by_test_id("import-log")
        expect(log.locator("tr.outcome-imported")).to_have_count(1)
        expect(log.locator("tr.outcome-imported td.path")).to_have_text(f"upload/{run.path.name}")
        expect(page.get_by_test_id("import-log-hint")).to_contain_text("The latest 1 entry.")
        assert page.evaluate("window.__sameDocument") is True, "the log refreshed by reloading the page"
        href = view.get_attribute("href")
        assert href and re.fullmatch(r"/runs/\d+", href)
        expect(log.locator("tr.outcome-imported").get_by_role("link", name="view")).to_have_attribute("href", href)

        # The same file again: the log says so in a new line, still without a reload, and never "0 entries".
        page.locator("#file-input").evaluate("(input) => { input.value = ''; }")
        page.evaluate("document.body.dataset.uploaded = 'no'")
        page.locator("#file-input").set_input_files([run.path])
        expect(page.locator("body")).to_have_attribute("data-uploaded", "yes", timeout=30_000)
        expect(log.locator("tr.outcome-duplicate")).to_have_count(1)
        expect(page.get_by_test_id("import-log-hint")).to_contain_text("The latest 2 entries.")
        assert "0 entries" not in page.locator("main").inner_text()
        assert page.evaluate("window.__sameDocument") is True
        no_sideways_scroll(page)

        expect(view).to_have_count(0)  # a duplicate is no new run
        log.locator("tr.outcome-imported").get_by_role("link", name="view").click()
        expect(page).to_have_url(re.compile(re.escape(href) + "$"))
        expect(page.locator("figure.route svg")).to_be_visible()
    finally:
        context.close()
        server.stop()
    problems.assert_none()
