"""Reads and writes of rows, each written once here: a record by its reference, a
member, a texting number, a member's records, and rows handed out of their session.
No plan rules here: callers pass decided values."""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any, TypeVar, overload

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.store.models import Base, Grievance, Member, Ride, SecondOpinionRequest, SmsContact

Record = TypeVar("Record", SecondOpinionRequest, Ride, Grievance)
Row = TypeVar("Row")
Model = TypeVar("Model", bound=Base)

# No 0/O, 1/I/L, to read aloud or text without confusion.
REFERENCE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
REFERENCE_LENGTH = 8


# A record's reference as a member writes it: SO- requests, RD- rides, GR- grievances.
REFERENCE = re.compile(r"\b(?:SO|RD|GR)-[A-Z0-9]{4}-[A-Z0-9]{4}\b", re.IGNORECASE)


def new_reference(prefix: str = "SO") -> str:
    """Random, so one reference tells nothing about another. SO- requests, RD- rides,
    GR- grievances."""
    body = "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(REFERENCE_LENGTH))
    return f"{prefix}-{body[:4]}-{body[4:]}"


def add_with_reference(
    session: Session, model: type[Model], prefix: str, on_clash: Callable[[], Model | None] | None = None, **fields: Any
) -> Model:
    """Insert a row under a fresh reference, retrying the (rare) reference clash.
    `on_clash()` may return a row that makes the insert unnecessary (then returned)."""
    for _ in range(5):
        row = model(reference=new_reference(prefix), **fields)
        try:
            with session.begin_nested():
                session.add(row)
                session.flush()
            return row
        except IntegrityError:
            existing = on_clash() if on_clash else None
            if existing is not None:
                return existing
    raise RuntimeError("could not allocate a unique reference")


def find_submission(session: Session, conversation_id: str, submission_key: str) -> SecondOpinionRequest | None:
    found: SecondOpinionRequest | None = session.execute(
        select(SecondOpinionRequest).where(
            SecondOpinionRequest.conversation_id == conversation_id,
            SecondOpinionRequest.submission_key == submission_key,
        )
    ).scalar_one_or_none()
    return found


def by_reference(session: Session, model: type[Record], reference: str, member_id: str | None = None) -> Record | None:
    """A request, ride or grievance by its reference (as typed, any case); with
    `member_id`, only if it is that member's."""
    query = select(model).where(model.reference == reference.upper())
    if member_id is not None:
        query = query.where(model.member_id == member_id)
    found: Record | None = session.execute(query).scalar_one_or_none()
    return found


def member(session: Session, member_id: str) -> Member | None:
    """A member by their ID as stored (normalised: bot.members.normalize_member_id)."""
    found: Member | None = session.execute(select(Member).where(Member.member_id == member_id)).scalar_one_or_none()
    return found


RecordModel = type[SecondOpinionRequest] | type[Ride] | type[Grievance]


def records_of(
    session: Session, conversation_id: str, member_id: str | None = None, limit: int = 20
) -> dict[str, list[Any]]:
    """A member's requests, rides and grievances, newest first: by member ID when known,
    with those opened in the conversation."""

    def theirs(model: RecordModel) -> Any:  # a SQL condition
        in_conversation = model.conversation_id == conversation_id
        return or_(model.member_id == member_id, in_conversation) if member_id else in_conversation

    return _records(session, theirs, limit)


def member_records(session: Session, member_id: str, limit: int = 20) -> dict[str, list[Any]]:
    """A verified member's own requests, rides and grievances, newest first (by member ID only)."""
    return _records(session, lambda model: model.member_id == member_id, limit)


def _records(session: Session, theirs: Callable[[RecordModel], Any], limit: int) -> dict[str, list[Any]]:
    return {
        key: list(session.execute(select(model).where(theirs(model)).order_by(newest.desc()).limit(limit)).scalars())
        for key, model, newest in (
            ("requests", SecondOpinionRequest, SecondOpinionRequest.received_at),
            ("rides", Ride, Ride.created_at),
            ("grievances", Grievance, Grievance.received_at),
        )
    }


def detached(session: Session, rows: list[Row]) -> list[Row]:
    """Rows to use after their session has closed (their loaded values stay readable)."""
    for row in rows:
        session.expunge(row)
    return rows


def add_request(session: Session, **fields: Any) -> tuple[SecondOpinionRequest, bool]:
    """Insert a request with a fresh reference; (row, created). If the same submission
    was stored meanwhile (a retried call racing the first), that row is returned."""
    existing: list[SecondOpinionRequest | None] = []

    def stored_meanwhile() -> SecondOpinionRequest | None:
        existing[:] = [find_submission(session, fields["conversation_id"], fields["submission_key"])]
        return existing[0]

    row = add_with_reference(session, SecondOpinionRequest, "SO", on_clash=stored_meanwhile, **fields)
    return row, not (existing and existing[0] is row)


def list_requests(
    session: Session, member_id: str | None = None, status: str | None = None, limit: int = 200
) -> list[SecondOpinionRequest]:
    query = select(SecondOpinionRequest)
    if member_id:
        query = query.where(SecondOpinionRequest.member_id == member_id)
    if status:
        query = query.where(SecondOpinionRequest.status == status)
    query = query.order_by(SecondOpinionRequest.received_at.desc(), SecondOpinionRequest.id.desc())
    return list(session.execute(query.limit(limit)).scalars())


def sms_contact(session: Session, phone_hash: str) -> SmsContact | None:
    """A texting number, by the keyed hash that stands for it."""
    found: SmsContact | None = session.execute(
        select(SmsContact).where(SmsContact.phone_hash == phone_hash)
    ).scalar_one_or_none()
    return found


def opted_out(session: Session, phone_hash: str) -> bool:
    """Whether this texting number sent STOP (and not START since)."""
    contact = sms_contact(session, phone_hash)
    return bool(contact is not None and contact.opted_out)


@overload
def as_utc(moment: datetime) -> datetime: ...
@overload
def as_utc(moment: None) -> None: ...
def as_utc(moment: datetime | None) -> datetime | None:
    """SQLite returns naive datetimes; they were stored as UTC."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=timezone.utc)
