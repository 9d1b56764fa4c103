"""The member-services API: members and second-opinion requests, for staff only.
Every read or change of a member's records is written to the audit log."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Response, status
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import audit, members, records
from bot.store import repository, session_scope
from bot.store.models import Grievance, RequestStatusChange, Ride, SecondOpinionRequest
from bot.web.auth import staff_actor
from bot.web.schemas import (
    MEMBER_ID_PATTERN,
    REFERENCE_PATTERN,
    ErrorOut,
    InitialOpinion,
    MemberIn,
    MemberOut,
    RequestDetailOut,
    RequestOut,
    Status,
    StatusChangeOut,
    StatusPatch,
)
from bot.workflow import IllegalTransition

UNAUTHORIZED: dict[int | str, dict[str, Any]] = {401: {"model": ErrorOut, "description": "No valid staff token"}}
router = APIRouter(prefix="/api", dependencies=[Depends(staff_actor)], responses=UNAUTHORIZED)
NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"model": ErrorOut, "description": "No record with that reference"}}
CONFLICT: dict[int | str, dict[str, Any]] = {
    409: {"model": ErrorOut, "description": "That status change is not allowed from the current status"}
}
MEMBER_ID_HELP = "Letters, digits and dashes: 4 to 32 letters or digits"
REFERENCE = Path(..., pattern=REFERENCE_PATTERN, description="For example SO-7KQ2-M9XD")


def member_key(member_id: str, where: str) -> str:
    """The member ID as stored (dashes gone, upper case). Anything else is 422: an ID
    is never cut short or changed into another one."""
    if not re.fullmatch(MEMBER_ID_PATTERN, member_id):
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_ENTITY,
            detail=[{"loc": [where, "member_id"], "msg": f"must be {MEMBER_ID_HELP.lower()}", "type": "value_error"}],
        )
    return members.normalize_member_id(member_id)


def db() -> Iterator[Session]:
    with session_scope() as session:
        yield session


def _request_out(row: SecondOpinionRequest) -> dict[str, Any]:
    return dict(
        reference=row.reference,
        member_id=row.member_id,
        plan=row.plan,
        reason=row.reason,
        reason_text=row.reason_text,
        initial_opinion=InitialOpinion(
            provider=row.initial_provider,
            specialty=row.initial_specialty,
            recommendation=row.initial_recommendation,
            date=row.initial_date,
            date_text=row.initial_date_text,
        ),
        requested_by=row.requested_by,
        network=row.network,
        preferred_provider=row.preferred_provider,
        urgency=row.urgency,
        authorization_required=row.authorization_required,
        status=row.status,
        received_at=repository.as_utc(row.received_at),
        decision_due_at=repository.as_utc(row.decision_due_at),
        channel=row.channel,
        conversation_id=row.conversation_id,
        language=row.language,
    )


def _detail(session: Session, row: SecondOpinionRequest) -> RequestDetailOut:
    history = session.execute(
        select(RequestStatusChange)
        .where(RequestStatusChange.request_id == row.id)
        .order_by(RequestStatusChange.changed_at, RequestStatusChange.id)
    ).scalars()
    return RequestDetailOut(
        **_request_out(row),
        denial_notice=row.denial_notice,
        history=[
            StatusChangeOut(
                from_status=h.from_status,
                to_status=h.to_status,
                note=h.note,
                changed_by=h.changed_by,
                changed_at=repository.as_utc(h.changed_at),
            )
            for h in history
        ],
    )


@router.put(
    "/members/{member_id}",
    response_model=MemberOut,
    responses={201: {"model": MemberOut, "description": "Created"}},
    summary="Create or update a member",
)
def put_member(
    body: MemberIn,
    response: Response,
    member_id: str = Path(..., pattern=MEMBER_ID_PATTERN, description=MEMBER_ID_HELP),
    actor: str = Depends(staff_actor),
) -> MemberOut:
    key = member_key(member_id, "path")
    view, created = members.upsert(
        key, body.first_name, body.last_name, body.dob, str(body.plan), body.phone, body.language.value
    )
    with session_scope() as session:
        audit.record(session, actor, "create" if created else "update", "member", key)
    response.status_code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
    return MemberOut(**view.__dict__)


@router.get("/requests", response_model=list[RequestOut], summary="Requests, newest first")
def list_requests(
    member_id: str | None = Query(None, pattern=MEMBER_ID_PATTERN, description=MEMBER_ID_HELP),
    status_: Status | None = Query(None, alias="status"),
    actor: str = Depends(staff_actor),
    session: Session = Depends(db),
) -> list[RequestOut]:
    key = member_key(member_id, "query") if member_id is not None else None
    rows = repository.list_requests(session, key, status_.value if status_ else None)
    audit.record(session, actor, "list", "request", key, f"status={status_.value if status_ else 'any'} n={len(rows)}")
    return [RequestOut(**_request_out(r)) for r in rows]


@router.get(
    "/requests/{reference}",
    response_model=RequestDetailOut,
    responses=NOT_FOUND,
    summary="One request with its history",
)
def get_request(
    reference: str = REFERENCE, actor: str = Depends(staff_actor), session: Session = Depends(db)
) -> RequestDetailOut:
    row = repository.by_reference(session, SecondOpinionRequest, reference)
    if row is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail="no request with that reference")
    audit.record(session, actor, "read", "request", row.reference)
    return _detail(session, row)


@router.patch(
    "/requests/{reference}",
    response_model=RequestDetailOut,
    responses={**NOT_FOUND, **CONFLICT},
    summary="Move a request to another status, with a note",
)
def patch_request(
    body: StatusPatch, reference: str = REFERENCE, actor: str = Depends(staff_actor), session: Session = Depends(db)
) -> RequestDetailOut:
    if body.status == Status("denied") and not (body.reasons or "").strip():
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_ENTITY,
            detail=[
                {
                    "loc": ["body", "reasons"],
                    "msg": "required when denying: the member is told why",
                    "type": "value_error.missing",
                }
            ],
        )
    row = moved(session, "request", reference, body.status.value, actor, body.note, body.reasons)
    assert isinstance(row, SecondOpinionRequest)
    return _detail(session, row)


def moved(
    session: Session,
    kind: str,
    reference: str,
    new_status: str,
    actor: str,
    note: str | None = None,
    reasons: str | None = None,
) -> SecondOpinionRequest | Ride | Grievance:
    """records.move, with 404 for no such record and 409 for a move the workflow refuses."""
    try:
        return records.move(session, kind, reference, new_status, actor, note, reasons)
    except LookupError:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"no {kind} with that reference") from None
    except IllegalTransition as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, detail=str(exc)) from None
