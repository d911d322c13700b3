"""Connectors: webhooks from the survey tools and helpdesks CX teams use, and their exports."""
