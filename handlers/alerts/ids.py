"""The action and view ids the alert messages and their listeners share."""

from __future__ import annotations

CLAIM = "alert_claim"
RESOLVE = "alert_resolve"
NO_ACTION = "alert_no_action"
RESOLVE_VIEW = "alert_resolve_view"
NOTE_BLOCK = "alert_note"
NOTE_INPUT = "note"
ACTIONS = (CLAIM, RESOLVE, NO_ACTION)
