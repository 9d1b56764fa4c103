"""Rides to second-opinion visits: which kind of ride, lead time, and the ride records.
The rules (ride kinds, lead time) come from policies_kb/ through bot.policy."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import notices
from bot.deadlines import add_business_days, utcnow
from bot.policy import RideKind, kb
from bot.store import repository, session_scope
from bot.store.models import RecordStatusChange, Ride, SecondOpinionRequest
from bot.workflow import check_move, statuses

NEXT_RIDE_STATUSES = {
    "requested": {"scheduled", "cancelled"},
    "scheduled": {"completed", "cancelled"},
    "cancelled": set(),
    "completed": set(),
}

RIDE_STATUSES = statuses(NEXT_RIDE_STATUSES)
ACTIVE_RIDE_STATUSES = tuple(s for s, moves in NEXT_RIDE_STATUSES.items() if "cancelled" in moves)


@dataclass(frozen=True)
class RideDraft:
    plan: str
    pickup_address: str
    companion: bool
    mobility: str
    appointment_at: datetime | None
    appointment_text: str | None


def inside_lead_time(plan: str, appointment_at: datetime | None, now: datetime) -> bool:
    """True when the visit is sooner than the plan's lead time allows to book calmly."""
    if appointment_at is None:
        return False
    return appointment_at < add_business_days(now, kb().ride_lead_business_days(plan))


def ride_kind(mobility: str, lang: str = "en") -> RideKind:
    return kb().ride_for(mobility, lang)


def request_ride(
    draft: RideDraft,
    conversation_id: str,
    member_id: str | None,
    request_reference: str | None,
    now: datetime | None = None,
    by: str = "assistant",
) -> Ride:
    now = (now or utcnow()).astimezone(timezone.utc)
    kind = ride_kind(draft.mobility)
    with session_scope() as session:
        request = (
            repository.by_reference(session, SecondOpinionRequest, request_reference) if request_reference else None
        )
        row = repository.add_with_reference(
            session,
            Ride,
            "RD",
            request_id=request.id if request else None,
            member_id=member_id,
            conversation_id=conversation_id,
            plan=draft.plan,
            appointment_at=draft.appointment_at and draft.appointment_at.astimezone(timezone.utc),
            appointment_text=draft.appointment_text,
            pickup_address=draft.pickup_address,
            companion=draft.companion,
            mobility=draft.mobility,
            mode=kind.mode,
            pcs_required=kind.pcs_required,
            inside_lead_time=inside_lead_time(draft.plan, draft.appointment_at, now),
            status="requested",
            created_at=now,
            updated_at=now,
        )
        _history(session, row, None, "requested", "asked for in the conversation", by, now)
        notices.ride_booked(session, row, now)  # the reminder the day before, queued with the ride
        session.expunge(row)
        return row


def _history(session: Session, row: Ride, old: str | None, new: str, note: str | None, by: str, at: datetime) -> None:
    session.add(
        RecordStatusChange(
            entity="ride", record_id=row.id, from_status=old, to_status=new, note=note, changed_by=by, changed_at=at
        )
    )


def member_rides(member_id: str) -> list[Ride]:
    with session_scope() as session:
        return repository.detached(
            session,
            list(
                session.execute(
                    select(Ride).where(Ride.member_id == member_id).order_by(Ride.created_at.desc(), Ride.id.desc())
                ).scalars()
            ),
        )


def change_ride_status(
    session: Session, reference: str, new_status: str, by: str, note: str | None = None, member_id: str | None = None
) -> Ride:
    """Move a ride along; with member_id, only that member's ride can be found."""
    row = repository.by_reference(session, Ride, reference, member_id)
    if row is None:
        raise LookupError(reference)
    check_move(NEXT_RIDE_STATUSES, "ride", row.status, new_status)
    now = utcnow()
    _history(session, row, row.status, new_status, note, by, now)
    row.status, row.updated_at = new_status, now
    if new_status == "cancelled":
        notices.ride_cancelled(session, row)  # its reminder is not sent
    session.flush()
    return row


def cancel_members_ride(reference: str, member_id: str, note: str) -> None:
    """The member cancels one of their own rides. Raises LookupError (not theirs, or no
    such ride) or IllegalTransition (already done or cancelled)."""
    with session_scope() as session:
        change_ride_status(session, reference, "cancelled", "member", note, member_id=member_id)
