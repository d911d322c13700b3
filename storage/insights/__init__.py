"""What the insights read beyond the aggregates: the period's detractor comments (`store`)."""
