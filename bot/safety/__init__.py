"""The safety check: does a member's message say they, or someone with them, are in
danger right now? One module, asked by Rasa's pipeline (every channel, every form),
by the actions, and by the gateway while a person holds the conversation.

The knowledge is data: `lexicon.yml` beside this file holds the crisis patterns, each
with its category and language, and the idioms that only sound alarming ("dying to
know", "kill the nerve pain"). The rule over it is plain: after normalising the
message (lower case, no accents or apostrophes, SMS shorthand spelled out, stretched
letters folded, near-misses of key words corrected) and blanking the idioms, any
pattern that matches makes the message a crisis. What no pattern words, a classifier
trained on the corpora beside the lexicon may still find (classifier.py). When in
doubt a pattern is written to match: offering 988 or 911 to someone who did not need
it costs a sentence.

Pure: no database, no logging of the text.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from re import Pattern

import yaml

from bot.safety import classifier

LEXICON_PATH = Path(__file__).with_name("lexicon.yml")
CATEGORIES = ("suicide", "self_harm", "overdose", "medical", "danger")
# What the member is told, by category: 988 for thoughts of suicide or self-harm,
# 911 (and 988) for an overdose, 911 or the emergency room for a medical emergency,
# 911 when someone is hurting or threatening them.
ANSWER_KIND = {
    "suicide": "mental",
    "self_harm": "mental",
    "overdose": "overdose",
    "medical": "medical",
    "danger": "danger",
}
# Most urgent first, when one message says more than one thing.
PRIORITY = ("overdose", "medical", "danger", "suicide", "self_harm")


@dataclass(frozen=True)
class Crisis:
    category: str  # suicide | self_harm | overdose | medical | danger
    lang: str  # en | es: the language to answer in
    entry: str  # the lexicon entry that matched (for the evaluation report)

    @property
    def answer_kind(self) -> str:
        return ANSWER_KIND[self.category]


@dataclass(frozen=True)
class _Entry:
    id: str
    category: str
    lang: str
    patterns: tuple[Pattern[str], ...]
    unless: tuple[Pattern[str], ...]  # past or chronic: cancels this entry, unless `now` says otherwise

    def matches(self, padded: str, now: bool) -> bool:
        if not any(p.search(padded) for p in self.patterns):
            return False
        return now or not any(u.search(padded) for u in self.unless)


@dataclass(frozen=True)
class _Lexicon:
    entries: tuple[_Entry, ...]
    idioms: tuple[Pattern[str], ...]
    now: tuple[Pattern[str], ...]
    shorthand: dict[str, str]
    keywords: tuple[str, ...]
    spanish_words: frozenset[str]


@lru_cache(maxsize=1)
def lexicon() -> _Lexicon:
    data = yaml.safe_load(LEXICON_PATH.read_text(encoding="utf-8"))
    entries = tuple(
        _Entry(e["id"], e["category"], e["lang"], _compiled(e["patterns"]), _compiled(e.get("unless", ())))
        for e in data["entries"]
    )
    for e in entries:
        if e.category not in CATEGORIES or e.lang not in ("en", "es"):
            raise ValueError(f"lexicon entry {e.id}: unknown category or language")
    return _Lexicon(
        entries,
        _compiled(data["idioms"]),
        _compiled(data["now"]),
        dict(data["shorthand"]),
        tuple(data["keywords"]),
        frozenset(data["spanish_words"]),
    )


def _compiled(patterns: Iterable[str]) -> tuple[Pattern[str], ...]:
    return tuple(re.compile(p) for p in patterns)


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text.lower())
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = re.sub(r"['’`´]", "", text)
    text = re.sub(r"[^a-z0-9]+", " ", text)
    return re.sub(r"([a-z])\1{2,}", r"\1\1", text).strip()  # "dieeee" -> "diee"


def _near(word: str, key: str) -> bool:
    """One edit apart (insert, delete, substitute, or swap two neighbours)."""
    if word == key or abs(len(word) - len(key)) > 1:
        return word == key
    if len(word) == len(key):
        diff = [i for i, (a, b) in enumerate(zip(word, key, strict=True)) if a != b]
        return len(diff) == 1 or (
            len(diff) == 2
            and diff[1] == diff[0] + 1
            and word[diff[0]] == key[diff[1]]
            and word[diff[1]] == key[diff[0]]
        )
    short, long_ = (word, key) if len(word) < len(key) else (key, word)
    return any(long_[:i] + long_[i + 1 :] == short for i in range(len(long_)))


@lru_cache(maxsize=8192)
def _correct(word: str) -> str:
    lex = lexicon()
    if word in lex.shorthand:
        return lex.shorthand[word]
    if len(word) >= 5 and word not in lex.keywords:
        for key in lex.keywords:
            if _near(word, key):
                return key
    return word


def normalise(text: str) -> str:
    """The form every pattern is written against."""
    return " ".join(_correct(w) for w in _fold(text).split())


def _blank_idioms(text: str) -> str:
    for idiom in lexicon().idioms:
        text = idiom.sub(" ~ ", text)
    return text


def _matches(norm: str) -> list[_Entry]:
    padded = f" {_blank_idioms(norm)} "
    now = any(p.search(padded) for p in lexicon().now)
    return [e for e in lexicon().entries if e.matches(padded, now)]


def check(text: str | None) -> Crisis | None:
    """The crisis a message speaks of, or None. Reads at most the first 4,000 characters.
    The lexicon decides first; the classifier (bot/safety/classifier.py) catches what
    no pattern words."""
    if not text:
        return None
    norm = normalise(text[:4000])
    if not norm:
        return None
    found = _matches(norm)
    if found:
        top = min(found, key=lambda e: PRIORITY.index(e.category))
        spanish_phrase = any(e.lang == "es" for e in found)
        return Crisis(top.category, language_of(norm, "es" if spanish_phrase else "en"), top.id)
    # Counted after the idioms are blanked: "my husband is ~" is too little to go on.
    ordinary_words_out = _blank_idioms(norm)
    if len([w for w in ordinary_words_out.split() if w != "~"]) < classifier.MIN_WORDS:
        return None
    category, no_crisis = classifier.crisis_category(ordinary_words_out)
    if no_crisis < classifier.THRESHOLD:
        return Crisis(category, language_of(norm, "en"), "classifier")
    return None


def warm_up() -> None:
    """Load the lexicon and train the classifier now, so no member's turn waits for it."""
    lexicon()
    classifier.model()


def language_of(norm: str, default: str) -> str:
    """Spanish when the message reads as Spanish (or a Spanish phrase matched and a
    Spanish word is there), else English."""
    words = norm.split()
    spanish = sum(w in lexicon().spanish_words for w in words)
    if spanish >= 2 or (words and spanish / len(words) >= 0.3) or any(w in lexicon().spanish_words for w in words[:2]):
        return "es"
    return "es" if default == "es" and spanish >= 1 else "en"


_CLAUSES = re.compile(r"[.;!?\n]+|,|\s+-\s+|\b(?:and|but|y|pero)\b", re.I)
_FILLER = re.compile(
    r"^(?:honestly|sometimes|also|so|just|like|um+|uh+|lol|idk|i think|and|but|ok|okay|"
    r"well|actually|really|anyway|la verdad|a veces|pues|bueno|y|pero|tambien)$"
)


def without_crisis(text: str) -> str:
    """What is left of a message once the parts that speak of a crisis are taken out:
    "4/9/61 and honestly i want to die" -> "4/9/61". Empty when nothing else was said."""
    kept = []
    for clause in _CLAUSES.split(text or ""):
        clause = (clause or "").strip(" ,")
        norm = normalise(clause)
        if not norm or _FILLER.match(norm) or check(clause):
            continue
        kept.append(clause)
    return ", ".join(kept)
