"""The store's queries: plain values in, plain values out.

Every table's reads and writes live here, over `recovery.database` (the
engine, the writer lock, migrations). Nothing here works out a domain
figure: a run's heart-rate time and time span, and whether a routine
counts, come from the core and are handed in (see `recovery.ingest`).
Reads never take the writer lock.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection, Engine, Row, Select, bindparam, func, select
from sqlalchemy.exc import IntegrityError

from recovery import schema
from recovery.coach.discomfort import Clearance, DiscomfortLog
from recovery.coach.load import HeartTime, RunFigures
from recovery.database import Database, clean_path, clean_text
from recovery.history import RoutineSession, items_json
from recovery.model import Lap, Leg, Run, iso_utc
from recovery.streams import Streams, unpack


@dataclass(frozen=True)
class StoredRun:
    """A run as stored: its id, the Run itself, and the files that gave it."""

    id: int
    run: Run
    sources: tuple[str, ...]
    #: Time at each heart rate (None: no heart-rate samples), for the load without the samples.
    heart: HeartTime | None = None


@dataclass(frozen=True)
class SeenFile:
    """A file as the watcher last saw it: the cheap pre-check before reading it."""

    path: str
    size: int
    mtime_ns: int
    content_id: str | None = None
    outcome: str = "imported"


@dataclass(frozen=True)
class LogEntry:
    """One line of the import log."""

    id: int
    at: datetime
    path: str
    content_id: str | None
    outcome: str
    run_id: int | None
    message: str

    def to_json(self) -> dict[str, Any]:
        return {
            "path": self.path, "outcome": self.outcome, "run_id": self.run_id, "message": self.message,
            "at": iso_utc(self.at),
        }  # fmt: skip


@dataclass(frozen=True)
class StoredNudge:
    """One row of the nudges' outbox: pending while neither sent nor dropped."""

    id: int
    run_id: int
    queued_at: datetime
    due_at: datetime
    attempts: int
    sent_at: datetime | None = None
    dropped_at: datetime | None = None
    problem: str | None = None

    @property
    def pending(self) -> bool:
        return self.sent_at is None and self.dropped_at is None


def _clean_optional(text: str | None) -> str | None:
    return None if text is None else clean_text(text)


def _utc_naive(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment


def _aware(moment: datetime | None) -> datetime | None:
    return None if moment is None else moment.replace(tzinfo=UTC)


#: Newest first: by start time, or the watch's local time for an activity without a UTC one.
_NEWEST = func.coalesce(schema.runs.c.start_time_utc, schema.runs.c.start_time_local)


def _stored(row: Row[Any], samples: bool, sources: tuple[str, ...] = ()) -> StoredRun:
    return StoredRun(row.id, row_to_run(row, samples=samples), sources, _heart(row.heart_time_json))


class Store:
    """The database's tables, as the rest of the program uses them."""

    def __init__(self, url: str | None = None) -> None:
        self.db = Database(url)

    @property
    def url(self) -> str:
        return self.db.url

    @property
    def is_sqlite(self) -> bool:
        return self.db.is_sqlite

    @property
    def engine(self) -> Engine:
        return self.db.engine

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def version(self) -> int:
        """Moves on with every write, in any process (see `Database.version`)."""
        return self.db.version()

    @contextmanager
    def writing(self, *, changes_data: bool = True) -> Iterator[Writer]:
        """One transaction holding the writer lock; commits on success, else rolls back (see `Database.write`)."""
        with self.db.write(changes_data=changes_data) as conn:
            yield Writer(conn)

    def log(self, path: str, outcome: str, message: str, *, now: datetime, content_id: str | None = None) -> None:
        with self.writing(changes_data=False) as w:
            w.log(path, outcome, message, now=now, content_id=content_id)

    # -- runs -----------------------------------------------------------------

    def known_content_ids(self) -> set[str]:
        with self.db.read() as conn:
            return set(conn.scalars(select(schema.sources.c.content_id)))

    def runs(
        self, *, only_runs: bool, limit: int | None = None, offset: int = 0, samples: bool = True
    ) -> list[StoredRun]:
        """Stored activities (`only_runs`: running ones only), newest first, with the files that gave them.

        With `samples=False` the runs come without their sample streams (the
        expensive part) or their files: what lists, calendars and load sums need.
        """
        query = _select_runs(samples).order_by(_NEWEST.desc(), schema.runs.c.id.desc())
        if only_runs:
            query = query.where(schema.runs.c.is_run.is_(True))
        if limit is not None:
            query = query.limit(limit).offset(offset)
        with self.db.read() as conn:
            rows = conn.execute(query).all()
            paths = self._paths(conn, [row.id for row in rows]) if samples else {}
        return [_stored(row, samples, paths.get(row.id, ())) for row in rows]

    def latest(self, *, only_runs: bool) -> StoredRun | None:
        """The newest stored activity (`only_runs`: the newest running one), without samples."""
        query = _select_runs(False).order_by(_NEWEST.desc(), schema.runs.c.id.desc()).limit(1)
        if only_runs:
            query = query.where(schema.runs.c.is_run.is_(True))
        with self.db.read() as conn:
            row = conn.execute(query).first()
        return None if row is None else _stored(row, False)

    def run(self, run_id: int) -> StoredRun | None:
        """One stored activity, with its samples and its files."""
        with self.db.read() as conn:
            row = conn.execute(_select_runs(True).where(schema.runs.c.id == run_id)).first()
            if row is None:
                return None
            return _stored(row, True, self._paths(conn, [run_id]).get(run_id, ()))

    def count_runs(self, *, only_runs: bool) -> int:
        query = select(func.count()).select_from(schema.runs)
        if only_runs:
            query = query.where(schema.runs.c.is_run.is_(True))
        with self.db.read() as conn:
            return conn.scalar(query) or 0

    def runs_between(self, start: datetime, end: datetime | None = None) -> list[StoredRun]:
        """Activities starting in [start, end) (no end: up to the newest), oldest first, without samples."""
        t = schema.runs
        query = _select_runs(False).where(t.c.start_time_utc >= _utc_naive(start))
        if end is not None:
            query = query.where(t.c.start_time_utc < _utc_naive(end))
        with self.db.read() as conn:
            return [_stored(row, False) for row in conn.execute(query.order_by(t.c.start_time_utc, t.c.id))]

    def run_starts(self) -> list[tuple[int, datetime]]:
        """(id, start) of every running activity with a date: all the streak needs."""
        t = schema.runs
        query = select(t.c.id, t.c.start_time_utc).where(t.c.is_run.is_(True), t.c.start_time_utc.is_not(None))
        with self.db.read() as conn:
            return [(run_id, start.replace(tzinfo=UTC)) for run_id, start in conn.execute(query)]

    def runs_without_heart_time(self, limit: int) -> list[StoredRun]:
        """Runs stored before their heart-rate time was recorded (migration 0005), with their samples."""
        t = schema.runs
        query = _select_runs(True).where(t.c.heart_time_json.is_(None)).order_by(t.c.id).limit(limit)
        with self.db.read() as conn:
            return [_stored(row, True) for row in conn.execute(query)]

    def set_heart_times(self, hearts: Mapping[int, HeartTime | None]) -> None:
        t = schema.runs
        with self.writing() as w:
            for run_id, heart in hearts.items():
                w.conn.execute(t.update().where(t.c.id == run_id).values(heart_time_json=_heart_json(heart)))

    @staticmethod
    def _paths(conn: Connection, run_ids: list[int]) -> dict[int, tuple[str, ...]]:
        """The files each run came from, oldest first, in one query per 500 runs."""
        s = schema.sources
        found: dict[int, dict[str, None]] = {}
        for chunk in range(0, len(run_ids), 500):
            ids = run_ids[chunk : chunk + 500]
            query = select(s.c.run_id, s.c.path).where(s.c.run_id.in_(ids)).order_by(s.c.id)
            for run_id, path in conn.execute(query):
                found.setdefault(run_id, {})[path] = None
        return {run_id: tuple(paths) for run_id, paths in found.items()}

    # -- the import log and the watchers' ledger ------------------------------

    def import_log(
        self,
        *,
        since: datetime | None = None,
        limit: int | None = None,
        before: int | None = None,
        after: int | None = None,
    ) -> list[LogEntry]:
        """Entries newest first; `before`/`after` an entry id: only those older/newer (the log's pages, by key).

        With `after` and `limit`, the `limit` entries just newer than `after`.
        """
        t = schema.import_log
        upward = after is not None and before is None
        query = select(t).order_by(t.c.id.asc() if upward else t.c.id.desc())
        if since is not None:
            query = query.where(t.c.at >= _utc_naive(since))
        if before is not None:
            query = query.where(t.c.id < before)
        if after is not None:
            query = query.where(t.c.id > after)
        if limit is not None:
            query = query.limit(limit)
        with self.db.read() as conn:
            entries = [
                LogEntry(r["id"], _aware(r["at"]), r["path"], r["content_id"], r["outcome"], r["run_id"], r["message"])
                for r in conn.execute(query).mappings()
            ]
        return entries[::-1] if upward else entries

    def seen_files(self, under: str) -> dict[str, tuple[int, int]]:
        """path -> (size, mtime_ns) for every ledger entry below a folder."""
        t = schema.seen_files
        prefix = clean_path(under).rstrip("/") + "/"
        # substr, not LIKE: LIKE ignores case on SQLite, and folder names do not.
        query = select(t.c.path, t.c.size, t.c.mtime_ns).where(func.substr(t.c.path, 1, len(prefix)) == prefix)
        with self.db.read() as conn:
            return {path: (size, mtime) for path, size, mtime in conn.execute(query)}

    def mark_seen(self, seen: SeenFile, *, now: datetime) -> None:
        with self.writing(changes_data=False) as w:
            w.mark_seen(seen, now=now)

    def folders(self) -> list[str]:
        t = schema.watched_folders
        with self.db.read() as conn:
            return list(conn.scalars(select(t.c.path).order_by(t.c.id)))

    def add_folder(self, path: str, *, now: datetime) -> bool:
        """Watch a folder; False if it was already watched."""
        path = clean_path(path)
        with self.writing() as w:
            t = schema.watched_folders
            if w.conn.scalar(select(t.c.id).where(t.c.path == path)) is not None:
                return False
            w.conn.execute(t.insert().values(path=path, added_at=_utc_naive(now)))
            return True

    def remove_folder(self, path: str) -> bool:
        path = clean_path(path)
        with self.writing() as w:
            t = schema.watched_folders
            return w.conn.execute(t.delete().where(t.c.path == path)).rowcount > 0

    # -- the runner's own logs and settings ---------------------------------

    def add_discomfort(self, log: DiscomfortLog) -> int:
        with self.writing() as w:
            return w.add_discomfort(log)

    def discomfort_logs(self, *, since: datetime | None = None, include_corrected: bool = False) -> list[DiscomfortLog]:
        """Oldest first: the logs that count (what the coach sees), or with the corrected and deleted ones too
        (`include_corrected`, for the history list: each marked with its `corrected_at`)."""
        t = schema.discomfort_logs
        query = select(*_LOG_COLUMNS).order_by(t.c.at, t.c.id)
        if since is not None:
            query = query.where(t.c.at >= _utc_naive(since))
        if not include_corrected:
            query = query.where(t.c.corrected_at.is_(None))
        with self.db.read() as conn:
            return [_log(row) for row in conn.execute(query)]

    def discomfort_log(self, log_id: int) -> DiscomfortLog | None:
        """One log by id, corrected or not."""
        with self.db.read() as conn:
            row = conn.execute(select(*_LOG_COLUMNS).where(schema.discomfort_logs.c.id == log_id)).first()
        return None if row is None else _log(row)

    def correct_discomfort(self, log_id: int, new_log: DiscomfortLog, *, now: datetime) -> int:
        """Replace a log that counts by `new_log`, in one transaction: the old one is kept, marked corrected
        (`corrected_at`, `replaced_by`). The new log's id. `LogNotCurrent` (one sentence) for an unknown id,
        or a log already corrected or deleted."""
        t = schema.discomfort_logs
        with self.writing() as w:
            _refuse_unless_current(w.conn, log_id)
            new_id = w.add_discomfort(new_log)
            w.conn.execute(t.update().where(t.c.id == log_id).values(corrected_at=_utc_naive(now), replaced_by=new_id))
            return new_id

    def delete_discomfort(self, log_id: int, *, now: datetime) -> None:
        """Stop a log counting: kept, marked deleted (`corrected_at`, no `replaced_by`). `LogNotCurrent` as above."""
        t = schema.discomfort_logs
        with self.writing() as w:
            _refuse_unless_current(w.conn, log_id)
            w.conn.execute(t.update().where(t.c.id == log_id).values(corrected_at=_utc_naive(now), replaced_by=None))

    def add_clearance(self, clearance: Clearance) -> int:
        """Record "I have been seen and it is not an emergency"; its id."""
        with self.writing() as w:
            result = w.conn.execute(
                schema.discomfort_clearances.insert().values(
                    seen_on=_utc_naive(clearance.seen_on),
                    recorded_at=_utc_naive(clearance.recorded_at),
                    note=_clean_optional(clearance.note),
                )
            )
            return int(result.inserted_primary_key[0])

    def clearances(self) -> list[Clearance]:
        """Every "seen, not an emergency" record, oldest first (a handful in a lifetime)."""
        t = schema.discomfort_clearances
        query = select(t.c.id, t.c.seen_on, t.c.recorded_at, t.c.note).order_by(t.c.seen_on, t.c.id)
        with self.db.read() as conn:
            return [
                Clearance(_aware(seen_on), _aware(recorded_at), note, id=clearance_id)
                for clearance_id, seen_on, recorded_at, note in conn.execute(query)
            ]

    def add_strength_session(self, at: datetime) -> None:
        with self.writing() as w:
            w.conn.execute(schema.strength_sessions.insert().values(at=_utc_naive(at)))

    def strength_sessions(self) -> list[datetime]:
        t = schema.strength_sessions
        with self.db.read() as conn:
            return [_aware(at) for at in conn.scalars(select(t.c.at).order_by(t.c.at))]

    def settings(self, keys: Iterable[str]) -> dict[str, str]:
        """The stored values of these keys (absent: never set, or cleared)."""
        t = schema.settings
        with self.db.read() as conn:
            return dict(conn.execute(select(t.c.key, t.c.value).where(t.c.key.in_(list(keys)))).all())

    def setting(self, key: str) -> str | None:
        return self.settings([key]).get(key)

    def set_settings(self, values: Mapping[str, str | None]) -> None:
        """Store these values (None: clear it) in one transaction: all of them or none."""
        t = schema.settings
        with self.writing() as w:
            for key, value in values.items():
                w.conn.execute(t.delete().where(t.c.key == key))
                if value is not None:
                    w.conn.execute(t.insert().values(key=key, value=clean_text(value)))

    def set_setting(self, key: str, value: str | None) -> None:
        self.set_settings({key: value})

    def setting_or_create(self, key: str, value: str) -> str:
        """The setting's value; if it has none yet, `value` is stored and returned.

        Read and written under the writer lock, so two processes starting at
        once on a fresh database agree on one value (the session key).
        """
        t = schema.settings
        with self.writing() as w:
            existing = w.conn.scalar(select(t.c.value).where(t.c.key == key))
            if existing is not None:
                return str(existing)
            w.conn.execute(t.insert().values(key=key, value=clean_text(value)))
            return value

    # -- sign-ins ------------------------------------------------------------

    def add_login_session(self, session_id: str, *, now: datetime) -> None:
        with self.writing(changes_data=False) as w:
            w.conn.execute(schema.login_sessions.insert().values(id=session_id, created_at=_utc_naive(now)))

    def login_session_started(self, session_id: str) -> datetime | None:
        """When this sign-in began, or None if it was ended (or never existed)."""
        t = schema.login_sessions
        with self.db.read() as conn:
            return _aware(conn.scalar(select(t.c.created_at).where(t.c.id == session_id)))

    def end_login_session(self, session_id: str) -> None:
        t = schema.login_sessions
        with self.writing(changes_data=False) as w:
            w.conn.execute(t.delete().where(t.c.id == session_id))

    def end_login_sessions(self, *, before: datetime | None = None) -> int:
        """End every sign-in (or those begun before `before`); how many were ended."""
        t = schema.login_sessions
        query = t.delete() if before is None else t.delete().where(t.c.created_at < _utc_naive(before))
        with self.writing(changes_data=False) as w:
            return int(w.conn.execute(query).rowcount or 0)

    def take_login_attempt(self, who: str, *, now: datetime, since: datetime, limit: int) -> datetime | None:
        """Count one password attempt for `who`, unless `limit` were made since `since`.

        None when the attempt was counted (it may go ahead); else the time of
        the oldest attempt in the window, so the caller can say how long to
        wait. Counting before the password is checked, under the writer lock,
        is what makes the limit hold for simultaneous guesses and across
        processes. A correct password then forgets them (`forget_login_attempts`).
        """
        t = schema.login_failures
        who = clean_text(who)[:100]
        with self.writing(changes_data=False) as w:
            w.conn.execute(t.delete().where(t.c.at < _utc_naive(since)))
            recent = w.conn.execute(
                select(func.count(), func.min(t.c.at)).where(t.c.who == who, t.c.at >= _utc_naive(since))
            ).one()
            if recent[0] >= limit:
                return _aware(recent[1])
            w.conn.execute(t.insert().values(who=who, at=_utc_naive(now)))
            return None

    def forget_login_attempts(self, who: str) -> None:
        t = schema.login_failures
        with self.writing(changes_data=False) as w:
            w.conn.execute(t.delete().where(t.c.who == clean_text(who)[:100]))

    # -- watchers' claims on files --------------------------------------------

    def claim_file(
        self,
        seen: SeenFile,
        *,
        holder: str,
        now: datetime,
        until: datetime,
        is_gone: Callable[[str], bool] = lambda holder: False,
    ) -> str:
        """Claim a file for reading: "claimed", or "seen" (the ledger has it as it is) or "busy" (another's claim runs).

        A claim ends with the transaction that stores the file (`Writer.mark_seen`),
        with `release_file`, when `until` passes, or when `is_gone(holder)` says
        its holder is no more (a watcher killed mid-file and restarted).
        """
        claims, ledger = schema.file_claims, schema.seen_files
        path = clean_path(seen.path)
        with self.writing(changes_data=False) as w:
            known = w.conn.execute(select(ledger.c.size, ledger.c.mtime_ns).where(ledger.c.path == path)).first()
            if known is not None and tuple(known) == (seen.size, seen.mtime_ns):
                return "seen"
            claim = w.conn.execute(select(claims.c.holder, claims.c.until).where(claims.c.path == path)).first()
            if claim is not None and claim.holder != holder and _aware(claim.until) > now and not is_gone(claim.holder):
                return "busy"
            w.conn.execute(claims.delete().where(claims.c.path == path))
            w.conn.execute(claims.insert().values(path=path, holder=holder, until=_utc_naive(until)))
            return "claimed"

    def release_file(self, path: str, *, holder: str) -> None:
        claims = schema.file_claims
        with self.writing(changes_data=False) as w:
            w.conn.execute(claims.delete().where(claims.c.path == clean_path(path), claims.c.holder == holder))

    # -- guided routines done -----------------------------------------------

    def add_routine_session(self, session: RoutineSession) -> int:
        """Store a routine done, with its movements and any feedback; returns its id.

        The same record sent twice (a phone replaying what it kept offline, its first try having reached us
        after all) is stored once: a session of the same phase and run that ended at the same instant is it.
        """
        t = schema.routine_sessions
        same_run = t.c.run_id.is_(None) if session.run_id is None else t.c.run_id == session.run_id
        with self.writing() as w:
            ended = t.c.finished_at == _utc_naive(session.finished_at)
            already = w.conn.execute(select(t.c.id).where(same_run, t.c.phase == session.phase, ended)).first()
            if already is not None:
                return int(already[0])
            result = w.conn.execute(
                schema.routine_sessions.insert().values(
                    run_id=session.run_id,
                    phase=session.phase,
                    started_at=_utc_naive(session.started_at),
                    finished_at=_utc_naive(session.finished_at),
                    items_planned=session.items_planned,
                    items_done=session.items_done,
                    seconds_done=session.seconds_done,
                    completed=session.completed,
                    items_json=json.dumps(items_json(session.items)),
                    back_after=session.back_after,
                    disagreed_json=json.dumps(list(session.disagreed)),
                )
            )
            return int(result.inserted_primary_key[0])

    def routine_sessions(self, *, since: datetime | None = None, run_id: int | None = None) -> list[RoutineSession]:
        """Oldest first."""
        t = schema.routine_sessions
        query = select(*_SESSION_COLUMNS).order_by(t.c.finished_at, t.c.id)
        if since is not None:
            query = query.where(t.c.finished_at >= _utc_naive(since))
        if run_id is not None:
            query = query.where(t.c.run_id == run_id)
        with self.db.read() as conn:
            return [_session(row) for row in conn.execute(query)]

    def routine_session(self, session_id: int) -> RoutineSession | None:
        t = schema.routine_sessions
        with self.db.read() as conn:
            row = conn.execute(select(*_SESSION_COLUMNS).where(t.c.id == session_id)).first()
        return None if row is None else _session(row)

    def set_routine_feedback(
        self, session_id: int, *, back_after: str | None, disagreed: tuple[str, ...]
    ) -> RoutineSession | None:
        """Put "how is your back now?" and the stretches that did not agree on a stored session (None: no such one)."""
        t = schema.routine_sessions
        with self.writing() as w:
            done = w.conn.execute(
                t.update().where(t.c.id == session_id)
                .values(back_after=back_after, disagreed_json=json.dumps(list(disagreed)))
            )  # fmt: skip
            if not done.rowcount:
                return None
            return _session(w.conn.execute(select(*_SESSION_COLUMNS).where(t.c.id == session_id)).one())

    # -- nudges: the outbox of "your cool-down is ready" notifications ---------
    # One row per run, ever (run_id is unique): the row is what makes a nudge exactly once. The
    # deciding (which run, when, what it says) is `recovery.nudges`; these only keep its rows.

    def runs_by_id(self, run_ids: Iterable[int]) -> list[StoredRun]:
        """These activities, without samples, in no particular order (ids not stored are left out)."""
        ids = sorted(set(run_ids))
        found: list[StoredRun] = []
        with self.db.read() as conn:
            for chunk in range(0, len(ids), 500):
                query = _select_runs(False).where(schema.runs.c.id.in_(ids[chunk : chunk + 500]))
                found.extend(_stored(row, False) for row in conn.execute(query))
        return found

    def queue_nudge(self, run_id: int, *, due_at: datetime, now: datetime) -> bool:
        """Put this run's nudge in the outbox unless it ever had one (sent, held or dropped); True if it is new."""
        t = schema.nudges
        try:
            with self.writing(changes_data=False) as w:
                if w.conn.scalar(select(t.c.id).where(t.c.run_id == run_id)) is not None:
                    return False
                w.conn.execute(t.insert().values(run_id=run_id, queued_at=_utc_naive(now),
                                                 due_at=_utc_naive(due_at), attempts=0))  # fmt: skip
                return True
        except IntegrityError:  # another process queued it between the look and the insert
            return False

    def nudges_due(self, now: datetime) -> list[StoredNudge]:
        """The nudges neither sent nor dropped whose time has come, oldest first."""
        t = schema.nudges
        query = (select(t).where(t.c.sent_at.is_(None), t.c.dropped_at.is_(None), t.c.due_at <= _utc_naive(now))
                 .order_by(t.c.due_at, t.c.id))  # fmt: skip
        with self.db.read() as conn:
            return [_nudge(row) for row in conn.execute(query).mappings()]

    def latest_nudge(self) -> StoredNudge | None:
        """The nudge queued last (for the settings page: sent, held, or its last problem)."""
        t = schema.nudges
        with self.db.read() as conn:
            row = conn.execute(select(t).order_by(t.c.queued_at.desc(), t.c.id.desc()).limit(1)).mappings().first()
        return None if row is None else _nudge(row)

    def nudge(self, run_id: int) -> StoredNudge | None:
        t = schema.nudges
        with self.db.read() as conn:
            row = conn.execute(select(t).where(t.c.run_id == run_id)).mappings().first()
        return None if row is None else _nudge(row)

    def claim_nudge(self, nudge: StoredNudge, *, retry_at: datetime) -> bool:
        """Count one attempt at sending, if no other process counted it first (its attempts are still as read).

        Done before sending, under the writer lock: two watchers (or a watcher
        and an upload) that read the same due nudge never both send it.
        `retry_at` is when it is due again should this attempt never report back.
        """
        t = schema.nudges
        with self.writing(changes_data=False) as w:
            done = w.conn.execute(
                t.update()
                .where(t.c.id == nudge.id, t.c.attempts == nudge.attempts, t.c.sent_at.is_(None),
                       t.c.dropped_at.is_(None))
                .values(attempts=nudge.attempts + 1, due_at=_utc_naive(retry_at))
            )  # fmt: skip
            return bool(done.rowcount)

    def hold_nudge(self, run_id: int, *, due_at: datetime, problem: str | None = None) -> None:
        """Keep a nudge for later: the end of the quiet hours, or after a failure (with its sentence)."""
        t = schema.nudges
        values: dict[str, Any] = {"due_at": _utc_naive(due_at)}
        if problem is not None:
            values["problem"] = problem
        with self.writing(changes_data=False) as w:
            w.conn.execute(t.update().where(t.c.run_id == run_id).values(**values))

    def nudge_sent(self, run_id: int, *, now: datetime) -> None:
        t = schema.nudges
        with self.writing(changes_data=False) as w:
            w.conn.execute(t.update().where(t.c.run_id == run_id).values(sent_at=_utc_naive(now), problem=None))

    def drop_nudge(self, run_id: int, *, now: datetime, problem: str) -> None:
        """Never to be sent: the run is no longer fresh, nudges were turned off, or every attempt failed."""
        t = schema.nudges
        with self.writing(changes_data=False) as w:
            w.conn.execute(t.update().where(t.c.run_id == run_id).values(dropped_at=_utc_naive(now), problem=problem))


_SESSION_COLUMNS = tuple(
    getattr(schema.routine_sessions.c, name)
    for name in ("id", "run_id", "phase", "started_at", "finished_at", "items_planned", "items_done", "seconds_done",
                 "completed", "items_json", "back_after", "disagreed_json")
)  # fmt: skip


def _session(row: Row[Any]) -> RoutineSession:
    items = tuple((str(item["id"]), str(item["variant"])) for item in json.loads(row.items_json or "[]"))
    return RoutineSession(
        row.run_id, row.phase, _aware(row.started_at), _aware(row.finished_at), row.items_planned, row.items_done,
        row.seconds_done, bool(row.completed), items, row.back_after, tuple(json.loads(row.disagreed_json or "[]")),
        id=row.id,
    )  # fmt: skip


_LOG_COLUMNS = tuple(
    getattr(schema.discomfort_logs.c, name)
    for name in ("id", "at", "score", "when_", "where_", "red_flags_json", "note", "easier", "corrected_at",
                 "replaced_by")
)  # fmt: skip


def _log(row: Row[Any]) -> DiscomfortLog:
    return DiscomfortLog(
        _aware(row.at), row.score, row.when_, row.where_, _decode_strings(row.red_flags_json), row.note, row.easier,
        id=row.id, corrected_at=_aware(row.corrected_at), replaced_by=row.replaced_by,
    )  # fmt: skip


def _nudge(row: Any) -> StoredNudge:
    return StoredNudge(row["id"], row["run_id"], _aware(row["queued_at"]), _aware(row["due_at"]), row["attempts"],
                       _aware(row["sent_at"]), _aware(row["dropped_at"]), row["problem"])  # fmt: skip

class LogNotCurrent(ValueError):
    """A discomfort log that cannot be corrected or deleted: unknown, or already corrected or deleted."""


def _refuse_unless_current(conn: Connection, log_id: int) -> None:
    """Raise `LogNotCurrent` unless the log exists and still counts (read inside the writer's transaction)."""
    t = schema.discomfort_logs
    row = conn.execute(select(t.c.corrected_at, t.c.replaced_by).where(t.c.id == log_id)).first()
    if row is None:
        raise LogNotCurrent(f"There is no discomfort log {log_id}: see the ids with `recovery discomfort list`.")
    if row.corrected_at is not None:
        what = f"corrected by log {row.replaced_by}" if row.replaced_by is not None else "deleted"
        raise LogNotCurrent(
            f"Discomfort log {log_id} was already {what} on {row.corrected_at:%Y-%m-%d}: only a log that "
            "still counts can be corrected or deleted."
        )


class Writer:
    """The writes of one transaction (see `Store.writing`)."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add_discomfort(self, log: DiscomfortLog) -> int:
        result = self.conn.execute(
            schema.discomfort_logs.insert().values(
                at=_utc_naive(log.at),
                score=log.score,
                when_=log.when,
                where_=log.where,
                red_flags_json=json.dumps(list(log.red_flags)),
                note=_clean_optional(log.note),
                easier=log.easier,
            )
        )
        return int(result.inserted_primary_key[0])

    def has_source(self, content_id: str, leg_index: int | None = None) -> int | None:
        """The run a file (or leg) already gave, if any."""
        if leg_index is None:
            return self.conn.scalar(_SOURCE_OF, {"content_id": content_id})
        return self.conn.scalar(_LEG_SOURCE_OF, {"content_id": content_id, "leg_index": leg_index})

    def overlapping(self, span: tuple[datetime, datetime] | None) -> list[StoredRun]:
        """Stored activities whose time span overlaps this one (`RunFigures.span`), with their samples."""
        if span is None:
            return []
        start, end = _utc_naive(span[0]), _utc_naive(span[1])
        # The longest stored span bounds how long before this one an overlapping activity can have started:
        # one step down the span index, then a short range of the start-time index, however long the history.
        longest = self.conn.scalar(_LONGEST_SPAN)
        if longest is None:
            return []
        earliest = start - timedelta(seconds=longest)
        rows = self.conn.execute(_OVERLAPPING, {"earliest": earliest, "start": start, "end": end})
        return [_stored(r, True) for r in rows]

    def insert_run(self, run: Run, figures: RunFigures, samples: bytes, *, now: datetime) -> int:
        """Store a run, its figures and its samples (`run.streams` packed by `recovery.streams.pack`)."""
        values = run_to_row(run, figures, now=now)
        values["created_at"] = _utc_naive(now)
        result = self.conn.execute(schema.runs.insert(), values)
        run_id = int(result.inserted_primary_key[0])
        self.conn.execute(schema.run_samples.insert(), {"run_id": run_id, "streams": samples})
        return run_id

    def replace_run(self, run_id: int, run: Run, figures: RunFigures, samples: bytes, *, now: datetime) -> None:
        """Swap in a richer copy of the same activity, keeping its id."""
        values = run_to_row(run, figures, now=now)
        self.conn.execute(schema.runs.update().where(schema.runs.c.id == run_id).values(**values))
        table = schema.run_samples
        self.conn.execute(table.delete().where(table.c.run_id == run_id))
        self.conn.execute(table.insert().values(run_id=run_id, streams=samples))

    def add_source(self, run_id: int, run: Run, path: str, *, now: datetime) -> None:
        self.conn.execute(
            schema.sources.insert(),
            {
                "run_id": run_id,
                "content_id": run.content_id,
                "leg_index": -1 if run.leg_index is None else run.leg_index,
                "path": clean_path(path),
                "file_format": run.source_format,
                "added_at": _utc_naive(now),
            },
        )

    def mark_seen(self, seen: SeenFile, *, now: datetime) -> None:
        """Record (or update) a file in the watchers' ledger."""
        t = schema.seen_files
        path = clean_path(seen.path)
        self.conn.execute(t.delete().where(t.c.path == path))
        self.conn.execute(schema.file_claims.delete().where(schema.file_claims.c.path == path))
        self.conn.execute(
            t.insert().values(
                path=path,
                size=seen.size,
                mtime_ns=seen.mtime_ns,
                content_id=seen.content_id,
                outcome=seen.outcome,
                seen_at=_utc_naive(now),
            )
        )

    def log(
        self,
        path: str,
        outcome: str,
        message: str,
        *,
        now: datetime,
        content_id: str | None = None,
        run_id: int | None = None,
    ) -> None:
        self.conn.execute(
            schema.import_log.insert(),
            {
                "at": _utc_naive(now),
                "path": clean_path(path),
                "content_id": content_id,
                "outcome": outcome,
                "run_id": run_id,
                "message": clean_text(message),
            },
        )


def run_to_row(run: Run, figures: RunFigures, *, now: datetime) -> dict[str, Any]:
    """The `runs` row of a run and the core's figures of it; its samples go to `run_samples` (`Writer.insert_run`)."""
    span = figures.span
    return {
        "sport": run.sport,
        "name": None if run.name is None else clean_text(run.name)[:200],
        "sport_label": clean_text(run.sport_label or "")[:100],
        "is_run": run.is_run,
        "sport_inferred": run.sport_inferred,
        "start_time_utc": _utc_naive(run.start_time_utc),
        "end_time_utc": _utc_naive(span[1]) if span else None,
        "span_s": (span[1] - span[0]).total_seconds() if span else None,
        "start_time_local": run.start_time_local,
        "utc_offset_s": run.utc_offset_s,
        "elapsed_s": run.elapsed_s,
        "moving_s": run.moving_s,
        "distance_m": run.distance_m,
        "ascent_m": run.ascent_m,
        "descent_m": run.descent_m,
        "avg_hr": run.avg_hr,
        "max_hr": run.max_hr,
        "avg_cadence_spm": run.avg_cadence_spm,
        "device": clean_text(run.device)[:200] or None if run.device else None,
        "source_format": run.source_format,
        "content_id": run.content_id,
        "leg_index": run.leg_index,
        "has_gps": run.has_gps,
        "sample_count": len(run.streams),
        "laps_json": json.dumps([_jsonable(asdict(lap)) for lap in run.laps]),
        "legs_json": json.dumps([_jsonable(asdict(leg)) for leg in run.legs]),
        "warnings_json": json.dumps([clean_text(w) for w in run.warnings]),
        "heart_time_json": _heart_json(figures.heart),
        "updated_at": _utc_naive(now),
    }


def _heart_json(heart: HeartTime | None) -> str:
    return json.dumps(None if heart is None else heart.to_json(), separators=(",", ":"))


def _heart(text: str | None) -> HeartTime | None:
    return _decode_heart(text) if text else None


# The JSON columns decoded once per distinct text: a dashboard page reads the same year of runs
# on every request, and the decoded values are immutable.
@lru_cache(maxsize=16384)
def _decode_heart(text: str) -> HeartTime | None:
    data = json.loads(text)
    return HeartTime.from_json(data) if data else None


@lru_cache(maxsize=16384)
def _decode_laps(text: str) -> tuple[Lap, ...]:
    return tuple(Lap(**_from_jsonable(d)) for d in json.loads(text))


@lru_cache(maxsize=4096)
def _decode_legs(text: str) -> tuple[Leg, ...]:
    return tuple(Leg(**_from_jsonable(d)) for d in json.loads(text))


@lru_cache(maxsize=4096)
def _decode_strings(text: str) -> tuple[str, ...]:
    """A JSON list of strings (a run's warnings, a log's red flags) as a tuple."""
    return tuple(json.loads(text))


#: The columns a Run is made from (not the bookkeeping: end time, sample count, created and updated).
_RUN_COLUMNS = [
    c for c in schema.runs.c if c.name not in {"end_time_utc", "span_s", "sample_count", "created_at", "updated_at"}
]


def _select_runs(samples: bool) -> Select[Any]:
    """What `row_to_run` needs of runs, and with `samples` each run's sample blob as `streams` too."""
    if not samples:
        return select(*_RUN_COLUMNS)
    s = schema.run_samples
    # An outer join: a run whose samples row was somehow missing still shows (with no samples) rather
    # than vanishing, and any other file of the same activity counts as richer and replaces it.
    return select(*_RUN_COLUMNS, s.c.streams).outerjoin(s, s.c.run_id == schema.runs.c.id)


#: The write path's queries, built once: composing a statement costs SQLAlchemy more than running it.
_SOURCE_OF = select(schema.sources.c.run_id).where(schema.sources.c.content_id == bindparam("content_id")).limit(1)
_LEG_SOURCE_OF = (
    select(schema.sources.c.run_id)
    .where(schema.sources.c.content_id == bindparam("content_id"), schema.sources.c.leg_index == bindparam("leg_index"))
    .limit(1)
)
_LONGEST_SPAN = select(func.max(schema.runs.c.span_s))
_OVERLAPPING = (
    _select_runs(True)
    .where(
        schema.runs.c.start_time_utc >= bindparam("earliest"),
        schema.runs.c.start_time_utc <= bindparam("end"),
        schema.runs.c.end_time_utc >= bindparam("start"),
    )
    .order_by(schema.runs.c.id)
)


def row_to_run(row: Row[Any], *, samples: bool = False) -> Run:
    """A Run from a row of `_select_runs(samples)`; without samples its streams are empty."""
    # One dict per row: reading a Row's values by name costs more than all the rest here.
    r = dict(zip(row._fields, row, strict=True))
    return Run(
        content_id=r["content_id"],
        source_format=r["source_format"],
        sport=r["sport"],
        sport_label=r["sport_label"],
        start_time_utc=_aware(r["start_time_utc"]),
        elapsed_s=r["elapsed_s"],
        moving_s=r["moving_s"],
        distance_m=r["distance_m"],
        ascent_m=r["ascent_m"],
        descent_m=r["descent_m"],
        avg_hr=r["avg_hr"],
        max_hr=r["max_hr"],
        avg_cadence_spm=r["avg_cadence_spm"],
        device=r["device"],
        laps=_decode_laps(r["laps_json"]),
        legs=_decode_legs(r["legs_json"]),
        streams=unpack(r["streams"]) if samples and r["streams"] is not None else Streams(),
        utc_offset_s=r["utc_offset_s"],
        start_time_local=r["start_time_local"],
        leg_index=r["leg_index"],
        sport_inferred=r["sport_inferred"],
        has_gps=r["has_gps"],
        warnings=_decode_strings(r["warnings_json"]),
        name=r["name"],
    )


def _jsonable(d: dict[str, Any]) -> dict[str, Any]:
    return {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in d.items()}


def _from_jsonable(d: dict[str, Any]) -> dict[str, Any]:
    out = dict(d)
    if isinstance(out.get("start_time_utc"), str):
        out["start_time_utc"] = datetime.fromisoformat(out["start_time_utc"])
    return out
