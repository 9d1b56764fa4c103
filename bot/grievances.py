"""Grievances and denial notices. Rights and deadlines come from policies_kb/
(general Medi-Cal rules, and each plan's own `refused` rule) through bot.policy."""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy.orm import Session

from bot.deadlines import due_at, utcnow
from bot.messages import text
from bot.policy import kb
from bot.rights import rights_answer
from bot.store import repository, session_scope
from bot.store.models import Grievance, RecordStatusChange, SecondOpinionRequest
from bot.workflow import check_move, statuses

ABOUT = ("denied_request", "pcp_refused", "handling", "other")
NEXT_GRIEVANCE_STATUSES = {
    "received": {"acknowledged", "resolved", "withdrawn"},
    "acknowledged": {"resolved", "withdrawn"},
    "resolved": set(),
    "withdrawn": set(),
}

GRIEVANCE_STATUSES = statuses(NEXT_GRIEVANCE_STATUSES)
# Not yet resolved (nor withdrawn): the statuses it can still be resolved from.
OPEN_GRIEVANCE = tuple(s for s, moves in NEXT_GRIEVANCE_STATUSES.items() if "resolved" in moves)


def rights_sentences(plan: str, lang: str = "en") -> list[str]:
    """What a member may do, in reading order: the plan's own refusal rule (with its
    policy named), then the general Medi-Cal rights, each with its public source."""
    general = [text("general_rule", lang, rule=rule, source=source) for rule, source in kb().grievance_rights(lang)]
    return [rights_answer(plan, "refused", lang)] + general


def file_grievance(
    plan: str,
    about: str,
    account_text: str,
    expedited: bool,
    conversation_id: str,
    member_id: str | None,
    request_reference: str | None = None,
    now: datetime | None = None,
    by: str = "assistant",
) -> Grievance:
    if about not in ABOUT:
        raise ValueError(f"unknown grievance subject {about!r}")
    now = (now or utcnow()).astimezone(timezone.utc)
    ack_unit, ack_amount = kb().grievance_deadline("acknowledge")
    res_unit, res_amount = kb().grievance_deadline("resolve_expedited" if expedited else "resolve")
    with session_scope() as session:
        request = (
            repository.by_reference(session, SecondOpinionRequest, request_reference) if request_reference else None
        )
        row = repository.add_with_reference(
            session,
            Grievance,
            "GR",
            member_id=member_id,
            conversation_id=conversation_id,
            plan=plan,
            request_id=request.id if request else None,
            about=about,
            account_text=account_text,
            expedited=expedited,
            status="received",
            received_at=now,
            acknowledge_due_at=due_at(now, ack_unit, ack_amount),
            resolve_due_at=due_at(now, res_unit, res_amount),
        )
        session.add(
            RecordStatusChange(
                entity="grievance",
                record_id=row.id,
                from_status=None,
                to_status="received",
                note="filed in the conversation",
                changed_by=by,
                changed_at=now,
            )
        )
        session.flush()
        session.expunge(row)
        return row


def change_grievance_status(
    session: Session, reference: str, new_status: str, by: str, note: str | None = None
) -> Grievance:
    row = repository.by_reference(session, Grievance, reference)
    if row is None:
        raise LookupError(reference)
    check_move(NEXT_GRIEVANCE_STATUSES, "grievance", row.status, new_status)
    session.add(
        RecordStatusChange(
            entity="grievance",
            record_id=row.id,
            from_status=row.status,
            to_status=new_status,
            note=note,
            changed_by=by,
            changed_at=utcnow(),
        )
    )
    row.status = new_status
    session.flush()
    return row


def denial_notice(plan: str, reference: str, reasons: str, lang: str = "en") -> str:
    """The member's written notice when staff deny a request: the reasons, the plan's
    own rule on refusals, grievance and appeal rights and how to file, and the DMHC
    statement (Health and Safety Code 1368.02(b))."""
    parts = [
        text("denial_notice_intro", lang, plan_name=kb().plan(plan).name, reference=reference, reasons=reasons.strip()),
        *rights_sentences(plan, lang),
        text("denial_how_to_file", lang, plan_name=kb().plan(plan).name),
        kb().dmhc_statement(lang),
    ]
    return "\n\n".join(parts)
