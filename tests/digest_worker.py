"""A second bot process for the exactly-once test: runs the digests' catch-up at a fixed instant.

Usage: python -m tests.digest_worker DATABASE_URL SLACK_API_URL NOW_ISO START_AT_EPOCH
It waits until START_AT_EPOCH so that several workers race for the same deliveries, then prints
each delivery's status, one per line.
"""

from __future__ import annotations

import sys
import time
from datetime import datetime

from bot import build_deps
from handlers.digests.jobs import catch_up
from handlers.slack.posting import once_client
from settings import Settings


def main() -> None:
    database_url, api_url, now_text, start_text = sys.argv[1:5]
    settings = Settings(
        database_url=database_url, slack_bot_token="xoxb-test", slack_api_url=api_url
    )
    deps = build_deps(settings)
    client = once_client(deps)
    time.sleep(max(0.0, float(start_text) - time.time()))
    for delivery in catch_up(deps, client, now=datetime.fromisoformat(now_text)):
        print(delivery.status, flush=True)
    deps.engine.dispose()


if __name__ == "__main__":
    main()
