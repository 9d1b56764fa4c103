"""Which language a member writes in: English or Spanish, or None when a message says
too little to tell ("ok", "2", "Dr. Patel", "Maria Lopez"), so the conversation keeps
the language it had.

A member who asks for a language gets it. Otherwise lingua (restricted to the two
languages, built for short texts) decides messages of three words or more when it is
sure, shorter ones when it is very sure; two Spanish words that carry a sentence
("mi ... es ... necesito") decide Spanglish, which a detector reads as English.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from lingua import Language, LanguageDetector, LanguageDetectorBuilder

from bot.nlp.pipeline import _matches, extract, vocabulary

LANGS = ("en", "es")
DEFAULT = "en"
SURE = 0.8  # lingua's confidence needed to switch on three words or more
SURE_SHORT = 0.95  # and on one or two ("quiero morirme", "olvídelo"; not "Maria Lopez")
MIN_WORDS = 3
MIN_WORDS_ENGLISH = 4  # "two months ago", "November 13" from a Spanish speaker is an answer, not a switch
MIN_MARKERS = 2
WORD = re.compile(r"[^\W\d_]+")
_BY_LINGUA = {Language.ENGLISH: "en", Language.SPANISH: "es"}


@lru_cache(maxsize=1)
def _detector() -> LanguageDetector:
    return LanguageDetectorBuilder.from_languages(*_BY_LINGUA).with_preloaded_language_models().build()


@lru_cache(maxsize=1)
def _words() -> dict[str, Any]:
    vocab = vocabulary()
    return {"switch": vocab["language_switch"], "markers": set(vocab["spanish_markers"])}


def warm_up() -> None:
    _detector()
    _words()


def asked_for(text: str) -> str | None:
    """The language a member asks for in so many words ("en español", "english please")."""
    words = WORD.findall(text.lower())
    if len(words) > 4:
        return None  # "i speak spanish at home but ..." is not a request to switch
    switch: dict[str, list[str]] = _words()["switch"]
    for lang, phrases in switch.items():
        if _matches(text, phrases):
            return lang
    return None


def without_names(text: str, spans: Sequence[tuple[str, str, int, int, str]] | None = None) -> str:
    """The message without plan, specialty and provider names: "Partnership" or
    "Dr. Nguyen" says nothing of the language a member writes in. `spans`: the message's
    entity spans when already extracted (bot.nlp.pipeline.extract), not extracted again."""
    for _, _, start, end, _ in sorted(extract(text).spans if spans is None else spans, key=lambda span: -span[2]):
        text = text[:start] + " " + text[end:]
    return text


def detect(text: str, spans: Sequence[tuple[str, str, int, int, str]] | None = None) -> str | None:
    """ "en", "es", or None when the message does not say."""
    text = text or ""
    if not text.strip() or text.strip().startswith("/"):
        return None
    asked = asked_for(text)
    if asked:
        return asked
    text = without_names(text, spans)
    # names are capitalised ("at Valley Children's"); "I" is not a name
    words = [w.lower() for i, w in enumerate(WORD.findall(text)) if i == 0 or not w[0].isupper() or w == "I"]
    markers = set(words) & _words()["markers"]
    if len(markers) >= MIN_MARKERS:
        return "es"
    if not words:
        return None
    best = _detector().compute_language_confidence_values(text)[0]
    sure = SURE if len(words) >= MIN_WORDS else SURE_SHORT
    lang = _BY_LINGUA[best.language] if best.value >= sure else None
    if lang == "en" and (markers or len(words) < MIN_WORDS_ENGLISH):
        return None  # "creo q si, they want to operate": Spanglish
    return lang
