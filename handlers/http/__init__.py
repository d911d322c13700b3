"""The HTTP API (FastAPI): ingest, KPIs, health. The Slack app is mounted beside it."""
