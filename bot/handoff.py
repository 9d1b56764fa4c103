"""Handing a conversation to a person: the queue, claiming (atomic), the transcript,
hand back, and callbacks when nobody can join.

The assistant's actions open handoffs; the gateway routes members' messages here while
one is open; the agent console claims, replies and hands back. All of them call this
module, so there is one copy of each rule.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot import audit
from bot.deadlines import is_business_day, to_pacific, utcnow
from bot.policy import kb
from bot.settings import get_settings
from bot.store import session_scope
from bot.store.models import CallbackTask, Handoff, HandoffMessage
from bot.store.repository import as_utc, detached

# The key of the custom payload with which the assistant tells the gateway it opened a
# handoff in this reply (so the gateway need not look it up on every turn).
HANDOFF_OPENED = "handoff_opened"
REASONS = ("asked", "not_understood", "locked", "clinical", "conduct")
OPEN = ("waiting", "held")
MAX_BODY = 2000


class NotHolder(PermissionError):
    """Only the agent holding a conversation may write in it or hand it back."""


@dataclass(frozen=True)
class HandoffView:
    id: int
    conversation_id: str
    channel: str
    plan: str | None
    reason: str
    status: str
    agent: str | None
    agent_name: str | None
    created_at: datetime
    claimed_at: datetime | None
    reply_to: str | None
    summary: dict[str, Any]
    agent_slots: dict[str, Any]
    crisis_at: datetime | None = None
    crisis_category: str | None = None

    def waited(self, now: datetime | None = None) -> timedelta:
        return (self.claimed_at or now or utcnow()) - self.created_at


@dataclass(frozen=True)
class MessageView:
    id: int
    handoff_id: int
    sender: str  # member | assistant | agent | system
    agent_name: str | None
    body: str
    at: datetime


@dataclass(frozen=True)
class ClaimResult:
    won: bool
    holder: str | None  # the name of who holds it now
    status: str | None


def _view(row: Handoff) -> HandoffView:
    return HandoffView(
        row.id,
        row.conversation_id,
        row.channel,
        row.plan,
        row.reason,
        row.status,
        row.agent,
        row.agent_name,
        as_utc(row.created_at),
        as_utc(row.claimed_at),
        row.reply_to,
        json.loads(row.summary or "{}"),
        json.loads(row.agent_slots or "{}"),
        as_utc(row.crisis_at),
        row.crisis_category,
    )


def _message(row: HandoffMessage) -> MessageView:
    return MessageView(row.id, row.handoff_id, row.sender, row.agent_name, row.body, as_utc(row.at))


def _open(session: Session, conversation_id: str) -> Handoff | None:
    found: Handoff | None = session.execute(
        select(Handoff).where(Handoff.conversation_id == conversation_id, Handoff.status.in_(OPEN))
    ).scalar_one_or_none()
    return found


# -- when a person can join ----------------------------------------------------------


def on_duty(plan: str | None, now: datetime | None = None) -> bool:
    """True within the plan's member-services hours (plan configuration, Pacific time,
    business days). MEMBER_SERVICES_HOURS=always|never overrides it (demo and tests)."""
    override = get_settings().member_services_hours
    if override in ("always", "never"):
        return override == "always"
    local = to_pacific(now or utcnow())
    opens, closes = (time.fromisoformat(t) for t in kb().member_services_hours(plan))
    return is_business_day(local.date()) and opens <= local.time() < closes


def claim_timeout() -> timedelta:
    seconds = get_settings().handoff_claim_timeout_seconds
    return timedelta(seconds=seconds) if seconds else timedelta(minutes=kb().handoff_claim_timeout_minutes())


# -- the assistant's side -------------------------------------------------------------


def open_handoff(
    conversation_id: str,
    channel: str,
    plan: str | None,
    reason: str,
    summary: dict[str, Any],
    transcript: Sequence[tuple[str, str, datetime | None]] = (),
    now: datetime | None = None,
) -> int:
    """Put a conversation in the queue (once: an open one is returned as it is).
    `transcript` is (sender, text, at) of the conversation so far."""
    if reason not in REASONS:
        raise ValueError(f"unknown handoff reason {reason!r}")
    now = now or utcnow()
    try:
        with session_scope() as session:
            existing = _open(session, conversation_id)
            if existing is not None:
                existing_id: int = existing.id
                return existing_id
            row = Handoff(
                conversation_id=conversation_id,
                channel=channel,
                plan=plan,
                reason=reason,
                status="waiting",
                summary=json.dumps(summary, default=str),
                agent_slots="{}",
                created_at=now,
            )
            session.add(row)
            session.flush()
            for sender, body, at in transcript:
                session.add(
                    HandoffMessage(
                        handoff_id=row.id,
                        conversation_id=conversation_id,
                        sender=sender,
                        body=body[:MAX_BODY],
                        at=at or now,
                    )
                )
            audit.record(session, "assistant", "handoff", "conversation", str(row.id), reason)
            opened: int = row.id
            return opened
    except IntegrityError:  # opened at the same moment by another worker
        with session_scope() as session:
            other = _open(session, conversation_id)
            assert other is not None  # the open one that made this insert clash
            other_id: int = other.id
            return other_id


def get(handoff_id: int) -> HandoffView | None:
    with session_scope() as session:
        row = session.get(Handoff, handoff_id)
        return _view(row) if row else None


def set_reply_to(handoff_id: int, address: str) -> None:
    """The SMS number an agent's words go to; kept only while the handoff is open."""
    with session_scope() as session:
        session.execute(
            update(Handoff).where(Handoff.id == handoff_id, Handoff.status.in_(OPEN)).values(reply_to=address)
        )


def add_member_message(conversation_id: str, body: str, now: datetime | None = None) -> MessageView | None:
    """While a handoff is open, the member's message is kept for the agent (and not
    given to the assistant); None when no handoff is open."""
    with session_scope() as session:
        row = _open(session, conversation_id)
        if row is None:
            return None
        message = HandoffMessage(
            handoff_id=row.id,
            conversation_id=conversation_id,
            sender="member",
            body=body[:MAX_BODY],
            at=now or utcnow(),
        )
        session.add(message)
        session.flush()
        return _message(message)


# -- the agent's side -----------------------------------------------------------------


def flag_crisis(
    conversation_id: str, category: str, said: Sequence[str] = (), now: datetime | None = None
) -> int | None:
    """The member of an open handoff spoke of a crisis and was answered at once (`said`,
    kept in the transcript): the conversation goes to the top of the queue, flagged.
    Audited; None if no handoff is open."""
    now = now or utcnow()
    with session_scope() as session:
        row = _open(session, conversation_id)
        if row is None:
            return None
        row.crisis_at, row.crisis_category = now, category
        for body in said:
            session.add(
                HandoffMessage(
                    handoff_id=row.id, conversation_id=conversation_id, sender="assistant", body=body[:MAX_BODY], at=now
                )
            )
        audit.record(session, "assistant", "crisis_flag", "conversation", str(row.id), category)
        flagged: int = row.id
        return flagged


def queue() -> list[HandoffView]:
    """Open handoffs: those whose member spoke of a crisis first, then oldest first."""
    with session_scope() as session:
        rows = session.execute(
            select(Handoff)
            .where(Handoff.status.in_(OPEN))
            .order_by(Handoff.crisis_at.is_(None), Handoff.created_at, Handoff.id)
        ).scalars()
        return [_view(r) for r in rows]


def claim(handoff_id: int, agent: str, agent_name: str, now: datetime | None = None) -> ClaimResult:
    """Take a waiting conversation. One conditional UPDATE decides: of agents claiming
    at once exactly one wins; the others learn who has it."""
    now = now or utcnow()
    with session_scope() as session:
        won = (
            session.execute(
                update(Handoff)
                .where(Handoff.id == handoff_id, Handoff.status == "waiting")
                .values(status="held", agent=agent, agent_name=agent_name, claimed_at=now)
                .execution_options(synchronize_session=False)
            ).rowcount
            == 1
        )
        if won:
            audit.record(session, f"agent:{agent}", "claim", "conversation", str(handoff_id))
            row = session.get(Handoff, handoff_id)
            session.add(
                HandoffMessage(
                    handoff_id=handoff_id,
                    conversation_id=row.conversation_id,
                    sender="system",
                    body="joined",
                    agent_name=agent_name,
                    at=now,
                )
            )
            return ClaimResult(True, agent_name, "held")
        row = session.get(Handoff, handoff_id)
        return ClaimResult(False, row.agent_name if row else None, row.status if row else None)


def _held_by(session: Session, handoff_id: int, agent: str) -> Handoff:
    row: Handoff | None = session.get(Handoff, handoff_id)
    if row is None or row.status != "held" or row.agent != agent:
        raise NotHolder(handoff_id)
    return row


def post_agent_message(handoff_id: int, agent: str, agent_name: str, body: str) -> MessageView:
    body = body.strip()[:MAX_BODY]
    if not body:
        raise ValueError("an empty message")
    with session_scope() as session:
        row = _held_by(session, handoff_id, agent)
        message = HandoffMessage(
            handoff_id=handoff_id,
            conversation_id=row.conversation_id,
            sender="agent",
            agent_name=agent_name,
            body=body,
            at=utcnow(),
        )
        session.add(message)
        session.flush()
        audit.record(session, f"agent:{agent}", "message", "conversation", str(handoff_id))
        return _message(message)


def set_agent_slots(handoff_id: int, agent: str, **slots: Any) -> None:
    """Remember what the agent settled (verified, plan, a request's reference), for the
    assistant to pick up on hand back."""
    with session_scope() as session:
        row = _held_by(session, handoff_id, agent)
        row.agent_slots = json.dumps({**json.loads(row.agent_slots or "{}"), **slots}, default=str)


def hand_back(handoff_id: int, agent: str) -> HandoffView:
    """Close the handoff; the returned view (with its SMS number) is for the last notice."""
    with session_scope() as session:
        row = _held_by(session, handoff_id, agent)
        view = _view(row)
        row.status, row.closed_at, row.reply_to = "returned", utcnow(), None
        session.add(
            HandoffMessage(
                handoff_id=handoff_id,
                conversation_id=row.conversation_id,
                sender="system",
                body="handed back",
                agent_name=row.agent_name,
                at=row.closed_at,
            )
        )
        audit.record(session, f"agent:{agent}", "hand_back", "conversation", str(handoff_id))
        return view


def expire_unclaimed(now: datetime | None = None) -> list[HandoffView]:
    """Waiting handoffs nobody claimed in time: closed as unclaimed (the member is then
    offered a callback). Each is returned once, by the UPDATE that closed it."""
    now = now or utcnow()
    expired = []
    with session_scope() as session:
        stale = (
            session.execute(
                select(Handoff)
                .where(Handoff.status == "waiting", Handoff.created_at <= now - claim_timeout())
                .with_for_update(skip_locked=True)  # several gateway workers sweep; none waits on another
            )
            .scalars()
            .all()
        )
        for row in stale:
            closed = (
                session.execute(
                    update(Handoff)
                    .where(Handoff.id == row.id, Handoff.status == "waiting")
                    .values(status="unclaimed", closed_at=now)
                    .execution_options(synchronize_session=False)
                ).rowcount
                == 1
            )
            if closed:
                session.refresh(row)
                expired.append(_view(row))
                row.reply_to = None
                audit.record(session, "assistant", "unclaimed", "conversation", str(row.id))
    return expired


def last_closed(conversation_id: str) -> HandoffView | None:
    with session_scope() as session:
        row = session.execute(
            select(Handoff)
            .where(Handoff.conversation_id == conversation_id, Handoff.status.notin_(OPEN))
            .order_by(Handoff.id.desc())
            .limit(1)
        ).scalar_one_or_none()
        return _view(row) if row else None


def transcript(handoff_id: int) -> list[MessageView]:
    with session_scope() as session:
        rows = session.execute(
            select(HandoffMessage).where(HandoffMessage.handoff_id == handoff_id).order_by(HandoffMessage.id)
        ).scalars()
        return [_message(r) for r in rows]


def agent_messages_since(conversation_id: str, after_id: int) -> list[MessageView]:
    """An agent's words not yet shown in a member's web chat (after a reconnect)."""
    with session_scope() as session:
        rows = session.execute(
            select(HandoffMessage)
            .where(
                HandoffMessage.conversation_id == conversation_id,
                HandoffMessage.sender == "agent",
                HandoffMessage.id > after_id,
            )
            .order_by(HandoffMessage.id)
        ).scalars()
        return [_message(r) for r in rows]


# -- callbacks -------------------------------------------------------------------------


def create_callback(
    conversation_id: str, channel: str, plan: str | None, reason: str, phone: str, preferred_time: str
) -> int:
    with session_scope() as session:
        row = CallbackTask(
            conversation_id=conversation_id,
            channel=channel,
            plan=plan,
            reason=reason,
            phone=phone,
            preferred_time=preferred_time[:200],
            status="open",
            created_at=utcnow(),
        )
        session.add(row)
        session.flush()
        audit.record(session, "assistant", "create", "callback", str(row.id), reason)
        created: int = row.id
        return created


def open_callbacks() -> list[CallbackTask]:
    with session_scope() as session:
        return detached(
            session,
            list(
                session.execute(
                    select(CallbackTask)
                    .where(CallbackTask.status == "open")
                    .order_by(CallbackTask.created_at, CallbackTask.id)
                ).scalars()
            ),
        )


def finish_callback(callback_id: int, agent: str) -> bool:
    with session_scope() as session:
        done: bool = (
            session.execute(
                update(CallbackTask)
                .where(CallbackTask.id == callback_id, CallbackTask.status == "open")
                .values(status="done", done_by=agent, done_at=utcnow())
                .execution_options(synchronize_session=False)
            ).rowcount
            == 1
        )
        if done:
            audit.record(session, f"agent:{agent}", "update", "callback", str(callback_id), "done")
        return done
