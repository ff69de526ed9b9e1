"""The one module that reads and writes the database.

SQLite in the runner's data folder by default; PostgreSQL when
`RECOVERY_DATABASE_URL` (or `--db`) names one. The schema is kept by Alembic
migrations, applied on open. Every write is one transaction taken under a
writer lock, so a crash leaves no half run and two importers never store the
same run twice.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import platformdirs
from sqlalchemy import Connection, Engine, Row, Select, create_engine, event, func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import InterfaceError, OperationalError

from recovery import schema
from recovery.classify import activity_span
from recovery.coach.discomfort import DiscomfortLog
from recovery.coach.load import HeartTime, heart_time
from recovery.history import RoutineSession
from recovery.model import Lap, Leg, Run
from recovery.streams import Streams, pack, unpack

APP_NAME = "recovery"
ENV_DATABASE_URL = "RECOVERY_DATABASE_URL"
MIGRATIONS = Path(__file__).parent / "migrations"
#: ALTER TABLE ... DROP COLUMN, which migration 0007 uses, came with SQLite 3.35 (2021).
MIN_SQLITE = (3, 35)
#: Runs without samples kept in memory per store (about a kilobyte each): 30 years of daily runs.
_KEPT_RUNS = 12_000
#: The execution option that marks a connection as a writer's.
_WRITER = "recovery_writer"
#: Any PostgreSQL advisory-lock key will do, as long as every writer uses the same.
_PG_WRITER_LOCK = 0x52435652
#: Seconds a PostgreSQL writer may sit idle inside its transaction (ours never pause for more than a moment).
_PG_IDLE_WRITER_S = 60


def default_database_url() -> str:
    """RECOVERY_DATABASE_URL, or a SQLite file in the per-user data folder."""
    url = os.environ.get(ENV_DATABASE_URL)
    if url:
        return url
    folder = Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))
    return f"sqlite:///{folder / 'recovery.sqlite3'}"


def normalise_url(url: str) -> str:
    """Accept the URL forms people paste: postgres://, postgresql://, a bare path."""
    if "://" not in url:
        return f"sqlite:///{Path(url).expanduser().resolve()}"
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


class DatabaseTooOld(RuntimeError):
    """The SQLite library this Python was built with cannot run the migrations."""


class StoreUnavailable(RuntimeError):
    """The database cannot be opened or written at all (full disk, read-only, unreachable).

    Not a problem with any one file: an import stops with this one sentence
    and a watcher tries again later, rather than refusing file after file.
    """


def store_problem(exc: BaseException, url: str | None = None) -> StoreUnavailable:
    """The runner's sentence for a database error that no file caused."""
    text = str(getattr(exc, "orig", None) or exc).strip().split("\n")[0]
    lowered = text.lower()
    where = f" ({_safe_url(url)})" if url else ""
    folder = _sqlite_folder(url)
    if folder is not None and folder.is_dir() and not os.access(folder, os.W_OK):
        lowered += " read-only"
    if "full" in lowered or "no space" in lowered or "quota" in lowered:
        return StoreUnavailable(
            f"The database{where} could not be written: the disk is full. Free some space, then try again."
        )
    if "readonly" in lowered or "read-only" in lowered or "permission denied" in lowered:
        return StoreUnavailable(
            f"The database{where} could not be written: its file or folder is read-only. "
            "Make it writable, or point RECOVERY_DATABASE_URL somewhere that is."
        )
    if "unable to open" in lowered or "connection" in lowered or "could not connect" in lowered:
        return StoreUnavailable(f"The database{where} could not be reached ({text[:160]}).")
    return StoreUnavailable(f"The database{where} could not be written ({text[:160]}).")


def _safe_url(url: str) -> str:
    """A URL fit to print (a SQLite file as its path), never with its password."""
    try:
        parsed = make_url(url)
        if parsed.get_backend_name() == "sqlite" and parsed.database:
            return parsed.database
        return parsed.render_as_string(hide_password=True)
    except Exception:
        return "the configured database"


def _sqlite_folder(url: str | None) -> Path | None:
    try:
        parsed = make_url(url) if url else None
    except Exception:
        return None
    if parsed is None or parsed.get_backend_name() != "sqlite" or not parsed.database:
        return None
    return Path(parsed.database).parent if parsed.database != ":memory:" else None


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
    id: int
    at: datetime
    path: str
    content_id: str | None
    outcome: str
    run_id: int | None
    message: str


#: Characters no text column should hold: NUL (PostgreSQL refuses it) and the other controls, bar tab and line breaks.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def _encodable(text: str) -> str:
    """Undecodable bytes in a file name (lone surrogates in Python) as \\xNN, the same way every time."""
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def clean_text(text: str) -> str:
    """Text as every database can keep it: no NUL or other control characters, valid UTF-8."""
    return _CONTROL.sub("", _encodable(text))


def clean_path(path: str) -> str:
    """A path as the ledger keeps it: unchanged but for what no database can hold (NUL, undecodable bytes).

    Only those change, and always the same way, so a path read from the ledger
    still matches the same file on disk after `clean_path`.
    """
    return _encodable(path).replace("\x00", "?")


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


class Store:
    """Open (and migrate) the database at `url`."""

    def __init__(self, url: str | None = None) -> None:
        self.url = normalise_url(url or default_database_url())
        parsed = make_url(self.url)
        self.is_sqlite = parsed.get_backend_name() == "sqlite"
        if self.is_sqlite and sqlite3.sqlite_version_info < MIN_SQLITE:
            raise DatabaseTooOld(
                f"recovery needs SQLite {'.'.join(map(str, MIN_SQLITE))} or later, and this Python was built with "
                f"SQLite {sqlite3.sqlite_version}. Use a Python with a newer SQLite (Debian 12, Ubuntu 22.04 and "
                "the python.org builds have one), or PostgreSQL through RECOVERY_DATABASE_URL."
            )
        if self.is_sqlite and parsed.database and parsed.database != ":memory:":
            try:
                Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise store_problem(exc, self.url) from exc
        self.engine: Engine = create_engine(self.url, future=True)
        #: Runs read without samples, by (id, content_id); see `_runs_without_samples`.
        self._kept_runs: dict[tuple[int, str], Run] = {}
        if self.is_sqlite:
            _configure_sqlite(self.engine)
        try:
            self.migrate()
        except (OperationalError, InterfaceError) as exc:
            self.engine.dispose()
            raise store_problem(exc, self.url) from exc

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- schema -------------------------------------------------------------

    def migrate(self) -> None:
        """Bring the schema up to date (a no-op when it already is)."""
        from alembic import command
        from alembic.config import Config
        from alembic.runtime.migration import MigrationContext

        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        with self._write_transaction() as conn:
            before = MigrationContext.configure(conn).get_current_revision()
            config.attributes["connection"] = conn
            command.upgrade(config, "head")
            upgraded = MigrationContext.configure(conn).get_current_revision() != before
        if self.is_sqlite and before is not None and upgraded:
            self._give_back_free_space()

    def _give_back_free_space(self) -> None:
        """After a migration that moved data, shrink the SQLite file if much of it is now free.

        Migration 0007 copies every run's samples into their own table, which
        leaves the file twice the size with half of it unused. VACUUM rewrites
        it once; if another process has the database open and busy, the space
        is simply reused by later imports.
        """
        raw = self.engine.raw_connection()
        try:
            sqlite = raw.driver_connection  # autocommit (see _configure_sqlite): VACUUM cannot run in a transaction
            free = sqlite.execute("PRAGMA freelist_count").fetchone()[0]
            pages = sqlite.execute("PRAGMA page_count").fetchone()[0]
            if free * 4 > pages:
                sqlite.execute("VACUUM")
                sqlite.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # else the WAL keeps the copy's size while open
        except sqlite3.OperationalError:
            pass
        finally:
            raw.close()

    # -- writing ------------------------------------------------------------

    @contextmanager
    def writing(self) -> Iterator[Writer]:
        """One transaction holding the writer lock; commits on success, else rolls back."""
        with self._write_transaction() as conn:
            yield Writer(conn)

    @contextmanager
    def _write_transaction(self) -> Iterator[Connection]:
        """A transaction that takes the writer lock first: writers queue instead of failing halfway.

        On SQLite that is BEGIN IMMEDIATE (see `_configure_sqlite`); reads
        begin deferred, so with WAL they never wait for a writer or each other.
        """
        with self.engine.connect() as conn:
            conn.execution_options(**{_WRITER: True})
            with conn.begin():
                if not self.is_sqlite:
                    # A writer whose process died while something else still held its socket would keep
                    # the lock for ever; the server ends a transaction left idle this long instead.
                    conn.execute(text(f"SET LOCAL idle_in_transaction_session_timeout = '{_PG_IDLE_WRITER_S}s'"))
                    conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_WRITER_LOCK})
                yield conn

    def log(self, path: str, outcome: str, message: str, *, now: datetime, content_id: str | None = None) -> None:
        with self.writing() as w:
            w.log(path, outcome, message, now=now, content_id=content_id)

    # -- reading ------------------------------------------------------------

    def known_content_ids(self) -> set[str]:
        with self.engine.connect() as conn:
            return set(conn.scalars(select(schema.sources.c.content_id)))

    def runs(
        self, *, limit: int | None = None, offset: int = 0, only_runs: bool = False, samples: bool = True
    ) -> list[StoredRun]:
        """Stored activities, newest first.

        With `samples=False` the runs come without their sample streams (the
        expensive part): what lists, calendars and load sums need.
        """
        t = schema.runs
        order = func.coalesce(t.c.start_time_utc, t.c.start_time_local)
        query = (select(t.c.id, t.c.content_id) if not samples else _select_runs(True)).order_by(
            order.desc(), t.c.id.desc()
        )
        if only_runs:
            query = query.where(t.c.is_run.is_(True))
        if limit is not None:
            query = query.limit(limit).offset(offset)
        with self._snapshot() as conn:
            if not samples:
                keys = [(run_id, content_id) for run_id, content_id in conn.execute(query)]
                runs = self._runs_without_samples(conn, keys)
                return [StoredRun(run_id, runs[run_id], ()) for run_id, _ in keys if run_id in runs]
            rows = conn.execute(query).all()
            return [StoredRun(row.id, row_to_run(row, samples=True), self._paths(conn, row.id)) for row in rows]

    def latest_run_id(self) -> int | None:
        """The newest running activity's id (walks, rides and swims get no cool-down)."""
        t = schema.runs
        order = func.coalesce(t.c.start_time_utc, t.c.start_time_local)
        query = select(t.c.id).where(t.c.is_run.is_(True)).order_by(order.desc(), t.c.id.desc()).limit(1)
        with self.engine.connect() as conn:
            return conn.scalar(query)

    def run(self, run_id: int) -> StoredRun | None:
        with self.engine.connect() as conn:
            row = conn.execute(_select_runs(True).where(schema.runs.c.id == run_id)).first()
            if row is None:
                return None
            return StoredRun(
                row.id, row_to_run(row, samples=True), self._paths(conn, run_id), _heart(row.heart_time_json)
            )

    def count_runs(self, *, only_runs: bool = False) -> int:
        query = select(func.count()).select_from(schema.runs)
        if only_runs:
            query = query.where(schema.runs.c.is_run.is_(True))
        with self.engine.connect() as conn:
            return conn.scalar(query) or 0

    def import_log(self, *, since: datetime | None = None, limit: int | None = None) -> list[LogEntry]:
        t = schema.import_log
        query = select(t).order_by(t.c.id.desc())
        if since is not None:
            query = query.where(t.c.at >= _utc_naive(since))
        if limit is not None:
            query = query.limit(limit)
        with self.engine.connect() as conn:
            return [
                LogEntry(r["id"], _aware(r["at"]), r["path"], r["content_id"], r["outcome"], r["run_id"], r["message"])
                for r in conn.execute(query).mappings()
            ]

    def seen_files(self, under: str) -> dict[str, tuple[int, int]]:
        """path -> (size, mtime_ns) for every ledger entry below a folder."""
        t = schema.seen_files
        prefix = clean_path(under).rstrip("/") + "/"
        # substr, not LIKE: LIKE ignores case on SQLite, and folder names do not.
        query = select(t.c.path, t.c.size, t.c.mtime_ns).where(func.substr(t.c.path, 1, len(prefix)) == prefix)
        with self.engine.connect() as conn:
            return {path: (size, mtime) for path, size, mtime in conn.execute(query)}

    def mark_seen(self, seen: SeenFile, *, now: datetime) -> None:
        with self.writing() as w:
            w.mark_seen(seen, now=now)

    def folders(self) -> list[str]:
        t = schema.watched_folders
        with self.engine.connect() as conn:
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
            result = w.conn.execute(
                schema.discomfort_logs.insert().values(
                    at=_utc_naive(log.at),
                    score=log.score,
                    when_=log.when,
                    where_=log.where,
                    red_flags_json=json.dumps(list(log.red_flags)),
                    note=_clean_optional(log.note),
                )
            )
            return int(result.inserted_primary_key[0])

    def discomfort_logs(self, *, since: datetime | None = None) -> list[DiscomfortLog]:
        """Oldest first."""
        t = schema.discomfort_logs
        query = select(t.c.at, t.c.score, t.c.when_, t.c.where_, t.c.red_flags_json, t.c.note).order_by(t.c.at, t.c.id)
        if since is not None:
            query = query.where(t.c.at >= _utc_naive(since))
        with self.engine.connect() as conn:
            return [
                DiscomfortLog(_aware(at), score, when, where, _decode_strings(red_flags), note)
                for at, score, when, where, red_flags, note in conn.execute(query)
            ]

    def add_strength_session(self, at: datetime) -> None:
        with self.writing() as w:
            w.conn.execute(schema.strength_sessions.insert().values(at=_utc_naive(at)))

    def strength_sessions(self) -> list[datetime]:
        t = schema.strength_sessions
        with self.engine.connect() as conn:
            return [_aware(at) for at in conn.scalars(select(t.c.at).order_by(t.c.at))]

    def settings(self) -> dict[str, str]:
        with self.engine.connect() as conn:
            return dict(conn.execute(select(schema.settings.c.key, schema.settings.c.value)).all())

    def set_setting(self, key: str, value: str | None) -> None:
        t = schema.settings
        with self.writing() as w:
            w.conn.execute(t.delete().where(t.c.key == key))
            if value is not None:
                w.conn.execute(t.insert().values(key=key, value=clean_text(value)))

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
        with self.writing() as w:
            w.conn.execute(schema.login_sessions.insert().values(id=session_id, created_at=_utc_naive(now)))

    def login_session_started(self, session_id: str) -> datetime | None:
        """When this sign-in began, or None if it was ended (or never existed)."""
        t = schema.login_sessions
        with self.engine.connect() as conn:
            return _aware(conn.scalar(select(t.c.created_at).where(t.c.id == session_id)))

    def end_login_session(self, session_id: str) -> None:
        t = schema.login_sessions
        with self.writing() as w:
            w.conn.execute(t.delete().where(t.c.id == session_id))

    def end_login_sessions(self, *, before: datetime | None = None) -> int:
        """End every sign-in (or those begun before `before`); how many were ended."""
        t = schema.login_sessions
        query = t.delete() if before is None else t.delete().where(t.c.created_at < _utc_naive(before))
        with self.writing() as w:
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
        with self.writing() as w:
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
        with self.writing() as w:
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
        with self.writing() as w:
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
        with self.writing() as w:
            w.conn.execute(claims.delete().where(claims.c.path == clean_path(path), claims.c.holder == holder))

    def runs_between(self, start: datetime, end: datetime) -> list[StoredRun]:
        """Activities starting in [start, end), oldest first, without their samples (the coach's history).

        Each comes with its time at each heart rate, worked out here (and kept)
        for runs stored before that was recorded.
        """
        t = schema.runs
        query = (
            select(t.c.id, t.c.content_id, t.c.heart_time_json)
            .where(t.c.start_time_utc >= _utc_naive(start), t.c.start_time_utc < _utc_naive(end))
            .order_by(t.c.start_time_utc)
        )
        with self._snapshot() as conn:
            found = conn.execute(query).all()
            runs = self._runs_without_samples(conn, [(run_id, content_id) for run_id, content_id, _ in found])
        missing = [run_id for run_id, _, heart in found if heart is None]
        hearts = self._fill_heart_time(missing) if missing else {}
        return [
            StoredRun(run_id, runs[run_id], (), hearts[run_id] if run_id in hearts else _heart(heart))
            for run_id, _, heart in found
            if run_id in runs
        ]

    @contextmanager
    def _snapshot(self) -> Iterator[Connection]:
        """A read whose queries all see the database as it was at the first one.

        `runs_between` reads ids and heart-rate times, then the rows not kept
        in memory: a run replaced in between must not come back with the old
        copy's heart-rate times. SQLite's read transactions are snapshots
        already; PostgreSQL's default (read committed) is not.
        """
        with self.engine.connect() as conn:
            if not self.is_sqlite:
                conn.execution_options(isolation_level="REPEATABLE READ")
            yield conn

    def _runs_without_samples(self, conn: Connection, keys: list[tuple[int, str]]) -> dict[int, Run]:
        """The runs named by (id, content_id), without samples: from memory where kept, else read and kept.

        Every dashboard page reads the same year of runs, and building a Run
        from its row costs more than the query. A run's row only changes when
        a richer file of the same activity replaces it (`Writer.replace_run`),
        and that file has another content id: so (id, content_id) names one
        unchanging Run.
        """
        runs: dict[int, Run] = {}
        unread: list[int] = []
        for key in keys:
            run = self._kept_runs.get(key)
            if run is None:
                unread.append(key[0])
            else:
                runs[key[0]] = run
        t = schema.runs
        for chunk in range(0, len(unread), 500):
            for row in conn.execute(_select_runs(False).where(t.c.id.in_(unread[chunk : chunk + 500]))):
                if len(self._kept_runs) >= _KEPT_RUNS:
                    self._kept_runs.clear()
                runs[row.id] = self._kept_runs[(row.id, row.content_id)] = row_to_run(row)
        return runs

    def _fill_heart_time(self, run_ids: list[int]) -> dict[int, HeartTime | None]:
        """Work out and keep the time at each heart rate of runs stored without it."""
        t = schema.runs
        out: dict[int, HeartTime | None] = {}
        for chunk in range(0, len(run_ids), 200):
            ids = run_ids[chunk : chunk + 200]
            with self.engine.connect() as conn:
                rows = conn.execute(_select_runs(True).where(t.c.id.in_(ids))).all()
            with self.writing() as w:
                for row in rows:
                    heart = heart_time(row_to_run(row, samples=True))
                    out[row.id] = heart
                    w.conn.execute(t.update().where(t.c.id == row.id).values(heart_time_json=_heart_json(heart)))
        return out

    # -- guided routines done -----------------------------------------------

    def activity_version(self) -> tuple[object, ...]:
        """Changes whenever a run or a routine session is added, changed or removed (for caches)."""
        # Only counts and largest ids: instant from the primary keys. A run replaced by a richer copy
        # always comes with a new row in sources.
        r, f, s = schema.runs, schema.sources, schema.routine_sessions
        with self.engine.connect() as conn:
            runs = conn.execute(select(func.count(), func.max(r.c.id))).one()
            files = conn.execute(select(func.max(f.c.id))).one()
            sessions = conn.execute(select(func.count(), func.max(s.c.id))).one()
        return (*runs, *files, *sessions)

    def run_starts(self) -> list[tuple[int, datetime]]:
        """(id, start) of every running activity with a date: all the streak needs."""
        t = schema.runs
        query = select(t.c.id, t.c.start_time_utc).where(t.c.is_run.is_(True), t.c.start_time_utc.is_not(None))
        with self.engine.connect() as conn:
            return [(run_id, start.replace(tzinfo=UTC)) for run_id, start in conn.execute(query)]

    def cooled_run_ids(self, run_ids: list[int] | None = None) -> set[int]:
        """Of these runs (default: all), the ones with a cool-down that counts (see RoutineSession.counts)."""
        if run_ids is not None and not run_ids:
            return set()
        t = schema.routine_sessions
        query = (
            select(t.c.run_id)
            .distinct()
            .where(
                t.c.run_id.is_not(None),
                t.c.phase == "cooldown",
                t.c.items_done > 0,
                t.c.items_done * 2 >= t.c.items_planned,
            )
        )
        if run_ids is not None:
            query = query.where(t.c.run_id.in_(run_ids))
        with self.engine.connect() as conn:
            return set(conn.scalars(query))

    def add_routine_session(self, session: RoutineSession) -> int:
        with self.writing() as w:
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
                )
            )
            return int(result.inserted_primary_key[0])

    def routine_sessions(self, *, since: datetime | None = None, run_id: int | None = None) -> list[RoutineSession]:
        """Oldest first."""
        t = schema.routine_sessions
        columns = (t.c.started_at, t.c.finished_at, t.c.items_planned, t.c.items_done, t.c.seconds_done, t.c.completed)
        query = select(t.c.run_id, t.c.phase, *columns).order_by(t.c.finished_at, t.c.id)
        if since is not None:
            query = query.where(t.c.finished_at >= _utc_naive(since))
        if run_id is not None:
            query = query.where(t.c.run_id == run_id)
        with self.engine.connect() as conn:
            return [
                RoutineSession(run, phase, _aware(started), _aware(finished), planned, done, seconds, completed)
                for run, phase, started, finished, planned, done, seconds, completed in conn.execute(query)
            ]

    @staticmethod
    def _paths(conn: Connection, run_id: int) -> tuple[str, ...]:
        s = schema.sources
        query = select(s.c.path).where(s.c.run_id == run_id).order_by(s.c.id)
        return tuple(dict.fromkeys(conn.scalars(query)))


class Writer:
    """The writes of one transaction (see `Store.writing`)."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def has_source(self, content_id: str, leg_index: int | None = None) -> int | None:
        """The run a file (or leg) already gave, if any."""
        s = schema.sources
        query = select(s.c.run_id).where(s.c.content_id == content_id)
        if leg_index is not None:
            query = query.where(s.c.leg_index == leg_index)
        return self.conn.scalar(query.limit(1))

    def overlapping(self, run: Run) -> list[StoredRun]:
        """Stored activities whose time span overlaps this one's."""
        span = activity_span(run)
        if span is None:
            return []
        t = schema.runs
        start, end = _utc_naive(span[0]), _utc_naive(span[1])
        query = _select_runs(True).where(t.c.start_time_utc <= end, t.c.end_time_utc >= start).order_by(t.c.id)
        return [StoredRun(r.id, row_to_run(r, samples=True), ()) for r in self.conn.execute(query)]

    def insert_run(self, run: Run, *, now: datetime) -> int:
        values = run_to_row(run, now=now)
        values["created_at"] = _utc_naive(now)
        result = self.conn.execute(schema.runs.insert().values(**values))
        run_id = int(result.inserted_primary_key[0])
        self.conn.execute(schema.run_samples.insert().values(run_id=run_id, streams=pack(run.streams)))
        return run_id

    def replace_run(self, run_id: int, run: Run, *, now: datetime) -> None:
        """Swap in a richer copy of the same activity, keeping its id."""
        self.conn.execute(schema.runs.update().where(schema.runs.c.id == run_id).values(**run_to_row(run, now=now)))
        samples = schema.run_samples
        self.conn.execute(samples.delete().where(samples.c.run_id == run_id))
        self.conn.execute(samples.insert().values(run_id=run_id, streams=pack(run.streams)))

    def add_source(self, run_id: int, run: Run, path: str, *, now: datetime) -> None:
        self.conn.execute(
            schema.sources.insert().values(
                run_id=run_id,
                content_id=run.content_id,
                leg_index=-1 if run.leg_index is None else run.leg_index,
                path=clean_path(path),
                file_format=run.source_format,
                added_at=_utc_naive(now),
            )
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
            schema.import_log.insert().values(
                at=_utc_naive(now),
                path=clean_path(path),
                content_id=content_id,
                outcome=outcome,
                run_id=run_id,
                message=clean_text(message),
            )
        )


def run_to_row(run: Run, *, now: datetime) -> dict[str, Any]:
    """The `runs` row of a run; its samples go to `run_samples` (see Writer.insert_run)."""
    span = activity_span(run)
    return {
        "sport": run.sport,
        "name": None if run.name is None else clean_text(run.name)[:200],
        "sport_label": clean_text(run.sport_label or "")[:100],
        "is_run": run.is_run,
        "sport_inferred": run.sport_inferred,
        "start_time_utc": _utc_naive(run.start_time_utc),
        "end_time_utc": _utc_naive(span[1]) if span else None,
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
        "heart_time_json": _heart_json(heart_time(run)),
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
_RUN_COLUMNS = [c for c in schema.runs.c if c.name not in {"end_time_utc", "sample_count", "created_at", "updated_at"}]


def _select_runs(samples: bool) -> Select[Any]:
    """What `row_to_run` needs of runs, and with `samples` each run's sample blob as `streams` too."""
    if not samples:
        return select(*_RUN_COLUMNS)
    s = schema.run_samples
    # An outer join: a run whose samples row was somehow missing still shows (with no samples) rather
    # than vanishing, and any other file of the same activity counts as richer and replaces it.
    return select(*_RUN_COLUMNS, s.c.streams).outerjoin(s, s.c.run_id == schema.runs.c.id)


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


def _configure_sqlite(engine: Engine) -> None:
    """WAL for concurrent readers, and BEGIN IMMEDIATE for writers so they queue rather than race."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        # A read that took the write lock would hold up the watcher's imports, and every other page.
        conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get(_WRITER) else "BEGIN")


def utcnow() -> datetime:
    """The edges' clock (CLI, watcher); the core takes `now` as an argument."""
    return datetime.now(UTC)
