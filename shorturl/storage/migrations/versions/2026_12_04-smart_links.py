"""smart links: link passwords, redirect rules and A/B variants, expired_redirect; clicks.destination

Revision ID: 0004_i20_smartlinks
Revises: 0004_i21_bots
Create Date: 2026-12-04 21:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_i20_smartlinks"
down_revision: str | Sequence[str] | None = "0004_i21_bots"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("links") as batch:
        batch.add_column(sa.Column("password_hash", sa.Text(), nullable=True))
        batch.add_column(sa.Column("rules", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("variants", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("expired_redirect", sa.Text(), nullable=True))
    with op.batch_alter_table("clicks") as batch:
        batch.add_column(sa.Column("destination", sa.String(255), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("clicks") as batch:
        batch.drop_column("destination")
    with op.batch_alter_table("links") as batch:
        batch.drop_column("expired_redirect")
        batch.drop_column("variants")
        batch.drop_column("rules")
        batch.drop_column("password_hash")
