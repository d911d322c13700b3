"""The action and view ids the survey DMs and their listeners share."""

from __future__ import annotations

import re

#: A score button: `survey_score_7`, value `ROUND:SCORE`.
SCORE_PREFIX = "survey_score_"
SCORE = re.compile(r"^survey_score_\d+$")
COMMENT_VIEW = "survey_comment_view"
COMMENT_BLOCK = "survey_comment"
COMMENT_INPUT = "comment"
