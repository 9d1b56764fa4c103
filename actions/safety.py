"""The safety answer: 988 or 911 first, in the member's language, then one question.

`action_safety` answers a crisis outside a form (SafetyPolicy predicts it) and while a
person holds the conversation; forms answer it through `answer_crisis` themselves.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import latest_text
from bot import handoff, safety
from bot.messages import text
from bot.nlp.answers import START_FOR_INTENT
from bot.safety.answers import answer_text, held_answer, record_answer

SAFETY_KEY = "safety"  # where MessageGuard puts the crisis in the parse data


def crisis_in(tracker: Tracker) -> safety.Crisis | None:
    """The crisis in the member's latest message, as the pipeline's MessageGuard marked
    it. A message marked `emergency` without the details (a story, a button) is read
    again; one the pipeline read and found no crisis in is not read twice."""
    marked = tracker.latest_message.get(SAFETY_KEY)
    if isinstance(marked, dict) and marked.get("category") in safety.CATEGORIES:
        return safety.Crisis(marked["category"], marked.get("lang") or "en", "pipeline")
    if (tracker.latest_message.get("intent") or {}).get("name") != "emergency":
        return None
    # Without the words, the medical answer: it names both 911 and 988.
    return safety.check(latest_text(tracker)) or safety.Crisis("medical", "en", "intent")


def answer_crisis(dispatcher: CollectingDispatcher, tracker: Tracker, crisis: safety.Crisis, where: str) -> None:
    dispatcher.utter_message(text=answer_text(crisis))
    record_answer(tracker.sender_id, crisis, where)


RESUME_SLOT = "resume_after_safety"


class ActionSafety(Action):
    def name(self) -> str:
        return "action_safety"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        crisis = crisis_in(tracker) or safety.Crisis("medical", "en", "intent")
        if tracker.get_slot("handoff_open"):
            said = held_answer(crisis)
            for line in said:
                dispatcher.utter_message(text=line)
            record_answer(tracker.sender_id, crisis, "held")
            handoff.flag_crisis(tracker.sender_id, crisis.category, said)
            return []
        answer_crisis(dispatcher, tracker, crisis, "assistant")
        dispatcher.utter_message(
            text=text("safety_then_choose", crisis.lang),
            buttons=[
                {"title": text("safety_keep_going", crisis.lang), "payload": "/affirm"},
                {"title": text("safety_talk_to_person", crisis.lang), "payload": "/human_handoff"},
            ],
        )
        return [SlotSet(RESUME_SLOT, asked_besides_crisis(tracker))]


def asked_besides_crisis(tracker: Tracker) -> str | None:
    """What the same message asked for (a request, a ride, a grievance), to start when the
    member says "keep going": the classifier's own first guess other than an emergency."""
    ranking = tracker.latest_message.get("intent_ranking") or []
    first: dict[str, Any] = next((r for r in ranking if r.get("name") != "emergency"), {})
    return first.get("name") if first.get("name") in START_FOR_INTENT and first.get("confidence", 0) >= 0.5 else None
