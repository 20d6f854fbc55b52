"""period totals: a link's clicks up to each rolled-up day, and over fixed periods

Revision ID: 0009_period_totals
Revises: 0008_hourly_through
Create Date: 2026-12-07 16:00:00
"""

from collections.abc import Sequence
from datetime import UTC, datetime, time, timedelta

import sqlalchemy as sa
from alembic import op

revision: str = "0009_period_totals"
down_revision: str | Sequence[str] | None = "0008_hourly_through"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TOTALS = sa.text("dimension = 'total'")


def upgrade() -> None:
    # An account's top links summed every daily `total` row of every link in the period:
    # 300,000 rows for 10,000 links over 30 days (bench/analytics_10m.py). Now a link up to
    # date has a row for each fixed period, and any other period of any link is the
    # difference of two running totals found in an index.
    with op.batch_alter_table("click_rollups") as table:
        table.add_column(
            sa.Column("running_clicks", sa.BigInteger(), nullable=False, server_default="0")
        )
        table.add_column(
            sa.Column("running_visitors", sa.BigInteger(), nullable=False, server_default="0")
        )
    op.execute(
        """
        UPDATE click_rollups SET running_clicks = summed.clicks, running_visitors = summed.visitors
        FROM (
            SELECT id,
                   sum(clicks) OVER per_link AS clicks,
                   sum(unique_visitors) OVER per_link AS visitors
            FROM click_rollups
            WHERE dimension = 'total'
            WINDOW per_link AS (PARTITION BY link_id, is_bot ORDER BY day)
        ) AS summed
        WHERE click_rollups.id = summed.id
        """
    )
    op.create_index(
        "ix_click_rollups_running",
        "click_rollups",
        ["link_id", "is_bot", "day"],
        postgresql_include=["running_clicks", "running_visitors"],
        postgresql_where=TOTALS,
        sqlite_where=TOTALS,
    )


    op.create_table(
        "link_period_totals",
        sa.Column("link_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("span", sa.Integer(), nullable=False),
        sa.Column("is_bot", sa.Boolean(), nullable=False),
        sa.Column("value", sa.String(length=255), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("clicks", sa.BigInteger(), nullable=False),
        sa.Column("visitors", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["link_id"],
            ["links.id"],
            name=op.f("fk_link_period_totals_link_id_links"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "link_id", "span", "is_bot", "value", name=op.f("pk_link_period_totals")
        ),
    )
    op.create_index(
        "ix_link_period_totals_span",
        "link_period_totals",
        ["span", "as_of", "link_id"],
        postgresql_include=["is_bot", "value", "clicks", "visitors"],
    )
    # Reports read the period totals of every link rolled up to today: sum them now for
    # those (analytics/period_totals.py; the spans and the hours of today, as it does).
    today = datetime.now(UTC).date()
    for span in (6, 7, 14, 29, 30, 60, 89, 364):
        op.get_bind().execute(
            sa.text(
                """
                INSERT INTO link_period_totals
                    (link_id, span, is_bot, value, as_of, clicks, visitors)
                SELECT r.link_id, :span, r.is_bot, r.value, :today, sum(r.clicks),
                       sum(r.unique_visitors)
                FROM click_rollups AS r JOIN links ON links.id = r.link_id
                WHERE links.rolled_up_until = :today
                  AND (r.dimension = 'total' OR (r.dimension = 'bot' AND r.is_bot))
                  AND r.day >= :first AND r.day < :today
                GROUP BY r.link_id, r.is_bot, r.value
                """
            ).bindparams(sa.bindparam("today", type_=sa.Date), sa.bindparam("first", type_=sa.Date)),
            {"span": span, "today": today, "first": today - timedelta(days=span)},
        )
    first_hour = int(datetime.combine(today, time(), UTC).timestamp()) // 3600
    op.get_bind().execute(
        sa.text(
            """
            INSERT INTO link_period_totals
                (link_id, span, is_bot, value, as_of, clicks, visitors)
            SELECT h.link_id, 0, h.is_bot, h.value, :today, sum(h.clicks), sum(h.new_visitors)
            FROM click_hourly AS h JOIN links ON links.id = h.link_id
            WHERE links.rolled_up_until = :today
              AND (h.dimension = 'total' OR (h.dimension = 'bot' AND h.is_bot))
              AND h.hour >= :first AND h.hour < :first + 24
            GROUP BY h.link_id, h.is_bot, h.value
            """
        ).bindparams(sa.bindparam("today", type_=sa.Date)),
        {"today": today, "first": first_hour},
    )
    # the planner's statistics of the new table now, not at autovacuum's first look: without
    # them a summary of 10,000 links plans its joins blind (170 ms against 120 on the 10M bench)
    op.get_bind().execute(sa.text("ANALYZE link_period_totals"))


def downgrade() -> None:
    op.drop_index("ix_link_period_totals_span", table_name="link_period_totals")
    op.drop_table("link_period_totals")
    op.drop_index("ix_click_rollups_running", table_name="click_rollups")
    with op.batch_alter_table("click_rollups") as table:
        table.drop_column("running_visitors")
        table.drop_column("running_clicks")
