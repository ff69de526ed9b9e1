"""The database tables, described once for SQLAlchemy and the migrations.

Samples live in `run_samples.streams` as one compressed blob per activity (see
`recovery.streams`), not one row per sample, and apart from the runs table so
that reading a year of runs for a list or a load sum never steps over them.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    func,
    text,
)

metadata = MetaData()

runs = Table(
    "runs",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("sport", String(20), nullable=False),
    Column("name", String(200), nullable=True),
    Column("sport_label", String(100), nullable=False, default=""),
    Column("is_run", Boolean, nullable=False),
    Column("sport_inferred", Boolean, nullable=False, default=False),
    # Naive datetimes, always UTC: both SQLite and PostgreSQL sort them the same.
    Column("start_time_utc", DateTime, nullable=True),
    Column("end_time_utc", DateTime, nullable=True),
    # end_time_utc - start_time_utc in seconds (migration 0012): its index gives the longest span in one step,
    # which bounds the duplicate check's search of the start-time index.
    Column("span_s", Float, nullable=True),
    Column("start_time_local", DateTime, nullable=True),
    Column("utc_offset_s", Integer, nullable=True),
    Column("elapsed_s", Float, nullable=True),
    Column("moving_s", Float, nullable=True),
    Column("distance_m", Float, nullable=True),
    Column("ascent_m", Float, nullable=True),
    Column("descent_m", Float, nullable=True),
    Column("avg_hr", Integer, nullable=True),
    Column("max_hr", Integer, nullable=True),
    Column("avg_cadence_spm", Integer, nullable=True),
    Column("device", String(200), nullable=True),
    Column("source_format", String(10), nullable=False),
    Column("content_id", String(64), nullable=False),
    Column("leg_index", Integer, nullable=True),
    Column("has_gps", Boolean, nullable=False, default=False),
    Column("sample_count", Integer, nullable=False, default=0),
    Column("laps_json", Text, nullable=False, default="[]"),
    Column("legs_json", Text, nullable=False, default="[]"),
    Column("warnings_json", Text, nullable=False, default="[]"),
    # {"bpm": seconds} from the samples (see recovery.coach.load.heart_time); NULL until worked out.
    Column("heart_time_json", Text, nullable=True),
    Column("created_at", DateTime, nullable=False),
    Column("updated_at", DateTime, nullable=False),
    Index("ix_runs_start_time_utc", "start_time_utc"),
    # The order runs are listed in (migration 0006).
    Index("ix_runs_newest", func.coalesce(text("start_time_utc"), text("start_time_local")).desc(), text("id DESC")),
    Index("ix_runs_is_run_start", "is_run", "start_time_utc"),
    Index("ix_runs_span_s", "span_s"),
)

# Each run's samples (migration 0007 moved them here out of runs).
run_samples = Table(
    "run_samples",
    metadata,
    Column("run_id", Integer, ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True),
    Column("streams", LargeBinary, nullable=False),
)

# One row per file (or per leg of a multisport file) that gave a run.
sources = Table(
    "sources",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("run_id", Integer, ForeignKey("runs.id", ondelete="CASCADE"), nullable=False),
    Column("content_id", String(64), nullable=False),
    # -1 for a whole file, so the unique constraint works on every database.
    Column("leg_index", Integer, nullable=False, default=-1),
    Column("path", Text, nullable=False),
    Column("file_format", String(10), nullable=False),
    Column("added_at", DateTime, nullable=False),
    UniqueConstraint("content_id", "leg_index", name="uq_sources_content_leg"),
    Index("ix_sources_run_id", "run_id"),
)

# Append-only: every file seen and what became of it.
import_log = Table(
    "import_log",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("at", DateTime, nullable=False),
    Column("path", Text, nullable=False),
    Column("content_id", String(64), nullable=True),
    Column("outcome", String(20), nullable=False),
    Column("run_id", Integer, ForeignKey("runs.id", ondelete="SET NULL"), nullable=True),
    Column("message", Text, nullable=False),
    Index("ix_import_log_at", "at"),
    Index("ix_import_log_content_id", "content_id"),
)

# The watchers' ledger: what each file looked like when it was last handled,
# so a rescan reads no file twice and a restart imports nothing again.
seen_files = Table(
    "seen_files",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("path", Text, nullable=False, unique=True),
    Column("size", BigInteger, nullable=False),
    Column("mtime_ns", BigInteger, nullable=False),
    Column("content_id", String(64), nullable=True),
    Column("outcome", String(20), nullable=False),
    Column("seen_at", DateTime, nullable=False),
)

# The folders `recovery serve` and `recovery watch` keep an eye on.
watched_folders = Table(
    "watched_folders",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("path", Text, nullable=False, unique=True),
    Column("added_at", DateTime, nullable=False),
)

# The runner's lower-back log (0-10), with the red-flag answers.
discomfort_logs = Table(
    "discomfort_logs",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("at", DateTime, nullable=False),
    Column("score", Integer, nullable=False),
    Column("when_", String(20), nullable=False),
    Column("where_", String(20), nullable=False),
    Column("red_flags_json", Text, nullable=False),
    Column("note", Text, nullable=True),
    Column("easier", String(20), nullable=True),  # bending forward | arching back | neither
    Column("corrected_at", DateTime, nullable=True),  # corrected or deleted: kept, but no longer counts
    Column("replaced_by", Integer, nullable=True),  # the log that corrected it (None: deleted)
    Index("ix_discomfort_logs_at", "at"),
)

# "I have been seen and it is not an emergency": lifts the block of red flags logged up to `seen_on`.
discomfort_clearances = Table(
    "discomfort_clearances",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("seen_on", DateTime, nullable=False),
    Column("recorded_at", DateTime, nullable=False),
    Column("note", Text, nullable=True),
)

# A guided routine done (whole or in part), against the run it followed.
routine_sessions = Table(
    "routine_sessions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("run_id", Integer, ForeignKey("runs.id", ondelete="SET NULL"), nullable=True),
    Column("phase", String(20), nullable=False),
    Column("started_at", DateTime, nullable=False),
    Column("finished_at", DateTime, nullable=False),
    Column("items_planned", Integer, nullable=False),
    Column("items_done", Integer, nullable=False),
    Column("seconds_done", Integer, nullable=False),
    Column("completed", Boolean, nullable=False),
    Column("items_json", Text, nullable=False, server_default="[]"),  # [{"id", "variant"}] as offered
    Column("back_after", String(10), nullable=True),  # better | same | worse, when the timer ended
    Column("disagreed_json", Text, nullable=False, server_default="[]"),  # "this one didn't agree with me"
    Index("ix_routine_sessions_finished_at", "finished_at"),
    Index("ix_routine_sessions_run_id", "run_id"),
)

strength_sessions = Table(
    "strength_sessions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("at", DateTime, nullable=False),
)

# Small key-value settings: max_hr, rest_hr, sex (and later units, time zone).
settings = Table(
    "settings",
    metadata,
    Column("key", String(50), primary_key=True),
    Column("value", Text, nullable=False),
)

# One row per signed-in browser (the cookie holds a random token; this is its sha256).
login_sessions = Table(
    "login_sessions",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("created_at", DateTime, nullable=False),
)

# Wrong passwords (and attempts in progress) per address, shared by every server process.
login_failures = Table(
    "login_failures",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("who", String(100), nullable=False),
    Column("at", DateTime, nullable=False),
    Index("ix_login_failures_who_at", "who", "at"),
)

# A watcher reading a file: other watchers of the same folder leave it alone until `until`.
file_claims = Table(
    "file_claims",
    metadata,
    Column("path", Text, primary_key=True),
    Column("holder", String(100), nullable=False),
    Column("until", DateTime, nullable=False),
)

# One row: a number every write transaction moves on (`Database.write`), so caches in any process
# can tell whether anything changed with one read of the primary key.
data_version = Table(
    "data_version",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("version", BigInteger, nullable=False),
)

# The nudges' outbox (migration 0011): at most one row per run, ever, so a run is never nudged twice.
# Pending while neither sent_at nor dropped_at is set; due_at is when it may next be tried.
nudges = Table(
    "nudges",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("run_id", Integer, ForeignKey("runs.id", ondelete="CASCADE"), nullable=False, unique=True),
    Column("queued_at", DateTime, nullable=False),
    Column("due_at", DateTime, nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("sent_at", DateTime, nullable=True),
    Column("dropped_at", DateTime, nullable=True),
    Column("problem", Text, nullable=True),  # the last failure or why it was dropped, in one sentence
    Index("ix_nudges_due_at", "due_at"),
)
