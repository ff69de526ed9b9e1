"""The installable app: its manifest, its service worker, the offline queue and the run notification.

First through Flask's test client (on SQLite and PostgreSQL): what is served,
with which headers, to whom. Then in Debian's Chromium against a real
`recovery serve` (http://127.0.0.1 is a secure context, so service workers
run): the worker installs and takes over the page, Today and a timer still
open with the network cut, and a routine saved while offline reaches the
database exactly once when the network returns.
"""

from __future__ import annotations

import json
import re
import shutil
import struct
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cheroot import wsgi as cheroot_wsgi
from flask import Flask
from flask.testing import FlaskClient
from playwright.sync_api import Browser, BrowserContext, Page, expect

from recovery.access import set_password
from recovery.ingest import ingest_bytes
from recovery.store import Store
from recovery.synthetic import make_run, to_fit
from recovery.web import create_app, pwa
from tests.browser import PHONE, PageProblems, Server, need_browser, run_id_from
from tests.conftest import NOW, free_port

STATIC = Path(pwa.__file__).parent / "static"
PASSWORD = "correct horse battery"


def store_of(app: Flask) -> Store:
    return app.extensions["recovery.store"]  # type: ignore[no-any-return]


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def worker_build(client: FlaskClient) -> dict[str, Any]:
    """The BUILD line /sw.js puts before static/sw.js."""
    source = client.get("/sw.js").get_data(as_text=True)
    first, _, rest = source.partition("\n")
    found = re.fullmatch(r"var BUILD = (\{.*\});", first)
    assert found, first
    assert rest == (STATIC / "sw.js").read_text(encoding="utf-8")
    return json.loads(found.group(1))  # type: ignore[no-any-return]


# -- the manifest -------------------------------------------------------------------------------------------------


def test_the_manifest_names_the_app_and_is_served_as_a_web_app_manifest(client: FlaskClient) -> None:
    response = client.get("/manifest.webmanifest")
    assert response.status_code == 200
    assert response.mimetype == "application/manifest+json"
    manifest = json.loads(response.get_data(as_text=True))
    assert manifest["name"] == "Recovery coach" and manifest["short_name"] == "Recovery"
    assert (manifest["start_url"], manifest["scope"], manifest["display"]) == ("/", "/", "standalone")
    assert manifest["theme_color"] == "#0f766e" and manifest["background_color"] == "#f8fafc"


def test_the_manifest_icons_are_pngs_of_the_sizes_they_claim_with_a_maskable_one(client: FlaskClient) -> None:
    icons = json.loads(client.get("/manifest.webmanifest").get_data(as_text=True))["icons"]
    sizes = {(icon["sizes"], icon["purpose"]) for icon in icons}
    assert {("192x192", "any"), ("512x512", "any"), ("512x512", "maskable")} <= sizes
    for icon in icons:
        assert icon["type"] == "image/png"
        served = client.get(icon["src"])
        assert served.status_code == 200 and served.mimetype == "image/png", icon["src"]
        width, height = png_size(served.get_data())
        assert f"{width}x{height}" == icon["sizes"], icon["src"]


def test_the_app_colours_are_the_stylesheets_light_theme() -> None:
    css = (STATIC / "app.css").read_text(encoding="utf-8")
    light = css[css.index(":root {") : css.index("}", css.index(":root {"))]
    assert f"--accent: {pwa.THEME_COLOUR};" in light
    assert f"--bg: {pwa.BACKGROUND_COLOUR};" in light
    dark = css[css.index("@media (prefers-color-scheme: dark)") :]
    assert f"--bg: {pwa.DARK_THEME_COLOUR};" in dark[: dark.index("}")]


def test_every_page_links_the_manifest_its_colour_and_the_offline_queue_before_the_page_scripts(
    client: FlaskClient,
) -> None:
    page = client.get("/timer/warmup").get_data(as_text=True)
    assert '<link rel="manifest" href="/manifest.webmanifest" crossorigin="use-credentials">' in page
    assert '<meta name="theme-color" content="#0f766e"' in page
    assert '<link rel="apple-touch-icon" href="/static/icons/apple-touch-icon.png">' in page
    assert 'data-service-worker="/sw.js"' in page
    assert page.index("/static/offline.js") < page.index("/static/app.js") < page.index("/static/timer.js")
    banner = re.search(r'<p class="offline-banner"[^>]*>([^<]*)</p>', page)
    assert banner and " hidden" in banner.group(0)
    assert banner.group(1) == "Offline: what you do is kept and sent when the connection returns"


def test_the_page_policy_lets_this_server_run_the_worker_and_the_manifest_and_nothing_inline(
    client: FlaskClient,
) -> None:
    policy = client.get("/").headers["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    assert directives["worker-src"] == "'self'" and directives["manifest-src"] == "'self'"
    assert directives["script-src"] == "'self'"


def test_the_settings_page_asks_for_notifications_only_from_its_button(client: FlaskClient) -> None:
    page = client.get("/settings").get_data(as_text=True)
    assert '<button type="button" class="button" id="device-notify">Notify me on this device when a run is in' in page
    assert "requestPermission" in (STATIC / "nudge.js").read_text(encoding="utf-8")
    assert "requestPermission" not in (STATIC / "offline.js").read_text(encoding="utf-8")


# -- the service worker ------------------------------------------------------------------------------------------


def test_the_worker_is_served_from_the_root_for_the_whole_site_and_never_from_a_cache(client: FlaskClient) -> None:
    response = client.get("/sw.js")
    assert response.status_code == 200
    assert response.mimetype == "text/javascript"
    assert response.headers["Service-Worker-Allowed"] == "/"
    assert response.headers["Cache-Control"] == "no-cache"
    assert "worker-src 'self'" in response.headers["Content-Security-Policy"]


def test_the_worker_keeps_the_whole_app_shell_and_names_today_and_the_timers_as_the_pages_kept(
    client: FlaskClient,
) -> None:
    build = worker_build(client)
    shell = set(build["shell"])
    for name in ("app.css", "app.js", "timer.js", "settings.js", "upload.js", "offline.js", "nudge.js",
                 "icons/icon-192.png", "icons/icon-512.png", "icons/maskable-512.png"):  # fmt: skip
        assert f"/static/{name}" in shell, name
    figures = {f"/static/figures/{path.name}" for path in (STATIC / "figures").glob("*.svg")}
    assert figures and figures <= shell
    assert "/static/sw.js" not in shell
    for url in build["shell"]:
        assert client.get(url).status_code == 200, url
    kept = [re.compile(pattern) for pattern in build["pages"]]
    for path in ("/", "/timer/12", "/timer/warmup", "/timer/strength"):
        assert any(p.search(path) for p in kept), path
    for path in ("/history", "/runs/12", "/api/latest-run", "/timer/12/done", "/timer/sessions/3/feedback", "/login"):
        assert not any(p.search(path) for p in kept), path
    assert build["version"] == pwa.shell_version(STATIC)


def test_the_cache_version_is_a_hash_that_changes_with_any_static_file_or_the_package_version(
    tmp_path: Path,
) -> None:
    static = tmp_path / "static"
    shutil.copytree(STATIC, static)
    first = pwa.shell_version(static, "0.1.0")
    assert re.fullmatch(r"0\.1\.0-[0-9a-f]{16}", first)
    assert pwa.shell_version(static, "0.1.0") == first  # the same files: the same cache
    css = static / "app.css"
    css.write_text(css.read_text(encoding="utf-8") + "\n.new { color: red; }\n", encoding="utf-8")
    changed = pwa.shell_version(static, "0.1.0")
    assert changed != first
    (static / "figures" / "new_stretch.svg").write_text("<svg/>", encoding="utf-8")
    added = pwa.shell_version(static, "0.1.0")
    assert added not in (first, changed)
    assert "figures/new_stretch.svg" in pwa.shell_files(static)
    (static / "sw.js").write_text("// another worker\n", encoding="utf-8")
    assert pwa.shell_version(static, "0.1.0") != added
    assert pwa.shell_version(static, "0.2.0") != pwa.shell_version(static, "0.1.0")


# -- the newest run, for the notification ---------------------------------------------------------------------------


def add_run(app: Flask, start: datetime, seed: int = 1) -> int:
    outcome = ingest_bytes(
        store_of(app), to_fit(make_run(seed, start, duration_s=1800, interval_s=5)), "r.fit", now=NOW
    )
    assert outcome.outcome == "imported", outcome.message
    return outcome.run_ids[0]


def test_the_latest_run_says_nothing_before_the_first_run(client: FlaskClient) -> None:
    assert client.get("/api/latest-run").get_json() == {
        "id": None, "ended_at": None, "url": None, "text": None, "fresh": False,
    }  # fmt: skip


def test_the_latest_run_names_its_distance_in_the_runners_units_and_no_health_detail(app: Flask) -> None:
    add_run(app, NOW - timedelta(days=3), seed=1)
    run_id = add_run(app, NOW - timedelta(hours=1), seed=2)
    client = app.test_client()
    latest = client.get("/api/latest-run").get_json()
    assert set(latest) == {"id", "ended_at", "url", "text", "fresh"}
    assert latest["id"] == run_id and latest["fresh"] is True and latest["url"] == "/"
    run = store_of(app).run(run_id)
    assert run is not None and run.run.distance_m and run.run.end_time_utc
    assert datetime.fromisoformat(latest["ended_at"]) == run.run.end_time_utc
    km = f"{run.run.distance_m / 1000:.1f} km"
    assert latest["text"] == f"Your {km} run is in: your cool-down is ready."
    assert not re.search(r"bpm|heart|pace|/km|discomfort", json.dumps(latest), re.I)
    store_of(app).set_setting("units", "mi")
    miles = client.get("/api/latest-run").get_json()["text"]
    assert re.fullmatch(r"Your \d+\.\d mi run is in: your cool-down is ready\.", miles), miles


def test_a_run_that_ended_days_ago_is_not_fresh(app: Flask) -> None:
    add_run(app, NOW - timedelta(days=3))
    assert app.test_client().get("/api/latest-run").get_json()["fresh"] is False


# -- beyond this machine: signed in only ------------------------------------------------------------------------------


@pytest.fixture
def login_app(db_url: str) -> Iterator[Flask]:
    app = create_app({"DATABASE_URL": db_url, "CLOCK": lambda: NOW, "LOGIN_REQUIRED": True})
    set_password(store_of(app), PASSWORD)
    yield app
    store_of(app).close()


def csrf_token(client: FlaskClient, path: str) -> str:
    found = re.search(r'name="csrf-token" content="([^"]+)"', client.get(path).get_data(as_text=True))
    assert found
    return found.group(1)


def test_beyond_this_machine_the_newest_run_the_worker_and_the_manifest_need_a_sign_in(login_app: Flask) -> None:
    add_run(login_app, NOW - timedelta(hours=1))
    stranger = login_app.test_client()
    refused = stranger.get("/api/latest-run", headers={"Accept": "application/json"})
    assert refused.status_code == 401 and refused.get_json() == {"error": "Please sign in again."}
    for path in ("/sw.js", "/manifest.webmanifest", "/api/latest-run"):
        response = stranger.get(path)
        assert response.status_code == 302 and "/login" in response.headers["Location"], path
    # The icons are static files: the sign-in page may show them.
    assert stranger.get("/static/icons/icon-192.png").status_code == 200
    # The sign-in page loads no worker and no queue: they would only be refused there.
    login_page = stranger.get("/login").get_data(as_text=True)
    assert "offline.js" not in login_page and "nudge.js" not in login_page

    runner = login_app.test_client()
    signed = runner.post("/login", data={"csrf_token": csrf_token(runner, "/login"), "password": PASSWORD})
    assert signed.status_code == 302
    assert runner.get("/api/latest-run").get_json()["fresh"] is True
    assert runner.get("/sw.js").status_code == 200
    assert runner.get("/manifest.webmanifest").status_code == 200
    # Signed in, every page offers the sign-out, whose form offline.js hooks to clear what the device kept.
    today = runner.get("/").get_data(as_text=True)
    assert re.search(r'<form method="post" action="/logout" class="signout">', today)


# -- in the browser ---------------------------------------------------------------------------------------------------


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    need_browser()
    started = Server(tmp_path / "server").start()
    yield started
    started.stop()


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    context = browser.new_context(viewport=PHONE, service_workers="allow")
    context.set_default_timeout(15_000)
    yield context
    context.close()


def controlled(page: Page, url: str, *, kept: bool = True) -> None:
    """Open `url`, wait for the worker to be active, and open it again: now the worker controls the page
    (and answers it, when it is one of the pages it keeps)."""
    page.goto(url)
    page.evaluate("navigator.serviceWorker.ready.then(function () { return true; })")
    page.wait_for_function("() => navigator.serviceWorker.controller !== null")
    response = page.reload()
    assert response is not None and response.from_service_worker is kept
    page.wait_for_function("() => navigator.serviceWorker.controller !== null")


def sessions_in(server: Server) -> list[Any]:
    with Store(server.db_url) as store:
        return store.routine_sessions()


def wait_for(check: Callable[[], bool], seconds: float = 15.0) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("waited in vain")
        time.sleep(0.1)


#: What the timer sends when a warm-up ends (today.py's `_record`), from the page's own plan.
ROUTINE_DONE = """
() => {
  var plan = JSON.parse(document.getElementById("routine-plan").textContent);
  return {
    url: plan.done_url,
    body: {
      items_planned: plan.items.length, items_done: plan.items.length, seconds_done: 120, completed: true,
      items: plan.items.map(function (item) { return { id: item.id, variant: item.variant }; })
    }
  };
}
"""


@pytest.mark.browser
@pytest.mark.slow
def test_the_worker_installs_takes_over_the_page_and_the_manifest_and_icons_load(
    server: Server, context: BrowserContext, problems: PageProblems
) -> None:
    page = problems.watch(context.new_page())
    controlled(page, server.url + "/")
    scope = page.evaluate("navigator.serviceWorker.ready.then(function (r) { return r.scope; })")
    assert scope == server.url + "/"
    caches = page.evaluate("caches.keys()")
    assert any(name.startswith("recovery-shell-0.1.0-") for name in caches), caches
    kept = page.evaluate("""caches.keys().then(function (names) {
        var shell = names.filter(function (n) { return n.indexOf("recovery-shell-") === 0; })[0];
        return caches.open(shell).then(function (c) { return c.keys(); }).then(function (requests) {
          return requests.map(function (r) { return new URL(r.url).pathname; });
        });
      })""")
    for name in ("/static/app.css", "/static/timer.js", "/static/offline.js", "/static/icons/icon-512.png"):
        assert name in kept, name
    # What Chromium reads to offer "Install": the manifest, parsed, and its icons.
    manifest = page.evaluate("""() => {
      var link = document.querySelector('link[rel="manifest"]');
      return fetch(link.href, { credentials: "include" }).then(function (r) {
        return r.json().then(function (body) { return { type: r.headers.get("content-type"), body: body }; });
      });
    }""")
    assert manifest["type"].startswith("application/manifest+json")
    assert manifest["body"]["display"] == "standalone" and manifest["body"]["start_url"] == "/"
    for icon in manifest["body"]["icons"]:
        loaded = page.evaluate(
            """(src) => fetch(src).then(function (r) {
            return { status: r.status, type: r.headers.get("content-type") }; })""",
            icon["src"],
        )
        assert loaded == {"status": 200, "type": "image/png"}, icon
    cdp = context.new_cdp_session(page)
    try:
        parsed = cdp.send("Page.getAppManifest")
    finally:
        cdp.detach()
    assert parsed["url"] == server.url + "/manifest.webmanifest"
    assert not [e for e in parsed.get("errors", []) if e.get("critical")], parsed.get("errors")
    assert json.loads(parsed["data"])["name"] == "Recovery coach"
    problems.assert_none()


@pytest.mark.browser
@pytest.mark.slow
def test_with_the_network_cut_today_and_a_timer_still_open_from_this_device(
    server: Server, context: BrowserContext, problems: PageProblems, tmp_path: Path
) -> None:
    page = problems.watch(context.new_page())
    controlled(page, server.url + "/")
    page.goto(server.url + "/timer/warmup?speed=40")
    expect(page.locator("#start")).to_be_visible()
    heading = page.goto(server.url + "/")
    assert heading is not None
    today_before = page.locator("main h1").inner_text()
    # A run lands on the server meanwhile: Today online would now lead with it, the kept copy does not.
    fresh = tmp_path / "fresh.fit"
    fresh.write_bytes(to_fit(make_run(7, datetime.now(UTC) - timedelta(hours=1), duration_s=1800, interval_s=5)))
    run_id_from(server.import_file(fresh))

    context.set_offline(True)
    offline = page.goto(server.url + "/")
    assert offline is not None and offline.from_service_worker
    expect(page.locator("main h1")).to_have_text(today_before)
    expect(page.get_by_test_id("offline-banner")).to_be_visible()
    expect(page.get_by_test_id("offline-banner")).to_have_text(
        "Offline: what you do is kept and sent when the connection returns"
    )
    # The stylesheet came from the shell: the banner has its colours, not the browser's defaults.
    assert page.locator(".offline-banner").evaluate("e => getComputedStyle(e).position") == "sticky"

    page.goto(server.url + "/timer/warmup?speed=40")
    expect(page.locator("#start")).to_be_visible()
    page.locator("#start").click()
    expect(page.locator("body")).to_have_attribute("data-timer-state", "running")
    expect(page.locator("#figure")).to_have_attribute("src", re.compile(r"/static/figures/.+\.svg$"))
    assert page.locator("#figure").evaluate("img => img.complete && img.naturalWidth > 0")

    # A page never opened on this device says so, in one sentence.
    page.goto(server.url + "/timer/strength")
    expect(page.locator("main")).to_contain_text("this page has not been opened on this device yet")
    problems.seen = [p for p in problems.seen if not p.endswith("status of 503 ()")]  # that page's own 503
    context.set_offline(False)
    page.goto(server.url + "/")
    expect(page.locator("main h1")).to_have_text("Today's run")  # back online: the live page, with the new run
    expect(page.get_by_test_id("offline-banner")).to_be_hidden()
    problems.seen = [p for p in problems.seen if "ERR_INTERNET_DISCONNECTED" not in p]
    problems.assert_none()


@pytest.mark.browser
@pytest.mark.slow
def test_a_routine_saved_offline_is_kept_and_stored_exactly_once_when_the_network_returns(
    server: Server, context: BrowserContext, problems: PageProblems
) -> None:
    page = problems.watch(context.new_page())
    controlled(page, server.url + "/timer/warmup?speed=40")
    context.set_offline(True)  # the network drops mid-routine, the timer open
    expect(page.get_by_test_id("offline-banner")).to_be_visible()
    done = page.evaluate(ROUTINE_DONE)
    reply = page.evaluate("(d) => RecoveryOffline.send(d.url, d.body, {})", done)
    assert reply["queued"] is True and reply["ok"] is False and reply["status"] == 0
    assert reply["body"]["message"] == "Saved on this device: it is sent when the connection returns."
    # The feedback on that session, whose address only the server's reply will give.
    after = page.evaluate("(id) => RecoveryOffline.sendAfter(id, 'feedback_url', { back_after: 'better' }, {})",
                          reply["id"])  # fmt: skip
    assert after["queued"] is True
    assert len(page.evaluate("RecoveryOffline.waiting()")) == 2
    assert sessions_in(server) == []
    # The token the page was kept with may belong to a session that has ended: the replay fetches a fresh one.
    page.evaluate("document.querySelector('meta[name=\"csrf-token\"]').content = 'stale'")
    page.evaluate("""window.__heard = [];
      window.addEventListener("recovery-offline", function (e) { window.__heard.push(e.detail.outcome); });""")

    context.set_offline(False)  # the online event sends what was kept
    page.wait_for_function("() => window.__heard.length === 2")
    assert page.evaluate("window.__heard") == ["sent", "sent"]
    assert page.evaluate("RecoveryOffline.waiting()") == []
    expect(page.get_by_test_id("offline-banner")).to_be_hidden()
    page.reload()  # every page load sends what is waiting: nothing is, so nothing is sent twice
    page.evaluate("RecoveryOffline.replay()")
    stored = sessions_in(server)
    assert len(stored) == 1
    assert stored[0].phase == "warmup" and stored[0].completed and stored[0].seconds_done == 120
    assert stored[0].back_after == "better"
    # Expected: the requests the network refused, and the one the stale token had refused before the fresh one.
    problems.seen = [p for p in problems.seen if "ERR_INTERNET_DISCONNECTED" not in p and "status of 400" not in p]
    problems.assert_none()


@pytest.mark.browser
@pytest.mark.slow
def test_a_kept_request_the_server_refuses_is_dropped_and_remembered_as_failed(
    server: Server, context: BrowserContext, problems: PageProblems
) -> None:
    page = problems.watch(context.new_page())
    controlled(page, server.url + "/timer/warmup")
    context.set_offline(True)
    done = page.evaluate(ROUTINE_DONE)
    reply = page.evaluate("(d) => RecoveryOffline.send(d.url, { items_planned: 1 }, {})", done)
    assert reply["queued"] is True
    page.evaluate("""window.__heard = [];
      window.addEventListener("recovery-offline", function (e) { window.__heard.push(e.detail); });""")
    context.set_offline(False)
    page.wait_for_function("() => window.__heard.length === 1")
    assert page.evaluate("window.__heard[0].outcome") == "failed"
    assert page.evaluate("RecoveryOffline.waiting()") == []
    failed = page.evaluate("RecoveryOffline.failed()")
    assert [(f["url"], f["status"], f["error"]) for f in failed] == [
        (done["url"], 400, "The timer sent an incomplete record; nothing was saved.")
    ]
    assert sessions_in(server) == []
    problems.seen = [p for p in problems.seen if "ERR_INTERNET_DISCONNECTED" not in p and "status of 400" not in p]
    problems.assert_none()


@pytest.mark.browser
@pytest.mark.slow
def test_a_new_fresh_run_is_announced_once_on_a_device_that_allowed_notifications(
    server: Server, browser: Browser, problems: PageProblems, tmp_path: Path
) -> None:
    context = browser.new_context(viewport=PHONE, service_workers="allow")
    context.set_default_timeout(15_000)
    try:
        old = tmp_path / "old.fit"
        old.write_bytes(to_fit(make_run(3, datetime.now(UTC) - timedelta(days=5), duration_s=1800, interval_s=5)))
        server.import_file(old)
        page = problems.watch(context.new_page())
        controlled(page, server.url + "/settings", kept=False)
        button = page.get_by_role("button", name="Notify me on this device when a run is in")
        expect(button).to_be_visible()
        context.grant_permissions(["notifications"], origin=server.url)
        button.click()
        expect(page.get_by_test_id("device-notify-status")).to_have_text(
            "This device is told when a run is in, while the dashboard is open here."
        )
        page.wait_for_function("() => localStorage.getItem('recovery-latest-run') !== null")
        assert page.evaluate("RecoveryNudge.check()") is None  # the old run: remembered, not announced

        fresh = tmp_path / "fresh.fit"
        fresh.write_bytes(to_fit(make_run(8, datetime.now(UTC) - timedelta(hours=1), duration_s=1800, interval_s=5)))
        run_id = run_id_from(server.import_file(fresh))
        latest = page.evaluate("RecoveryNudge.check()")
        assert latest["id"] == run_id
        shown = page.evaluate("""navigator.serviceWorker.ready.then(function (r) { return r.getNotifications(); })
            .then(function (list) { return list.map(function (n) { return { title: n.title, body: n.body,
              tag: n.tag, url: n.data && n.data.url }; }); })""")
        assert shown == [{"title": "Recovery coach", "body": latest["text"], "tag": f"run-{run_id}", "url": "/"}]
        assert re.fullmatch(r"Your \d+\.\d km run is in: your cool-down is ready\.", latest["text"])
        assert page.evaluate("RecoveryNudge.check()") is None  # the same run again: no second notice
    finally:
        context.close()
    problems.assert_none()


@pytest.fixture
def signed_in_server(tmp_path: Path) -> Iterator[tuple[str, Store]]:
    """The dashboard as a non-local bind serves it (every page asks for the password), under cheroot on 127.0.0.1.

    `recovery serve` refuses a non-local bind without TLS set up, so the app runs here in cheroot itself, in a
    thread: the same server and the same app, asking for a sign-in as it would on the home network.
    """
    need_browser()
    app = create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'recovery.sqlite3'}", "LOGIN_REQUIRED": True})
    set_password(store_of(app), PASSWORD)
    port = free_port()
    server = cheroot_wsgi.Server(("127.0.0.1", port), app, numthreads=4)
    thread = threading.Thread(target=server.safe_start, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.ready and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.ready, "cheroot did not start"
    try:
        yield f"http://127.0.0.1:{port}", store_of(app)
    finally:
        server.stop()
        thread.join(timeout=10)
        store_of(app).close()


def sign_in_page(page: Page, url: str) -> None:
    page.goto(url + "/login")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


KEPT_PAGES = """caches.open("recovery-pages").then(function (c) { return c.keys(); })
  .then(function (requests) { return requests.map(function (r) { return new URL(r.url).pathname; }); })"""


@pytest.mark.browser
@pytest.mark.slow
def test_signing_out_or_a_sign_in_that_ended_leaves_no_kept_page_for_the_next_visitor(
    signed_in_server: tuple[str, Store], context: BrowserContext, problems: PageProblems
) -> None:
    url, store = signed_in_server
    page = problems.watch(context.new_page())
    sign_in_page(page, url)
    controlled(page, url + "/")
    assert page.evaluate(KEPT_PAGES) == ["/"]

    # Signing out clears what this device kept, before the sign-out is sent.
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_label("Password")).to_be_visible()
    assert not [name for name in page.evaluate("caches.keys()") if name == "recovery-pages"]

    # A sign-in ended elsewhere (`recovery password set`, or it ran out): the server sends the page to the
    # sign-in, and the worker forgets the kept copy; offline, there is nothing to show.
    sign_in_page(page, url)
    page.goto(url + "/")
    assert page.evaluate(KEPT_PAGES) == ["/"]
    store.end_login_sessions()
    page.goto(url + "/")
    expect(page.get_by_label("Password")).to_be_visible()
    page.wait_for_timeout(200)  # the worker deletes the kept pages as it hands over the redirect
    assert page.evaluate("caches.keys()").count("recovery-pages") == 0
    context.set_offline(True)
    page.goto(url + "/")
    expect(page.locator("main")).to_contain_text("this page has not been opened on this device yet")
    context.set_offline(False)
    # Expected: the worker's own try at the network, and the offline page's 503.
    problems.seen = [p for p in problems.seen if "ERR_INTERNET_DISCONNECTED" not in p and "status of 503" not in p]
    problems.assert_none()


@pytest.mark.browser
@pytest.mark.slow
def test_a_warmup_timed_to_its_end_with_the_network_cut_is_stored_once_when_it_returns(
    server: Server, context: BrowserContext, problems: PageProblems
) -> None:
    page = problems.watch(context.new_page())
    controlled(page, server.url + "/timer/warmup?speed=1000")
    context.set_offline(True)  # the Wi-Fi drops with the timer open
    page.locator("#start").click()
    expect(page.locator("body")).to_have_attribute("data-timer-state", "done", timeout=60_000)
    message = page.get_by_test_id("done-message")
    expect(message).not_to_have_text("Saving…")
    assert not message.inner_text().startswith("Not saved"), message.inner_text()
    assert len(page.evaluate("RecoveryOffline.waiting()")) == 1
    assert sessions_in(server) == []
    # "How is your back now?" still answers offline: kept behind the record it belongs to.
    page.get_by_role("button", name="Better").click()
    expect(page.get_by_test_id("feedback-status")).to_have_text(
        "Kept on this phone: it is sent when the connection returns.")
    assert len(page.evaluate("RecoveryOffline.waiting()")) == 2

    context.set_offline(False)
    wait_for(lambda: [s.back_after for s in sessions_in(server)] == ["better"])
    # The end screen says what the server said once the record reached it.
    expect(message).to_have_text(re.compile(r"^Well done: \d+ of \d+ moves recorded\.$"))
    page.goto(server.url + "/")  # a page load sends what waits: nothing does, so nothing goes twice
    page.evaluate("RecoveryOffline.replay()")
    stored = sessions_in(server)
    assert len(stored) == 1 and stored[0].phase == "warmup" and stored[0].completed
    problems.seen = [p for p in problems.seen if "ERR_INTERNET_DISCONNECTED" not in p]
    problems.assert_none()
