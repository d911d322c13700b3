"""The scheduler (APScheduler 3) that runs every feature's jobs, inside `kpibot serve` or alone."""
