"""Scheduled work: digests and alerts, run by APScheduler 3 inside `kpibot serve` or alone."""
