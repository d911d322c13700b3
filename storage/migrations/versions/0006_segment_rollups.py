"""segment rollups: the daily cells split by one attribute at a time; monthly histograms

Questions that filter or group on one attribute (plan, channel, region…) read per-day cells
split by that attribute's value instead of every record's JSON. A day mark now names the
dimension whose cells it covers (empty for the cube's own cells). Durations' histograms are
also kept per month, for long windows. Existing rollups are dropped: the next refresh rebuilds
them (answers read the records meanwhile, as for days not built yet).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 09:00:00
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: Each cube's cells table, the dimension columns its segment cells keep (a ticket's channel and
#: team are left out) and its measured columns.
CUBES: tuple[tuple[str, tuple[tuple[str, Any], ...], tuple[str, ...]], ...] = (
    (
        "rollup_responses_submitted_at",
        (("survey", sa.String(length=8)), ("score", sa.Integer()), ("scale_max", sa.Integer())),
        ("score",),
    ),
    (
        "rollup_tickets_created_at",
        (("escalated", sa.Boolean()),),
        ("first_response_seconds",),
    ),
    (
        "rollup_tickets_resolved_at",
        (("contacts", sa.Integer()), ("reopened", sa.Boolean())),
        ("resolution_seconds", "handle_seconds", "contacts"),
    ),
)


def upgrade() -> None:
    # Every rollup is rebuilt by the next refresh (questions read the records meanwhile): the
    # monthly histograms must exist for every month whose days are all marked.
    op.execute("DELETE FROM rollup_days")
    op.execute("DELETE FROM rollup_histograms")
    for table, _, _ in CUBES:
        op.execute(f"DELETE FROM {table}")
    with op.batch_alter_table("rollup_days", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("dimension", sa.String(length=64), server_default="", nullable=False)
        )
        batch_op.drop_constraint("pk_rollup_days", type_="primary")
        batch_op.create_primary_key("pk_rollup_days", ["cube", "dimension", "day"])
    for table, dims, values in CUBES:
        columns: list[sa.Column[object]] = [
            sa.Column("id", sa.Integer(), nullable=False),
            sa.Column("day", sa.DateTime(timezone=True), nullable=False),
            sa.Column("dimension", sa.String(length=64), nullable=False),
            sa.Column("value", sa.String(length=255), nullable=True),
        ]
        columns += [sa.Column(name, type_, nullable=True) for name, type_ in dims]
        columns.append(sa.Column("n", sa.Integer(), nullable=False))
        for value in values:
            columns += [
                sa.Column(f"n_{value}", sa.Integer(), nullable=False),
                sa.Column(f"s_{value}", sa.Float(), nullable=True),
                sa.Column(f"q_{value}", sa.Float(), nullable=True),
            ]
        name = f"{table}_segments"
        op.create_table(name, *columns, sa.PrimaryKeyConstraint("id"))
        op.create_index(f"ix_{name}_dimension_day", name, ["dimension", "day"], unique=False)
    op.create_table(
        "rollup_segment_histograms",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cube", sa.String(length=40), nullable=False),
        sa.Column("measure", sa.String(length=40), nullable=False),
        sa.Column("dimension", sa.String(length=64), nullable=False),
        sa.Column("value", sa.String(length=255), nullable=True),
        sa.Column("day", sa.DateTime(timezone=True), nullable=False),
        sa.Column("bucket", sa.Integer(), nullable=True),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.Column("low", sa.Float(), nullable=False),
        sa.Column("high", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_rollup_segment_histograms_cube_measure_dimension_day",
        "rollup_segment_histograms",
        ["cube", "measure", "dimension", "day"],
        unique=False,
    )
    op.create_table(
        "rollup_month_histograms",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cube", sa.String(length=40), nullable=False),
        sa.Column("measure", sa.String(length=40), nullable=False),
        sa.Column("dimension", sa.String(length=64), nullable=False),
        sa.Column("value", sa.String(length=255), nullable=True),
        sa.Column("month", sa.DateTime(timezone=True), nullable=False),
        sa.Column("bucket", sa.Integer(), nullable=True),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.Column("low", sa.Float(), nullable=False),
        sa.Column("high", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_rollup_month_histograms_cube_measure_dimension_month",
        "rollup_month_histograms",
        ["cube", "measure", "dimension", "month"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(
        "ix_rollup_month_histograms_cube_measure_dimension_month",
        table_name="rollup_month_histograms",
    )
    op.drop_table("rollup_month_histograms")
    op.drop_index(
        "ix_rollup_segment_histograms_cube_measure_dimension_day",
        table_name="rollup_segment_histograms",
    )
    op.drop_table("rollup_segment_histograms")
    for table, _, _ in CUBES:
        name = f"{table}_segments"
        op.drop_index(f"ix_{name}_dimension_day", table_name=name)
        op.drop_table(name)
    op.execute("DELETE FROM rollup_days WHERE dimension <> ''")
    with op.batch_alter_table("rollup_days", schema=None) as batch_op:
        batch_op.drop_constraint("pk_rollup_days", type_="primary")
        batch_op.create_primary_key("pk_rollup_days", ["cube", "day"])
        batch_op.drop_column("dimension")
