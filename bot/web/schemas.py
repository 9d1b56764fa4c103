"""The API's JSON shapes (pydantic 1.10, as Rasa pins it). Their OpenAPI schemas say
which fields can be null, and every field of an answer is always there."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from datetime import date, datetime
from enum import Enum
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field, StrictStr, validator

from bot.grievances import GRIEVANCE_STATUSES
from bot.members import E164, LANGUAGES
from bot.policy import kb
from bot.second_opinions import STATUSES
from bot.transport import RIDE_STATUSES


class PlanId(str):
    """A plan of policies_kb/, by its id ("khs"). The ids are read from the knowledge base
    when a value is checked and when the schema is written: a new plan file is a new
    value here, with no change to this module."""

    @classmethod
    def __get_validators__(cls) -> Iterator[Callable[..., Any]]:
        yield cls.validate

    @classmethod
    def validate(cls, value: Any) -> PlanId:
        ids = kb().plan_ids()
        if not isinstance(value, str) or value not in ids:
            raise ValueError(f"must be one of the plans: {', '.join(ids)}")
        return cls(value)

    @classmethod
    def __modify_schema__(cls, field_schema: dict[str, Any]) -> None:
        field_schema.update(type="string", enum=list(kb().plan_ids()))


def _enum(name: str, values: Iterable[str]) -> Any:
    """An API enum derived from a workflow table: the statuses are written once."""
    return Enum(name, {v: v for v in values}, type=str)


if TYPE_CHECKING:
    # To the checker, str enums whose members come from the tables at run time: a member is
    # reached by its value, Status("denied"), the same member as Status.denied.
    class Status(str, Enum): ...

    class Language(str, Enum): ...

    class RideStatus(str, Enum): ...

    class GrievanceStatus(str, Enum): ...
else:
    Status = _enum("Status", STATUSES)
    Language = _enum("Language", LANGUAGES)

# Letters, digits and dashes; 4 to 32 letters or digits. A reference: SO-XXXX-XXXX.
MEMBER_ID_PATTERN = r"^-*([A-Za-z0-9]-*){4,32}$"
REFERENCE_PATTERN = r"^[A-Za-z]{2}-[A-Za-z0-9]{4}-[A-Za-z0-9]{4}$"
# E.164 once the separators are taken out: "+" then 8 to 15 digits, the first not 0.
PHONE_PATTERN = r"^\+[1-9](?:[ ().-]*[0-9]){7,14}[ ().-]*$"
ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
UNSTORABLE = re.compile(r"[\x00\ud800-\udfff]")


def _nullable(schema: dict[str, Any], model: type[BaseModel]) -> None:
    for field in model.__fields__.values():
        if field.allow_none:
            prop = schema["properties"][field.alias]
            meta = {k: prop.pop(k) for k in ("title", "description", "default") if k in prop}
            schema["properties"][field.alias] = {"anyOf": [prop, {"type": "null"}], **meta}


class In(BaseModel):
    class Config:
        schema_extra = staticmethod(_nullable)

    @validator("*", pre=True)  # a NUL or a lone surrogate cannot be stored: 422, not 500
    def _storable(cls, value: Any) -> Any:
        if isinstance(value, str) and UNSTORABLE.search(value):
            raise ValueError("must not contain NUL or unpaired surrogate characters")
        return value


class Out(BaseModel):
    class Config:
        @staticmethod
        def schema_extra(schema: dict[str, Any], model: type[BaseModel]) -> None:
            _nullable(schema, model)
            schema["required"] = [f.alias for f in model.__fields__.values()]


class ErrorOut(BaseModel):
    detail: str


class MemberIn(In):
    first_name: StrictStr = Field(..., min_length=1, max_length=100)
    last_name: StrictStr = Field(..., min_length=1, max_length=100)
    dob: date = Field(..., description="Date of birth, YYYY-MM-DD")
    plan: PlanId
    phone: StrictStr | None = Field(
        None,
        regex=PHONE_PATTERN,
        description="E.164, for example +15595550123 (spaces, dots, dashes "
        "and brackets between the digits are allowed)",
    )
    language: Language = Field(Language("en"), description="Preferred language")

    @validator("first_name", "last_name")
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be blank")
        return value.strip()

    @validator("dob", pre=True)
    def _iso_date(cls, value: Any) -> Any:
        if not (isinstance(value, str) and ISO_DATE.fullmatch(value)):
            raise ValueError("must be a date written YYYY-MM-DD")
        return value

    @validator("dob")
    def _in_the_past(cls, value: date) -> date:
        if not date(1900, 1, 1) <= value <= date.today():
            raise ValueError("must be a date between 1900-01-01 and today")
        return value

    @validator("phone")
    def _e164(cls, value: str | None) -> str | None:
        if value is None:
            return None
        cleaned = re.sub(r"[ ().-]", "", value)
        if not (cleaned.isascii() and E164.match(cleaned)):
            raise ValueError("must be in E.164 form, like +15595550123")
        return cleaned


class MemberOut(Out):
    member_id: str
    first_name: str
    last_name: str
    dob: date
    plan: PlanId
    phone: str | None
    language: str
    is_demo: bool


class InitialOpinion(Out):
    provider: str
    specialty: str | None
    recommendation: str
    date: date | None
    date_text: str | None = Field(None, description="Roughly when, in the member's words")


class RequestOut(Out):
    reference: str
    member_id: str | None
    plan: PlanId
    reason: str
    reason_text: str
    initial_opinion: InitialOpinion
    requested_by: str
    network: str
    preferred_provider: str | None
    urgency: str
    authorization_required: bool
    status: Status
    received_at: datetime
    decision_due_at: datetime | None = Field(None, description="ISO 8601 with offset; null where the policy sets none")
    channel: str
    conversation_id: str
    language: Language = Field(description="The language the member spoke with the assistant")


class StatusChangeOut(Out):
    from_status: Status | None
    to_status: Status
    note: str | None
    changed_by: str
    changed_at: datetime


class RequestDetailOut(RequestOut):
    history: list[StatusChangeOut]
    denial_notice: str | None = Field(None, description="The notice text for the member, once denied")


class StatusPatch(In):
    status: Status
    note: StrictStr | None = Field(None, max_length=2000)
    reasons: StrictStr | None = Field(
        None, max_length=4000, description="Required when status is denied: why, in words for the member"
    )


if not TYPE_CHECKING:
    RideStatus = _enum("RideStatus", RIDE_STATUSES)


class RideOut(Out):
    reference: str
    request: str | None = Field(None, description="Reference of the second-opinion request")
    member_id: str | None
    plan: PlanId
    appointment_at: datetime | None
    appointment_text: str | None
    pickup_address: str
    companion: bool
    mobility: str
    mode: str = Field(..., description="nmt (car, rideshare, bus) or nemt (wheelchair van, gurney van, ambulance)")
    pcs_required: bool = Field(..., description="A Physician Certification Statement is needed")
    inside_lead_time: bool = Field(..., description="Asked for inside the plan's lead time: urgent for staff")
    status: RideStatus
    created_at: datetime


if not TYPE_CHECKING:
    GrievanceStatus = _enum("GrievanceStatus", GRIEVANCE_STATUSES)


class GrievanceOut(Out):
    reference: str
    member_id: str | None
    plan: PlanId
    request: str | None
    about: str
    account_text: str
    expedited: bool
    status: GrievanceStatus
    received_at: datetime
    acknowledge_due_at: datetime
    resolve_due_at: datetime


class RidePatch(In):
    status: RideStatus
    note: StrictStr | None = Field(None, max_length=2000)


class GrievancePatch(In):
    status: GrievanceStatus
    note: StrictStr | None = Field(None, max_length=2000)
