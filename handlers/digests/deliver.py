"""Posting one digest exactly once: claim, build, post, record; then the chart.

The order is the guarantee. The delivery row is claimed in its own committed transaction
before anything is posted, so a second scheduler (or a restarted one) finds it taken. The post
is then recorded as `sent` (with its ts), `failed` (Slack certainly posted nothing: the next
tick retries it) or `unknown` (a timeout after sending: never re-posted automatically; `kpibot
digest send` can). The chart is uploaded after, in the digest's thread; its failure is recorded
and the text digest stands.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from slack_sdk import WebClient

from handlers.deps import Deps
from handlers.digests.blocks import digest_message
from handlers.digests.build import DEFAULT_KPIS, Digest, build_digest, trend
from handlers.digests.chart import trend_png
from handlers.digests.schedule import digest_period, last_fire
from handlers.i18n import say, word
from handlers.logs import log_context
from handlers.privacy.redact import after_digest_posted
from handlers.slack.blocks import Message
from handlers.slack.posting import once_client, outcome
from kpis.periods import Period
from storage.db import session_scope
from storage.digests.store import (
    claim_delivery,
    finish_delivery,
    get_subscription,
    post_outcome,
    record_chart,
    record_post,
    set_paused,
    update_post,
)
from storage.digests.tables import (
    ChartStatus,
    DeliveryStatus,
    DigestSubscription,
    PostStatus,
    Trigger,
)

log = logging.getLogger("kpibot.digests")

#: Who claims: this host and process (shown in the deliveries table).
CLAIMER = f"{socket.gethostname()}:{os.getpid()}"
#: Errors that mean this channel is closed to the bot until a person acts.
CHANNEL_GONE = frozenset({"not_in_channel", "channel_not_found", "is_archived"})
#: A delivery posted more than this after its scheduled time is marked late.
LATE_AFTER = timedelta(minutes=2)


@dataclass(frozen=True)
class Delivery:
    """What one attempt did: the delivery's status (sent, failed, unknown), or skipped (someone
    else has the slot, the digest is gone or paused)."""

    status: DeliveryStatus | Literal["skipped"]
    detail: str = ""
    delivery_id: int | None = None
    message_ts: str | None = None
    chart: ChartStatus = ChartStatus.NONE


def deliver(
    deps: Deps,
    client: WebClient,
    subscription_id: int,
    scheduled_for: datetime,
    *,
    now: datetime,
    trigger: Trigger,
    reclaim: tuple[DeliveryStatus, ...] = (DeliveryStatus.FAILED,),
    claim_at: datetime | None = None,
) -> Delivery:
    """Post the digest of one scheduled instant, once.

    `claim_at` replaces the slot in the claim (a manual re-send gets a slot of its own); the
    period is always the one `scheduled_for` covers.
    """
    with session_scope(deps.sessions) as session:
        subscription = get_subscription(session=session, subscription_id=subscription_id)
    if subscription is None:
        return Delivery("skipped", f"no digest #{subscription_id}")
    if subscription.paused and trigger != Trigger.MANUAL:
        return Delivery("skipped", f"digest #{subscription_id} is paused")
    period = digest_period(
        subscription.cadence, subscription.cron, subscription.timezone, scheduled_for
    )
    late = now - scheduled_for > LATE_AFTER
    with session_scope(deps.sessions) as session:
        claim = claim_delivery(
            session=session,
            subscription_id=subscription_id,
            scheduled_for=claim_at or scheduled_for,
            period_start=period.current.start,
            period_end=period.current.end,
            claimer=CLAIMER,
            trigger=trigger,
            late=late,
            now=now,
            reclaim=reclaim,
        )
    if claim is None:
        return Delivery("skipped", "already claimed by another run")

    def finish(status: DeliveryStatus, **values: str | None) -> None:
        with session_scope(deps.sessions) as session:
            finish_delivery(
                session=session, delivery_id=claim.delivery_id, status=status, now=now, **values
            )
        deps.metrics.digest_deliveries.labels(status=status.value).inc()

    with log_context(delivery_id=claim.delivery_id, subscription_id=subscription_id):
        return _post(
            deps,
            client,
            subscription,
            period,
            claim.delivery_id,
            finish,
            late=late,
            scheduled_for=scheduled_for,
            trigger=trigger,
            now=now,
        )


def _post(
    deps: Deps,
    client: WebClient,
    subscription: DigestSubscription,
    period: Period,
    delivery_id: int,
    finish: Callable[..., None],
    *,
    late: bool,
    scheduled_for: datetime,
    trigger: Trigger,
    now: datetime,
) -> Delivery:
    """Compose, record what the message quotes, post, record where it went; then the chart."""
    settings = deps.settings
    assert subscription.id is not None
    subscription_id = subscription.id
    try:
        digest, message, png = compose(
            deps, subscription, period, late=late, scheduled_for=scheduled_for
        )
        with session_scope(deps.sessions) as session:
            post_id = record_post(
                session=session,
                delivery_id=delivery_id,
                subscription_id=subscription_id,
                channel_id=subscription.channel_id,
                timezone=subscription.timezone,
                text=message.text,
                blocks=message.blocks,
                response_ids=[c.response_id for c in digest.comments],
                now=now,
            )
    except Exception as exc:  # a bug or a database outage: nothing was posted
        log.exception("building digest #%s failed", subscription_id)
        finish(DeliveryStatus.FAILED, error=f"building the digest failed: {exc}")
        return Delivery(DeliveryStatus.FAILED, str(exc), delivery_id)
    try:
        response = client.chat_postMessage(
            channel=subscription.channel_id,
            text=message.text,
            blocks=message.blocks,
            unfurl_links=False,
            unfurl_media=False,
        )
    except Exception as exc:
        result = outcome(exc)
        status = DeliveryStatus.UNKNOWN if result.kind == "unknown" else DeliveryStatus.FAILED
        log.warning("digest #%s: %s (%s)", subscription_id, status, result.error)
        with session_scope(deps.sessions) as session:
            post_outcome(
                session=session,
                post_id=post_id,
                status=PostStatus.UNKNOWN if status == DeliveryStatus.UNKNOWN else None,
            )
        finish(status, error=result.error)
        if result.error in CHANNEL_GONE:  # a token problem is not the channel's: no pause
            _pause_and_tell(deps, client, subscription_id, subscription.created_by, result.error)
        return Delivery(status, result.error, delivery_id)
    ts = str(response.get("ts") or "")
    with session_scope(deps.sessions) as session:
        post_outcome(session=session, post_id=post_id, status=PostStatus.POSTED, ts=ts)
    finish(DeliveryStatus.SENT, message_ts=ts)
    chart = ChartStatus.NONE
    if png is not None:
        chart = _upload_chart(deps, client, delivery_id, subscription.channel_id, ts, png)
        if chart == ChartStatus.FAILED:
            retold = digest_message(
                digest,
                currency=settings.currency,
                language=settings.language,
                chart=False,
                scheduled_for=scheduled_for,
            )
            try:
                client.chat_update(
                    channel=subscription.channel_id,
                    ts=ts,
                    text=retold.text,
                    blocks=retold.blocks,
                )
                with session_scope(deps.sessions) as session:
                    update_post(
                        session=session, post_id=post_id, text=retold.text, blocks=retold.blocks
                    )
            except Exception:
                log.warning("digest #%s: could not drop the chart note", subscription_id)
    # composed before an erasure committed, posted after it: redacted at once
    after_digest_posted(deps, post_id)
    log.info("digest #%s sent for %s (%s)", subscription_id, scheduled_for, trigger)
    return Delivery(DeliveryStatus.SENT, "", delivery_id, ts, chart)


def compose(
    deps: Deps,
    subscription: DigestSubscription,
    period: Period,
    *,
    late: bool = False,
    scheduled_for: datetime | None = None,
) -> tuple[Digest, Message, bytes | None]:
    """The digest of `period`: its data, its message and its chart (None without data)."""
    settings = deps.settings
    digest = build_digest(deps, subscription, period, late=late)
    keys = subscription.kpis or list(DEFAULT_KPIS)
    series = trend(deps, subscription, period, keys) if digest.has_data else []
    language = settings.language
    title = word(f"digest_chart_title_{subscription.cadence}", language)
    png = trend_png(series, title=title, language=language) if series else None
    message = digest_message(
        digest,
        currency=settings.currency,
        language=settings.language,
        chart=png is not None,
        scheduled_for=scheduled_for,
    )
    return digest, message, png


def _upload_chart(
    deps: Deps, client: WebClient, delivery_id: int, channel: str, ts: str, png: bytes
) -> ChartStatus:
    try:
        client.files_upload_v2(
            channel=channel,
            thread_ts=ts,
            file=png,
            filename="kpibot-trend.png",
            title=word("digest_chart_file", deps.settings.language),
        )
    except Exception as exc:
        error = outcome(exc).error
        log.warning("chart upload failed: %s", error)
        with session_scope(deps.sessions) as session:
            record_chart(
                session=session, delivery_id=delivery_id, chart=ChartStatus.FAILED, error=error
            )
        return ChartStatus.FAILED
    with session_scope(deps.sessions) as session:
        record_chart(session=session, delivery_id=delivery_id, chart=ChartStatus.UPLOADED)
    return ChartStatus.UPLOADED


def _pause_and_tell(
    deps: Deps, client: WebClient, subscription_id: int, creator: str, error: str
) -> None:
    """The channel is gone for the bot: pause the digest and tell whoever created it."""
    language = deps.settings.language
    if error in CHANNEL_GONE:
        reason = word(f"digest_gone_{error}", language)
    else:
        reason = say("digest_gone_other", language, error=error)
    with session_scope(deps.sessions) as session:
        set_paused(
            session=session,
            subscription_id=subscription_id,
            paused=True,
            reason=reason,
            now=deps.clock(),
        )
    if not creator:
        return
    try:
        client.chat_postMessage(
            channel=creator,
            text=say("digest_paused_dm", language, id=subscription_id, reason=reason),
        )
    except Exception:
        log.warning("could not tell %s that digest #%s is paused", creator, subscription_id)


class DigestError(Exception):
    """A digest `kpibot digest send` could not post; the message says why."""


def send_now(deps: Deps, subscription_id: int, *, again: bool = False) -> str:
    """Post a subscription's latest slot now (`kpibot digest send`), with the scheduler's claim
    rules: a slot that failed, was missed or whose fate is unknown is claimed and posted; one
    already sent (or being sent) is refused unless `again`, which posts a fresh copy.
    Returns what happened; DigestError when nothing was posted."""
    with session_scope(deps.sessions) as session:
        subscription = get_subscription(session=session, subscription_id=subscription_id)
    if subscription is None:
        raise DigestError(f"no digest #{subscription_id} (see `kpibot digest list`)")
    now = deps.clock()
    slot = last_fire(subscription.cron, subscription.timezone, now) or now
    result = deliver(
        deps,
        once_client(deps),
        subscription_id,
        slot,
        now=now,
        trigger=Trigger.MANUAL,
        reclaim=(DeliveryStatus.FAILED, DeliveryStatus.UNKNOWN, DeliveryStatus.MISSED),
        claim_at=now if again else None,
    )
    if result.status == "skipped":
        raise DigestError(
            f"digest #{subscription_id} for {slot:%Y-%m-%d %H:%M} UTC: {result.detail} "
            "(--again posts a fresh copy)"
        )
    if result.status != DeliveryStatus.SENT:
        raise DigestError(f"digest #{subscription_id}: {result.status}: {result.detail}")
    return f"digest #{subscription_id} sent (ts {result.message_ts}, chart {result.chart})"
