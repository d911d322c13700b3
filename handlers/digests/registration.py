"""The digests feature: `/kpi digest …` and the jobs that post each digest once."""

from __future__ import annotations

from handlers.digests.commands import digest_command
from handlers.digests.jobs import setup
from handlers.feature import Feature

FEATURE = Feature(
    name="digests",
    subcommands={"digest": digest_command, "digests": digest_command},
    help=("help_digests",),
    jobs=setup,
    jobs_post=True,
)
