"""security hardening (issue 23): who disabled a link, server-side web sessions, token floors,
webhook secrets encrypted at rest

Revision ID: 0004_i23_security
Revises: 0003_rollups
Create Date: 2026-12-04 21:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_i23_security"
down_revision: str | Sequence[str] | None = "0003_rollups"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("links") as batch:
        batch.add_column(sa.Column("disabled_by", sa.String(16), nullable=True))
        batch.add_column(sa.Column("disabled_by_user_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("disabled_reason", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("links") as batch:
        batch.drop_column("disabled_reason")
        batch.drop_column("disabled_by_user_id")
        batch.drop_column("disabled_by")
