"""What a feature adds to kpibot, declared in one place: its registration.

Each feature (KPI answers, ingest, digests, alerts, rollups…) is a folder under `handlers/`
whose `__init__.py` exposes one `FEATURE`. `bot.py` lists the features once and every part is
wired from that list: the `/kpi` subcommands (help and list included) and their help lines,
the Bolt listeners, the HTTP routers, the scheduled jobs, the start-up notes and the doctor's
checks. Adding a
feature is adding a folder and one line to that list.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from apscheduler.schedulers.base import BaseScheduler
from fastapi import APIRouter
from slack_bolt import App
from slack_sdk import WebClient

from handlers.deps import Deps
from handlers.slack.access import Access
from handlers.slack.blocks import Message
from handlers.slack.caller import Caller
from handlers.slack.text import CommandText
from settings import Settings


@dataclass(frozen=True)
class Asked:
    """A `/kpi WORD …` subcommand's request: who asks, the words after WORD, and the
    registry of every feature's subcommands (for `help`)."""

    deps: Deps
    words: CommandText
    caller: Caller
    commands: Commands
    #: The asker's language when their words say it clearly, else KPIBOT_LANGUAGE.
    language: str = ""

    @property
    def says(self) -> str:
        """The language to answer in."""
        return self.language or self.deps.settings.language


#: A `/kpi` subcommand: the request in, the (ephemeral) message to show out.
Subcommand = Callable[[Asked], Message]


@dataclass(frozen=True)
class Check:
    """One line of `kpibot doctor`: what was checked, whether it holds (None: off, not
    configured), and what was found."""

    name: str
    ok: bool | None
    detail: str


@dataclass(frozen=True)
class SlackParts:
    """What Bolt listeners are built with besides the app: the deps, the access rules, a pool
    for work that may outlast Slack's 3-second acknowledgement, and the `/kpi` registry."""

    deps: Deps
    access: Access
    pool: ThreadPoolExecutor
    commands: Commands


@dataclass(frozen=True)
class Feature:
    """One feature's registration; every field is optional."""

    name: str
    #: `/kpi WORD …`: each word (aliases included) and what answers it.
    subcommands: Mapping[str, Subcommand] = field(default_factory=dict)
    #: The i18n keys of the lines `/kpi help` shows for this feature.
    help: tuple[str, ...] = ()
    #: Registers its Bolt listeners (commands, actions, views, events).
    listeners: Callable[[App, SlackParts], None] | None = None
    #: The Events API events its listeners answer (the app manifest subscribes to them).
    events: tuple[str, ...] = ()
    #: Its HTTP routers.
    routers: Callable[[Deps], Sequence[APIRouter]] | None = None
    #: Adds its scheduled jobs; `client` is the once-only Slack client.
    jobs: Callable[[BaseScheduler, Deps, WebClient], None] | None = None
    #: Whether its jobs post to Slack (without SLACK_BOT_TOKEN they are not scheduled).
    jobs_post: bool = False
    #: What `serve` says at start-up about it: what is off and which setting turns it on.
    notes: Callable[[Settings], Sequence[str]] | None = None
    #: Its lines of `kpibot doctor` (a connector: that its secret is set for the vendor).
    checks: Callable[[Deps], Sequence[Check]] | None = None


@dataclass(frozen=True)
class Commands:
    """Every feature's `/kpi` subcommands and help lines, gathered once."""

    subcommands: Mapping[str, Subcommand]
    help: tuple[str, ...]

    @classmethod
    def of(cls, features: Sequence[Feature]) -> Commands:
        """The registry of these features; two features claiming one word is a bug."""
        table: dict[str, Subcommand] = {}
        owners: dict[str, str] = {}
        for feature in features:
            for word, handler in feature.subcommands.items():
                if word in table:
                    raise ValueError(
                        f"/kpi {word} is claimed by both {owners[word]} and {feature.name}"
                    )
                table[word] = handler
                owners[word] = feature.name
        return cls(table, tuple(key for f in features for key in f.help))

    def find(self, word: str) -> Subcommand | None:
        """The subcommand a first word names (case-insensitive), if any."""
        return self.subcommands.get(word.lower())
