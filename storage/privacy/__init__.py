"""Personal data's storage: erasure and retention in one transaction each, the export, and the
redaction outbox of the Slack messages that quoted a customer (`tables`, `store`)."""
