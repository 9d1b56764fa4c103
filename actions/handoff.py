"""Handing the conversation to a person, and the callback when nobody can join.

`hand_off` is the one way in: the member asked, the assistant failed to understand
twice in a row, verification locked, or a clinical question or a complaint about a
provider's conduct. Within member-services hours the conversation is queued for the
agent console and the slot `handoff_open` set: the gateway routes the member's messages
to the agent meanwhile, and the assistant itself answers nothing but a crisis (the
SafetyPolicy), so 911/988 still come first on any channel. Otherwise the member is
offered a callback.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, ConversationResumed, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.common import lang_of, latest_intent, say
from bot import handoff
from bot.handoff import HANDOFF_OPENED
from bot.messages import text
from bot.policy import kb
from bot.second_opinions import ANSWERS
from bot.store.redaction import redacted

HANDOFF_OPEN = "handoff_open"  # a person holds the conversation (ConversationResumed: for older ones paused)
REASON_BY_INTENT = {"human_handoff": "asked", "ask_clinical": "clinical", "provider_conduct": "conduct"}
SUMMARY_SLOTS = (
    "verified",
    "member_id",
    "member_plan",
    "plan",
    *ANSWERS,
    "request_reference",
    "verification_locked",
    "language",
)
NOT_UNDERSTOOD = (
    "not_understood",
    "unclear_answer",
    "example_initial_date",
    "example_preferred_provider",
    "example_initial_recommendation",
)
# What an agent may settle for the assistant to go on with.
HANDED_BACK_SLOTS = ("verified", "member_id", "member_plan", "plan", "dob", "request_reference")


def phone_line(tracker: Tracker) -> str:
    plan = tracker.get_slot("member_plan") or tracker.get_slot("plan")
    return kb().member_services_phone(plan) or text("member_services_phone_card", lang_of(tracker))


def misunderstood_turns(tracker: Tracker) -> int:
    """How many of the member's messages in a row, before this one, the assistant
    answered with "I didn't understand" (or an example of the answer it needs)."""
    said = {text(key, lang_of(tracker)) for key in NOT_UNDERSTOOD}
    users, flagged = 0, 0
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            if users > flagged:
                break
            users += 1
        elif event.get("event") == "bot" and users and (event.get("text") or "") in said:
            flagged = users
    return flagged


def misunderstood_last_turn(tracker: Tracker) -> bool:
    """Did the assistant answer the member's previous message with "I didn't understand"?"""
    return misunderstood_turns(tracker) >= 1


def transcript_of(tracker: Tracker, said_now: list[dict[str, Any]]) -> list[tuple[str, str, datetime]]:
    """(sender, text, at) of the conversation so far, for the agent. The member's answer
    to the date-of-birth question is hidden (bot.store.redaction): the agent verifies
    for themselves."""
    lines: list[tuple[str, str, datetime]] = []
    for event in redacted(tracker.events):
        kind, at = event.get("event"), datetime.fromtimestamp(event.get("timestamp") or 0, timezone.utc)
        if kind == "user" and event.get("text"):
            lines.append(("member", event["text"], at))
        elif kind == "bot" and event.get("text"):
            lines.append(("assistant", event["text"], at))
    now = datetime.now(timezone.utc)
    return lines + [("assistant", m["text"], now) for m in said_now if m.get("text")]


def summary_of(tracker: Tracker) -> dict[str, Any]:
    return {slot: tracker.get_slot(slot) for slot in SUMMARY_SLOTS if tracker.get_slot(slot) not in (None, "")}


def hand_off(dispatcher: CollectingDispatcher, tracker: Tracker, reason: str) -> list[dict[str, Any]]:
    plan = tracker.get_slot("member_plan") or tracker.get_slot("plan")
    say(dispatcher, tracker, f"handoff_{reason}")
    if handoff.on_duty(plan):
        say(dispatcher, tracker, "handoff_waiting")
        opened = handoff.open_handoff(
            tracker.sender_id,
            tracker.get_latest_input_channel() or "web",
            plan,
            reason,
            summary_of(tracker),
            transcript_of(tracker, dispatcher.messages),
        )
        dispatcher.utter_message(json_message={HANDOFF_OPENED: opened})  # for the gateway, never shown
        return [SlotSet("handoff_reason", reason), SlotSet(HANDOFF_OPEN, True)]
    say(dispatcher, tracker, "handoff_closed", phone=phone_line(tracker))
    return [SlotSet("handoff_reason", reason), FollowupAction("callback_form")]


class ActionHandOff(Action):
    def name(self) -> str:
        return "action_hand_off"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        return hand_off(dispatcher, tracker, REASON_BY_INTENT.get(latest_intent(tracker)[0] or "", "asked"))


class ActionNotUnderstood(Action):
    """The first time: say so and how to go on. The second time in a row: a person."""

    def name(self) -> str:
        return "action_not_understood"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        if misunderstood_last_turn(tracker):
            return hand_off(dispatcher, tracker, "not_understood")
        say(dispatcher, tracker, "not_understood")
        return []


class ActionHandoffUnclaimed(Action):
    """Run by the gateway when nobody claimed the conversation in time: the assistant
    takes the conversation back and asks for a callback number (the callback form is
    active from here, so the member's next message is the number)."""

    def name(self) -> str:
        return "action_handoff_unclaimed"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        say(dispatcher, tracker, "handoff_unclaimed", phone=phone_line(tracker))
        say(dispatcher, tracker, "ask_callback_phone")
        return [
            ConversationResumed(),
            SlotSet(HANDOFF_OPEN, False),
            ActiveLoop("callback_form"),
            SlotSet("requested_slot", "callback_phone"),
        ]


class ActionAgentHandedBack(Action):
    """Run by the gateway when an agent hands back: the assistant resumes, with what
    the agent settled (a verified member, their plan, a request's reference)."""

    def name(self) -> str:
        return "action_agent_handed_back"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        closed = handoff.last_closed(tracker.sender_id)
        settled = closed.agent_slots if closed else {}
        say(
            dispatcher,
            tracker,
            "agent_handed_back",
            agent_name=(closed and closed.agent_name) or text("agent_generic", lang_of(tracker)),
        )
        return [ConversationResumed(), SlotSet(HANDOFF_OPEN, False), SlotSet("handoff_reason", None)] + [
            SlotSet(slot, value) for slot, value in settled.items() if slot in HANDED_BACK_SLOTS
        ]
