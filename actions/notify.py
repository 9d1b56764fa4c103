"""Once a request is opened: does the member want a text when there is news on it (a
decision, a visit scheduled)? At the number on file, or another they give. The answer
and its time are recorded (bot/notices.py); STOP still wins over a yes."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.common import latest_intent, say, texting
from actions.forms import SafeForm, question_action
from actions.verification import verified_member
from bot import nlp, notices
from bot.nlp.answers import LEAVING_INTENTS, START_FOR_INTENT, says_leaving

NOTIFY_SLOTS = ("notify_answer", "notify_phone")
# A member who goes on to something else instead of answering ("i need a ride") is not
# asked again: nothing is recorded, and what they asked for starts.
MOVING_ON = {**START_FOR_INTENT, "human_handoff": "action_hand_off"}
SKIPPED = "skipped"
ASK_ACTIONS = [question_action("notify_phone")]


def phone_on_file(tracker: Tracker) -> str | None:
    member = verified_member(tracker)
    return member.phone if member else None


def read_notify_answer(message: str) -> tuple[str | None, str | None]:
    """("yes"|"no"|None, a phone number given): "yes", "no thanks", "text 209 555 0134"."""
    phone = nlp.parse_phone(message)
    if phone:
        return "yes", phone
    answer = nlp.parse_yes_no(message)
    return (None if answer is None else ("yes" if answer else "no")), None


class ActionAskNotifyAnswer(Action):
    def name(self) -> str:
        return "action_ask_notify_answer"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        phone = phone_on_file(tracker)
        if texting(tracker):
            say(dispatcher, tracker, "ask_notify_answer_sms")
        elif phone:
            say(dispatcher, tracker, "ask_notify_answer", last_four=phone[-4:])
        else:
            say(dispatcher, tracker, "ask_notify_answer_no_phone")
        return []


class ValidateNotifyForm(SafeForm):
    def name(self) -> str:
        return "validate_notify_form"

    async def required_slots(
        self, domain_slots: list[str], dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[str]:
        answer, phone = tracker.get_slot("notify_answer"), tracker.get_slot("notify_phone")
        if answer == "yes" and not phone and not texting(tracker):
            return list(NOTIFY_SLOTS)
        return ["notify_answer"]

    def validate_notify_answer(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        answer, phone = read_notify_answer(str(value or ""))
        intent = latest_intent(tracker)[0]
        if answer is None and intent in MOVING_ON:
            return {"notify_answer": SKIPPED}
        if answer is None and (intent in LEAVING_INTENTS or says_leaving(str(value or ""))):
            answer = "no"  # "never mind", "forget it": no texts (the request stays opened)
        if answer is None:
            say(dispatcher, tracker, "notify_unclear")
            return {"notify_answer": None}
        if answer == "yes":
            return {
                "notify_answer": "yes",
                "notify_phone": phone or (None if texting(tracker) else phone_on_file(tracker)),
            }
        return {"notify_answer": "no", "notify_phone": None}

    def validate_notify_phone(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        phone = nlp.parse_phone(str(value or ""))
        if phone is None:
            if nlp.parse_yes_no(str(value or "")) is False:  # "no" after all: no texts
                return {"notify_answer": "no", "notify_phone": "none"}
            say(dispatcher, tracker, "callback_phone_unclear")
        return {"notify_phone": phone}


class ActionRecordNotify(Action):
    """Record the answer, say what will happen, then offer a ride as every opened request does."""

    def name(self) -> str:
        return "action_record_notify"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        cleared = [SlotSet(slot, None) for slot in NOTIFY_SLOTS]
        if tracker.get_slot("notify_answer") == SKIPPED:
            intent, _ = latest_intent(tracker)
            return cleared + [FollowupAction(MOVING_ON[intent])] if intent in MOVING_ON else cleared
        reference = tracker.get_slot("request_reference")
        wants = tracker.get_slot("notify_answer") == "yes"
        phone = nlp.parse_phone(tracker.get_slot("notify_phone") or "") if wants else None
        wants = wants and (phone is not None or texting(tracker))
        if reference:
            notices.record_consent(reference, wants, phone)
        if wants and phone:
            say(dispatcher, tracker, "notify_yes", last_four=phone[-4:])
        elif wants:
            say(dispatcher, tracker, "notify_yes_here")
            dispatcher.utter_message(json_message={notices.NUMBER_WANTED: True})  # for the gateway, never shown
        else:
            say(dispatcher, tracker, "notify_no")
        say(dispatcher, tracker, "ride_offer")
        return cleared
