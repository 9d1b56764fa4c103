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


# -- after the reference: a text when there is news, and how the request stands ----------

# The question whether to text when there is news, its follow-ups, and "please reply YES,
# NO or a number" (the answer was not understood: the member says it again).
# A texting member is offered a text "here" (ask_notify_answer_sms), at the number they text from.
NOTIFY_QUESTIONS = (
    "ask_notify_answer",
    "ask_notify_answer_no_phone",
    "ask_notify_answer_sms",
    "ask_notify_phone",
    "notify_unclear",
)
NOTIFY_TOLD = ("notify_yes", "notify_yes_here", "notify_no")  # the answer recorded, said back
LAST_FOUR = re.compile(r"\b(\d{4})\b")


def _last(reply: str, keys: tuple[str, ...]) -> tuple[int, str, re.Match] | None:
    text = flat(reply)
    found = [
        (m.start(), key, m)
        for key in keys
        for lang in LANGS
        if key in catalog(lang)
        for m in template_regex(str(catalog(lang)[key])).finditer(text)
    ]
    return max(found, key=lambda f: f[0]) if found else None


def notify_asked(reply: str) -> str | None:
    """The notify question a reply ends on (NOTIFY_QUESTIONS), or None."""
    found = _last(reply, NOTIFY_QUESTIONS)
    return found[1] if found else None


def notify_told(reply: str) -> str | None:
    """Which of "OK, I'll text ..." and "OK, no texts" the reply says, or None."""
    found = _last(reply, NOTIFY_TOLD)
    return found[1] if found else None


def last_four_offered(reply: str) -> str | None:
    """The last four digits of the number on file the notify question offers to text."""
    found = _last(reply, ("ask_notify_answer",))
    digits = LAST_FOUR.search(found[2].group(0)) if found else None
    return digits.group(1) if digits else None


def status_line(reference: str, lang: str) -> str:
    """How a request just opened stands, in the member's language: "Second-opinion request
    SO-...: received, waiting for a decision."."""
    return text(
        "status_request_line", lang=lang, reference=reference, status=text("status_request_received", lang=lang)
    )


def status_answered(reply: str, reference: str, lang: str) -> bool:
    no_approval = text(
        "status_request_line", lang=lang, reference=reference, status=text("status_request_no_approval", lang=lang)
    )
    return any(flat(line) in flat(reply) for line in (status_line(reference, lang), no_approval))


def status_miss(reply: str, reference: str, lang: str) -> str:
    """What the reply said instead of the request's status (for the problem message)."""
    other = next(lg for lg in LANGS if lg != lang)
    if status_answered(reply, reference, other):
        return f"the status came in {'English' if other == 'en' else 'Spanish'}"
    if reference in reply:
        return "the reference came back without the words 'received, waiting for a decision'"
    if any(says(reply, key) for key in ("status_intro", "status_reference_not_found", "status_nothing_found")):
        return "a status came back, but not this request's: " + clip(reply)
    return f"the assistant said {said_key(reply) or clip(reply)}"


def said_key(reply: str) -> str | None:
    """The catalog key of the last catalog text in a reply, in either language."""
    text = flat(reply)
    found = [
        (m.start(), key)
        for lang in LANGS
        for key, t in catalog(lang).items()
        if isinstance(t, str) and len(re.sub(r"\{[^{}]*\}", "", t)) > 15
        for m in template_regex(t).finditer(text)
    ]
    return max(found)[1] if found else None


def clip(reply: str, width: int = 90) -> str:
    text = flat(reply)
    return repr(text if len(text) <= width else text[: width - 3] + "...")
