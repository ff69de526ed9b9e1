"""Parse untrusted files where a crash cannot reach the service: in worker processes with a memory ceiling.

A file from a watch, a sync folder or a download is untrusted input. Parsed
in a worker process, a native crash (a C library overflowing its stack), a
runaway allocation or a parse that never ends costs that worker, not the
server or the import: the file is refused with one sentence, the worker is
replaced, and the next file goes on.

The workers come from pebble's process pool, which (unlike the standard
library's) knows which task a dead worker was running and fails only that
one. They are forked from a fresh forkserver process, never from this one,
so they inherit none of its database connections (a connection shared with
an orphan keeps a dead writer's lock alive). Each sets a parent-death signal
and watches its parent, so none outlives the process that started it.
"""

from __future__ import annotations

import contextlib
import ctypes
import multiprocessing
import os
import resource
import signal
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout

from pebble import ProcessExpired, ProcessPool

from recovery.ingest import Parsed, Ticket, file_name, parse_bytes
from recovery.model import ActivityHint

#: A file that takes longer than this to parse is given up (the worker is killed, the file refused).
PARSE_TIMEOUT_S = 600.0
#: Address space a worker may use: half the machine's memory, between 1 and 4 GiB. Parsing the
#: largest real activity (a 100 MB GPX) takes about 2 GB; a file needing more is refused.
MIN_CEILING_BYTES = 1 * 1024**3
MAX_CEILING_BYTES = 4 * 1024**3
_PR_SET_PDEATHSIG = 1


def memory_ceiling() -> int:
    """The worker's address-space limit for this machine."""
    try:
        physical = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return MAX_CEILING_BYTES
    return max(MIN_CEILING_BYTES, min(MAX_CEILING_BYTES, physical // 2))


class _Pending:
    def __init__(self, future: Future[Parsed], path: str, content_id: str | None) -> None:
        self._future = future
        self._path = path
        self._content_id = content_id

    def result(self) -> Parsed:
        try:
            return self._future.result()
        except FutureTimeout:
            reason = f"took longer than {PARSE_TIMEOUT_S / 60:.0f} minutes to read, so reading it was stopped"
        except ProcessExpired as exc:
            reason = f"could not be read: reading it stopped the parser ({_death(exc.exitcode)})"
        except Exception as exc:  # the pool itself failed while this file was in it
            reason = f"could not be read: the parser failed ({type(exc).__name__})"
        return Parsed(self._path, self._content_id, outcome="rejected", message=f"{file_name(self._path)} {reason}.")


def _death(code: int | None) -> str:
    if code is not None and code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        return "it ran out of memory" if name == "SIGKILL" else f"it crashed with {name}"
    return f"it ended with status {code}"


class ParsePool:
    """Worker processes that parse files; use as a context manager, or `close()` when done."""

    def __init__(self, workers: int = 1, *, ceiling_bytes: int | None = None) -> None:
        self.workers = max(1, workers)
        self.ceiling_bytes = ceiling_bytes or memory_ceiling()
        self._lock = threading.Lock()
        self._pool: ProcessPool | None = None

    def _started(self) -> ProcessPool:
        with self._lock:
            if self._pool is None or not self._pool.active:
                self._pool = ProcessPool(
                    max_workers=self.workers,
                    initializer=_worker_setup,
                    initargs=(os.getpid(), self.ceiling_bytes),
                    context=_context(),
                )
            return self._pool

    def submit(self, data: bytes, path: str, *, content_id: str | None, hint: ActivityHint | None) -> Ticket:
        kwargs = {"content_id": content_id, "hint": hint}
        try:
            future = self._started().schedule(parse_bytes, (data, path), kwargs, timeout=PARSE_TIMEOUT_S)
        except RuntimeError:  # the pool broke (a worker could not be started): start a new one, once
            with self._lock:
                self._pool = None
            future = self._started().schedule(parse_bytes, (data, path), kwargs, timeout=PARSE_TIMEOUT_S)
        return _Pending(future, path, content_id)

    def close(self) -> None:
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.stop()
            with contextlib.suppress(Exception):
                pool.join(timeout=10)

    def __enter__(self) -> ParsePool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _context() -> multiprocessing.context.BaseContext:
    """Forkserver where there is one (Linux, macOS): workers start from a clean process, quickly."""
    if "forkserver" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["recovery.isolation"])
        _start_forkserver()
        return context
    return multiprocessing.get_context("spawn")


def _start_forkserver() -> None:
    """Start the forkserver with the current folder kept off its import path.

    It runs as `python -c ...`, which puts the current folder first on
    sys.path (and Python 3.11 ignores the parent's path it is handed), so
    started inside a checkout, a normal install's workers would import that
    checkout's `recovery` instead of the installed one. PYTHONSAFEPATH (3.11+)
    leaves it out; the workers forked from it inherit the right path.
    """
    from multiprocessing import forkserver

    previous = os.environ.get("PYTHONSAFEPATH")
    os.environ["PYTHONSAFEPATH"] = "1"
    try:
        forkserver.ensure_running()
    finally:
        if previous is None:
            os.environ.pop("PYTHONSAFEPATH", None)
        else:
            os.environ["PYTHONSAFEPATH"] = previous


def _worker_setup(parent_pid: int, ceiling_bytes: int) -> None:
    """In each worker: die with the parent, and stay under the memory ceiling."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    threading.Thread(target=_watch_parent, args=(parent_pid,), daemon=True, name="watch-parent").start()
    with contextlib.suppress(ValueError, OSError):
        _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        limit = ceiling_bytes if hard == resource.RLIM_INFINITY else min(ceiling_bytes, hard)
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def _watch_parent(parent_pid: int, alive: Callable[[int], bool] | None = None) -> None:
    """Where no parent-death signal exists (or the parent died before it was set): look every second."""
    check = alive or _is_alive
    while True:
        if not check(parent_pid):
            os._exit(1)
        time.sleep(1.0)


def _is_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


