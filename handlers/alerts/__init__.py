"""Alerts: detractors and threshold breaches posted once, claimed and closed from Slack."""
