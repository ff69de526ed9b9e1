"""The duplicate check (`Writer.overlapping`): found through the indexes, so its cost stays flat as the history grows,
and never missing a stored activity however long it was."""

from __future__ import annotations

from datetime import timedelta

from alembic import command
from alembic.config import Config
from sqlalchemy import text

from recovery.database import MIGRATIONS
from recovery.ingest import ingest_bytes
from recovery.store import Store
from recovery.synthetic import make_run, to_fit
from tests.conftest import NOW


def test_a_second_copy_of_a_run_is_found_however_long_ago_a_long_activity_started(store: Store) -> None:
    """A 30-hour ultra stored first: a file of its last hour, a day later, is still the same activity."""
    ultra = make_run(3, NOW - timedelta(hours=31), duration_s=30 * 3600, interval_s=30)
    first = ingest_bytes(store, to_fit(ultra), "/watch/ultra.fit", now=NOW)
    for day in range(1, 40):  # and a history of ordinary runs around it
        ingest_bytes(store, to_fit(make_run(day, NOW - timedelta(days=day + 2), duration_s=1800)), f"{day}.fit",
                     now=NOW)  # fmt: skip
    with store.writing() as w:
        near_its_end = (NOW - timedelta(hours=2), NOW - timedelta(hours=1, minutes=30))
        assert [s.id for s in w.overlapping(near_its_end)] == list(first.run_ids)
        assert w.overlapping((NOW - timedelta(minutes=20), NOW)) == []


def test_the_search_goes_down_the_indexes_and_never_scans_the_runs(store: Store) -> None:
    """The plan SQLite (or PostgreSQL) picks for the check: no full scan of `runs`, however many are stored."""
    for day in range(1, 30):
        ingest_bytes(store, to_fit(make_run(day, NOW - timedelta(days=day), duration_s=1800)), f"{day}.fit", now=NOW)
    seen: list[str] = []

    def explain(conn: object, cursor: object, sql: str, params: object, *args: object) -> None:
        if "FROM runs" in sql and "start_time_utc >=" in sql:
            seen.append(sql)

    from sqlalchemy import event

    event.listen(store.engine, "before_cursor_execute", explain)
    try:
        with store.writing() as w:
            w.overlapping((NOW - timedelta(days=3), NOW - timedelta(days=3) + timedelta(hours=1)))
    finally:
        event.remove(store.engine, "before_cursor_execute", explain)
    assert seen, "the check bounds its search by the longest stored span"
    if store.is_sqlite:
        with store.engine.connect() as conn:
            # SQLAlchemy's bound parameters as SQLite's own placeholders: the plan, not the answer, is wanted.
            plan = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + seen[0], tuple([None] * seen[0].count("?"))).all()
        steps = " ; ".join(str(row[-1]) for row in plan)
        assert "SCAN runs" not in steps and "USING INDEX ix_runs_start_time_utc" in steps, steps


def test_migration_0012_fills_in_the_span_of_every_run_already_stored(db_url: str) -> None:
    with Store(db_url) as store:
        for seed in (4, 5):
            ingest_bytes(store, to_fit(make_run(seed, NOW - timedelta(days=seed), duration_s=3600)), f"{seed}.fit",
                         now=NOW)  # fmt: skip
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        with store.engine.begin() as conn:
            config.attributes["connection"] = conn
            command.downgrade(config, "0011")
    with Store(db_url) as store:  # opening migrates up again
        with store.engine.connect() as conn:
            spans = conn.execute(text("SELECT span_s FROM runs ORDER BY id")).scalars().all()
        assert len(spans) == 2 and all(3590 <= s <= 3610 for s in spans), spans
        with store.writing() as w:
            (found,) = w.overlapping((NOW - timedelta(days=4), NOW - timedelta(days=4) + timedelta(minutes=10)))
        assert found.run.start_time_utc is not None
