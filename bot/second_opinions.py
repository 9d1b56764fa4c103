"""Second-opinion requests: what the plan requires for a draft, and opening one.

Rules come from bot.policy, dates from bot.deadlines, rows from bot.store. The
same functions serve the assistant's actions, the API and the tests.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import date, datetime, timezone

from sqlalchemy.orm import Session

from bot.deadlines import due_at, pacific_today, utcnow
from bot.grievances import denial_notice
from bot.nlp import parse_date_hint
from bot.policy import Requirement, kb
from bot.store import repository, session_scope
from bot.store.models import RequestStatusChange, SecondOpinionRequest
from bot.workflow import IllegalTransition, check_move, statuses  # noqa: F401 (re-exported)

REQUESTERS = ("member", "representative", "provider")
# Where a request may go next. Denied, completed and withdrawn are final.
NEXT_STATUSES = {
    "received": {"in_review", "approved", "denied", "withdrawn"},
    "in_review": {"approved", "denied", "withdrawn"},
    "approved": {"scheduled", "withdrawn"},
    "scheduled": {"completed", "withdrawn"},
    "denied": set(),
    "completed": set(),
    "withdrawn": set(),
}


STATUSES = statuses(NEXT_STATUSES)
# Received or in review: the plan has yet to decide (the statuses a denial can still come from).
AWAITING_DECISION = tuple(s for s, moves in NEXT_STATUSES.items() if "denied" in moves)


@dataclass(frozen=True)
class RequestDraft:
    plan: str
    reason: str | None
    reason_text: str | None
    initial_provider: str | None
    initial_specialty: str | None
    initial_recommendation: str | None
    initial_date_text: str | None
    initial_date: date | None
    requested_by: str | None
    network: str | None
    preferred_provider: str | None
    urgency: str | None

    def validate(self) -> None:
        if not (self.reason_text and self.initial_provider and self.initial_recommendation):
            raise ValueError("the reason, the first provider and what they recommended are needed")
        kb().plan(self.plan)
        if self.reason not in kb().situation_ids():
            raise ValueError(f"unknown reason {self.reason!r}")
        if self.requested_by not in REQUESTERS:
            raise ValueError(f"unknown requester {self.requested_by!r}")
        kb().requirement(self.plan, self.network, self.urgency)  # checks network/urgency

    def submission_key(self) -> str:
        payload = json.dumps(asdict(self), sort_keys=True, default=str)
        return hashlib.sha256(payload.encode()).hexdigest()[:32]


ANSWERS = (
    "reason",
    "reason_text",
    "initial_provider",
    "initial_specialty",
    "initial_recommendation",
    "initial_date",
    "requested_by",
    "network",
    "preferred_provider",
    "urgency",
)
NO_PREFERRED = "none"  # the member has no provider in mind
NOT_GIVEN = "unknown"  # the member does not remember (the date) or know (the specialty)


def draft_from_answers(plan: str, answers: Mapping[str, str | None]) -> RequestDraft:
    """A draft from the answers as the form's slots (or the console's fields) hold them."""

    def answer(key: str) -> str | None:
        value = (answers.get(key) or "").strip()
        return None if value == NOT_GIVEN else value or None

    date_text, preferred = answer("initial_date"), answer("preferred_provider")
    return RequestDraft(
        plan=plan,
        reason=answer("reason"),
        reason_text=answer("reason_text"),
        initial_provider=answer("initial_provider"),
        initial_specialty=answer("initial_specialty"),
        initial_recommendation=answer("initial_recommendation"),
        initial_date_text=date_text,
        initial_date=parse_date_hint(date_text or "", pacific_today()),
        requested_by=answer("requested_by"),
        network=answer("network"),
        preferred_provider=None if preferred == NO_PREFERRED else preferred,
        urgency=answer("urgency"),
    )


@dataclass(frozen=True)
class OpenedRequest:
    reference: str
    requirement: Requirement
    received_at: datetime
    decision_due_at: datetime | None
    newly_opened: bool


def requirement_for(draft: RequestDraft, lang: str = "en") -> Requirement:
    return kb().requirement(draft.plan, draft.network, draft.urgency, lang)


def open_request(
    draft: RequestDraft,
    conversation_id: str,
    channel: str,
    member_id: str | None = None,
    now: datetime | None = None,
    lang: str = "en",
    opened_by: str = "assistant",
) -> OpenedRequest:
    """Store the request once per conversation and set of answers; a repeat returns
    the request already opened."""
    draft.validate()
    requirement = requirement_for(draft, lang)
    key = draft.submission_key()
    with session_scope() as session:
        existing = repository.find_submission(session, conversation_id, key)
        if existing is not None:
            return OpenedRequest(
                existing.reference,
                requirement,
                repository.as_utc(existing.received_at),
                repository.as_utc(existing.decision_due_at),
                newly_opened=False,
            )
        received = (now or utcnow()).astimezone(timezone.utc)
        timeline = requirement.timeline
        due = due_at(received, timeline.unit, timeline.amount) if requirement.authorization_required else None
        row, created = repository.add_request(
            session,
            conversation_id=conversation_id,
            submission_key=key,
            channel=channel,
            member_id=member_id,
            plan=draft.plan,
            reason=draft.reason,
            reason_text=draft.reason_text,
            initial_provider=draft.initial_provider,
            initial_specialty=draft.initial_specialty,
            initial_recommendation=draft.initial_recommendation,
            initial_date_text=draft.initial_date_text,
            initial_date=draft.initial_date,
            requested_by=draft.requested_by,
            network=draft.network,
            preferred_provider=draft.preferred_provider,
            urgency=draft.urgency,
            authorization_required=requirement.authorization_required,
            status="received",
            received_at=received,
            decision_due_at=due,
            language=lang,
        )
        if created:
            session.add(
                RequestStatusChange(
                    request_id=row.id,
                    from_status=None,
                    to_status="received",
                    note=f"opened in the conversation ({channel})",
                    changed_by=opened_by,
                    changed_at=received,
                )
            )
        return OpenedRequest(
            row.reference,
            requirement,
            repository.as_utc(row.received_at),
            repository.as_utc(row.decision_due_at),
            newly_opened=created,
        )


def change_status(
    session: Session,
    reference: str,
    new_status: str,
    changed_by: str,
    note: str | None = None,
    reasons: str | None = None,
) -> SecondOpinionRequest:
    """Move a request along its workflow, keeping who did it and when. A denial needs
    its reasons and produces the member's notice from policies_kb."""
    row = repository.by_reference(session, SecondOpinionRequest, reference)
    if row is None:
        raise LookupError(reference)
    check_move(NEXT_STATUSES, "request", row.status, new_status)
    if new_status == "denied":
        if not reasons or not reasons.strip():
            raise IllegalTransition("a denial needs its reasons")
        row.denial_reasons = reasons.strip()
        row.denial_notice = denial_notice(row.plan, row.reference, reasons)
        row.denial_notice_offered_at = None
    session.add(
        RequestStatusChange(
            request_id=row.id,
            from_status=row.status,
            to_status=new_status,
            note=note,
            changed_by=changed_by,
            changed_at=utcnow(),
        )
    )
    row.status = new_status
    session.flush()
    return row


def latest_request_for(member_id: str) -> str | None:
    """The reference of a member's most recent request, if any."""
    with session_scope() as session:
        rows = repository.list_requests(session, member_id=member_id, limit=1)
        return rows[0].reference if rows else None


def take_denial_to_offer(member_id: str) -> tuple[str, str] | None:
    """(reference, reasons) of a denial the member has not been offered help with yet;
    marks it offered, so the next conversation starts with it once."""
    with session_scope() as session:
        rows = repository.list_requests(session, member_id=member_id, status="denied", limit=20)
        for row in rows:
            if row.denial_notice and row.denial_notice_offered_at is None:
                row.denial_notice_offered_at = utcnow()
                return row.reference, row.denial_reasons
    return None
