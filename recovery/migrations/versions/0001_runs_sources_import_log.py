"""Runs, their source files, and the import log.

Revision ID: 0001
Revises:
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "runs",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("sport", sa.String(20), nullable=False),
        sa.Column("sport_label", sa.String(100), nullable=False),
        sa.Column("is_run", sa.Boolean, nullable=False),
        sa.Column("sport_inferred", sa.Boolean, nullable=False),
        sa.Column("start_time_utc", sa.DateTime, nullable=True),
        sa.Column("end_time_utc", sa.DateTime, nullable=True),
        sa.Column("start_time_local", sa.DateTime, nullable=True),
        sa.Column("utc_offset_s", sa.Integer, nullable=True),
        sa.Column("elapsed_s", sa.Float, nullable=True),
        sa.Column("moving_s", sa.Float, nullable=True),
        sa.Column("distance_m", sa.Float, nullable=True),
        sa.Column("ascent_m", sa.Float, nullable=True),
        sa.Column("descent_m", sa.Float, nullable=True),
        sa.Column("avg_hr", sa.Integer, nullable=True),
        sa.Column("max_hr", sa.Integer, nullable=True),
        sa.Column("avg_cadence_spm", sa.Integer, nullable=True),
        sa.Column("device", sa.String(200), nullable=True),
        sa.Column("source_format", sa.String(10), nullable=False),
        sa.Column("content_id", sa.String(64), nullable=False),
        sa.Column("leg_index", sa.Integer, nullable=True),
        sa.Column("has_gps", sa.Boolean, nullable=False),
        sa.Column("sample_count", sa.Integer, nullable=False),
        sa.Column("laps_json", sa.Text, nullable=False),
        sa.Column("legs_json", sa.Text, nullable=False),
        sa.Column("warnings_json", sa.Text, nullable=False),
        sa.Column("streams", sa.LargeBinary, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
    )
    op.create_index("ix_runs_start_time_utc", "runs", ["start_time_utc"])
    op.create_table(
        "sources",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("run_id", sa.Integer, sa.ForeignKey("runs.id", ondelete="CASCADE"), nullable=False),
        sa.Column("content_id", sa.String(64), nullable=False),
        sa.Column("leg_index", sa.Integer, nullable=False),
        sa.Column("path", sa.Text, nullable=False),
        sa.Column("file_format", sa.String(10), nullable=False),
        sa.Column("added_at", sa.DateTime, nullable=False),
        sa.UniqueConstraint("content_id", "leg_index", name="uq_sources_content_leg"),
    )
    op.create_index("ix_sources_run_id", "sources", ["run_id"])
    op.create_table(
        "import_log",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("at", sa.DateTime, nullable=False),
        sa.Column("path", sa.Text, nullable=False),
        sa.Column("content_id", sa.String(64), nullable=True),
        sa.Column("outcome", sa.String(20), nullable=False),
        sa.Column("run_id", sa.Integer, sa.ForeignKey("runs.id", ondelete="SET NULL"), nullable=True),
        sa.Column("message", sa.Text, nullable=False),
    )
    op.create_index("ix_import_log_at", "import_log", ["at"])
    op.create_index("ix_import_log_content_id", "import_log", ["content_id"])


def downgrade() -> None:
    op.drop_table("import_log")
    op.drop_table("sources")
    op.drop_table("runs")
