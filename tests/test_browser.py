"""The dashboard in a real browser: what a runner sees and does, end to end.

Each test starts `recovery serve` on a fresh SQLite database (its own port,
its own folder, so `pytest -n 2` is safe) and drives Debian's Chromium
(/usr/bin/chromium) through Playwright. No browser is ever downloaded: without
Chromium these tests skip, or fail when RECOVERY_REQUIRE_BROWSER is set.

The guided timer runs with a test-only speed factor (`?speed=N`, allowed
because the server is started with RECOVERY_TIMER_SPEED_ALLOWED=1), so a
6-minute cool-down takes a few seconds. Screenshots of the main pages go to
test-output/screenshots/ (not committed); docs/refresh-screenshots.sh copies the
few the README shows to docs/images/.

The real files are years old, so Today leads with the warm-up after importing
one and keeps that run's cool-down one tap away (`open_cooldown` taps it
open); the fresh-run case imports a made-up run from two hours ago.

Every test also checks that no page logged a console error or threw: the
Content-Security-Policy forbids inline scripts, and a violation shows up as a
console error.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Locator, Page, expect

from recovery.access import ENV_ALLOWED_HOSTS
from recovery.store import Store
from recovery.synthetic import make_run, to_fit
from tests.browser import (
    CHROMIUM,
    CHROMIUM_ARGS,
    DESKTOP,
    PHONE,
    RECORD_TIMER_STATES,
    SCREENSHOTS,
    PageProblems,
    Server,
    gpx_run,
    need_browser,
    outdoor_fit_run,
    run_id_from,
    unnamed_controls,
)
from tests.manifest import Row

pytestmark = [pytest.mark.browser, pytest.mark.slow]

#: The timer's test-only speed factor for runs to the end: the ~6-minute cool-down takes ~7 s.
FAST = 50
TIMER_DONE_TIMEOUT_MS = 60_000


# -- fixtures -----------------------------------------------------------------------------------------------------


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[Callable[[], Server]]:
    """Start `recovery serve` on a fresh database in this test's own folder; stopped after the test."""
    need_browser()
    servers: list[Server] = []

    def start() -> Server:
        server = Server(tmp_path / f"server-{len(servers)}")
        servers.append(server)
        return server.start()

    yield start
    for server in servers:
        server.stop()


@dataclass(frozen=True)
class Coach:
    """A running dashboard with one real run imported through the command line."""

    server: Server
    run: Row
    run_id: int

    def url(self, path: str = "/") -> str:
        return self.server.url + path


@pytest.fixture
def coach(serve: Callable[[], Server]) -> Coach:
    run = outdoor_fit_run()
    server = serve()
    said = server.import_file(run.path)
    assert f"{run.path.name}: imported a" in said, said
    return Coach(server, run, run_id_from(said))


@pytest.fixture(scope="module")
def look_only(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Coach]:
    """One dashboard shared by the tests that only look at pages and change nothing."""
    need_browser()
    run = outdoor_fit_run()
    server = Server(tmp_path_factory.mktemp("look-only"))
    said = server.import_file(run.path)
    server.start()
    try:
        yield Coach(server, run, run_id_from(said))
    finally:
        server.stop()


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    context = browser.new_context(viewport=DESKTOP, color_scheme="light")
    context.set_default_timeout(10_000)
    yield context
    context.close()


@pytest.fixture
def page(context: BrowserContext, problems: PageProblems) -> Page:
    return problems.watch(context.new_page())


def timer_state(page: Page) -> Locator:
    return page.locator("body")


def snapshot(page: Page) -> tuple[str, str, str]:
    """What the timer shows: which stretch, which phase, the seconds left."""
    return (page.locator("#step-count").inner_text(), page.locator("#phase").inner_text(),
            page.locator("#clock").inner_text())  # fmt: skip


def open_cooldown(page: Page) -> None:
    """After an old run (the real files are years old) Today keeps its cool-down one tap away: tap it open."""
    later = page.locator("details#cooldown")
    if later.count() and later.get_attribute("open") is None:
        later.locator("> summary").click()
        expect(later).to_have_attribute("open", "")


def cooldown_names(page: Page) -> list[str]:
    open_cooldown(page)
    names = page.locator("#cooldown ol.routine h3").all_inner_texts()
    assert all(name.strip() for name in names)
    return names


def streak_on_today(page: Page, coach: Coach) -> str:
    page.goto(coach.url("/"))
    return page.get_by_test_id("streak-current").inner_text()


# -- 1. the whole guided cool-down ---------------------------------------------------------------------------------


def test_a_real_run_gets_a_cooldown_and_the_whole_guided_timer_moves_the_streak(
    coach: Coach, page: Page, problems: PageProblems
) -> None:
    # Today: the run just imported (years ago: its date and distance in a line), and its cool-down one tap
    # away, listed stretch by stretch.
    page.goto(coach.url("/"))
    said = page.get_by_test_id("last-run").inner_text()
    found = re.fullmatch(r"Your last run was on \w{3} \d{1,2} \w{3} \d{4} \((\d+\.\d) km\)\.", said)
    assert found, f"the last run reads {said!r}"
    assert coach.run.distance_m is not None
    assert abs(float(found.group(1)) * 1000 - coach.run.distance_m) <= 50
    assert page.get_by_test_id("streak-current").inner_text() == "0"
    names = cooldown_names(page)
    assert len(names) >= 4
    expect(page.locator("#cooldown .summary")).to_contain_text(f"{len(names)} stretches")
    start_link = page.get_by_role("link", name="Start the cool-down", exact=True)
    assert start_link.get_attribute("href") == f"/timer/{coach.run_id}"

    # The timer lists the same stretches, then runs them one by one (fast: a test-only speed factor).
    page.add_init_script(RECORD_TIMER_STATES)
    page.goto(coach.url(f"/timer/{coach.run_id}?speed={FAST}"))
    expect(timer_state(page)).to_have_attribute("data-timer-state", "intro")
    plan = page.locator(".plan-list li").all_inner_texts()
    assert [line.split(":")[0] for line in plan] == names
    page.locator("#start").click()
    expect(timer_state(page)).to_have_attribute("data-timer-state", "running")
    expect(page.locator("#step-count")).to_have_text(re.compile(rf"Stretch \d+ of {len(names)}"))

    # Pausing freezes the clock (which otherwise moves many times in half a second at this speed) ...
    before = snapshot(page)
    page.wait_for_timeout(500)
    assert snapshot(page) != before, "the timer should move while running"
    page.locator("#pause").click()
    expect(timer_state(page)).to_have_attribute("data-timer-state", "paused")
    expect(page.locator("#pause")).to_have_text("Resume")
    page.wait_for_timeout(100)  # the clock shows the paused value from its next tick (20 ms at this speed)
    frozen = snapshot(page)
    page.wait_for_timeout(500)
    assert snapshot(page) == frozen, "the clock moved while paused"
    # ... and resuming carries on.
    page.locator("#pause").click()
    expect(timer_state(page)).to_have_attribute("data-timer-state", "running")
    expect(page.locator("#pause")).to_have_text("Pause")

    # No skipping: the routine runs to its end and is saved.
    expect(timer_state(page)).to_have_attribute("data-timer-state", "done", timeout=TIMER_DONE_TIMEOUT_MS)
    seen = page.evaluate("window.__timerSeen")
    assert seen["state"] == ["intro", "running", "paused", "running", "saving", "done"]
    phases = {"ready", "work"} | ({"switch"} if any("each side" in line for line in plan) else set())
    assert phases <= set(seen["phase"]), seen["phase"]
    expect(page.locator("#done-title")).to_have_text("Routine complete")
    expect(page.get_by_test_id("done-message")).to_have_text(
        f"Well done: {len(names)} of {len(names)} stretches recorded."
    )
    expect(page.get_by_test_id("done-streak")).to_have_text("Cool-down streak: 1 run in a row (best 1).")

    # Every page agrees: today, the history and the run itself.
    assert streak_on_today(page, coach) == "1"
    expect(page.get_by_test_id("cooled")).to_be_visible()
    open_cooldown(page)
    expect(page.get_by_role("link", name="Start the cool-down again")).to_be_visible()
    page.goto(coach.url("/history"))
    expect(page.get_by_test_id("streak-current")).to_have_text("1")
    expect(page.get_by_test_id("streak-best")).to_have_text("1")
    expect(page.locator("figure.chart-figure svg[role=img]").first).to_be_visible()
    page.goto(coach.url(f"/runs/{coach.run_id}"))
    expect(page.locator("main")).to_contain_text(f"Cool-down: {len(names)} of {len(names)} stretches done")
    problems.assert_none()


def test_stopping_early_saves_what_was_done_but_under_half_does_not_count_toward_the_streak(
    coach: Coach, page: Page, problems: PageProblems
) -> None:
    page.goto(coach.url("/"))
    planned = len(cooldown_names(page))
    page.goto(coach.url(f"/timer/{coach.run_id}?speed=25"))
    page.locator("#start").click()
    # The first stretch runs to its end by itself; stop during the second.
    expect(page.locator("#step-count")).to_have_text(f"Stretch 2 of {planned}", timeout=20_000)
    page.locator("#stop").click()
    expect(timer_state(page)).to_have_attribute("data-timer-state", "done")
    expect(page.locator("#done-title")).to_have_text("Stopped early")
    message = page.get_by_test_id("done-message").inner_text()
    found = re.fullmatch(
        rf"(\d+) of {planned} recorded\. Do at least half for it to count toward your streak\.", message
    )
    assert found, message
    assert 1 <= int(found.group(1)) < planned / 2
    expect(page.get_by_test_id("done-streak")).to_have_text("Cool-down streak: 0 runs in a row (best 0).")

    # Recorded against the run, but the streak does not move and today still offers the cool-down.
    assert streak_on_today(page, coach) == "0"
    expect(page.get_by_test_id("cooled")).to_have_count(0)
    open_cooldown(page)
    expect(page.get_by_role("link", name="Start the cool-down", exact=True)).to_be_visible()
    page.goto(coach.url(f"/runs/{coach.run_id}"))
    expect(page.locator("main")).to_contain_text(f"Cool-down: {found.group(1)} of {planned} stretches done")
    problems.assert_none()


def test_the_strength_timer_repeats_a_planks_holds_with_a_rest_between(
    coach: Coach, page: Page, problems: PageProblems
) -> None:
    """Plank is 3 x 30 s, side plank 2 x 20 s each side: the timer runs every hold, not just one."""
    page.add_init_script(RECORD_TIMER_STATES)
    page.goto(coach.url(f"/timer/strength?speed={FAST}"))
    plan = page.locator(".plan-list li").all_inner_texts()
    assert "Plank: 3 x 30 s" in plan and "Side plank: 2 x 20 s, each side" in plan, plan
    page.locator("#start").click()
    # At this speed a rest lasts a tenth of a second: record every text #side shows rather than poll for it.
    page.evaluate("""() => {
      window.__sideSeen = [];
      var side = document.getElementById("side");
      new MutationObserver(function () { window.__sideSeen.push(side.textContent); })
        .observe(side, { childList: true, characterData: true, subtree: true });
    }""")
    expect(timer_state(page)).to_have_attribute("data-timer-state", "done", timeout=TIMER_DONE_TIMEOUT_MS)
    sides = page.evaluate("window.__sideSeen")
    assert "Next: hold 2 of 3" in sides and "Hold 2 of 2, second side" in sides, sides
    assert {"ready", "work", "rest", "switch"} <= set(page.evaluate("window.__timerSeen")["phase"])
    expect(page.locator("#done-title")).to_have_text("Routine complete")
    problems.assert_none()


# -- 1b. Today is about today ---------------------------------------------------------------------------------------


def lead_button(page: Page) -> Locator:
    """The page's first big button: what it leads with."""
    return page.locator("main a.button.primary.big").first


def test_today_after_an_old_import_offers_the_warmup_and_keeps_the_cooldown_one_tap_away(
    coach: Coach, browser: Browser, problems: PageProblems
) -> None:
    context = browser.new_context(viewport=PHONE)
    try:
        page = problems.watch(context.new_page())
        page.goto(coach.url("/"))
        expect(page.locator("h1")).to_have_text("Today")
        said = page.get_by_test_id("last-run").inner_text()
        found = re.fullmatch(r"Your last run was on (\w{3} \d{1,2} \w{3} \d{4}) \(\d+\.\d km\)\.", said)
        assert found, said
        day = datetime.strptime(found.group(1), "%a %d %b %Y").date()  # in the server's time zone: ±1 day of UTC
        assert abs((day - datetime.fromisoformat(coach.run.start_time_utc).date()).days) <= 1

        # The warm-up leads, within the first screen; the old run's cool-down is not offered as today's.
        lead = lead_button(page)
        expect(lead).to_have_text("Start the warm-up")
        assert lead.get_attribute("href") == "/timer/warmup"
        box = lead.bounding_box()
        assert box is not None and box["y"] + box["height"] <= PHONE["height"], box
        expect(page.get_by_role("link", name="Start the strength routine")).to_be_visible()
        start_cooldown = page.get_by_role("link", name="Start the cool-down", exact=True)
        expect(start_cooldown).to_be_hidden()
        expect(page.locator("details#cooldown")).not_to_have_attribute("open", "")

        # One tap shows it, with its own start button, which opens that run's timer.
        page.get_by_text("The cool-down for that run").click()
        expect(start_cooldown).to_be_visible()
        assert start_cooldown.get_attribute("href") == f"/timer/{coach.run_id}"
        assert "big" not in (start_cooldown.get_attribute("class") or "")
        start_cooldown.click()
        expect(page.locator("#start")).to_be_visible()
        assert page.url.endswith(f"/timer/{coach.run_id}")
    finally:
        context.close()
    problems.assert_none()


def test_today_after_a_fresh_run_leads_with_its_cooldown(
    serve: Callable[[], Server], browser: Browser, problems: PageProblems, tmp_path: Path
) -> None:
    server = serve()
    fresh = tmp_path / "fresh.fit"
    fresh.write_bytes(to_fit(make_run(7, datetime.now(UTC) - timedelta(hours=2), duration_s=2400, interval_s=5)))
    run_id = run_id_from(server.import_file(fresh))
    context = browser.new_context(viewport=PHONE)
    try:
        page = problems.watch(context.new_page())
        page.goto(server.url + "/")
        expect(page.locator("h1")).to_have_text("Today's run")
        expect(page.get_by_test_id("last-run")).to_have_count(0)
        lead = lead_button(page)
        expect(lead).to_have_text("Start the cool-down")
        assert lead.get_attribute("href") == f"/timer/{run_id}"
        expect(page.get_by_role("link", name="Start the warm-up")).to_be_hidden()  # tucked away for later
    finally:
        context.close()
    problems.assert_none()


# -- 1c. how the back is after the routine, and what did not agree ---------------------------------------------------

#: A stand-in for speech synthesis that keeps every sentence the page says (headless Chromium has no voices).
RECORD_SPEECH = """
window.__spoken = [];
Object.defineProperty(window, "speechSynthesis", { configurable: true, value: {
  speak: function (utterance) { window.__spoken.push(utterance.text); },
  cancel: function () {}
} });
window.SpeechSynthesisUtterance = function (text) { this.text = text; };
"""


def test_after_the_timer_ends_worse_and_a_stretch_that_did_not_agree_are_saved_on_that_session(
    coach: Coach, browser: Browser, problems: PageProblems
) -> None:
    context = browser.new_context(viewport=PHONE)
    try:
        page = problems.watch(context.new_page())
        page.goto(coach.url(f"/timer/{coach.run_id}?speed=1000"))
        planned = page.locator(".plan-list li").count()
        page.locator("#start").click()
        expect(timer_state(page)).to_have_attribute("data-timer-state", "done", timeout=TIMER_DONE_TIMEOUT_MS)
        expect(page.locator("#done-title")).to_have_text("Routine complete")

        # The session is saved before any answer; the end screen then asks, one tap each.
        with Store(coach.server.db_url) as store:
            [saved] = store.routine_sessions(run_id=coach.run_id)
        assert saved.back_after is None and len(saved.items) == planned == saved.items_planned
        feedback = page.get_by_test_id("feedback")
        expect(feedback.get_by_role("heading", name="How is your back now?")).to_be_visible()
        expect(feedback.get_by_role("button", name=re.compile("didn't agree with me"))).to_have_count(planned)
        feedback.get_by_role("button", name="Worse", exact=True).click()
        marked = feedback.locator("[data-disagree]").nth(1)
        stretch = marked.get_attribute("data-disagree")
        marked.click()
        expect(marked).to_have_attribute("aria-pressed", "true")
        expect(feedback.get_by_role("button", name="Worse", exact=True)).to_have_attribute("aria-pressed", "true")
        expect(page.locator("body")).to_have_attribute("data-feedback", "saved")
        expect(page.get_by_test_id("feedback-status")).to_have_text(
            "Saved: your back feels worse and 1 stretch did not agree with you."
        )
        scroll_width = page.evaluate("document.documentElement.scrollWidth")
        assert scroll_width <= PHONE["width"] + 1, f"the end screen is {scroll_width} px wide on a phone"
    finally:
        context.close()
    with Store(coach.server.db_url) as store:
        [session] = store.routine_sessions(run_id=coach.run_id)
    assert session.id == saved.id
    assert session.back_after == "worse"
    assert session.disagreed == (stretch,)
    assert stretch in [movement for movement, _ in session.items]
    problems.assert_none()


def test_the_spoken_cues_say_seconds_in_words_while_the_screen_keeps_30_s(
    coach: Coach, page: Page, problems: PageProblems
) -> None:
    page.add_init_script(RECORD_SPEECH)
    page.goto(coach.url(f"/timer/strength?speed={FAST}"))
    said = page.evaluate("""() => [
      RecoveryTimer.spokenDose({ hold_s: 30, reps: null, sides: 1 }),
      RecoveryTimer.spokenDose({ hold_s: 30, reps: 3, sides: 1 }),
      RecoveryTimer.spokenDose({ hold_s: 20, reps: 2, sides: 2 }),
      RecoveryTimer.spokenDose({ hold_s: null, reps: 10, sides: 2 }),
      RecoveryTimer.spokenDose({ hold_s: 60, reps: null, sides: 1 }),
      RecoveryTimer.spokenDose({ hold_s: 1, reps: null, sides: 1 })
    ]""")
    assert said == ["30 seconds", "3 holds of 30 seconds", "2 holds of 20 seconds, each side", "10 reps, each side",
                    "1 minute", "1 second"]  # fmt: skip
    plan = page.locator(".plan-list li").all_inner_texts()
    assert "Plank: 3 x 30 s" in plan, plan  # the screen keeps its short form

    # What the timer actually says, start to end, with speaking on.
    page.locator("#speak").check()
    page.locator("#start").click()
    expect(timer_state(page)).to_have_attribute("data-timer-state", "done", timeout=TIMER_DONE_TIMEOUT_MS)
    spoken = page.evaluate("window.__spoken")
    assert "Get ready: Plank, 3 holds of 30 seconds." in spoken, spoken
    assert not [line for line in spoken if re.search(r"\d\s*s\b", line)], spoken
    problems.assert_none()


# -- 1d. hands-free: what the timer says and sounds, and when ---------------------------------------------------------

#: Stands in for the Web Audio and speech-synthesis entry points (never the timer's own code): every note started
#: and every line spoken is recorded with what the screen showed at that moment.
RECORD_CUES = """
window.__cues = [];
function shown(kind, value) {
  var body = document.body;
  var text = function (id) { var n = document.getElementById(id); return n ? n.textContent : ""; };
  window.__cues.push({ kind: kind, value: value, at: performance.now(), phase: body.dataset.phase || "",
    side: body.dataset.side || "", state: body.dataset.timerState || "", name: text("name"), step: text("step-count"),
    clock: text("clock"), steps: text("steps") });
}
function Param() { this.value = 0; }
Param.prototype.setValueAtTime = Param.prototype.exponentialRampToValueAtTime = function () {};
function Node() { this.frequency = new Param(); this.gain = new Param(); }
Node.prototype.connect = function (next) { return next; };
Node.prototype.start = function () { shown("note", this.frequency.value); };
Node.prototype.stop = function () {};
window.AudioContext = function () { this.destination = {}; };
Object.defineProperty(window.AudioContext.prototype, "currentTime", { get: function () { return 0; } });
window.AudioContext.prototype.createOscillator = function () { return new Node(); };
window.AudioContext.prototype.createGain = function () { return new Node(); };
Object.defineProperty(window, "speechSynthesis", { configurable: true, value: {
  speak: function (utterance) { shown("say", utterance.text); }, cancel: function () {}, speaking: false
} });
window.SpeechSynthesisUtterance = function (text) { this.text = text; };
"""
#: The notes of the timer's signals, as recorded (Hz): how a test tells them apart.
COUNT_NOTE, HOLD_END_NOTES, START_NOTES = 440, [784, 523], [660, 880]
#: Slow enough that every second of a count-down gets its own tick of the page's 20 ms clock.
CUE_SPEED = 20


def signals(cues: list[dict[str, Any]]) -> list[tuple[list[float], dict[str, Any]]]:
    """The recorded notes grouped into signals: the notes one call started together."""
    grouped: list[tuple[list[float], dict[str, Any]]] = []
    for cue in (c for c in cues if c["kind"] == "note"):
        if grouped and cue["at"] - grouped[-1][1]["at"] < 2:
            grouped[-1][0].append(cue["value"])
        else:
            grouped.append(([cue["value"]], cue))
    return grouped


def test_a_hands_free_cooldown_counts_in_chimes_each_end_and_says_what_comes_next_during_the_hold(
    coach: Coach, browser: Browser, problems: PageProblems
) -> None:
    """Voice on by default: 3-2-1 before every hold and side, a falling chime when a hold ends, "Next: ..."
    in the last seconds of the current stretch, "30 seconds" in words, and the second side's steps mirrored."""
    context = browser.new_context(viewport=PHONE, has_touch=True, is_mobile=True)
    try:
        page = problems.watch(context.new_page())
        page.add_init_script(RECORD_CUES)
        page.goto(coach.url(f"/timer/{coach.run_id}?speed={CUE_SPEED}"))
        expect(page.locator("#speak")).to_be_checked()  # voice is on by default
        plan = page.evaluate("JSON.parse(document.getElementById('routine-plan').textContent)")
        page.locator("#start").tap()
        expect(timer_state(page)).to_have_attribute("data-timer-state", "done", timeout=TIMER_DONE_TIMEOUT_MS)
        cues = page.evaluate("window.__cues")
    finally:
        context.close()
    said = [c for c in cues if c["kind"] == "say"]
    items = plan["items"]

    # "Get ready" names each stretch with its dose in words, never "30 s".
    first = items[0]
    dose = f"{first['hold_s']} seconds" + (", each side" if first["sides"] == 2 else "")
    assert f"Get ready: {first['name']}, {dose}." in [c["value"] for c in said]
    assert not [c for c in said if re.search(r"\d\s*s\b", c["value"])], said

    # A count-in of 3, 2, 1, said and sounded, before each hold and each side, while the screen shows that second.
    counts = [c for c in said if c["value"] in ("3", "2", "1")]
    holds_and_sides = sum(item["sides"] for item in items)
    assert len(counts) == 3 * holds_and_sides, [c["value"] for c in counts]
    for number in ("3", "2", "1"):
        assert all(c["phase"] in ("ready", "switch") and c["clock"] == number for c in counts if c["value"] == number)
    beeps = signals(cues)
    assert sum(1 for notes, _ in beeps if notes == [COUNT_NOTE]) == len(counts)

    # Each hold ends with its own falling chime (the last with the end of the routine), told apart from the start.
    ends = [cue for notes, cue in beeps if notes == HOLD_END_NOTES]
    starts = [cue for notes, cue in beeps if notes == START_NOTES]
    assert len(starts) == holds_and_sides and len(ends) == holds_and_sides - 1
    assert all(cue["phase"] == "work" for cue in ends)

    # "Next: ..." comes during the current stretch's hold, in its last seconds, not as it starts.
    for before, after in itertools.pairwise(items):
        nexts = [c for c in said if c["value"] == f"Next: {after['name']}."]
        assert len(nexts) == 1, (after["name"], [c["value"] for c in said])
        heard = nexts[0]
        assert heard["phase"] == "work" and heard["name"] == before["name"], heard
        assert int(heard["clock"]) <= 6, heard
    assert not [c for c in said if c["value"].startswith("Start. Next")]

    # On the second side the steps are mirrored: "your right knee" becomes "your left knee".
    sided = [item for item in items if item["sides"] == 2 and "right" in " ".join(item["steps"])]
    assert sided, "the real run's cool-down should include a stretch done on each side"
    for item in sided:
        second = [c["steps"] for c in cues if c["name"] == item["name"] and c["phase"] == "work" and c["side"] == "2"]
        assert second and all("change sides" not in text for text in second), item["name"]
        assert "left" in second[0] and second[0] == "".join(item["second_side_steps"]), (second[0], item)
    problems.assert_none()


def test_the_timer_shows_the_dose_the_cues_and_the_right_word_for_each_phase(
    coach: Coach, browser: Browser, problems: PageProblems
) -> None:
    """A warm-up is moves counted in reps (shown as "Rep 3 of 10"), strength is exercises, and the catalogue's cues
    show during the hold; stopping a warm-up says nothing of the cool-down streak."""
    context = browser.new_context(viewport=PHONE, has_touch=True, is_mobile=True)
    try:
        page = problems.watch(context.new_page())
        page.add_init_script(RECORD_CUES)
        page.goto(coach.url("/timer/warmup?speed=4"))
        plan = page.evaluate("JSON.parse(document.getElementById('routine-plan').textContent)")
        first = plan["items"][0]
        page.locator("#start").tap()
        expect(page.locator("#step-count")).to_have_text(f"Move 1 of {len(plan['items'])}")
        expect(page.get_by_test_id("dose")).to_have_text(first["dose"] + (" each side" if first["sides"] == 2 else ""))
        expect(page.locator("#phase")).to_have_text("Move", timeout=15_000)
        expect(page.get_by_test_id("cues")).to_be_visible()
        expect(page.get_by_test_id("cues")).to_contain_text(first["cues"][0])
        expect(page.get_by_test_id("rep")).to_have_text(re.compile(rf"Rep [2-9] of {first['reps']}"), timeout=15_000)
        spoken = [c["value"] for c in page.evaluate("window.__cues") if c["kind"] == "say"]
        assert "2" in spoken  # the reps are counted aloud
        page.locator("#stop").tap()
        expect(timer_state(page)).to_have_attribute("data-timer-state", "done")
        expect(page.get_by_test_id("done-message")).to_have_text("Nothing was done, so nothing counts yet.")
        expect(page.get_by_test_id("done-streak")).to_have_text("")  # a warm-up has no cool-down streak

        page.goto(coach.url("/timer/strength?speed=1000"))
        page.locator("#start").tap()
        expect(page.locator("#step-count")).to_have_text(re.compile(r"Exercise \d of \d"))
        expect(timer_state(page)).to_have_attribute("data-timer-state", "done", timeout=TIMER_DONE_TIMEOUT_MS)
        expect(page.get_by_test_id("done-streak")).to_have_text("Strength sessions in the last 7 days: 1 of 2.")
    finally:
        context.close()
    problems.assert_none()


def test_the_screen_is_kept_awake_during_the_routine_and_let_go_at_the_end(
    coach: Coach, page: Page, problems: PageProblems
) -> None:
    """On a secure origin (127.0.0.1 is one) the Wake Lock API holds the screen while the timer runs."""
    page.goto(coach.url(f"/timer/{coach.run_id}?speed=4"))
    page.locator("#start").click()
    body = timer_state(page)
    expect(body).to_have_attribute("data-awake", "wake-lock")
    expect(page.get_by_test_id("awake-note")).to_be_hidden()
    page.keyboard.press("Space")  # paused: the screen may sleep
    expect(body).to_have_attribute("data-awake", "released")
    page.keyboard.press("Space")
    expect(body).to_have_attribute("data-awake", "wake-lock")
    page.keyboard.press("Escape")
    expect(body).to_have_attribute("data-timer-state", "done")
    expect(body).to_have_attribute("data-awake", "released")
    problems.assert_none()


def test_on_plain_http_beyond_this_machine_a_silent_video_keeps_the_screen_awake(
    serve: Callable[[], Server], browser: Browser, problems: PageProblems, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A LAN address over plain HTTP is no secure context: there is no Wake Lock API, so NoSleep.js's video holds
    the screen instead. The dashboard is reached by a name other than localhost, as a phone would reach it."""
    monkeypatch.setenv(ENV_ALLOWED_HOSTS, "recovery.test")
    server = serve()
    port = server.url.rsplit(":", 1)[1]
    chromium = browser.browser_type.launch(
        executable_path=str(CHROMIUM), args=[*CHROMIUM_ARGS, "--host-resolver-rules=MAP recovery.test 127.0.0.1"]
    )
    try:
        page = problems.watch(chromium.new_page(viewport=PHONE, has_touch=True, is_mobile=True))
        # NoSleep.js keeps its video out of the document: note each video played, to look at it afterwards.
        page.add_init_script("""window.__videos = []; var play = HTMLMediaElement.prototype.play;
          HTMLMediaElement.prototype.play = function () { window.__videos.push(this); return play.call(this); };""")
        page.goto(f"http://recovery.test:{port}/timer/warmup?speed=4")
        assert page.evaluate("[window.isSecureContext, 'wakeLock' in navigator]") == [False, False]
        page.locator("#start").tap()
        body = timer_state(page)
        expect(body).to_have_attribute("data-awake", "video")
        assert page.evaluate("window.__videos.length === 1 && !window.__videos[0].paused")
        expect(page.get_by_test_id("awake-note")).to_be_hidden()
        page.locator("#stop").tap()
        expect(body).to_have_attribute("data-awake", "released")
        assert page.evaluate("window.__videos[0].paused")
    finally:
        chromium.close()
    problems.assert_none()


# -- 2. the keyboard on the timer ----------------------------------------------------------------------------------


def test_the_timer_answers_space_arrows_and_escape(coach: Coach, page: Page, problems: PageProblems) -> None:
    page.goto(coach.url(f"/timer/{coach.run_id}"))  # real time: nothing moves on by itself within this test
    planned = page.locator(".plan-list li").count()
    assert planned >= 3
    page.locator("#start").click()
    step = page.locator("#step-count")
    expect(step).to_have_text(f"Stretch 1 of {planned}")
    expect(page.locator("#pause")).to_be_focused()  # so Space on a focused button must not toggle twice

    page.keyboard.press("Space")
    expect(timer_state(page)).to_have_attribute("data-timer-state", "paused")
    expect(page.locator("#phase")).to_have_text("Paused")
    page.keyboard.press("Space")
    expect(timer_state(page)).to_have_attribute("data-timer-state", "running")
    expect(page.locator("#phase")).to_have_text("Get ready")

    page.keyboard.press("ArrowRight")
    expect(step).to_have_text(f"Stretch 2 of {planned}")
    expect(page.locator("#phase")).to_have_text("Get ready")
    page.keyboard.press("ArrowLeft")  # at the very start of a stretch, back goes to the one before
    expect(step).to_have_text(f"Stretch 1 of {planned}")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    expect(step).to_have_text(f"Stretch 3 of {planned}")

    page.keyboard.press("Escape")
    expect(timer_state(page)).to_have_attribute("data-timer-state", "done")
    expect(page.locator("#done-title")).to_have_text("Stopped early")
    # Skipped stretches are not done ones: nothing was held to the end, and the server says so.
    expect(page.get_by_test_id("done-message")).to_have_text("Nothing was done, so nothing counts yet.")
    expect(page.get_by_test_id("done-streak")).to_have_text("Cool-down streak: 0 runs in a row (best 0).")
    problems.assert_none()


# -- 3. discomfort and red flags ------------------------------------------------------------------------------------


def choose_score(page: Page, score: int) -> None:
    """Click the visible pill, as a runner would (the radio inside is visually hidden)."""
    form = page.locator("form.discomfort-form")
    form.locator(f"label.pill.score-{score}").click()
    expect(form.locator(f"input[name=score][value='{score}']")).to_be_checked()


def test_discomfort_8_brings_advice_to_see_someone_and_an_urgent_red_flag_the_emergency_message(
    coach: Coach, page: Page, problems: PageProblems
) -> None:
    page.goto(coach.url("/"))
    form = page.locator("form.discomfort-form")
    preview = page.locator(".urgent-preview")
    expect(page.locator("#referral")).to_have_count(0)
    expect(preview).to_be_hidden()

    # A high score: see someone soon. The cool-down is still offered.
    choose_score(page, 8)
    form.get_by_role("button", name="Save").click()
    page.wait_for_url(re.compile(r"#referral$"))
    referral = page.locator("main > #referral")  # the advice at the top of the page
    expect(referral).to_have_class(re.compile(r"\breferral-see-soon\b"))
    expect(referral.locator("h2")).to_have_text("See someone soon")
    expect(referral).to_contain_text("book an appointment with your doctor")
    expect(referral).to_contain_text("Your latest discomfort was 8/10, which is high.")
    expect(page.locator(".flash-ok")).to_contain_text("Logged 8/10, after a run, in the middle.")
    expect(page.locator(".recent-logs")).to_contain_text("8/10")
    open_cooldown(page)
    expect(page.get_by_role("link", name="Start the cool-down", exact=True)).to_be_visible()

    # A see-soon warning sign does not bring the emergency preview; an urgent one does, at once, before saving.
    choose_score(page, 5)
    see_soon = form.locator("input[name=red_flag][data-level=see-soon]").first
    urgent = form.locator("input[name=red_flag][data-level=urgent]").first
    see_soon.check()
    expect(preview).to_be_hidden()
    see_soon.uncheck()
    urgent.check()
    expect(preview).to_be_visible()
    expect(preview).to_contain_text("emergency department")
    expect(referral).to_have_class(re.compile(r"\breferral-see-soon\b"))  # nothing saved yet
    urgent.uncheck()
    expect(preview).to_be_hidden()
    urgent.check()
    question = urgent.locator("xpath=..").inner_text().strip()
    form.get_by_role("button", name="Save").click()

    # Saved: the emergency message replaces the advice, and no routine is offered until seen.
    page.wait_for_url(re.compile(r"#referral$"))
    expect(referral).to_have_class(re.compile(r"\breferral-urgent\b"))
    expect(referral).to_have_attribute("role", "alert")
    expect(referral.locator("h2")).to_have_text("Get seen today")
    expect(referral).to_contain_text("Go to an emergency department now (or call an ambulance).")
    expect(referral).to_contain_text(f"You answered yes to: {question}")
    expect(page.get_by_role("link", name=re.compile("Start the cool-down"))).to_have_count(0)
    page.goto(coach.url(f"/timer/{coach.run_id}"))
    expect(page.locator("#start")).to_have_count(0)
    expect(page.locator("main")).to_contain_text("No routine today: please get seen first.")
    problems.assert_none()


DUPLICATE_IDS = """
() => {
  var seen = {}, twice = [];
  document.querySelectorAll("[id]").forEach(function (e) {
    if (seen[e.id] && twice.indexOf(e.id) < 0) { twice.push(e.id); }
    seen[e.id] = true;
  });
  return twice;
}
"""


def test_the_urgent_advice_is_announced_once_on_today(coach: Coach, page: Page, problems: PageProblems) -> None:
    page.goto(coach.url("/"))
    choose_score(page, 3)
    page.locator("form.discomfort-form input[name=red_flag][data-level=urgent]").first.check()
    page.locator("form.discomfort-form").get_by_role("button", name="Save").click()
    page.wait_for_url(re.compile(r"#referral$"))
    expect(page.locator("main > #referral.referral-urgent")).to_be_visible()
    assert page.evaluate(DUPLICATE_IDS) == [], "ids used more than once on the page"
    expect(page.get_by_role("alert")).to_have_count(1)  # a screen reader announces the emergency once
    problems.assert_none()


def test_on_a_phone_a_red_flag_blocks_until_seen_is_recorded_and_the_questions_show_only_above_0(
    coach: Coach, browser: Browser, problems: PageProblems
) -> None:
    context = browser.new_context(viewport=PHONE)
    try:
        page = problems.watch(context.new_page())
        page.goto(coach.url("/"))
        form = page.locator("form.discomfort-form")
        questions = form.locator("fieldset.red-flags")
        urgent = questions.locator("input[name=red_flag][data-level=urgent]").first

        # The warning-sign questions matter only with some discomfort: hidden at 0, shown at 3.
        choose_score(page, 0)
        expect(questions).to_be_hidden()
        choose_score(page, 3)
        expect(questions).to_be_visible()
        expect(questions.locator("input[value=past_cancer]")).to_have_count(0)  # asked once, in the settings
        urgent.check()
        choose_score(page, 0)
        expect(questions).to_be_visible()  # never hidden with one ticked
        choose_score(page, 3)
        form.get_by_role("button", name="Save").click()

        # Urgent: no routine, and the way out is inside the urgent box.
        page.wait_for_url(re.compile(r"#referral$"))
        referral = page.locator("main > #referral")
        expect(referral).to_have_class(re.compile(r"\breferral-urgent\b"))
        open_cooldown(page)
        expect(page.get_by_role("link", name="Start the cool-down", exact=True)).to_have_count(0)
        referral.get_by_text("I have already been seen about this").click()
        seen_on = referral.locator("input[name=seen_on]")
        expect(seen_on).to_be_visible()
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", seen_on.input_value()), "today, by default"
        referral.locator("input[name=note]").fill("A&E: not an emergency")
        referral.get_by_role("button", name="Seen: it is not an emergency").click()

        # Back on Today: the cool-down is offered again; the log keeps its warning sign.
        page.wait_for_load_state()
        expect(page.locator(".flash-ok")).to_contain_text("Recorded: seen on")
        expect(page.locator("#referral.referral-urgent")).to_have_count(0)
        open_cooldown(page)
        start = page.get_by_role("link", name="Start the cool-down", exact=True)
        expect(start).to_be_visible()
        expect(page.locator(".recent-logs")).to_contain_text("warning signs reported")
        scroll_width = page.evaluate("document.documentElement.scrollWidth")
        assert scroll_width <= PHONE["width"] + 1, scroll_width
        start.click()
        expect(page.locator("#start")).to_be_visible()
    finally:
        context.close()
    problems.assert_none()


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_a_log_is_corrected_and_deleted_from_the_history_page_and_seen_recorded_there(
    coach: Coach, browser: Browser, problems: PageProblems, viewport: dict[str, int]
) -> None:
    context = browser.new_context(viewport=viewport)
    context.set_default_timeout(10_000)
    try:
        page = problems.watch(context.new_page())
        page.goto(coach.url("/"))
        form = page.locator("form.discomfort-form")
        choose_score(page, 4)
        form.locator("input[name=red_flag][value=night_pain]").check()  # ticked by mistake
        form.get_by_role("button", name="Save").click()
        page.wait_for_url(re.compile(r"#referral$"))
        expect(page.locator("main > #referral")).to_have_class(re.compile(r"\breferral-see-soon\b"))

        # History lists the log with its two actions; "Correct" opens the same form, filled in.
        page.goto(coach.url("/history#back-log"))
        entry = page.locator("#back-log li[data-log-id]:not(.corrected)").first
        expect(entry).to_contain_text("4/10")
        entry.get_by_role("link", name=re.compile(r"^Correct")).click()
        page.wait_for_url(re.compile(r"/discomfort/\d+/correct$"))
        form = page.locator("form.discomfort-form")
        expect(form.locator("input[name=score][value='4']")).to_be_checked()
        night = form.locator("input[name=red_flag][value=night_pain]")
        expect(night).to_be_checked()
        night.uncheck()
        choose_score(page, 2)
        form.get_by_role("button", name="Save the correction").click()
        page.wait_for_url(re.compile(r"/history#back-log$"))
        expect(page.locator(".flash-ok")).to_contain_text("Corrected: 2/10")
        struck = page.locator("#back-log li.corrected")
        expect(struck).to_have_count(1)
        expect(struck.locator("s")).to_contain_text("4/10")
        expect(struck).to_contain_text("corrected on")
        page.goto(coach.url("/"))
        expect(page.locator("#referral")).to_have_count(0)  # the coach sees the corrected log

        # "Delete" asks first, says it cannot be undone, and keeps the log struck through.
        page.goto(coach.url("/history#back-log"))
        current = page.locator("#back-log li[data-log-id]:not(.corrected)").first
        expect(current).to_contain_text("2/10")
        current.locator("summary", has_text="Delete").click()
        expect(current.get_by_text("cannot be undone")).to_be_visible()
        current.get_by_role("button", name="Delete this log").click()
        page.wait_for_url(re.compile(r"/history#back-log$"))
        expect(page.locator(".flash-ok")).to_contain_text("Deleted")
        expect(page.locator("#back-log li.corrected")).to_have_count(2)
        expect(page.locator("#back-log li.corrected").first).to_contain_text("deleted on")

        # An urgent warning sign: the history page offers "seen" too, and shows the record once made.
        page.goto(coach.url("/"))
        choose_score(page, 3)
        page.locator("form.discomfort-form input[name=red_flag][data-level=urgent]").first.check()
        page.locator("form.discomfort-form").get_by_role("button", name="Save").click()
        page.wait_for_url(re.compile(r"#referral$"))
        page.goto(coach.url("/history#back-log"))
        back_log = page.locator("#back-log")
        back_log.get_by_text("I have already been seen about this").click()
        back_log.locator("input[name=note]").fill("GP: not an emergency")
        back_log.get_by_role("button", name="Seen: it is not an emergency").click()
        page.wait_for_url(re.compile(r"/history#back-log$"))
        expect(page.locator(".flash-ok")).to_contain_text("Recorded: seen on")
        expect(back_log.locator(".seen-record")).to_contain_text(re.compile(r"Seen on \d+ \w+: not an emergency"))
        expect(back_log.locator(".seen-record")).to_contain_text("GP: not an emergency")
        expect(back_log.get_by_text("I have already been seen about this")).to_have_count(0)
        scroll_width = page.evaluate("document.documentElement.scrollWidth")
        assert scroll_width <= viewport["width"] + 1, scroll_width
        page.goto(coach.url("/"))
        expect(page.locator("#referral")).to_have_count(0)
    finally:
        context.close()
    problems.assert_none()


# -- 4. uploading through the page ----------------------------------------------------------------------------------


def test_uploading_a_run_and_a_broken_file_through_the_page_reports_each_and_logs_the_refusal(
    serve: Callable[[], Server], page: Page, problems: PageProblems, tmp_path: Path
) -> None:
    run = gpx_run()
    junk = tmp_path / "broken.fit"
    junk.write_bytes(b"this is not a FIT file")
    server = serve()
    page.goto(server.url + "/imports")
    expect(page.locator("main")).to_contain_text("Nothing imported yet.")

    page.locator("#file-input").set_input_files([run.path, junk])  # choosing the files sends them
    expect(page.locator("body")).to_have_attribute("data-uploaded", "yes", timeout=30_000)
    results = page.locator("#upload-results li")
    expect(results).to_have_count(2)
    expect(page.locator("#upload-results li.outcome-imported")).to_have_text(
        re.compile(
            rf"^{re.escape(run.path.name)}: imported a \d+\.\d km run on {run.start_time_utc[:10]} as run \d+\.$"
        )
    )
    refused = page.locator("#upload-results li.outcome-rejected")
    sentence = refused.inner_text()
    assert sentence.startswith("broken.fit ") and sentence.endswith("."), sentence
    expect(page.locator("#upload-status")).to_contain_text("1 imported, 0 duplicates, 0 not runs, 1 rejected.")

    # After a reload the import log keeps the same sentence, under the upload's name.
    page.reload()
    log = page.get_by_test_id("import-log")
    refused_row = log.locator("tr.outcome-rejected")
    expect(refused_row).to_have_count(1)
    expect(refused_row).to_contain_text(sentence)
    expect(refused_row.locator("td.path")).to_have_text("upload/broken.fit")
    imported_row = log.locator("tr.outcome-imported")
    expect(imported_row.locator("td.path")).to_have_text(f"upload/{run.path.name}")
    imported_row.get_by_role("link", name="view").click()
    expect(page.locator("h1")).to_be_visible()
    expect(page.locator("figure.route svg")).to_be_visible()
    problems.assert_none()


# -- 5. screenshots, and no sideways scrolling on a phone --------------------------------------------------------------

LOAD_IMAGES = """
() => Promise.all(Array.from(document.images).map(function (img) {
  img.loading = "eager";
  return img.complete ? null : new Promise(function (done) { img.onload = img.onerror = done; });
})).then(function () {
  return Array.from(document.images).filter(function (img) { return !img.naturalWidth; }).map(function (img) {
    return img.src;
  });
})
"""

#: The pages to screenshot, by the name their pictures get.
MAIN_PAGES = {"today": "/", "history": "/history", "run": "/runs/{run_id}", "imports": "/imports"}


def shoot(page: Page, name: str, width: int, *, full_page: bool = True) -> Path:
    """Once every image (the stretch figures among them) has loaded, the whole page as a picture (or the screen:
    the timer's controls stay at the bottom of it)."""
    broken = page.evaluate(LOAD_IMAGES)
    assert broken == [], f"{name}: images that did not load: {broken}"
    path = SCREENSHOTS / f"{name}-{width}.png"
    path.unlink(missing_ok=True)
    page.screenshot(path=str(path), full_page=full_page, animations="disabled", caret="hide")
    return path


def start_the_timer(page: Page, url: str) -> None:
    """Into the first stretch's hold, a few seconds in: what the screen shows mid-hold."""
    page.goto(url + "?speed=5")
    page.locator("#start").click()
    expect(timer_state(page)).to_have_attribute("data-timer-state", "running")
    expect(page.locator("#figure")).to_have_attribute("src", re.compile(r"\.svg$"))
    expect(timer_state(page)).to_have_attribute("data-phase", "work", timeout=10_000)
    page.wait_for_timeout(1_500)  # about 8 s into the hold: the ring part-way round


def test_screenshots_of_the_main_pages_at_phone_and_desktop_widths_light_and_dark(
    coach: Coach, browser: Browser, problems: PageProblems, tmp_path: Path
) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    # Ten weeks of made-up runs up to this morning, so the calendar and the weekly chart have something
    # to show (the real files are years old); the run page shows the real run.
    recent = tmp_path / "recent"
    recent.mkdir()
    today = datetime.now(UTC).replace(hour=7, minute=0, second=0, microsecond=0)
    for day in range(0, 70, 2):
        start = today - timedelta(days=day)
        run = make_run(day, start, duration_s=1800 + 60 * (day % 5) * 5, interval_s=5, pace_s_per_km=320 + day % 7 * 8)
        (recent / f"{start:%Y-%m-%d}.fit").write_bytes(to_fit(run))
    said = coach.server.import_file(recent).splitlines()
    newest = run_id_from(next(line for line in said if line.startswith(f"{today:%Y-%m-%d}.fit")))
    written: list[Path] = []
    backgrounds: dict[str, str] = {}
    for scheme, size in (("light", PHONE), ("light", DESKTOP), ("dark", PHONE)):
        context = browser.new_context(viewport=size, color_scheme=scheme)
        try:
            page = problems.watch(context.new_page())
            if not written:
                # Cool-downs done first, so the pages show a streak (this speed takes under a second each).
                for run_id in (newest - 2, newest - 1, newest):
                    page.goto(coach.url(f"/timer/{run_id}?speed=1000"))
                    page.locator("#start").click()
                    expect(timer_state(page)).to_have_attribute("data-timer-state", "done", timeout=30_000)
            suffix = "" if scheme == "light" else "-dark"
            for name, path in MAIN_PAGES.items() if scheme == "light" else [("today", "/")]:
                page.goto(coach.url(path.format(run_id=coach.run_id)))
                written.append(shoot(page, name + suffix, size["width"]))
                if name == "today":
                    backgrounds[scheme] = page.evaluate("getComputedStyle(document.body).backgroundColor")
            if scheme == "light":
                start_the_timer(page, coach.url(f"/timer/{newest}"))  # in the middle of the first stretch
                written.append(shoot(page, "timer", size["width"], full_page=False))
        finally:
            context.close()

    assert sorted(path.name for path in written) == sorted(
        [f"{name}-{width}.png" for name in [*MAIN_PAGES, "timer"] for width in (390, 1280)] + ["today-dark-390.png"]
    )
    for path in written:
        data = path.read_bytes()
        assert data.startswith(b"\x89PNG\r\n\x1a\n"), path
        assert len(data) > 8_000, f"{path} is only {len(data)} bytes"
    assert backgrounds["dark"] != backgrounds["light"], "the dark colour scheme shows the light page"
    problems.assert_none()


#: The innermost elements that stick out of the screen or whose content sticks out of them (for the message).
WIDEST_CULPRITS = """
() => {
  var wide = Array.from(document.querySelectorAll("main *")).filter(function (e) {
    var overflows = e.scrollWidth > e.clientWidth + 1 && getComputedStyle(e).overflowX === "visible";
    return overflows || e.getBoundingClientRect().right > window.innerWidth + 1;
  });
  var innermost = wide.filter(function (e) {
    return !wide.some(function (other) { return other !== e && e.contains(other); });
  });
  return innermost.map(function (e) {
    return e.tagName.toLowerCase() + "." + e.className + ": " + e.textContent.trim().slice(0, 70);
  });
}
"""


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/history",
        "/runs",
        "/runs/{run_id}",
        "/imports",
        "/settings",
        "/timer/{run_id}",
        "/timer/{run_id}#running",
    ],
)
def test_no_page_scrolls_sideways_on_a_phone(
    path: str, look_only: Coach, browser: Browser, problems: PageProblems
) -> None:
    context = browser.new_context(viewport=PHONE)
    try:
        page = problems.watch(context.new_page())
        url = look_only.url(path.format(run_id=look_only.run_id).removesuffix("#running"))
        if path.endswith("#running"):
            start_the_timer(page, url)
        else:
            page.goto(url)
        page.evaluate(LOAD_IMAGES)
        too_wide = page.evaluate(WIDEST_CULPRITS)
        scroll_width = page.evaluate("document.documentElement.scrollWidth")
        assert scroll_width <= PHONE["width"] + 1, f"{path} is {scroll_width} px wide at 390 px because of {too_wide}"
    finally:
        context.close()
    problems.assert_none()


# -- 6. accessibility basics ---------------------------------------------------------------------------------------


def test_accessibility_basics_names_alt_texts_one_heading_and_the_keyboard_reaches_start(
    coach: Coach, page: Page, problems: PageProblems
) -> None:
    # Every control has a name a screen reader can say, as Chromium's accessibility tree computes it.
    page.goto(coach.url("/"))
    controls, unnamed = unnamed_controls(page)
    assert unnamed == [], f"controls on / without an accessible name: {unnamed}"
    assert controls >= 11 + 3 + 3 + 2  # the 0-10 scale, when, where, the red flags, the note, Save
    form = page.locator("form.discomfort-form")
    for score in (0, 8, 10):
        expect(form.get_by_role("radio", name=str(score), exact=True)).to_have_count(1)
    expect(form.get_by_role("textbox", name="Note (optional)")).to_have_count(1)
    page.goto(coach.url("/settings"))
    controls, unnamed = unnamed_controls(page)
    assert unnamed == [], f"controls on /settings without an accessible name: {unnamed}"
    assert controls >= 6
    expect(page.get_by_role("combobox", name="Time zone")).to_have_count(1)
    expect(page.get_by_role("spinbutton", name="Maximum heart rate")).to_have_count(1)
    expect(page.get_by_role("textbox", name="Folder path")).to_have_count(1)

    # Every page: one h1, a language, images with alt text (empty where decorative), charts with a name.
    for path in ("/", "/history", "/runs", f"/runs/{coach.run_id}", "/imports", "/settings",
                 f"/timer/{coach.run_id}"):  # fmt: skip
        page.goto(coach.url(path))
        assert page.locator("html").get_attribute("lang") == "en", path
        assert page.locator("h1").count() == 1, f"{path} has {page.locator('h1').count()} h1 elements"
        assert page.locator("img:not([alt])").count() == 0, f"{path} has images without alt"
        assert page.locator("svg[role=img]:not([aria-label]):not([aria-labelledby])").count() == 0, path
        assert page.evaluate(DUPLICATE_IDS) == [], f"{path} uses an id more than once"

    # The keyboard alone: Tab first reaches the skip link, then on to Start; Enter starts the timer.
    page.goto(coach.url(f"/timer/{coach.run_id}"))
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to the content")).to_be_focused()
    for _ in range(40):
        if page.evaluate("document.activeElement && document.activeElement.id") == "start":
            break
        page.keyboard.press("Tab")
    expect(page.locator("#start")).to_be_focused()
    page.keyboard.press("Enter")
    expect(timer_state(page)).to_have_attribute("data-timer-state", "running")
    page.keyboard.press("Escape")
    expect(timer_state(page)).to_have_attribute("data-timer-state", "done")
    problems.assert_none()
