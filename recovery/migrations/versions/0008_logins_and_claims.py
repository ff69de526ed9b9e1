"""Sign-ins kept on the server, wrong passwords counted in the database, and file claims.

- `login_sessions`: one row per signed-in browser, so signing out or changing
  the password ends a session at once instead of when its cookie expires.
- `login_failures`: wrong passwords per address, shared by every server
  process and taken atomically under the writer lock.
- `file_claims`: a watcher about to read a file says so, so two watchers on
  one folder do not both parse and log it.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "login_sessions",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "login_failures",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("who", sa.String(100), nullable=False),
        sa.Column("at", sa.DateTime, nullable=False),
    )
    op.create_index("ix_login_failures_who_at", "login_failures", ["who", "at"])
    op.create_table(
        "file_claims",
        sa.Column("path", sa.Text, primary_key=True),
        sa.Column("holder", sa.String(100), nullable=False),
        sa.Column("until", sa.DateTime, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("file_claims")
    op.drop_index("ix_login_failures_who_at", "login_failures")
    op.drop_table("login_failures")
    op.drop_table("login_sessions")
