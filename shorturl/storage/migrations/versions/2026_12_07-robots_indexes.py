"""robots indexes: an account's robots read from indexes of robot rows only

Revision ID: 0007_robots
Revises: 0006_bot_rollups
Create Date: 2026-12-07 08:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007_robots"
down_revision: str | Sequence[str] | None = "0006_bot_rollups"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ROBOTS = sa.text("dimension = 'bot' AND is_bot IS true")


def upgrade() -> None:
    # The summary's robots read every `bot` row of an account's links, the humans' too
    # (a row a link and day), and the hourly side was a sequential scan: 95 and 62 ms at 2M
    # clicks over 10,000 links (bench/analytics_10m.py). Robot rows only, index-only.
    op.drop_index("ix_click_rollups_bots", table_name="click_rollups")
    for table, column in (("click_rollups", "day"), ("click_hourly", "hour")):
        op.create_index(
            f"ix_{table}_robots",
            table,
            [column, "link_id"],
            postgresql_include=["value", "clicks"],
            postgresql_where=ROBOTS,
            sqlite_where=ROBOTS,
        )


def downgrade() -> None:
    op.drop_index("ix_click_hourly_robots", table_name="click_hourly")
    op.drop_index("ix_click_rollups_robots", table_name="click_rollups")
    bots = sa.text("dimension = 'bot'")
    op.create_index(
        "ix_click_rollups_bots",
        "click_rollups",
        ["day", "link_id"],
        postgresql_include=["value", "is_bot", "clicks"],
        postgresql_where=bots,
        sqlite_where=bots,
    )
