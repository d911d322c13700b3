"""Every connector, once: a new vendor is its module and one line here."""

from __future__ import annotations

from handlers.connectors import delighted, freshdesk, helpscout, intercom, typeform, zendesk
from handlers.connectors.base import Connector
from handlers.connectors.presets import Preset

CONNECTORS: tuple[Connector, ...] = (
    typeform.CONNECTOR,
    delighted.CONNECTOR,
    intercom.CONNECTOR,
    zendesk.CONNECTOR,
    helpscout.CONNECTOR,
    freshdesk.CONNECTOR,
)

#: The export presets (`kpibot import … --preset NAME`), by name.
PRESETS: dict[str, Preset] = {c.preset.name: c.preset for c in CONNECTORS if c.preset is not None}
