"""The KPI answers feature: slash commands (charts included), `/kpi help` and `list`, the KPI
API."""

from __future__ import annotations

from collections.abc import Sequence

from fastapi import APIRouter
from slack_bolt import App

from handlers.answers.blocks import HELP
from handlers.answers.commands import SUBCOMMANDS, register
from handlers.answers.http import router
from handlers.deps import Deps
from handlers.feature import Feature, SlackParts


def _listeners(app: App, parts: SlackParts) -> None:
    register(app, parts)


def _routers(deps: Deps) -> Sequence[APIRouter]:
    return [router(deps)]


FEATURE = Feature(
    name="answers",
    subcommands=SUBCOMMANDS,
    help=HELP,
    listeners=_listeners,
    routers=_routers,
)
