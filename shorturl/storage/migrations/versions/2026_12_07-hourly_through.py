"""hourly through: the hour in progress rolled up in slices (links.hourly_through)

Revision ID: 0008_hourly_through
Revises: 0007_robots
Create Date: 2026-12-07 08:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008_hourly_through"
down_revision: str | Sequence[str] | None = "0007_robots"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("links") as batch:
        batch.add_column(sa.Column("hourly_through", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("links") as batch:
        batch.drop_column("hourly_through")
