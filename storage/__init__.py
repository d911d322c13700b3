"""Storage: tables, migrations, sessions, upserts and the SQL that aggregates.

Knows the database (SQLModel/SQLAlchemy) and nothing of Slack, HTTP or the KPI maths.
"""
