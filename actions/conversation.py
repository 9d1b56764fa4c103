"""Start over, and reaching a person."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import AllSlotsReset, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import latest_intent, plan_name, say
from bot import verification
from bot.nlp.answers import ASK, KEEP_GOING, LEAVING_INTENTS, PENDING_SLOT


def say_member_services(dispatcher: CollectingDispatcher, tracker: Tracker) -> None:
    name = plan_name(tracker.get_slot("plan"))
    if name:
        say(dispatcher, tracker, "member_services", plan_name=name)
    else:
        say(dispatcher, tracker, "member_services_no_plan")


def not_an_answer(asked: str | None) -> list[dict[str, Any]]:
    """Rasa puts every message into the slot being asked before any policy runs; "never
    mind", and the "yes" or "no" that followed it, are not answers to that question."""
    return [SlotSet(asked, None)] if asked else []


def last_asked(tracker: Tracker) -> str | None:
    """The question a form asked last (a form that has just ended has cleared requested_slot)."""
    return next(
        (
            e.get("value")
            for e in reversed(tracker.events)
            if e.get("event") == "slot" and e.get("name") == "requested_slot" and e.get("value")
        ),
        None,
    )


class ActionStartOver(Action):
    def name(self) -> str:
        return "action_start_over"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        verification.forget(tracker.sender_id)
        say(dispatcher, tracker, "start_over")
        dispatcher.utter_message(response="utter_how_can_help")
        # Starting over ends verification; it lifts no lock and forgets no failed try
        # (those are kept in the database; the slots only for this conversation's flow).
        keep = {s: tracker.get_slot(s) for s in ("verification_locked", "verify_failures")}
        return [AllSlotsReset()] + [SlotSet(k, v) for k, v in keep.items() if v]


class ActionStopForm(Action):
    """The member changed their mind: stop, file nothing."""

    def name(self) -> str:
        return "action_stop_form"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        say(dispatcher, tracker, "stopped")
        dispatcher.utter_message(response="utter_how_can_help")
        keep = ("ride_", "grievance_")
        return (
            [SlotSet(s, None) for s in tracker.slots if s.startswith(keep)]
            + [SlotSet("pending_action", None), SlotSet("ride_replaces", None), SlotSet(PENDING_SLOT, None)]
            + not_an_answer(last_asked(tracker))
        )


class ActionAskInterruption(Action):
    """ "Stop" or "start over" in the middle of a form: ask once before anything is thrown away."""

    def name(self) -> str:
        return ASK

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        wanted = LEAVING_INTENTS.get(latest_intent(tracker)[0] or "", "stop")
        say(dispatcher, tracker, f"ask_{wanted}_sure")
        return [SlotSet(PENDING_SLOT, wanted)] + not_an_answer(tracker.get_slot("requested_slot"))


class ActionKeepGoing(Action):
    """The member did not want to stop after all: the same question again."""

    def name(self) -> str:
        return KEEP_GOING

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        say(dispatcher, tracker, "keep_going")
        return [SlotSet(PENDING_SLOT, None)] + not_an_answer(tracker.get_slot("requested_slot"))
