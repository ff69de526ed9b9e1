"""An index on the order runs are listed in (newest first).

Without it, listing the newest 50 runs reads and sorts every run; on SQLite
that also means stepping over each run's sample blob.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_runs_newest",
        "runs",
        [sa.text("coalesce(start_time_utc, start_time_local) DESC"), sa.text("id DESC")],
    )
    op.create_index("ix_runs_is_run_start", "runs", ["is_run", "start_time_utc"])


def downgrade() -> None:
    op.drop_index("ix_runs_is_run_start", "runs")
    op.drop_index("ix_runs_newest", "runs")
