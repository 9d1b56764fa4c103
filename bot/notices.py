"""Telling a member what happened to their request after the conversation: the decision
text, the web chat's notice on the next visit, and the ride's reminder the day before.

- Consent is the member's answer, kept on the request (`record_consent`): a text only
  when they said yes, to the number they gave (a texting member's own number, which only
  the gateway knows, is filled in after the turn: `sms_turn_done`). A number that sent
  STOP gets nothing: it is skipped here when queueing and again by the sender.
- A decision (approved, scheduled, denied, completed) queues one text in the same
  transaction as the move (`request_moved`, called by bot.records.move), keyed by the
  status-history row, so a change is texted once, and a change made while no gateway
  runs goes out when one starts (bot/sms_queue.py, the durable outbox).
- The web chat shows the latest decision first on the member's next visit to that chat,
  once (`web_notices`, then `web_notices_shown`), whatever the answer about texts: it is
  the member's own conversation.
- A ride with an appointment gets a reminder due the day before (`ride_booked`, from
  bot.transport), withdrawn if the ride is cancelled (`ride_cancelled`).

The words are the catalogs' (bot/messages); the member-services number and the grievance
right come from policies_kb/. Never the reasons, a diagnosis, a name or a member ID.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from bot import audit, sms_queue
from bot.conversation_ids import sms_id
from bot.deadlines import PACIFIC, utcnow
from bot.messages import moment, text
from bot.nlp import parse_phone
from bot.policy import kb
from bot.store import repository, session_scope
from bot.store.models import RequestStatusChange, Ride, SecondOpinionRequest
from bot.store.repository import as_utc

DECISIONS = ("approved", "scheduled", "denied", "completed")
# An action's signal to the SMS gateway (a custom payload): this turn asked for a text
# to the member's own number, which only the gateway knows (`sms_turn_done`).
NUMBER_WANTED = "number_wanted"
# A ride's reminder goes out at this Pacific time the day before the visit.
REMINDER_AT = time(10, 0)


def record_consent(reference: str, wants: bool, phone: str | None = None, actor: str = "assistant") -> None:
    """The member's answer to "may we text you when the plan decides?", on request
    `reference`: `wants`, and the number to text (any U.S. form; kept as E.164). A
    texting member need not give one: their own number is filled in after the turn.
    A no clears the number. Raises LookupError (no such request) or ValueError (not a
    U.S. phone number)."""
    number = parse_phone(phone) if phone else None
    if phone and number is None:
        raise ValueError("not a U.S. phone number")
    with session_scope() as session:
        row = repository.by_reference(session, SecondOpinionRequest, reference)
        if row is None:
            raise LookupError(reference)
        row.notify_by_text = wants
        row.notify_phone = (number or row.notify_phone) if wants else None
        row.notify_answered_at = utcnow()
        audit.record(session, actor, "update", "request", row.reference, f"decision text: {'yes' if wants else 'no'}")


def sms_turn_done(phone_hash: str, phone: str) -> None:
    """After a texting member's turn (bot/web/sms.py): their number, which only the
    gateway knows, for the requests of this conversation whose decision they want
    texted, and for their texts queued before it was known (a ride's reminder). Reads
    first: most turns need nothing written."""
    wanting = (
        SecondOpinionRequest.conversation_id == phone_hash,
        SecondOpinionRequest.notify_by_text.is_(True),
        SecondOpinionRequest.notify_phone.is_(None),
    )
    with session_scope() as session:
        if session.execute(select(SecondOpinionRequest.id).where(*wanting).limit(1)).first():
            session.execute(
                update(SecondOpinionRequest)
                .where(*wanting)
                .values(notify_phone=phone)
                .execution_options(synchronize_session=False)
            )
        if sms_queue.waiting_for_phone(session, phone_hash):
            sms_queue.learn_phone(phone_hash, phone, session)


# -- decisions ----------------------------------------------------------------------------


def request_moved(session: Session, row: SecondOpinionRequest) -> bool:
    """Called by bot.records.move in its transaction once a request has moved: queues the
    decision text if the member asked for one. True when a text was queued."""
    if row.status not in DECISIONS or row.notify_by_text is not True or not row.notify_phone:
        return False
    phone_hash = sms_id(row.notify_phone)
    if repository.opted_out(session, phone_hash):
        return False
    change = session.execute(
        select(func.max(RequestStatusChange.id)).where(RequestStatusChange.request_id == row.id)
    ).scalar_one()
    return sms_queue.enqueue(
        row.notify_phone, phone_hash, decision_text(row), key=f"decision:{row.reference}:{change}", session=session
    )


def decision_text(row: SecondOpinionRequest) -> str:
    """What changed, the reference, and who to call, in the request's language."""
    lang = row.language or "en"
    plan = kb().plan(row.plan)
    values = {"reference": row.reference, "plan_name": plan.name, "phone": _member_services(row.plan, lang)}
    if row.status == "denied":
        values["rule"] = _grievance_right(lang)
    return text(f"decision_{row.status}", lang, **values)


# -- the web chat -------------------------------------------------------------------------


@dataclass(frozen=True)
class WebNotice:
    reference: str
    status: str
    text: str


def web_notices(conversation_id: str) -> list[WebNotice]:
    """The decisions on this web chat's requests the member has not been shown, oldest
    request first. Mark them shown with `web_notices_shown` once they are on the page."""
    with session_scope() as session:
        rows = session.execute(
            select(SecondOpinionRequest)
            .where(
                SecondOpinionRequest.conversation_id == conversation_id,
                SecondOpinionRequest.status.in_(DECISIONS),
            )
            .order_by(SecondOpinionRequest.id)
        ).scalars()
        return [WebNotice(r.reference, r.status, decision_text(r)) for r in rows if r.notice_seen_status != r.status]


def web_notices_shown(conversation_id: str, shown: list[WebNotice]) -> None:
    """These notices are on the member's page: not shown again (a later decision is)."""
    with session_scope() as session:
        for notice in shown:
            session.execute(
                update(SecondOpinionRequest)
                .where(
                    SecondOpinionRequest.conversation_id == conversation_id,
                    SecondOpinionRequest.reference == notice.reference,
                    SecondOpinionRequest.status == notice.status,
                )
                .values(notice_seen_status=notice.status)
                .execution_options(synchronize_session=False)
            )


# -- rides --------------------------------------------------------------------------------


def reminder_due(appointment_at: datetime) -> datetime:
    """When a ride's reminder goes out: REMINDER_AT, Pacific time, the day before the visit."""
    day_before = as_utc(appointment_at).astimezone(PACIFIC).date() - timedelta(days=1)
    return datetime.combine(day_before, REMINDER_AT, tzinfo=PACIFIC)


def ride_booked(session: Session, ride: Ride, now: datetime | None = None) -> bool:
    """Called by bot.transport in the transaction that books a ride: queues its reminder
    for the day before the visit, to a texting member or to the number a member gave
    for texts. None when the appointment is not set, the day before has come already
    (the member has just booked it), or the number sent STOP. True when queued."""
    if ride.appointment_at is None:
        return False
    due = reminder_due(ride.appointment_at)
    if due <= (now or utcnow()):
        return False
    contact = _ride_contact(session, ride)
    if contact is None:
        return False
    phone, phone_hash, lang = contact
    if repository.opted_out(session, phone_hash):
        return False
    body = text(
        "ride_reminder",
        lang,
        reference=ride.reference,
        appointment=moment(as_utc(ride.appointment_at).astimezone(PACIFIC), "when_format", lang),
        phone=_member_services(ride.plan, lang),
    )
    return sms_queue.enqueue(phone, phone_hash, body, key=_reminder_key(ride), due_at=due, session=session)


def ride_cancelled(session: Session, ride: Ride) -> None:
    """Called by bot.transport when a ride is cancelled: its reminder is not sent."""
    sms_queue.withdraw(session, _reminder_key(ride))


def _reminder_key(ride: Ride) -> str:
    return f"ride-reminder:{ride.reference}"


def _ride_contact(session: Session, ride: Ride) -> tuple[str | None, str, str] | None:
    """(number, its hash, language) for a ride's reminder, or None. The number is the
    one the member gave for texts (on the ride's request, else the latest of its
    conversation); a texting member's own number is None until the gateway fills it in.
    Nothing when the member said no to texts on the ride's request."""
    own = session.get(SecondOpinionRequest, ride.request_id) if ride.request_id else None
    if own is not None and own.notify_by_text is False:
        return None
    gave = own if own is not None and own.notify_by_text and own.notify_phone else None
    if gave is None:
        gave = session.execute(
            select(SecondOpinionRequest)
            .where(
                SecondOpinionRequest.conversation_id == ride.conversation_id,
                SecondOpinionRequest.notify_by_text.is_(True),
                SecondOpinionRequest.notify_phone.is_not(None),
            )
            .order_by(SecondOpinionRequest.id.desc())
            .limit(1)
        ).scalar_one_or_none()
    known = own or gave
    lang = known.language if known is not None and known.language else "en"
    if gave is not None:
        return gave.notify_phone, sms_id(gave.notify_phone), lang
    if ride.conversation_id.startswith("sms-"):  # a texting member (bot.conversation_ids.sms_id)
        return None, ride.conversation_id, lang
    return None


# -- helpers ------------------------------------------------------------------------------


def _member_services(plan: str, lang: str) -> str:
    """The plan's member-services number (policies_kb/member_services.yml), or where to find it."""
    return kb().member_services_phone(plan) or text("member_services_phone_card", lang)


def _grievance_right(lang: str) -> str:
    """'You can file a grievance (a complaint) with your plan at any time.' (policies_kb/)"""
    facts = kb().general["medi_cal_grievance_rights"]["facts"]
    sentence: str = facts["grievance_any_time"][lang if lang in facts["grievance_any_time"] else "en"]
    return sentence.strip()
