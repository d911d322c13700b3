"""the vendor's event time on survey responses and tickets, for the connectors' merge writes

A ticket from a helpdesk is built up across deliveries that arrive out of order; the merge
write keeps the labels (team, agent, channel, attributes) of the newest event, which this
column dates. API and file records leave it empty.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-24 10:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("survey_responses", "tickets")


def upgrade() -> None:
    for table in TABLES:
        op.add_column(table, sa.Column("event_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.drop_column("event_at")
