"""A red flag a runner can live with: "I have been seen and it is not an emergency", past cancer in the profile.

Issue 13 part 5. A warning sign ticked once (or by mistake) used to block
every routine for two weeks with nothing to lift it.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import given
from hypothesis import strategies as st

from recovery.cli import cli
from recovery.coach.discomfort import (
    LOOKBACK,
    Clearance,
    DiscomfortLog,
    assess,
    check_clearance,
    load_red_flags,
)
from recovery.synthetic import demo_run, to_fit
from tests.conftest import NOW
from tests.test_discomfort import logs_strategy
from tests.test_web import add_run, csrf_token, log_discomfort, store_of

FLAGS = load_red_flags()


URGENT = sorted(f for f, flag in FLAGS.items() if flag.level == "urgent")
ASKED = sorted(f for f, flag in FLAGS.items() if flag.asked)


def log(hours_ago: float, score: int, *flags: str) -> DiscomfortLog:
    return DiscomfortLog(NOW - timedelta(hours=hours_ago), score, "after", "central", tuple(flags))


def seen(hours_ago: float) -> Clearance:
    return Clearance(NOW - timedelta(hours=hours_ago), NOW - timedelta(hours=hours_ago))


# -- the pure rule -------------------------------------------------------------------


def test_a_clearance_lifts_an_urgent_flag_keeps_the_log_and_a_new_urgent_flag_blocks_again() -> None:
    logs = [log(5, 3, "bladder_bowel")]
    before = assess(logs, NOW, FLAGS)
    assert before is not None and before.level == "urgent" and before.clearable
    assert assess(logs, NOW, FLAGS, [seen(2)]) is None, "seen after it: no referral, the routines come back"
    assert logs[0].red_flags == ("bladder_bowel",), "the log keeps its flag"
    again = assess([*logs, log(1, 2, "saddle_numbness")], NOW, FLAGS, [seen(2)])
    assert again is not None and again.level == "urgent", "a new urgent flag after being seen blocks again"
    assert any("You recorded being seen on" in reason for reason in again.reasons)


def test_a_see_soon_flag_is_lifted_too_but_a_score_of_7_still_suggests_seeing_someone_soon() -> None:
    assert assess([log(5, 3, "night_pain")], NOW, FLAGS, [seen(2)]) is None
    high = assess([log(5, 8, "night_pain")], NOW, FLAGS, [seen(2)])
    assert high is not None and high.level == "see-soon" and not high.clearable
    assert any("8/10" in reason for reason in high.reasons)
    assert any(reason.startswith("You recorded being seen on 24 Nov 2026: the warning signs logged before then no "
                                 "longer block your routines.") for reason in high.reasons)  # fmt: skip


def test_the_seen_line_goes_once_the_cleared_flags_are_older_than_two_weeks() -> None:
    old = [DiscomfortLog(NOW - timedelta(days=20), 3, red_flags=("night_pain",)), log(1, 8)]
    cleared = Clearance(NOW - timedelta(days=19), NOW - timedelta(days=19))
    referral = assess(old, NOW, FLAGS, [cleared])
    assert referral is not None and not any("recorded being seen" in reason for reason in referral.reasons)


def test_a_clearance_recorded_later_than_now_does_not_count_yet() -> None:
    future = Clearance(NOW - timedelta(hours=2), NOW + timedelta(hours=1))
    referral = assess([log(5, 3, "bladder_bowel")], NOW, FLAGS, [future])
    assert referral is not None and referral.level == "urgent"


def test_the_day_seen_is_checked_in_one_function_a_day_in_the_future_refused() -> None:
    logs = [log(5, 3, "bladder_bowel")]
    clearance, problems = check_clearance("2026-11-25", None, NOW, UTC, logs)
    assert clearance is None and problems == ["25 Nov 2026 is still to come: give the day you were seen, today "
                                              "(24 Nov) or before."]  # fmt: skip
    clearance, problems = check_clearance("24/11", None, NOW, UTC, logs)
    assert clearance is None and "YYYY-MM-DD" in problems[0]
    clearance, problems = check_clearance("", " GP, fine ", NOW, UTC, logs)
    assert problems == [] and clearance is not None
    assert (clearance.seen_on, clearance.note) == (NOW, "GP, fine"), "seen today: covers up to now, not tonight"
    yesterday, _ = check_clearance("2026-11-23", None, NOW, UTC, [log(30, 3, "night_pain")])
    assert yesterday is not None and yesterday.seen_on == datetime(2026, 11, 23, 23, 59, 59, 999999, UTC)
    nothing, problems = check_clearance("", None, NOW, UTC, [log(5, 3)])
    assert nothing is None and "nothing to clear" in problems[0]


def test_past_cancer_with_discomfort_since_being_seen_suggests_a_doctor_soon_and_none_without_pain() -> None:
    referral = assess([log(3, 2)], NOW, FLAGS, past_cancer=True)
    assert referral is not None and referral.level == "see-soon" and referral.clearable
    assert "With a past cancer, new back pain is worth a doctor's look soon." in referral.reasons
    assert assess([log(3, 0)], NOW, FLAGS, past_cancer=True) is None, "no pain, nothing to look at"
    assert assess([log(3, 2)], NOW, FLAGS, past_cancer=False) is None
    assert assess([log(3, 2)], NOW, FLAGS, [seen(1)], past_cancer=True) is None, "seen since: covered"
    assert assess([log(3, 2), log(0.5, 1)], NOW, FLAGS, [seen(1)], past_cancer=True) is not None


def test_past_cancer_is_no_longer_asked_with_each_log_but_old_logs_carrying_it_still_count() -> None:
    assert not FLAGS["past_cancer"].asked and "past_cancer" not in ASKED
    referral = assess([log(3, 2, "past_cancer")], NOW, FLAGS)
    assert referral is not None and referral.level == "see-soon"


clearances_strategy = st.lists(
    st.floats(0.01, 30).map(lambda d: Clearance(NOW - timedelta(days=d), NOW - timedelta(days=d))), max_size=4
)


@given(logs_strategy, clearances_strategy, st.sampled_from(URGENT), st.booleans(), st.floats(0, 1))
def test_an_urgent_flag_logged_after_every_clearance_always_gives_the_urgent_referral(
    logs, clearances, flag, past_cancer, share
) -> None:
    """Within the two weeks a red flag counts: after the latest "seen" record, the flag always blocks."""
    latest = max((c.seen_on for c in clearances), default=NOW - LOOKBACK)
    start = max(latest, NOW - LOOKBACK)
    at = start + (NOW - start) * share
    if at == latest:
        at = NOW
    referral = assess([*logs, DiscomfortLog(at, 0, red_flags=(flag,))], NOW, FLAGS, clearances, past_cancer=past_cancer)
    assert referral is not None and referral.level == "urgent" and referral.clearable


# -- through the web, on both databases ---------------------------------------------------


def post_seen(web: FlaskClient, seen_on: str = "", note: str = "") -> str:
    data = {"csrf_token": csrf_token(web), "seen_on": seen_on, "note": note}
    return web.post("/discomfort/seen", data=data, follow_redirects=True).get_data(as_text=True)


def test_seen_through_the_web_lifts_the_urgent_block_keeps_the_log_and_a_new_flag_blocks_again(
    app: Flask,
    client: FlaskClient,
) -> None:
    store = store_of(app)
    store.set_setting("time_zone", "UTC")
    run_id = add_run(app, to_fit(demo_run()))
    page = log_discomfort(client, 3, "bladder_bowel")
    assert "referral-urgent" in page and 'action="/discomfort/seen"' in page, "the seen form is in the urgent box"
    assert "get seen first" in client.get(f"/timer/{run_id}").get_data(as_text=True)

    page = post_seen(client, NOW.date().isoformat(), "A&E: not an emergency")
    assert "referral-urgent" not in page and 'action="/discomfort/seen"' not in page
    timer = client.get(f"/timer/{run_id}").get_data(as_text=True)
    assert 'id="start"' in timer, "the cool-down is offered again"
    assert 'id="start"' in client.get("/timer/warmup").get_data(as_text=True)
    assert [log.red_flags for log in store.discomfort_logs()] == [("bladder_bowel",)], "the log is kept, flag and all"
    (kept,) = store.clearances()
    assert (kept.seen_on, kept.note) == (NOW, "A&E: not an emergency")

    app.config["CLOCK"] = lambda: NOW + timedelta(hours=1)
    page = log_discomfort(client, 2, "saddle_numbness")
    assert "referral-urgent" in page and "You recorded being seen on 24 Nov 2026" in page
    assert "get seen first" in client.get(f"/timer/{run_id}").get_data(as_text=True)


def test_a_seen_day_in_the_future_is_refused_on_the_web_and_in_the_cli_in_one_sentence(
    app: Flask,
    client: FlaskClient,
    tmp_path: Path,
) -> None:
    store_of(app).set_setting("time_zone", "UTC")
    log_discomfort(client, 3, "bladder_bowel")
    page = post_seen(client, "2026-11-25")
    assert "25 Nov 2026 is still to come" in page and "referral-urgent" in page
    assert store_of(app).clearances() == []

    db = tmp_path / "cli.sqlite"
    CliRunner().invoke(cli, ["--db", str(db), "discomfort", "add", "3", "--red-flag", "bladder_bowel"])
    tomorrow = (datetime.now(UTC) + timedelta(days=2)).date().isoformat()
    result = CliRunner().invoke(cli, ["--db", str(db), "discomfort", "seen", "--on", tomorrow])
    assert result.exit_code == 2 and "is still to come" in result.output


def test_the_seen_form_without_its_csrf_token_is_refused_and_nothing_is_recorded(
    app: Flask,
    client: FlaskClient,
) -> None:
    log_discomfort(client, 3, "bladder_bowel")
    answer = client.post("/discomfort/seen", data={"seen_on": NOW.date().isoformat()})
    assert answer.status_code == 400
    assert store_of(app).clearances() == []


def test_the_discomfort_form_no_longer_asks_about_past_cancer(app: Flask, client: FlaskClient) -> None:
    page = client.get("/").get_data(as_text=True)
    assert 'value="bladder_bowel"' in page and 'value="past_cancer"' not in page
    assert 'data-asked-above="0"' in page, "the questions are marked for the script that hides them at 0"


def test_past_cancer_is_asked_once_on_the_settings_page(app: Flask, client: FlaskClient) -> None:
    page = client.get("/settings").get_data(as_text=True)
    assert "Have you ever been treated for cancer?" in page and 'name="past_cancer"' in page


# -- the CLI ---------------------------------------------------------------------------


def run(db: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["--db", str(db), *args])
    return result.exit_code, result.output


def test_discomfort_seen_in_the_cli_records_the_day_and_lifts_the_urgent_advice(tmp_path: Path) -> None:
    db = tmp_path / "cli.sqlite"
    assert run(db, "settings", "--time-zone", "UTC")[0] == 0
    code, out = run(db, "discomfort", "add", "2", "--red-flag", "bladder_bowel")
    assert code == 0 and "emergency department" in out
    code, out = run(db, "discomfort", "seen", "--note", "GP: not an emergency", "--json")
    assert code == 0, out
    found = json.loads(out)
    assert found["referral"] is None and found["clearance"]["note"] == "GP: not an emergency"
    code, out = run(db, "discomfort", "seen")
    assert code == 2 and "nothing to clear" in out
    code, out = run(db, "discomfort", "list", "--json")
    assert json.loads(out)[0]["red_flags"] == ["bladder_bowel"], "the log keeps its flag"
    code, out = run(db, "discomfort", "red-flags")
    assert "bladder_bowel" in out and "past_cancer" not in out


def test_past_cancer_set_in_the_cli_makes_discomfort_worth_a_doctors_look(tmp_path: Path) -> None:
    db = tmp_path / "cli.sqlite"
    code, out = run(db, "discomfort", "add", "2", "--json")
    assert code == 0 and json.loads(out)["referral"] is None
    code, out = run(db, "settings", "--past-cancer", "yes", "--json")
    assert code == 0 and json.loads(out)["past_cancer"] == "yes"
    code, out = run(db, "discomfort", "add", "2", "--json")
    referral = json.loads(out)["referral"]
    assert referral["level"] == "see-soon" and referral["clearable"]
    assert "With a past cancer, new back pain is worth a doctor's look soon." in referral["reasons"]
    code, out = run(db, "settings", "--past-cancer", "maybe")
    assert code != 0 and re.search(r"yes|no", out)
    code, out = run(db, "discomfort", "add", "2", "--red-flag", "past_cancer")
    assert code == 2 and "settings" in out
