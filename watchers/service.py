"""Run the folder scanners on a schedule: one APScheduler job per folder.

Polling is the baseline because it works everywhere runners keep files: USB
mounts, network shares, sync folders. Each job never overlaps itself
(`max_instances=1`) and a run missed while the machine slept is done once,
not many times (`coalesce=True`). An error in one scan is logged and the
job goes on at the next interval: nothing a folder does stops the watcher.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler

from recovery import nudges
from recovery.database import StoreUnavailable
from recovery.ingest import FileOutcome, Parser
from recovery.isolation import ParsePool
from recovery.store import Store
from recovery.watchers.rules import DEFAULT_INTERVAL_S
from recovery.watchers.scanner import FolderScanner

log = logging.getLogger(__name__)


def schedule_folders(
    scheduler: BaseScheduler,
    store: Store,
    folders: list[Path],
    *,
    clock: Callable[[], datetime],
    interval_s: float = DEFAULT_INTERVAL_S,
    report: Callable[[FileOutcome], None] = lambda outcome: None,
    parser: Parser,
    after_scan: Callable[[list[FileOutcome]], None] = lambda outcomes: None,
) -> list[FolderScanner]:
    """Add one polling job per folder to `scheduler`; returns the scanners. `after_scan` gets each scan's batch."""
    scanners = []
    for folder in folders:
        scanner = FolderScanner(store, folder, clock, parser=parser)
        scanners.append(scanner)
        scheduler.add_job(
            _scan_job,
            "interval",
            args=(scanner, report, after_scan),
            seconds=interval_s,
            id=f"watch:{folder}",
            name=f"watch {folder}",
            max_instances=1,
            coalesce=True,
            next_run_time=clock(),
            replace_existing=True,
        )
    return scanners


_said: set[str] = set()


def _scan_job(
    scanner: FolderScanner,
    report: Callable[[FileOutcome], None],
    after_scan: Callable[[list[FileOutcome]], None] = lambda outcomes: None,
) -> None:
    try:
        outcomes = scanner.scan()
        for outcome in outcomes:
            report(outcome)
        if outcomes:
            after_scan(outcomes)  # after the scan's transactions: a nudge never holds up an import
    except StoreUnavailable as problem:  # said once, not at every interval
        if str(problem) not in _said:
            _said.add(str(problem))
            log.error("%s Watching %s goes on and will import once it can.", problem, scanner.folder)
    except Exception:
        log.exception("scanning %s failed; will try again at the next interval", scanner.folder)


def watch_forever(
    store: Store,
    folders: list[Path],
    *,
    clock: Callable[[], datetime],
    interval_s: float = DEFAULT_INTERVAL_S,
    report: Callable[[FileOutcome], None] = lambda outcome: None,
) -> None:
    """Watch in the foreground until interrupted (Ctrl-C or SIGTERM)."""
    scheduler = BlockingScheduler(job_defaults={"misfire_grace_time": None})
    with ParsePool(1) as pool:
        schedule_folders(scheduler, store, folders, clock=clock, interval_s=interval_s, report=report, parser=pool)
        with contextlib.suppress(KeyboardInterrupt, SystemExit):
            scheduler.start()


#: How often `serve` looks for folders added or removed on the settings page.
FOLDER_SYNC_S = 30.0


class FolderSync:
    """The watchers inside `recovery serve`: one job per watched folder, kept in step with the store.

    Folders added or removed on the settings page are picked up within
    FOLDER_SYNC_S seconds, with no restart.
    """

    def __init__(
        self,
        store: Store,
        *,
        clock: Callable[[], datetime],
        parser: Parser | None = None,
        interval_s: float = DEFAULT_INTERVAL_S,
    ) -> None:
        self.store = store
        self.clock = clock
        #: The pool files are parsed in (its own, unless `serve` shares the upload page's).
        self._own_pool = ParsePool(1) if parser is None else None
        self.parser: Parser = parser or self._own_pool  # type: ignore[assignment]
        self.interval_s = interval_s
        self.scheduler = BackgroundScheduler(job_defaults={"misfire_grace_time": None})
        self.watched: set[str] = set()

    def start(self) -> None:
        self.sync()
        self.scheduler.add_job(self._sync_job, "interval", seconds=FOLDER_SYNC_S, id="folders:sync",
                               max_instances=1, coalesce=True)  # fmt: skip
        self.scheduler.start()

    def stop(self) -> None:
        self.scheduler.shutdown(wait=False)
        if self._own_pool is not None:
            self._own_pool.close()

    def sync(self) -> None:
        wanted = set(self.store.folders())
        for gone in self.watched - wanted:
            with contextlib.suppress(Exception):
                self.scheduler.remove_job(f"watch:{Path(gone)}")
        new = sorted(wanted - self.watched)
        if new:
            schedule_folders(self.scheduler, self.store, [Path(p) for p in new], clock=self.clock,
                             interval_s=self.interval_s, parser=self.parser, after_scan=self.nudge)  # fmt: skip
        self.watched = wanted

    def nudge(self, outcomes: list[FileOutcome]) -> None:
        """After a scan that handled files: the nudge for its newest fresh run (`recovery.nudges`)."""
        nudges.after_import(self.store, outcomes, now=self.clock())

    def _sync_job(self) -> None:
        try:
            self.sync()
        except Exception:
            log.exception("reading the watched folders failed; will try again")
        try:  # the periodic tick: held nudges go out when the quiet hours end, failed ones are tried again
            nudges.send_due(self.store, now=self.clock())
        except Exception:
            log.exception("sending the nudges that are due failed; will try again")
