"""The app's Home tab: each viewer's dashboard (KPIs, open alerts, their channels' digests)."""
