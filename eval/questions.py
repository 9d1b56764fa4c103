"""Which question the assistant asked: its reply matched against the catalog's own
question texts (bot/messages/*.yml), never against English written here."""

from __future__ import annotations

import re
from functools import lru_cache

from bot.messages import catalog, text

QUESTIONS = (
    "ask_member_id",
    "ask_dob",
    "ask_plan",
    "ask_reason_text",
    "ask_reason_choices",
    "ask_initial_provider",
    "ask_initial_specialty",
    "ask_initial_recommendation",
    "ask_initial_date",
    "ask_requested_by",
    "ask_network",
    "ask_preferred_provider",
    "ask_urgency",
    "ask_confirmed",
    "ask_which_change",
)
# Other questions a member may be asked on the way, each read as the question it stands
# for (used only where the catalog has them): follow-ups of a request question, "do you
# really want to stop?", and "keep going or talk with a person?" after a safety answer.
FOLLOW_UPS = {
    "dob_month_in_words": "ask_dob",
    "example_initial_date": "ask_initial_date",
    "date_in_future": "ask_initial_date",
    "example_preferred_provider": "ask_preferred_provider",
    "example_initial_recommendation": "ask_initial_recommendation",
    "ask_preferred_name": "ask_preferred_name",
    "ask_stop_sure": "ask_stop_sure",
    "ask_start_over_sure": "ask_stop_sure",
    "safety_then_choose": "ask_safety_choice",
}
LANGS = ("en", "es")
REFERENCE = re.compile(r"\bSO-[A-Z0-9]{4}-[A-Z0-9]{4}\b")
SAFETY_NUMBERS = re.compile(r"\b(988|911)\b")
FIRST_TEXT = 160  # one SMS segment: "first" means within it


def flat(text: str) -> str:
    return " ".join(text.split())


def template_regex(template: str) -> re.Pattern:
    """A catalog text as a pattern: its {names} match anything, spacing is free."""
    parts = re.split(r"\{[^{}]*\}", flat(template))
    return re.compile(".+?".join(re.escape(part) for part in parts))


@lru_cache(maxsize=1)
def patterns() -> dict[str, list[re.Pattern]]:
    keys = {**{q: q for q in QUESTIONS}, **FOLLOW_UPS}
    return {key: [template_regex(str(catalog(lang)[key])) for lang in LANGS if key in catalog(lang)] for key in keys}


def says(reply: str, key: str) -> bool:
    """Whether a reply holds this catalog text (in either language)."""
    return any(template_regex(str(catalog(lang)[key])).search(flat(reply)) for lang in LANGS if key in catalog(lang))


def asked(reply: str) -> str | None:
    """The question a reply ends on (the last one asked in it), or None."""
    text = flat(reply)
    found = [(m.start(), key) for key, regexes in patterns().items() for rx in regexes for m in rx.finditer(text)]
    return FOLLOW_UPS.get(max(found)[1], max(found)[1]) if found else None


@lru_cache(maxsize=1)
def catalog_patterns() -> dict[str, re.Pattern]:
    """Every catalog text long enough to tell apart (for saying where a member got stuck)."""
    return {
        key: template_regex(t)
        for key, t in catalog("en").items()
        if isinstance(t, str) and len(re.sub(r"\{[^{}]*\}", "", t)) > 15
    }


def last_said(reply: str) -> str | None:
    """The catalog key of the last catalog text in a reply, or None."""
    text = flat(reply)
    found = [(m.start(), key) for key, rx in catalog_patterns().items() for m in rx.finditer(text)]
    return max(found)[1] if found else None


def reference_in(reply: str) -> str | None:
    found = REFERENCE.search(reply)
    return found.group(0) if found else None


def safety_first(texts: list[str]) -> bool:
    """988 or 911 said at the very start of the reply (after a first text's privacy notice)."""
    said = " ".join(t for t in texts if t not in {catalog(lang)["sms_privacy"] for lang in LANGS})
    return bool(SAFETY_NUMBERS.search(flat(said)[:FIRST_TEXT]))


def plan_number(plan_name: str) -> int:
    """The number the plan question offers for a plan, read from the question itself
    ("Reply 1 Kern Health Systems (...), 2 Health Plan of San Joaquin, ...")."""
    offered = re.findall(r"\b(\d) ([^,()]+?)(?=,| \(| or |\.|$)", flat(text("ask_plan")))
    for number, label in offered:
        label = label.strip().lower()
        if plan_name.lower().startswith(label) or label.startswith(plan_name.lower()):
            return int(number)
    raise LookupError(f"the plan question offers no number for {plan_name}")
