"""Language tools built on spacy.blank("en") plus patterns kept in the repo."""
from bot.nlp.dates import doesnt_remember, find_date, parse_date_hint
from bot.nlp.pipeline import (
    CORRECTABLE,
    Extraction,
    asks_to_repeat,
    classify_reason,
    extract,
    find_plan,
    looks_like_gibberish,
    no_one_in_particular,
    parse_appointment,
    parse_choice,
    parse_correction,
    parse_grievance_about,
    parse_mobility,
    parse_network,
    parse_none,
    parse_phone,
    parse_requester,
    parse_urgency,
    parse_yes_no,
    provider_named,
    ride_intent,
    says_correction,
    sounds_unsure,
)
from bot.nlp.topics import looks_like_question, question_topic, rerouted_intent

__all__ = [
    "CORRECTABLE", "Extraction", "asks_to_repeat", "classify_reason", "doesnt_remember", "extract", "find_date",
    "find_plan", "looks_like_gibberish", "looks_like_question", "no_one_in_particular", "parse_appointment",
    "parse_choice", "parse_correction", "parse_date_hint", "parse_grievance_about", "parse_mobility",
    "parse_network", "parse_none", "parse_phone", "parse_requester", "parse_urgency", "parse_yes_no",
    "provider_named", "question_topic", "rerouted_intent", "ride_intent", "says_correction", "sounds_unsure",
]
