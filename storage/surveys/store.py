"""Rounds, the DMs they owe and the answers they take, each step claimed before it happens.

Every step that has a side effect in Slack is claimed by a conditional UPDATE (or an INSERT on
a unique key) whose row count decides the winner: listing a round's members, each DM, the
reminder, the close, the result message. A claimed DM is never posted again, whatever happens
to the process that claimed it: a claim left behind by a crash is settled as `uncertain`
(counted as asked, not re-sent).

An answer is one transaction: the round's row is updated first (its lock orders the answer
with the close, and refuses a closed round), then the member's token is marked answered
(an upsert whose WHERE refuses a token already answered), then the answer is written through
`storage.ingest` as an ordinary survey response with no user id, dated at the round's opening.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from storage.ingest import upsert_counters, upsert_responses
from storage.models import RESPONSES
from storage.surveys.tables import (
    PULSES,
    ROUNDS,
    SENDS,
    SURVEY_SOURCE,
    TOKENS,
    ResultStatus,
    RoundStatus,
    SendPurpose,
    SendStatus,
    SurveyPulse,
    SurveyRound,
    SurveySend,
)

#: Rounds that still take answers (`new` and `listing` too: a click cannot come before the DM,
#: but a round closed while listing must not take one).
TAKING = (RoundStatus.NEW, RoundStatus.LISTING, RoundStatus.SENDING, RoundStatus.OPEN)


def _insert(session: Session) -> Any:
    return sqlite_insert if session.get_bind().dialect.name == "sqlite" else pg_insert


def new_secret() -> str:
    """A round's key: 32 random bytes as hex."""
    return secrets.token_hex(32)


def token_of(secret: str, round_id: int, user_id: str) -> str:
    """HMAC-SHA256 of (round, user) under the round's key, as hex."""
    message = f"{round_id}:{user_id}".encode()
    return hmac.new(bytes.fromhex(secret), message, hashlib.sha256).hexdigest()


# --- pulses ------------------------------------------------------------------------------


def create_pulse(*, session: Session, pulse: SurveyPulse) -> int:
    """Store a recurring pulse; return its id."""
    session.add(pulse)
    session.flush()
    assert pulse.id is not None
    return pulse.id


def list_pulses(*, session: Session, active_only: bool = False) -> list[SurveyPulse]:
    """Every pulse (or only those not paused), oldest first."""
    query = select(SurveyPulse).order_by(PULSES.c.id)
    if active_only:
        query = query.where(PULSES.c.paused.is_(False))
    return list(session.scalars(query))


def delete_pulse(*, session: Session, pulse_id: int) -> bool:
    """Stop a pulse (its rounds and their answers stay); whether it existed."""
    session.execute(update(ROUNDS).where(ROUNDS.c.pulse_id == pulse_id).values(pulse_id=None))
    result = session.execute(delete(PULSES).where(PULSES.c.id == pulse_id))
    return bool(result.rowcount)  # type: ignore[attr-defined]


# --- rounds ------------------------------------------------------------------------------


def open_round(*, session: Session, round_: SurveyRound) -> int | None:
    """Store a new round with a fresh key; its id, or None when its pulse already has the
    round of that fire time (the claim that opens a pulse's round once)."""
    values = {
        column.name: getattr(round_, column.name)
        for column in ROUNDS.columns
        if column.name != "id"
    }
    values.update(status=RoundStatus.NEW, secret=new_secret())
    statement = _insert(session)(ROUNDS).values(**values)
    if round_.pulse_id is not None:
        statement = statement.on_conflict_do_nothing(index_elements=["pulse_id", "scheduled_for"])
    inserted = session.execute(statement.returning(ROUNDS.c.id)).scalar_one_or_none()
    return int(inserted) if inserted is not None else None


def get_round(*, session: Session, round_id: int) -> SurveyRound | None:
    """One round, or None."""
    return session.get(SurveyRound, round_id)


def list_rounds(*, session: Session, limit: int = 10) -> list[SurveyRound]:
    """The newest rounds first."""
    query = select(SurveyRound).order_by(ROUNDS.c.id.desc()).limit(limit)
    return list(session.scalars(query))


def latest_pulse_round(*, session: Session, pulse_id: int) -> SurveyRound | None:
    """A pulse's newest round."""
    query = (
        select(SurveyRound)
        .where(ROUNDS.c.pulse_id == pulse_id)
        .order_by(ROUNDS.c.opens_at.desc())
        .limit(1)
    )
    return session.scalars(query).first()


def claim_listing(
    *, session: Session, claimer: str, now: datetime, stale_before: datetime
) -> SurveyRound | None:
    """Claim one round whose members must be listed (new, or a lister's claim gone stale)."""
    candidates = session.scalars(
        select(ROUNDS.c.id)
        .where(
            (ROUNDS.c.status == RoundStatus.NEW)
            | ((ROUNDS.c.status == RoundStatus.LISTING) & (ROUNDS.c.claimed_at < stale_before))
        )
        .order_by(ROUNDS.c.id)
        .limit(5)
    ).all()
    for round_id in candidates:
        won = session.execute(
            update(ROUNDS)
            .where(
                ROUNDS.c.id == round_id,
                (ROUNDS.c.status == RoundStatus.NEW)
                | ((ROUNDS.c.status == RoundStatus.LISTING) & (ROUNDS.c.claimed_at < stale_before)),
            )
            .values(status=RoundStatus.LISTING, claimed_by=claimer, claimed_at=now)
        ).rowcount  # type: ignore[attr-defined]
        if won:
            session.flush()
            found = get_round(session=session, round_id=round_id)
            if found is not None:
                session.refresh(found)
            return found
    return None


def store_members(
    *, session: Session, round_id: int, claimer: str, user_ids: Sequence[str]
) -> bool:
    """Queue the question for these members and start sending; False if the listing claim
    was lost (someone else listed them)."""
    moved = session.execute(
        update(ROUNDS)
        .where(
            ROUNDS.c.id == round_id,
            ROUNDS.c.status == RoundStatus.LISTING,
            ROUNDS.c.claimed_by == claimer,
        )
        .values(status=RoundStatus.SENDING if user_ids else RoundStatus.OPEN)
    ).rowcount  # type: ignore[attr-defined]
    if not moved:
        return False
    _queue(session, round_id, user_ids, SendPurpose.ASK)
    return True


def release_listing(*, session: Session, round_id: int, claimer: str) -> None:
    """Give a listing claim back (Slack did not answer: the next run lists again)."""
    session.execute(
        update(ROUNDS)
        .where(
            ROUNDS.c.id == round_id,
            ROUNDS.c.status == RoundStatus.LISTING,
            ROUNDS.c.claimed_by == claimer,
        )
        .values(status=RoundStatus.NEW, claimed_by="", claimed_at=None)
    )


def _queue(session: Session, round_id: int, user_ids: Sequence[str], purpose: SendPurpose) -> None:
    if not user_ids:
        return
    rows = [
        {
            "round_id": round_id,
            "user_id": user,
            "purpose": purpose,
            "status": SendStatus.PENDING,
            "attempts": 0,
            "claimed_by": "",
        }
        for user in dict.fromkeys(user_ids)
    ]
    session.execute(
        _insert(session)(SENDS)
        .values(rows)
        .on_conflict_do_nothing(index_elements=["round_id", "user_id", "purpose"])
    )


def due_reminders(*, session: Session, now: datetime) -> list[SurveyRound]:
    """Rounds halfway through whose reminder has not been claimed yet."""
    query = select(SurveyRound).where(
        ROUNDS.c.status.in_([RoundStatus.SENDING, RoundStatus.OPEN]),
        ROUNDS.c.remind_at <= now,
        ROUNDS.c.closes_at > now,
        ROUNDS.c.reminder_at.is_(None),
    )
    return list(session.scalars(query))


def claim_reminder(
    *, session: Session, round_id: int, user_ids: Sequence[str], now: datetime
) -> int | None:
    """Claim a round's one reminder and queue it for those of `user_ids` (the channel's
    members now) who were asked and have not answered; how many, or None if already claimed."""
    secret = session.execute(
        update(ROUNDS)
        .where(
            ROUNDS.c.id == round_id,
            ROUNDS.c.reminder_at.is_(None),
            ROUNDS.c.status.in_([RoundStatus.SENDING, RoundStatus.OPEN]),
            ROUNDS.c.secret.is_not(None),
        )
        .values(reminder_at=now)
        .returning(ROUNDS.c.secret)
    ).scalar_one_or_none()
    if secret is None:
        return None
    by_token = {token_of(secret, round_id, user): user for user in user_ids}
    waiting: set[str] = set()
    tokens = list(by_token)
    for start in range(0, len(tokens), 500):
        waiting.update(
            session.scalars(
                select(TOKENS.c.digest).where(
                    TOKENS.c.round_id == round_id,
                    TOKENS.c.answered.is_(False),
                    TOKENS.c.digest.in_(tokens[start : start + 500]),
                )
            )
        )
    chosen = [user for token, user in by_token.items() if token in waiting]
    _queue(session, round_id, chosen, SendPurpose.REMIND)
    return len(chosen)


def due_closes(*, session: Session, now: datetime) -> list[int]:
    """Rounds past their closing time and not closed yet."""
    query = select(ROUNDS.c.id).where(
        ROUNDS.c.status != RoundStatus.CLOSED, ROUNDS.c.closes_at <= now
    )
    return list(session.scalars(query))


def close_round(*, session: Session, round_id: int, now: datetime) -> bool:
    """Close a round once: drop its key, its tokens and the DMs it still owed, and queue its
    result; whether this call closed it."""
    won = session.execute(
        update(ROUNDS)
        .where(ROUNDS.c.id == round_id, ROUNDS.c.status != RoundStatus.CLOSED)
        .values(
            status=RoundStatus.CLOSED,
            secret=None,
            closed_at=now,
            result=ResultStatus.PENDING,
            claimed_by="",
        )
    ).rowcount  # type: ignore[attr-defined]
    if not won:
        return False
    session.execute(delete(TOKENS).where(TOKENS.c.round_id == round_id))
    session.execute(delete(SENDS).where(SENDS.c.round_id == round_id))
    record_sent(session=session, round_id=round_id)
    return True


def delete_round(*, session: Session, round_id: int, now: datetime) -> bool:
    """Remove a round (closed first, so its key and tokens go); its answers stay."""
    close_round(session=session, round_id=round_id, now=now)
    result = session.execute(delete(ROUNDS).where(ROUNDS.c.id == round_id))
    return bool(result.rowcount)  # type: ignore[attr-defined]


# --- sending -----------------------------------------------------------------------------


def pending_sends(*, session: Session, limit: int) -> list[int]:
    """Ids of DMs waiting to be posted, oldest first."""
    query = (
        select(SENDS.c.id)
        .where(SENDS.c.status == SendStatus.PENDING)
        .order_by(SENDS.c.id)
        .limit(limit)
    )
    return list(session.scalars(query))


def claim_send(*, session: Session, send_id: int, claimer: str, now: datetime) -> SurveySend | None:
    """Claim one owed DM; None when another worker has it."""
    row = session.execute(
        update(SENDS)
        .where(SENDS.c.id == send_id, SENDS.c.status == SendStatus.PENDING)
        .values(
            status=SendStatus.CLAIMED,
            claimed_by=claimer,
            claimed_at=now,
            attempts=SENDS.c.attempts + 1,
        )
        .returning(*SENDS.c)
    ).first()
    return SurveySend(**row._mapping) if row is not None else None


Fate = Literal["posted", "failed", "unreachable", "uncertain", "dropped"]


def settle_send(*, session: Session, send: SurveySend, fate: Fate, max_attempts: int = 5) -> None:
    """Record how a claimed DM ended, and forget its user id unless it is to be retried.

    `posted` and `uncertain` (may have been posted) count as asked (a reminder as reminded)
    and leave the member's token; `failed` (Slack certainly posted nothing) goes back to
    pending, up to `max_attempts`, then counts as unreachable like `unreachable`; `dropped`
    (not worth sending any more) leaves no trace.
    """
    assert send.id is not None
    if fate == "failed" and send.attempts < max_attempts:
        session.execute(
            update(SENDS)
            .where(SENDS.c.id == send.id)
            .values(status=SendStatus.PENDING, claimed_by="", claimed_at=None)
        )
        return
    session.execute(delete(SENDS).where(SENDS.c.id == send.id))
    counts: dict[str, Any] = {}
    if fate in ("failed", "unreachable"):
        if send.purpose == SendPurpose.ASK:
            counts["unreachable"] = ROUNDS.c.unreachable + 1
    elif fate in ("posted", "uncertain"):
        if send.purpose == SendPurpose.ASK:
            counts["asked"] = ROUNDS.c.asked + 1
            if fate == "uncertain":
                counts["uncertain"] = ROUNDS.c.uncertain + 1
        else:
            counts["reminded"] = ROUNDS.c.reminded + 1
    if not counts:
        return
    secret = session.execute(
        update(ROUNDS)
        .where(ROUNDS.c.id == send.round_id)
        .values(**counts)
        .returning(ROUNDS.c.secret)
    ).scalar_one_or_none()
    # a round closed meanwhile keeps no token
    if send.purpose == SendPurpose.ASK and "asked" in counts and secret is not None:
        session.execute(
            _insert(session)(TOKENS)
            .values(
                round_id=send.round_id,
                digest=token_of(secret, send.round_id, send.user_id),
                answered=False,
            )
            .on_conflict_do_nothing(index_elements=["round_id", "digest"])
        )


def progress(*, session: Session, round_id: int) -> None:
    """After DMs of a round were settled: its `surveys_sent` counter brought up to date, and
    the round open once no question DM is owed any more (once per run, not per DM)."""
    record_sent(session=session, round_id=round_id)
    left = session.execute(
        select(func.count())
        .select_from(SENDS)
        .where(SENDS.c.round_id == round_id, SENDS.c.purpose == SendPurpose.ASK)
    ).scalar_one()
    if not left:
        session.execute(
            update(ROUNDS)
            .where(ROUNDS.c.id == round_id, ROUNDS.c.status == RoundStatus.SENDING)
            .values(status=RoundStatus.OPEN)
        )


def sending_rounds(*, session: Session) -> list[int]:
    """Rounds still marked sending (their progress is recorded once their DMs are out)."""
    query = select(ROUNDS.c.id).where(ROUNDS.c.status == RoundStatus.SENDING)
    return list(session.scalars(query))


def settle_stale_sends(*, session: Session, older_than: datetime) -> int:
    """DMs claimed before `older_than` whose worker never said how they ended (it stopped
    mid-post): settled `uncertain`, never posted again; how many."""
    rows = session.execute(
        select(*SENDS.c).where(
            SENDS.c.status == SendStatus.CLAIMED, SENDS.c.claimed_at < older_than
        )
    ).all()
    for row in rows:
        settle_send(session=session, send=SurveySend(**row._mapping), fate="uncertain")
    for round_id in {row.round_id for row in rows}:
        progress(session=session, round_id=round_id)
    return len(rows)


def record_sent(*, session: Session, round_id: int) -> None:
    """The round's `surveys_sent` counter (what `response-rate` divides by): how many were
    asked, dated at the round's opening, with the round's team and survey."""
    found = session.execute(
        select(
            ROUNDS.c.asked, ROUNDS.c.opens_at, ROUNDS.c.team, ROUNDS.c.kind, ROUNDS.c.channel_id
        ).where(ROUNDS.c.id == round_id)
    ).first()
    if found is None:
        return
    asked, opens_at, team, kind, _channel = found
    upsert_counters(
        session=session,
        rows=[
            {
                "external_id": f"round-{round_id}",
                "source": SURVEY_SOURCE,
                "name": "surveys_sent",
                "value": float(asked),
                "at": opens_at,
                "kind": "flow",
                "attributes": {"team": team, "survey": kind, "round": str(round_id)},
            }
        ],
    )


def remind_wanted(*, session: Session, send: SurveySend) -> bool:
    """Whether a reminder is still worth posting: the round is open and the member has not
    answered since it was queued."""
    secret = session.execute(
        select(ROUNDS.c.secret).where(
            ROUNDS.c.id == send.round_id, ROUNDS.c.status.in_(list(TAKING))
        )
    ).scalar_one_or_none()
    if secret is None:
        return False
    answered = session.execute(
        select(TOKENS.c.answered).where(
            TOKENS.c.round_id == send.round_id,
            TOKENS.c.digest == token_of(secret, send.round_id, send.user_id),
        )
    ).scalar_one_or_none()
    return answered is False


def owed(*, session: Session) -> int:
    """DMs waiting to be posted (all rounds)."""
    return int(session.execute(select(func.count()).select_from(SENDS)).scalar_one())


# --- answers -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Answered:
    """What became of a click: `recorded` (with the answer's random external id), `already`
    (this member answered this round before), `closed`, or `missing` (no such round)."""

    outcome: Literal["recorded", "already", "closed", "missing"]
    external_id: str = ""
    closes_at: datetime | None = None


def answer(*, session: Session, round_id: int, user_id: str, score: int, now: datetime) -> Answered:
    """Take one member's answer to a round, at most once; see the module's docstring."""
    row = session.execute(
        update(ROUNDS)
        .where(
            ROUNDS.c.id == round_id,
            ROUNDS.c.status.in_(list(TAKING)),
            ROUNDS.c.secret.is_not(None),
            ROUNDS.c.closes_at > now,
        )
        .values(answered=ROUNDS.c.answered + 1)
        .returning(
            ROUNDS.c.secret,
            ROUNDS.c.opens_at,
            ROUNDS.c.closes_at,
            ROUNDS.c.kind,
            ROUNDS.c.scale_max,
            ROUNDS.c.team,
        )
    ).first()
    if row is None:
        exists = session.execute(select(ROUNDS.c.closes_at).where(ROUNDS.c.id == round_id)).first()
        return Answered("closed" if exists is not None else "missing")
    secret, opens_at, closes_at, kind, scale_max, team = row
    if not 0 <= score <= scale_max:
        raise ValueError(f"score {score} is off the 0–{scale_max} scale")
    marked = session.execute(
        _insert(session)(TOKENS)
        .values(round_id=round_id, digest=token_of(secret, round_id, user_id), answered=True)
        .on_conflict_do_update(
            index_elements=["round_id", "digest"],
            set_={"answered": True},
            where=TOKENS.c.answered.is_(False),
        )
        .returning(TOKENS.c.round_id)
    ).first()
    if marked is None:
        # Undo the count: the caller's transaction goes on, so take it back explicitly.
        session.execute(
            update(ROUNDS).where(ROUNDS.c.id == round_id).values(answered=ROUNDS.c.answered - 1)
        )
        return Answered("already", closes_at=closes_at)
    external_id = uuid.uuid4().hex
    upsert_responses(
        session=session,
        rows=[
            {
                "external_id": external_id,
                "source": SURVEY_SOURCE,
                "survey": kind,
                "score": score,
                "scale_max": scale_max,
                "comment": None,
                "customer_id": None,
                "submitted_at": opens_at,
                "attributes": {"team": team, "round": str(round_id)},
            }
        ],
    )
    return Answered("recorded", external_id, closes_at)


def add_comment(
    *, session: Session, round_id: int, external_id: str, comment: str, now: datetime
) -> bool:
    """Add the comment to an answer of a round still open, once; whether it was added."""
    taking = session.execute(
        select(ROUNDS.c.id).where(
            ROUNDS.c.id == round_id,
            ROUNDS.c.status.in_(list(TAKING)),
            ROUNDS.c.closes_at > now,
        )
    ).first()
    if taking is None:
        return False
    c = RESPONSES.c
    found = session.execute(
        select(c.survey, c.score, c.scale_max, c.submitted_at, c.attributes, c.comment).where(
            c.source == SURVEY_SOURCE, c.external_id == external_id
        )
    ).first()
    if found is None or found.comment or found.attributes.get("round") != str(round_id):
        return False
    upsert_responses(
        session=session,
        rows=[
            {
                "external_id": external_id,
                "source": SURVEY_SOURCE,
                "survey": found.survey,
                "score": found.score,
                "scale_max": found.scale_max,
                "comment": comment,
                "customer_id": None,
                "submitted_at": found.submitted_at,
                "attributes": found.attributes,
            }
        ],
    )
    return True


# --- the result --------------------------------------------------------------------------


def claim_results(
    *, session: Session, now: datetime, stale_before: datetime, max_attempts: int = 5
) -> list[SurveyRound]:
    """Claim the closed rounds whose result message is owed (pending, or failed: Slack
    certainly posted nothing); a claim left by a crash becomes `unknown`, never re-posted."""
    session.execute(
        update(ROUNDS)
        .where(ROUNDS.c.result == ResultStatus.CLAIMED, ROUNDS.c.claimed_at < stale_before)
        .values(result=ResultStatus.UNKNOWN, result_error="the posting process stopped")
    )
    ids = session.scalars(
        select(ROUNDS.c.id).where(
            ROUNDS.c.result.in_([ResultStatus.PENDING, ResultStatus.FAILED]),
            ROUNDS.c.result_attempts < max_attempts,
        )
    ).all()
    won = []
    for round_id in ids:
        moved = session.execute(
            update(ROUNDS)
            .where(
                ROUNDS.c.id == round_id,
                ROUNDS.c.result.in_([ResultStatus.PENDING, ResultStatus.FAILED]),
            )
            .values(
                result=ResultStatus.CLAIMED,
                result_attempts=ROUNDS.c.result_attempts + 1,
                claimed_at=now,
            )
        ).rowcount  # type: ignore[attr-defined]
        if moved:
            found = get_round(session=session, round_id=round_id)
            if found is not None:
                session.refresh(found)
                won.append(found)
    return won


def finish_result(
    *,
    session: Session,
    round_id: int,
    status: ResultStatus,
    ts: str | None = None,
    error: str | None = None,
) -> None:
    """Record how the result message ended."""
    session.execute(
        update(ROUNDS)
        .where(ROUNDS.c.id == round_id)
        .values(result=status, result_ts=ts, result_error=error)
    )


def previous_round(*, session: Session, round_: SurveyRound) -> SurveyRound | None:
    """The round of the same pulse before this one (for the comparison), if any."""
    if round_.pulse_id is None:
        return None
    query = (
        select(SurveyRound)
        .where(
            ROUNDS.c.pulse_id == round_.pulse_id,
            ROUNDS.c.opens_at < round_.opens_at,
            ROUNDS.c.status == RoundStatus.CLOSED,
        )
        .order_by(ROUNDS.c.opens_at.desc())
        .limit(1)
    )
    return session.scalars(query).first()
