"""What every action needs: the member's language, saying a catalog text, reading the
latest message, telling an answer from an interruption, and answering a rights
question (also used mid-form)."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot import nlp
from bot.messages import DEFAULT_LANG, text
from bot.nlp.topics import looks_like_question
from bot.policy import TOPICS, kb
from bot.rights import rights_answer

QUESTION_INTENTS = {f"ask_{topic}": topic for topic in TOPICS}


def lang_of(tracker: Tracker) -> str:
    """The member's language: the `language` slot (bot/nlp/language.py fills it)."""
    return tracker.get_slot("language") or DEFAULT_LANG


def language_shown(tracker: Tracker) -> bool:
    """Whether any of the member's messages said which language they write in."""
    return any(
        e.get("event") == "user"
        and any(ent.get("entity") == "language" for ent in (e.get("parse_data") or {}).get("entities") or [])
        for e in tracker.events
    )


def texting(tracker: Tracker) -> bool:
    """The member is texting by SMS (the gateway's channel name)."""
    return bool(tracker.get_latest_input_channel() == "sms")


def say(dispatcher: CollectingDispatcher, tracker: Tracker, key: str, **values: Any) -> None:
    dispatcher.utter_message(text=text(key, lang_of(tracker), **values))


def latest_text(tracker: Tracker) -> str:
    return (tracker.latest_message.get("text") or "").strip()


def latest_intent(tracker: Tracker) -> tuple[str | None, float]:
    intent = tracker.latest_message.get("intent") or {}
    return intent.get("name"), float(intent.get("confidence") or 0.0)


def asked_topic(tracker: Tracker, min_confidence: float = 0.0) -> str | None:
    name, confidence = latest_intent(tracker)
    if name in QUESTION_INTENTS and confidence >= min_confidence:
        return QUESTION_INTENTS[name]
    return None


def interrupts(tracker: Tracker, message: str, prose: bool = True) -> bool:
    """The member did not answer the question asked: they asked a rights question or
    for a person, or (for a question answered in words, `prose`) sent nothing readable.
    `message` is what is read as the answer."""
    if prose and (not message or nlp.looks_like_gibberish(message)):
        return True
    intent, confidence = latest_intent(tracker)
    return bool(asked_topic(tracker, 0.6) and looks_like_question(message)) or (
        intent == "human_handoff" and confidence >= 0.8
    )


def rights_answer_text(tracker: Tracker, plan: str, topic: str) -> str:
    return rights_answer(plan, topic, lang_of(tracker))


def answer_rights(dispatcher: CollectingDispatcher, tracker: Tracker, plan: str, topic: str) -> None:
    dispatcher.utter_message(text=rights_answer_text(tracker, plan, topic))


def plan_name(plan: str | None) -> str | None:
    return kb().plan(plan).name if plan in kb().plans else None


def member_plan_or_named(tracker: Tracker, dispatcher: CollectingDispatcher) -> str | None:
    """The plan whose rules a rights answer explains: a verified member's plan from their
    record, else the plan they named."""
    record_plan: str | None = tracker.get_slot("member_plan")
    if not (tracker.get_slot("verified") and record_plan):
        named: str | None = tracker.get_slot("plan")
        return named
    say_if_another_plan_named(record_plan, dispatcher, tracker)
    return record_plan


def say_if_another_plan_named(record_plan: str, dispatcher: CollectingDispatcher, tracker: Tracker) -> None:
    """A verified member who names another plan is told which one applies, not guessed for."""
    named = {e.get("value") for e in tracker.latest_message.get("entities", []) if e.get("entity") == "plan"}
    other = next((p for p in named if p != record_plan and p in kb().plans), None)
    if other:
        say(dispatcher, tracker, "plan_mismatch", plan_name=plan_name(record_plan), named_plan=plan_name(other))
