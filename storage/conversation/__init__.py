"""The conversation feature's storage: the claims that answer each Slack event once."""
