"""The callback a member is offered when no agent can join: their number and a good
time, recorded as a task for member services."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.common import say
from actions.forms import SafeForm, clip, question_action
from actions.handoff import phone_line
from bot import handoff, nlp

ASK_ACTIONS = [question_action(slot) for slot in ("callback_phone", "callback_time")]


class ValidateCallbackForm(SafeForm):
    FREE_TEXT = frozenset({"callback_time"})

    def name(self) -> str:
        return "validate_callback_form"

    def validate_callback_phone(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        phone = nlp.parse_phone(str(value or ""))
        if phone is None:
            say(dispatcher, tracker, "callback_phone_unclear")
        return {"callback_phone": phone}

    def validate_callback_time(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        answer = clip(str(value or ""), 200)
        if not answer or nlp.looks_like_gibberish(answer):
            say(dispatcher, tracker, "unclear_answer")
            return {"callback_time": None}
        return {"callback_time": answer}


class ActionSubmitCallback(Action):
    def name(self) -> str:
        return "action_submit_callback"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        phone, preferred = tracker.get_slot("callback_phone"), tracker.get_slot("callback_time")
        reason = tracker.get_slot("handoff_reason") or "asked"
        handoff.create_callback(
            tracker.sender_id,
            tracker.get_latest_input_channel() or "web",
            tracker.get_slot("member_plan") or tracker.get_slot("plan"),
            reason,
            phone,
            preferred,
        )
        say(
            dispatcher,
            tracker,
            "callback_booked",
            last_four=phone[-4:],
            preferred_time=preferred,
            phone=phone_line(tracker),
        )
        return [SlotSet("callback_phone", None), SlotSet("callback_time", None), SlotSet("handoff_reason", None)]
