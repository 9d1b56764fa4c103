"""The first opinion, as members tell it in one breath: "Dr. Alan Patel, orthopedic
surgeon, said I need a spinal fusion of L4-L5, I saw him on October 30" gives who, what
kind of doctor, what was recommended and when; the form then asks only what is missing.
"""

from __future__ import annotations

import re
from datetime import date

from bot.nlp.dates import find_date
from bot.nlp.pipeline import Extraction, extract

# What the doctor said follows one of these; outside the answer to "who gave the first
# opinion?" only when a doctor says it ("my doctor wants to", not "i want to").
_TRIGGER = (
    r"(?:said|says|told me|told us|told him|told her|recommended|recommends|recommend|suggested|"
    r"suggests|thinks|wants (?:to|2)|wants me (?:to|2)|want (?:to|2)|want me (?:to|2)|wanted (?:to|2)|"
    r"diagnosed (?:me |him |her )?with|"
    r"diagnosis (?:is|was)|dijo que|dijo q|me dijo|dice que|dice q|dicen que|dicen q|quiere|quieren|"
    r"recomend[oó]|recomienda|diagnostic[oó])"
)
_WHAT = r"\b[:,]?\s*(?P<what>.+)"
RECOMMENDED = re.compile(r"\b" + _TRIGGER + _WHAT, re.IGNORECASE | re.DOTALL)
_DOCTOR = (
    r"\b(?:dr\.?\s+\w+|doctor|doctora|doc|surgeon|specialist|\w+ologist|pcp|provider|physician|he|she|they|"
    r"ortho|cardio|neuro|onco|derm|obgyn|ob-gyn|gyno|rheum|uro|pulmo|gi|ent|"
    r"m[eé]dico|cirujan[oa]|\w+[oó]log[oa])"
)
DOCTOR_SAID = re.compile(
    r"(?<!what )(?<!everything )(?<!all )(?<!things )"  # "doing what they said" is not what they said
    + _DOCTOR
    + r"(?:\s+\w+){0,2}?,?\s+"
    + _TRIGGER
    + _WHAT
    + r"|\bwas told\s+(?:that\s+)?(?P<told>.+)",
    re.IGNORECASE | re.DOTALL,
)


# A clause that tells when, not what ("I saw him on October 30").
WHEN_CLAUSE = re.compile(
    r"\b(saw|seen|visit|appointment|went|was on|that was|la cita|lo vi|la vi|fui)\b", re.IGNORECASE
)


def _recommendation(text: str, today: date, answering_provider: bool) -> str:
    m = (RECOMMENDED if answering_provider else DOCTOR_SAID).search(text)
    if not m:
        return ""
    said = (m.group("what") or m.groupdict().get("told") or "").lstrip()
    when = find_date(said, today)
    if when and said.lower().startswith(when[1]):  # "told me last tuesday that i need ...": when, then what
        said = re.sub(r"^[\s,]*(?:that|que)?\s*", "", said[len(when[1]) :], flags=re.IGNORECASE)
    said = re.sub(r"^(?:que|q|that)\s+", "", said, flags=re.IGNORECASE)  # "me dijo que me tienen que operar"
    # what the doctor said ends where the member goes on about themselves ("pero no estoy segura")
    what = re.split(
        r"(?:\b(?:and|but|y|pero)\s+|[,;.?!]\s*)(?:i|i'?m|we|he|she|they|he'?s|she'?s|they'?re|yo|[eé]l|ella"
        r"|no estoy|no s[eé]|quiero|necesito|can someone|puede alguien)\b"
        r"|\s+(?:idk|i don'?t know|not sure|no s[eé] si)\b",  # "spinal fusion idk if i need it"
        said,
        flags=re.IGNORECASE,
    )[0]
    clauses = [c.strip() for c in re.split(r"[;,.?!](?!\d)", what) if c.strip()]
    kept = [c for c in clauses if not (find_date(c, today) and (WHEN_CLAUSE.search(c) or len(c.split()) <= 4))]
    return re.sub(r"^(?:do|perform|have)\s+(?=\w)", "", ", ".join(kept), flags=re.IGNORECASE)[:1000]


LEADING_WORDS = re.compile(r"(?:\s+(?:the|a|an|my|his|her|is|was|at|el|la|mi|es))+$", re.IGNORECASE)


def _provider_words(text: str, found: Extraction) -> str:
    """Who, when no "Dr" name is there: the name before a specialty ("Maria Lopez the
    oncologist"), else the first clause ("the oncologist at Kern Medical")."""
    m = RECOMMENDED.search(text)
    clause = text[: min([len(text)] + ([m.start()] if m else []) + ([text.index(",")] if "," in text else []))]
    specialty_at = [s[2] for s in found.spans if s[0] == "SPECIALTY" and s[2] < len(clause)]
    if specialty_at:
        name = LEADING_WORDS.sub("", " " + clause[: specialty_at[0]].rstrip(" ,(-")).strip(" ,.-:;(")
        if name:
            return name
    return clause.strip(" ,.-:;(")


def opinion_facts(text: str, today: date, answering_provider: bool = False) -> dict[str, str]:
    """Slot values found in one message: initial_provider, initial_specialty,
    initial_recommendation, initial_date (only those present). A message that answers
    "who gave the first opinion?" names the provider even without "Dr"."""
    found = extract(text)
    facts: dict[str, str] = {}
    if found.providers:
        facts["initial_provider"] = found.providers[0]
    elif answering_provider:
        facts["initial_provider"] = (_provider_words(text, found) or text)[:200]
    if found.specialties:
        facts["initial_specialty"] = found.specialties[0]
    recommendation = _recommendation(text, today, answering_provider)
    if recommendation:
        facts["initial_recommendation"] = recommendation
    when = find_date(text, today) if answering_provider else _opinion_date(text, today, recommendation)
    if when:
        facts["initial_date"] = when[1]
    return facts


# Clauses of a message, to tell which one a date belongs to.
CLAUSES = re.compile(r"[,;.!?]+\s*|\s+(?:and|but|y|pero)\s+", re.IGNORECASE)
ABOUT_THE_OPINION = re.compile(_DOCTOR + "|" + WHEN_CLAUSE.pattern + r"|\b" + _TRIGGER, re.IGNORECASE)


def _opinion_date(text: str, today: date, recommendation: str) -> tuple[date, str] | None:
    """The date of the first opinion in a message that tells more than it ("my husband
    passed last year, and the neurologist told me to wait" gives no date): a date in a
    clause about the doctor or the visit, or a clause that is the date alone ("Dr. Lee
    said surgery, 2 weeks ago")."""
    if not (recommendation or WHEN_CLAUSE.search(text)):
        return None
    for clause in CLAUSES.split(text):
        when = find_date(clause, today)
        if when is None:
            continue
        rest = clause.lower().replace(when[1].lower(), " ")
        if ABOUT_THE_OPINION.search(clause) or len(re.findall(r"\w+", rest)) <= 2:
            return when
    return None
