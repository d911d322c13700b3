"""Scheduled digests: subscriptions managed from Slack, built from the KPI engine, posted once."""
