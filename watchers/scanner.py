"""One folder, looked at again and again: notice new files, import each once.

A scan walks the folder, skips every file the ledger already knows by path,
size and modification time (so a rescan of 10,000 imported files reads
none of them), waits until a new file has stopped changing and looks
complete, then hands its bytes to `recovery.ingest`, which stores the run
and the ledger entry in one transaction (for an export, the transaction of
its last file). Files are read by `recovery.parsers.read_file`, as the CLI
reads them. Nothing here decides what a run is, and nothing here ever
writes to the runner's folder.
"""

from __future__ import annotations

import errno
import logging
import os
import socket
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from recovery.database import StoreUnavailable, clean_path
from recovery.errors import FileProblem
from recovery.ingest import FileOutcome, InProcess, Parsed, Parser, ingest_bytes, ingest_inputs, store_parsed
from recovery.inputs import is_archive, iter_inputs
from recovery.parsers import FileChanged, read_file
from recovery.store import SeenFile, Store
from recovery.summary import summary_line
from recovery.watchers import rules

log = logging.getLogger(__name__)

#: Seconds between the two looks that decide a new file has stopped changing.
SETTLE_S = 0.5
#: Every this many scans, every file is looked at, not only those in changed folders.
FULL_SWEEP_EVERY = 15
#: A folder modified less than this long before it was listed is listed again
#: (FAT and exFAT, as on a watch's USB mount, keep times to 2 seconds).
FOLDER_CLOCK_SLACK_S = 2.5
#: How long a claim on a file keeps other watchers of the folder off it (longer for a big export).
CLAIM_S = 120.0
CLAIM_BYTES_PER_S = 1024 * 1024


@dataclass
class _Pending:
    size: int
    mtime_ns: int
    first_seen: float
    reported: bool = False


@dataclass
class FolderScanner:
    """Scans one watched folder; keep one per folder and call `scan()` repeatedly."""

    store: Store
    folder: Path
    clock: Callable[[], datetime]
    settle_s: float = SETTLE_S
    monotonic: Callable[[], float] = time.monotonic
    #: Where files are parsed: `serve` and `watch` pass a ParsePool, so no file can take them down.
    parser: Parser = field(default_factory=InProcess)
    #: Who this scanner is, in the claims it takes (several watchers may share a folder).
    holder: str = field(default_factory=lambda: f"{socket.gethostname()}:{os.getpid()}:{time.monotonic_ns()}")
    _known: dict[str, tuple[int, int]] | None = None
    _pending: dict[str, _Pending] = field(default_factory=dict)
    _available: bool | None = None
    _problems: set[tuple[str, str]] = field(default_factory=set)
    #: folder -> (its mtime when listed, subfolders): unchanged folders are not listed again.
    _folders: dict[str, tuple[int, list[str]]] = field(default_factory=dict)
    _scans: int = 0

    def scan(self) -> list[FileOutcome]:
        """Look once; return what became of each file handled this time."""
        root = rules.activity_root(self.folder)
        if not self._check_available(root):
            return []
        if self._known is None:
            self._known = self.store.seen_files(str(self.folder))  # keyed by clean_path
        self._scans += 1
        full = self._scans % FULL_SWEEP_EVERY == 1
        listed = dict(self._walk(root, full=full))
        for path in self._pending.keys() - listed.keys():  # in a folder not listed again
            st = self._stat(path)
            if st is not None:
                listed[path] = st
            else:
                self._pending.pop(path, None)
        fresh = [(path, st) for path, st in listed.items() if self._known.get(clean_path(path)) != st]
        if not fresh:
            return []
        now = self.monotonic()
        ready: list[tuple[str, tuple[int, int]]] = []
        settling = []
        for path, st in fresh:
            pending = self._pending.get(path)
            if pending is not None and (pending.size, pending.mtime_ns) == st:
                ready.append((path, st))
            else:
                self._pending[path] = _Pending(st[0], st[1], now if pending is None else pending.first_seen)
                settling.append(path)
        if settling and self.settle_s > 0:
            time.sleep(self.settle_s)
            for path in settling:
                st = self._stat(path)
                pending = self._pending[path]
                if st is not None and st == (pending.size, pending.mtime_ns):
                    ready.append((path, st))
        outcomes = []
        for path, st in sorted(ready):
            outcome = self._claimed(path, st)
            if outcome is not None:
                outcomes.append(outcome)
        return outcomes

    def _claimed(self, path: str, st: tuple[int, int]) -> FileOutcome | None:
        """Handle one file if no other watcher has it, and never let it stop the files after it.

        A database that cannot be written stops the scan (the next one tries
        again); anything else that goes wrong with this file is said once,
        logged, and the file marked seen so it is not retried until it changes.
        """
        seen = SeenFile(path, st[0], st[1])
        moment = self.clock()
        until = moment + timedelta(seconds=CLAIM_S + st[0] / CLAIM_BYTES_PER_S)
        answer = self.store.claim_file(seen, holder=self.holder, now=moment, until=until, is_gone=holder_is_gone)
        if answer == "seen":  # another watcher of this folder has done it
            self._done(path, st)
            return None
        if answer == "busy":  # ... or is doing it now: look again next scan
            return None
        try:
            return self._handle(path, st)
        except StoreUnavailable:
            raise
        except Exception as exc:
            log.exception("handling %s failed", path)
            message = f"{Path(path).name} could not be imported ({type(exc).__name__}: {str(exc)[:120]})."
            self.store.log(path, "rejected", message, now=self.clock())
            self.store.mark_seen(SeenFile(path, st[0], st[1], outcome="rejected"), now=self.clock())
            self._done(path, st)
            return FileOutcome(path, "rejected", message)
        finally:
            self.store.release_file(path, holder=self.holder)

    # -- one file -------------------------------------------------------------

    def _handle(self, path: str, st: tuple[int, int]) -> FileOutcome | None:
        name = Path(path).name
        seen = SeenFile(path, st[0], st[1])
        if is_archive(name):
            return self._handle_archive(path, seen)
        try:
            data = read_file(path, expected_size=st[0])
        except FileChanged:
            self._pending.pop(path, None)  # settle again: the next scan reads the new version
            return self._problem(path, "incomplete", f"{name} changed while it was being read; it will be read again.")
        except FileProblem as problem:  # too large: refused unread, and marked seen in the same transaction
            refused = Parsed(path, None, outcome=problem.outcome, message=problem.sentence)
            outcome = store_parsed(self.store, refused, now=self.clock(), seen=seen)
            self._done(path, st)
            return outcome
        except OSError as exc:
            return self._problem(path, "rejected", f"{name} could not be read ({exc.strerror or exc}).")
        pending = self._pending.get(path)
        if not rules.looks_complete(data) and pending is not None:
            waited = self.monotonic() - pending.first_seen
            if waited < rules.GIVE_UP_INCOMPLETE_S:
                if not pending.reported:
                    pending.reported = True
                    message = f"{name} is still being written; it will be imported once it is complete."
                    self.store.log(path, "incomplete", message, now=self.clock())
                    return FileOutcome(path, "incomplete", message)
                return None
        outcome = ingest_bytes(self.store, data, path, now=self.clock(), seen=seen, parser=self.parser)
        self._done(path, st)
        return outcome

    def _handle_archive(self, path: str, seen: SeenFile) -> FileOutcome:
        """A whole export dropped in the folder: import each member, marking the zip seen with the last.

        A crash part-way leaves the zip unseen: it is read again, and what
        it had stored is known by its hash. A crash after its last member
        was stored finds it seen: it is not read again.
        """
        outcomes = ingest_inputs(self.store, iter_inputs([path]), clock=self.clock, parser=self.parser, seen=seen)
        counts = Counter(o.outcome for o in outcomes)
        self._done(path, (seen.size, seen.mtime_ns))
        outcome = "imported" if counts["imported"] else "duplicate"
        return FileOutcome(path, outcome, f"{Path(path).name}: {summary_line(counts)}.")

    def _done(self, path: str, st: tuple[int, int]) -> None:
        assert self._known is not None
        self._known[clean_path(path)] = st
        self._pending.pop(path, None)

    # -- the folder -------------------------------------------------------------

    def _check_available(self, root: Path) -> bool:
        """Log an unplugged drive or vanished folder once, not once per poll."""
        try:
            available = root.is_dir() and os.access(root, os.R_OK | os.X_OK)
        except OSError:
            available = False
        if not available and self._available is not False:
            message = (
                f"The folder {self.folder} is not available (unplugged, unmounted or removed?); "
                "it will be watched for and imported from when it is back."
            )
            self.store.log(str(self.folder), "unavailable", message, now=self.clock())
        self._available = available
        return available

    def _walk(self, root: Path, *, full: bool) -> Iterator[tuple[str, tuple[int, int]]]:
        """(path, (size, mtime_ns)) of candidate files, following symlinks but never in a loop.

        A folder whose modification time has not changed since it was last
        listed (and was already old then, so a coarse FAT clock cannot hide a
        change) gained, lost and renamed no file: it is not listed again. A
        file rewritten in place does not touch its folder, so every
        FULL_SWEEP_EVERY scans every folder is listed and every file looked at.
        """
        known = self._known or {}
        seen_dirs: set[tuple[int, int]] = set()
        stack = [str(root)]
        while stack:
            folder = stack.pop()
            try:
                st = os.stat(folder)
                if (st.st_dev, st.st_ino) in seen_dirs:
                    continue
                seen_dirs.add((st.st_dev, st.st_ino))
                remembered = self._folders.get(folder)
                if not full and remembered is not None and remembered[0] == st.st_mtime_ns:
                    stack.extend(remembered[1])
                    continue
                listed_at = time.time()
                subfolders = []
                with os.scandir(folder) as entries:
                    for entry in entries:
                        try:
                            name = entry.name
                            if entry.is_dir():
                                if not rules.is_ignored_folder(name):
                                    subfolders.append(entry.path)
                            elif rules.is_watched_file(name) or clean_path(entry.path) in known:
                                est = entry.stat()
                                yield entry.path, (est.st_size, est.st_mtime_ns)
                        except OSError as exc:
                            self._os_problem(entry.path, exc)
                stack.extend(subfolders)
                if st.st_mtime_ns / 1e9 < listed_at - FOLDER_CLOCK_SLACK_S:
                    self._folders[folder] = (st.st_mtime_ns, subfolders)
                else:
                    self._folders.pop(folder, None)  # changed just now: list it again next time
            except OSError as exc:
                self._folders.pop(folder, None)
                self._os_problem(folder, exc)

    def _stat(self, path: str) -> tuple[int, int] | None:
        try:
            st = os.stat(path)
        except OSError:
            return None
        return st.st_size, st.st_mtime_ns

    def _os_problem(self, path: str, exc: OSError) -> None:
        if exc.errno == errno.ENOENT:
            return  # removed between listing and looking: nothing to say
        if exc.errno == errno.ELOOP:
            reason = "is part of a symbolic-link loop, so it is skipped"
        elif exc.errno in (errno.EACCES, errno.EPERM):
            reason = "cannot be read (permission denied), so it is skipped"
        else:
            reason = f"could not be read ({exc.strerror or exc})"
        self._problem(path, "rejected", f"{Path(path).name} {reason}.")

    def _problem(self, path: str, outcome: str, message: str) -> FileOutcome | None:
        """Log each distinct problem with a path once, not once per poll."""
        if (path, message) in self._problems:
            return None
        self._problems.add((path, message))
        self.store.log(path, outcome, message, now=self.clock())
        return FileOutcome(path, outcome, message)


def holder_is_gone(holder: str) -> bool:
    """A claim taken on this machine by a process that no longer runs (killed mid-file) is void."""
    host, _, rest = holder.partition(":")
    pid_text = rest.partition(":")[0]
    if host != socket.gethostname() or not pid_text.isdigit():
        return False  # another machine's watcher (a shared database): only its claim's time ends it
    pid = int(pid_text)
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False
