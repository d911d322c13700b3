"""The alerts' storage: routes, threshold rules and the alerts outbox (`tables`), and the
claims and queries on them (`store`)."""
