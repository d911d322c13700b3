"""Personal data: erasure (GDPR art. 17), export (art. 15), retention, and the redaction of the
Slack messages that quoted it."""
