"""Rights questions, answered for the member's plan with the policy named."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import (
    answer_rights,
    asked_topic,
    lang_of,
    latest_intent,
    latest_text,
    member_plan_or_named,
    plan_name,
    rights_answer_text,
    say,
)
from bot import members
from bot.messages import text
from bot.nlp import find_plan

OVERVIEW = "situations"


class ActionAnswerRights(Action):
    def name(self) -> str:
        return "action_answer_rights"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        intent, _ = latest_intent(tracker)
        topic = asked_topic(tracker)
        if intent == "ask_rights_overview":
            topic = OVERVIEW
        if topic is None:
            topic = tracker.get_slot("pending_topic")
        plan = member_plan_or_named(tracker, dispatcher) or find_plan(latest_text(tracker))

        if plan is None:
            if members.gives_identity(latest_text(tracker)):
                say(dispatcher, tracker, "plan_not_member_id")  # a rights answer needs the plan only
            elif intent == "inform_plan":
                say(dispatcher, tracker, "plan_not_served")
                return []
            say(dispatcher, tracker, "ask_plan_for_question")
            return [SlotSet("pending_topic", topic)]
        if topic is None:
            say(dispatcher, tracker, "plan_noted", plan_name=plan_name(plan))
            return [SlotSet("plan", plan)]
        if said_just_before(tracker, rights_answer_text(tracker, plan, topic)):
            say(dispatcher, tracker, "rights_answered_above")  # never the same answer twice in a row
            return [SlotSet("plan", plan), SlotSet("pending_topic", None)]
        answer_rights(dispatcher, tracker, plan, topic)
        if intent == "ask_rights_overview" or topic == OVERVIEW:
            say(dispatcher, tracker, "rights_menu")
        offer_next_steps(dispatcher, tracker, topic)
        return [SlotSet("plan", plan), SlotSet("pending_topic", None)]


# What a member can do after each answer, offered as numbered choices (buttons on the web).
NEXT_STEPS = {"transportation": ("request", "ride"), "refused": ("grievance", "request"), "disagree": ("request",)}
STEP_PAYLOADS = {"request": "/request_second_opinion", "ride": "/request_ride", "grievance": "/file_grievance"}


def offer_next_steps(dispatcher: CollectingDispatcher, tracker: Tracker, topic: str) -> None:
    if tracker.get_slot("request_reference") and topic != "refused":
        steps = tuple(s for s in NEXT_STEPS.get(topic, ()) if s != "request")
    else:
        steps = NEXT_STEPS.get(topic, ("request",))
    if steps:
        dispatcher.utter_message(
            text=text("next_steps_offer", lang_of(tracker)),
            buttons=[
                {"title": text(f"next_step_{step}", lang_of(tracker)), "payload": STEP_PAYLOADS[step]} for step in steps
            ],
        )


def said_just_before(tracker: Tracker, words: str) -> bool:
    """Was `words` the assistant's answer to the member's previous message?"""
    users = 0
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            users += 1
            if users == 2:
                return False
        elif event.get("event") == "bot" and users == 1 and event.get("text") == words:
            return True
    return False
