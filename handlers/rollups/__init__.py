"""Daily rollups: the job that builds the days that ended."""
