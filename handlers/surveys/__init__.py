"""Surveys answered inside Slack: eNPS and CSAT pulses DMed to a channel's members, anonymous
by construction."""
