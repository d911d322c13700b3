"""The surveys' work, each step taking `now`: list members, send the DMs at Slack's pace,
queue the reminder, close rounds, post their results.

Each step claims its row before its side effect (`storage.surveys.store`), so several workers
or a restarted one never list twice, DM anyone twice, remind twice or post a result twice.
DMs go out at most `KPIBOT_SURVEY_DM_RATE` a second after a burst of `KPIBOT_SURVEY_DM_BURST`
(`Pace`, on the injected clock); a 429 is waited out by slack_sdk's rate-limit retry handler
(`handlers.slack.posting.once_client`).
"""

from __future__ import annotations

import logging
import os
import socket
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from handlers.answers.service import KpiError, answer
from handlers.deps import Deps
from handlers.slack.posting import outcome
from handlers.surveys.blocks import Asking, RoundResult, result_message, survey_dm
from handlers.surveys.members import People, surveyed
from kpis.periods import Period
from kpis.question import Question
from kpis.result import Figure
from query.plan import Filter, Window
from storage.db import checkpoint, session_scope
from storage.surveys.store import (
    claim_listing,
    claim_reminder,
    claim_results,
    claim_send,
    close_round,
    due_closes,
    due_reminders,
    finish_result,
    get_round,
    owed,
    pending_sends,
    previous_round,
    progress,
    release_listing,
    remind_wanted,
    sending_rounds,
    settle_send,
    settle_stale_sends,
    store_members,
)
from storage.surveys.tables import ResultStatus, RoundStatus, SendPurpose, SurveyRound

log = logging.getLogger("kpibot.surveys")

WORKER = f"{socket.gethostname()}:{os.getpid()}"
#: A claim older than this that never recorded its end belongs to a process that stopped.
STALE = timedelta(minutes=5)
#: Slack errors that say this member cannot be DMed (nothing to retry).
UNREACHABLE = frozenset(
    {
        "user_not_found",
        "user_disabled",
        "account_inactive",
        "cannot_dm_bot",
        "user_not_visible",
        "messages_tab_disabled",
        "not_allowed_token_type",
        "channel_not_found",
        "is_archived",
    }
)


#: Slack errors after which a channel's members cannot be listed until a person acts.
NO_MEMBERS = frozenset(
    {"channel_not_found", "not_in_channel", "missing_scope", "invalid_auth", "token_revoked"}
)


@dataclass
class Pace:
    """A token bucket on the injected clock: `rate` DMs a second, bursts of `burst`."""

    rate: float
    burst: int
    tokens: float = -1.0
    last: datetime | None = None

    def budget(self, now: datetime) -> int:
        """How many DMs may go now (then `spend` what was sent)."""
        if self.last is None or self.tokens < 0:
            self.tokens = float(self.burst)
        else:
            elapsed = max(0.0, (now - self.last).total_seconds())
            self.tokens = min(float(self.burst), self.tokens + elapsed * self.rate)
        self.last = now
        return int(self.tokens)

    def spend(self, count: int) -> None:
        """Take `count` DMs from the bucket."""
        self.tokens = max(0.0, self.tokens - count)


@dataclass
class Work:
    """What one run did (for tests and logs)."""

    listed: list[int] = field(default_factory=list)
    sent: int = 0
    failed: int = 0
    reminders: dict[int, int] = field(default_factory=dict)
    closed: list[int] = field(default_factory=list)
    results: dict[int, str] = field(default_factory=dict)


def asking_of(round_: SurveyRound, deps: Deps) -> Asking:
    """What a round's DM says."""
    assert round_.id is not None
    return Asking(
        round_.id,
        round_.kind,
        round_.question,
        round_.team,
        round_.closes_at,
        deps.settings.timezone,
    )


def list_members(deps: Deps, client: WebClient, people: People, *, now: datetime) -> list[int]:
    """List the members of every round waiting for it and queue their DMs."""
    done: list[int] = []
    while True:
        with session_scope(deps.sessions) as session:
            round_ = claim_listing(
                session=session, claimer=WORKER, now=now, stale_before=now - STALE
            )
        if round_ is None:
            return done
        assert round_.id is not None
        try:
            users = surveyed(client, people, round_.channel_id, round_.team_id)
        except SlackApiError as exc:
            error = str(exc.response.get("error", "") or exc.response.status_code)
            with session_scope(deps.sessions) as session:
                if error in NO_MEMBERS:  # nobody to ask until a person acts: say so, go on
                    store_members(session=session, round_id=round_.id, claimer=WORKER, user_ids=[])
                else:  # a rate limit or an outage: list again at the next run
                    release_listing(session=session, round_id=round_.id, claimer=WORKER)
            log.warning("survey #%s: cannot list <#%s>: %s", round_.id, round_.channel_id, error)
            if error not in NO_MEMBERS:
                return done
            done.append(round_.id)
            continue
        with session_scope(deps.sessions) as session:
            store_members(session=session, round_id=round_.id, claimer=WORKER, user_ids=users)
        log.info("survey #%s: %d members to ask", round_.id, len(users))
        done.append(round_.id)


def send_dms(deps: Deps, client: WebClient, *, now: datetime, budget: int) -> tuple[int, int]:
    """Claim and post up to `budget` owed DMs; (posted, failed). Then each round touched (or
    still marked sending) gets its progress recorded: its `surveys_sent` counter, and `open`
    once nothing is owed."""
    with session_scope(deps.sessions) as session:
        stale = settle_stale_sends(session=session, older_than=now - STALE)
    if stale:
        log.warning("%d survey DMs were claimed by a stopped process: not sent again", stale)
    rounds: dict[int, SurveyRound | None] = {}
    posted = failed = 0
    try:
        posted, failed = _send_some(deps, client, rounds, now=now, budget=budget)
    finally:
        with session_scope(deps.sessions) as session:
            for round_id in set(rounds) | set(sending_rounds(session=session)):
                progress(session=session, round_id=round_id)
            left = owed(session=session)
    if (posted + failed or stale) and not left:
        # SQLite: the page images of the deleted rows (user ids) leave the WAL file too.
        checkpoint(deps.engine)
    return posted, failed


def _send_some(
    deps: Deps,
    client: WebClient,
    rounds: dict[int, SurveyRound | None],
    *,
    now: datetime,
    budget: int,
) -> tuple[int, int]:
    language = deps.settings.language
    posted = failed = 0
    while posted + failed < budget:
        with session_scope(deps.sessions) as session:
            candidates = pending_sends(session=session, limit=budget - posted - failed)
        if not candidates:
            break
        for send_id in candidates:
            if posted + failed >= budget:
                break
            with session_scope(deps.sessions) as session:
                send = claim_send(session=session, send_id=send_id, claimer=WORKER, now=now)
                if send is None:
                    continue
                if send.round_id not in rounds:
                    rounds[send.round_id] = get_round(session=session, round_id=send.round_id)
                round_ = rounds[send.round_id]
                wanted = (
                    round_ is not None
                    and round_.status != RoundStatus.CLOSED
                    and (
                        send.purpose == SendPurpose.ASK or remind_wanted(session=session, send=send)
                    )
                )
                if not wanted:
                    settle_send(session=session, send=send, fate="dropped")
                    continue
            assert round_ is not None
            reminder = send.purpose == SendPurpose.REMIND
            message = survey_dm(asking_of(round_, deps), language, reminder=reminder)
            try:
                opened = client.conversations_open(users=send.user_id)
                channel = str(opened["channel"]["id"])
                client.chat_postMessage(
                    channel=channel, text=message.text, blocks=message.blocks, unfurl_links=False
                )
            except Exception as exc:
                result = outcome(exc)
                error = result.error
                if result.kind == "unknown":
                    fate = "uncertain"
                elif result.kind == "gone" or error in UNREACHABLE:
                    fate = "unreachable"
                else:
                    fate = "failed"
                log.warning("survey #%s: a DM %s (%s)", send.round_id, fate, error)
                with session_scope(deps.sessions) as session:
                    settle_send(session=session, send=send, fate=fate)  # type: ignore[arg-type]
                if fate == "uncertain":
                    posted += 1
                else:
                    failed += 1
                if fate == "failed" and error.startswith("HTTP 429"):
                    return posted, failed  # Slack wants us slower: the next run goes on
                continue
            with session_scope(deps.sessions) as session:
                settle_send(session=session, send=send, fate="posted")
            posted += 1
    return posted, failed


def queue_reminders(
    deps: Deps, client: WebClient, people: People, *, now: datetime
) -> dict[int, int]:
    """Claim the reminder of every round halfway through and queue it for the members who
    have not answered (read from the channel again: the database never listed them)."""
    with session_scope(deps.sessions) as session:
        due = due_reminders(session=session, now=now)
    queued: dict[int, int] = {}
    for round_ in due:
        assert round_.id is not None
        try:
            users = surveyed(client, people, round_.channel_id, round_.team_id)
        except SlackApiError as exc:
            log.warning("survey #%s: cannot list members to remind: %s", round_.id, exc)
            continue
        with session_scope(deps.sessions) as session:
            count = claim_reminder(session=session, round_id=round_.id, user_ids=users, now=now)
        if count is not None:
            queued[round_.id] = count
            log.info("survey #%s: reminding %d members", round_.id, count)
    return queued


def close_due(deps: Deps, *, now: datetime) -> list[int]:
    """Close every round past its closing time."""
    closed = []
    with session_scope(deps.sessions) as session:
        due = due_closes(session=session, now=now)
    for round_id in due:
        with session_scope(deps.sessions) as session:
            if close_round(session=session, round_id=round_id, now=now):
                closed.append(round_id)
    if closed:
        checkpoint(deps.engine)  # SQLite: the deleted key and tokens leave the WAL too
    return closed


def _figure(deps: Deps, kpi: str, round_id: int, at: datetime) -> Figure | None:
    window = Window(at, at + timedelta(seconds=1))
    period = Period(f"round {round_id}", f"round {round_id}", window, window, "UTC")
    question = Question(kpi, filters=(Filter("round", str(round_id)),))
    try:
        return answer(deps=deps, question=question, period=period).current
    except KpiError:
        return None


def round_result(deps: Deps, round_: SurveyRound) -> RoundResult:
    """A closed round's figures, from the KPI engine (the eNPS withholding applies)."""
    assert round_.id is not None
    figure = mean = previous = None
    if round_.answered:
        figure = _figure(deps, round_.kind, round_.id, round_.opens_at)
        if round_.kind == "csat":
            mean = _figure(deps, "csat-mean", round_.id, round_.opens_at)
    with session_scope(deps.sessions) as session:
        before = previous_round(session=session, round_=round_)
    if before is not None and before.id is not None and before.answered:
        previous = _figure(deps, before.kind, before.id, before.opens_at)
        if previous is not None and before.answered < 5:
            previous = None
    return RoundResult(
        round_.id,
        round_.kind,
        round_.team,
        round_.channel_id,
        round_.opens_at,
        round_.closed_at or round_.closes_at,
        deps.settings.timezone,
        round_.asked,
        round_.answered,
        figure,
        mean,
        previous,
    )


def post_results(deps: Deps, client: WebClient, *, now: datetime) -> dict[int, str]:
    """Post the result of every closed round whose result is owed, once."""
    with session_scope(deps.sessions) as session:
        claimed = claim_results(session=session, now=now, stale_before=now - STALE)
    done: dict[int, str] = {}
    for round_ in claimed:
        assert round_.id is not None
        message = result_message(round_result(deps, round_), deps.settings.language)
        try:
            response = client.chat_postMessage(
                channel=round_.channel_id,
                text=message.text,
                blocks=message.blocks,
                unfurl_links=False,
            )
        except Exception as exc:
            result = outcome(exc)
            status = ResultStatus.UNKNOWN if result.kind == "unknown" else ResultStatus.FAILED
            with session_scope(deps.sessions) as session:
                finish_result(
                    session=session, round_id=round_.id, status=status, error=result.error
                )
            log.warning("survey #%s: result %s (%s)", round_.id, status, result.error)
            done[round_.id] = status.value
            continue
        with session_scope(deps.sessions) as session:
            finish_result(
                session=session,
                round_id=round_.id,
                status=ResultStatus.POSTED,
                ts=str(response.get("ts") or ""),
            )
        done[round_.id] = ResultStatus.POSTED.value
    return done


def work(deps: Deps, client: WebClient, people: People, *, now: datetime, budget: int) -> Work:
    """One run of everything: list, remind, send, close, post results."""
    done = Work()
    done.closed = close_due(deps, now=now)
    done.listed = list_members(deps, client, people, now=now)
    done.reminders = queue_reminders(deps, client, people, now=now)
    done.sent, done.failed = send_dms(deps, client, now=now, budget=budget)
    done.results = post_results(deps, client, now=now)
    return done
