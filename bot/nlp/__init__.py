"""Language tools built on spacy.blank("en") plus patterns kept in the repo."""
from bot.nlp.pipeline import (  # noqa: F401
    CORRECTABLE, Extraction, classify_reason, extract, find_plan, looks_like_gibberish,
    parse_appointment, parse_choice, parse_correction, parse_grievance_about, parse_mobility, parse_date_hint, parse_network, parse_none, parse_requester, parse_urgency,
    parse_phone, parse_yes_no, ride_intent, sounds_unsure, doesnt_remember, find_date,
    no_one_in_particular, provider_named, says_correction, asks_to_repeat)
from bot.nlp.topics import looks_like_question, question_topic, rerouted_intent  # noqa: F401,E402
