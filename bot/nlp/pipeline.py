"""Recognise plans, specialties, provider names and the member's reason.

spaCy does the entity work: an EntityRuler over `spacy.blank("en")`, its plan patterns
generated from the plans' names and aliases in policies_kb/ and its specialty patterns
from vocabulary.yml. No model is downloaded. The small parsers below read one answer to
one question of the request form; they never decide a plan rule. The plans (names,
nicknames, menu numbers) are only read from bot.policy.kb(): a new plan file is a new
plan here.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import yaml
from dateutil import parser as dateparser

from bot import safety
from bot.deadlines import PACIFIC
from bot.grievances import ABOUT
from bot.nlp.dates import MONTHS, doesnt_remember, find_date, parse_date_hint  # noqa: F401
from bot.policy import KnowledgeBase, kb

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.pipeline import EntityRuler

VOCAB_PATH = Path(__file__).with_name("vocabulary.yml")
# Words that follow "Dr" but are not a name ("the doctor said", "dr told me").
NOT_NAMES = {
    "said",
    "says",
    "told",
    "tells",
    "wants",
    "want",
    "thinks",
    "think",
    "who",
    "that",
    "is",
    "was",
    "and",
    "at",
    "in",
    "of",
    "my",
    "the",
    "a",
    "an",
    "to",
    "for",
    "from",
    "recommended",
    "recommends",
    "diagnosed",
    "office",
    "visit",
    "appointment",
    "gave",
    "suggested",
    "put",
    "has",
    "had",
    "does",
    "did",
    "will",
    "would",
    "me",
    "i",
    "he",
    "she",
    "they",
    "it",
    "on",
    "with",
    "about",
    "but",
    "so",
    "because",
    "outside",
    "inside",
    "here",
    "there",
    "who's",
    "whos",
    "or",
    "not",
    "again",
    "twice",
    "once",
    "today",
    "yesterday",
    "tomorrow",
    "already",
    "just",
    "never",
    "always",
    "also",
    "first",
    "last",
    "then",
    "now",
    "still",
    "even",
    "really",
    "only",
    "visits",
    "appt",
    "doesnt",
    "didnt",
    "wont",
    "cant",
    "isnt",
    "recommend",
    "wanted",
    "keeps",
    "kept",
    "sent",
    "thought",
    "couldnt",
    "can't",
    "won't",
    "dont",
    "don't",
    "if",
    "dr",
    "dr.",
    "dra",
    "dra.",
    "doctor",
    "doc",
    # Spanish: "mi dr dice q ...", "el dr se llama Linda Nguyen"
    "se",
    "dice",
    "dijo",
    "le",
    "lo",
    "la",
    "el",
    "que",
    "q",
    "es",
    "del",
    "de",
    "quiere",
    "llama",
    "cree",
    "piensa",
    "recomendó",
    "recomendo",
    "mandó",
    "mando",
    "en",
    "y",
    "con",
    "por",
    "para",
    "era",
    "fue",
    "está",
    "esta",
    # "hable con mi dr dos veces", "mi dr ya me dijo", "el dr nunca me explica"
    "dos",
    "tres",
    "varias",
    "muchas",
    "veces",
    "otra",
    "ya",
    "no",
    "nunca",
    "siempre",
    "también",
    "tambien",
    "solo",
    "nomas",
    "nomás",
    "pero",
    "sobre",
    "hace",
    "ayer",
    "hoy",
    "antes",
    "despues",
    "después",
    "todavia",
    "todavía",
    "mi",
    "su",
    "nos",
    "les",
    "porque",
    "pq",
    "xq",
    "si",
    "sí",
    "ni",
}


@lru_cache(maxsize=1)
def vocabulary() -> dict[str, Any]:
    vocab: dict[str, Any] = yaml.safe_load(VOCAB_PATH.read_text(encoding="utf-8"))
    return vocab


def _phrase_pattern(label: str, phrase: str, ent_id: str) -> dict[str, Any]:
    return {"label": label, "id": ent_id, "pattern": [{"LOWER": tok} for tok in phrase.split()]}


def ruler_patterns(knowledge: KnowledgeBase | None = None) -> list[dict[str, Any]]:
    patterns = []
    for plan in (knowledge or kb()).plans.values():
        for alias in plan.names_typed:
            patterns.append(_phrase_pattern("PLAN", alias, plan.id))
    for specialty, phrases in vocabulary()["specialties"].items():
        for phrase in phrases:
            patterns.append(_phrase_pattern("SPECIALTY", phrase, specialty))
    # "dr patel" (SMS, lower case) or "Doctor Patel"; "a doctor outside" is no name.
    short_title = {"LOWER": {"IN": ["dr", "dr.", "dra", "dra."]}}
    long_title = {"LOWER": {"IN": ["doctor", "doc"]}}
    name = {"IS_ALPHA": True, "LOWER": {"NOT_IN": sorted(NOT_NAMES)}}
    cap_name = {"IS_TITLE": True, "LOWER": {"NOT_IN": sorted(NOT_NAMES)}}
    dot = {"ORTH": "."}  # "dr. jacob": lower-case "dr." is two tokens
    for pattern in (
        [short_title, name],
        [short_title, name, cap_name],
        [short_title, dot, name],
        [short_title, dot, name, cap_name],
        [short_title, dot, name, name],
        [long_title, cap_name],
        [long_title, cap_name, cap_name],
    ):
        patterns.append({"label": "PROVIDER", "id": "named", "pattern": pattern})
    called = [{"LOWER": "se"}, {"LOWER": "llama"}]  # "mi dr se llama Linda Nguyen"
    for title in (short_title, long_title):
        for pattern in ([title, *called, name], [title, *called, name, name]):
            patterns.append({"label": "PROVIDER", "id": "named", "pattern": pattern})
    return patterns


def nlp() -> Language:
    """The entity pipeline for the plans of the knowledge base in use."""
    return _nlp_for(kb())


@lru_cache(maxsize=2)
def _nlp_for(knowledge: KnowledgeBase) -> Language:
    import spacy  # here, not at import: spaCy's thinc probes for TensorFlow, slow to load

    pipe = spacy.blank("en")
    ruler = cast("EntityRuler", pipe.add_pipe("entity_ruler", config={"phrase_matcher_attr": "LOWER"}))
    ruler.add_patterns(ruler_patterns(knowledge))
    return pipe


@dataclass(frozen=True)
class Extraction:
    plans: tuple[str, ...] = ()
    specialties: tuple[str, ...] = ()
    providers: tuple[str, ...] = ()
    spans: tuple[tuple[str, str, int, int, str], ...] = ()  # label,value,start,end,text


def extract(text: str) -> Extraction:
    """Entities in a member's message (char offsets are into `text`)."""
    return _extract(kb(), text)


@lru_cache(maxsize=1024)  # one message is read by several steps (entities, noise check, answers)
def _extract(knowledge: KnowledgeBase, text: str) -> Extraction:
    found: dict[str, list[str]] = {"PLAN": [], "SPECIALTY": [], "PROVIDER": []}
    spans = []
    for ent in _nlp_for(knowledge)(text[:2000]).ents:
        value = ent.ent_id_ if ent.label_ in ("PLAN", "SPECIALTY") else _provider_name(ent.text)
        found.get(ent.label_, found["PROVIDER"]).append(value)
        spans.append((ent.label_, value, ent.start_char, ent.end_char, ent.text))
    if not found["PLAN"]:
        fuzzy = _fuzzy_plan(text)
        if fuzzy:
            found["PLAN"].append(fuzzy)
    return Extraction(tuple(found["PLAN"]), tuple(found["SPECIALTY"]), tuple(found["PROVIDER"]), tuple(spans))


def _provider_name(text: str) -> str:
    words = [w for w in text.replace("Dr.", "Dr").split()[1:] if w.lower() not in ("se", "llama")]
    return "Dr. " + " ".join(w.capitalize() if w.islower() else w for w in words)


def _norm(text: str) -> str:
    text = text.lower().replace("’", "'")
    text = re.sub(r"[^\w'/\- ]+|_", " ", text)
    return " ".join(text.split())


FUZZY_PLAN_SCORE = 0.86


def _fuzzy_plan(text: str) -> str | None:
    """Plan names with typos ("kern helth", "partnrship"): close matches on word n-grams."""
    words = _norm(text).split()
    best, best_score = None, 0.0
    matcher = difflib.SequenceMatcher(None)
    for plan in kb().plans.values():
        for alias in plan.names_typed:
            if len(alias) < 5:
                continue
            matcher.set_seq2(alias)  # analysed once per alias, not once per word run
            n = len(alias.split())
            for i in range(len(words) - n + 1):
                matcher.set_seq1(" ".join(words[i : i + n]))
                # the quick ratios are upper bounds: a run that cannot win is not compared
                floor = max(best_score, FUZZY_PLAN_SCORE - 1e-9)
                if matcher.real_quick_ratio() <= floor or matcher.quick_ratio() <= floor:
                    continue
                score = matcher.ratio()
                if score > best_score:
                    best, best_score = plan.id, score
    return best if best_score >= FUZZY_PLAN_SCORE else None


def find_plan(text: str) -> str | None:
    """One plan id if the text names exactly one plan, else None."""
    plans = set(extract(text).plans)
    if len(plans) == 1:
        return plans.pop()
    order = plan_choices()
    choice = parse_choice(text, len(order))
    return order[choice - 1] if choice else None


def plan_choices() -> tuple[str, ...]:
    """The plans in the order the plan question numbers them ("Reply 1 ..."), from
    policies_kb/ (each plan's `menu: number`), as bot.messages writes the menu."""
    return kb().plan_ids()


@lru_cache(maxsize=4096)
def _phrase_regex(phrase: str) -> re.Pattern[str]:
    return re.compile(r"(?<!\w)" + re.escape(_norm(phrase)) + r"(?!\w)")


def _has_phrase(text: str, phrase: str) -> bool:
    return _phrase_regex(phrase).search(text) is not None


def _matches(text: str, phrases: Iterable[str]) -> list[str]:
    t = _norm(text)
    return [p for p in phrases if _phrase_regex(p).search(t)]


# A number with one of these after it is an amount, not a choice ("2 weeks", "3 kids").
UNITS = re.compile(
    r"\d+\s*(?:weeks?|wks?|days?|months?|years?|yrs?|hours?|hrs?|am|pm|kids?|times?|semanas?|d[ií]as?|"
    r"meses|mes|a[nñ]os?|horas?|hijos?|veces)\b",
    re.IGNORECASE,
)


def loose_choice(text: str, n: int) -> int | None:
    """A numbered choice said in a few words: "creo q la 5", "option 3 please" -> the number.
    Only for answers to a numbered question, never for free text."""
    exact = parse_choice(text, n)
    if exact or len(text.split()) > 8 or UNITS.search(text):
        return exact
    numbers = re.findall(r"\d+", text)
    return int(numbers[0]) if len(numbers) == 1 and 1 <= int(numbers[0]) <= n else None


def parse_choice(text: str, n: int) -> int | None:
    """A bare numbered choice: "2", "#2", "option 2", "2.", "el número 2", "sería la 2" -> 2 (1..n)."""
    m = re.fullmatch(
        r"\s*(?:(?:option|number|no\.?|#|opci[oó]n|n[uú]mero|ser[ií]a|es|el|la)\s*)*([1-9])\s*[.)!]?\s*", text.lower()
    )
    if m and 1 <= int(m.group(1)) <= n:
        return int(m.group(1))
    return None


RIDE_INTENTS = ("request_ride", "ride_status", "cancel_ride", "change_ride")


def ride_intent(text: str) -> str | None:
    """Which ride operation a message asks for, by keyword, or None if no ride words."""
    if not _matches(text, vocabulary()["ride_words"]):
        return None
    operations: dict[str, list[str]] = vocabulary()["ride_operations"]
    for intent, phrases in operations.items():
        if _matches(text, phrases):
            return intent
    return "request_ride"


def classify_reason(text: str, numbered: bool = False) -> str | None:
    """Which of the five situations the member's words describe, or None if unclear.
    numbered: the message answers the numbered list of situations ("creo q la 5")."""
    order = kb().situation_ids()
    choice = (loose_choice if numbered else parse_choice)(text, len(order))
    if choice:
        return order[choice - 1]
    scores: dict[str, int] = {}
    for situation, weights in vocabulary()["reasons"].items():
        scores[situation] = sum(int(w) * len(_matches(text, phrases)) for w, phrases in weights.items())
    best = max(order, key=lambda s: (scores.get(s, 0), -order.index(s)))
    return best if scores.get(best, 0) >= 2 else None


def parse_requester(text: str) -> str | None:
    choice = loose_choice(text, 3)
    if choice:
        return ("member", "representative", "provider")[choice - 1]
    hits = {k: _matches(text, v) for k, v in vocabulary()["requester"].items()}
    if _matches(text, vocabulary()["requester_self"]) and not _matches(text, vocabulary()["on_behalf"]):
        return "member"  # "it's just me, my daughter helps me with the computer sometimes"
    if hits["provider"] and not set(hits["representative"]) - set(vocabulary()["on_behalf"]):
        return "provider"  # "the clinic is asking on my behalf": no person but the provider
    for kind in ("representative", "provider", "member"):
        if hits[kind]:
            return kind
    return None


# "in netwrk", "out of ntwk", "outta network": the word as members type it.
NETWORK_TYPOS = re.compile(
    r"\b(?:n[ae]?t?w[eo]?r?k|netowrk|newtork|netwerk|netwrok|ntwrk|ntwk|nwtwork)\b", re.IGNORECASE
)


# A side of the network said not to be wanted, beside the other one.
NOT_OUT = re.compile(r"\b(?:no|not|ni|nada de)\s+(?:fuera|afuera|out|outside)\b", re.IGNORECASE)
NOT_IN = re.compile(r"\b(?:no|not|ni)\s+(?:dentro|adentro|in|inside)\b", re.IGNORECASE)


def parse_network(text: str) -> str | None:
    """in_network, out_of_network, "unsure", or None."""
    choice = loose_choice(text, 3)
    if choice:
        return ("in_network", "out_of_network", "unsure")[choice - 1]
    text = NETWORK_TYPOS.sub("network", text)
    hits = {k: _matches(text, v) for k, v in vocabulary()["network"].items()}
    if hits["in_network"] and NOT_OUT.search(text):
        return "in_network"  # "dentro de la red mejor, no fuera"
    if hits["out_of_network"] and NOT_IN.search(text):
        return "out_of_network"  # "not in network, outside"
    if hits["out_of_network"]:
        return "out_of_network"
    if hits["in_network"]:
        return "in_network"
    return "unsure" if hits["unsure"] else None


STRETCHED_YES_NO = re.compile(r"\b(?:ye+s+|si+|no+)\b")
STRETCHED_AS = {"y": "yes", "s": "si", "n": "no"}


def _without(text: str, phrases: list[str]) -> str:
    for phrase in phrases:
        text = _phrase_regex(phrase).sub(" ", text)
    return text


def parse_yes_no(text: str) -> bool | None:
    choice = parse_choice(text, 2)
    if choice:
        return choice == 1
    if asks_to_repeat(text):  # "no entiendo" is not a no
        return None
    t = STRETCHED_YES_NO.sub(lambda m: STRETCHED_AS[m.group(0)[0]], _norm(text))  # "yesss", "siii", "noo"
    polite = vocabulary()["polite_no"]  # "no se moleste" holds "no se", which is not "no sé"
    if _matches(_without(t, polite), vocabulary()["unsure"]):
        return None
    no, yes = _matches(t, vocabulary()["negate"] + polite), _matches(t, vocabulary()["affirm"])
    if no and not yes:
        return False
    if yes and not no:
        return True
    if yes and no:  # "no, it's right" / "yes, no changes": the first word decides
        first = t.split()[0] if t else ""
        return first in {_norm(y) for y in vocabulary()["affirm"]}
    return None


# "I don't think it's an emergency", "it isn't really urgent", "no creo que sea urgente".
NOT_URGENT = re.compile(
    r"\b(?:not|isn'?t|ain'?t|don'?t think|do not think|wouldn'?t (?:say|call)|no creo que|no siento que)"
    r"(?:\W+\w+){0,3}?\W+(?:urgent|an emergency|emergency|serious|urgente|una emergencia|emergencia|grave)\b"
)
# "I don't know if it's urgent": unsure, neither answer.
UNSURE_URGENCY = re.compile(
    r"\b(?:don'?t know|do not know|not sure|unsure|no s[eé]|quién sabe|quien sabe)"
    r"(?:\W+\w+){0,3}?\W+(?:urgent|an emergency|emergency|serious|urgente|una emergencia|emergencia|grave)\b"
)


def parse_urgency(text: str) -> str | None:
    """urgent / routine / None (unclear). A crisis (bot.safety) counts as urgent."""
    t = _norm(text)
    crisis = safety.check(text) is not None
    if not crisis:
        if UNSURE_URGENCY.search(t):
            return None
        if NOT_URGENT.search(t):
            return "routine"
    if _matches(
        t,
        [
            "not urgent",
            "non urgent",
            "nonurgent",
            "routine",
            "can wait",
            "no rush",
            "not an emergency",
            "not serious",
            "no hurry",
            "no es urgente",
            "no urgente",
            "nada urgente",
            "sin urgencia",
            "puede esperar",
            "no es emergencia",
            "no es una emergencia",
        ],
    ):
        return "routine"
    if crisis or _matches(
        t,
        [
            "urgent",
            "emergency",
            "asap",
            "right away",
            "serious threat",
            "life or death",
            "cant wait",
            "can't wait",
            "cannot wait",
            "urgente",
            "emergencia",
            "no puede esperar",
        ],
    ):
        return "urgent"
    answer = parse_yes_no(text)
    return None if answer is None else ("urgent" if answer else "routine")


def sounds_unsure(text: str) -> bool:
    return bool(_matches(text, vocabulary()["unsure"]))


def parse_none(text: str) -> bool:
    """True when the member says they have no one in mind."""
    t = _norm(text)
    return t in {_norm(x) for x in vocabulary()["none"]} or bool(
        _matches(
            t,
            [
                "no one",
                "nobody",
                "no preference",
                "don't have one",
                "dont have one",
                "not really",
                "no i don't",
                "no i dont",
                "not yet",
            ],
        )
    )


# "Do you have a provider in mind?" answered without a name: anyone will do.
NO_ONE_IN_PARTICULAR = [
    "dont know any",
    "don't know any",
    "no one in mind",
    "nobody in mind",
    "not yet",
    "don't have",
    "dont have",
    "not really",
    "in network",
    "in my network",
    "in the network",
    "in plan",
    "anyone",
    "any one",
    "whoever",
    "doesnt matter",
    "doesn't matter",
    "no preference",
    "no pref",
    "no prefrence",
    "no particular",
    "no one specific",
    "nobody specific",
    "dont care",
    "don't care",
    "sin preferencia",
    "me da igual",
    "you pick",
    "you choose",
    "up to you",
    "closest",
    "nearest",
    "any specialist",
    "any doctor",
    "cualquiera",
    "no tengo",
    "el que sea",
    "no importa",
    "ustedes escojan",
    "usted escoja",
    "escojan ustedes",
    "nadie en particular",
    "ninguno en particular",
    "no tengo preferencia",
    "me da igual",
    "quien sea",
    "el que ustedes digan",
    "el que me den",
    # "no, no conozco a nadie", "el q este disponible", "el que me toque"
    "nadie",
    "ninguno",
    "ninguna",
    "no conozco",
    "disponible",
    "el que me toque",
    "el q me toque",
    "cualquier doctor",
    "cualquier especialista",
    "lo que ustedes digan",
    "ustedes deciden",
]
ORGANIZATION_WORDS = [
    "clinic",
    "hospital",
    "center",
    "centre",
    "medical",
    "health",
    "university",
    "ucsf",
    "ucla",
    "ucsd",
    "uc davis",
    "stanford",
    "kaiser",
    "sutter",
    "dignity",
    "valley",
    "cancer",
    "institute",
    "group",
    "clinica",
    "clínica",
    "hospital",
]
NAME_FILLER = re.compile(
    r"^(?:yes|yeah|yep|si|sí|ok|i'?d like|i would like|i want|i wanna|to see|maybe|"
    r"please|her name is|his name is|their name is|it'?s|its|the|a|an|[,.:;!-])\s*",
    re.IGNORECASE,
)


def no_one_in_particular(text: str) -> bool:
    return bool(_matches(text, NO_ONE_IN_PARTICULAR)) and not extract(text).providers


def provider_named(text: str) -> str | None:
    """The provider a member names ("Dr. Kim", "yes, Maria Gonzalez at UCSF", "stanford
    cancer center"), or None when the message names no one."""
    found = extract(text)
    if found.providers:  # "Dr. Chen at Stanford": the name and where they are
        start, end = next((s[2], s[3]) for s in found.spans if s[0] == "PROVIDER")
        where = re.match(r"\s+(?:at|from|in|with|of)\s+[^,.;!?]{2,60}", text[end:])
        return found.providers[0] + (where.group(0).rstrip() if where else "")
    rest = text.strip()
    while True:
        shorter = NAME_FILLER.sub("", rest, count=1).strip()
        if shorter == rest:
            break
        rest = shorter
    words = rest.split()
    if not words or len(words) > 10:
        return None
    capitalised = [w for w in words if w[:1].isupper()]
    if _matches(rest, ORGANIZATION_WORDS) or len(capitalised) >= 2 or (len(words) <= 2 and capitalised):
        return rest.strip(" .!")
    return None


ASKS_TO_REPEAT = [
    "repeat",
    "say that again",
    "again please",
    "what do you mean",
    "what does that mean",
    "what was the question",
    "i don't understand the question",
    "i dont understand the question",
    "dont get it",
    "don't get it",
    "come again",
    "sorry what",
    "no entiendo",
    "otra vez",
]
ALONE_ASKS_TO_REPEAT = {"what", "huh", "que", "qué", "como", "cómo", "sorry", "pardon"}


def asks_to_repeat(text: str) -> bool:
    """ "what?", "what do you mean", "no entiendo": the question again, in other words."""
    t = _norm(text)
    return t in ALONE_ASKS_TO_REPEAT or (len(t.split()) <= 8 and bool(_matches(t, ASKS_TO_REPEAT)))


# "sorry, I'm safe, my daughter is with me, let's keep going": after a safety answer, a
# member who says they are safe and wants to go on has not answered the question yet.
GOING_ON = re.compile(
    r"\b((i ?m|i am|estoy|it ?s|its|it is|ya) (safe|ok|okay|fine|good|alright|all right|bien|a salvo|tranquil[oa]|"
    r"better|gone|mejor)( now| ahora)?|false alarm|falsa alarma|"
    r"(i|we) (can|want to|wanna) (keep going|continue|go on)|"
    r"(let ?s|lets|we can|can we|please)? ?(keep going|continue|go on|carry on|move on|sigamos|continuemos|"
    r"seguimos|sigamos adelante)( please| por favor)?|"
    r"(my|mi) \w+ (is|est[aá]) (here|with me|checking on me|aqu[ií]|conmigo|cuid[aá]ndome)|"
    r"(i ?m|i am) not alone|no estoy sol[oa]|"
    r"(i )?(won ?t|wont|will not|am not going to|m not going to) (do|try) anything|no voy a hacer nada)\b",
    re.IGNORECASE,
)
ACKNOWLEDGING = re.compile(
    r"\b((i ?m|i am) (so )?sorry|sorry|so sorry|lo siento|perd[oó]n|disculpe?|thanks?|thank you|gracias|ok|okay|"
    r"yes|no|s[ií]|ya)\b"
)


def mentions_going_on(text: str) -> bool:
    return bool(GOING_ON.search(_norm(text)))


def says_only_going_on(text: str) -> bool:
    """Nothing but "I'm safe", "let's keep going" (with "sorry", "thanks" and the like) is in it."""
    t = _norm(text)
    left = ACKNOWLEDGING.sub(" ", GOING_ON.sub(" ", t))
    return bool(GOING_ON.search(t)) and not re.search(r"\w", left)


ASKING_FOR_SOMEONE = re.compile(
    r"\b(asking|asks|requesting|doing this|doing it|pidiendo|pide|pregunta|preguntando) (it |esto |lo )?"
    r"(for|on|por) (me|him|her|mi|m[ií]|[eé]l|ella|my behalf|his behalf|her behalf)\b",
    re.IGNORECASE,
)


def says_who_asks(text: str) -> bool:
    """ "my daughter is asking for me": who asks for the second opinion, said outright."""
    return bool(ASKING_FOR_SOMEONE.search(_norm(text)))


_VOWELS = set("aeiouyáéíóú")


def looks_like_gibberish(text: str) -> bool:
    """Keyboard mash or noise: mostly tokens that are not word-like, and nothing we
    recognise (plan acronyms like "HPSJ" have no vowels)."""
    tokens = re.findall(r"[^\W\d_]+", text.lower())
    if not tokens:
        return not re.search(r"\d", text)
    if extract(text).spans:
        return False

    def wordlike(tok: str) -> bool:
        if len(tok) == 1:
            return tok in {"a", "i", "y", "o"}
        return (
            any(c in _VOWELS for c in tok)
            and not re.search(r"[^aeiouy\W]{5,}", tok)
            and not re.search(r"(.)\1\1", tok)
            and tok not in {"asdf", "qwerty", "asdfg", "hjkl"}
            and not re.search(r"q(?!u)", tok)
        )  # "qwpoeiru": a q with no u after it is mash

    good = sum(wordlike(t) for t in tokens)
    return good / len(tokens) < 0.5


# The answers a member can change at the confirmation step, in the numbered order
# the assistant offers them ("Reply 1 plan, 2 reason, ...").
CORRECTABLE = (
    "plan",
    "reason",
    "initial_provider",
    "initial_recommendation",
    "initial_date",
    "requested_by",
    "network",
    "preferred_provider",
    "urgency",
)
_FIELD_WORDS = (  # checked in order: the more specific words first
    (
        "urgency",
        ["urgent", "urgency", "emergency", "routine", "can wait", "not serious", "urgente", "urgencia", "emergencia"],
    ),
    ("network", ["network", "outside", "out of plan", "in plan", "red", "fuera", "afuera", "dentro"]),
    (
        "preferred_provider",
        [
            "preferred",
            "second opinion doctor",
            "second doctor",
            "new doctor",
            "want to see",
            "doctor i want",
            "provider i want",
            "segundo doctor",
            "otro doctor",
            "doctor que quiero",
            "nuevo doctor",
        ],
    ),
    (
        "requested_by",
        [
            "asking",
            "who is asking",
            "requester",
            "requested by",
            "on behalf",
            "quién pide",
            "quien pide",
            "quién la pide",
            "quien la pide",
        ],
    ),
    (
        "initial_recommendation",
        [
            "recommend",
            "recommendation",
            "diagnosis",
            "diagnosed",
            "said",
            "told me",
            "treatment",
            "recomendó",
            "recomendo",
            "recomendación",
            "recomendacion",
            "diagnóstico",
            "diagnostico",
            "tratamiento",
        ],
    ),
    (
        "initial_date",
        [
            "date",
            "when",
            "month",
            "week",
            "year",
            "ago",
            "visit",
            "saw",
            "seen",
            "appointment",
            "fecha",
            "cuándo",
            "cuando",
            "mes",
            "semana",
            "año",
            "hace",
            "cita",
            "visita",
        ],
    ),
    (
        "initial_provider",
        [
            "first doctor",
            "doctor",
            "dr",
            "provider",
            "first opinion",
            "specialist",
            "specialty",
            "primer doctor",
            "doctora",
            "dra",
            "médico",
            "medico",
            "especialista",
        ],
    ),
    ("reason", ["reason", "why", "razón", "razon", "motivo", "por qué"]),
    ("plan", ["plan", "insurance", "seguro", "aseguranza"]),
)


# Words that say an earlier answer was wrong ("one thing to fix", "actually", "no wait").
CORRECTION_MARKERS = [
    "fix",
    "change",
    "wrong",
    "not right",
    "mistake",
    "actually",
    "instead",
    "should be",
    "correction",
    "typo",
    "i meant",
    "i mean",
    "sorry",
    "not the",
    "cambiar",
    "corregir",
    "en realidad",
    "perdon",
    "perdón",
    "me equivoque",
    "me equivoqué",
    "está mal",
    "esta mal",
    "póngalo",
    "pongalo",
    "póngale",
    "pongale",
    "cámbielo",
    "cambielo",
    "cámbiele",
    "cambiele",
    "quise decir",
    "de hecho",
    "no era",
    "corríjalo",
    "corrijalo",
]
# Correction words that are something else inside a sentence ("he said wait and see",
# "me dijo que espere"): a correction only when the message starts with them ("wait, it was the 10th").
LEADING_CORRECTION = re.compile(r"^\W*(?:(?:oh|oops|hmm+|no)\W+)?(?:wait|espera|espere)\b", re.IGNORECASE)


def says_correction(text: str) -> bool:
    return bool(_matches(text, CORRECTION_MARKERS)) or bool(LEADING_CORRECTION.match(text or ""))


def parse_correction(text: str) -> tuple[str | None, str | None]:
    """Which answer the member wants to change, and the new value when the message
    carries one ("actually it's urgent" -> ("urgency", "urgent"); "the visit was on the
    10th, not the 3rd" -> ("initial_date", "the 10th"); "actually it's Dr. Liu")."""
    choice = parse_choice(text, len(CORRECTABLE))
    if choice:
        return CORRECTABLE[choice - 1], None
    # "in network actually, not outside": the old answer named after the new one
    without_old = re.sub(
        r"(?:,\s*not|\s+instead of|\s+rather than)\s+(?:the\s+)?[\w'-]+(?:\s+(?:of\s+)?network)?",
        " ",
        text,
        flags=re.IGNORECASE,
    )
    field, value = _correction(without_old)
    return (field, value) if field else _correction(text)  # "wait, not urgent" is all new


def _correction(text: str) -> tuple[str | None, str | None]:
    found = extract(text)
    if len(set(found.plans)) == 1:
        return "plan", found.plans[0]
    t = _norm(text)
    when = find_date(text, date.today())
    if when and (says_correction(text) or _matches(t, dict(_FIELD_WORDS)["initial_date"])):
        return "initial_date", when[1]
    if found.providers and says_correction(text) and not _matches(t, ["recommend", "said", "told me"]):
        return "initial_provider", found.providers[0]
    for field_name, words in _FIELD_WORDS:
        if _matches(t, words):
            if field_name == "urgency":
                return field_name, _corrected_urgency(t)
            if field_name == "network":
                value = parse_network(text)
                return field_name, value if value in ("in_network", "out_of_network") else None
            if field_name == "requested_by":
                return field_name, parse_requester(text.replace("asking", ""))
            return field_name, None
    return None, None


def _corrected_urgency(t: str) -> str | None:
    """ "sorry, urgent should be no": the yes or no after the word; "change the urgent
    part": no new value (the question is asked again)."""
    after = re.split(r"\b(?:urgent|urgency|emergency|urgente|urgencia)\b", t)[-1].split()
    said = next((parse_yes_no(w) for w in after if w in ("yes", "no", "si", "sí")), None)
    if said is not None:
        return "urgent" if said else "routine"
    if _matches(t, ["change", "switch", "wrong", "fix"]) and not _matches(t, ["not", "non", "no"]):
        return None
    return parse_urgency(t)


def _first_kind(text: str, table: str, choices: tuple[str, ...]) -> str | None:
    choice = parse_choice(text, len(choices))
    if choice:
        return choices[choice - 1]
    kinds: dict[str, list[str]] = vocabulary()[table]
    for kind, phrases in kinds.items():  # file order: most specific first
        if _matches(text, phrases):
            return kind
    return None


def parse_mobility(text: str) -> str | None:
    """walks / cane_walker / wheelchair / cannot_sit_up."""
    return _first_kind(text, "mobility", kb().ride_mobilities())


def parse_grievance_about(text: str) -> str:
    """What a grievance is about; "other" when no words say."""
    return _first_kind(text, "grievance_about", ABOUT) or "other"


NO_APPOINTMENT_YET = [
    "not yet",
    "no appointment",
    "not scheduled",
    "none yet",
    "no date",
    "not set",
    "dont have one",
    "don't have one",
    "dont have a date",
    "don't have a date",
    "will call",
    "they'll call",
    "theyll call",
    "they will let me know",
    "waiting for",
    "havent scheduled",
    "haven't scheduled",
    "not made",
    "todavia no",
    "todavía no",
    "aun no",
    "aún no",
    "no tengo fecha",
    "no tengo cita",
    "me van a llamar",
]


def parse_appointment(text: str, now: datetime) -> tuple[datetime | None, bool]:
    """(when, known). "not yet", "don't know" -> (None, True): a ride can be asked for
    before the visit is set. A date without a time is taken at 9:00 Pacific."""
    t = _norm(text)
    if sounds_unsure(text) or _matches(t, NO_APPOINTMENT_YET):
        return None, True
    weekdays = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
    weekday = next((i for i, d in enumerate(weekdays) if d in t.split()), None)
    if not re.search(r"\d", t) and not any(w in MONTHS for w in t.split()) and "tomorrow" not in t and weekday is None:
        return None, False
    local_now = now.astimezone(PACIFIC)
    base = local_now.replace(hour=9, minute=0, second=0, microsecond=0, tzinfo=None)
    cleaned = re.sub(r"\b(at|on|the|around|about|my|appointment|is|its|it's|visit|next|this)\b", " ", text.lower())
    if "tomorrow" in cleaned:
        base = base + timedelta(days=1)
        cleaned = cleaned.replace("tomorrow", " ")
    if weekday is not None:
        base = base + timedelta(days=(weekday - base.weekday() - 1) % 7 + 1)
        cleaned = cleaned.replace(weekdays[weekday], " ")
    try:
        parsed = dateparser.parse(cleaned, default=base, fuzzy=True) if cleaned.strip() else base
    except (ValueError, OverflowError):
        return None, False
    when = parsed.replace(tzinfo=PACIFIC)
    if when < local_now - timedelta(hours=1):
        if when.replace(year=when.year + 1) > local_now and not re.search(r"\b\d{4}\b", t):
            when = when.replace(year=when.year + 1)  # "jan 5" said in December
        else:
            return None, False
    return when, True


def parse_phone(text: str) -> str | None:
    """A U.S. phone number as E.164 (+1 and 10 digits), or None."""
    digits = re.sub(r"\D", "", text or "")
    if len(digits) == 11 and digits.startswith("1"):
        digits = digits[1:]
    if len(digits) != 10 or digits[0] in "01" or digits[3] in "01":
        return None
    return "+1" + digits
