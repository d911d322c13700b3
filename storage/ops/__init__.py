"""The operator's storage: incidents told to the ops channel (the unique open key is the
claim), scheduler heartbeats and connector health (`tables`, `store`)."""
