"""Files are parsed in worker processes: a worker that dies takes only its own file with it."""

from __future__ import annotations

import os
import signal
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from recovery.isolation import ParsePool, memory_ceiling
from recovery.synthetic import make_run, to_fit, to_gpx
from tests.conftest import living_processes

START = datetime(2026, 11, 20, 7, 0, tzinfo=UTC)


def _descendants(pid: int) -> list[int]:
    """Every living process below `pid`."""
    parents = {child: ppid for child, (ppid, _group) in living_processes().items()}
    found, frontier = [], [pid]
    while frontier:
        parent = frontier.pop()
        children = [child for child, ppid in parents.items() if ppid == parent]
        found.extend(children)
        frontier.extend(children)
    return found


def _workers() -> list[int]:
    """The pool's workers: the forkserver's children (grandchildren of this process)."""
    processes = living_processes()
    return [pid for pid in _descendants(os.getpid()) if processes.get(pid, (0, 0))[0] != os.getpid()]


pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads processes from /proc (Linux)")


def test_files_parsed_in_a_worker_give_the_same_run_as_here() -> None:
    data = to_fit(make_run(3, START, duration_s=900))
    with ParsePool(1) as pool:
        parsed = pool.submit(data, "Activity/A1.FIT", content_id=None, hint=None).result()
    assert parsed.outcome is None and len(parsed.parts) == 1
    assert parsed.parts[0].run.start_time_utc == START and parsed.parts[0].run.is_run


def test_a_worker_that_crashes_mid_file_refuses_that_file_and_the_next_one_is_read() -> None:
    long_run = to_gpx(make_run(1, START, duration_s=24 * 3600))  # about a second to parse: time to crash it
    with ParsePool(1) as pool:
        ticket = pool.submit(long_run, "watch/long.gpx", content_id=None, hint=None)
        deadline = time.monotonic() + 20
        while not _workers():
            assert time.monotonic() < deadline, "no worker process started"
            time.sleep(0.05)
        time.sleep(0.3)  # let it start on the file
        for pid in _workers():
            os.kill(pid, signal.SIGSEGV)  # what a native crash in a parsing library does
        crashed = ticket.result()
        assert crashed.outcome == "rejected"
        assert crashed.message == "long.gpx could not be read: reading it stopped the parser (it crashed with SIGSEGV)."
        after = pool.submit(to_fit(make_run(2, START)), "watch/next.fit", content_id=None, hint=None).result()
    assert after.outcome is None and after.parts[0].run.is_run, "a new worker took over"


def test_a_file_needing_more_memory_than_the_ceiling_is_refused_and_the_worker_goes_on() -> None:
    huge = to_gpx(make_run(1, START, duration_s=40 * 3600))  # 34 MB: gpxpy needs a few hundred MB for it
    with ParsePool(1, ceiling_bytes=256 * 1024**2) as pool:  # a worker starts at about 130 MB
        refused = pool.submit(huge, "watch/ultra.gpx", content_id=None, hint=None).result()
        after = pool.submit(to_fit(make_run(2, START)), "watch/next.fit", content_id=None, hint=None).result()
    assert refused.outcome == "rejected" and refused.message.startswith("ultra.gpx ")
    assert "memory" in refused.message
    assert after.outcome is None


def test_workers_end_with_the_pool_and_none_is_left_behind() -> None:
    with ParsePool(2) as pool:
        pool.submit(to_fit(make_run(2, START)), "a.fit", content_id=None, hint=None).result()
        assert _workers(), "the workers are running while the pool is open"
    deadline = time.monotonic() + 10
    while _workers():
        assert time.monotonic() < deadline, f"workers left behind: {_workers()}"
        time.sleep(0.1)


def test_the_memory_ceiling_is_between_one_and_four_gigabytes() -> None:
    assert 1024**3 <= memory_ceiling() <= 4 * 1024**3
