"""Each run's samples move out of `runs` into their own table, `run_samples`.

A dashboard page reads a year of runs (about 350 rows) for the load and the
trends. On SQLite a row's columns after a large blob can only be reached by
walking the blob's overflow pages, so with the samples inside `runs` that
read cost four times as much as without them.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "run_samples",
        sa.Column("run_id", sa.Integer, sa.ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("streams", sa.LargeBinary, nullable=False),
    )
    op.execute("INSERT INTO run_samples (run_id, streams) SELECT id, streams FROM runs")
    # A plain ALTER TABLE ... DROP COLUMN (SQLite 3.35 and later), not a batch rebuild: rebuilding
    # `runs` would drop the table the sources and the logs point at.
    op.drop_column("runs", "streams")
    if op.get_bind().dialect.name == "postgresql":
        # PostgreSQL only hides a dropped column: its data stays until each row is rewritten. CLUSTER
        # rewrites the table now (nulling the dropped column), so the samples are not stored twice.
        # (SQLite's DROP COLUMN rewrites the rows itself; the store then VACUUMs the file.)
        op.execute("CLUSTER runs USING runs_pkey")
        op.execute("ALTER TABLE runs SET WITHOUT CLUSTER")


def downgrade() -> None:
    op.add_column("runs", sa.Column("streams", sa.LargeBinary, nullable=True))
    op.execute("UPDATE runs SET streams = (SELECT streams FROM run_samples WHERE run_samples.run_id = runs.id)")
    if op.get_bind().dialect.name == "postgresql":  # SQLite cannot add NOT NULL to a column in place
        op.alter_column("runs", "streams", nullable=False)
    op.drop_table("run_samples")
