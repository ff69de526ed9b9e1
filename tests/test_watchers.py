"""Watching folders: each run imported once, whatever the folder does."""

from __future__ import annotations

import gzip
import itertools
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from recovery.database import clean_path
from recovery.store import Store, Writer
from recovery.synthetic import make_run, to_fit, to_gpx, to_tcx
from recovery.watchers import rules
from recovery.watchers.scanner import FolderScanner
from tests.conftest import zip_bytes

START = datetime(2026, 9, 1, 6, 30, tzinfo=UTC)


def _clock() -> datetime:
    return datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


def _fit(day: int, minutes: int = 10) -> bytes:
    return to_fit(make_run(day, START + timedelta(days=day), duration_s=minutes * 60))


def _scanner(store: Store, folder: Path) -> FolderScanner:
    return FolderScanner(store, folder, _clock, settle_s=0.01)


# -- the rules ----------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [".syncthing.run.fit.tmp", "~syncthing~run.fit.tmp", "run.fit.crdownload", "run.fit.part", "run.gpx.download",
     ".DS_Store", "._run.fit", "Thumbs.db", ".hidden.fit", "notes.txt", "photo.jpg"],
)  # fmt: skip
def test_temporary_partial_and_junk_files_are_never_looked_at(name: str) -> None:
    assert not rules.is_watched_file(name)


@pytest.mark.parametrize("name", ["A8M01234.FIT", "run.fit", "ride.gpx", "x.tcx", "1234.fit.gz", "export.zip"])
def test_activity_files_and_exports_are_looked_at(name: str) -> None:
    assert rules.is_watched_file(name)


def test_a_file_cut_short_does_not_look_complete() -> None:
    fit, gpx, tcx = _fit(1), to_gpx(make_run(1, START)), to_tcx(make_run(1, START))
    for data in (fit, gpx, tcx, gzip.compress(fit)):
        assert rules.looks_complete(data)
        assert not rules.looks_complete(data[: len(data) * 2 // 3])
    assert not rules.looks_complete(b"")


def test_a_garmin_mount_narrows_to_its_activity_folder(tmp_path: Path) -> None:
    (tmp_path / "GARMIN" / "Activity").mkdir(parents=True)
    (tmp_path / "GARMIN" / "Monitor").mkdir()
    assert rules.activity_root(tmp_path) == tmp_path / "GARMIN" / "Activity"
    assert rules.activity_root(tmp_path / "GARMIN" / "Monitor") == tmp_path / "GARMIN" / "Monitor"


# -- one scanner, in process ---------------------------------------------------


def test_a_new_run_is_imported_once_and_a_rescan_reads_nothing(sqlite_store: Store, tmp_path: Path) -> None:
    (tmp_path / "a.fit").write_bytes(_fit(1))
    scanner = _scanner(sqlite_store, tmp_path)
    assert [o.outcome for o in scanner.scan()] == ["imported"]
    assert scanner.scan() == [] and scanner.scan() == []
    assert sqlite_store.count_runs(only_runs=False) == 1 and len(sqlite_store.import_log()) == 1


def test_an_export_dropped_in_the_folder_is_imported_member_by_member_once(sqlite_store: Store, tmp_path: Path) -> None:
    (tmp_path / "1.fit").write_bytes(_fit(1))  # already synced from the watch, and in the export too
    export = {"activities/1.fit": _fit(1), "activities/2.fit": _fit(2), "activities/notes.fit": b"not a fit file"}
    (tmp_path / "export.zip").write_bytes(zip_bytes(export))
    scanner = _scanner(sqlite_store, tmp_path)
    outcomes = {Path(o.path).name: o for o in scanner.scan()}
    assert outcomes["1.fit"].outcome == "imported"
    assert outcomes["export.zip"].message == "export.zip: 1 imported, 1 duplicate, 0 not runs, 1 rejected."
    assert sqlite_store.count_runs(only_runs=False) == 2
    assert scanner.scan() == [] and _scanner(sqlite_store, tmp_path).scan() == []


def test_after_a_restart_nothing_already_imported_is_imported_again(sqlite_store: Store, tmp_path: Path) -> None:
    for day in range(3):
        (tmp_path / f"{day}.fit").write_bytes(_fit(day))
    assert len(_scanner(sqlite_store, tmp_path).scan()) == 3
    fresh = _scanner(sqlite_store, tmp_path)  # a new process: only the ledger remembers
    assert fresh.scan() == []
    assert len(sqlite_store.import_log()) == 3


def test_a_file_still_being_copied_is_retried_not_rejected(sqlite_store: Store, tmp_path: Path) -> None:
    data = _fit(2)
    path = tmp_path / "A8M01234.FIT"
    path.write_bytes(data[:1500])
    scanner = _scanner(sqlite_store, tmp_path)
    assert [o.outcome for o in scanner.scan()] == ["incomplete"]
    assert scanner.scan() == [], "'still being written' is said once, not every poll"
    with open(path, "ab") as handle:
        handle.write(data[1500:])
    assert [o.outcome for o in scanner.scan()] == ["imported"]
    assert {e.outcome for e in sqlite_store.import_log()} == {"incomplete", "imported"}


def test_an_unplugged_folder_is_logged_once_and_resumed(sqlite_store: Store, tmp_path: Path) -> None:
    mount = tmp_path / "WATCH"
    mount.mkdir()
    scanner = _scanner(sqlite_store, mount)
    away = tmp_path / "unplugged"
    mount.rename(away)
    for _ in range(3):
        assert scanner.scan() == []
    assert [e.outcome for e in sqlite_store.import_log()] == ["unavailable"]
    away.rename(mount)
    (mount / "run.fit").write_bytes(_fit(3))
    assert [o.outcome for o in scanner.scan()] == ["imported"]


def test_a_re_synced_file_with_more_data_is_the_same_run(sqlite_store: Store, tmp_path: Path) -> None:
    path = tmp_path / "run.fit"
    path.write_bytes(_fit(4, minutes=10))
    scanner = _scanner(sqlite_store, tmp_path)
    scanner.scan()
    time.sleep(0.01)
    path.write_bytes(_fit(4, minutes=12))  # the same run, two more minutes
    assert [o.outcome for o in scanner.scan()] == ["duplicate"]
    (run,) = sqlite_store.runs(only_runs=False)
    assert run.run.elapsed_s == pytest.approx(720), "the fuller version replaced the first"


def test_the_runners_files_are_never_changed(sqlite_store: Store, tmp_path: Path) -> None:
    (tmp_path / "good.fit").write_bytes(_fit(5))
    (tmp_path / "bad.fit").write_bytes(b"\x0e\x10" + b"\0" * 100)
    before = {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in tmp_path.iterdir()}
    _scanner(sqlite_store, tmp_path).scan()
    after = {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in tmp_path.iterdir()}
    assert before == after


def test_unreadable_files_and_symlink_loops_are_logged_once(sqlite_store: Store, tmp_path: Path) -> None:
    (tmp_path / "loop").symlink_to(tmp_path)
    secret = tmp_path / "secret.fit"
    secret.write_bytes(_fit(6))
    secret.chmod(0)
    scanner = _scanner(sqlite_store, tmp_path)
    for _ in range(3):
        scanner.scan()
    # Root reads the unreadable file anyway; either way each file is logged once, and the loop not at all.
    expected = ["imported"] if os.geteuid() == 0 else ["rejected"]
    assert [e.outcome for e in sqlite_store.import_log()] == expected
    secret.chmod(0o644)


# -- a real watcher process -----------------------------------------------------


def _runs(db: Path) -> list[dict]:
    out = subprocess.run([sys.executable, "-m", "recovery", "--db", str(db), "runs", "--json"],
                         capture_output=True, text=True, check=True)  # fmt: skip
    return json.loads(out.stdout)


def _log(db: Path) -> list[dict]:
    out = subprocess.run([sys.executable, "-m", "recovery", "--db", str(db), "log", "--json", "--limit", "1000"],
                         capture_output=True, text=True, check=True)  # fmt: skip
    return json.loads(out.stdout)


def _start_watcher(db: Path, folder: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "recovery", "--db", str(db), "watch", str(folder), "--interval", "0.3"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _wait_for(predicate, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.3)
    raise AssertionError("timed out waiting for the watcher")


def _copy_slowly(data: bytes, target: Path, chunks: int = 5, pause: float = 0.4) -> None:
    """Write a file the way a slow USB copy does: in pieces, with pauses."""
    step = len(data) // chunks + 1
    with open(target, "wb") as handle:
        for i in range(0, len(data), step):
            handle.write(data[i : i + step])
            handle.flush()
            time.sleep(pause)


@pytest.mark.slow
def test_a_watcher_process_survives_a_real_folder(tmp_path: Path, shared_runs: Path) -> None:
    db = tmp_path / "db.sqlite3"
    mount = tmp_path / "WATCH"
    activity = mount / "GARMIN" / "Activity"
    activity.mkdir(parents=True)
    watcher = _start_watcher(db, mount)
    try:
        # A slow copy of a real run, and junk the OS leaves behind.
        _copy_slowly((shared_runs / "sports-lib/6909950168.fit").read_bytes(), activity / "A3K01234.FIT")
        (activity / ".DS_Store").write_bytes(b"\0\0\0\1Bud1")
        (activity / "._A3K01234.FIT").write_bytes(b"\0\5\26\7")
        # Syncthing writes a temp name, then renames it into place.
        temp = activity / ".syncthing.A3K05678.FIT.tmp"
        temp.write_bytes(_fit(10))
        time.sleep(0.5)
        temp.rename(activity / "A3K05678.FIT")
        # The same run arriving twice under two names.
        (activity / "copy of A3K05678.FIT").write_bytes(_fit(10))
        _wait_for(lambda: len(_runs(db)) == 2)

        # Unplug the watch, plug it back with a new run on it.
        unplugged = tmp_path / "unplugged"
        mount.rename(unplugged)
        time.sleep(1.0)
        (unplugged / "GARMIN" / "Activity" / "A3K09999.FIT").write_bytes(_fit(11))
        unplugged.rename(mount)
        _wait_for(lambda: len(_runs(db)) == 3)

        # Killed in the middle of a batch, then restarted.
        for day in range(20, 30):
            (activity / f"batch-{day}.fit").write_bytes(_fit(day, minutes=30))
        time.sleep(0.6)
        watcher.send_signal(signal.SIGKILL)
        watcher.wait()
        watcher = _start_watcher(db, mount)
        _wait_for(lambda: len(_runs(db)) == 13)
        time.sleep(1.5)  # a few more polls: nothing may change
    finally:
        watcher.send_signal(signal.SIGKILL)
        watcher.wait()

    runs = _runs(db)
    assert len(runs) == 13, "every run exactly once"
    log = _log(db)
    final = [e for e in log if e["outcome"] in ("imported", "duplicate", "not_a_run", "rejected")]
    paths = [e["path"] for e in final]
    assert len(paths) == len(set(paths)) == 14, "every file has exactly one outcome"
    assert not any(".DS_Store" in p or "._" in Path(p).name or ".syncthing" in p for p in paths)
    assert [e["outcome"] for e in log].count("unavailable") == 1, "an unplugged mount is logged once"
    assert sum(1 for e in final if e["outcome"] == "duplicate") == 1
    shutil.rmtree(mount)


def test_a_file_replaced_while_being_read_is_not_taken_half_old(tmp_path: Path) -> None:
    from recovery.parsers import FileChanged, read_file

    path = tmp_path / "run.fit"
    path.write_bytes(_fit(7))
    assert read_file(str(path), expected_size=path.stat().st_size) == path.read_bytes()
    with pytest.raises(FileChanged):
        read_file(str(path), expected_size=path.stat().st_size - 10)  # it grew after we looked


def _age(folder: Path, seconds: float = 60) -> None:
    """Make a folder look untouched for a while, as a watch's mount is between syncs."""
    old = time.time() - seconds
    os.utime(folder, (old, old))


def test_a_new_file_in_a_quiet_folder_is_noticed_at_once(sqlite_store: Store, tmp_path: Path) -> None:
    (tmp_path / "old.fit").write_bytes(_fit(8))
    _age(tmp_path)
    scanner = _scanner(sqlite_store, tmp_path)
    scanner.scan()
    assert scanner.scan() == []
    (tmp_path / "new.fit").write_bytes(_fit(9))  # creating a file touches its folder
    assert [o.outcome for o in scanner.scan()] == ["imported"]


def test_a_file_rewritten_in_place_is_noticed_by_the_next_full_sweep(sqlite_store: Store, tmp_path: Path) -> None:
    from recovery.watchers.scanner import FULL_SWEEP_EVERY

    path = tmp_path / "run.fit"
    path.write_bytes(_fit(12, minutes=10))
    _age(tmp_path)
    scanner = _scanner(sqlite_store, tmp_path)
    scanner.scan()
    path.write_bytes(_fit(12, minutes=15))  # in place: the folder's time does not change
    _age(tmp_path)
    outcomes = [o.outcome for _ in range(FULL_SWEEP_EVERY) for o in scanner.scan()]
    assert outcomes == ["duplicate"]
    (run,) = sqlite_store.runs(only_runs=False)
    assert run.run.elapsed_s == pytest.approx(900)


def test_the_ledger_of_one_folder_is_not_mixed_with_a_folder_differing_in_case(sqlite_store: Store) -> None:
    from recovery.store import SeenFile

    sqlite_store.mark_seen(SeenFile("/data/runs/a.fit", 1, 1), now=_clock())
    sqlite_store.mark_seen(SeenFile("/data/RUNS/b.fit", 1, 1), now=_clock())
    assert set(sqlite_store.seen_files("/data/RUNS")) == {"/data/RUNS/b.fit"}


# -- an export and the ledger ---------------------------------------------------


class _Killed(BaseException):
    """The process killed: a BaseException, as nothing in the scanner may catch it and carry on."""


@contextmanager
def _killed_before_write(store: Store, n: int) -> Iterator[None]:
    """The process dies just before the store's n-th write transaction (just after the (n-1)-th commits)."""
    real = store.writing
    count = 0

    @contextmanager
    def writing(*, changes_data: bool = True) -> Iterator[Writer]:
        nonlocal count
        count += 1
        if count >= n:  # nothing more is written once the process is dead
            raise _Killed
        with real(changes_data=changes_data) as w:
            yield w

    store.writing = writing  # type: ignore[method-assign]
    try:
        yield
    finally:
        del store.writing


def test_an_export_is_marked_seen_in_the_transaction_that_stores_its_last_run(store: Store, tmp_path: Path) -> None:
    for n in itertools.count(1):
        folder = tmp_path / f"kill-{n}"
        folder.mkdir()
        days = range(10 * n, 10 * n + 3)  # runs of their own: each try starts with none of them stored
        (folder / "export.zip").write_bytes(zip_bytes({f"activities/{d}.fit": _fit(d) for d in days}))
        before = store.count_runs(only_runs=False)
        finished = False
        with _killed_before_write(store, n), suppress(_Killed):
            finished = bool(_scanner_held_by(store, folder, "watcher:1").scan())
        stored = store.count_runs(only_runs=False) - before
        marked = clean_path(str(folder / "export.zip")) in store.seen_files(str(folder))
        assert marked == (stored == 3), f"killed before write {n}: {stored} of 3 runs stored, marked seen: {marked}"
        again = _scanner_held_by(store, folder, "watcher:1").scan()  # restarted (its claim is its own)
        assert store.count_runs(only_runs=False) - before == 3, "no run lost, none doubled"
        assert (again == []) == marked, f"killed before write {n}: an export stored whole is not read again"
        if finished:
            assert n > 3, "the kill went through the claim and every member's transaction"
            break


def test_an_export_holding_no_activity_is_marked_seen_and_not_read_again(sqlite_store: Store, tmp_path: Path) -> None:
    (tmp_path / "export.zip").write_bytes(zip_bytes({"profile.csv": b"Athlete ID\n1\n", "media/photo.jpg": b"\xff"}))
    (outcome,) = _scanner(sqlite_store, tmp_path).scan()
    assert outcome.message == "export.zip: 0 imported, 0 duplicates, 0 not runs, 0 rejected."
    assert set(sqlite_store.seen_files(str(tmp_path))) == {clean_path(str(tmp_path / "export.zip"))}
    assert _scanner(sqlite_store, tmp_path).scan() == []


def _scanner_held_by(store: Store, folder: Path, holder: str) -> FolderScanner:
    return FolderScanner(store, folder, _clock, settle_s=0.01, holder=holder)
