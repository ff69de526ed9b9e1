"""How long each stored activity spans, indexed: the duplicate check's search then stays flat as the history grows.

Finding the stored activities that overlap a new one (`Writer.overlapping`)
asked for every run that started before the new one ended: a scan of the
whole table. With the longest span known from this index (one step), the
search is a short range of the start-time index: runs that started at most
that long before the new one.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("runs", sa.Column("span_s", sa.Float, nullable=True))
    runs = sa.table(
        "runs",
        sa.column("id", sa.Integer),
        sa.column("start_time_utc", sa.DateTime),
        sa.column("end_time_utc", sa.DateTime),
        sa.column("span_s", sa.Float),
    )
    conn = op.get_bind()
    timed = conn.execute(
        sa.select(runs.c.id, runs.c.start_time_utc, runs.c.end_time_utc).where(
            runs.c.start_time_utc.is_not(None), runs.c.end_time_utc.is_not(None)
        )
    ).all()
    for run_id, start, end in timed:
        conn.execute(runs.update().where(runs.c.id == run_id).values(span_s=(end - start).total_seconds()))
    op.create_index("ix_runs_span_s", "runs", ["span_s"])


def downgrade() -> None:
    op.drop_index("ix_runs_span_s", "runs")
    op.drop_column("runs", "span_s")
