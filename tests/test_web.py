"""The dashboard through Flask's test client: every page, the forms, CSRF, the login and the upload.

The browser tests (test_browser.py) drive the same pages in Chromium; these
check what the server does with each request, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import io
import json
import re
from datetime import datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient

from recovery.access import set_password
from recovery.cli import cli
from recovery.ingest import ingest_bytes
from recovery.store import Store
from recovery.synthetic import DEMO_DURATION_S, DEMO_START, demo_run, make_run, to_fit, to_gpx
from recovery.web import create_app
from tests.conftest import NOW

PAGES = ("/", "/history", "/runs", "/imports", "/settings", "/timer/warmup", "/timer/strength")


def store_of(app: Flask) -> Store:
    return app.extensions["recovery.store"]  # type: ignore[no-any-return]


def add_run(app: Flask, data: bytes, name: str = "run.fit") -> int:
    outcome = ingest_bytes(store_of(app), data, name, now=NOW)
    assert outcome.outcome == "imported", outcome.message
    return outcome.run_ids[0]


def just_after_the_demo_run(app: Flask) -> None:
    """The app's clock an hour after the demo run ended: Today is about that run (NOW is a day and more after it)."""
    app.config["CLOCK"] = lambda: DEMO_START + timedelta(seconds=DEMO_DURATION_S, hours=1)


def lead_link(page: str) -> str:
    """Where the page's first big button goes: what Today leads with."""
    found = re.search(r'<a class="button primary big" href="([^"]+)"', page)
    assert found, "the page has a big start button"
    return found.group(1)


def csrf_token(client: FlaskClient, path: str = "/") -> str:
    page = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf-token" content="([^"]+)"', page)
    assert match, "every page carries the CSRF token for its scripts"
    return match.group(1)


class Scripts(HTMLParser):
    """Every <script> on a page, and any inline event handler attribute."""

    def __init__(self) -> None:
        super().__init__()
        self.scripts: list[dict[str, str | None]] = []
        self.handlers: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "script":
            self.scripts.append(dict(attrs))
        self.handlers += [name for name, _ in attrs if name.startswith("on")]


# -- every page ---------------------------------------------------------------


def test_every_page_answers_on_an_empty_database_and_says_how_to_start(client: FlaskClient) -> None:
    for path in PAGES:
        assert client.get(path).status_code == 200, path
    today = client.get("/").get_data(as_text=True)
    assert "No runs stored yet" in today
    assert "GARMIN/Activity" in today and "imports page" in today


def test_today_after_a_fresh_run_shows_it_in_one_line_and_leads_with_its_cooldown(
    app: Flask, client: FlaskClient
) -> None:
    run_id = add_run(app, to_fit(demo_run()))
    just_after_the_demo_run(app)
    page = client.get("/").get_data(as_text=True)
    assert "Today&#39;s run" in page or "Today's run" in page
    assert "6.00 km" in page  # the demo run
    assert "/km" in page and "heart rate" in page
    assert lead_link(page) == f"/timer/{run_id}"
    assert 'data-testid="last-run"' not in page
    assert "Child&#39;s pose" in page or "Child's pose" in page
    assert re.search(r'<ul class="reasons">\s*<li>\w[^<]+</li>', page), "each stretch says why"
    assert "Safety notes" in page
    assert "Before your next run: the warm-up" in page


def test_the_run_page_draws_charts_and_the_route_from_the_samples(app: Flask, client: FlaskClient) -> None:
    run_id = add_run(app, to_fit(demo_run()))
    page = client.get(f"/runs/{run_id}").get_data(as_text=True)
    for chart in ("chart-line-pace", "chart-line-hr", "chart-line-elevation", "route-line"):
        assert chart in page, chart
    assert client.get(f"/runs/{run_id + 999}").status_code == 404
    assert client.get(f"/timer/{run_id + 999}").status_code == 404


def test_today_after_an_old_run_leads_with_the_warmup_and_keeps_the_cooldown_one_tap_away(
    app: Flask, client: FlaskClient
) -> None:
    run_id = add_run(app, to_fit(demo_run()))  # it ended on 23 Nov at 08:07 UTC; NOW is 24 Nov, 12:00 UTC
    page = client.get("/").get_data(as_text=True)
    assert lead_link(page) == "/timer/warmup"
    assert re.search(r'Your last run was on <a href="/runs/\d+">Mon 23 Nov 2026</a> \(6\.0 km\)\.', page), page
    assert 'data-testid="latest-distance"' not in page  # no one-line summary of an old run
    # Its cool-down is in a closed <details>, with an ordinary (not the lead) button to its timer.
    later = re.search(r'<details class="later-cooldown" id="cooldown">(.*?)</details>', page, re.S)
    assert later, "the old run's cool-down sits in a closed <details>"
    assert f'<a class="button" href="/timer/{run_id}">Start the cool-down</a>' in later.group(1)
    assert "Child&#39;s pose" in later.group(1) or "Child's pose" in later.group(1)


def test_the_last_run_is_dated_in_the_runners_time_zone_and_units(app: Flask, client: FlaskClient) -> None:
    add_run(app, to_fit(make_run(1, datetime(2026, 11, 20, 3, 0, tzinfo=NOW.tzinfo), duration_s=1800)))
    token = csrf_token(client, "/settings")
    client.post("/settings", data={"csrf_token": token, "units": "mi", "time_zone": "America/New_York"})
    page = client.get("/").get_data(as_text=True)
    # 03:00 UTC on Friday is 22:00 on Thursday in New York.
    assert re.search(r"Your last run was on <a [^>]+>Thu 19 Nov 2026</a> \(\d\.\d mi\)\.", page), page


def test_units_and_time_zone_change_what_the_pages_say(app: Flask, client: FlaskClient) -> None:
    add_run(app, to_fit(demo_run()))
    just_after_the_demo_run(app)
    token = csrf_token(client, "/settings")
    response = client.post("/settings", data={"csrf_token": token, "units": "mi", "time_zone": "America/New_York"})
    assert response.status_code == 302
    page = client.get("/").get_data(as_text=True)
    assert "3.73 mi" in page and "/mi" in page
    assert "02:30" in page  # 07:30 UTC in New York
    assert store_of(app).setting("time_zone") == "America/New_York"


def test_settings_refuse_impossible_heart_rates_and_keep_the_old_values(app: Flask, client: FlaskClient) -> None:
    store_of(app).set_setting("max_hr", "190")
    token = csrf_token(client, "/settings")
    response = client.post(
        "/settings", data={"csrf_token": token, "units": "km", "max_hr": "400", "rest_hr": "50"}, follow_redirects=True
    )
    assert "Maximum heart rate must be a whole number from 120 to 240" in response.get_data(as_text=True)
    assert store_of(app).setting("max_hr") == "190"
    assert store_of(app).setting("rest_hr") is None


def test_the_settings_answer_and_take_json_checked_by_the_same_rules_as_the_form(
    app: Flask, client: FlaskClient
) -> None:
    from recovery.settings import validate

    token = csrf_token(client, "/settings")
    headers = {"X-CSRFToken": token, "Accept": "application/json"}
    answer = client.post("/settings", json={"max_hr": 188, "sex": "female"}, headers=headers)
    assert answer.status_code == 200
    assert answer.get_json() | {"zone_used": None} == {
        "units": "km", "time_zone": None, "max_hr": 188, "rest_hr": None, "sex": "female", "past_cancer": None,
        "nudge_url": None, "quiet_from": None, "quiet_until": None, "nudge_words": "distance", "public_url": None,
        "zone_used": None,
    }
    refused = client.post("/settings", json={"rest_hr": "300", "units": "furlongs"}, headers=headers)
    assert refused.status_code == 400
    assert refused.get_json()["problems"] == validate({"rest_hr": "300", "units": "furlongs"})[1]
    assert len(refused.get_json()["problems"]) == 2
    assert client.get("/settings", headers={"Accept": "application/json"}).get_json()["max_hr"] == 188
    page = client.get("/settings").get_data(as_text=True)
    assert "secret" not in page.lower() and "scrypt" not in page and "password_hash" not in page


def test_a_warning_sign_the_form_does_not_know_is_refused_not_dropped(app: Flask, client: FlaskClient) -> None:
    token = csrf_token(client)
    form = {"csrf_token": token, "score": "3", "when": "after", "where": "central", "red_flag": ["headache"]}
    page = client.post("/discomfort", data=form, follow_redirects=True).get_data(as_text=True)
    assert "&#39;headache&#39; is not one of the warning signs asked about" in page
    assert store_of(app).discomfort_logs() == [], "nothing was logged"


# -- security -----------------------------------------------------------------


def test_a_state_changing_request_without_a_csrf_token_is_refused_and_changes_nothing(
    app: Flask, client: FlaskClient
) -> None:
    run_id = add_run(app, to_fit(demo_run()))
    assert client.post("/discomfort", data={"score": "3", "when": "after", "where": "central"}).status_code == 400
    done = {"items_planned": 5, "items_done": 5, "seconds_done": 300, "completed": True}
    assert client.post(f"/timer/{run_id}/done", json=done).status_code == 400
    assert client.post("/settings", data={"units": "mi"}).status_code == 400
    assert client.post("/folders", data={"action": "add", "path": "/tmp"}).status_code == 400
    upload = {"file": (io.BytesIO(to_fit(demo_run())), "run.fit")}
    assert client.post("/imports/upload", data=upload, content_type="multipart/form-data").status_code == 400
    store = store_of(app)
    assert store.discomfort_logs() == [] and store.routine_sessions() == []
    assert store.setting("units") is None and store.folders() == []


def test_every_page_sends_a_strict_content_security_policy_and_has_no_inline_script(
    app: Flask, client: FlaskClient
) -> None:
    run_id = add_run(app, to_fit(demo_run()))
    for path in (*PAGES, f"/runs/{run_id}", f"/timer/{run_id}"):
        response = client.get(path)
        policy = response.headers["Content-Security-Policy"]
        assert "script-src 'self'" in policy and "unsafe-inline" not in policy and "default-src 'self'" in policy
        assert response.headers["X-Frame-Options"] == "DENY"
        parser = Scripts()
        parser.feed(response.get_data(as_text=True))
        for script in parser.scripts:
            # Either our own file, or data the page's script reads (never executed).
            assert script.get("src", "").startswith("/static/") or script.get("type") == "application/json", path
        assert parser.handlers == [], path


def test_no_page_asks_anything_of_another_server(app: Flask, client: FlaskClient) -> None:
    run_id = add_run(app, to_fit(demo_run()))
    for path in (*PAGES, f"/runs/{run_id}", f"/timer/{run_id}"):
        page = client.get(path).get_data(as_text=True)
        assert not re.search(r'(src|href)="(https?:)?//', page), path


def login_app(db_url: str) -> Flask:
    return create_app({"DATABASE_URL": db_url, "CLOCK": lambda: NOW, "LOGIN_REQUIRED": True})


def test_beyond_localhost_every_page_needs_the_password(db_url: str) -> None:
    app = login_app(db_url)
    set_password(store_of(app), "correct horse battery")
    client = app.test_client()
    response = client.get("/history")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert client.get("/static/app.css").status_code == 200  # the login page needs its stylesheet
    token = csrf_token(client, "/login")
    wrong = client.post("/login", data={"csrf_token": token, "password": "nope"})
    assert wrong.status_code == 401 and "not right" in wrong.get_data(as_text=True)
    right = client.post("/login?next=/history", data={"csrf_token": token, "password": "correct horse battery"})
    assert right.status_code == 302 and right.headers["Location"] == "/history"
    assert client.get("/history").status_code == 200
    app.extensions["recovery.store"].close()


def test_after_sign_in_the_next_page_is_never_another_site(db_url: str) -> None:
    app = login_app(db_url)
    set_password(store_of(app), "correct horse battery")
    client = app.test_client()
    for hostile in ("//evil.example/", "/%09/evil.example/", "/%5Cevil.example/", "https://evil.example/"):
        data = {"csrf_token": csrf_token(client, "/login"), "password": "correct horse battery"}  # sign-in clears it
        response = client.post(f"/login?next={hostile}", data=data)
        assert response.headers["Location"] == "/", hostile
    app.extensions["recovery.store"].close()


def test_wrong_passwords_are_limited_per_address_for_15_minutes(db_url: str) -> None:
    clock = [NOW]
    app = create_app({"DATABASE_URL": db_url, "CLOCK": lambda: clock[0], "LOGIN_REQUIRED": True})
    set_password(store_of(app), "correct horse battery")
    client = app.test_client()
    token = csrf_token(client, "/login")

    def attempt(password: str, address: str = "10.0.0.2") -> int:
        data = {"csrf_token": token, "password": password}
        return client.post("/login", data=data, environ_base={"REMOTE_ADDR": address}).status_code

    for minute in range(5):
        clock[0] = NOW + timedelta(minutes=minute)
        assert attempt("guess") == 401
    clock[0] = NOW + timedelta(minutes=5)
    blocked = client.post("/login", data={"csrf_token": token, "password": "guess"},
                          environ_base={"REMOTE_ADDR": "10.0.0.2"})  # fmt: skip
    assert blocked.status_code == 429
    assert "try again in 10 minutes" in blocked.get_data(as_text=True)  # until the first guess is 15 minutes old
    assert attempt("guess", "10.0.0.3") == 401  # another address is not punished
    clock[0] = NOW + timedelta(minutes=15, seconds=1)
    assert attempt("correct horse battery") == 302
    app.extensions["recovery.store"].close()


def test_the_sixth_wrong_password_in_a_row_is_turned_away_even_if_right(db_url: str) -> None:
    app = login_app(db_url)
    set_password(store_of(app), "correct horse battery")
    client = app.test_client()
    token = csrf_token(client, "/login")
    for _ in range(5):
        assert client.post("/login", data={"csrf_token": token, "password": "guess"}).status_code == 401
    blocked = client.post("/login", data={"csrf_token": token, "password": "correct horse battery"})
    assert blocked.status_code == 429
    assert "Too many wrong passwords" in blocked.get_data(as_text=True)
    app.extensions["recovery.store"].close()


def test_serving_beyond_localhost_without_a_password_refuses_to_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("RECOVERY_PASSWORD", raising=False)
    db = f"sqlite:///{tmp_path / 'r.sqlite3'}"
    result = CliRunner().invoke(cli, ["--db", db, "serve", "--host", "0.0.0.0", "--port", "0", "--no-watch"])
    assert result.exit_code == 2
    assert "refusing to listen on 0.0.0.0 without a password" in result.output
    assert "recovery password set" in result.output


def test_the_password_is_kept_hashed_never_as_typed(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'r.sqlite3'}"
    result = CliRunner().invoke(cli, ["--db", db, "password", "set", "--stdin"], input="correct horse battery\n")
    assert result.exit_code == 0, result.output
    with Store(db) as store:
        stored = store.setting("password_hash")
    assert "correct horse battery" not in stored and stored.startswith("scrypt:")
    short = CliRunner().invoke(cli, ["--db", db, "password", "set", "--stdin"], input="short\n")
    assert short.exit_code == 2 and "at least 8 characters" in short.output


# -- discomfort ---------------------------------------------------------------


def log_discomfort(client: FlaskClient, score: int, *flags: str) -> str:
    token = csrf_token(client)
    data = {"csrf_token": token, "score": str(score), "when": "after", "where": "central", "red_flag": list(flags)}
    return client.post("/discomfort", data=data, follow_redirects=True).get_data(as_text=True)


def test_discomfort_8_brings_the_advice_to_see_someone_soon(app: Flask, client: FlaskClient) -> None:
    add_run(app, to_fit(demo_run()))
    page = log_discomfort(client, 8)
    assert "Logged 8/10" in page
    assert "referral-see-soon" in page and "physiotherapist" in page
    assert "Your latest discomfort was 8/10" in page
    assert "gentler version" in page  # the cool-down eases off
    assert store_of(app).discomfort_logs()[0].score == 8


def test_an_urgent_red_flag_shows_the_emergency_message_and_no_routine(app: Flask, client: FlaskClient) -> None:
    run_id = add_run(app, to_fit(demo_run()))
    page = log_discomfort(client, 3, "bladder_bowel")
    assert "referral-urgent" in page and "emergency department now" in page
    timer = client.get(f"/timer/{run_id}").get_data(as_text=True)
    assert 'id="start"' not in timer and "get seen first" in timer


def test_a_discomfort_form_without_a_score_is_refused_with_a_sentence(app: Flask, client: FlaskClient) -> None:
    token = csrf_token(client)
    page = client.post("/discomfort", data={"csrf_token": token}, follow_redirects=True).get_data(as_text=True)
    assert "Choose how much discomfort you feel" in page
    assert store_of(app).discomfort_logs() == []


# -- the guided timer's record --------------------------------------------------


def finish_timer(client: FlaskClient, run_id: int, done: int, planned: int = 5) -> dict[str, object]:
    body = {"items_planned": planned, "items_done": done, "seconds_done": 30 * done, "completed": done == planned}
    response = client.post(f"/timer/{run_id}/done", json=body, headers={"X-CSRFToken": csrf_token(client)})
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.get_json()  # type: ignore[no-any-return]


def test_finishing_the_timer_records_it_against_the_run_and_moves_the_streak(app: Flask, client: FlaskClient) -> None:
    run_id = add_run(app, to_fit(demo_run()))
    assert 'data-testid="streak-current">0<' in client.get("/").get_data(as_text=True)
    reply = finish_timer(client, run_id, done=5)
    assert reply["counts"] is True and reply["streak"] == {"current": 1, "best": 1}
    [session] = store_of(app).routine_sessions(run_id=run_id)
    assert (session.items_done, session.items_planned, session.seconds_done) == (5, 5, 150)
    assert session.finished_at == NOW and session.started_at == NOW - timedelta(seconds=150)
    assert 'data-testid="streak-current">1<' in client.get("/").get_data(as_text=True)
    assert 'data-testid="cooled"' in client.get("/").get_data(as_text=True)
    assert 'data-testid="streak-current">1<' in client.get("/history").get_data(as_text=True)


def test_stopping_early_records_what_was_done_but_under_half_does_not_count(app: Flask, client: FlaskClient) -> None:
    run_id = add_run(app, to_fit(demo_run()))
    reply = finish_timer(client, run_id, done=2)
    assert reply["counts"] is False and reply["streak"]["current"] == 0
    assert "at least half" in str(reply["message"])
    assert store_of(app).routine_sessions(run_id=run_id)[0].items_done == 2


def test_the_timer_refuses_a_record_that_does_not_add_up(app: Flask, client: FlaskClient) -> None:
    run_id = add_run(app, to_fit(demo_run()))
    headers = {"X-CSRFToken": csrf_token(client)}
    for body in ({"items_planned": 3, "items_done": 4, "seconds_done": 10}, {"items_done": 1}, {}):
        assert client.post(f"/timer/{run_id}/done", json=body, headers=headers).status_code == 400
    assert store_of(app).routine_sessions() == []


def timer_plan(client: FlaskClient, path: str) -> dict[str, Any]:
    page = client.get(path).get_data(as_text=True)
    found = re.search(r'<script type="application/json" id="routine-plan">(.*?)</script>', page, re.S)
    assert found, "the timer page carries its plan as JSON"
    return json.loads(found.group(1))  # type: ignore[no-any-return]


def test_the_timer_page_carries_the_plan_and_a_speed_only_tests_may_change(app: Flask, client: FlaskClient) -> None:
    run_id = add_run(app, to_fit(demo_run()))
    plan = timer_plan(client, f"/timer/{run_id}?speed=50")
    assert plan["speed"] == 1.0  # a runner's ?speed= does nothing
    assert plan["items"][0]["figure"] == "/static/figures/childs_pose.svg"
    app.config["TIMER_SPEED_ALLOWED"] = True
    assert timer_plan(client, f"/timer/{run_id}?speed=50")["speed"] == 50.0


def test_a_strength_routine_done_counts_as_a_strength_session(app: Flask, client: FlaskClient) -> None:
    token = csrf_token(client)
    body = {"items_planned": 4, "items_done": 4, "seconds_done": 400, "completed": True}
    assert client.post("/timer/strength/done", json=body, headers={"X-CSRFToken": token}).status_code == 201
    assert store_of(app).strength_sessions() == [NOW]


# -- feedback when the timer ends ---------------------------------------------------


def offered(client: FlaskClient, run_id: int) -> list[dict[str, str]]:
    """The stretches the timer page offers, as the timer sends them with its record."""
    return [{"id": item["id"], "variant": item["variant"]} for item in timer_plan(client, f"/timer/{run_id}")["items"]]


def record_with_items(client: FlaskClient, run_id: int) -> dict[str, Any]:
    items = offered(client, run_id)
    body = {"items_planned": len(items), "items_done": len(items), "seconds_done": 300, "completed": True,
            "items": items}  # fmt: skip
    response = client.post(f"/timer/{run_id}/done", json=body, headers={"X-CSRFToken": csrf_token(client)})
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.get_json()  # type: ignore[no-any-return]


def test_the_timer_records_the_stretches_as_offered_and_the_feedback_then_updates_that_session(
    app: Flask, client: FlaskClient
) -> None:
    run_id = add_run(app, to_fit(demo_run()))
    items = offered(client, run_id)
    reply = record_with_items(client, run_id)
    session = reply["session"]
    assert session["items"] == items and session["back_after"] is None and session["disagreed"] == []
    assert reply["feedback_url"] == f"/timer/sessions/{session['id']}/feedback"
    [stored] = store_of(app).routine_sessions(run_id=run_id)
    assert stored.id == session["id"] and stored.items == tuple((i["id"], i["variant"]) for i in items)

    headers = {"X-CSRFToken": csrf_token(client)}
    first, second = items[0]["id"], items[1]["id"]
    answer = client.post(reply["feedback_url"], json={"back_after": "worse", "disagreed": [first]}, headers=headers)
    assert answer.status_code == 200, answer.get_data(as_text=True)
    assert answer.get_json()["session"]["back_after"] == "worse"
    assert answer.get_json()["session"]["disagreed"] == [first]
    assert answer.get_json()["message"] == "Saved: your back feels worse and 1 stretch did not agree with you."
    # A later tap sends what changed; what it leaves out stays as it was.
    answer = client.post(reply["feedback_url"], json={"disagreed": [first, second, first]}, headers=headers)
    assert answer.get_json()["session"]["back_after"] == "worse"
    [stored] = store_of(app).routine_sessions(run_id=run_id)
    assert (stored.back_after, stored.disagreed) == ("worse", (first, second))
    assert stored.to_json() == answer.get_json()["session"]
    client.post(reply["feedback_url"], json={"back_after": "better", "disagreed": []}, headers=headers)
    assert store_of(app).routine_session(stored.id).back_after == "better"  # type: ignore[union-attr]
    assert store_of(app).routine_session(stored.id).disagreed == ()  # type: ignore[union-attr]


def test_feedback_that_is_malformed_is_refused_in_a_sentence_and_changes_nothing(
    app: Flask, client: FlaskClient
) -> None:
    run_id = add_run(app, to_fit(demo_run()))
    url = record_with_items(client, run_id)["feedback_url"]
    headers = {"X-CSRFToken": csrf_token(client)}
    for body in (
        {},
        [],
        "worse",
        {"back_after": "awful"},
        {"back_after": ["worse"]},
        {"disagreed": "childs_pose"},
        {"disagreed": ["a_stretch_not_in_this_routine"]},
        {"disagreed": [7]},
        {"disagreed": ["childs_pose"] * 101},
        {"back_after": "worse", "mood": "grumpy"},
    ):
        response = client.post(url, json=body, headers=headers)
        assert response.status_code == 400, body
        error = response.get_json()["error"]
        assert error.endswith("the feedback was not saved.") and error.count(".") == 1, error
    response = client.post(url, data="back_after=worse", headers={**headers, "Content-Type": "text/plain"})
    assert response.status_code == 400
    [stored] = store_of(app).routine_sessions()
    assert (stored.back_after, stored.disagreed) == (None, ())


def test_feedback_for_a_session_that_is_not_stored_is_no_such_session(app: Flask, client: FlaskClient) -> None:
    headers = {"X-CSRFToken": csrf_token(client)}
    response = client.post("/timer/sessions/999/feedback", json={"back_after": "same"}, headers=headers)
    assert response.status_code == 404
    assert response.get_json()["error"].startswith("There is no such routine session stored")
    for wrong in ("0", "-1", "x", str(2**31)):
        assert client.post(f"/timer/sessions/{wrong}/feedback", json={}, headers=headers).status_code == 404


def test_feedback_without_the_csrf_token_is_refused_and_changes_nothing(app: Flask, client: FlaskClient) -> None:
    run_id = add_run(app, to_fit(demo_run()))
    url = record_with_items(client, run_id)["feedback_url"]
    response = client.post(url, json={"back_after": "worse"})
    assert response.status_code == 400 and "CSRF" in response.get_json()["error"]
    response = client.post(url, json={"back_after": "worse"}, headers={"X-CSRFToken": "not-the-token"})
    assert response.status_code == 400
    assert store_of(app).routine_sessions()[0].back_after is None


def test_the_timer_refuses_stretches_it_cannot_have_offered_and_saves_nothing(app: Flask, client: FlaskClient) -> None:
    run_id = add_run(app, to_fit(demo_run()))
    headers = {"X-CSRFToken": csrf_token(client)}
    good = {"id": "childs_pose", "variant": "standard"}
    for items in (
        [{"id": "no_such_stretch", "variant": "standard"}],
        [{"id": "childs_pose", "variant": "extreme"}],
        [{"id": "childs_pose"}],
        [{"id": "childs_pose", "variant": "standard", "extra": 1}],
        ["childs_pose"],
        "childs_pose",
        [good] * 101,
        [good, good],  # two stretches for a record of one
    ):
        planned = 101 if len(items) == 101 else 1
        body = {"items_planned": planned, "items_done": 1, "seconds_done": 30, "completed": False, "items": items}
        response = client.post(f"/timer/{run_id}/done", json=body, headers=headers)
        assert response.status_code == 400, items
        assert response.get_json()["error"].endswith("nothing was saved.")
    assert store_of(app).routine_sessions() == []


# -- imports --------------------------------------------------------------------


def upload(client: FlaskClient, *files: tuple[bytes, str]) -> dict[str, object]:
    data = {"file": [(io.BytesIO(content), name) for content, name in files]}
    response = client.post(
        "/imports/upload",
        data=data,
        content_type="multipart/form-data",
        headers={"X-CSRFToken": csrf_token(client, "/imports"), "Accept": "application/json"},
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()  # type: ignore[no-any-return]


def test_an_uploaded_run_is_imported_and_a_junk_file_refused_with_its_sentence(app: Flask, client: FlaskClient) -> None:
    gpx = to_gpx(make_run(3, datetime(2026, 11, 20, 8, 0, tzinfo=NOW.tzinfo), duration_s=1800))
    reply = upload(client, (gpx, "Morning Run.gpx"), (b"not a watch file at all", "broken.fit"))
    files = {f["path"]: f for f in reply["files"]}  # type: ignore[union-attr]
    assert all(set(f) == {"path", "outcome", "run_ids", "message"} for f in files.values()), "as `import --json`"
    assert files["upload/Morning_Run.gpx"]["outcome"] == "imported"
    assert files["upload/broken.fit"]["outcome"] == "rejected"
    sentence = files["upload/broken.fit"]["message"]
    assert sentence.startswith("broken.fit")
    assert reply["summary"] == "1 imported, 0 duplicates, 0 not runs, 1 rejected"
    log = client.get("/imports").get_data(as_text=True)
    assert sentence.replace("'", "&#39;") in log or sentence in log
    assert store_of(app).count_runs(only_runs=False) == 1


def test_the_same_upload_twice_is_one_run(app: Flask, client: FlaskClient) -> None:
    data = to_fit(demo_run())
    upload(client, (data, "a.fit"))
    again = upload(client, (data, "a.fit"))
    assert again["summary"].startswith("0 imported, 1 duplicate")  # type: ignore[union-attr]
    assert store_of(app).count_runs(only_runs=False) == 1


def test_an_upload_without_a_file_says_what_to_choose(client: FlaskClient) -> None:
    response = client.post(
        "/imports/upload",
        data={},
        headers={"X-CSRFToken": csrf_token(client, "/imports"), "Accept": "application/json"},
    )
    assert response.status_code == 400 and "Choose a file" in response.get_json()["error"]


def test_folders_are_added_and_removed_from_the_settings_page(app: Flask, client: FlaskClient, tmp_path: Path) -> None:
    token = csrf_token(client, "/settings")
    added = client.post(
        "/folders", data={"csrf_token": token, "action": "add", "path": str(tmp_path), "back": "settings"},
        follow_redirects=True,
    )  # fmt: skip
    assert f"Now watching {tmp_path}" in added.get_data(as_text=True)
    assert store_of(app).folders() == [str(tmp_path)]
    relative = client.post("/folders", data={"csrf_token": token, "action": "add", "path": "relative/dir"},
                           follow_redirects=True)  # fmt: skip
    assert "full path" in relative.get_data(as_text=True)
    client.post("/folders", data={"csrf_token": token, "action": "remove", "path": str(tmp_path)})
    assert store_of(app).folders() == []


def test_the_runs_list_pages_through_many_runs(app: Flask, client: FlaskClient) -> None:
    store = store_of(app)
    for day in range(55):
        start = NOW - timedelta(days=day + 1)
        ingest_bytes(store, to_gpx(make_run(day, start, duration_s=600, interval_s=10)), f"r{day}.gpx", now=NOW)
    first = client.get("/runs").get_data(as_text=True)
    assert "55 activities stored" in first and "Page 1 of 2" in first
    second = client.get("/runs?page=2").get_data(as_text=True)
    assert second.count("<tr>") == 1 + 5  # header + the 5 oldest
    assert client.get("/runs?page=99").status_code == 200  # clamped to the last page


def test_the_imports_page_tells_the_upload_script_and_the_runner_the_one_cap(client: FlaskClient) -> None:
    from recovery.web import MAX_UPLOAD_BYTES, too_large

    page = client.get("/imports").get_data(as_text=True)
    assert f'data-max-bytes="{MAX_UPLOAD_BYTES}"' in page and f'data-too-large="{too_large()}"' in page
    assert "(up to 1 GB at a time)" in page
