"""What the coach learns from and what a runner can put right: feedback after a routine, corrected logs,
the direction that eases the back, and "seen by a professional" records.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("discomfort_logs") as batch:
        # Which feels easier: bending forward, arching back, neither (None: not asked or not answered).
        batch.add_column(sa.Column("easier", sa.String(20), nullable=True))
        # A corrected or deleted log is kept, marked, and no longer counts.
        batch.add_column(sa.Column("corrected_at", sa.DateTime, nullable=True))
        batch.add_column(sa.Column("replaced_by", sa.Integer, nullable=True))
    op.create_table(
        "discomfort_clearances",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("seen_on", sa.DateTime, nullable=False),
        sa.Column("recorded_at", sa.DateTime, nullable=False),
        sa.Column("note", sa.Text, nullable=True),
    )
    with op.batch_alter_table("routine_sessions") as batch:
        # The movements of the routine as offered: [{"id": ..., "variant": ...}, ...].
        batch.add_column(sa.Column("items_json", sa.Text, nullable=False, server_default="[]"))
        # "How is your back now?" when the timer ended: better | same | worse (None: not answered).
        batch.add_column(sa.Column("back_after", sa.String(10), nullable=True))
        # Movement ids the runner marked "this one didn't agree with me".
        batch.add_column(sa.Column("disagreed_json", sa.Text, nullable=False, server_default="[]"))


def downgrade() -> None:
    with op.batch_alter_table("routine_sessions") as batch:
        batch.drop_column("disagreed_json")
        batch.drop_column("back_after")
        batch.drop_column("items_json")
    op.drop_table("discomfort_clearances")
    with op.batch_alter_table("discomfort_logs") as batch:
        batch.drop_column("replaced_by")
        batch.drop_column("corrected_at")
        batch.drop_column("easier")
