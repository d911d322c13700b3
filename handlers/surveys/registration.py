"""The surveys feature: `/kpi survey …`, the score buttons and comment modal, and the jobs that
DM at Slack's pace, remind, close rounds and open recurring pulses."""

from __future__ import annotations

from handlers.feature import Feature
from handlers.surveys.actions import register_survey_actions
from handlers.surveys.commands import survey_command
from handlers.surveys.jobs import setup

FEATURE = Feature(
    name="surveys",
    subcommands={"survey": survey_command, "surveys": survey_command, "sondage": survey_command},
    help=("help_surveys",),
    listeners=register_survey_actions,
    jobs=setup,
    jobs_post=True,
)
