"""domains: extra short domains, links.domain, codes unique per domain

Revision ID: 0005_domains
Revises: 0004_i20_smartlinks
Create Date: 2026-12-06 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_domains"
down_revision: str | Sequence[str] | None = "0004_i20_smartlinks"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "domains",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("host", sa.String(length=253), nullable=False),
        sa.Column("root_redirect", sa.Text(), nullable=True),
        sa.Column("not_found_redirect", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_domains")),
        sa.UniqueConstraint("host", name=op.f("uq_domains_host")),
    )
    with op.batch_alter_table("links") as batch:
        batch.add_column(sa.Column("domain", sa.String(253), nullable=False, server_default=""))
        batch.drop_constraint("uq_links_code", type_="unique")
        batch.create_unique_constraint("uq_links_code_domain", ["code", "domain"])
        batch.create_index("ix_links_code", ["code"])


def downgrade() -> None:
    # Links on other domains would collide on `code` alone: they go with their domains.
    op.execute("DELETE FROM links WHERE domain <> ''")
    with op.batch_alter_table("links") as batch:
        batch.drop_index("ix_links_code")
        batch.drop_constraint("uq_links_code_domain", type_="unique")
        batch.create_unique_constraint("uq_links_code", ["code"])
        batch.drop_column("domain")
    op.drop_table("domains")
