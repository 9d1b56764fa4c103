"""The durable SMS outbox: texts to members kept in the database until Twilio has them.

Any gateway worker queues a text (`enqueue`); any worker's sender claims what is due
(`claim_due`), sends it piece by piece and says how it went (`piece_sent`, `finished`,
`failed`). A text is queued once per idempotency key; a claim is a lease, so a worker
that dies mid-send leaves the text to another after LEASE; on PostgreSQL, workers claim
with SKIP LOCKED and never wait for each other. A failed try is retried with backoff up
to the configured number of attempts; Twilio's refusals of the text itself (a bad or
unsubscribed number) are not retried. The number and the words are cleared once a text
is done.

A text may be due later (`due_at`: a ride's reminder the day before), may wait for its
number (None: a texting member's number is known only to the gateway, which fills it
in at the member's next text, `learn_phone`), and may be withdrawn before it is sent
(`withdraw`: the ride was cancelled). Given a session, a text is queued in the caller's
transaction: it exists exactly when the change it tells of does.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.deadlines import utcnow
from bot.store import session_scope
from bot.store.models import SmsOutbound

LEASE = timedelta(seconds=60)
FIRST_RETRY = timedelta(seconds=5)
LONGEST_WAIT = timedelta(minutes=10)
DONE = ("sent", "skipped", "failed")


@dataclass(frozen=True)
class Due:
    """A text claimed for sending."""

    id: int
    phone: str
    phone_hash: str
    body: str
    pieces_sent: int
    attempts: int


def enqueue(
    phone: str | None,
    phone_hash: str,
    body: str,
    key: str | None = None,
    due_at: datetime | None = None,
    session: Session | None = None,
) -> bool:
    """Queue a text, due now or at `due_at`; False when a text with this key was queued
    before (nothing added). With `session`, in that session's transaction (committed
    or rolled back with it); without, in a transaction of its own. A None `phone` waits
    for `learn_phone`."""
    now = utcnow()
    row = SmsOutbound(
        idempotency_key=key or f"text:{uuid.uuid4()}",
        phone=phone,
        phone_hash=phone_hash,
        body=body,
        status="queued",
        attempts=0,
        pieces_sent=0,
        next_try_at=due_at.astimezone(timezone.utc) if due_at else now,  # SQLite keeps no zone: UTC
        created_at=now,
    )
    if session is not None:  # a key already there is found first: a clash would end the caller's transaction
        if session.execute(select(SmsOutbound.id).where(SmsOutbound.idempotency_key == row.idempotency_key)).first():
            return False
        session.add(row)
        session.flush()
        return True
    try:
        with session_scope() as own:
            own.add(row)
    except IntegrityError:
        return False
    return True


def withdraw(session: Session, key: str) -> bool:
    """A queued text not to send after all (its number and words cleared); False when
    there is none with this key, or it is already going out or done."""
    done = session.execute(
        update(SmsOutbound)
        .where(SmsOutbound.idempotency_key == key, SmsOutbound.status == "queued")
        .values(status="skipped", done_at=utcnow(), phone=None, body=None)
        .execution_options(synchronize_session=False)
    )
    return bool(done.rowcount)


def waiting_for_phone(session: Session, phone_hash: str) -> bool:
    """Whether a text to this number waits for the number itself."""
    waiting = session.execute(
        select(SmsOutbound.id)
        .where(SmsOutbound.status == "queued", SmsOutbound.phone.is_(None), SmsOutbound.phone_hash == phone_hash)
        .limit(1)
    ).first()
    return waiting is not None


def learn_phone(phone_hash: str, phone: str, session: Session | None = None) -> int:
    """The number of a texting member, for their texts queued before it was known; how many."""
    if session is None:
        with session_scope() as own:
            return learn_phone(phone_hash, phone, own)
    done = session.execute(
        update(SmsOutbound)
        .where(SmsOutbound.phone_hash == phone_hash, SmsOutbound.phone.is_(None), SmsOutbound.status == "queued")
        .values(phone=phone)
        .execution_options(synchronize_session=False)
    )
    return int(done.rowcount)


def claim_due(limit: int = 10, now: datetime | None = None) -> list[Due]:
    """Lease up to `limit` texts that are due (queued, retried, or left by a worker
    whose lease ran out), oldest first."""
    now = now or utcnow()
    due = and_(
        or_(SmsOutbound.status == "queued", SmsOutbound.status == "sending"),
        SmsOutbound.phone.is_not(None),  # a number not known yet: see learn_phone
    )
    with session_scope() as session:
        ids = (
            session.execute(
                select(SmsOutbound.id)
                .where(due, SmsOutbound.next_try_at <= now)
                .order_by(SmsOutbound.id)
                .limit(limit)
                .with_for_update(skip_locked=True)  # PostgreSQL; SQLite has one writer anyway
            )
            .scalars()
            .all()
        )
        claimed = []
        for text_id in ids:
            taken = session.execute(
                update(SmsOutbound)
                .where(SmsOutbound.id == text_id, due, SmsOutbound.next_try_at <= now)
                .values(status="sending", attempts=SmsOutbound.attempts + 1, next_try_at=now + LEASE)
                .execution_options(synchronize_session=False)
            )
            if taken.rowcount == 1:
                claimed.append(text_id)
        rows = session.execute(select(SmsOutbound).where(SmsOutbound.id.in_(claimed))).scalars().all()
        return [Due(r.id, r.phone, r.phone_hash, r.body, r.pieces_sent, r.attempts) for r in rows]


def piece_sent(text_id: int) -> None:
    """One more piece of a long text is with Twilio: a retry starts after it."""
    with session_scope() as session:
        session.execute(
            update(SmsOutbound).where(SmsOutbound.id == text_id).values(pieces_sent=SmsOutbound.pieces_sent + 1)
        )


def finished(text_id: int, status: str) -> None:
    """Sent, or skipped (the number opted out): the number and the words are cleared."""
    _close(text_id, status, None)


def failed(text_id: int, attempts: int, max_attempts: int, error: str, permanent: bool) -> str:
    """A try failed: queued again after a backoff, or given up on. The new status."""
    if permanent or attempts >= max_attempts:
        _close(text_id, "failed", error)
        return "failed"
    wait = min(FIRST_RETRY * 2 ** (attempts - 1), LONGEST_WAIT)
    with session_scope() as session:
        session.execute(
            update(SmsOutbound)
            .where(SmsOutbound.id == text_id)
            .values(status="queued", next_try_at=utcnow() + wait, last_error=error[:200])
        )
    return "queued"


def _close(text_id: int, status: str, error: str | None) -> None:
    with session_scope() as session:
        session.execute(
            update(SmsOutbound)
            .where(SmsOutbound.id == text_id)
            .values(status=status, done_at=utcnow(), phone=None, body=None, last_error=error and error[:200])
        )


def counts() -> dict[str, int]:
    """How many texts are in each status (for the benchmark and staff)."""
    with session_scope() as session:
        rows = session.execute(select(SmsOutbound.status, func.count()).group_by(SmsOutbound.status)).all()
        return {status: n for status, n in rows}
