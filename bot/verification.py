"""Verification limits and verified conversations, kept in the database so they hold
across conversations and channels.

A try is a member ID plus a date of birth, from a conversation and, when the gateway
says, a source. Failed tries are counted per member ID (MEMBER_MAX_FAILURES within
FAILURE_WINDOW lock that ID everywhere for LOCK_PERIOD, or until an agent unlocks it),
per conversation (CONVERSATION_MAX_FAILURES end verification there) and per
conversation and source for a back-off between tries. Even the right date of birth is
refused while locked. An unknown member ID is counted and locked like any other, so
nothing said reveals whether it exists. Failures, locks and unlocks are audited (keys
only). A verified conversation stays verified until IDLE_EXPIRY without activity or
start over; the actions ask `verified_member`, never the tracker's slots.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot import audit, members
from bot.deadlines import utcnow
from bot.members import MemberView
from bot.store import session_scope
from bot.store.models import Handoff, VerificationFailure, VerificationLock, VerifiedConversation
from bot.store.repository import as_utc

MEMBER_MAX_FAILURES = 5
FAILURE_WINDOW = timedelta(hours=24)
LOCK_PERIOD = timedelta(hours=24)
CONVERSATION_MAX_FAILURES = 3
BACKOFF_FREE_FAILURES = 2  # a person retyping a date is not slowed down
BACKOFF_FIRST = timedelta(seconds=2)
BACKOFF_MAX = timedelta(seconds=60)
IDLE_EXPIRY = timedelta(minutes=30)

VERIFIED, WRONG, LOCKED, WAIT = "verified", "wrong", "locked", "wait"
ACTOR = "assistant"
WINDOW_TEXT = f"{FAILURE_WINDOW.total_seconds() / 3600:g} h"
DATE_LIKE = re.compile(r"\d{1,4}\s*[-/.]\s*\d{1,2}\s*[-/.]\s*\d{1,4}")


@dataclass(frozen=True)
class Outcome:
    status: str  # verified | wrong | locked | wait
    member: MemberView | None = None  # only when verified
    failures: int = 0  # failed tries in this conversation within the window
    wait_seconds: int = 0


@dataclass(frozen=True)
class Lock:
    member_id: str
    locked_at: datetime
    locked_until: datetime


def attempt(member_id: str, dob: date | str | None, conversation_id: str, source: str | None = None) -> Outcome:
    """One try; on success the conversation is verified as that member."""
    key = members.normalize_member_id(member_id)
    born = dob if isinstance(dob, date) else members.parse_dob(str(dob or ""))
    now = utcnow()
    with session_scope() as session:
        wait = _wait_seconds(session, conversation_id, _hash(source), now)
        if wait:
            return Outcome(WAIT, failures=_tried_here(session, conversation_id, now), wait_seconds=wait)
        if _tried_here(session, conversation_id, now) >= CONVERSATION_MAX_FAILURES or _locked(session, key, now):
            return _refused(session, key, conversation_id, source, now)
        member = members.matching(session, key, born) if key else None
        if member is None:
            return _failed(session, key, conversation_id, source, now)
        _clear_failures(session, key, now)
        _verified(session, member, conversation_id, ACTOR, now)
        audit.record(session, ACTOR, "verify", "member", key, f"verified; conversation {conversation_id}")
        return Outcome(VERIFIED, member, _tried_here(session, conversation_id, now))


def verified_member(conversation_id: str) -> MemberView | None:
    """Who this conversation is verified as (refreshing its activity), or None."""
    now = utcnow()
    with session_scope() as session:
        row = _adopt_agent_verification(session, conversation_id, _verified_row(session, conversation_id))
        if (
            row is None
            or row.ended_at is not None
            or row.member_id is None
            or as_utc(row.last_seen_at) <= now - IDLE_EXPIRY
        ):
            return None
        row.last_seen_at = now
        return members.lookup(session, row.member_id)


def forget(conversation_id: str) -> None:
    """End the conversation's verification (start over)."""
    with session_scope() as session:
        row = _verified_row(session, conversation_id) or VerifiedConversation(conversation_id=conversation_id)
        session.add(row)
        row.ended_at = utcnow()


def unlock(member_id: str, agent: str, reason: str) -> bool:
    """An agent lifts the lock on a member ID (and its failed tries); True if it was locked."""
    key = members.normalize_member_id(member_id)
    reason = DATE_LIKE.sub("[date]", " ".join((reason or "").split()))[:200]
    if not key or not reason:
        raise ValueError("a member ID and a reason are needed")
    now = utcnow()
    with session_scope() as session:
        locks = session.execute(select(VerificationLock).where(*_active(key, now))).scalars().all()
        if not locks:
            return False
        for lock in locks:
            lock.unlocked_at, lock.unlocked_by, lock.unlock_reason = now, f"agent:{agent}", reason
        _clear_failures(session, key, now)
        audit.record(session, f"agent:{agent}", "verify_unlocked", "member", key, reason)
        return True


def active_locks() -> list[Lock]:
    now = utcnow()
    with session_scope() as session:
        rows = (
            session.execute(select(VerificationLock).where(*_active(None, now)).order_by(VerificationLock.locked_at))
            .scalars()
            .all()
        )
        seen: dict[str, Lock] = {}
        for row in rows:
            seen.setdefault(row.member_id, Lock(row.member_id, as_utc(row.locked_at), as_utc(row.locked_until)))
        return list(seen.values())


def locked_member_ids() -> list[str]:
    return [lock.member_id for lock in active_locks()]


# -- counting -----------------------------------------------------------------------


def _hash(source: str | None) -> str | None:
    return hashlib.sha256(source.encode()).hexdigest() if source else None


def _recent(session: Session, column: Any, value: str, now: datetime) -> list[datetime]:
    """When the uncleared failures with column == value happened, within the window, oldest first."""
    rows = (
        session.execute(
            select(VerificationFailure.at).where(
                column == value, VerificationFailure.cleared_at.is_(None), VerificationFailure.at > now - FAILURE_WINDOW
            )
        )
        .scalars()
        .all()
    )
    return sorted(as_utc(at) for at in rows)


def _tried_here(session: Session, conversation_id: str, now: datetime) -> int:
    return len(_recent(session, VerificationFailure.conversation_id, conversation_id, now))


def _wait_seconds(session: Session, conversation_id: str, source_hash: str | None, now: datetime) -> int:
    waits = [_backoff_left(_recent(session, VerificationFailure.conversation_id, conversation_id, now), now)]
    if source_hash:
        waits.append(_backoff_left(_recent(session, VerificationFailure.source_hash, source_hash, now), now))
    return max(waits)


def _backoff_left(failures: list[datetime], now: datetime) -> int:
    beyond_free = len(failures) - BACKOFF_FREE_FAILURES
    if beyond_free <= 0:
        return 0
    delay: timedelta = min(BACKOFF_FIRST * 2 ** (beyond_free - 1), BACKOFF_MAX)
    return max(0, math.ceil((failures[-1] + delay - now).total_seconds()))


def _active(member_id: str | None, now: datetime) -> list[Any]:  # SQL conditions
    where = [VerificationLock.unlocked_at.is_(None), VerificationLock.locked_until > now]
    return where + ([VerificationLock.member_id == member_id] if member_id else [])


def _locked(session: Session, member_id: str, now: datetime) -> bool:
    return (
        bool(member_id)
        and session.execute(select(VerificationLock.id).where(*_active(member_id, now)).limit(1)).first() is not None
    )


# -- recording ----------------------------------------------------------------------


def _add_failure(session: Session, key: str, conversation_id: str, source: str | None, now: datetime) -> None:
    session.add(
        VerificationFailure(at=now, member_id=key or None, conversation_id=conversation_id, source_hash=_hash(source))
    )
    session.flush()


def _refused(session: Session, key: str, conversation_id: str, source: str | None, now: datetime) -> Outcome:
    # Counted for the conversation's and the source's back-off; a refused try tells the
    # guesser nothing, so it does not count toward the member ID's own limit.
    _add_failure(session, "", conversation_id, source, now)
    audit.record(session, ACTOR, "verify_refused", "member", key or None, f"locked; conversation {conversation_id}")
    return Outcome(LOCKED, failures=_tried_here(session, conversation_id, now))


def _failed(session: Session, key: str, conversation_id: str, source: str | None, now: datetime) -> Outcome:
    _add_failure(session, key, conversation_id, source, now)
    tried = _tried_here(session, conversation_id, now)
    total = len(_recent(session, VerificationFailure.member_id, key, now)) if key else 0
    audit.record(
        session,
        ACTOR,
        "verify_failed",
        "member",
        key or None,
        f"{total} of {MEMBER_MAX_FAILURES} within {WINDOW_TEXT}; conversation {conversation_id}",
    )
    if total < MEMBER_MAX_FAILURES:
        return Outcome(WRONG, failures=tried)
    session.add(VerificationLock(member_id=key, locked_at=now, locked_until=now + LOCK_PERIOD))
    audit.record(session, ACTOR, "verify_locked", "member", key, f"{total} failed tries within {WINDOW_TEXT}")
    return Outcome(LOCKED, failures=tried)


def _clear_failures(session: Session, member_id: str, now: datetime) -> None:
    session.execute(
        update(VerificationFailure)
        .where(VerificationFailure.member_id == member_id, VerificationFailure.cleared_at.is_(None))
        .values(cleared_at=now)
        .execution_options(synchronize_session=False)
    )


def _verified_row(session: Session, conversation_id: str) -> VerifiedConversation | None:
    found: VerifiedConversation | None = session.execute(
        select(VerifiedConversation).where(VerifiedConversation.conversation_id == conversation_id)
    ).scalar_one_or_none()
    return found


def _verified(
    session: Session, member: MemberView, conversation_id: str, by: str, when: datetime
) -> VerifiedConversation:
    row = _verified_row(session, conversation_id) or VerifiedConversation(conversation_id=conversation_id)
    session.add(row)
    row.member_id, row.plan, row.verified_by = member.member_id, member.plan, by
    row.verified_at, row.last_seen_at, row.ended_at = when, when, None
    return row


def _adopt_agent_verification(
    session: Session, conversation_id: str, row: VerifiedConversation | None
) -> VerifiedConversation | None:
    """A member an agent verified in the console (then handed back) is verified here
    too, unless the conversation verified again or started over since."""
    handed = session.execute(
        select(Handoff)
        .where(Handoff.conversation_id == conversation_id, Handoff.status == "returned")
        .order_by(Handoff.id.desc())
        .limit(1)
    ).scalar_one_or_none()
    settled = json.loads(handed.agent_slots or "{}") if handed else {}
    if not (settled.get("verified") and settled.get("member_id")):
        return row
    closed = as_utc(handed.closed_at)
    if row is not None and any(as_utc(t) and as_utc(t) >= closed for t in (row.verified_at, row.ended_at)):
        return row
    member = members.lookup(session, settled["member_id"])
    return _verified(session, member, conversation_id, f"agent:{handed.agent}", closed) if member else row
