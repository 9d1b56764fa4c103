"""After the member verifies: how their requests, rides and grievances stand, or a
ride cancelled or changed. What they asked for is remembered while they verify."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import lang_of, latest_intent, latest_text, say
from actions.rides import RIDE_SLOTS
from actions.verification import member_or_refusal
from bot import status
from bot.store.repository import REFERENCE
from bot.transport import ACTIVE_RIDE_STATUSES, cancel_members_ride, member_rides


def reference_in(message: str) -> str | None:
    found = REFERENCE.search(message or "")
    return found.group(0).upper() if found else None


class ActionPrepareLookup(Action):
    """Remember what the member wants looked up (and any reference they gave) while they verify."""

    def name(self) -> str:
        return "action_prepare_lookup"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        intent, _ = latest_intent(tracker)
        return [SlotSet("pending_action", intent), SlotSet("lookup_reference", reference_in(latest_text(tracker)))]


class ActionRecordsLookup(Action):
    """After verification: where the member's records stand, or a ride cancelled or changed."""

    def name(self) -> str:
        return "action_records_lookup"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        events: list[dict[str, Any]] = [SlotSet("pending_action", None), SlotSet("lookup_reference", None)]
        member = member_or_refusal(dispatcher, tracker)
        if member is None:
            return events
        wanted = tracker.get_slot("pending_action") or "request_status"
        if wanted == "ride_status":
            say_ride_status(dispatcher, tracker, member.member_id)
        elif wanted in ("cancel_ride", "change_ride"):
            return events + change_ride(dispatcher, tracker, member.member_id, wanted)
        else:
            say_status(dispatcher, tracker, member.member_id, tracker.get_slot("lookup_reference"))
        return events


def say_status(dispatcher: CollectingDispatcher, tracker: Tracker, member_id: str, reference: str | None) -> None:
    lang = lang_of(tracker)
    lines = status.report(member_id, lang, reference) if reference else []
    if reference and not lines:
        say(dispatcher, tracker, "status_reference_not_found", reference=reference)
    lines = lines or status.report(member_id, lang)
    if not lines:
        say(dispatcher, tracker, "status_nothing_found")
        return
    say(dispatcher, tracker, "status_intro")
    dispatcher.utter_message(text="\n".join(lines))


def say_ride_status(dispatcher: CollectingDispatcher, tracker: Tracker, member_id: str) -> None:
    rides = member_rides(member_id)
    if not rides:
        say(dispatcher, tracker, "ride_none_found")
    for ride in rides[: status.SHOWN_AT_MOST]:
        dispatcher.utter_message(text=status.ride_line(ride, lang_of(tracker)))


def change_ride(
    dispatcher: CollectingDispatcher, tracker: Tracker, member_id: str, wanted: str
) -> list[dict[str, Any]]:
    """Cancel the member's active ride, or start the ride questions again to replace it."""
    active = [r for r in member_rides(member_id) if r.status in ACTIVE_RIDE_STATUSES]
    if not active:
        say(dispatcher, tracker, "ride_none_found")
        return []
    ride = active[0]
    if wanted == "cancel_ride":
        cancel_members_ride(ride.reference, member_id, "cancelled by the member")
        say(dispatcher, tracker, "ride_cancelled", reference=ride.reference)
        return []
    say(dispatcher, tracker, "ride_change_intro", reference=ride.reference)
    return [SlotSet(s, None) for s in RIDE_SLOTS] + [
        SlotSet("ride_replaces", ride.reference),
        FollowupAction("ride_form"),
    ]
