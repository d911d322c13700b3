"""Adapters: HTTP routes, Slack listeners and Block Kit, scheduled jobs, the CLI's commands.

They translate the outside world into calls on `kpis` and `storage`, and results back out.
"""
