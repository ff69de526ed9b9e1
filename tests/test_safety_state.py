"""A safety state a runner can live with (issue 13, part 5): the cases test_clearance.py and
test_corrections.py leave out.

What a "seen" record covers (the day, in the runner's zone; nothing before the warning sign), what the
history page shows of it, past cancer saved and cleared through the settings form, and the warning-sign
questions left in the page for browsers without scripts. The store on both databases (`db_url`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from flask.testing import FlaskClient

from recovery.coach.discomfort import (
    Clearance,
    DiscomfortLog,
    assess,
    check_clearance,
    latest_easier,
    load_red_flags,
)
from recovery.coaching import gather, referral
from recovery.ingest import ingest_bytes
from recovery.settings import from_stored, validate
from recovery.store import Store
from recovery.synthetic import demo_run, to_fit
from recovery.web import create_app
from tests.conftest import NOW

FLAGS = load_red_flags()
UTC_ZONE = ZoneInfo("UTC")
PARIS = ZoneInfo("Europe/Paris")


def log(hours_ago: float, score: int, *flags: str, **kw) -> DiscomfortLog:
    return DiscomfortLog(NOW - timedelta(hours=hours_ago), score, red_flags=flags, **kw)


def seen(logs: list[DiscomfortLog], *, day: str | None = None, at: datetime = NOW, **kw) -> Clearance:
    clearance, problems = check_clearance(day, None, at, kw.pop("tz", UTC_ZONE), logs, **kw)
    assert clearance is not None, problems
    return clearance


# -- the coach: "seen, not an emergency" ----------------------------------------------------------------------------


def test_being_seen_lifts_see_soon_warning_signs_too_and_the_logs_keep_them() -> None:
    logs = [log(30, 3, "night_pain"), log(4, 2, "fever_unwell")]
    assert assess(logs, NOW, FLAGS).level == "see-soon"
    assert assess(logs, NOW, FLAGS, [seen(logs)]) is None


def test_being_seen_before_the_warning_sign_was_logged_does_not_cover_it() -> None:
    logs = [log(2, 3, "bladder_bowel")]
    three_days_ago = (NOW - timedelta(days=3)).date().isoformat()
    clearance, problems = check_clearance(three_days_ago, None, NOW, UTC_ZONE, logs)
    assert clearance is None and "before it, does not cover it" in problems[0]


def test_with_no_warning_sign_in_effect_there_is_nothing_to_clear() -> None:
    for logs in ([], [log(2, 4)], [log(24 * 20, 3, "bladder_bowel")]):  # none, no flag, a flag three weeks old
        clearance, problems = check_clearance(None, None, NOW, UTC_ZONE, logs)
        assert clearance is None and "nothing to clear" in problems[0]
    logs = [log(5, 2, "bladder_bowel")]
    first = seen(logs)
    clearance, problems = check_clearance(None, None, NOW + timedelta(hours=1), UTC_ZONE, logs, [first])
    assert clearance is None and "nothing to clear" in problems[0], "already cleared"


def test_seen_today_covers_the_logs_up_to_now_and_seen_yesterday_up_to_the_end_of_yesterday_in_the_runners_zone() -> (
    None
):
    logs = [log(30, 2, "night_pain"), log(1, 2, "fever_unwell")]
    today = seen(logs, tz=PARIS)
    assert today.seen_on == NOW and today.recorded_at == NOW
    yesterday = seen(logs, day=(NOW - timedelta(days=1)).astimezone(PARIS).date().isoformat(), tz=PARIS)
    assert yesterday.seen_on.astimezone(PARIS).date() == (NOW - timedelta(days=1)).astimezone(PARIS).date()
    assert (yesterday.seen_on + timedelta(microseconds=1)).astimezone(PARIS).hour == 0  # the end of that day
    still = assess(logs, NOW, FLAGS, [yesterday])
    assert still is not None and still.level == "see-soon", "this morning's warning sign was not seen yesterday"


def test_the_latest_direction_answer_counts_and_not_sure_keeps_the_one_before() -> None:
    logs = [log(50, 2, easier="forward"), log(20, 2, easier="backward"), log(1, 2)]
    assert latest_easier(logs) == "backward"
    assert latest_easier([log(1, 2)]) is None


def test_a_corrected_or_deleted_log_never_counts_even_when_handed_to_the_coach() -> None:
    corrected = DiscomfortLog(NOW - timedelta(hours=1), 9, red_flags=("bladder_bowel",), corrected_at=NOW)
    assert assess([corrected], NOW, FLAGS) is None
    assert corrected == DiscomfortLog(NOW - timedelta(hours=1), 9, red_flags=("bladder_bowel",)), (
        "the id and the correction marks are not part of what a log says"
    )
    assert {"id", "easier"} <= set(corrected.to_json()) and corrected.to_json()["corrected_at"]


# -- the store, on both databases -----------------------------------------------------------------------------------


def test_being_seen_is_stored_and_lifts_the_block_a_new_flag_brings_back(store: Store) -> None:
    store.add_discomfort(DiscomfortLog(NOW - timedelta(hours=5), 2, red_flags=("saddle_numbness",)))
    found = gather(store, NOW)
    assert referral(found, NOW).level == "urgent" and found.clearances == ()
    clearance, problems = check_clearance(None, "  Seen at A&E: not an emergency  ", NOW, UTC_ZONE, found.discomfort)
    assert problems == []
    clearance_id = store.add_clearance(clearance)
    stored = store.clearances()
    assert stored == [clearance] and stored[0].id == clearance_id and stored[0].note == "Seen at A&E: not an emergency"
    assert referral(gather(store, NOW), NOW) is None
    later = NOW + timedelta(hours=1)
    store.add_discomfort(DiscomfortLog(later, 2, red_flags=("bladder_bowel",)))
    assert referral(gather(store, later), later).level == "urgent"


# -- the pages ----------------------------------------------------------------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def app(db_url: str, clock: Clock) -> Iterator[Flask]:
    app = create_app({"DATABASE_URL": db_url, "CLOCK": clock, "TESTING": True})
    yield app
    app.extensions["recovery.store"].close()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def store_of(app: Flask) -> Store:
    return app.extensions["recovery.store"]  # type: ignore[no-any-return]


def token(client: FlaskClient, path: str = "/") -> str:
    found = re.search(r'name="csrf-token" content="([^"]+)"', client.get(path).get_data(as_text=True))
    assert found
    return found.group(1)


def post(client: FlaskClient, path: str, **data: object) -> str:
    response = client.post(path, data={"csrf_token": token(client), **data}, follow_redirects=True)
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def flashes(page: str) -> list[str]:
    return re.findall(r'<p class="flash flash-\w+">([^<]*)</p>', page)


def log_form(score: int, *flags: str, **more: str) -> dict[str, object]:
    return {"score": str(score), "when": "after", "where": "central", "red_flag": list(flags), **more}


def test_a_flag_ticked_by_mistake_then_seen_through_the_pages_gives_the_routines_back_and_a_new_flag_blocks_again(
    app: Flask, client: FlaskClient, clock: Clock
) -> None:
    run_id = ingest_bytes(store_of(app), to_fit(demo_run()), "run.fit", now=NOW).run_ids[0]
    page = post(client, "/discomfort", **log_form(2, "bladder_bowel"))
    assert "referral-urgent" in page and "I have already been seen about this" in page
    assert "get seen first" in client.get(f"/timer/{run_id}").get_data(as_text=True)

    clock.now = NOW + timedelta(hours=3)
    page = post(client, "/discomfort/seen", seen_on="", note="GP: a mistake", back="today")
    assert flashes(page)[0].startswith("Recorded: seen on 24 Nov, not an emergency.")
    assert "referral-urgent" not in page and 'id="referral"' not in page
    assert 'id="start"' in client.get(f"/timer/{run_id}").get_data(as_text=True), "the routine is offered again"
    assert 'id="start"' in client.get("/timer/warmup").get_data(as_text=True)
    history = client.get("/history").get_data(as_text=True)
    assert "Seen on 24 Nov: not an emergency" in history and "GP: a mistake" in history
    assert store_of(app).discomfort_logs()[0].red_flags == ("bladder_bowel",), "the log keeps its flag"

    clock.now = NOW + timedelta(hours=4)
    page = post(client, "/discomfort", **log_form(1, "saddle_numbness"))
    assert "referral-urgent" in page and "after you were last seen" in page
    assert "get seen first" in client.get(f"/timer/{run_id}").get_data(as_text=True)


def test_correcting_a_log_on_the_history_page_reuses_the_form_and_keeps_the_old_one_struck_through(
    app: Flask, client: FlaskClient, clock: Clock
) -> None:
    post(client, "/discomfort", **log_form(3, "leg_weakness", easier="backward", note="after the hills"))
    log_id = store_of(app).discomfort_logs()[0].id
    history = client.get("/history").get_data(as_text=True)
    assert f'href="/discomfort/{log_id}/correct"' in history
    form = client.get(f"/discomfort/{log_id}/correct").get_data(as_text=True)
    assert re.search(r'name="score" value="3" required checked', form), "the form comes filled in"
    assert re.search(r'value="leg_weakness" data-level="see-soon" checked', form)
    assert re.search(r'name="easier" value="backward" checked', form) and "after the hills</textarea>" in form
    refused = post(client, f"/discomfort/{log_id}/correct", **log_form(11))
    assert "Choose how much discomfort you feel" in refused, "the same check as Today's form"

    clock.now = NOW + timedelta(days=1)
    page = post(client, f"/discomfort/{log_id}/correct", **log_form(2, easier="backward"))
    assert flashes(page)[0].startswith("Corrected: 2/10")
    assert re.search(rf'<li class="corrected" data-log-id="{log_id}"><s>[^<]*3/10', page)
    assert "corrected on 25 Nov" in page
    current = store_of(app).discomfort_logs()
    assert [(entry.score, entry.red_flags, entry.at) for entry in current] == [(2, (), NOW)], "kept at its own time"
    assert "referral" not in client.get("/").get_data(as_text=True).split('id="discomfort"')[0]
    again = client.get(f"/discomfort/{log_id}/correct", follow_redirects=True).get_data(as_text=True)
    assert "already corrected or deleted" in again
    assert client.get("/discomfort/99999/correct").status_code == 404


def test_deleting_a_log_on_the_history_page_warns_first_and_keeps_it_marked_deleted(
    app: Flask, client: FlaskClient
) -> None:
    post(client, "/discomfort", **log_form(8))
    log_id = store_of(app).discomfort_logs()[0].id
    history = client.get("/history").get_data(as_text=True)
    assert "cannot be undone" in history and f'action="/discomfort/{log_id}/delete"' in history
    page = post(client, f"/discomfort/{log_id}/delete")
    assert flashes(page)[0].startswith("Deleted")
    assert "deleted on 24 Nov" in page and store_of(app).discomfort_logs() == []
    assert "referral-see-soon" not in client.get("/").get_data(as_text=True)
    assert client.post(f"/discomfort/{log_id}/delete", data={"csrf_token": token(client)}).status_code == 302
    assert client.post("/discomfort/99999/delete", data={"csrf_token": token(client)}).status_code == 404


def test_past_cancer_is_asked_once_on_the_settings_page_not_with_each_log(app: Flask, client: FlaskClient) -> None:
    today = client.get("/").get_data(as_text=True)
    assert "treated for cancer" not in today and 'value="saddle_numbness"' in today
    settings_page = client.get("/settings").get_data(as_text=True)
    assert '<select name="past_cancer"' in settings_page
    post(client, "/settings", units="km", past_cancer="yes")
    assert store_of(app).setting("past_cancer") == "yes"
    page = post(client, "/discomfort", **log_form(2))
    assert "referral-see-soon" in page and "With a past cancer, new back pain" in page
    answer = client.get("/settings", headers={"Accept": "application/json"}).get_json()
    assert answer["past_cancer"] == "yes"
    post(client, "/settings", units="km", past_cancer="")
    assert store_of(app).setting("past_cancer") is None
    assert "must be yes or no, not 'maybe'" in validate({"past_cancer": "maybe"})[1][0]
    assert from_stored({"past_cancer": "no"}).past_cancer == "no"


def test_without_scripts_the_warning_signs_are_in_the_form_for_the_script_to_hide_at_0(client: FlaskClient) -> None:
    page = client.get("/").get_data(as_text=True)
    fieldset = re.search(r'<fieldset class="red-flags"[^>]*>', page)
    assert fieldset and "hidden" not in fieldset.group(0) and 'data-asked-above="0"' in fieldset.group(0)
