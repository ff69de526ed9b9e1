"""The one way a file becomes a stored run.

    bytes -> read_activity -> split_legs -> (new? same as a stored one?) -> one transaction

Every entry point (the CLI, the watchers, the upload page) calls
`ingest_inputs` or `ingest_bytes`; where the parsing happens is the
caller's `Parser`: here (`InProcess`) or in worker processes that a crash
cannot take down (`recovery.isolation.ParsePool`, what the CLI, the
watchers and the upload use). Each file is one transaction that also
writes its import-log line, so a crash at any moment leaves either the
whole file stored and logged, or nothing.

No file stops the files after it: a parser's failure is a refusal (see
`recovery.parsers.read_activity`), and a file whose runs the database will
not take is refused and logged like any other. Only a database that cannot
be written at all (full disk, read-only, gone) stops an import, with
`StoreUnavailable`'s one sentence.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Protocol

from sqlalchemy.exc import InterfaceError, OperationalError

from recovery.classify import apply_hint, is_same_activity, richness, split_legs
from recovery.coach.load import RunFigures, run_figures
from recovery.database import StoreUnavailable, store_problem
from recovery.errors import FileProblem, refusing
from recovery.inputs import InputFile
from recovery.model import ActivityHint, Run
from recovery.parsers import content_id as hash_bytes
from recovery.parsers import read_activity
from recovery.store import SeenFile, Store, Writer
from recovery.streams import pack

log = logging.getLogger(__name__)

#: Files read ahead of the one being stored, when parsing in worker processes: enough to keep
#: the workers busy past one slow file, while the bytes held here stay far below a file's cap.
MAX_PENDING_FILES = 64
MAX_PENDING_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True)
class Part:
    """One activity of a parsed file, with what storing it needs beside the run, worked out where it was parsed.

    The figures and the packed samples were a third of the writer's time, in the one process
    that writes; worked out in the parse workers, they spread over the cores.
    """

    run: Run
    figures: RunFigures
    samples: bytes  # run.streams, packed (`recovery.streams.pack`)


def prepare(run: Run) -> Part:
    return Part(run, run_figures(run), pack(run.streams))


@dataclass(frozen=True)
class Parsed:
    """What parsing one file gave: the activities to store, or why there are none.

    Plain strings rather than exceptions, so it crosses process boundaries.
    """

    path: str
    content_id: str | None
    parts: tuple[Part, ...] = ()
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

    def to_json(self) -> dict[str, object]:
        """The one JSON shape of an outcome: `recovery import --json` prints it and an upload answers it."""
        return {"path": self.path, "outcome": self.outcome, "run_ids": list(self.run_ids), "message": self.message}


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
    name = file_name(path)
    try:
        run = read_activity(data, name, known_id=cid)
        with refusing(name, "its activity could not be made sense of"):
            parts = tuple(prepare(leg) for leg in split_legs(apply_hint(run, hint)))
    except FileProblem as problem:
        return Parsed(path, cid, outcome=problem.outcome, message=problem.sentence)
    return Parsed(path, cid, parts=parts)


class Ticket(Protocol):
    """A file handed to a parser: `result()` gives its Parsed, whatever happened to the parser."""

    def result(self) -> Parsed: ...


class Parser(Protocol):
    """Where files are parsed: here (`InProcess`) or in worker processes (`recovery.isolation.ParsePool`)."""

    def submit(self, data: bytes, path: str, *, content_id: str | None, hint: ActivityHint | None) -> Ticket: ...


@dataclass(frozen=True)
class Decided:
    """The ticket of a file already decided: unreadable, already stored, or parsed here."""

    parsed: Parsed

    def result(self) -> Parsed:
        return self.parsed


class InProcess:
    """Parse in this process: for the library and its tests, where a crash would only end the caller."""

    def submit(self, data: bytes, path: str, *, content_id: str | None, hint: ActivityHint | None) -> Ticket:
        return Decided(parse_bytes(data, path, content_id=content_id, hint=hint))


def read_input(item: InputFile) -> bytes | Parsed:
    """The file's bytes, or a failed Parsed saying why they could not be read."""
    try:
        return item.read()
    except FileProblem as problem:
        return Parsed(item.label, None, outcome=problem.outcome, message=problem.sentence)
    except OSError as exc:
        reason = exc.strerror or str(exc)
        return Parsed(
            item.label, None, outcome="rejected", message=f"{file_name(item.label)} could not be read ({reason})."
        )
    except Exception as exc:  # a damaged archive can fail in ways its library does not document
        reason = str(exc).strip().split("\n")[0][:160] or type(exc).__name__
        return Parsed(
            item.label, None, outcome="rejected", message=f"{file_name(item.label)} could not be read ({reason})."
        )


def store_parsed(
    store: Store,
    parsed: Parsed,
    *,
    now: datetime,
    seen: SeenFile | None = None,
    archive_seen: SeenFile | None = None,
) -> FileOutcome:
    """Decide new/duplicate for each activity of one file and store it, in one transaction.

    `seen` is the watcher's ledger entry for the file: written in the same
    transaction, so a crash can never leave a run stored but its file unseen.
    `archive_seen` is the ledger entry of the archive this file is the last
    of, written as it is in the same transaction (see `ingest_inputs`).
    A file the database refuses (a value it cannot hold) is refused like a
    bad file: logged, marked seen, and the import goes on. A database that
    cannot be written at all raises StoreUnavailable.
    """
    try:
        with store.writing() as w:
            result = _store_parsed(w, parsed, now=now)
            if seen is not None:
                w.mark_seen(replace(seen, content_id=parsed.content_id, outcome=result.outcome), now=now)
            if archive_seen is not None:
                w.mark_seen(archive_seen, now=now)
            return result
    except (OperationalError, InterfaceError) as exc:
        raise store_problem(exc, store.url) from exc
    except StoreUnavailable:
        raise
    except Exception as exc:
        log.warning("storing %s failed", parsed.path, exc_info=True)
        cause = str(exc).strip().split("\n")[0][:160] or type(exc).__name__
        refused = Parsed(
            parsed.path,
            parsed.content_id,
            outcome="rejected",
            message=f"{file_name(parsed.path)} could not be stored ({cause}); nothing of it was kept.",
        )
        if parsed.outcome is not None:  # even the refusal would not go in: nothing more to try
            raise
        return store_parsed(store, refused, now=now, seen=seen, archive_seen=archive_seen)


def _store_parsed(w: Writer, parsed: Parsed, *, now: datetime) -> FileOutcome:
    name = file_name(parsed.path)
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
        run = part.run
        match = next((s for s in w.overlapping(part.figures.span) if is_same_activity(run, s.run)), None)
        if match is None:
            run_id = w.insert_run(run, part.figures, part.samples, now=now)
            new_runs.append((run_id, run))
        else:
            run_id = match.id
            richer = richness(run) > richness(match.run)
            if richer:
                w.replace_run(run_id, run, part.figures, part.samples, now=now)
            matched.append((run_id, run, richer))
        w.add_source(run_id, run, parsed.path, now=now)
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


def ingest_bytes(
    store: Store,
    data: bytes,
    path: str,
    *,
    now: datetime,
    seen: SeenFile | None = None,
    parser: Parser | None = None,
) -> FileOutcome:
    """Parse and store one file's bytes: the single import function."""
    ticket = (parser or InProcess()).submit(data, path, content_id=None, hint=None)
    return store_parsed(store, ticket.result(), now=now, seen=seen)


def ingest_inputs(
    store: Store,
    inputs: Iterable[InputFile],
    *,
    clock: Callable[[], datetime],
    parser: Parser | None = None,
    seen: SeenFile | None = None,
) -> Iterator[FileOutcome]:
    """Import many files: parse them with `parser` (many at once in a pool), store them here, in order.

    Writing stays in this process so transactions never contend; parsing,
    which is most of the cost, spreads over the pool's workers. Files
    already stored (by their hash) are not parsed at all.

    `seen` is the watcher's ledger entry for the archive the files come
    from: written in the transaction that stores the last of them (on its
    own if there are none), so a crash leaves the archive either unseen,
    to be read again, or seen with all it holds stored.
    """
    parser = parser or InProcess()
    known = frozenset(store.known_content_ids())
    pending: deque[tuple[Ticket, int]] = deque()
    in_flight = 0
    for item in inputs:
        # Results are stored in order; the window keeps the workers busy past one slow file
        # (a 14-hour triathlon) while bounding the bytes held here. It is emptied only once the
        # next file is in hand, so the file stored last is known to be the last.
        while pending and (len(pending) > MAX_PENDING_FILES or in_flight > MAX_PENDING_BYTES):
            ticket, size = pending.popleft()
            in_flight -= size
            yield store_parsed(store, ticket.result(), now=clock())
        data = read_input(item)  # bytes travel to the worker; the file stays here
        if isinstance(data, Parsed):
            pending.append((Decided(data), 0))
        else:
            cid = hash_bytes(data) if data else None
            if cid is not None and cid in known:
                pending.append((Decided(Parsed(item.label, cid, already_known=True)), 0))
            else:
                pending.append((parser.submit(data, item.label, content_id=cid, hint=item.hint), len(data)))
                in_flight += len(data)
            del data
    if not pending and seen is not None:  # nothing in it: no import to write the ledger with
        store.mark_seen(seen, now=clock())
    while pending:
        ticket, _size = pending.popleft()
        yield store_parsed(store, ticket.result(), now=clock(), archive_seen=None if pending else seen)


def _describe(parsed: Parsed, new_runs: list[tuple[int, Run]], matched: list[tuple[int, Run, bool]]) -> FileOutcome:
    name = file_name(parsed.path)
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
        if run.sport == "strength":
            load = "toward your load" if run.avg_hr else "toward your load only with heart rate, which it has not"
            return FileOutcome(
                parsed.path,
                "not_a_run",
                f"{name} is a strength session: stored as activity {i}, counted toward this week's strength "
                f"sessions and {load}.",
                ids,
                parsed.content_id,
            )
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


def file_name(path: str) -> str:
    """The file's own name, as sentences give it ('1.fit', not 'export.zip!activities/1.fit')."""
    return path.replace("\\", "/").rsplit("/", 1)[-1]
