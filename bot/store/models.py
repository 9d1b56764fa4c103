"""Tables. A request is the system of record, not the tracker."""
from __future__ import annotations

from sqlalchemy import (Boolean, Column, Date, DateTime, Integer, String, Text,
                        UniqueConstraint)
from sqlalchemy.orm import declarative_base

Base = declarative_base()


class SecondOpinionRequest(Base):
    __tablename__ = "second_opinion_requests"
    __table_args__ = (UniqueConstraint("conversation_id", "submission_key",
                                       name="uq_request_submission"),)

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
