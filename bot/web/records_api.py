"""Rides and grievances for member services: same auth, audit and error rules as the
requests API. `?overdue=true` lists what needs attention first."""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException, Query, status
from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from bot import audit
from bot.deadlines import utcnow
from bot.store import repository
from bot.store.models import Grievance, Ride, SecondOpinionRequest
from bot.web.api import CONFLICT, MEMBER_ID_HELP, NOT_FOUND, REFERENCE, UNAUTHORIZED, db, member_key, moved
from bot.web.auth import staff_actor
from bot.web.schemas import (
    MEMBER_ID_PATTERN,
    REFERENCE_PATTERN,
    GrievanceOut,
    GrievancePatch,
    GrievanceStatus,
    RideOut,
    RidePatch,
)

router = APIRouter(prefix="/api", dependencies=[Depends(staff_actor)], responses=UNAUTHORIZED)


def _request_ref(session: Session, request_id: int | None) -> str | None:
    return session.get(SecondOpinionRequest, request_id).reference if request_id else None


def _ride_out(session: Session, r: Ride) -> RideOut:
    return RideOut(
        reference=r.reference,
        request=_request_ref(session, r.request_id),
        member_id=r.member_id,
        plan=r.plan,
        appointment_at=repository.as_utc(r.appointment_at),
        appointment_text=r.appointment_text,
        pickup_address=r.pickup_address,
        companion=r.companion,
        mobility=r.mobility,
        mode=r.mode,
        pcs_required=r.pcs_required,
        inside_lead_time=r.inside_lead_time,
        status=r.status,
        created_at=repository.as_utc(r.created_at),
    )


def _grievance_out(session: Session, g: Grievance) -> GrievanceOut:
    return GrievanceOut(
        reference=g.reference,
        member_id=g.member_id,
        plan=g.plan,
        request=_request_ref(session, g.request_id),
        about=g.about,
        account_text=g.account_text,
        expedited=g.expedited,
        status=g.status,
        received_at=repository.as_utc(g.received_at),
        acknowledge_due_at=repository.as_utc(g.acknowledge_due_at),
        resolve_due_at=repository.as_utc(g.resolve_due_at),
    )


@router.get("/rides", response_model=list[RideOut], summary="Rides, newest first")
def list_rides(
    request: str | None = Query(None, pattern=REFERENCE_PATTERN, description="A request's reference"),
    overdue: bool = Query(False, description="Only open rides asked for inside the lead time"),
    actor: str = Depends(staff_actor),
    session: Session = Depends(db),
) -> list[RideOut]:
    query = select(Ride).order_by(Ride.created_at.desc(), Ride.id.desc())
    if request:
        req = repository.by_reference(session, SecondOpinionRequest, request)
        query = query.where(Ride.request_id == (req.id if req else -1))
    if overdue:
        query = query.where(Ride.inside_lead_time.is_(True), Ride.status == "requested")
    rows = list(session.execute(query.limit(200)).scalars())
    audit.record(session, actor, "list", "ride", request, f"overdue={overdue} n={len(rows)}")
    return [_ride_out(session, r) for r in rows]


def _ride(session: Session, reference: str) -> Ride:
    row = repository.by_reference(session, Ride, reference)
    if row is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail="no ride with that reference")
    return row


@router.get("/rides/{reference}", response_model=RideOut, responses=NOT_FOUND, summary="One ride")
def get_ride(reference: str = REFERENCE, actor: str = Depends(staff_actor), session: Session = Depends(db)) -> RideOut:
    row = _ride(session, reference)
    audit.record(session, actor, "read", "ride", row.reference)
    return _ride_out(session, row)


@router.patch(
    "/rides/{reference}",
    response_model=RideOut,
    responses={**NOT_FOUND, **CONFLICT},
    summary="Move a ride to another status, with a note",
)
def patch_ride(
    body: RidePatch, reference: str = REFERENCE, actor: str = Depends(staff_actor), session: Session = Depends(db)
) -> RideOut:
    row = moved(session, "ride", reference, body.status.value, actor, body.note)
    assert isinstance(row, Ride)
    return _ride_out(session, row)


@router.get("/grievances", response_model=list[GrievanceOut], summary="Grievances, newest first")
def list_grievances(
    member_id: str | None = Query(None, pattern=MEMBER_ID_PATTERN, description=MEMBER_ID_HELP),
    status_: GrievanceStatus | None = Query(None, alias="status"),
    overdue: bool = Query(False, description="Only those past an acknowledgement or resolution due date"),
    actor: str = Depends(staff_actor),
    session: Session = Depends(db),
) -> list[GrievanceOut]:
    query = select(Grievance).order_by(Grievance.received_at.desc(), Grievance.id.desc())
    key = member_key(member_id, "query") if member_id is not None else None
    if key:
        query = query.where(Grievance.member_id == key)
    if status_:
        query = query.where(Grievance.status == status_.value)
    if overdue:
        now = utcnow()
        query = query.where(
            or_(
                and_(Grievance.status == "received", Grievance.acknowledge_due_at < now),
                and_(Grievance.status.in_(("received", "acknowledged")), Grievance.resolve_due_at < now),
            )
        )
    rows = list(session.execute(query.limit(200)).scalars())
    audit.record(session, actor, "list", "grievance", key, f"overdue={overdue} n={len(rows)}")
    return [_grievance_out(session, g) for g in rows]


@router.get("/grievances/{reference}", response_model=GrievanceOut, responses=NOT_FOUND, summary="One grievance")
def get_grievance(
    reference: str = REFERENCE, actor: str = Depends(staff_actor), session: Session = Depends(db)
) -> GrievanceOut:
    row = repository.by_reference(session, Grievance, reference)
    if row is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail="no grievance with that reference")
    audit.record(session, actor, "read", "grievance", row.reference)
    return _grievance_out(session, row)


@router.patch(
    "/grievances/{reference}",
    response_model=GrievanceOut,
    responses={**NOT_FOUND, **CONFLICT},
    summary="Move a grievance to another status",
)
def patch_grievance(
    body: GrievancePatch, reference: str = REFERENCE, actor: str = Depends(staff_actor), session: Session = Depends(db)
) -> GrievanceOut:
    row = moved(session, "grievance", reference, body.status.value, actor, body.note)
    assert isinstance(row, Grievance)
    return _grievance_out(session, row)
