"""The nudge when a run lands: which run, what it says, when it goes, and that a push server's failure harms nothing.

The deciding is tested as plain functions (with hypothesis where a rule must
hold for every input); the sending through a real local HTTP server standing
in for ntfy and for a generic Apprise `json://` endpoint, on both databases.
"""

from __future__ import annotations

import io
import json
import logging
import re
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from datetime import time as clock_time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from flask.testing import FlaskClient
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from recovery import nudges
from recovery.cli import cli
from recovery.coach.words import distance
from recovery.coaching import cooldown_for, gather
from recovery.ingest import InProcess
from recovery.model import Run
from recovery.nudges import Drop, Hold, Send
from recovery.settings import Settings, validate
from recovery.store import Store, StoredNudge, StoredRun
from recovery.synthetic import make_run, to_fit, to_gpx
from recovery.watchers.service import FolderSync
from tests.conftest import NOW, free_port, zip_bytes

PARIS = "Europe/Paris"
TOPIC = "secret-topic-4f9a"


# -- a local push server ------------------------------------------------------------


class Capture:
    """A local HTTP server standing in for ntfy or a JSON webhook: records every POST, answers `status`."""

    def __init__(self) -> None:
        self.posts: list[dict[str, Any]] = []
        self.status = 200
        capture = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                capture.posts.append({"path": self.path, "headers": dict(self.headers), "json": json.loads(body)})
                self.send_response(capture.status)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def ntfy(self) -> str:
        return f"ntfy://127.0.0.1:{self.port}/{TOPIC}"

    @property
    def json_hook(self) -> str:
        return f"json://127.0.0.1:{self.port}/hook"

    def wait_for(self, count: int, seconds: float = 15) -> list[dict[str, Any]]:
        deadline = time.monotonic() + seconds
        while len(self.posts) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        return self.posts

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def push() -> Iterator[Capture]:
    capture = Capture()
    yield capture
    capture.close()


# -- runs and settings as the deciding sees them ----------------------------------------


def a_run(ended: datetime, *, metres: float | None = 12_400, minutes: float = 62, sport: str = "run") -> Run:
    return Run(content_id=f"c{ended.timestamp()}", source_format="fit", sport=sport, sport_label=sport.title(),
               start_time_utc=ended - timedelta(minutes=minutes), elapsed_s=minutes * 60, moving_s=minutes * 60,
               distance_m=metres)  # fmt: skip


def stored(run_id: int, run: Run) -> StoredRun:
    return StoredRun(run_id, run, ())


def nudge_for(run_id: int, *, attempts: int = 0) -> StoredNudge:
    return StoredNudge(id=run_id, run_id=run_id, queued_at=NOW, due_at=NOW, attempts=attempts)


def prefs(**changes: Any) -> Settings:
    values: dict[str, Any] = {"nudge_url": "ntfys://ntfy.example/runs", "time_zone": "UTC"} | changes
    return Settings(**values)


QUIET = {"quiet_from": "22:00", "quiet_until": "07:00", "time_zone": PARIS}


def test_the_newest_fresh_run_of_a_batch_is_the_only_one_chosen() -> None:
    batch = [
        stored(1, a_run(NOW - timedelta(days=3))),  # an old run from the same export
        stored(2, a_run(NOW - timedelta(hours=5))),
        stored(3, a_run(NOW - timedelta(hours=1))),
        stored(4, a_run(NOW - timedelta(minutes=10), sport="ride")),  # newer, but not a run
    ]
    assert nudges.chosen_run(batch, NOW) == 3


def test_an_export_of_old_runs_gets_no_nudge() -> None:
    batch = [stored(i, a_run(NOW - timedelta(days=2 + i))) for i in range(300)]
    assert nudges.chosen_run(batch, NOW) is None


@hypothesis_settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(min_value=-3 * 24 * 60, max_value=3 * 24 * 60), max_size=12))
def test_a_batch_gets_at_most_one_nudge_and_only_for_its_newest_fresh_run(ago_minutes: list[int]) -> None:
    batch = [stored(i + 1, a_run(NOW - timedelta(minutes=m))) for i, m in enumerate(ago_minutes)]
    chosen = nudges.chosen_run(batch, NOW)
    fresh = [s for s in batch if abs(NOW - s.run.end_time_utc) <= timedelta(days=1)]  # type: ignore[operator]
    if not fresh:
        assert chosen is None
    else:
        newest = max(s.run.end_time_utc for s in fresh)  # type: ignore[type-var]
        assert chosen in {s.id for s in fresh if s.run.end_time_utc == newest}


def test_quiet_hours_that_wrap_midnight_hold_the_nudge_until_they_end_in_the_runners_zone() -> None:
    now = datetime(2026, 11, 24, 23, 30, tzinfo=ZoneInfo(PARIS))
    run = a_run(now - timedelta(minutes=20))
    decision = nudges.decide(nudge_for(1), run, prefs(**QUIET), now.astimezone(UTC), cooldown_minutes=7)
    assert decision == Hold(datetime(2026, 11, 25, 7, 0, tzinfo=ZoneInfo(PARIS)))
    early = datetime(2026, 11, 25, 6, 59, tzinfo=ZoneInfo(PARIS))
    assert isinstance(nudges.decide(nudge_for(1), run, prefs(**QUIET), early, cooldown_minutes=7), Hold)


def test_a_held_nudge_is_sent_when_the_quiet_hours_end_if_its_run_is_still_fresh() -> None:
    end = datetime(2026, 11, 25, 7, 0, tzinfo=ZoneInfo(PARIS))
    run = a_run(datetime(2026, 11, 24, 23, 10, tzinfo=ZoneInfo(PARIS)))
    decision = nudges.decide(nudge_for(5), run, prefs(**QUIET), end, cooldown_minutes=7)
    assert decision == Send(nudges.Message("Cool-down ready", "Your 12.4 km run is in: 7-minute cool-down ready"))


def test_a_held_nudge_whose_run_is_no_longer_fresh_when_the_quiet_hours_end_is_dropped() -> None:
    quiet = {"quiet_from": "20:00", "quiet_until": "07:00", "time_zone": PARIS}
    end = datetime(2026, 11, 26, 7, 0, tzinfo=ZoneInfo(PARIS))
    run = a_run(datetime(2026, 11, 24, 22, 0, tzinfo=ZoneInfo(PARIS)))  # imported the next evening, in the quiet
    decision = nudges.decide(nudge_for(1), run, prefs(**quiet), end, cooldown_minutes=7)
    assert isinstance(decision, Drop) and "no longer fresh" in decision.reason


times_of_day = st.builds(clock_time, st.integers(0, 23), st.sampled_from([0, 15, 30, 45]))


@hypothesis_settings(max_examples=300, deadline=None)
@given(times_of_day, times_of_day, st.integers(0, 3 * 24 * 60 - 1), st.sampled_from(["UTC", PARIS, "America/New_York"]))
def test_a_nudge_is_never_sent_during_quiet_hours_and_a_held_one_waits_exactly_until_they_end(
    start: clock_time, end: clock_time, minute: int, zone: str
) -> None:
    now = datetime(2026, 3, 28, tzinfo=UTC) + timedelta(minutes=minute)  # across Europe's spring clock change
    runner = prefs(quiet_from=f"{start:%H:%M}", quiet_until=f"{end:%H:%M}", time_zone=zone)
    run = a_run(now - timedelta(minutes=5))
    decision = nudges.decide(nudge_for(1), run, runner, now, cooldown_minutes=7)
    local = now.astimezone(ZoneInfo(zone))
    of_day = local.hour * 60 + local.minute
    begins, ends = start.hour * 60 + start.minute, end.hour * 60 + end.minute
    quiet = begins != ends and (of_day - begins) % 1440 < (ends - begins) % 1440
    assert isinstance(decision, Hold if quiet else Send)
    if isinstance(decision, Hold):
        assert now < decision.until <= now + timedelta(hours=25)
        assert decision.until.astimezone(ZoneInfo(zone)).time() == end or zone != "UTC"
        assert not nudges.is_quiet(runner, decision.until)


def test_the_words_give_the_distance_in_the_runners_units_and_the_link_to_the_timer() -> None:
    run = a_run(NOW - timedelta(hours=1), metres=12_400)
    km = nudges.words(run, prefs(public_url="https://192.168.1.20:8000"), run_id=42, cooldown_minutes=7)
    assert km.body == "Your 12.4 km run is in: 7-minute cool-down ready"
    assert km.link == "https://192.168.1.20:8000/timer/42"
    assert km.text == "Your 12.4 km run is in: 7-minute cool-down ready\nhttps://192.168.1.20:8000/timer/42"
    miles = nudges.words(run, prefs(units="mi"), run_id=42, cooldown_minutes=7)
    assert distance(12_400, "mi") == "7.7 mi"
    assert miles.body == "Your 7.7 mi run is in: 7-minute cool-down ready"
    assert miles.link is None, "no dashboard address: no link"
    treadmill = nudges.words(a_run(NOW, metres=None), prefs(), run_id=1, cooldown_minutes=None)
    assert treadmill.body == "Your run is in: your cool-down is ready"


@hypothesis_settings(max_examples=200, deadline=None)
@given(st.none() | st.floats(0, 300_000), st.none() | st.integers(1, 60), st.sampled_from(["km", "mi"]))
def test_plain_words_carry_no_figure_at_all(metres: float | None, minutes: int | None, units: str) -> None:
    message = nudges.words(a_run(NOW, metres=metres), prefs(nudge_words="plain", units=units), run_id=7,
                           cooldown_minutes=minutes)  # fmt: skip
    assert message.body == "A new run is in: your cool-down is ready"
    assert not re.search(r"\d", message.title + message.body)


def test_a_nudge_that_keeps_failing_is_retried_with_longer_waits_then_dropped() -> None:
    assert [nudges.retry_at(n, NOW) - NOW for n in (1, 2, 3, 4)] == [timedelta(minutes=m) for m in (1, 2, 4, 8)]
    run = a_run(NOW - timedelta(minutes=30))
    decision = nudges.decide(nudge_for(1, attempts=nudges.MAX_ATTEMPTS), run, prefs(), NOW)
    assert isinstance(decision, Drop)
    assert isinstance(nudges.decide(nudge_for(1), run, prefs(nudge_url=None), NOW), Drop), "turned off meanwhile"


def test_what_apprise_logged_becomes_one_plain_cause() -> None:
    assert nudges.cause_of("ntfys://ntfy.example", ["Failed to send ntfy notification to topic 'x': error=500."]) == (
        "the push server at ntfys://ntfy.example answered with error 500"
    )
    assert nudges.cause_of("ntfys://ntfy.example", ["A Connection error occurred sending ntfy"]) == (
        "the push server at ntfys://ntfy.example did not answer"
    )


# -- the settings ------------------------------------------------------------------------


def test_the_nudge_settings_are_checked_with_one_sentence_per_mistake_and_no_token_repeated() -> None:
    rows, problems = validate({"nudge_url": "ntfys://ntfy.sh/runs", "quiet_from": "7:00", "quiet_until": "22:30",
                               "nudge_words": "plain", "public_url": "https://192.168.1.20:8000/"})  # fmt: skip
    assert problems == []
    assert rows == {"nudge_url": "ntfys://ntfy.sh/runs", "quiet_from": "07:00", "quiet_until": "22:30",
                    "nudge_words": "plain", "public_url": "https://192.168.1.20:8000"}  # fmt: skip
    rows, problems = validate({"nudge_url": "nosuch://tk_SECRETTOKEN@example", "quiet_from": "25:00",
                               "nudge_words": "loud", "public_url": "ftp://nas"})  # fmt: skip
    assert rows == {} and len(problems) == 4
    assert all(p.count(".") >= 1 and "\n" not in p for p in problems)
    assert not any("SECRETTOKEN" in p for p in problems), problems
    assert "Apprise" in problems[0] and "nosuch://" in problems[0]


def test_the_settings_answer_shows_the_push_address_as_its_server_only() -> None:
    shown = Settings(nudge_url=f"ntfys://tk_abc@ntfy.sh/{TOPIC}").to_json()
    assert shown["nudge_url"] == "ntfys://ntfy.sh"


# -- sending through the watcher -------------------------------------------------------------


class Clock:
    def __init__(self, moment: datetime) -> None:
        self.moment = moment

    def __call__(self) -> datetime:
        return self.moment


def watching(store: Store, folder: Path, clock: Callable[[], datetime]) -> FolderSync:
    """`serve`'s watchers, driven by hand: scans and ticks run when the test says."""
    store.add_folder(str(folder), now=clock())
    sync = FolderSync(store, clock=clock, parser=InProcess())
    sync.sync()
    return sync


def scan(sync: FolderSync, store: Store, runs: int) -> None:
    """Run the folder's scan job until `runs` activities are stored (a new file settles for half a second)."""
    job = sync.scheduler.get_jobs()[0]
    deadline = time.monotonic() + 15
    while True:
        job.func(*job.args)
        if store.count_runs(only_runs=False) >= runs:
            return
        assert time.monotonic() < deadline, "the watched file was never imported"
        time.sleep(0.2)


def nudging_to(store: Store, url: str, **more: str) -> None:
    rows, problems = validate({"nudge_url": url, "time_zone": "UTC", **more})
    assert not problems, problems
    store.set_settings(rows)


def expected_words(store: Store, now: datetime) -> str:
    """The nudge's words as the dashboard would put them: its distance and its cool-down's minutes."""
    latest = store.latest(only_runs=True)
    assert latest is not None
    routine = cooldown_for(store, gather(store, now), latest, now)
    assert routine is not None
    minutes = max(1, round(routine.total_s / 60))
    assert f"about {minutes} minutes" in routine.summary, "the same minutes as the cool-down's own summary"
    return f"Your {distance(latest.run.distance_m)} run is in: {minutes}-minute cool-down ready"


def test_a_run_landing_in_a_watched_folder_posts_exactly_one_nudge_with_its_words_and_link(
    db_url: str, tmp_path: Path, push: Capture
) -> None:
    with Store(db_url) as store:
        nudging_to(store, push.ntfy, public_url="https://192.168.1.20:8000")
        folder = tmp_path / "watch"
        folder.mkdir()
        (folder / "A1.FIT").write_bytes(to_fit(make_run(1, NOW - timedelta(hours=2), duration_s=3000)))
        sync = watching(store, folder, Clock(NOW))
        scan(sync, store, 1)
        posts = push.wait_for(1)
        assert len(posts) == 1
        run_id = store.latest(only_runs=True).id  # type: ignore[union-attr]
        body = posts[0]["json"]
        assert body["topic"] == TOPIC and body["title"] == "Cool-down ready"
        assert body["message"] == f"{expected_words(store, NOW)}\nhttps://192.168.1.20:8000/timer/{run_id}"
        assert posts[0]["headers"]["X-Click"] == f"https://192.168.1.20:8000/timer/{run_id}"
        assert "X-Icon" not in posts[0]["headers"], "nothing on the phone fetches from a third party"
        for _ in range(3):  # later scans and ticks, and a restart of the watchers
            sync.scheduler.get_jobs()[0].func(*sync.scheduler.get_jobs()[0].args)
            sync._sync_job()
        watching(store, folder, Clock(NOW + timedelta(minutes=5)))._sync_job()
        time.sleep(0.3)
        assert len(push.posts) == 1, "a run is nudged once"
        assert store.nudge(run_id).sent_at == NOW  # type: ignore[union-attr]


def test_a_run_landing_in_the_quiet_hours_is_nudged_when_they_end(db_url: str, tmp_path: Path, push: Capture) -> None:
    evening = datetime(2026, 11, 24, 22, 40, tzinfo=UTC)
    clock = Clock(evening)
    with Store(db_url) as store:
        nudging_to(store, push.json_hook, quiet_from="22:00", quiet_until="07:00")
        folder = tmp_path / "watch"
        folder.mkdir()
        (folder / "late.fit").write_bytes(to_fit(make_run(2, evening - timedelta(minutes=40), duration_s=1800)))
        sync = watching(store, folder, clock)
        scan(sync, store, 1)
        clock.moment = datetime(2026, 11, 25, 6, 59, tzinfo=UTC)
        sync._sync_job()
        time.sleep(0.3)
        assert push.posts == [], "held through the quiet hours"
        clock.moment = datetime(2026, 11, 25, 7, 0, 30, tzinfo=UTC)
        sync._sync_job()
        posts = push.wait_for(1)
        assert len(posts) == 1 and posts[0]["path"] == "/hook"
        assert posts[0]["json"]["message"] == expected_words(store, clock.moment), "a json:// hook gets the text"
        sync._sync_job()
        assert len(push.posts) == 1


def test_a_nudge_held_past_its_runs_freshness_is_dropped_with_a_line_in_the_log(
    db_url: str, tmp_path: Path, push: Capture, caplog: pytest.LogCaptureFixture
) -> None:
    clock = Clock(datetime(2026, 11, 25, 21, 0, tzinfo=UTC))
    with Store(db_url) as store:
        nudging_to(store, push.ntfy, quiet_from="20:00", quiet_until="07:00")
        folder = tmp_path / "watch"
        folder.mkdir()
        ran = datetime(2026, 11, 24, 21, 30, tzinfo=UTC)  # synced from the watch a day late, in the quiet hours
        (folder / "a.fit").write_bytes(to_fit(make_run(3, ran, duration_s=1800)))
        sync = watching(store, folder, clock)
        scan(sync, store, 1)
        clock.moment = datetime(2026, 11, 26, 7, 1, tzinfo=UTC)
        with caplog.at_level(logging.INFO, logger="recovery.nudges"):
            sync._sync_job()
        assert push.posts == []
        assert "The nudge for the run of 24 November was not sent: its run is no longer fresh" in caplog.text
        assert store.nudges_due(clock.moment + timedelta(days=30)) == [], "dropped for good"


@pytest.mark.parametrize("failure", ["error 500", "refused connection"])
def test_a_failing_push_server_is_logged_once_and_the_imports_go_on(
    failure: str, db_url: str, tmp_path: Path, push: Capture, caplog: pytest.LogCaptureFixture
) -> None:
    push.status = 500
    url = push.ntfy if failure == "error 500" else f"ntfy://127.0.0.1:{free_port()}/{TOPIC}"
    clock = Clock(NOW)
    with Store(db_url) as store, caplog.at_level(logging.INFO):
        nudging_to(store, url)
        folder = tmp_path / "watch"
        folder.mkdir()
        (folder / "a.fit").write_bytes(to_fit(make_run(4, NOW - timedelta(hours=3), duration_s=1800)))
        sync = watching(store, folder, clock)
        started = time.monotonic()
        scan(sync, store, 1)
        assert time.monotonic() - started < 12, "a push server that fails holds up nothing for long"
        assert store.count_runs(only_runs=True) == 1, "the run is stored all the same"
        first = store.latest(only_runs=True)
        assert first is not None
        for minutes in (1, 3, 7, 15, 31, 63):  # the later ticks: each retry's wait has passed
            clock.moment = NOW + timedelta(minutes=minutes)
            sync._sync_job()
        cause = "answered with error 500" if failure == "error 500" else "did not answer"
        sentence = "The nudge for the run of 24 November could not be sent: the push server at ntfy://127.0.0.1:"
        said = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
        warnings = [line for line in said if "could not be sent" in line]
        assert len(warnings) == 1, warnings
        assert warnings[0].startswith(sentence) and cause in warnings[0]
        ours = [r.getMessage() for r in caplog.records if not r.name.startswith("apprise")]
        assert ours and not any(TOPIC in line for line in ours), "the topic (a secret on ntfy.sh) is never logged"
        assert not logging.getLogger("apprise").propagate, "nor are Apprise's own lines, which name it"
        if failure == "error 500":
            assert len(push.posts) == nudges.MAX_ATTEMPTS, "tried a bounded number of times"
        row = store.nudge(first.id)
        assert row is not None and row.sent_at is None and row.dropped_at is not None and cause in (row.problem or "")
        (folder / "b.fit").write_bytes(to_fit(make_run(5, NOW - timedelta(hours=1), duration_s=1200)))
        scan(sync, store, 2)
        assert store.count_runs(only_runs=True) == 2, "the next import still works"


# -- sending through the upload ------------------------------------------------------------------


def csrf_token(client: FlaskClient, path: str = "/settings") -> str:
    page = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf-token" content="([^"]+)"', page)
    assert match
    return match.group(1)


def upload(client: FlaskClient, data: bytes, name: str) -> dict[str, Any]:
    response = client.post(
        "/imports/upload",
        data={"file": [(io.BytesIO(data), name)]},
        content_type="multipart/form-data",
        headers={"X-CSRFToken": csrf_token(client, "/imports"), "Accept": "application/json"},
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()  # type: ignore[no-any-return]


def test_an_uploaded_export_posts_one_nudge_for_its_newest_fresh_run_only(
    app: Any, client: FlaskClient, push: Capture
) -> None:
    store: Store = app.extensions["recovery.store"]
    nudging_to(store, push.json_hook, public_url="http://192.168.1.20:8765")
    old = {f"activities/{day}.fit": to_fit(make_run(day, NOW - timedelta(days=day), duration_s=900))
           for day in range(3, 30)}  # fmt: skip
    fresh = {"activities/today.gpx": to_gpx(make_run(90, NOW - timedelta(hours=2), duration_s=2400)),
             "activities/earlier.gpx": to_gpx(make_run(91, NOW - timedelta(hours=9), duration_s=2400))}  # fmt: skip
    reply = upload(client, zip_bytes(old | fresh), "export.zip")
    assert "29 imported" in reply["summary"]
    posts = push.wait_for(1)
    time.sleep(0.5)
    assert len(posts) == 1, "one nudge for a whole export"
    newest = store.latest(only_runs=True)
    assert newest is not None
    assert posts[0]["json"]["message"] == f"{expected_words(store, NOW)}\nhttp://192.168.1.20:8765/timer/{newest.id}"
    upload(client, fresh["activities/today.gpx"], "today-again.gpx")  # the same run again
    time.sleep(0.5)
    assert len(push.posts) == 1, "a run already nudged is never nudged again"


def test_an_upload_with_the_push_server_down_still_answers_and_stores_the_run(app: Any, client: FlaskClient) -> None:
    store: Store = app.extensions["recovery.store"]
    nudging_to(store, f"ntfy://127.0.0.1:{free_port()}/{TOPIC}")
    reply = upload(client, to_gpx(make_run(7, NOW - timedelta(hours=1), duration_s=1800)), "run.gpx")
    assert reply["files"][0]["outcome"] == "imported"
    run = store.latest(only_runs=True)
    assert run is not None
    deadline = time.monotonic() + 15
    while (row := store.nudge(run.id)) is None or row.problem is None:
        assert time.monotonic() < deadline, "the background send never reported"
        time.sleep(0.1)
    assert row.problem.startswith("The nudge for the run of 24 November could not be sent")
    assert upload(client, to_gpx(make_run(8, NOW - timedelta(days=4), duration_s=1800)), "b.gpx")["summary"].startswith(
        "1 imported"
    )


def test_the_command_line_import_sends_no_nudge(tmp_path: Path, push: Capture) -> None:
    from click.testing import CliRunner

    db = tmp_path / "db.sqlite3"
    run_file = tmp_path / "a.fit"
    run_file.write_bytes(to_fit(make_run(9, datetime.now(UTC) - timedelta(hours=1), duration_s=1200)))
    runner = CliRunner()
    done = runner.invoke(cli, ["--db", str(db), "settings", "--nudge-url", push.ntfy, "--quiet-from", "22:00"])
    assert done.exit_code == 0, done.output
    assert "Nudge address: ntfy://127.0.0.1:" in done.output and TOPIC not in done.output
    assert "Quiet hours from: 22:00" in done.output
    assert runner.invoke(cli, ["--db", str(db), "import", str(run_file)]).exit_code == 0
    time.sleep(0.3)
    assert push.posts == [], "the runner is at the keyboard"
    test = runner.invoke(cli, ["--db", str(db), "nudge", "test"])
    assert test.exit_code == 0, test.output
    assert test.output.strip() == f"A test nudge was sent to ntfy://127.0.0.1:{push.port}."
    assert push.wait_for(1)[0]["json"]["title"] == "Test nudge"
    bad = runner.invoke(cli, ["--db", str(db), "settings", "--nudge-url", "nosuch://tk_TOKEN@x"])
    assert bad.exit_code != 0 and "TOKEN" not in bad.output and "Apprise" in bad.output


# -- the settings form -------------------------------------------------------------------


def test_the_nudges_form_needs_its_csrf_token(client: FlaskClient, push: Capture) -> None:
    refused = client.post("/settings/nudges", data={"nudge_url": push.ntfy, "nudge_words": "plain"})
    assert refused.status_code == 400
    assert client.post("/settings/nudges/test").status_code == 400
    assert push.posts == []
    assert "Nudges are off" in client.get("/settings").get_data(as_text=True)


def test_the_nudges_form_saves_says_one_sentence_per_mistake_and_never_shows_the_address_whole(
    app: Any, client: FlaskClient, push: Capture
) -> None:
    store: Store = app.extensions["recovery.store"]
    token = csrf_token(client)
    form = {"csrf_token": token, "nudge_words": "distance", "quiet_from": "", "quiet_until": "", "public_url": ""}
    bad = client.post("/settings/nudges", data=form | {"nudge_url": "nosuch://tk_TOKEN@host/x"}, follow_redirects=True)
    page = bad.get_data(as_text=True)
    assert "Nudge address must be an Apprise URL such as ntfys://ntfy.sh/your-topic; a nosuch:// address" in page
    assert "TOKEN" not in page and store.setting("nudge_url") is None
    half = client.post("/settings/nudges", data=form | {"quiet_from": "22:00"}, follow_redirects=True)
    assert "Give both ends of the quiet hours" in half.get_data(as_text=True)
    assert store.setting("quiet_from") is None
    good = client.post("/settings/nudges", data=form | {"nudge_url": push.ntfy, "quiet_from": "22:00",
                                                        "quiet_until": "07:00"}, follow_redirects=True)  # fmt: skip
    page = good.get_data(as_text=True)
    assert "Nudge settings saved." in page
    assert f"ntfy://127.0.0.1:{push.port}" in page and TOPIC not in page, "where it sends, never the topic"
    assert "without a link" in page, "no dashboard address: the page says the nudge has no link"
    assert store.setting("nudge_url") == push.ntfy and store.setting("quiet_until") == "07:00"
    kept = client.post("/settings/nudges", data=form | {"public_url": "https://192.168.1.20:8000"})
    assert kept.status_code == 302 and store.setting("nudge_url") == push.ntfy, "a blank address keeps the saved one"
    client.post("/settings", data={"csrf_token": token, "units": "mi", "time_zone": "UTC"})
    assert store.setting("nudge_url") == push.ntfy, "the main settings form leaves the nudges alone"
    tested = client.post("/settings/nudges/test", data={"csrf_token": token}, follow_redirects=True)
    assert "A test nudge was sent" in tested.get_data(as_text=True)
    assert push.wait_for(1)[0]["json"]["message"].endswith("https://192.168.1.20:8000/")
    push.status = 500
    failed = client.post("/settings/nudges/test", data={"csrf_token": token}, follow_redirects=True)
    assert "The test nudge could not be sent: the push server at ntfy://127.0.0.1:" in failed.get_data(as_text=True)
    off = client.post("/settings/nudges", data=form | {"action": "off"}, follow_redirects=True)
    assert "Nudges turned off." in off.get_data(as_text=True) and store.setting("nudge_url") is None
