"""Logs a runner can correct or delete, kept as corrected; and the direction that eases the back.

Issue 13 parts 2 and 5. A mistaken 8/10 used to send the runner to a doctor
for two weeks with no way to take it back; the direction question was never
asked, so every back got flexion-biased positions.
"""


from __future__ import annotations

import json
import re
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient

from recovery.cli import cli
from recovery.coach.discomfort import DiscomfortLog, check_log, load_red_flags
from recovery.coaching import cooldown_for, gather, latest_stored, referral
from recovery.store import LogNotCurrent, Store
from recovery.synthetic import DEMO_DURATION_S, DEMO_START, demo_run, to_fit
from tests.conftest import NOW
from tests.test_web import (
    add_run,
    csrf_token,
    just_after_the_demo_run,
    log_discomfort,
    store_of,
)

FLAGS = load_red_flags()
#: An hour after the demo run ended: its cool-down is the one a log of now adapts.
AFTER = DEMO_START + timedelta(seconds=DEMO_DURATION_S, hours=1)


def logged(score: int, hours_ago: float = 1, **more: object) -> DiscomfortLog:
    return DiscomfortLog(NOW - timedelta(hours=hours_ago), score, "after", "central", **more)  # type: ignore[arg-type]


def advice(store: Store) -> str | None:
    found = referral(gather(store, NOW), NOW)
    return None if found is None else found.level


# -- the store (both databases) ------------------------------------------------------


def test_correcting_a_mistaken_8_to_2_lifts_the_see_soon_referral_and_keeps_the_old_log_marked(store: Store) -> None:
    old_id = store.add_discomfort(logged(8))
    assert advice(store) == "see-soon"
    new_id = store.correct_discomfort(old_id, logged(2), now=NOW)
    assert new_id != old_id
    assert [(log.id, log.score) for log in store.discomfort_logs()] == [(new_id, 2)], "the coach sees only the 2/10"
    assert advice(store) is None, "no see-soon referral any more"
    every = store.discomfort_logs(include_corrected=True)
    old = next(log for log in every if log.id == old_id)
    assert (old.score, old.corrected_at, old.replaced_by) == (8, NOW, new_id), "the 8/10 is kept, marked corrected"
    assert old.to_json()["replaced_by"] == new_id and old.to_json()["corrected_at"] == "2026-11-24T12:00:00Z"


def test_deleting_a_log_stops_it_counting_and_keeps_it_marked_deleted(store: Store) -> None:
    kept = store.add_discomfort(logged(1, hours_ago=3))
    mistake = store.add_discomfort(logged(9))
    assert advice(store) == "see-soon"
    store.delete_discomfort(mistake, now=NOW)
    assert [log.id for log in store.discomfort_logs()] == [kept]
    assert advice(store) is None
    (deleted,) = [log for log in store.discomfort_logs(include_corrected=True) if log.id == mistake]
    assert deleted.corrected_at == NOW and deleted.replaced_by is None and deleted.score == 9


def test_correcting_or_deleting_an_unknown_or_already_corrected_log_is_refused_in_one_sentence(store: Store) -> None:
    old_id = store.add_discomfort(logged(8))
    new_id = store.correct_discomfort(old_id, logged(2), now=NOW)
    with pytest.raises(LogNotCurrent, match=r"^There is no discomfort log 999: [^.]*\.$"):
        store.correct_discomfort(999, logged(3), now=NOW)
    with pytest.raises(LogNotCurrent, match=rf"^Discomfort log {old_id} was already corrected by log {new_id} on "
                                            r"2026-11-24: [^.]*\.$"):  # fmt: skip
        store.correct_discomfort(old_id, logged(3), now=NOW)
    store.delete_discomfort(new_id, now=NOW)
    with pytest.raises(LogNotCurrent, match=rf"^Discomfort log {new_id} was already deleted on 2026-11-24"):
        store.delete_discomfort(new_id, now=NOW)
    with pytest.raises(LogNotCurrent, match="no discomfort log 999"):
        store.delete_discomfort(999, now=NOW)
    assert store.discomfort_logs() == [], "nothing was added by the refusals"
    assert len(store.discomfort_logs(include_corrected=True)) == 2


def test_the_direction_answer_and_the_id_round_trip_through_the_store(store: Store) -> None:
    log_id = store.add_discomfort(logged(3, easier="backward"))
    (back,) = store.discomfort_logs()
    assert back == logged(3, easier="backward") and back.id == log_id
    assert back.to_json()["easier"] == "backward" and back.to_json()["id"] == log_id
    assert "corrected_at" not in back.to_json(), "a log that counts says nothing of corrections"


# -- one check for the form and the CLI --------------------------------------------------


def test_check_log_takes_the_direction_and_refuses_an_unknown_one_in_one_sentence() -> None:
    log, problems = check_log(NOW, "3", "after", "central", (), None, FLAGS, "backward")
    assert problems == [] and log is not None and log.easier == "backward"
    log, problems = check_log(NOW, "3", "after", "central", (), None, FLAGS, "")
    assert problems == [] and log is not None and log.easier is None, "not sure: no answer"
    log, problems = check_log(NOW, "3", "after", "central", (), None, FLAGS, "sideways")
    assert log is None and len(problems) == 1 and problems[0].startswith("Choose which feels easier")


# -- the cool-down follows the direction --------------------------------------------------


def after_the_run(score: int, minutes: int = 0, **more: object) -> DiscomfortLog:
    return DiscomfortLog(AFTER + timedelta(minutes=minutes), score, "after", "central", **more)  # type: ignore[arg-type]


def test_an_arching_back_answer_makes_the_next_cooldown_give_no_seated_forward_fold(store: Store) -> None:
    run_id = ingest(store)
    store.add_discomfort(after_the_run(2, easier="forward"))
    before = cooldown_ids(store, run_id)
    assert "seated_forward_fold" in before, "bending forward eases it: the fold is offered"
    store.add_discomfort(after_the_run(2, 5, easier="backward"))
    after = cooldown_ids(store, run_id)
    assert "seated_forward_fold" not in after
    assert before != after, "the answer changed the positions"


def ingest(store: Store) -> int:
    from recovery.ingest import ingest_bytes

    outcome = ingest_bytes(store, to_fit(demo_run()), "run.fit", now=NOW)
    return outcome.run_ids[0]


def cooldown_ids(store: Store, run_id: int) -> list[str]:
    moment = AFTER + timedelta(minutes=10)
    found = gather(store, moment)
    routine = cooldown_for(store, found, latest_stored(store, found, run_id), moment)
    assert routine is not None
    return [item.id for item in routine.items]


def test_correcting_the_direction_away_changes_the_cooldown_back(store: Store) -> None:
    run_id = ingest(store)
    first = cooldown_ids(store, run_id)
    wrong = store.add_discomfort(after_the_run(2, easier="backward"))
    assert cooldown_ids(store, run_id) != first
    store.correct_discomfort(wrong, after_the_run(2), now=AFTER)
    assert cooldown_ids(store, run_id) == first, "a corrected answer no longer steers the positions"


# -- the web (both databases) ----------------------------------------------------------------


def history(client: FlaskClient) -> str:
    return client.get("/history").get_data(as_text=True)


def test_correcting_a_log_on_the_history_page_prefills_it_and_lifts_the_referral(
    app: Flask,
    client: FlaskClient,
) -> None:
    log_discomfort(client, 8)
    (log,) = store_of(app).discomfort_logs()
    assert f'href="/discomfort/{log.id}/correct"' in history(client)
    form = client.get(f"/discomfort/{log.id}/correct").get_data(as_text=True)
    assert re.search(r'name="score" value="8"[^>]* checked', form), "pre-filled with the log's values"
    assert "Which feels easier: bending forward, or arching back?" in form

    token = csrf_token(client, f"/discomfort/{log.id}/correct")
    data = {"csrf_token": token, "score": "2", "when": "after", "where": "central", "easier": "backward"}
    page = client.post(f"/discomfort/{log.id}/correct", data=data, follow_redirects=True).get_data(as_text=True)
    assert "Corrected: 2/10" in page
    assert re.search(r"<s>[^<]*: 8/10,[^<]*</s>\s*<span class=\"muted\">corrected on 24 Nov</span>", page)
    assert "referral-see-soon" not in client.get("/").get_data(as_text=True)
    (now,) = store_of(app).discomfort_logs()
    assert (now.score, now.easier, now.at) == (2, "backward", log.at), "kept at the time it was logged"


def test_a_correction_is_checked_like_a_new_log_and_an_old_log_cannot_be_corrected_twice(
    app: Flask,
    client: FlaskClient,
) -> None:
    log_discomfort(client, 8)
    (log,) = store_of(app).discomfort_logs()
    token = csrf_token(client)
    bad = {"csrf_token": token, "score": "11", "when": "after", "where": "central"}
    page = client.post(f"/discomfort/{log.id}/correct", data=bad, follow_redirects=True).get_data(as_text=True)
    assert "Choose how much discomfort you feel" in page
    assert [x.score for x in store_of(app).discomfort_logs()] == [8]

    good = {**bad, "score": "2"}
    client.post(f"/discomfort/{log.id}/correct", data=good)
    page = client.post(f"/discomfort/{log.id}/correct", data=good, follow_redirects=True).get_data(as_text=True)
    assert "That log was already corrected or deleted" in page
    assert len(store_of(app).discomfort_logs(include_corrected=True)) == 2, "no third log"
    assert client.get("/discomfort/999/correct").status_code == 404


def test_deleting_a_log_on_the_history_page_strikes_it_through(app: Flask, client: FlaskClient) -> None:
    log_discomfort(client, 9)
    (log,) = store_of(app).discomfort_logs()
    page = history(client)
    assert f'action="/discomfort/{log.id}/delete"' in page and "<summary" in page, "a confirm step before deleting"
    token = csrf_token(client, "/history")
    page = client.post(f"/discomfort/{log.id}/delete", data={"csrf_token": token},
                       follow_redirects=True).get_data(as_text=True)  # fmt: skip
    assert "Deleted: that log no longer counts" in page
    assert re.search(r"<s>[^<]*: 9/10,[^<]*</s>\s*<span class=\"muted\">deleted on 24 Nov</span>", page)
    assert store_of(app).discomfort_logs() == []
    assert "referral-see-soon" not in client.get("/").get_data(as_text=True)


def test_correct_and_delete_without_the_csrf_token_are_refused_and_nothing_changes(
    app: Flask,
    client: FlaskClient,
) -> None:
    log_discomfort(client, 8)
    (log,) = store_of(app).discomfort_logs()
    data = {"score": "2", "when": "after", "where": "central"}
    assert client.post(f"/discomfort/{log.id}/correct", data=data).status_code == 400
    assert client.post(f"/discomfort/{log.id}/delete").status_code == 400
    assert store_of(app).discomfort_logs(include_corrected=True) == [log]
    assert store_of(app).discomfort_logs()[0].corrected_at is None


def test_the_direction_is_asked_openly_until_answered_then_offered_collapsed(
    app: Flask,
    client: FlaskClient,
) -> None:
    question = "Which feels easier: bending forward, or arching back?"
    page = client.get("/").get_data(as_text=True)
    assert question in page and "Has the direction that eases your back changed?" not in page
    log_discomfort(client, 2)  # "not sure": still asked openly next time
    assert "Has the direction that eases your back changed?" not in client.get("/").get_data(as_text=True)

    token = csrf_token(client)
    data = {"csrf_token": token, "score": "2", "when": "after", "where": "central", "easier": "backward"}
    page = client.post("/discomfort", data=data, follow_redirects=True).get_data(as_text=True)
    assert re.search(r"<details[^>]*>\s*<summary>Has the direction that eases your back changed\?</summary>", page)
    assert "Last time: arching back felt easier." in page
    assert store_of(app).discomfort_logs()[-1].easier == "backward"


def test_an_arching_back_answer_on_todays_form_takes_the_seated_forward_fold_out_of_the_cooldown(
    app: Flask,
    client: FlaskClient,
) -> None:
    run_id = add_run(app, to_fit(demo_run()))
    just_after_the_demo_run(app)
    token = csrf_token(client)
    data = {"csrf_token": token, "score": "2", "when": "after", "where": "central", "easier": "forward"}
    client.post("/discomfort", data=data)
    assert "seated_forward_fold" in client.get(f"/timer/{run_id}").get_data(as_text=True)
    app.config["CLOCK"] = lambda: AFTER + timedelta(minutes=5)
    client.post("/discomfort", data={**data, "easier": "backward"})
    timer = client.get(f"/timer/{run_id}").get_data(as_text=True)
    assert 'id="start"' in timer
    assert "seated_forward_fold" not in timer and "Seated forward fold" not in timer


# -- the CLI ---------------------------------------------------------------------------------


def run(db: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["--db", str(db), *args])
    return result.exit_code, result.output


def test_discomfort_list_shows_ids_and_correct_and_delete_work_from_the_cli(tmp_path: Path) -> None:
    db = tmp_path / "cli.sqlite"
    code, out = run(db, "discomfort", "add", "8", "--easier", "backward", "--json")
    assert code == 0 and json.loads(out)["referral"]["level"] == "see-soon"
    first = json.loads(out)["id"]
    assert json.loads(out)["log"] == {**json.loads(out)["log"], "id": first, "easier": "backward"}
    code, out = run(db, "discomfort", "add", "1", "--at", "2026-11-20T07:00", "--when", "next-morning")
    assert code == 0
    code, out = run(db, "discomfort", "list")
    assert re.search(rf"^\s*{first}\s+\S+ \S+\s+8/10 .*easier: backward$", out, re.M), out

    code, out = run(db, "discomfort", "correct", str(first), "2", "--json")
    assert code == 0, out
    corrected = json.loads(out)
    assert corrected["referral"] is None and corrected["corrected"] == first
    assert corrected["log"]["easier"] == "backward", "what is left out stays as logged"
    code, out = run(db, "discomfort", "list", "--json")
    assert [(log["score"], log["id"]) for log in json.loads(out)] == [(1, first + 1), (2, corrected["id"])]
    code, out = run(db, "discomfort", "list", "--all")
    assert re.search(rf"^\s*{first}\s.*8/10.*\(corrected by {corrected['id']} on \d{{4}}-\d\d-\d\d\)$", out, re.M)

    code, out = run(db, "discomfort", "correct", str(first), "3")
    assert code == 2 and f"Discomfort log {first} was already corrected by log {corrected['id']}" in out
    code, out = run(db, "discomfort", "correct", "999", "3")
    assert code == 2 and "There is no discomfort log 999" in out

    code, out = run(db, "discomfort", "delete", str(corrected["id"]))
    assert code == 0 and "no longer counts" in out
    code, out = run(db, "discomfort", "delete", str(corrected["id"]))
    assert code == 2 and "was already deleted" in out
    code, out = run(db, "discomfort", "list", "--all", "--json")
    marked = {log["id"]: log.get("replaced_by", "counts") for log in json.loads(out)}
    assert marked == {first: corrected["id"], first + 1: "counts", corrected["id"]: None}


def test_a_red_flag_ticked_by_mistake_is_corrected_away_in_the_cli_and_a_bad_direction_refused(tmp_path: Path) -> None:
    db = tmp_path / "cli.sqlite"
    code, out = run(db, "discomfort", "add", "2", "--red-flag", "bladder_bowel", "--json")
    assert json.loads(out)["referral"]["level"] == "urgent"
    log_id = json.loads(out)["id"]
    code, out = run(db, "discomfort", "correct", str(log_id), "2", "--no-red-flags", "--json")
    assert code == 0 and json.loads(out)["referral"] is None and json.loads(out)["log"]["red_flags"] == []
    code, out = run(db, "discomfort", "add", "2", "--easier", "sideways")
    assert code == 2 and "--easier" in out
