"""Does a member's message read as an answer to the question being asked?

Inside a form the question decides how a message is read: "no it's not an emergency"
answers "Is there a serious threat...?", even though the words alone sound like "stop".
The dialogue policy (bot/nlp/answer_first.py) asks this before letting "stop" or
"start over" take a message away from the form; the form's own validators then read
the value with the same parsers.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime, timezone

from bot.grievances import ABOUT
from bot.nlp import dates as d
from bot.nlp import pipeline as p

# What members say when they want out of what they started (English and Spanish).
LEAVING_WORDS = (
    "never mind",
    "nevermind",
    "nvm",
    "forget it",
    "forget about it",
    "forget all that",
    "forget that",
    "cancel",
    "cancel it",
    "cancel that",
    "stop",
    "quit",
    "exit",
    "i'm done",
    "im done",
    "done",
    "changed my mind",
    "i changed my mind",
    "don't want to",
    "dont want to",
    "not anymore",
    "no thanks",
    "scratch that",
    "start over",
    "restart",
    "start again",
    "begin again",
    "from the beginning",
    "reset",
    "start fresh",
    "clear everything",
    "let's",
    "lets",
    "please",
    "actually",
    "just",
    "i",
    "want",
    "to",
    "it",
    "all",
    "that",
    "this",
    "the",
    "go",
    "back",
    "olvidalo",
    "olvídalo",
    "cancelar",
    "cancela",
    "ya no",
    "empezar de nuevo",
    "otra vez",
    "de nuevo",
    "mejor no",
    "no quiero",
)

LEAVING_INTENTS = {"nevermind": "stop", "start_over": "start_over"}
PENDING_SLOT = "interruption_pending"
ASK = "action_ask_interruption"
KEEP_GOING = "action_keep_going"
DEACTIVATE = "action_deactivate_loop"
THEN = {"stop": "action_stop_form", "start_over": "action_start_over"}
LISTEN = "action_listen"
START_REQUEST = "action_start_request"
# Each flow's start action and the form that follows it (data/rules: "start a request", ...).
FORM_AFTER_START = {
    START_REQUEST: "second_opinion_form",
    "action_start_ride": "ride_form",
    "action_start_grievance": "grievance_form",
}
# What a member asked for in the message the safety answer came first to, started on "keep going".
START_FOR_INTENT = {
    "request_second_opinion": START_REQUEST,
    "request_ride": "action_start_ride",
    "file_grievance": "action_start_grievance",
}

FREE_TEXT_SLOTS = (
    "reason_text",
    "initial_provider",
    "initial_specialty",
    "initial_recommendation",
    "preferred_provider",
    "ride_pickup",
    "grievance_text",
    "callback_time",
)


def _has_words_besides_leaving(text: str) -> bool:
    """Free text is an answer when something is left once the leaving words are gone."""
    t = p._norm(text)
    for phrase in sorted(LEAVING_WORDS, key=len, reverse=True):
        t = p._phrase_regex(phrase).sub(" ", t)
    return len(t.split()) >= 2 or bool(p.extract(text).providers)


def says_leaving(text: str) -> bool:
    return bool(p._matches(text, [w for w in LEAVING_WORDS if len(w) > 6 or w in ("cancel", "stop", "quit")]))


def _yes_no_or_change(text: str) -> bool:
    """At a confirmation: yes, no, or a change; "no, cancel it" is leaving, not a no."""
    field, _ = p.parse_correction(text)
    if field is not None:
        return True
    return p.parse_yes_no(text) is not None and not says_leaving(text)


def _now() -> datetime:
    return datetime.now(timezone.utc)


SHAPED: dict[str, Callable[[str], bool]] = {
    "member_id": lambda t: bool(re.search(r"[A-Za-z]*\s*\d{3,}", t)),
    "dob": lambda t: bool(re.search(r"\d", t)),
    "plan": lambda t: p.find_plan(t) is not None,
    "reason": lambda t: p.classify_reason(t, numbered=True) is not None,
    "initial_date": lambda t: d.parse_date_hint(t, date.today()) is not None or d.doesnt_remember(t),
    "requested_by": lambda t: p.parse_requester(t) is not None,
    "network": lambda t: p.parse_network(t) is not None,
    "urgency": lambda t: p.parse_urgency(t) is not None or p.sounds_unsure(t),
    "grievance_expedited": lambda t: p.parse_urgency(t) is not None,
    "ride_companion": lambda t: p.parse_yes_no(t) is not None,
    "ride_mobility": lambda t: p.parse_mobility(t) is not None,
    "ride_appointment": lambda t: p.parse_appointment(t, _now())[1],
    "grievance_about": lambda t: p._first_kind(t, "grievance_about", ABOUT) is not None,
    "callback_phone": lambda t: p.parse_phone(t) is not None,
    "notify_answer": lambda t: p.parse_phone(t) is not None or p.parse_yes_no(t) is not None or says_leaving(t),
    "notify_phone": lambda t: p.parse_phone(t) is not None or p.parse_yes_no(t) is False,
    "confirmed": _yes_no_or_change,
    "ride_confirmed": _yes_no_or_change,
    "grievance_confirmed": _yes_no_or_change,
}


def reads_as_answer(slot: str, text: str) -> bool:
    """True when `text` answers the question for `slot` (whatever else it also says)."""
    if slot in FREE_TEXT_SLOTS:
        return _has_words_besides_leaving(text)
    check = SHAPED.get(slot)
    return bool(check and check(text or ""))


def next_in_form(
    latest_action: str | None, form: str | None, asked: str | None, pending: str | None, intent: str | None, text: str
) -> str | None:
    """The next action inside a form when the question decides, else None (other policies)."""
    if latest_action == DEACTIVATE and pending in THEN:
        return THEN[pending]
    if latest_action == DEACTIVATE and intent == "request_second_opinion":
        return START_REQUEST  # left the callback questions to make the request after all
    if latest_action in FORM_AFTER_START:
        return FORM_AFTER_START[latest_action]
    if latest_action in (ASK, *THEN.values()):
        return LISTEN
    if latest_action == KEEP_GOING and form:
        return form
    if latest_action != LISTEN or not form or intent == "emergency":
        return None  # a crisis: the safety answer comes first (SafetyPolicy, the forms)
    if pending:
        answer = p.parse_yes_no(text)
        if answer is not None:
            return DEACTIVATE if answer else KEEP_GOING
        return form  # neither: read as the answer to the question asked
    if intent in LEAVING_INTENTS:
        return form if asked and reads_as_answer(asked, text) else ASK
    if form == "callback_form" and intent == "request_second_opinion" and not reads_as_answer(asked or "", text):
        return DEACTIVATE
    return None
