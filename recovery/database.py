"""The database itself: where it is, its engine and pragmas, the writer lock, migrations and the data version.

SQLite in the runner's data folder by default; PostgreSQL when
`RECOVERY_DATABASE_URL` (or `--db`) names one. The schema is kept by Alembic
migrations, applied on open. Every write is one transaction taken under a
writer lock, so a crash leaves no half write and two importers never store
the same run twice; reads never take it. `recovery.store` holds the queries.
"""

from __future__ import annotations

import os
import re
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import platformdirs
from sqlalchemy import Connection, Engine, create_engine, event, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import InterfaceError, OperationalError

from recovery import schema

APP_NAME = "recovery"
ENV_DATABASE_URL = "RECOVERY_DATABASE_URL"
MIGRATIONS = Path(__file__).parent / "migrations"
#: ALTER TABLE ... DROP COLUMN, which migration 0007 uses, came with SQLite 3.35 (2021).
MIN_SQLITE = (3, 35)
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


class Database:
    """Open (and migrate) the database at `url`: one engine, pooled connections."""

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
        if self.is_sqlite:
            _configure_sqlite(self.engine)
        try:
            self.migrate()
        except (OperationalError, InterfaceError) as exc:
            self.engine.dispose()
            raise store_problem(exc, self.url) from exc

    def close(self) -> None:
        self.engine.dispose()

    def migrate(self) -> None:
        """Bring the schema up to date (a no-op when it already is)."""
        from alembic import command
        from alembic.config import Config
        from alembic.runtime.migration import MigrationContext

        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        with self._locked() as conn:
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

    @contextmanager
    def write(self, *, changes_data: bool = True) -> Iterator[Connection]:
        """One transaction holding the writer lock; commits on success.

        It moves the data version on unless `changes_data` is False: the
        bookkeeping no page's gathering reads (sign-ins, wrong passwords,
        watchers' claims and ledger, import-log lines on their own), so a
        stranger's failed sign-in or a watcher's claim never empties a cache.
        """
        with self._locked() as conn:
            if changes_data:
                conn.execute(_NEXT_VERSION)
            yield conn

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A connection for reading: never the writer lock, so a page never waits for an import."""
        with self.engine.connect() as conn:
            yield conn

    def version(self) -> int:
        """A number every committed write moves on, in every process: what caches of the data are keyed by."""
        version = schema.data_version
        with self.read() as conn:
            return int(conn.scalar(select(version.c.version).where(version.c.id == 1)) or 0)

    @contextmanager
    def _locked(self) -> Iterator[Connection]:
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


#: Moves the data version on; built once, as composing it costs more than running it.
_NEXT_VERSION = (
    schema.data_version.update().where(schema.data_version.c.id == 1).values(version=schema.data_version.c.version + 1)
)


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
