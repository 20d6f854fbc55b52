"""click_hourly (hourly rollups of the last days); links.hourly_from and links.hourly_until

Revision ID: 0004_i21_live
Revises: 0004_i23_security
Create Date: 2026-12-04 21:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_i21_live"
down_revision: str | Sequence[str] | None = "0004_i23_security"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "click_hourly",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("link_id", BigId, nullable=False),
        sa.Column("hour", sa.BigInteger(), nullable=False),
        sa.Column("dimension", sa.String(length=16), nullable=False),
        sa.Column("value", sa.String(length=255), nullable=False),
        sa.Column("is_bot", sa.Boolean(), nullable=False),
        sa.Column("clicks", sa.BigInteger(), nullable=False),
        sa.Column("unique_visitors", sa.BigInteger(), nullable=False),
        sa.Column("new_visitors", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["link_id"],
            ["links.id"],
            name=op.f("fk_click_hourly_link_id_links"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_click_hourly")),
    )
    with op.batch_alter_table("click_hourly") as batch:
        batch.create_index(
            "uq_click_hourly_key", ["link_id", "hour", "dimension", "value", "is_bot"], unique=True
        )
    # A report over many links sums `total` rows only: covering, so they are read from the
    # index alone (an account of 10,000 links over 30 days: bench/analytics_10m.py).
    total = sa.text("dimension = 'total'")
    op.create_index(
        "ix_click_rollups_totals",
        "click_rollups",
        ["day", "link_id"],
        postgresql_include=["is_bot", "clicks", "unique_visitors"],
        postgresql_where=total,
        sqlite_where=total,
    )
    op.create_index(
        "ix_click_hourly_totals",
        "click_hourly",
        ["hour", "link_id"],
        postgresql_include=["is_bot", "clicks", "unique_visitors", "new_visitors"],
        postgresql_where=total,
        sqlite_where=total,
    )
    with op.batch_alter_table("links") as batch:
        batch.add_column(sa.Column("hourly_from", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("hourly_until", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("links") as batch:
        batch.drop_column("hourly_until")
        batch.drop_column("hourly_from")
    op.drop_index("ix_click_rollups_totals", table_name="click_rollups")
    op.drop_index("ix_click_hourly_totals", table_name="click_hourly")
    with op.batch_alter_table("click_hourly") as batch:
        batch.drop_index("uq_click_hourly_key")
    op.drop_table("click_hourly")
