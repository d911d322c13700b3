"""duration indexes, and PostgreSQL rollups rebuilt with histograms

Exact percentiles of durations rank only the values of one histogram bucket, read in order from
an index on (duration, time column). Rollups built before this revision kept daily histograms on
SQLite only; PostgreSQL's are dropped so the next refresh rebuilds every day with them.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 10:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXES = (
    ("ix_tickets_first_response_seconds", ["first_response_seconds", "created_at"]),
    ("ix_tickets_resolution_seconds", ["resolution_seconds", "resolved_at"]),
    ("ix_tickets_handle_seconds", ["handle_seconds", "resolved_at"]),
)
CELLS = (
    "rollup_responses_submitted_at",
    "rollup_tickets_created_at",
    "rollup_tickets_resolved_at",
)


def upgrade() -> None:
    for name, columns in INDEXES:
        op.create_index(name, "tickets", columns, unique=False)
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DELETE FROM rollup_days")
        op.execute("DELETE FROM rollup_histograms")
        for table in CELLS:
            op.execute(f"DELETE FROM {table}")


def downgrade() -> None:
    for name, _ in INDEXES:
        op.drop_index(name, table_name="tickets")
