"""The API's JSON shapes (pydantic 1.10, as Rasa pins it)."""
from __future__ import annotations

import re
from datetime import date, datetime
from enum import Enum
from typing import List, Optional

from pydantic import BaseModel, Field, validator

from bot.grievances import GRIEVANCE_STATUSES
from bot.members import E164, LANGUAGES
from bot.requests import STATUSES
from bot.transport import RIDE_STATUSES


class PlanId(str, Enum):
    khs = "khs"
    hpsj = "hpsj"
    mvhp = "mvhp"
    partnership = "partnership"
    health_net = "health_net"


def _enum(name: str, values) -> type:
    """An API enum derived from a workflow table: the statuses are written once."""
    return Enum(name, {v: v for v in values}, type=str)


Status = _enum("Status", STATUSES)


class MemberIn(BaseModel):
    first_name: str = Field(..., min_length=1, max_length=100)
    last_name: str = Field(..., min_length=1, max_length=100)
    dob: date = Field(..., description="Date of birth, YYYY-MM-DD")
    plan: PlanId
    phone: Optional[str] = Field(None, description="E.164, for example +15595550123")
    language: str = Field("en", description="Preferred language: en or es")

    @validator("first_name", "last_name")
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be blank")
        return value.strip()

    @validator("dob")
    def _in_the_past(cls, value: date) -> date:
        if not date(1900, 1, 1) <= value <= date.today():
            raise ValueError("must be a date between 1900-01-01 and today")
        return value

    @validator("phone")
    def _e164(cls, value: Optional[str]) -> Optional[str]:
        if value is None:
            return None
        cleaned = re.sub(r"[\s().-]", "", value)
        if not E164.match(cleaned):
            raise ValueError("must be in E.164 form, like +15595550123")
        return cleaned

    @validator("language")
    def _language(cls, value: str) -> str:
        if value not in LANGUAGES:
            raise ValueError(f"must be one of {', '.join(LANGUAGES)}")
        return value


class MemberOut(BaseModel):
    member_id: str
    first_name: str
    last_name: str
    dob: date
    plan: PlanId
    phone: Optional[str]
    language: str
    is_demo: bool


class InitialOpinion(BaseModel):
    provider: str
    specialty: Optional[str]
    recommendation: str
    date: Optional[date]
    date_text: Optional[str] = Field(None, description="Roughly when, in the member's words")


class RequestOut(BaseModel):
    reference: str
    member_id: Optional[str]
    plan: PlanId
    reason: str
    reason_text: str
    initial_opinion: InitialOpinion
    requested_by: str
    network: str
    preferred_provider: Optional[str]
    urgency: str
    authorization_required: bool
    status: Status
    received_at: datetime
    decision_due_at: Optional[datetime] = Field(None, description="ISO 8601 with offset; null where the policy sets none")
    channel: str
    conversation_id: str


class StatusChangeOut(BaseModel):
    from_status: Optional[Status]
    to_status: Status
    note: Optional[str]
    changed_by: str
    changed_at: datetime


class RequestDetailOut(RequestOut):
    history: List[StatusChangeOut]
    denial_notice: Optional[str] = Field(None, description="The notice text for the member, once denied")


class StatusPatch(BaseModel):
    status: Status
    note: Optional[str] = Field(None, max_length=2000)
    reasons: Optional[str] = Field(None, max_length=4000,
                                   description="Required when status is denied: why, in words for the member")


RideStatus = _enum("RideStatus", RIDE_STATUSES)


class RideOut(BaseModel):
    reference: str
    request: Optional[str] = Field(None, description="Reference of the second-opinion request")
    member_id: Optional[str]
    plan: PlanId
    appointment_at: Optional[datetime]
    appointment_text: Optional[str]
    pickup_address: str
    companion: bool
    mobility: str
    mode: str = Field(..., description="nmt (car, rideshare, bus) or nemt (wheelchair van, gurney van, ambulance)")
    pcs_required: bool = Field(..., description="A Physician Certification Statement is needed")
    inside_lead_time: bool = Field(..., description="Asked for inside the plan's lead time: urgent for staff")
    status: RideStatus
    created_at: datetime


GrievanceStatus = _enum("GrievanceStatus", GRIEVANCE_STATUSES)


class GrievanceOut(BaseModel):
    reference: str
    member_id: Optional[str]
    plan: PlanId
    request: Optional[str]
    about: str
    account_text: str
    expedited: bool
    status: GrievanceStatus
    received_at: datetime
    acknowledge_due_at: datetime
    resolve_due_at: datetime


class RidePatch(BaseModel):
    status: RideStatus
    note: Optional[str] = Field(None, max_length=2000)


class GrievancePatch(BaseModel):
    status: GrievanceStatus
    note: Optional[str] = Field(None, max_length=2000)
