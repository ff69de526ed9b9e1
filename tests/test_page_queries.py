"""How many SQL statements each page costs, on a short history and a long one.

A page gathers what it needs once (`coaching.gather`), and while nothing is
written the gathering costs the one query that reads the data version (a
page without one, such as imports, reads only the settings). The counts
are pinned, and must be the same for 30 runs as for 3,500: a page that
read the store again per run or per section would show here first.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import event

from recovery.coach.discomfort import DiscomfortLog
from recovery.coach.load import RunFigures, run_figures
from recovery.history import RoutineSession
from recovery.parsers import read_activity
from recovery.store import Store
from recovery.streams import Streams, pack
from recovery.synthetic import make_run, to_fit
from recovery.web import create_app
from tests.conftest import NOW

#: Statements per page the first time after a write (everything gathered), and again with nothing written.
#: A gathering's first read includes the "seen, not an emergency" records (`store.clearances`): one statement.
EXPECTED = {
    "/": (9, 1),
    "/history": (9, 1),
    "/runs": (11, 3),
    "/runs/{run_id}": (11, 3),
    "/timer/{run_id}": (9, 1),
    "/timer/warmup": (9, 1),
    "/timer/strength": (9, 1),
    "/imports": (3, 3),
    "/settings": (12, 4),  # and the nudges' last problem, if any (`nudges.nudge_state`)
}


def fill(store: Store, runs: int) -> int:
    """`runs` runs, one a day back from yesterday, a cool-down after every other one and a discomfort log a week."""
    model = read_activity(to_fit(make_run(1, NOW - timedelta(days=1), duration_s=1800)), "model.fit")
    figures = run_figures(model)
    newest = 0
    with store.writing() as w:
        for day in range(runs, 0, -1):
            shift = timedelta(days=day)
            start = model.start_time_utc - shift  # type: ignore[operator]
            run = dataclasses.replace(model, content_id=f"run-{day}", start_time_utc=start, streams=Streams())
            span = (figures.span[0] - shift, figures.span[1] - shift)  # type: ignore[index]
            newest = w.insert_run(run, RunFigures(span, figures.heart), pack(run.streams), now=NOW)
            w.add_source(newest, run, f"/watch/{day}.fit", now=NOW)
    for day in range(runs, 0, -2):
        end = NOW - timedelta(days=day, hours=-1)
        store.add_routine_session(RoutineSession(newest - day + 1, "cooldown", end - timedelta(minutes=6), end, 7, 7,
                                                 360, True))  # fmt: skip
    for day in range(min(runs, 60), 0, -7):
        store.add_discomfort(DiscomfortLog(NOW - timedelta(days=day), 2, "after", "central"))
    return newest


@pytest.fixture(params=[30, 3500], ids=["30 runs", "3500 runs"])
def app(request: pytest.FixtureRequest, db_url: str) -> Iterator[tuple[Flask, int]]:
    app = create_app({"DATABASE_URL": db_url, "CLOCK": lambda: NOW, "TESTING": True})
    store = app.extensions["recovery.store"]
    yield app, fill(store, request.param)
    store.close()


def statements(app: Flask, path: str) -> int:
    """The statements one GET of `path` sends to the database (not counting BEGIN, COMMIT and ROLLBACK)."""
    seen: list[str] = []

    def count(conn: object, cursor: object, sql: str, *args: object) -> None:
        if not sql.lstrip().upper().startswith(("BEGIN", "COMMIT", "ROLLBACK", "SET TRANSACTION")):
            seen.append(sql)

    engine = app.extensions["recovery.store"].engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        response = app.test_client().get(path)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert response.status_code == 200, (path, response.status_code)
    return len(seen)


def test_every_page_costs_the_same_few_statements_however_long_the_history(app: tuple[Flask, int]) -> None:
    flask_app, run_id = app
    store: Store = flask_app.extensions["recovery.store"]
    counted = {}
    for pattern in EXPECTED:
        path = pattern.format(run_id=run_id)
        store.set_setting("units", "km")  # a write: the next page gathers afresh
        counted[pattern] = (statements(flask_app, path), statements(flask_app, path))
    assert counted == EXPECTED
    assert counted["/"][0] < 12


def test_a_write_in_another_process_is_seen_by_the_next_page(app: tuple[Flask, int], db_url: str) -> None:
    """The gathering is keyed by the database's data version, which any writer moves on."""
    flask_app, _ = app
    client = flask_app.test_client()
    before = client.get("/runs").get_data(as_text=True)
    assert "km" in before
    with Store(db_url) as elsewhere:  # another connection pool, as another process would have
        elsewhere.set_setting("units", "mi")
    after = client.get("/runs").get_data(as_text=True)
    assert " mi" in after and after != before
