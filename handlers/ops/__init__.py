"""Running kpibot for real: `/metrics`, `kpibot doctor`, scheduler heartbeats, and incidents
told once to the ops channel (and once when they recover)."""
