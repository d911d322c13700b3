"""redactions, erasures, digest posts, incidents, heartbeats and connector health

Personal data: the redaction outbox, the log of erasures and retention runs (counts only), the
daily-run claims, and the digest messages as posted with the responses they quoted (so a
digest can be redacted). Operations: the ops channel's incidents, the schedulers' heartbeats
and the connectors' delivery health.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 08:08:52
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "connector_health",
        sa.Column("vendor", sa.String(length=64), nullable=False),
        sa.Column("failures_in_row", sa.Integer(), nullable=False),
        sa.Column("last_outcome", sa.String(length=16), nullable=False),
        sa.Column("last_ok_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_failed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("vendor"),
    )
    op.create_table(
        "daily_runs",
        sa.Column("job", sa.String(length=40), nullable=False),
        sa.Column("day", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("job", "day", name="pk_daily_runs"),
    )
    op.create_table(
        "digest_posts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("delivery_id", sa.Integer(), nullable=False),
        sa.Column("subscription_id", sa.Integer(), nullable=False),
        sa.Column("channel_id", sa.String(length=32), nullable=False),
        sa.Column("message_ts", sa.String(length=32), nullable=True),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column(
            "blocks",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("redacted_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("digest_posts", schema=None) as batch_op:
        batch_op.create_index("ix_digest_posts_delivery", ["delivery_id"], unique=False)

    op.create_table(
        "erasures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=12), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("responses", sa.Integer(), nullable=False),
        sa.Column("tickets", sa.Integer(), nullable=False),
        sa.Column("alerts", sa.Integer(), nullable=False),
        sa.Column("filters", sa.Integer(), nullable=False),
        sa.Column("messages", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "ops_incidents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=128), nullable=False),
        sa.Column("open_key", sa.String(length=128), nullable=True),
        sa.Column(
            "details",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("opened_post", sa.String(length=8), nullable=False),
        sa.Column("resolved_post", sa.String(length=8), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("open_key", name="uq_ops_incidents_open_key"),
    )
    with op.batch_alter_table("ops_incidents", schema=None) as batch_op:
        batch_op.create_index("ix_ops_incidents_key", ["key", "opened_at"], unique=False)

    op.create_table(
        "redactions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("target", sa.String(length=8), nullable=False),
        sa.Column("target_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=12), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("target", "target_id", name="uq_redactions_target"),
    )
    with op.batch_alter_table("redactions", schema=None) as batch_op:
        batch_op.create_index("ix_redactions_status", ["status", "next_attempt_at"], unique=False)

    op.create_table(
        "scheduler_heartbeats",
        sa.Column("worker", sa.String(length=128), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("beat_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "jobs",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("worker"),
    )
    op.create_table(
        "digest_quotes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("post_id", sa.Integer(), nullable=False),
        sa.Column("response_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["post_id"], ["digest_posts.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("post_id", "response_id", name="uq_digest_quotes_post_response"),
    )
    with op.batch_alter_table("digest_quotes", schema=None) as batch_op:
        batch_op.create_index("ix_digest_quotes_response", ["response_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("digest_quotes", schema=None) as batch_op:
        batch_op.drop_index("ix_digest_quotes_response")

    op.drop_table("digest_quotes")
    op.drop_table("scheduler_heartbeats")
    with op.batch_alter_table("redactions", schema=None) as batch_op:
        batch_op.drop_index("ix_redactions_status")

    op.drop_table("redactions")
    with op.batch_alter_table("ops_incidents", schema=None) as batch_op:
        batch_op.drop_index("ix_ops_incidents_key")

    op.drop_table("ops_incidents")
    op.drop_table("erasures")
    with op.batch_alter_table("digest_posts", schema=None) as batch_op:
        batch_op.drop_index("ix_digest_posts_delivery")

    op.drop_table("digest_posts")
    op.drop_table("daily_runs")
    op.drop_table("connector_health")
