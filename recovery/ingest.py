"""The one way a file becomes a stored run.

    bytes -> read_activity -> split_legs -> (new? same as a stored one?) -> one transaction

Every entry point (the CLI, the watchers, the upload page) calls
`ingest_bytes`, or `parse_input` + `store_parsed` when parsing runs in worker
processes. Each file is one transaction that also writes its import-log
line, so a crash at any moment leaves either the whole file stored and
logged, or nothing.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, replace
from datetime import datetime

from recovery.classify import apply_hint, is_same_activity, richness, split_legs
from recovery.errors import FileProblem
from recovery.inputs import InputFile
from recovery.model import ActivityHint, Run
from recovery.parsers import content_id as hash_bytes
from recovery.parsers import read_activity
from recovery.store import SeenFile, Store, Writer

#: Files read ahead of the one being stored, when parsing in worker processes.
MAX_PENDING_FILES = 64
MAX_PENDING_BYTES = 256 * 1024 * 1024


@dataclass(frozen=True)
class Parsed:
    """What parsing one file gave: the activities to store, or why there are none.

    Plain strings rather than exceptions, so it crosses process boundaries.
    """

    path: str
    content_id: str | None
    parts: tuple[Run, ...] = ()
    outcome: str | None = None  # set when the file failed
    message: str | None = None
    already_known: bool = False


@dataclass(frozen=True)
class FileOutcome:
    """What became of one file; this is also its import-log line."""

    path: str
    outcome: str
    message: str
    run_ids: tuple[int, ...] = ()
    content_id: str | None = None


def parse_bytes(
    data: bytes,
    path: str,
    *,
    known: frozenset[str] | set[str] = frozenset(),
    content_id: str | None = None,
    hint: ActivityHint | None = None,
) -> Parsed:
    """Parse one file (pure: no database, safe in a worker process).

    A file whose hash is in `known` is not parsed at all: it is already stored.
    """
    cid = content_id or (hash_bytes(data) if data else None)
    if cid is not None and cid in known:
        return Parsed(path, cid, already_known=True)
    try:
        run = apply_hint(read_activity(data, _name(path), known_id=cid), hint)
    except FileProblem as problem:
        return Parsed(path, cid, outcome=problem.outcome, message=problem.sentence)
    return Parsed(path, cid, parts=tuple(split_legs(run)))


def read_input(item: InputFile) -> bytes | Parsed:
    """The file's bytes, or a failed Parsed saying why they could not be read."""
    try:
        return item.read()
    except FileProblem as problem:
        return Parsed(item.label, None, outcome=problem.outcome, message=problem.sentence)
    except OSError as exc:
        reason = exc.strerror or str(exc)
        return Parsed(
            item.label, None, outcome="rejected", message=f"{_name(item.label)} could not be read ({reason})."
        )


def parse_input(item: InputFile, known: frozenset[str] | set[str] = frozenset()) -> Parsed:
    data = read_input(item)
    return data if isinstance(data, Parsed) else parse_bytes(data, item.label, known=known, hint=item.hint)


def store_parsed(store: Store, parsed: Parsed, *, now: datetime, seen: SeenFile | None = None) -> FileOutcome:
    """Decide new/duplicate for each activity of one file and store it, in one transaction.

    `seen` is the watcher's ledger entry for the file: written in the same
    transaction, so a crash can never leave a run stored but its file unseen.
    """
    with store.writing() as w:
        result = _store_parsed(w, parsed, now=now)
        if seen is not None:
            w.mark_seen(replace(seen, content_id=parsed.content_id, outcome=result.outcome), now=now)
        return result


def _store_parsed(w: Writer, parsed: Parsed, *, now: datetime) -> FileOutcome:
    name = _name(parsed.path)
    if parsed.content_id is not None and (parsed.already_known or parsed.outcome is None):
        existing = w.has_source(parsed.content_id)
        if existing is not None:
            result = FileOutcome(
                parsed.path,
                "duplicate",
                f"{name} was already imported (run {existing}).",
                (existing,),
                parsed.content_id,
            )
            w.log(parsed.path, result.outcome, result.message, now=now, content_id=parsed.content_id, run_id=existing)
            return result
    if parsed.outcome is not None or parsed.already_known:
        result = FileOutcome(
            parsed.path,
            parsed.outcome or "duplicate",
            parsed.message or f"{name} was already imported.",
            (),
            parsed.content_id,
        )
        w.log(parsed.path, result.outcome, result.message, now=now, content_id=parsed.content_id)
        return result

    new_runs: list[tuple[int, Run]] = []
    matched: list[tuple[int, Run, bool]] = []
    for part in parsed.parts:
        match = next((s for s in w.overlapping(part) if is_same_activity(part, s.run)), None)
        if match is None:
            run_id = w.insert_run(part, now=now)
            new_runs.append((run_id, part))
        else:
            run_id = match.id
            richer = richness(part) > richness(match.run)
            if richer:
                w.replace_run(run_id, part, now=now)
            matched.append((run_id, part, richer))
        w.add_source(run_id, part, parsed.path, now=now)
    result = _describe(parsed, new_runs, matched)
    w.log(
        parsed.path,
        result.outcome,
        result.message,
        now=now,
        content_id=parsed.content_id,
        run_id=result.run_ids[0] if result.run_ids else None,
    )
    return result


def ingest_bytes(store: Store, data: bytes, path: str, *, now: datetime, seen: SeenFile | None = None) -> FileOutcome:
    """Parse and store one file's bytes: the single import function."""
    return store_parsed(store, parse_bytes(data, path), now=now, seen=seen)


def ingest_inputs(
    store: Store,
    inputs: Iterable[InputFile],
    *,
    clock: Callable[[], datetime],
    workers: int = 1,
) -> Iterator[FileOutcome]:
    """Import many files, parsing in `workers` processes and writing in this one.

    Writing stays in one process so transactions never contend; parsing,
    which is most of the cost, spreads over the cores.
    """
    known = frozenset(store.known_content_ids())
    if workers <= 1:
        for item in inputs:
            yield store_parsed(store, parse_input(item, known), now=clock())
        return
    with ProcessPoolExecutor(max_workers=workers) as pool:
        pending: deque[tuple[Future[Parsed] | Parsed, int]] = deque()
        in_flight = 0
        for item in inputs:
            data = read_input(item)  # bytes travel to the worker; the file stays here
            if isinstance(data, Parsed):
                pending.append((data, 0))
            else:
                cid = hash_bytes(data) if data else None
                if cid is not None and cid in known:  # already stored: nothing to parse
                    pending.append((Parsed(item.label, cid, already_known=True), 0))
                else:
                    future = pool.submit(parse_bytes, data, item.label, content_id=cid, hint=item.hint)
                    pending.append((future, len(data)))
                    in_flight += len(data)
            # Results are stored in order; a wide window keeps both cores busy past
            # one slow file (a 14-hour triathlon) while bounding memory.
            while pending and (len(pending) > MAX_PENDING_FILES or in_flight > MAX_PENDING_BYTES):
                entry, size = pending.popleft()
                in_flight -= size
                yield store_parsed(store, _result(entry), now=clock())
        for entry, _size in pending:
            yield store_parsed(store, _result(entry), now=clock())


def _result(entry: Future[Parsed] | Parsed) -> Parsed:
    return entry if isinstance(entry, Parsed) else entry.result()


def _describe(parsed: Parsed, new_runs: list[tuple[int, Run]], matched: list[tuple[int, Run, bool]]) -> FileOutcome:
    name = _name(parsed.path)
    ids = tuple(i for i, _ in new_runs) + tuple(i for i, _, _ in matched)
    new_running = [(i, r) for i, r in new_runs if r.is_run]
    if new_running:
        i, run = new_running[0]
        what = describe_activity(run)
        extra = f" and {len(new_runs) - 1} other leg(s)" if len(new_runs) > 1 else ""
        return FileOutcome(
            parsed.path, "imported", f"{name}: imported {what} as run {i}{extra}.", ids, parsed.content_id
        )
    if new_runs:
        i, run = new_runs[0]
        return FileOutcome(
            parsed.path,
            "not_a_run",
            f"{name} is not a run ({_kind(run)}): stored as activity {i}, "
            "counted toward your load but with no running cool-down.",
            ids,
            parsed.content_id,
        )
    i, run, richer = matched[0]
    kept = f"; this {run.source_format.upper()} copy is richer, so it replaces the stored one" if richer else ""
    return FileOutcome(
        parsed.path,
        "duplicate",
        f"{name} is the same activity as run {i}, already stored{kept}.",
        ids,
        parsed.content_id,
    )


def _kind(run: Run) -> str:
    if run.sport != "other":
        return run.sport.replace("_", " ")
    return run.sport_label.lower() if run.sport_label else "sport not recorded"


def describe_activity(run: Run) -> str:
    """'a 10.0 km run on 2026-11-23' in the runner's words."""
    sport = run.sport.replace("_", " ")
    distance = f"{run.distance_m / 1000:.1f} km " if run.distance_m else ""
    when = run.start_time_utc or run.start_time_local
    day = f" on {when:%Y-%m-%d}" if when else ""
    return f"a {distance}{sport}{day}"


def _name(path: str) -> str:
    return path.replace("\\", "/").rsplit("/", 1)[-1]
