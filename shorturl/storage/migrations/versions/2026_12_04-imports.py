"""import_jobs and imported_links: resumable importers from Shlink, YOURLS, Kutt, Bitly, CSV

Revision ID: 0004_i22_import
Revises: 0004_i21_live
Create Date: 2026-12-04 21:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_i22_import"
down_revision: str | Sequence[str] | None = "0004_i21_live"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "import_jobs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("origin", sa.Text(), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("cursor", sa.JSON(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=True),
        sa.Column("processed", sa.Integer(), nullable=False),
        sa.Column("created", sa.Integer(), nullable=False),
        sa.Column("unchanged", sa.Integer(), nullable=False),
        sa.Column("clashes", sa.Integer(), nullable=False),
        sa.Column("failed", sa.Integer(), nullable=False),
        sa.Column("clicks", BigId, nullable=False),
        sa.Column("problems", sa.JSON(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("upload", sa.LargeBinary(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["owner_id"],
            ["users.id"],
            name=op.f("fk_import_jobs_owner_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_import_jobs")),
    )
    with op.batch_alter_table("import_jobs") as batch:
        batch.create_index("ix_import_jobs_fingerprint_status", ["fingerprint", "status"])
    op.create_table(
        "imported_links",
        sa.Column("link_id", BigId, nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("job_id", sa.Integer(), nullable=True),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["link_id"],
            ["links.id"],
            name=op.f("fk_imported_links_link_id_links"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["job_id"],
            ["import_jobs.id"],
            name=op.f("fk_imported_links_job_id_import_jobs"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("link_id", name=op.f("pk_imported_links")),
    )
    with op.batch_alter_table("imported_links") as batch:
        batch.create_index(op.f("ix_imported_links_job_id"), ["job_id"])


def downgrade() -> None:
    with op.batch_alter_table("imported_links") as batch:
        batch.drop_index(op.f("ix_imported_links_job_id"))
    op.drop_table("imported_links")
    with op.batch_alter_table("import_jobs") as batch:
        batch.drop_index("ix_import_jobs_fingerprint_status")
    op.drop_table("import_jobs")
