"""Guided-routine sessions done against a run, and each run's time at each heart rate.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "routine_sessions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("run_id", sa.Integer, sa.ForeignKey("runs.id", ondelete="SET NULL"), nullable=True),
        sa.Column("phase", sa.String(20), nullable=False),
        sa.Column("started_at", sa.DateTime, nullable=False),
        sa.Column("finished_at", sa.DateTime, nullable=False),
        sa.Column("items_planned", sa.Integer, nullable=False),
        sa.Column("items_done", sa.Integer, nullable=False),
        sa.Column("seconds_done", sa.Integer, nullable=False),
        sa.Column("completed", sa.Boolean, nullable=False),
    )
    op.create_index("ix_routine_sessions_finished_at", "routine_sessions", ["finished_at"])
    op.create_index("ix_routine_sessions_run_id", "routine_sessions", ["run_id"])
    # Filled when the run is stored (and for older runs on first use): lets the
    # training load of a year of runs be worked out without unpacking samples.
    op.add_column("runs", sa.Column("heart_time_json", sa.Text, nullable=True))


def downgrade() -> None:
    op.drop_column("runs", "heart_time_json")
    op.drop_table("routine_sessions")
