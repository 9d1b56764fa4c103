"""Tables. A request is the system of record, not the tracker."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import Boolean, Column, Date, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import declarative_base

if TYPE_CHECKING:
    # SQLAlchemy 1.4 is untyped: declarative_base() is Any to mypy, and a class cannot
    # derive from a variable. The checker sees a plain base class with what the models
    # use of the real one; at run time it is the real declarative base.
    class Base:
        metadata: Any
        __table__: Any

        def __init__(self, **kwargs: Any) -> None: ...
else:
    Base = declarative_base()


class SecondOpinionRequest(Base):
    __tablename__ = "second_opinion_requests"
    __table_args__ = (UniqueConstraint("conversation_id", "submission_key", name="uq_request_submission"),)

    id = Column(Integer, primary_key=True)
    reference = Column(String(16), nullable=False, unique=True)
    conversation_id = Column(String(128), nullable=False, index=True)
    # Fingerprint of the confirmed answers: the same confirmation twice is one request.
    submission_key = Column(String(64), nullable=False)
    channel = Column(String(32), nullable=False)
    member_id = Column(String(64), nullable=True, index=True)
    plan = Column(String(32), nullable=False)
    reason = Column(String(32), nullable=False)
    reason_text = Column(Text, nullable=False)
    initial_provider = Column(String(200), nullable=False)
    initial_specialty = Column(String(120), nullable=True)
    initial_recommendation = Column(Text, nullable=False)
    initial_date_text = Column(String(200), nullable=True)
    initial_date = Column(Date, nullable=True)
    requested_by = Column(String(32), nullable=False)
    network = Column(String(32), nullable=False)
    preferred_provider = Column(String(200), nullable=True)
    urgency = Column(String(16), nullable=False)
    authorization_required = Column(Boolean, nullable=False)
    status = Column(String(32), nullable=False, default="received")
    received_at = Column(DateTime(timezone=True), nullable=False)
    decision_due_at = Column(DateTime(timezone=True), nullable=True)
    denial_reasons = Column(Text, nullable=True)
    denial_notice = Column(Text, nullable=True)
    denial_notice_offered_at = Column(DateTime(timezone=True), nullable=True)
    # The language the assistant spoke with the member: staff answer in it.
    language = Column(String(8), nullable=False, default="en", server_default="en")
    # Consent to a text when the plan decides: None until asked; STOP still wins.
    notify_by_text = Column(Boolean, nullable=True)
    notify_phone = Column(String(32), nullable=True)  # E.164
    notify_answered_at = Column(DateTime(timezone=True), nullable=True)
    # The decision (status) the web chat last showed the member: each is shown once.
    notice_seen_status = Column(String(32), nullable=True)


class Member(Base):
    __tablename__ = "members"

    id = Column(Integer, primary_key=True)
    member_id = Column(String(32), nullable=False, unique=True)
    first_name = Column(String(100), nullable=False)
    last_name = Column(String(100), nullable=False)
    dob = Column(Date, nullable=False)
    plan = Column(String(32), nullable=False)
    phone = Column(String(16), nullable=True)  # E.164
    language = Column(String(8), nullable=False, default="en")
    is_demo = Column(Boolean, nullable=False, default=False)
    created_at = Column(DateTime(timezone=True), nullable=False)
    updated_at = Column(DateTime(timezone=True), nullable=False)


class RequestStatusChange(Base):
    __tablename__ = "request_status_history"

    id = Column(Integer, primary_key=True)
    request_id = Column(
        Integer, ForeignKey("second_opinion_requests.id", ondelete="CASCADE"), nullable=False, index=True
    )
    from_status = Column(String(32), nullable=True)
    to_status = Column(String(32), nullable=False)
    note = Column(Text, nullable=True)
    changed_by = Column(String(100), nullable=False)
    changed_at = Column(DateTime(timezone=True), nullable=False)


class AuditEntry(Base):
    """Who read or changed a member's records. Keys only: never names, dates of birth
    or diagnoses."""

    __tablename__ = "audit_log"

    id = Column(Integer, primary_key=True)
    at = Column(DateTime(timezone=True), nullable=False, index=True)
    actor = Column(String(100), nullable=False)
    action = Column(String(32), nullable=False)  # read | create | update | list
    entity = Column(String(32), nullable=False)  # member | request
    entity_key = Column(String(64), nullable=True)  # member ID or request reference
    detail = Column(String(200), nullable=True)


class Ride(Base):
    """A ride to a second-opinion visit, linked to its request."""

    __tablename__ = "rides"

    id = Column(Integer, primary_key=True)
    reference = Column(String(16), nullable=False, unique=True)
    request_id = Column(Integer, ForeignKey("second_opinion_requests.id"), nullable=True, index=True)
    member_id = Column(String(32), nullable=True, index=True)
    conversation_id = Column(String(128), nullable=False)
    plan = Column(String(32), nullable=False)
    appointment_at = Column(DateTime(timezone=True), nullable=True)  # None: not set yet
    appointment_text = Column(String(200), nullable=True)
    pickup_address = Column(Text, nullable=False)
    companion = Column(Boolean, nullable=False, default=False)
    mobility = Column(String(32), nullable=False)
    mode = Column(String(8), nullable=False)  # nmt | nemt
    pcs_required = Column(Boolean, nullable=False)
    inside_lead_time = Column(Boolean, nullable=False)  # flagged urgent for staff
    status = Column(String(16), nullable=False, default="requested")
    created_at = Column(DateTime(timezone=True), nullable=False)
    updated_at = Column(DateTime(timezone=True), nullable=False)


class Grievance(Base):
    __tablename__ = "grievances"

    id = Column(Integer, primary_key=True)
    reference = Column(String(16), nullable=False, unique=True)
    member_id = Column(String(32), nullable=True, index=True)
    conversation_id = Column(String(128), nullable=False)
    plan = Column(String(32), nullable=False)
    request_id = Column(Integer, ForeignKey("second_opinion_requests.id"), nullable=True)
    about = Column(String(32), nullable=False)  # denied_request | pcp_refused | handling | other
    account_text = Column(Text, nullable=False)  # the member's own words
    expedited = Column(Boolean, nullable=False)
    status = Column(String(16), nullable=False, default="received")
    received_at = Column(DateTime(timezone=True), nullable=False)
    acknowledge_due_at = Column(DateTime(timezone=True), nullable=False)
    resolve_due_at = Column(DateTime(timezone=True), nullable=False)


class RecordStatusChange(Base):
    """Status history of rides and grievances (requests keep their own table)."""

    __tablename__ = "record_status_history"

    id = Column(Integer, primary_key=True)
    entity = Column(String(16), nullable=False)  # ride | grievance
    record_id = Column(Integer, nullable=False)
    from_status = Column(String(16), nullable=True)
    to_status = Column(String(16), nullable=False)
    note = Column(Text, nullable=True)
    changed_by = Column(String(100), nullable=False)
    changed_at = Column(DateTime(timezone=True), nullable=False)


class SmsContact(Base):
    """One texting number, known only by a keyed hash of it."""

    __tablename__ = "sms_contacts"

    id = Column(Integer, primary_key=True)
    phone_hash = Column(String(64), nullable=False, unique=True)
    opted_out = Column(Boolean, nullable=False, default=False)
    opted_out_at = Column(DateTime(timezone=True), nullable=True)
    opted_in_at = Column(DateTime(timezone=True), nullable=True)
    privacy_notice_at = Column(DateTime(timezone=True), nullable=True)
    last_choices = Column(Text, nullable=True)  # JSON list of payloads offered as 1, 2, ...


class SmsOutbound(Base):
    """A text waiting to go out, or gone: the durable outbox. The number and the words are
    kept only until the text is sent or given up on; the keyed hash stays."""

    __tablename__ = "sms_outbound"
    __table_args__ = (Index("ix_sms_outbound_due", "status", "next_try_at"),)

    id = Column(Integer, primary_key=True)
    idempotency_key = Column(String(128), nullable=False, unique=True)
    phone = Column(String(32), nullable=True)  # E.164; cleared when done
    phone_hash = Column(String(64), nullable=False)
    body = Column(Text, nullable=True)  # cleared when done
    status = Column(String(16), nullable=False)  # queued, sending, sent, skipped, failed
    attempts = Column(Integer, nullable=False, default=0)
    pieces_sent = Column(Integer, nullable=False, default=0)  # a retry resumes after these
    next_try_at = Column(DateTime(timezone=True), nullable=False)
    created_at = Column(DateTime(timezone=True), nullable=False)
    done_at = Column(DateTime(timezone=True), nullable=True)
    last_error = Column(String(200), nullable=True)  # Twilio's code and status, never the text


class SmsInbound(Base):
    """Twilio MessageSids seen, so a retried webhook is answered once."""

    __tablename__ = "sms_inbound"

    id = Column(Integer, primary_key=True)
    message_sid = Column(String(64), nullable=False, unique=True)
    received_at = Column(DateTime(timezone=True), nullable=False)


OPEN_HANDOFF = text("status IN ('waiting', 'held')")


class Handoff(Base):
    """A conversation handed to a person. At most one open (waiting or held) per
    conversation, and a held one has exactly one agent: both enforced by the database."""

    __tablename__ = "handoffs"
    __table_args__ = (
        Index(
            "uq_open_handoff_per_conversation",
            "conversation_id",
            unique=True,
            sqlite_where=OPEN_HANDOFF,
            postgresql_where=OPEN_HANDOFF,
        ),
    )

    id = Column(Integer, primary_key=True)
    conversation_id = Column(String(128), nullable=False, index=True)
    channel = Column(String(16), nullable=False)  # web | sms
    plan = Column(String(32), nullable=True)
    reason = Column(String(32), nullable=False)  # see bot.handoff.REASONS
    status = Column(String(16), nullable=False)  # waiting | held | returned | unclaimed
    summary = Column(Text, nullable=False, default="{}")  # JSON: what the assistant collected
    agent_slots = Column(Text, nullable=False, default="{}")  # JSON: what agents set, for the assistant
    reply_to = Column(String(32), nullable=True)  # SMS only: the number, cleared when closed
    agent = Column(String(64), nullable=True)  # the holding agent's username
    agent_name = Column(String(100), nullable=True)  # and the name the member sees
    created_at = Column(DateTime(timezone=True), nullable=False)
    claimed_at = Column(DateTime(timezone=True), nullable=True)
    closed_at = Column(DateTime(timezone=True), nullable=True)
    crisis_at = Column(DateTime(timezone=True), nullable=True)  # the member spoke of a crisis (bot.safety)
    crisis_category = Column(String(16), nullable=True)  # which kind; never the words


class HandoffMessage(Base):
    """The transcript an agent reads: the assistant's conversation up to the handoff,
    then every member and agent message, in the order they arrived (id)."""

    __tablename__ = "handoff_messages"

    id = Column(Integer, primary_key=True)
    handoff_id = Column(Integer, ForeignKey("handoffs.id", ondelete="CASCADE"), nullable=False, index=True)
    conversation_id = Column(String(128), nullable=False, index=True)
    sender = Column(String(16), nullable=False)  # member | assistant | agent | system
    agent_name = Column(String(100), nullable=True)
    body = Column(Text, nullable=False)
    at = Column(DateTime(timezone=True), nullable=False)


class Agent(Base):
    __tablename__ = "agents"

    id = Column(Integer, primary_key=True)
    username = Column(String(64), nullable=False, unique=True)
    display_name = Column(String(100), nullable=False)
    password_hash = Column(String(200), nullable=False)
    is_demo = Column(Boolean, nullable=False, default=False)
    role = Column(String(16), nullable=False, default="agent", server_default="agent")  # agent | supervisor
    failed_attempts = Column(Integer, nullable=False, default=0)
    locked_until = Column(DateTime(timezone=True), nullable=True)
    created_at = Column(DateTime(timezone=True), nullable=False)


class AgentSession(Base):
    """A signed-in console session. The cookie holds a random token; only its hash is
    stored, with the session's CSRF token."""

    __tablename__ = "agent_sessions"

    id = Column(Integer, primary_key=True)
    token_hash = Column(String(64), nullable=False, unique=True)
    agent_id = Column(Integer, ForeignKey("agents.id", ondelete="CASCADE"), nullable=False)
    csrf_token = Column(String(64), nullable=False)
    created_at = Column(DateTime(timezone=True), nullable=False)
    expires_at = Column(DateTime(timezone=True), nullable=False)


class CallbackTask(Base):
    """A member asked to be called back: when no agent was on duty or none claimed in time."""

    __tablename__ = "callback_tasks"

    id = Column(Integer, primary_key=True)
    conversation_id = Column(String(128), nullable=False)
    channel = Column(String(16), nullable=False)
    plan = Column(String(32), nullable=True)
    reason = Column(String(32), nullable=False)
    phone = Column(String(16), nullable=False)  # E.164, for the call
    preferred_time = Column(String(200), nullable=False)  # the member's own words
    status = Column(String(16), nullable=False, default="open")  # open | done
    created_at = Column(DateTime(timezone=True), nullable=False)
    done_by = Column(String(64), nullable=True)
    done_at = Column(DateTime(timezone=True), nullable=True)


class VerificationFailure(Base):
    """One failed try at verification (or a try refused while locked). Counted by member
    ID, by conversation and by the gateway's source within a window; never the date tried."""

    __tablename__ = "verification_failures"

    id = Column(Integer, primary_key=True)
    at = Column(DateTime(timezone=True), nullable=False)
    member_id = Column(String(32), nullable=True, index=True)  # as typed, normalized; may match no one
    conversation_id = Column(String(128), nullable=False, index=True)
    source_hash = Column(String(64), nullable=True, index=True)  # SHA-256 of the gateway's source
    cleared_at = Column(DateTime(timezone=True), nullable=True)  # the member verified, or an agent unlocked


class VerificationLock(Base):
    """Verification refused for a member ID everywhere until locked_until, or until an
    agent unlocks it."""

    __tablename__ = "verification_locks"

    id = Column(Integer, primary_key=True)
    member_id = Column(String(32), nullable=False, index=True)
    locked_at = Column(DateTime(timezone=True), nullable=False)
    locked_until = Column(DateTime(timezone=True), nullable=False)
    unlocked_at = Column(DateTime(timezone=True), nullable=True)
    unlocked_by = Column(String(100), nullable=True)
    unlock_reason = Column(String(200), nullable=True)


class VerifiedConversation(Base):
    """Who a conversation is verified as. Expires after inactivity; ended by start over."""

    __tablename__ = "verified_conversations"

    id = Column(Integer, primary_key=True)
    conversation_id = Column(String(128), nullable=False, unique=True)
    member_id = Column(String(32), nullable=True)
    plan = Column(String(32), nullable=True)
    verified_by = Column(String(100), nullable=True)  # assistant | agent:<username>
    verified_at = Column(DateTime(timezone=True), nullable=True)
    last_seen_at = Column(DateTime(timezone=True), nullable=True)
    ended_at = Column(DateTime(timezone=True), nullable=True)
