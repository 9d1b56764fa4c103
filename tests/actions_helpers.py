"""Build rasa-sdk trackers and run actions the way the action server does."""

from pathlib import Path
from typing import Any

import yaml
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

# The real domain: forms' required slots, as the action server receives them.
DOMAIN: dict[str, Any] = yaml.safe_load((Path(__file__).resolve().parent.parent / "domain.yml").read_text())


def tracker(
    text: str = "",
    intent: str | None = None,
    confidence: float = 0.95,
    slots: dict[str, Any] | None = None,
    sender: str = "test-conv",
    requested_slot: str | None = None,
    active_loop: str | None = None,
    set_this_turn: dict[str, Any] | None = None,
    language: str | None = "en",
) -> Tracker:
    """set_this_turn: slots filled from this message (what the form will validate).
    language: the language an earlier message of the member was read in (None: none was)."""
    slots = {**({"language": language} if language else {}), **(slots or {}), **(set_this_turn or {})}
    if requested_slot:
        slots["requested_slot"] = requested_slot
    latest = {"text": text, "intent": {"name": intent, "confidence": confidence} if intent else {}, "entities": []}
    earlier = (
        [
            {
                "event": "user",
                "text": "(earlier)",
                "parse_data": {"entities": [{"entity": "language", "value": language}]},
            }
        ]
        if language
        else []
    )
    events = (
        earlier
        + [{"event": "user", "text": text}]
        + [{"event": "slot", "name": k, "value": v} for k, v in (set_this_turn or {}).items()]
    )
    return Tracker(
        sender, slots, latest, events, False, None, {"name": active_loop} if active_loop else {}, "action_listen"
    )


async def run_messages(action, t: Tracker, domain=None):
    dispatcher = CollectingDispatcher()
    events = await action.run(dispatcher, t, domain or DOMAIN)
    return dispatcher.messages, events


async def run(action, t: Tracker, domain=None):
    """(everything said, as one text; events)"""
    messages, events = await run_messages(action, t, domain)
    return texts(messages), events


def texts(messages: list[dict[str, Any]]) -> str:
    return "\n".join(m.get("text") or m.get("response") or "" for m in messages)


def slots_set(events) -> dict[str, Any]:
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}
