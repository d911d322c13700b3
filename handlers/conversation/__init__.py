"""The conversation feature: questions asked by @mention in a channel or in a direct message."""
