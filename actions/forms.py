"""What every member form shares: a crisis answered first, questions and requests for a
person handled mid-form, free-text answers clipped, verification (member ID and date
of birth), and the per-slot question actions."""

from __future__ import annotations

import re
from abc import abstractmethod
from collections.abc import Callable
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.common import answer_rights, asked_topic, interrupts, latest_intent, latest_text, say
from actions.handoff import hand_off, misunderstood_turns
from actions.safety import answer_crisis, crisis_in
from actions.verification import VerificationValidators
from bot import members, nlp, safety
from bot.deadlines import pacific_today
from bot.messages import LANGUAGES, text
from bot.nlp.answers import PENDING_SLOT
from bot.nlp.dates import corrected_date_text
from bot.nlp.topics import looks_like_question

MAX_TEXT = 1000


def clip(value: str, limit: int = MAX_TEXT) -> str:
    return " ".join(value.split())[:limit]


# A validator that asked its own narrower question ("yes" to "a provider in mind?" gets
# "what is their name?") is not followed by the slot's question again.
FOLLOW_UPS = {"preferred_provider": "ask_preferred_name"}


def said_this_turn(tracker: Tracker, key: str) -> bool:
    """Whether the assistant said the catalog text `key` (any language) since the member's last message."""
    texts = {text(key, lang) for lang in LANGUAGES}
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            return False
        if event.get("event") == "bot" and event.get("text") in texts:
            return True
    return False


def said_last_turn(tracker: Tracker, key: str) -> bool:
    """Whether the assistant said the catalog text `key` (any language) in answer to the
    member's message before this one."""
    texts, users = {text(key, lang) for lang in LANGUAGES}, 0
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            users += 1
            if users == 2:
                return False
        elif users == 1 and event.get("event") == "bot" and event.get("text") in texts:
            return True
    return False


def goes_on_after_a_crisis(tracker: Tracker, message: str) -> bool:
    """ "I'm safe, let's keep going", or after a safety answer any message that says so
    ("ok im at urgent care now, they said im ok. keep going"): not an answer."""
    return nlp.says_only_going_on(message) or (
        nlp.mentions_going_on(message) and said_last_turn(tracker, "safety_then_form")
    )


def question_action(slot: str) -> type:
    """action_ask_<slot>: say the catalog question for one form slot."""

    async def run(
        self: Action, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        if slot in FOLLOW_UPS and said_this_turn(tracker, FOLLOW_UPS[slot]):
            return []
        say(
            dispatcher,
            tracker,
            f"ask_{slot}",
            **{k: v for k, v in tracker.current_slot_values().items() if isinstance(v, str)},
        )
        return []

    return type(f"ActionAsk_{slot}", (Action,), {"name": lambda self: f"action_ask_{slot}", "run": run})


# Answers with a shape of their own, found inside a message that also speaks of a crisis
# ("4/9/61 btw i took a bunch of my pills"): a date of birth, a member ID, a phone number.
SHAPED_ANSWERS: dict[str, Callable[[str], str | None]] = {
    "dob": members.dob_in,
    "member_id": lambda text: max(
        (c for c in map(members.normalize_member_id, text.split()) if len(c) >= 6 and any(ch.isdigit() for ch in c)),
        key=len,
        default=None,
    ),
    "callback_phone": lambda text: nlp.parse_phone(" ".join(re.findall(r"[\d()+.-]+", text))),
}


def the_answer_besides(message: str, asked: str) -> str:
    """What a message says besides a crisis, as an answer to the question asked."""
    rest = safety.without_crisis(message)
    if rest or asked not in SHAPED_ANSWERS:
        return rest
    return SHAPED_ANSWERS[asked](message) or ""


class SafeForm(FormValidationAction):
    """Every form's validation. A crisis in the member's message is answered first (988
    or 911, in their language), and the form goes on at the same question: only what
    the message says besides the crisis is read as the answer ("4/9/61, and i want to
    die" still answers the date of birth), never for a question that takes any words."""

    FREE_TEXT: frozenset[str] = frozenset()

    @abstractmethod
    def name(self) -> str: ...

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        pending = [SlotSet(PENDING_SLOT, None)] if tracker.get_slot(PENDING_SLOT) else []
        events: list[dict[str, Any]] = await self._run_safely(dispatcher, tracker, domain)
        return events + pending

    async def _run_safely(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        crisis = crisis_in(tracker)
        if crisis is None and goes_on_after_a_crisis(tracker, latest_text(tracker)):
            going_on: list[dict[str, Any]] = self._going_on(dispatcher, tracker)
            return going_on
        if crisis is None:
            validated: list[dict[str, Any]] = await super().run(dispatcher, tracker, domain)
            return validated
        answer_crisis(dispatcher, tracker, crisis, "form")
        dispatcher.utter_message(text=text("safety_then_form", crisis.lang))
        asked = tracker.get_slot("requested_slot")
        message = latest_text(tracker)
        rest = "" if asked in self.FREE_TEXT else the_answer_besides(message, asked)
        candidates = tracker.slots_to_validate
        tracker.slots_to_validate = lambda: {k: (rest or None) if v == message else v for k, v in candidates().items()}
        quiet = CollectingDispatcher()  # "I didn't catch that" would only get in the way
        events: list[dict[str, Any]] = await super().run(quiet, tracker, domain)
        answered = {e.get("name"): e.get("value") for e in events if e.get("event") == "slot"}
        if answered.get(asked) is not None:
            dispatcher.messages.extend(quiet.messages)
        elif asked and asked not in answered:
            events.append(SlotSet(asked, None))  # not the crisis text: the same question again
        return events


class MemberForm(VerificationValidators, SafeForm):
    FREE_TEXT = frozenset(
        {
            "reason_text",
            "initial_provider",
            "initial_specialty",
            "initial_recommendation",
            "initial_date",
            "preferred_provider",
            "ride_pickup",
            "grievance_text",
        }
    )

    @abstractmethod
    def name(self) -> str: ...

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        events: list[dict[str, Any]] = await super().run(dispatcher, tracker, domain)
        reason = next(
            (
                e["value"]
                for e in events
                if e.get("event") == "slot" and e.get("name") == "handoff_reason" and e.get("value")
            ),
            None,
        )
        if reason:  # a person takes over: the form ends here, its answers kept for the agent
            events += hand_off(dispatcher, tracker, reason) + [SlotSet("requested_slot", None)]
        return events

    async def get_validation_events(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        # The SDK validates every slot set since the member's message, including those a
        # start action just cleared to None; a cleared slot is not an answer.
        set_this_turn = tracker.slots_to_validate
        tracker.slots_to_validate = lambda: {k: v for k, v in set_this_turn().items() if v is not None}
        events: list[dict[str, Any]] = await super().get_validation_events(dispatcher, tracker, domain)
        return events

    @staticmethod
    def _going_on(dispatcher: CollectingDispatcher, tracker: Tracker) -> list[dict[str, Any]]:
        """ "I'm safe, my daughter is with me, let's keep going" answers no question (not even
        "who is asking?"): a thank-you, and the same question again."""
        say(dispatcher, tracker, "thanks_going_on")
        message, asked = latest_text(tracker), tracker.get_slot("requested_slot")
        filled = [k for k, v in tracker.slots_to_validate().items() if v == message]
        cleared: list[dict[str, Any]] = [
            SlotSet(slot, None) for slot in dict.fromkeys(filled + ([asked] if asked else []))
        ]
        return cleared

    def _not_an_answer(
        self, slot: str, dispatcher: CollectingDispatcher, tracker: Tracker, example: str = "unclear_answer"
    ) -> dict[str, Any]:
        """A question, a request for a person, or noise: respond, then ask again
        (`example`: the catalog text that says what kind of answer is wanted)."""
        message = latest_text(tracker)
        topic = asked_topic(tracker, 0.6)
        intent, confidence = latest_intent(tracker)
        corrected = self._earlier_answer_corrected(slot, dispatcher, tracker)
        if corrected:
            return corrected
        if topic and looks_like_question(message) and tracker.get_slot("plan"):
            answer_rights(dispatcher, tracker, tracker.get_slot("plan"), topic)
        elif intent == "human_handoff" and confidence >= 0.6:
            return {slot: None, "handoff_reason": "asked"}
        elif nlp.asks_to_repeat(message):
            say(dispatcher, tracker, "question_again")
        elif misunderstood_turns(tracker) >= 2:  # asked again twice: a person takes over
            return {slot: None, "handoff_reason": "not_understood"}
        else:
            say(dispatcher, tracker, example)
        return {slot: None}

    def _free_text(
        self, slot: str, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, limit: int = MAX_TEXT
    ) -> dict[str, Any]:
        if not isinstance(value, str) or interrupts(tracker, latest_text(tracker)):
            return self._not_an_answer(slot, dispatcher, tracker)
        return self._earlier_answer_corrected(slot, dispatcher, tracker) or {slot: clip(value, limit)}

    def _earlier_answer_corrected(
        self, slot: str, dispatcher: CollectingDispatcher, tracker: Tracker
    ) -> dict[str, Any] | None:
        """ "actually it's Dr. Liu" while another question is asked: change that answer,
        then ask the same question again."""
        message = latest_text(tracker)
        if not nlp.says_correction(message):
            return None
        field, value = nlp.parse_correction(message)
        if not field or field == slot or value is None or not tracker.get_slot(field) or field == "plan":
            return None
        if field in tracker.slots_to_validate():  # answered in this very message ("sorry to bother you, ...")
            return None
        say(dispatcher, tracker, "changed_earlier_answer")
        return {slot: None, field: self._corrected(field, value, tracker)}

    @staticmethod
    def _corrected(field: str, value: str, tracker: Tracker) -> str:
        """A new value for an earlier answer: "the 10th" after "November 3" is November 10."""
        if field == "initial_date":
            return corrected_date_text(value, tracker.get_slot(field), pacific_today())
        return value

    def _yes_no(self, slot: str, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker) -> dict[str, Any]:
        answer = nlp.parse_yes_no(str(value or ""))
        if answer is None:
            return self._not_an_answer(slot, dispatcher, tracker)
        return {slot: "yes" if answer else "no"}
