"""The store, on SQLite and on a real PostgreSQL: every run once, every file logged."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from recovery.database import clean_path
from recovery.history import RoutineSession
from recovery.ingest import ingest_bytes, ingest_inputs
from recovery.inputs import iter_inputs
from recovery.store import SeenFile, Store
from recovery.synthetic import make_run, to_fit, to_gpx
from recovery.upkeep import fill_heart_times
from tests.conftest import NOW

PAIRS = [
    ("sports-lib/2067489619.fit", "sports-lib/2067489619.gpx"),
    ("sports-lib/6860622783.fit", "sports-lib/6860622783.tcx"),
    ("goldencheetah/10kUNLP2014-Garmin15.fit", "goldencheetah/10kUNLP2014-Garmin15.tcx"),
]


def _clock():
    return NOW


def test_a_run_is_stored_with_its_figures_and_samples(store: Store) -> None:
    synthetic = make_run(7, NOW - timedelta(days=1), duration_s=1800)
    outcome = ingest_bytes(store, to_fit(synthetic), "/watch/easy.fit", now=NOW)
    assert outcome.outcome == "imported"
    (stored,) = store.runs(only_runs=False)
    assert stored.id == outcome.run_ids[0]
    assert stored.sources == ("/watch/easy.fit",)
    assert stored.run.start_time_utc == synthetic.start
    assert stored.run.distance_m == pytest.approx(synthetic.distance_m, rel=0.001)
    assert len(stored.run.streams) == len(synthetic.points)
    assert stored.run.streams.hr[100] == synthetic.points[100].heart_rate


def test_the_same_file_twice_is_one_run(store: Store) -> None:
    data = to_fit(make_run(1, NOW - timedelta(days=2), duration_s=600))
    first = ingest_bytes(store, data, "a/run.fit", now=NOW)
    second = ingest_bytes(store, data, "b/copy-of-run.fit", now=NOW)
    assert (first.outcome, second.outcome) == ("imported", "duplicate")
    assert store.count_runs(only_runs=False) == 1
    assert "already imported" in second.message


def test_one_run_exported_as_fit_and_gpx_is_one_run_keeping_the_fit(store: Store) -> None:
    synthetic = make_run(3, NOW - timedelta(days=3), duration_s=1200)
    gpx = ingest_bytes(store, to_gpx(synthetic), "strava/run.gpx", now=NOW)
    fit = ingest_bytes(store, to_fit(synthetic), "watch/run.fit", now=NOW)
    assert gpx.outcome == "imported" and fit.outcome == "duplicate"
    (stored,) = store.runs(only_runs=False)
    assert stored.run.source_format == "fit", "the watch's own file is the richer source"
    assert set(stored.sources) == {"strava/run.gpx", "watch/run.fit"}


def test_a_list_read_before_a_richer_copy_arrives_shows_the_richer_copy_after(store: Store) -> None:
    """A list read before a richer copy replaced the run never serves the old copy afterwards (no stale cache)."""
    synthetic = make_run(6, NOW - timedelta(days=3), duration_s=1200)
    ingest_bytes(store, to_gpx(synthetic), "strava/run.gpx", now=NOW)
    (before,) = store.runs(only_runs=False, samples=False)
    assert before.run.source_format == "gpx"
    ingest_bytes(store, to_fit(synthetic), "watch/run.fit", now=NOW)
    (listed,) = store.runs(only_runs=False, samples=False)
    (history,) = store.runs_between(NOW - timedelta(days=7), NOW)
    assert listed.id == before.id
    assert listed.run.source_format == history.run.source_format == "fit"
    assert listed.run.content_id == store.run(before.id).run.content_id


def test_two_short_runs_on_one_morning_are_two_runs(store: Store) -> None:
    """Start day and sport alone would merge them; their times do not overlap."""
    morning = NOW.replace(hour=6, minute=0) - timedelta(days=1)
    first = make_run(11, morning, duration_s=900)
    second = make_run(12, morning + timedelta(minutes=20), duration_s=900)
    for synthetic, name in ((first, "one.fit"), (second, "two.fit")):
        assert ingest_bytes(store, to_fit(synthetic), name, now=NOW).outcome == "imported"
    assert store.count_runs(only_runs=False) == 2


@pytest.mark.parametrize("pair", PAIRS, ids=[p[1] for p in PAIRS])
def test_real_re_exports_are_recognised(store: Store, shared_runs: Path, pair: tuple[str, str]) -> None:
    outcomes = [ingest_bytes(store, (shared_runs / f).read_bytes(), f, now=NOW) for f in pair]
    assert [o.outcome for o in outcomes] == ["imported", "duplicate"]
    (stored,) = store.runs(only_runs=False)
    assert stored.run.source_format == "fit"


def test_importing_all_real_runs_twice_stores_nothing_new(store: Store, shared_runs: Path) -> None:
    first = list(ingest_inputs(store, iter_inputs([shared_runs]), clock=_clock))
    assert len(first) == 105
    count = store.count_runs(only_runs=False)
    outcomes = {o.outcome for o in first}
    assert outcomes == {"imported", "duplicate", "not_a_run", "rejected"}
    again = list(ingest_inputs(store, iter_inputs([shared_runs]), clock=_clock))
    assert store.count_runs(only_runs=False) == count
    assert not [o for o in again if o.outcome == "imported"]
    assert len(store.import_log()) == 2 * 105, "every file seen gets one log line per import"


def test_a_multisport_file_gives_its_running_leg_as_a_run(store: Store, shared_runs: Path) -> None:
    path = shared_runs / "sports-lib/4623204522.fit"
    outcome = ingest_bytes(store, path.read_bytes(), str(path), now=NOW)
    assert outcome.outcome == "imported"
    sports = sorted(s.run.sport for s in store.runs(only_runs=False))
    assert sports == ["ride", "run", "swim"]
    (run,) = store.runs(only_runs=True)
    assert run.run.distance_m == pytest.approx(42563.9, abs=1)


def test_runs_are_listed_newest_first(store: Store) -> None:
    for days in (5, 1, 3):
        ingest_bytes(store, to_fit(make_run(days, NOW - timedelta(days=days), duration_s=300)), f"{days}.fit", now=NOW)
    starts = [s.run.start_time_utc for s in store.runs(only_runs=False)]
    assert starts == sorted(starts, reverse=True)


def test_a_failed_write_leaves_no_half_run(store: Store) -> None:
    data = to_fit(make_run(5, NOW - timedelta(days=1), duration_s=300))
    from recovery.ingest import parse_bytes

    parsed = parse_bytes(data, "crash.fit")
    with pytest.raises(RuntimeError), store.writing() as w:
        part = parsed.parts[0]
        run_id = w.insert_run(part.run, part.figures, part.samples, now=NOW)
        w.add_source(run_id, part.run, "crash.fit", now=NOW)
        raise RuntimeError("power cut")
    assert store.count_runs(only_runs=False) == 0
    assert store.known_content_ids() == set()
    assert ingest_bytes(store, data, "crash.fit", now=NOW).outcome == "imported"


def test_bad_files_are_logged_with_their_sentence(store: Store) -> None:
    outcome = ingest_bytes(store, b"", "empty.fit", now=NOW)
    assert outcome.outcome == "rejected"
    (entry,) = store.import_log()
    assert entry.outcome == "rejected" and entry.message.startswith("empty.fit is empty")


def test_opening_an_existing_database_keeps_its_runs(db_url: str) -> None:
    with Store(db_url) as first:
        ingest_bytes(first, to_fit(make_run(2, NOW - timedelta(days=1), duration_s=300)), "x.fit", now=NOW)
    with Store(db_url) as second:
        assert second.count_runs(only_runs=False) == 1


def test_lists_come_without_samples_and_older_runs_get_their_heart_rate_times_once_at_start_up(store: Store) -> None:
    from sqlalchemy import text

    synthetic = make_run(8, NOW - timedelta(days=2), duration_s=1800)
    run_id = ingest_bytes(store, to_fit(synthetic), "/watch/a.fit", now=NOW).run_ids[0]
    (listed,) = store.runs(only_runs=False, samples=False)
    assert len(listed.run.streams) == 0 and listed.run.distance_m == store.run(run_id).run.distance_m
    # A run stored before the times were kept (migration 0005 leaves them empty):
    with store.engine.begin() as conn:
        conn.execute(text("UPDATE runs SET heart_time_json = NULL"))
    version = store.version()
    (history,) = store.runs_between(NOW - timedelta(days=7), NOW)
    assert history.heart is None and store.version() == version, "a read never writes"
    assert fill_heart_times(store) == 1 and fill_heart_times(store) == 0, "filled once, at start-up"
    (history,) = store.runs_between(NOW - timedelta(days=7), NOW)
    assert history.heart is not None and history.heart.covered_s > 1700


def test_moving_the_samples_out_of_runs_loses_nothing_and_leaves_no_wasted_space(db_url: str) -> None:
    """Migration 0007, down and up again on a database with runs: samples, sources, logs and routines all stay."""
    from alembic import command
    from alembic.config import Config
    from sqlalchemy import inspect, text

    from recovery.database import MIGRATIONS
    from recovery.history import RoutineSession
    from recovery.streams import pack

    with Store(db_url) as store:
        for seed in (4, 5, 6):
            synthetic = make_run(seed, NOW - timedelta(days=seed), duration_s=3 * 3600)
            ingest_bytes(store, to_fit(synthetic), f"/watch/{seed}.fit", now=NOW)
        before = {s.id: (s.sources, len(s.run.streams), pack(s.run.streams)) for s in store.runs(only_runs=False)}
        first = min(before)
        store.add_routine_session(RoutineSession(first, "cooldown", NOW, NOW, 7, 7, 300, True))
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        with store.engine.begin() as conn:
            config.attributes["connection"] = conn
            command.downgrade(config, "0006")
        with store.engine.connect() as conn:
            assert conn.scalar(text("SELECT count(*) FROM runs WHERE streams IS NOT NULL")) == 3
    with Store(db_url) as store:  # opening migrates back up to 0007
        after = {s.id: (s.sources, len(s.run.streams), pack(s.run.streams)) for s in store.runs(only_runs=False)}
        assert after == before
        # A rebuilt runs table would have emptied these (ON DELETE SET NULL), not removed them:
        assert sorted(entry.run_id for entry in store.import_log()) == sorted(before)
        assert [s.run_id for s in store.routine_sessions()] == [first]
        assert "streams" not in {column["name"] for column in inspect(store.engine).get_columns("runs")}
        with store.engine.connect() as conn:
            if store.is_sqlite:  # the copied samples' old pages were given back to the disk
                free = conn.exec_driver_sql("PRAGMA freelist_count").scalar() or 0
                pages = conn.exec_driver_sql("PRAGMA page_count").scalar() or 0
                assert free * 10 < pages
            else:  # the dropped column's data went with it, rather than staying in the table (TOAST included,
                # the indexes not: the runs table has more of them than the samples)
                size = "SELECT pg_table_size('{}')"
                runs, samples = (conn.exec_driver_sql(size.format(t)).scalar() or 0 for t in ("runs", "run_samples"))
                assert runs * 2 < samples


def test_a_routine_session_keeps_its_stretches_and_feedback_and_the_feedback_can_be_added_later(store: Store) -> None:
    data = to_fit(make_run(1, NOW - timedelta(hours=2), duration_s=1800))
    run_id = ingest_bytes(store, data, "r.fit", now=NOW).run_ids[0]
    items = (("childs_pose", "standard"), ("knees_to_chest", "gentle"), ("supine_twist", "standard"))
    full = RoutineSession(run_id, "cooldown", NOW - timedelta(minutes=6), NOW, 3, 3, 330, True, items, "worse",
                          ("knees_to_chest",))  # fmt: skip
    plain = RoutineSession(None, "warmup", NOW - timedelta(minutes=4), NOW - timedelta(minutes=1), 4, 2, 90, False)
    first, second = store.add_routine_session(full), store.add_routine_session(plain)
    assert store.routine_sessions() == [plain, full]  # oldest first
    read = store.routine_session(first)
    assert read == full and read is not None and read.id == first
    assert (read.items, read.back_after, read.disagreed) == (items, "worse", ("knees_to_chest",))
    assert read.finished_at == NOW and read.finished_at.tzinfo is not None
    bare = store.routine_session(second)
    assert bare is not None and (bare.items, bare.back_after, bare.disagreed) == ((), None, ())

    version = store.version()
    updated = store.set_routine_feedback(second, back_after="better", disagreed=("cat_cow",))
    assert updated is not None
    assert (updated.back_after, updated.disagreed, updated.id) == ("better", ("cat_cow",), second)
    assert store.routine_session(second) == updated
    assert store.version() != version  # feedback is data: the coach's next gathering sees it
    assert store.routine_session(first) == full  # the other session untouched
    assert store.set_routine_feedback(9999, back_after=None, disagreed=()) is None
    assert store.routine_session(9999) is None


def test_a_page_reading_does_not_hold_up_the_watcher_writing(sqlite_store: Store) -> None:
    """Reads begin deferred on SQLite: only writers take the write lock (and queue for it)."""
    import sqlite3

    from sqlalchemy import text

    path = sqlite_store.engine.url.database
    sqlite_store.log("/watch/junk.txt", "rejected", "junk.txt is not an activity file.", now=NOW)  # a write first
    other = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        with sqlite_store.engine.connect() as reading:
            assert reading.execute(text("SELECT count(*) FROM import_log")).scalar() == 1
            other.execute("BEGIN IMMEDIATE")  # would raise "database is locked" if the read held the lock
            other.execute("ROLLBACK")
        with sqlite_store.writing(), pytest.raises(sqlite3.OperationalError, match="locked"):
            other.execute("BEGIN IMMEDIATE")
    finally:
        other.close()


def test_the_runs_page_lists_runs_without_unpacking_their_samples(store: Store) -> None:
    """A page of 50 runs with their samples would cost ~1 ms a run: the list needs only the figures."""
    from recovery.coaching import gather
    from recovery.dashboard import run_list

    for seed in (1, 2):
        ingest_bytes(store, to_fit(make_run(seed, NOW - timedelta(days=seed), duration_s=600)), f"{seed}.fit", now=NOW)
    page = run_list(store, gather(store, NOW))
    assert page.total == 2 and [s.run.distance_m is not None for s in page.runs] == [True, True]
    assert [len(s.run.streams) for s in page.runs] == [0, 0]


def test_a_history_read_is_one_query_so_a_run_replaced_meanwhile_never_mixes_two_copies(db_url: str) -> None:
    """The rows and their heart-rate times come from one statement, on PostgreSQL too."""
    import re

    from sqlalchemy import event

    synthetic = make_run(9, NOW - timedelta(days=2), duration_s=1800)
    no_heart_rate = re.sub(rb"<gpxtpx:hr>\d+</gpxtpx:hr>", b"", to_gpx(synthetic))
    with Store(db_url) as reader, Store(db_url) as watcher:
        ingest_bytes(watcher, no_heart_rate, "strava/run.gpx", now=NOW)
        statements: list[str] = []
        event.listen(reader.engine, "before_cursor_execute", lambda c, cur, sql, *a: statements.append(sql))
        (seen,) = reader.runs_between(NOW - timedelta(days=7), NOW)
        assert [sql for sql in statements if not sql.startswith(("BEGIN", "COMMIT", "ROLLBACK"))] != []
        assert len([sql for sql in statements if sql.lstrip().upper().startswith("SELECT")]) == 1
        assert (seen.run.source_format, seen.heart) == ("gpx", None)
        ingest_bytes(watcher, to_fit(synthetic), "watch/run.fit", now=NOW)
        (later,) = reader.runs_between(NOW - timedelta(days=7), NOW)
        assert later.run.source_format == "fit" and later.heart is not None


def test_text_no_database_can_hold_is_cleaned_and_a_path_keeps_its_identity(store: Store) -> None:
    """NUL, terminal escapes and undecodable file-name bytes never reach a text column as they are."""
    odd = "/watch/run\udcff\x01.fit"  # a file name with a byte that is not UTF-8, as os.listdir gives it
    store.log(odd, "rejected", "run\x00.fit could not be read\x1b[0m.", now=NOW)
    entry = store.import_log()[0]
    assert entry.message == "run.fit could not be read[0m."
    assert entry.path == "/watch/run\\xff\x01.fit"
    store.mark_seen(SeenFile(odd, 10, 20), now=NOW)
    assert store.seen_files("/watch") == {clean_path(odd): (10, 20)}, "the ledger finds the file again"


def test_a_file_claimed_by_one_watcher_is_left_alone_by_another_until_stored(store: Store) -> None:
    seen = SeenFile("/watch/a.fit", 100, 5)
    later = NOW + timedelta(minutes=2)
    assert store.claim_file(seen, holder="one", now=NOW, until=later) == "claimed"
    assert store.claim_file(seen, holder="two", now=NOW, until=later) == "busy"
    assert store.claim_file(seen, holder="two", now=later, until=later) == "claimed", "an expired claim is void"
    assert store.claim_file(seen, holder="three", now=NOW, until=later, is_gone=lambda h: h == "two") == "claimed"
    with store.writing() as w:
        w.mark_seen(seen, now=NOW)  # storing the file ends the claim
    assert store.claim_file(seen, holder="two", now=NOW, until=later) == "seen"
    assert store.claim_file(SeenFile("/watch/a.fit", 200, 6), holder="two", now=NOW, until=later) == "claimed"


def test_bookkeeping_writes_leave_the_data_version_and_data_writes_move_it(store: Store) -> None:
    """Caches of the data are keyed by the version: a stranger's wrong password must not empty them."""
    version = store.version()
    store.take_login_attempt("203.0.113.9", now=NOW, since=NOW - timedelta(minutes=15), limit=5)
    store.add_login_session("a" * 64, now=NOW)
    store.log("/watch/x.fit", "rejected", "x.fit could not be read.", now=NOW)
    store.mark_seen(SeenFile("/watch/x.fit", 10, 1, outcome="rejected"), now=NOW)
    assert store.version() == version
    store.set_setting("units", "mi")
    assert store.version() == version + 1
    ingest_bytes(store, to_fit(make_run(3, NOW - timedelta(days=1), duration_s=600)), "r.fit", now=NOW)
    assert store.version() == version + 2
