"""security hardening (issue 23): who disabled a link, server-side web sessions, token floors,
webhook secrets encrypted at rest

Revision ID: 0004_i23_security
Revises: 0004_i22_apis
Create Date: 2026-12-04 21:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from shorturl.storage.base import UTCDateTime

revision: str = "0004_i23_security"
down_revision: str | Sequence[str] | None = "0004_i22_apis"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("links") as batch:
        batch.add_column(sa.Column("disabled_by", sa.String(16), nullable=True))
        batch.add_column(sa.Column("disabled_by_user_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("disabled_reason", sa.Text(), nullable=True))
    with op.batch_alter_table("users") as batch:
        batch.add_column(
            sa.Column("token_generation", sa.Integer(), nullable=False, server_default="0")
        )
    op.create_table(
        "browser_sessions",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_browser_sessions_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_browser_sessions")),
    )
    with op.batch_alter_table("webhooks") as batch:  # a Fernet token outgrows 255
        batch.alter_column("secret", type_=sa.Text(), existing_type=sa.String(255))
    op.create_index(op.f("ix_browser_sessions_user_id"), "browser_sessions", ["user_id"])


def downgrade() -> None:
    with op.batch_alter_table("webhooks") as batch:
        batch.alter_column("secret", type_=sa.String(255), existing_type=sa.Text())
    op.drop_index(op.f("ix_browser_sessions_user_id"), "browser_sessions")
    op.drop_table("browser_sessions")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("token_generation")
    with op.batch_alter_table("links") as batch:
        batch.drop_column("disabled_reason")
        batch.drop_column("disabled_by_user_id")
        batch.drop_column("disabled_by")
