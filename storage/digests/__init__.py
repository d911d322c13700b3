"""The digests' storage: subscriptions and delivery claims (`tables`), and the claims and
queries on them (`store`)."""
