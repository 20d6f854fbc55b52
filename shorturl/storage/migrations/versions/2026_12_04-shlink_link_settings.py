"""shlink_link_settings: validSince, crawlable and forwardQuery of the Shlink API

Revision ID: 0004_i22_apis
Revises: 0003_rollups
Create Date: 2026-12-04 21:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from shorturl.storage.base import UTCDateTime

revision: str = "0004_i22_apis"
down_revision: str | Sequence[str] | None = "0003_rollups"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "shlink_link_settings",
        sa.Column("link_id", BigId, nullable=False),
        sa.Column("valid_since", UTCDateTime(timezone=True), nullable=True),
        sa.Column("crawlable", sa.Boolean(), nullable=False),
        sa.Column("forward_query", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["link_id"],
            ["links.id"],
            name=op.f("fk_shlink_link_settings_link_id_links"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("link_id", name=op.f("pk_shlink_link_settings")),
    )


def downgrade() -> None:
    op.drop_table("shlink_link_settings")
