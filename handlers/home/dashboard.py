"""Building a viewer's dashboard: the KPI answers, the open alerts, their channels' digests and
the day's trend image; and the one-minute cache that makes opening the tab again free.

The KPI cards are the answers `/kpi <kpi> last-7d` and `last-30d` give (`handlers.answers.
service.answer`), shared by every viewer. The digests shown are those of the channels the
viewer is in (one `users.conversations` call). The trend image (the Home KPIs over the last 12
weeks, the digest's small multiples) is drawn and uploaded once a local day: the day's row in
`home_trends` is the claim (`storage.home`), and the view refers to the file by its id.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from slack_sdk import WebClient

from handlers.answers.service import KpiError, answer, answer_series
from handlers.deps import Deps
from handlers.digests.build import Series as TrendSeries
from handlers.digests.chart import trend_png
from handlers.home.view import AlertItem, Card, Dashboard, DigestItem
from handlers.i18n import explain, word
from kpis.question import Question
from kpis.series import Series
from storage.alerts.store import answers as alert_answers
from storage.alerts.store import open_alerts
from storage.db import session_scope
from storage.digests.store import latest_deliveries, list_subscriptions
from storage.home.store import claim_trend, latest_trend, record_trend, release_trend

log = logging.getLogger("kpibot.slack")

#: How long a built view (and the KPI cards) is served again.
CACHE_SECONDS = 60
#: A trend claim without a file after this long was left by a process that died.
STALE_CLAIM = timedelta(minutes=5)
TREND_PERIOD = "last-12w"
TREND_KPIS = 4


@dataclass
class Cache:
    """Values kept for a minute of the deps' clock, by key, shared by the pool's threads."""

    clock: Callable[[], datetime]
    seconds: float = CACHE_SECONDS
    _kept: dict[str, tuple[datetime, Any]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def get(self, key: str, compute: Callable[[], Any]) -> Any:
        """The value kept under `key` when younger than a minute, else a fresh one."""
        now = self.clock()
        with self._lock:
            hit = self._kept.get(key)
            if hit is not None and (now - hit[0]).total_seconds() < self.seconds:
                return hit[1]
        value = compute()
        with self._lock:
            self._kept[key] = (now, value)
        return value

    def clear(self) -> None:
        """Forget everything (an alert was claimed: every viewer's list changed)."""
        with self._lock:
            self._kept.clear()


def cards(deps: Deps) -> list[Card]:
    """The Home KPIs over the last 7 and 30 days, as `/kpi` answers them."""
    language = deps.settings.language
    out = []
    for key in deps.settings.home_kpis:
        try:
            week = answer(deps=deps, question=Question(key, "last-7d"))
            month = answer(deps=deps, question=Question(key, "last-30d"))
        except KpiError as exc:
            out.append(Card(key, error=explain(exc, language)))
            continue
        out.append(Card(key, week, month))
    return out


def _channels_of(client: WebClient, user_id: str) -> set[str]:
    """The channels the viewer is in (that the bot can see)."""
    found: set[str] = set()
    cursor = None
    for _ in range(10):  # 10 pages of 1,000 channels
        page = client.users_conversations(
            user=user_id,
            types="public_channel,private_channel",
            exclude_archived=True,
            limit=1000,
            cursor=cursor,
        )
        found.update(str(c.get("id")) for c in page.get("channels") or [])
        cursor = (page.get("response_metadata") or {}).get("next_cursor")
        if not cursor:
            break
    return found


def _trend_series(series: Series) -> TrendSeries:
    zone = ZoneInfo(series.period.tz)
    starts = [w.start.astimezone(zone).strftime("%d %b") for w in series.steps]
    return TrendSeries(series.key, series.name, series.unit, starts, series.lines[0].values)


def trend(deps: Deps, client: WebClient) -> tuple[str | None, str]:
    """The day's trend image (uploaded now if this process wins the day's claim), or the
    newest earlier one: (Slack file id or None, its alt text)."""
    settings = deps.settings
    language = settings.language
    now = deps.clock()
    day = now.astimezone(settings.tz).date().isoformat()
    names = []
    with session_scope(deps.sessions) as session:
        won = claim_trend(session=session, day=day, now=now, stale_before=now - STALE_CLAIM)
    if won:
        try:
            drawn = []
            for key in settings.home_kpis[:TREND_KPIS]:
                try:
                    one = answer_series(deps=deps, question=Question(key, TREND_PERIOD))
                except KpiError:
                    continue
                if any(v is not None for v in one.lines[0].values):
                    drawn.append(_trend_series(one))
                    names.append(one.display_name(language))
            if not drawn:
                with session_scope(deps.sessions) as session:
                    release_trend(session=session, day=day)
            else:
                title = word("home_trend", language)
                png = trend_png(drawn, title=title, language=language)
                alt = f"{title}: {', '.join(names)}"
                uploaded = client.files_upload_v2(
                    file=png, filename=f"kpibot-home-{day}.png", title=title, alt_txt=alt
                )
                file_id = str((uploaded.get("file") or {}).get("id") or "")
                with session_scope(deps.sessions) as session:
                    if file_id:
                        record_trend(session=session, day=day, file_id=file_id)
                    else:
                        release_trend(session=session, day=day)
        except Exception:
            log.exception("the Home tab's trend image could not be uploaded")
            with session_scope(deps.sessions) as session:
                release_trend(session=session, day=day)
    with session_scope(deps.sessions) as session:
        found = latest_trend(session=session, day=day)
    alt = word("home_trend", language)
    if names:
        alt += ": " + ", ".join(names)
    return (found[1] if found else None), alt


def dashboard(
    deps: Deps, client: WebClient, *, user_id: str, shared: Cache, help_lines: tuple[str, ...]
) -> Dashboard:
    """One viewer's dashboard: the shared KPI cards and trend, their alerts and digests."""
    kpi_cards, (trend_file, trend_alt) = shared.get(
        "shared", lambda: (cards(deps), trend(deps, client))
    )
    with session_scope(deps.sessions) as session:
        listed = open_alerts(session=session, limit=50)
        behind = alert_answers(
            session=session, response_ids=[a.response_id for a in listed if a.response_id]
        )
        subscriptions = list_subscriptions(session=session)
        last = latest_deliveries(session=session)
    items = [AlertItem(a, behind.get(a.response_id) if a.response_id else None) for a in listed]
    digests: list[DigestItem] = []
    if subscriptions:
        try:
            mine = _channels_of(client, user_id)
        except Exception:
            log.warning("users.conversations failed: the Home tab shows no digest")
            mine = set()
        digests = [
            DigestItem(s, last.get(s.id) if s.id is not None else None)
            for s in subscriptions
            if s.channel_id in mine
        ]
    shown = items[:10]
    return Dashboard(
        at=deps.clock(),
        tz=deps.settings.timezone,
        cards=kpi_cards,
        alerts=shown,
        more_alerts=len(items) - len(shown),
        digests=digests,
        trend_file=trend_file,
        trend_alt=trend_alt,
        help_lines=help_lines,
    )
