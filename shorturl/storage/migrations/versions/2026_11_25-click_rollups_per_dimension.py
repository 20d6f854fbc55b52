"""click_rollups per dimension; links.rolled_up_until and links.raw_kept_from

Rollups become one row per link, day, dimension and value (plus a `total` row per day),
far fewer rows than one per combination of values, so long reports read a few rows a day.
The table had no data yet (retention had not shipped): it is recreated.

Revision ID: 0003_rollups
Revises: 0002_clicks_used
Create Date: 2026-11-25 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_rollups"
down_revision: str | Sequence[str] | None = "0002_clicks_used"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _rollups(*columns: sa.Column) -> None:
    op.create_table(
        "click_rollups",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("link_id", BigId, nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        *columns,
        sa.Column("is_bot", sa.Boolean(), nullable=False),
        sa.Column("clicks", sa.BigInteger(), nullable=False),
        sa.Column("unique_visitors", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["link_id"],
            ["links.id"],
            name=op.f("fk_click_rollups_link_id_links"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_click_rollups")),
    )


def upgrade() -> None:
    with op.batch_alter_table("click_rollups") as batch:
        batch.drop_index("uq_click_rollups_key")
    op.drop_table("click_rollups")
    _rollups(
        sa.Column("dimension", sa.String(length=16), nullable=False),
        sa.Column("value", sa.String(length=255), nullable=False),
    )
    with op.batch_alter_table("click_rollups") as batch:
        batch.create_index(
            "uq_click_rollups_key",
            ["link_id", "day", "dimension", "value", "is_bot"],
            unique=True,
        )
    with op.batch_alter_table("links") as batch:
        batch.add_column(sa.Column("rolled_up_until", sa.Date(), nullable=True))
        batch.add_column(sa.Column("raw_kept_from", sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("links") as batch:
        batch.drop_column("raw_kept_from")
        batch.drop_column("rolled_up_until")
    with op.batch_alter_table("click_rollups") as batch:
        batch.drop_index("uq_click_rollups_key")
    op.drop_table("click_rollups")
    _rollups(
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("device", sa.String(length=16), nullable=False),
        sa.Column("browser", sa.String(length=64), nullable=False),
        sa.Column("os", sa.String(length=64), nullable=False),
        sa.Column("referrer_host", sa.String(length=255), nullable=False),
    )
    with op.batch_alter_table("click_rollups") as batch:
        batch.create_index(
            "uq_click_rollups_key",
            ["link_id", "day", "country", "device", "browser", "os", "referrer_host", "is_bot"],
            unique=True,
        )
