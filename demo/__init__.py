"""A realistic, seeded synthetic history for the demo and the benchmarks."""
