"""A member's records (requests, rides, grievances) for staff: reading them, and moving
them along, audited. The rules stay with each record's module; this only picks the
module and writes the audit line. The API and the agent console both use it."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from bot import audit, notices
from bot.grievances import NEXT_GRIEVANCE_STATUSES, change_grievance_status
from bot.second_opinions import NEXT_STATUSES, change_status
from bot.store import repository, session_scope
from bot.store.models import Grievance, Ride, SecondOpinionRequest
from bot.transport import NEXT_RIDE_STATUSES, change_ride_status

NEXT: dict[str, dict[str, set[str]]] = {
    "request": NEXT_STATUSES,
    "ride": NEXT_RIDE_STATUSES,
    "grievance": NEXT_GRIEVANCE_STATUSES,
}


def move(
    session: Session,
    kind: str,
    reference: str,
    new_status: str,
    actor: str,
    note: str | None = None,
    reasons: str | None = None,
) -> SecondOpinionRequest | Ride | Grievance:
    """The moved row. Raises LookupError (no such record) or IllegalTransition (not allowed now)."""
    row: SecondOpinionRequest | Ride | Grievance
    if kind == "request":
        row = change_status(session, reference, new_status, actor, note, reasons=reasons)
        notices.request_moved(session, row)  # the member's text, if they asked for one: queued with the move
    elif kind == "ride":
        row = change_ride_status(session, reference, new_status, actor, note)
    elif kind == "grievance":
        row = change_grievance_status(session, reference, new_status, actor, note)
    else:
        raise LookupError(kind)
    audit.record(session, actor, "update", kind, row.reference, f"status->{new_status}")
    return row


def next_statuses(kind: str, current: str) -> list[str]:
    return sorted(NEXT[kind].get(current, set()))


def of_conversation(conversation_id: str, member_id: str | None = None) -> dict[str, list[Any]]:
    """The member's requests, rides and grievances, newest first (by member ID once
    verified, and those opened in this conversation), readable after the session."""
    with session_scope() as session:
        found = repository.records_of(session, conversation_id, member_id)
        for rows in found.values():
            repository.detached(session, rows)
        return found
