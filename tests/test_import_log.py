"""The import log a runner can read: repeated outcomes in a row told once, pages of lines, the same in the CLI.

The grouping (`recovery.importlog`) is tested directly, with a property that
it loses no entry and keeps the order; the page and `recovery log` are
tested on a real store of each kind, filled by real imports where it matters
(a folder imported, then rescanned).
"""

from __future__ import annotations

import io
import itertools
import re
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import given
from hypothesis import strategies as st

from recovery.cli import cli
from recovery.importlog import (
    MAX_ENTRIES_PER_PAGE,
    SAME_BATCH,
    LogPage,
    group_entries,
    log_lines,
    log_page,
)
from recovery.ingest import ingest_inputs
from recovery.inputs import iter_inputs
from recovery.store import LogEntry, Store
from recovery.synthetic import make_run, to_fit
from tests.conftest import NOW

T0 = datetime(2026, 11, 20, 7, 0, tzinfo=UTC)
OUTCOMES = ("imported", "duplicate", "not_a_run", "rejected", "incomplete", "unavailable")


def entry(entry_id: int, outcome: str, at: datetime = T0, path: str | None = None) -> LogEntry:
    name = path or f"watch/{entry_id}.fit"
    return LogEntry(entry_id, at, name, None, outcome, None, f"{name.rsplit('/', 1)[-1]}: {outcome}.")


def newest_first(
    outcomes: Sequence[str], start: datetime = T0, step: timedelta = timedelta(seconds=1)
) -> list[LogEntry]:
    """Entries with ids 1.. written `step` apart, returned newest first as the store gives them."""
    return [entry(i + 1, o, start + i * step) for i, o in enumerate(outcomes)][::-1]


def reader(entries: list[LogEntry]):  # type: ignore[no-untyped-def]
    """A LogReader over a list (newest first), answering as `Store.import_log` does."""

    def read(before: int | None, after: int | None, limit: int) -> list[LogEntry]:
        chosen = [e for e in entries if (before is None or e.id < before) and (after is None or e.id > after)]
        return chosen[-limit:] if after is not None and before is None else chosen[:limit]

    return read


# -- grouping ------------------------------------------------------------------------------------------------------


def test_a_rescan_of_61_files_already_imported_is_one_line_naming_the_first_few() -> None:
    entries = newest_first(["duplicate"] * 61)
    (group,) = group_entries(entries)
    assert group.sentence == "61 files already imported"
    names, more = group.named()
    assert names == [f"watch/{i}.fit" for i in range(1, 6)] and more == 56  # as they were read, oldest first


def test_imported_runs_and_refused_files_keep_a_line_each() -> None:
    groups = group_entries(newest_first(["imported", "imported", "rejected", "rejected", "duplicate", "duplicate"]))
    assert [g.size for g in groups] == [2, 1, 1, 1, 1]
    assert groups[0].sentence == "2 files already imported"
    assert [g.sentence for g in groups[1:]] == ["4.fit: rejected.", "3.fit: rejected.", "2.fit: imported.",
                                                "1.fit: imported."]  # fmt: skip


def test_two_rescans_an_hour_apart_are_two_lines() -> None:
    first = newest_first(["duplicate"] * 3, start=T0)
    later = [entry(e.id + 3, "duplicate", e.at + SAME_BATCH + timedelta(minutes=55)) for e in first]
    groups = group_entries([*later, *first])
    assert [g.size for g in groups] == [3, 3]


def test_a_slow_rescan_with_every_file_read_within_minutes_of_the_last_stays_one_line() -> None:
    entries = newest_first(["duplicate"] * 40, step=SAME_BATCH - timedelta(seconds=1))
    assert [g.size for g in group_entries(entries)] == [40]


def test_each_repetitive_outcome_is_counted_in_its_own_words() -> None:
    words = {o: group_entries(newest_first([o, o]))[0].sentence for o in ("not_a_run", "incomplete", "unavailable")}
    assert words == {
        "not_a_run": "2 files that are not runs (stored, no cool-down)",
        "incomplete": "2 files still being written",
        "unavailable": "2 files not available",
    }


@given(
    st.lists(
        st.tuples(st.sampled_from(OUTCOMES), st.integers(min_value=0, max_value=900)),
        max_size=80,
    )
)
def test_grouping_loses_no_entry_and_keeps_the_order(steps: list[tuple[str, int]]) -> None:
    entries, at = [], T0
    for i, (outcome, gap_s) in enumerate(steps):
        at += timedelta(seconds=gap_s)
        entries.append(entry(i + 1, outcome, at))
    entries.reverse()
    groups = group_entries(entries)
    assert [e for g in groups for e in g.entries] == entries
    for group in groups:
        assert len({e.outcome for e in group.entries}) == 1
        assert group.is_single or group.outcome not in ("imported", "rejected")
    for newer, older in itertools.pairwise(groups):  # as long as can be: no two neighbours could join
        a, b = newer.oldest, older.newest
        assert a.outcome != b.outcome or a.outcome in ("imported", "rejected") or a.at - b.at > SAME_BATCH


# -- pages ---------------------------------------------------------------------------------------------------------


def every_page(entries: list[LogEntry], lines: int) -> list[LogPage]:
    read = reader(entries)
    pages = [log_page(read, lines=lines)]
    while pages[-1].older_before is not None:
        pages.append(log_page(read, lines=lines, before=pages[-1].older_before))
    return pages


@given(st.lists(st.sampled_from(OUTCOMES), max_size=120), st.integers(min_value=1, max_value=12))
def test_the_older_links_walk_every_line_once_in_order(outcomes: list[str], lines: int) -> None:
    entries = newest_first(outcomes)
    pages = every_page(entries, lines)
    assert [g for p in pages for g in p.groups] == group_entries(entries)
    assert all(len(p.groups) == lines for p in pages[:-1]) and len(pages[-1].groups) <= lines
    assert pages[0].newer_after is None
    assert all(p.newer_after is not None for p in pages[1:])


@given(st.lists(st.sampled_from(OUTCOMES), min_size=1, max_size=120), st.integers(min_value=1, max_value=12))
def test_newer_from_a_page_gives_back_the_page_before_it(outcomes: list[str], lines: int) -> None:
    entries = newest_first(outcomes)
    read = reader(entries)
    pages = every_page(entries, lines)
    for above, page in itertools.pairwise(pages):
        assert page.newer_after is not None
        assert log_page(read, lines=lines, after=page.newer_after).groups == above.groups


def test_a_page_reads_a_long_group_to_its_end_rather_than_cut_it() -> None:
    entries = newest_first(["imported"] + ["duplicate"] * 3000 + ["imported"])
    page = log_page(reader(entries), lines=2)
    assert [g.size for g in page.groups] == [1, 3000] and page.older_before == 2


def test_a_group_longer_than_a_page_can_read_goes_on_over_the_next() -> None:
    entries = newest_first(["duplicate"] * (MAX_ENTRIES_PER_PAGE + 500), step=timedelta(0))
    first = log_page(reader(entries), lines=50)
    assert [g.size for g in first.groups] == [MAX_ENTRIES_PER_PAGE] and first.older_before is not None
    second = log_page(reader(entries), lines=50, before=first.older_before)
    assert [g.size for g in second.groups] == [500] and second.older_before is None


def test_the_hint_says_how_many_entries_and_lines_and_nothing_for_an_empty_log() -> None:
    assert log_page(reader([]), lines=50).hint == ""
    assert log_page(reader(newest_first(["imported"])), lines=50).hint == "The latest 1 entry."
    assert log_page(reader(newest_first(["imported", "rejected"])), lines=50).hint == "The latest 2 entries."
    grouped = log_page(reader(newest_first(["imported"] + ["duplicate"] * 61)), lines=50)
    assert grouped.hint.startswith("The latest 62 entries, in 2 lines:")


# -- the imports page, on both databases -------------------------------------------------------------------------


def store_of(app: Flask) -> Store:
    return app.extensions["recovery.store"]  # type: ignore[no-any-return]


def watch_folder_of_runs(folder: Path, count: int) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for day in range(count):
        start = NOW - timedelta(days=day + 1)
        (folder / f"{start:%Y-%m-%d}.fit").write_bytes(to_fit(make_run(day, start, duration_s=600, interval_s=10)))
    return folder


def import_folder(store: Store, folder: Path, at: datetime) -> None:
    assert all(o.outcome in ("imported", "duplicate") for o in ingest_inputs(store, iter_inputs([folder]),
                                                                                 clock=lambda: at))  # fmt: skip


def log_rows(page: str) -> list[str]:
    return re.findall(r"<tr class=\"outcome-[^\"]+\"[^>]*>", page)


def test_a_rescan_of_an_imported_folder_shows_one_line_with_its_files_in_details(
    app: Flask, client: FlaskClient, tmp_path: Path
) -> None:
    folder = watch_folder_of_runs(tmp_path / "GARMIN" / "Activity", 12)
    import_folder(store_of(app), folder, NOW - timedelta(hours=2))
    import_folder(store_of(app), folder, NOW - timedelta(hours=1))  # the rescan
    page = client.get("/imports").get_data(as_text=True)
    rows = log_rows(page)
    assert len(rows) == 1 + 12, "the rescan in one line, each imported run in its own"
    assert rows[0] == '<tr class="outcome-duplicate log-group" data-entries="12">'
    assert "12 files already imported" in page
    assert re.search(r"<details class=\"log-files\">\s*<summary>The first 5 files</summary>", page)
    assert "and 7 more: <code>recovery log --all</code> names every one." in page
    assert "The latest 24 entries, in 13 lines:" in page
    assert page.count('<a href="/runs/') >= 12, "each imported run links to its page"


def test_an_empty_log_says_nothing_was_imported_yet_and_never_0_entries(client: FlaskClient) -> None:
    for path in ("/imports", "/imports/log"):
        page = client.get(path).get_data(as_text=True)
        assert "Nothing imported yet." in page
        assert "0 entries" not in page and "latest 0" not in page


def test_the_log_pages_through_older_and_newer_lines_with_the_hint_true_on_each(
    app: Flask, client: FlaskClient
) -> None:
    store = store_of(app)
    with store.writing() as w:
        for i in range(70):  # 70 refusals: a line each
            w.log(f"upload/{i}.fit", "rejected", f"{i}.fit is not a FIT file.", now=NOW - timedelta(minutes=70 - i))
    first = client.get("/imports").get_data(as_text=True)
    assert len(log_rows(first)) == 50 and "The latest 50 entries." in first
    assert "69.fit is not a FIT file." in first and "19.fit is not a FIT file." not in first
    older = re.search(r'<a href="(/imports\?before=\d+)#log-title" rel="next">Older</a>', first)
    assert older and "Newer" not in first
    second = client.get(older.group(1)).get_data(as_text=True)
    assert len(log_rows(second)) == 20 and "20 older entries." in second
    assert "19.fit is not a FIT file." in second and "0.fit is not a FIT file." in second
    assert "Older</a>" not in second
    newer = re.search(r'<a href="(/imports\?after=\d+)#log-title" rel="prev">Newer</a>', second)
    assert newer
    assert log_rows(client.get(newer.group(1)).get_data(as_text=True)) == log_rows(first)
    for typo in ("/imports?before=abc", "/imports?before=99999999999999999999", "/imports?after=-4"):
        assert log_rows(client.get(typo).get_data(as_text=True)) == log_rows(first)
    past_the_end = client.get("/imports?before=1").get_data(as_text=True)
    assert "No entries there" in past_the_end and "Nothing imported yet" not in past_the_end


def test_the_log_fragment_is_the_same_section_as_on_the_page(app: Flask, client: FlaskClient) -> None:
    with store_of(app).writing() as w:
        w.log("upload/x.fit", "rejected", "x.fit is not a FIT file.", now=NOW)
    fragment = client.get("/imports/log").get_data(as_text=True)
    page = client.get("/imports").get_data(as_text=True)
    assert fragment.lstrip().startswith('<section class="card" id="import-log-section"')
    assert fragment.strip() in page
    assert "<html" not in fragment


def test_an_upload_answers_with_a_link_to_each_new_run_and_its_cooldown(app: Flask, client: FlaskClient) -> None:
    page = client.get("/imports").get_data(as_text=True)
    token = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    data = to_fit(make_run(5, NOW - timedelta(hours=3), duration_s=1800, interval_s=5, pace_s_per_km=300))
    reply = client.post(
        "/imports/upload",
        data={"file": [(io.BytesIO(data), "morning.fit")]},
        content_type="multipart/form-data",
        headers={"X-CSRFToken": token, "Accept": "application/json"},
    ).get_json()
    run_id = reply["files"][0]["run_ids"][0]
    (link,) = reply["runs"]
    assert link["run_id"] == run_id and link["href"] == f"/runs/{run_id}"
    assert re.fullmatch(r"View your \d+\.\d km run", link["text"])
    assert link["cooldown_href"] == f"/timer/{run_id}" and link["cooldown_text"] == "Open the cool-down"
    again = client.post(
        "/imports/upload",
        data={"file": [(io.BytesIO(data), "morning.fit")]},
        content_type="multipart/form-data",
        headers={"X-CSRFToken": token, "Accept": "application/json"},
    ).get_json()
    assert again["runs"] == [], "a duplicate is no new run"


# -- `recovery log` ---------------------------------------------------------------------------------------------------


def test_recovery_log_groups_a_rescan_in_one_line_and_all_prints_every_entry(db_url: str, tmp_path: Path) -> None:
    folder = watch_folder_of_runs(tmp_path / "Activity", 8)
    with Store(db_url) as store:
        import_folder(store, folder, NOW - timedelta(hours=2))
        import_folder(store, folder, NOW - timedelta(hours=1))
    grouped = CliRunner().invoke(cli, ["--db", db_url, "log"])
    assert grouped.exit_code == 0, grouped.output
    lines = grouped.output.splitlines()
    assert len(lines) == 1 + 8
    assert re.fullmatch(r"\S+ \S+  duplicate  8 files already imported: .+ and 3 more \(until \S+ \S+\)", lines[0])
    assert all(" imported " in line for line in lines[1:])
    every = CliRunner().invoke(cli, ["--db", db_url, "log", "--all"])
    assert every.exit_code == 0 and len(every.output.splitlines()) == 16
    assert sum("was already imported" in line for line in every.output.splitlines()) == 8
    limited = CliRunner().invoke(cli, ["--db", db_url, "log", "--limit", "2"])
    assert len(limited.output.splitlines()) == 2
    since = CliRunner().invoke(cli, ["--db", db_url, "log", "--since", "2026-01-01"])
    assert since.output.splitlines() == lines
    refused = CliRunner().invoke(cli, ["--db", db_url, "log", "--limit", "0"])
    assert refused.exit_code == 2 and "at least 1 line" in refused.output


def test_log_lines_print_a_single_entry_as_it_was_logged() -> None:
    (line,) = log_lines(newest_first(["rejected"]), lambda at: f"{at:%H:%M}")
    assert line == "07:00  rejected   1.fit: rejected."
