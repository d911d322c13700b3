"""The Slack app: Bolt listeners, command text parsing, Block Kit builders, access rules."""
