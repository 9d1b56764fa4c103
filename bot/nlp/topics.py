"""Rights questions the intent classifier takes for something else.

"does kern provide transportation to second opinion appointments" is a question about a
right, not a ride to book; "my friend said medi-cal has to let you get a second opinion
is that true" is not a request to open one. When a message is shaped like a question
and its words name a rights topic, the topic wins over "start a request", "book a
ride", "my plan is ..." and "I didn't understand". Keywords live in vocabulary.yml
(`topics`, `rights_general`, `asks_coverage`); the more words a matched phrase has, the
more it counts ("won't approve" says refused louder than "approve" says authorization).
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from bot.nlp.pipeline import RIDE_INTENTS, _matches, classify_reason, ride_intent, vocabulary
from bot.policy import KnowledgeBase, kb
from bot.store.repository import REFERENCE

# Where a pattern below names the plans: every name members write for a plan of
# policies_kb/ (name, short name, aliases), longest first, filled in per knowledge base.
PLAN_NAMES = "(?:PLAN_NAMES)"


@lru_cache(maxsize=4)
def _with_plans(pattern: str, knowledge: KnowledgeBase) -> re.Pattern[str]:
    names = sorted({n for plan in knowledge.plans.values() for n in plan.names_typed}, key=lambda n: (-len(n), n))
    return re.compile(pattern.replace(PLAN_NAMES, "(?:" + "|".join(map(re.escape, names)) + ")"), re.IGNORECASE)


# Strictly a question: a question mark, or a question word first. Inside a form only
# such a message is taken for a question (an answer may well contain "what").
STRICT_QUESTION = re.compile(
    r"\?\s*$|^\s*(?:how|what|when|who|whom|why|which|can|could|do|does|did|will|would|"
    r"is|are|am|should|may)\b",
    re.IGNORECASE,
)
# Maybe a question, as members ask outside a form: a question mark, a question word
# opening a clause ("..., now what"), an auxiliary before its subject ("can my mom ask",
# "does hpsj"), or a request to be told ("explain", "give me the basics"). "nobody can
# tell me what is wrong" is a statement: a question word inside a clause is not enough.
# A pattern: the plans' names are filled in by _with_plans.
_CLAUSE = r"(?:^|[,.;:!-]\s*|\b(?:so|and|but|or|ok|okay|q|pls|please|hi|hello|hey|now|then|also|like)\s+)"
QUESTION = (
    r"\?|" + _CLAUSE + r"(?:how|what|whats|what's|wat|when|who|whom|whose|why|which|where|cuanto|cuánto|cuantos|"
    r"cuántos|cuantas|cuántas|como|cómo|qué|quien|quién|cual|cuál|cuales|cuáles|donde|dónde|por que|por qué|"
    r"a quien|a quién|que tan|qué tan|q tan|que derechos|qué derechos|q derechos|"
    r"can|could|do|does|did|will|would|is|are|am|should|"
    r"may|has|have|r)\b|"
    r"\b(?:can|could|do|does|did|will|would|is|are|am|should|may|has|have)\s+(?:i|he|she|they|we|you|u|my|the|"
    r"it|a|an|someone|anyone|there|that|this|your|their|his|her|medi[ -]?cal|\w+ health|" + PLAN_NAMES + r")\b|"
    r"\b(?:now what|then what|what now|what then|what happens|what can i|what do i|what are my|explain|tell me about|"
    r"rundown|the basics|basics of|i want to know|i'd like to know|wondering|understand my|understand how|"
    r"puedo|hay|se puede|tengo que|que hago|qué hago|que pasa|qué pasa|que puedo|qué puedo|me pueden|"
    r"me puede explicar|tienen que|tiene que|es cierto|"
    # Spanish asked without a question mark: "quiero saber ...", "es razon suficiente ...",
    # "necesito un referido para ..." (whether one is needed, not asking for one)
    r"quiero saber|quisiera saber|me gustar[ií]a saber|necesito saber|quiero informaci[oó]n|"
    r"informaci[oó]n (?:general|sobre|de)|es verdad|ser[aá] que|es raz[oó]n|es motivo|califico|califica|"
    r"calificar[ií]a|cuenta como|"
    r"(?:necesito|ocupo|se ocupa|se necesita|hace falta|requiere|hay que tener)\s+(?:un |una |el |la )?"
    r"(?:permiso|referido|referencia|referral|autorizaci[oó]n|aprobaci[oó]n|prior auth\w*|orden))\b|"
    r"^\s*(?:so\s+|and\s+|but\s+)?(?:if|si)\b[^?]*\b(?:who|what|which|how|when|where|can i|do i|will i|does|"
    r"quien|quién|que pasa|qué pasa)\b"
)  # "if the doctors dont agree, who decides"
# Asking for something to be done, not asking about a right.
DOING = re.compile(
    r"\b(?:can|could|would|will) you\b|\b(?:book|schedule|set up|sign me up)\b|"
    r"\b(?:me puede[ns]? ayudar|puede[ns]? ayudarme|ay[uú]deme|me ayuda[ns]?|me hace[ns]? el favor)\b",
    re.IGNORECASE,
)
RIGHTS_INTENTS = ("ask_rights_overview",) + tuple(f"ask_{topic}" for topic in vocabulary()["topics"])
REROUTED_INTENTS = (
    "request_second_opinion",
    "request_ride",
    "inform_plan",
    "nlu_fallback",
    "ask_clinical",
    "request_status",
)


def looks_like_question(text: str) -> bool:
    return bool(STRICT_QUESTION.search(text or ""))


def may_be_question(text: str) -> bool:
    return bool(_with_plans(QUESTION, kb()).search(text or ""))


def topic_scores(text: str) -> dict[str, int]:
    """Words matched per topic. A phrase inside a longer phrase of another topic does not
    count: "dont approve" says refused, and its "approve" is not a second vote for
    authorization."""
    found = {topic: _matches(text, phrases) for topic, phrases in vocabulary()["topics"].items()}
    longer = [(topic, p) for topic, phrases in found.items() for p in phrases]

    def inside_another(topic: str, phrase: str) -> bool:
        return any(
            other != topic and len(p) > len(phrase) and re.search(rf"\b{re.escape(phrase)}\b", p) for other, p in longer
        )

    return {
        topic: sum(len(p.split()) for p in phrases if not inside_another(topic, p)) for topic, phrases in found.items()
    }


def question_topic(text: str) -> str | None:
    """The rights topic a message's words name, or None. Ties go to the topic listed
    first in vocabulary.yml."""
    scores = topic_scores(text)
    best = max(scores, key=lambda topic: scores[topic], default=None)
    if best and scores[best]:
        return best
    return "rights_overview" if _matches(text, vocabulary()["rights_general"]) else None


def rerouted_intent(intent: str | None, text: str) -> str | None:
    """The rights intent for a question the classifier took for something else, or None."""
    if intent not in REROUTED_INTENTS or not may_be_question(text):
        return None
    if intent == "ask_clinical" and not names_the_benefit(text):
        return None  # "how long will my recovery take" is not about the plan's timeline
    if intent == "request_status" and (asks_about_status(text) or MY_RECORD.search(text)):
        return None  # "did my second opinion get approved?" is about theirs, not the rules
    topic = question_topic(text)
    if topic is None:
        return None
    if intent == "request_ride" and (topic != "transportation" or not _matches(text, vocabulary()["asks_coverage"])):
        return None  # "can you set up a ride for thursday?" books one
    if intent == "request_second_opinion" and DOING.search(text) and not _matches(text, vocabulary()["asks_coverage"]):
        return None  # "can you help me get a second opinion for my back?" opens one
    return f"ask_{topic}"


def other_topic(intent: str | None, ranking: list[dict[str, Any]], text: str) -> str | None:
    """The rights intent the words clearly name when the classifier chose another rights
    topic whose words are absent: "will the second doctor be qualified in the same area"
    is about who gives it, not the situations. Clearly: two words or more, or one word of a
    topic the classifier ranked among its first three."""
    if not intent or not intent.startswith("ask_") or intent not in RIGHTS_INTENTS:
        return None
    scores = topic_scores(text)
    best = max(scores, key=lambda topic: scores[topic])
    if f"ask_{best}" == intent or scores[best] == 0 or scores.get(intent[4:], 0):
        return None
    runners_up = [r.get("name") for r in ranking[:3]]
    return f"ask_{best}" if scores[best] >= 2 or f"ask_{best}" in runners_up else None


def names_the_benefit(text: str) -> bool:
    return bool(SECOND_OPINION.search(text) or _with_plans(BENEFIT, kb()).search(text))


SECOND_OPINION = re.compile(
    r"\b(?:second|2nd|scnd|secnd|another)\s+(?:doctor'?s\s+)?op\w*n\w*\b|segunda opini", re.IGNORECASE
)
# The benefit or the plan named (by any name of a plan in policies_kb/): a pattern, see _with_plans.
BENEFIT = r"\b(?:medi[ -]?cal|plan|insurance|" + PLAN_NAMES + r"|approv\w*|referral|authoriz\w*|appeal|grievance)\b"
WANTS = re.compile(
    r"\b(?:i want|i need|i'd like|looking for|trying to get|help me|quiero|necesito|ocupo)\b", re.IGNORECASE
)
ANOTHER_LOOK = re.compile(
    r"\b(?:someone|somebody|another doctor|another dr|a different doctor|alguien|otro doctor|"
    r"otro m[eé]dico)\s+(?:else\s+|m[aá]s\s+)?(?:to\s+|que\s+)?(?:me\s+|lo\s+|la\s+|le\s+)?"
    r"(?:look at|check|review|see|revis\w*|vea\w*)\b"
    # "quiero que me vea otro médico"
    r"|\b(?:me|lo|la|le)\s+(?:vea|revise|chequee)\s+otro\s+(?:m[eé]dico|doctor)\b",
    re.IGNORECASE,
)
# "ok quiero pedirla" after the rights answer: asking for the one just talked about.
REQUEST_IT = re.compile(
    r"\b(?:quiero|quisiera|necesito|me gustar[ií]a|vamos a|i want to|i'?d like to|i wanna|let'?s|lets)\s+"
    r"(?:pedirla|solicitarla|sacarla|tramitarla|pedir una|sacar una|request it|ask for it|request one|"
    r"ask for one|get one|start it|start one)\b",
    re.IGNORECASE,
)
UNSURE_INTENTS = ("nlu_fallback", "out_of_scope", "greet", "inform_plan", "affirm")
# Asking to be helped to get one, whatever the question mark: "me puede ayudar a sacar
# una segunda opinión?", "can you help me get a second opinion?"
HELP_TO_GET = re.compile(
    r"\b(?:ay[uú]d\w*|help)\s+(?:me\s+)?(?:a\s+|to\s+)?(?:sacar|pedir|conseguir|obtener|tramitar|"
    r"get|request|ask for|set up|start)\b",
    re.IGNORECASE,
)


COMPLAINS = re.compile(
    r"\b(?:grievance|complain\w*|queja\w*|quejar\w*|reclam\w*|appeal\w*|apela\w*|denied|deny|negaron|neg[oó]"
    r"|refus\w*|rude|grosero\w*)\b",
    re.IGNORECASE,
)


# Words of a request already made or followed up: "the one i sent", "checking on", "ya la hice".
ALREADY_MADE = re.compile(
    r"\b(?:made|sent|submitted|filed|put in|turned in|already|ago|last week|yesterday|check\w*|"
    r"follow\w* up|updates?|news|word on|hear\w* back|status|"
    r"hice|mand[eé]|envi[eé]|ya|hace|ayer|pasad[oa]|noticias?|novedad\w*|qu[eé] onda|estatus)\b",
    re.IGNORECASE,
)


def asks_for_a_second_opinion(intent: str | None, text: str) -> bool:
    """ "kern health member here, looking for a second opinion": a request the classifier
    was unsure of, or heard as a greeting, a plan's name or a rights question."""
    if ANOTHER_LOOK.search(text or ""):
        return True  # "can someone else look at this please" asks for one
    if not SECOND_OPINION.search(text or ""):
        return False
    if HELP_TO_GET.search(text):
        return True
    if intent == "file_grievance" and WANTS.search(text) and not COMPLAINS.search(text):
        return True  # "nobody knows what i have, i want a second opinion" asks for one, it files nothing
    if intent == "request_status":
        # "i was told to text here for a second opinion request": no request made yet, nothing asked of one
        return not (asks_about_status(text) or ALREADY_MADE.search(text) or may_be_question(text))
    if intent in UNSURE_INTENTS:
        return bool(DOING.search(text) or WANTS.search(text) or not may_be_question(text))
    # "mi plan es Partnership y necesito un second opinion": said, not asked
    return bool(intent and intent.startswith("ask_")) and bool(WANTS.search(text)) and not may_be_question(text)


def tells_a_situation(intent: str | None, text: str) -> bool:
    """A statement of one of the statute's five situations ("my doctor wants to operate
    but i dont think i need it") is a request, whatever rights or clinical intent the
    classifier heard in it; a question about them is not."""
    if intent == "ask_clinical" or intent == "nlu_fallback":
        told = not looks_like_question(text)
    else:
        told = bool(intent and intent.startswith("ask_")) and not may_be_question(text)
    return told and classify_reason(text) is not None


# Above this the classifier's "emergency" stands even where the safety check found nothing.
TRUST_CLASSIFIER_EMERGENCY = 0.9


# Intents that do something with a record rather than ask how it stands.
ACTING_INTENTS = ("file_grievance", "human_handoff", "request_ride", "cancel_ride", "change_ride", "ride_status")
# A person asked for in so many words ("status of SO-..." alone is not).
ASKS_FOR_PERSON = re.compile(
    r"\b(?:agent|person|human|someone|somebody|representative|rep|member services|operator|call me|"
    r"persona|alguien|agente|representante|ll[aá]menme)\b",
    re.IGNORECASE,
)
# "how is my request", "how's the second opinion looking", "cómo va mi solicitud"
HOW_IS_MINE = re.compile(
    r"\bhow(?:'?s| is| are)\s+(?:my|the)\b.{0,30}?\b(?:request|second opinion|2nd opinion|case|grievance|complaint)s?\b"
    r"|\bc[oó]mo\s+van?\s+(?:mi|mis|la|las|lo de mi|el)\b.{0,30}?\b(?:solicitud|segunda opini[oó]n|queja|request|caso)",
    re.IGNORECASE,
)


MY_RECORD = re.compile(
    r"\bmy\s+(?:\w+\s+)?(?:request|second opinion|2nd opinion|case|grievance|complaint)\b"
    r"|\bmi\s+(?:solicitud|segunda opini[oó]n|queja|caso|request)\b",
    re.IGNORECASE,
)


# "I sent in a second opinion request a few days ago, what's happening with it": a request
# the member says they made, and a follow-up question about it.
SENT_A_REQUEST = re.compile(
    r"(?:\b(?:i|we|my \w+)\s+(?:already\s+)?(?:sent|submitted|put|filled|made|turned|asked for|requested|applied)"
    r"|\b(?:ya\s+)?(?:mand[eé]|envi[eé]|hice|met[ií]|ped[ií]))\b.{0,60}?"
    r"\b(?:request|second opinion|2nd opinion|solicitud|segunda opini[oó]n)",
    re.IGNORECASE,
)
FOLLOWING_UP = re.compile(
    r"\b(?:what'?s|what is)\s+(?:happening|going on|up|new)\b|\bany\s+(?:news|word|updates?)\b|\bheard?\s+back\b"
    r"|\b(?:qu[eé]\s+pas[oó]|c[oó]mo\s+va|alguna\s+noticia|nada\s+todav[ií]a|no\s+me\s+han\s+dicho)\b",
    re.IGNORECASE,
)


def asks_about_status(text: str) -> bool:
    """A member asking how their own request (or grievance) stands: a reference number,
    or status words about "my request" (no ride words: those are a ride's status)."""
    if _matches(text, vocabulary()["ride_words"]):
        return False
    if REFERENCE.search(text):
        return True
    if SENT_A_REQUEST.search(text) and FOLLOWING_UP.search(text):
        return True
    return bool(HOW_IS_MINE.search(text)) or bool(_matches(text, vocabulary()["status_words"]))


def corrected_intent(
    intent: str | None, confidence: float, ranking: list[dict[str, Any]], text: str
) -> tuple[str, float] | None:
    """(intent, confidence) where the words say more than the classifier heard, or None.
    Run on every message the safety check found no crisis in (bot/nlp/rasa_components.py)."""
    if intent == "emergency" and confidence < TRUST_CLASSIFIER_EMERGENCY:
        # its own guess ("myself" heard as an emergency): the safety check decides
        following = next((r for r in ranking if r.get("name") != "emergency"), None)
        return (following["name"], following.get("confidence", 0.0)) if following else ("nlu_fallback", 0.0)
    ride = ride_intent(text) if intent in RIDE_INTENTS + ("nlu_fallback",) else None
    if ride and ride != "request_ride":
        return ride, 0.8  # which ride operation: keywords decide
    acting = intent in ACTING_INTENTS and not (intent == "human_handoff" and not ASKS_FOR_PERSON.search(text))
    if not acting and asks_about_status(text):
        return "request_status", 0.8  # "how is SO-7U33-WQUE going": their request, not the rules
    if (
        ANOTHER_LOOK.search(text)
        or REQUEST_IT.search(text)
        or (HELP_TO_GET.search(text) and SECOND_OPINION.search(text))
    ):
        return "request_second_opinion", 0.7  # asked to have one, whatever the question mark
    rerouted = rerouted_intent(intent, text) or other_topic(intent, ranking, text)
    if rerouted:
        return rerouted, 0.7
    if asks_for_a_second_opinion(intent, text):
        return "request_second_opinion", 0.7
    if tells_a_situation(intent, text):
        # "my test results conflict and nobody can tell me what is wrong" is one of the
        # statute's five situations told as a statement, not a question
        return "request_second_opinion", 0.8
    return ("request_ride", 0.8) if ride else None
