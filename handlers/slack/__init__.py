"""What every Slack feature shares: the Bolt app built from the features' listeners, the access
rules, command text, Block Kit primitives and the once-only Web API client."""
