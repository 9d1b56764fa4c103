"""Start over, and reaching a person."""
from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import AllSlotsReset, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import plan_name, say
from bot import verification


def say_member_services(dispatcher: CollectingDispatcher, tracker: Tracker) -> None:
    name = plan_name(tracker.get_slot("plan"))
    if name:
        say(dispatcher, tracker, "member_services", plan_name=name)
    else:
        say(dispatcher, tracker, "member_services_no_plan")


class ActionStartOver(Action):
    def name(self) -> Text:
        return "action_start_over"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        verification.forget(tracker.sender_id)
        say(dispatcher, tracker, "start_over")
        dispatcher.utter_message(response="utter_how_can_help")
        # Starting over ends verification; it lifts no lock and forgets no failed try
        # (those are kept in the database; the slots only for this conversation's flow).
        keep = {s: tracker.get_slot(s) for s in ("verification_locked", "verify_failures")}
        return [AllSlotsReset()] + [SlotSet(k, v) for k, v in keep.items() if v]


class ActionStopForm(Action):
    """The member changed their mind: stop, file nothing."""

    def name(self) -> Text:
        return "action_stop_form"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        say(dispatcher, tracker, "stopped")
        dispatcher.utter_message(response="utter_how_can_help")
        keep = ("ride_", "grievance_")
        return [SlotSet(s, None) for s in tracker.slots if s.startswith(keep)] + \
               [SlotSet("pending_action", None), SlotSet("ride_replaces", None)]
