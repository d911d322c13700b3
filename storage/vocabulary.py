"""The words the data holds: distinct attribute values with their attribute name, bounded.

A sentence reader recognises `enterprise` as a value of `plan` because some record says so.
This reads those (attribute, value) pairs from the newest records of every source: their own
segment columns (a ticket's channel, team, agent) and their `attributes`. It is bounded three
ways, so it stays a small query on any table: only the newest `sample` records of each source,
no attribute with more than `per_attribute` values in them (identifiers, not segments), and
at most `limit` pairs in all.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Select, func, literal, select, true
from sqlalchemy.orm import Session

from storage.aggregate.sql import TABLES

#: The records' own columns that hold segments (what `by channel` groups on).
SEGMENT_COLUMNS: dict[str, tuple[str, ...]] = {
    "responses": (),
    "tickets": ("channel", "team", "agent"),
    "counters": (),
}
#: Values longer than this are text, not a segment anyone says.
LONGEST_VALUE = 64


def _pairs(session: Session, source: str, sample: int) -> list[Select[Any]]:
    """Statements giving the distinct (attribute, value) pairs of a source's newest records."""
    table = TABLES[source]
    recent = select(table).order_by(table.c.id.desc()).limit(sample).subquery()
    statements: list[Select[Any]] = []
    for name in SEGMENT_COLUMNS[source]:
        value: ColumnElement[Any] = recent.c[name]
        statements.append(
            select(literal(name).label("attribute"), value.label("value"))
            .where(value.is_not(None))
            .distinct()
        )
    if session.get_bind().dialect.name == "postgresql":
        each = func.jsonb_each_text(recent.c.attributes).table_valued("key", "value")
    else:
        each = func.json_each(recent.c.attributes).table_valued("key", "value")
    statements.append(
        select(each.c.key.label("attribute"), each.c.value.label("value"))
        .select_from(recent)
        .join(each, true())
        .distinct()
    )
    return statements


def attribute_values(
    *,
    session: Session,
    sample: int = 20_000,
    per_attribute: int = 200,
    limit: int = 5_000,
) -> list[tuple[str, str]]:
    """Distinct (attribute, value) pairs of the newest `sample` records of each source, sorted;
    attributes with more than `per_attribute` values are left out, `limit` pairs at most."""
    statements = [s for source in SEGMENT_COLUMNS for s in _pairs(session, source, sample)]
    union = statements[0].union(*statements[1:]).subquery()
    length = func.length(union.c.value)
    pairs = (
        select(
            union.c.attribute,
            union.c.value,
            func.count().over(partition_by=union.c.attribute).label("values"),
        )
        .where(length >= 1, length <= LONGEST_VALUE)
        .subquery()
    )
    stmt = (
        select(pairs.c.attribute, pairs.c.value)
        .where(pairs.c["values"] <= per_attribute)
        .order_by(pairs.c.attribute, pairs.c.value)
        .limit(limit)
    )
    return [(str(name), str(value)) for name, value in session.execute(stmt)]
