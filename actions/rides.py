"""Rides to the second-opinion visit: ask for one, check, change or cancel it."""

from __future__ import annotations

import contextlib
from datetime import datetime
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.common import interrupts, lang_of, latest_text, plan_name, say, texting
from actions.forms import MemberForm, clip, question_action
from actions.verification import member_or_refusal, record_plan
from bot import nlp, notices
from bot.deadlines import utcnow
from bot.messages import text
from bot.policy import kb
from bot.second_opinions import latest_request_for
from bot.status import appointment_label
from bot.transport import (
    RideDraft,
    cancel_members_ride,
    inside_lead_time,
    request_ride,
    ride_kind,
)
from bot.workflow import IllegalTransition

RIDE_SLOTS = (
    "ride_appointment",
    "ride_appointment_at",
    "ride_pickup",
    "ride_companion",
    "ride_mobility",
    "ride_confirmed",
)
ASK_ACTIONS = [question_action(slot) for slot in ("ride_appointment", "ride_pickup", "ride_companion", "ride_mobility")]


def _appointment(tracker: Tracker) -> datetime | None:
    iso = tracker.get_slot("ride_appointment_at")
    return datetime.fromisoformat(iso) if iso else None


class ActionStartRide(Action):
    def name(self) -> str:
        return "action_start_ride"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        say(dispatcher, tracker, "ride_intro")
        return [SlotSet(s, None) for s in RIDE_SLOTS]


class ActionAskRideConfirmed(Action):
    """Read the ride back, with what the kind of ride needs and any lead-time warning."""

    def name(self) -> str:
        return "action_ask_ride_confirmed"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        kind = ride_kind(tracker.get_slot("ride_mobility"), lang_of(tracker))
        plan = record_plan(tracker)
        when = _appointment(tracker)
        say(
            dispatcher,
            tracker,
            "ride_summary",
            appointment=appointment_label(when, lang_of(tracker)),
            pickup=tracker.get_slot("ride_pickup"),
            companion=text(f"label_{tracker.get_slot('ride_companion')}", lang_of(tracker)),
            vehicle=kind.vehicle,
        )
        if kind.pcs_required:
            say(dispatcher, tracker, "ride_nemt_form", pcs_text=kind.pcs_text)
        if inside_lead_time(plan, when, utcnow()):
            say(dispatcher, tracker, "ride_inside_lead_time", days=kb().ride_lead_business_days(plan))
        answer = kb().answer(plan, "transportation", lang_of(tracker))
        if not answer.silent and answer.citation is not None:  # a citation whenever not silent
            say(
                dispatcher,
                tracker,
                "ride_plan_arranges",
                plan_name=plan_name(plan),
                citation=answer.citation.label,
                section=answer.citation.section,
            )
        say(dispatcher, tracker, "ride_ask_confirmed")
        return []


class ValidateRideForm(MemberForm):
    def name(self) -> str:
        return "validate_ride_form"

    def validate_ride_appointment(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        when, known = nlp.parse_appointment(str(value or ""), utcnow())
        if not known:
            if interrupts(tracker, latest_text(tracker)):
                return self._not_an_answer("ride_appointment", dispatcher, tracker)
            say(dispatcher, tracker, "ride_appointment_unclear")
            return {"ride_appointment": None}
        return {"ride_appointment": clip(str(value), 200), "ride_appointment_at": when.isoformat() if when else None}

    def validate_ride_pickup(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        result = self._free_text("ride_pickup", value, dispatcher, tracker, 300)
        if result["ride_pickup"] and len(result["ride_pickup"]) < 5:
            say(dispatcher, tracker, "unclear_answer")
            return {"ride_pickup": None}
        return result

    def validate_ride_companion(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return self._yes_no("ride_companion", value, dispatcher, tracker)

    def validate_ride_mobility(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        mobility = nlp.parse_mobility(str(value or ""))
        return {"ride_mobility": mobility} if mobility else self._not_an_answer("ride_mobility", dispatcher, tracker)

    def validate_ride_confirmed(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        message = str(value or "")
        answer = nlp.parse_yes_no(message)
        if answer is True:
            return {"ride_confirmed": "yes"}
        change = _ride_change(message)
        if change:
            return {**{s: None for s in change}, "ride_confirmed": None}
        if answer is False:
            say(dispatcher, tracker, "ride_what_to_change")
            return {"ride_confirmed": None}
        return self._not_an_answer("ride_confirmed", dispatcher, tracker)


def _ride_change(message: str) -> tuple[str, ...] | None:
    """Which ride answers to ask again, from "change the time", "wrong address", ..."""
    t = message.lower()
    for words, slots in (
        (("time", "date", "when", "appointment", "day"), ("ride_appointment", "ride_appointment_at")),
        (("address", "pick", "where"), ("ride_pickup",)),
        (("ride along", "rides along", "with me", "companion", "anyone", "someone"), ("ride_companion",)),
        (("walk", "wheelchair", "cane", "walker", "get around", "sit up", "mobility"), ("ride_mobility",)),
    ):
        if any(w in t for w in words):
            return slots
    return None


class ActionRequestRide(Action):
    def name(self) -> str:
        return "action_request_ride"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        member = member_or_refusal(dispatcher, tracker)
        if member is None:
            return []
        member_id = member.member_id
        draft = RideDraft(
            plan=member.plan,
            pickup_address=tracker.get_slot("ride_pickup"),
            companion=tracker.get_slot("ride_companion") == "yes",
            mobility=tracker.get_slot("ride_mobility"),
            appointment_at=_appointment(tracker),
            appointment_text=tracker.get_slot("ride_appointment"),
        )
        request_reference = tracker.get_slot("request_reference") or latest_request_for(member_id)
        ride = request_ride(draft, tracker.sender_id, member_id, request_reference)
        replaced = tracker.get_slot("ride_replaces")
        if replaced:
            with contextlib.suppress(LookupError, IllegalTransition):
                cancel_members_ride(replaced, member_id, f"replaced by {ride.reference}")
        say(dispatcher, tracker, "ride_requested", reference=ride.reference)
        if texting(tracker) and ride.appointment_at:  # its reminder needs their number
            dispatcher.utter_message(json_message={notices.NUMBER_WANTED: True})
        return [SlotSet(s, None) for s in RIDE_SLOTS] + [SlotSet("ride_replaces", None)]


class ValidateVerifyForm(MemberForm):
    def name(self) -> str:
        return "validate_verify_form"
