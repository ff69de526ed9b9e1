"""The nudges' outbox: one row per run a "your cool-down is ready" notification was for, so none is sent twice.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "nudges",
        sa.Column("id", sa.Integer, primary_key=True),
        # Unique: a run is nudged at most once, whichever process (watcher, upload) queued it first.
        sa.Column("run_id", sa.Integer, sa.ForeignKey("runs.id", ondelete="CASCADE"), nullable=False, unique=True),
        sa.Column("queued_at", sa.DateTime, nullable=False),
        # When it may next be tried: now, the end of the quiet hours, or after a failure's wait.
        sa.Column("due_at", sa.DateTime, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("sent_at", sa.DateTime, nullable=True),
        sa.Column("dropped_at", sa.DateTime, nullable=True),
        sa.Column("problem", sa.Text, nullable=True),
    )
    op.create_index("ix_nudges_due_at", "nudges", ["due_at"])


def downgrade() -> None:
    op.drop_index("ix_nudges_due_at", table_name="nudges")
    op.drop_table("nudges")
