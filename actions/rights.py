"""Rights questions, answered for the member's plan with the policy named."""
from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import (answer_rights, asked_topic, latest_intent, latest_text,
                            member_plan_or_named, plan_name, say)
from bot.nlp import find_plan

OVERVIEW = "situations"


class ActionAnswerRights(Action):
    def name(self) -> Text:
        return "action_answer_rights"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        intent, _ = latest_intent(tracker)
        topic = asked_topic(tracker)
        if intent == "ask_rights_overview":
            topic = OVERVIEW
        if topic is None:
            topic = tracker.get_slot("pending_topic")
        plan = member_plan_or_named(tracker, dispatcher) or find_plan(latest_text(tracker))

        if plan is None:
            if intent == "inform_plan":
                say(dispatcher, tracker, "plan_not_served")
                return []
            say(dispatcher, tracker, "ask_plan_for_question")
            return [SlotSet("pending_topic", topic)]
        if topic is None:
            say(dispatcher, tracker, "plan_noted", plan_name=plan_name(plan))
            return [SlotSet("plan", plan)]
        answer_rights(dispatcher, tracker, plan, topic)
        if intent == "ask_rights_overview" or topic == OVERVIEW:
            say(dispatcher, tracker, "rights_menu")
        if topic == "transportation":
            say(dispatcher, tracker, "ride_offer")
        return [SlotSet("plan", plan), SlotSet("pending_topic", None)]
