"""clicks.kind, bot_name and UTM columns; orphan_visits and their overflow counts

Clicks say who sent them (`human`, `bot`, `preview`) and the robot's name, and carry the
campaign (`utm_*`) of the request or of its link's destination. Old clicks get `bot` or
`human` from `is_bot`. Rollups of days whose raw clicks are still kept are dropped and those
links' `rolled_up_until` cleared, so the roll-up job rebuilds them with the new dimensions
(`bot`, `utm_*`); days retention already emptied keep the rollups they have.

Requests that matched no link are kept in `orphan_visits`, at most so many a minute; the
rest are counted per minute in `orphan_visit_overflow`.

Revision ID: 0004_i21_bots
Revises: 0004_i22_import
Create Date: 2026-12-04 21:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from shorturl.storage.base import UTCDateTime

revision: str = "0004_i21_bots"
down_revision: str | Sequence[str] | None = "0004_i22_import"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")



def upgrade() -> None:
    with op.batch_alter_table("clicks") as batch:
        batch.add_column(
            sa.Column("kind", sa.String(length=8), server_default="human", nullable=False)
        )
        batch.add_column(sa.Column("bot_name", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("utm_source", sa.String(length=128), nullable=True))
        batch.add_column(sa.Column("utm_medium", sa.String(length=128), nullable=True))
        batch.add_column(sa.Column("utm_campaign", sa.String(length=128), nullable=True))
    op.execute(sa.text("UPDATE clicks SET kind = 'bot' WHERE is_bot"))
    op.execute(
        sa.text(
            "DELETE FROM click_rollups WHERE link_id IN"
            " (SELECT id FROM links WHERE raw_kept_from IS NULL)"
        )
    )
    op.execute(sa.text("UPDATE links SET rolled_up_until = NULL WHERE raw_kept_from IS NULL"))
    op.create_table(
        "orphan_visits",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("event_id", sa.String(length=36), nullable=False),
        sa.Column("visited_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("type", sa.String(length=20), nullable=False),
        sa.Column("method", sa.String(length=8), nullable=False),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("query", sa.Text(), nullable=True),
        sa.Column("ip", sa.String(length=45), nullable=True),
        sa.Column("user_agent", sa.Text(), nullable=True),
        sa.Column("referrer", sa.Text(), nullable=True),
        sa.Column("country", sa.String(length=2), nullable=True),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("bot_name", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_orphan_visits")),
        sa.UniqueConstraint("event_id", name=op.f("uq_orphan_visits_event_id")),
    )
    with op.batch_alter_table("orphan_visits") as batch:
        batch.create_index("ix_orphan_visits_visited_at", ["visited_at"])
        batch.create_index("ix_orphan_visits_type_time", ["type", "visited_at"])
    op.create_table(
        "orphan_visit_overflow",
        sa.Column("minute", UTCDateTime(timezone=True), nullable=False),
        sa.Column("dropped", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("minute", name=op.f("pk_orphan_visit_overflow")),
    )


def downgrade() -> None:
    op.drop_table("orphan_visit_overflow")
    with op.batch_alter_table("orphan_visits") as batch:
        batch.drop_index("ix_orphan_visits_type_time")
        batch.drop_index("ix_orphan_visits_visited_at")
    op.drop_table("orphan_visits")
    with op.batch_alter_table("clicks") as batch:
        batch.drop_column("utm_campaign")
        batch.drop_column("utm_medium")
        batch.drop_column("utm_source")
        batch.drop_column("bot_name")
        batch.drop_column("kind")
