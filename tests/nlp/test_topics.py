"""Rights questions the classifier takes for something else go to their topic; requests
stay requests. (The held-out rights questions are in eval/; these are the unit checks.)"""

import pytest

from bot.nlp.topics import corrected_intent, looks_like_question, may_be_question, question_topic, rerouted_intent


@pytest.mark.parametrize(
    "intent,text,expected",
    [
        ("request_ride", "r bus passes part of the plan when u go see the 2nd opinion dr", "ask_transportation"),
        ("request_ride", "does my plan help with gas money for the trip to the specialist", "ask_transportation"),
        ("request_second_opinion", "heard medi-cal gotta let me see another doc, is that true", "ask_rights_overview"),
        ("request_second_opinion", "my sister wants to file it for me can she do that", "ask_who_can_request"),
        ("request_second_opinion", "if i see someone outside kern for a 2nd opinion do i get a bill", "ask_cost"),
        ("inform_plan", "partnership here, they said no to my second opinion, what now", "ask_refused"),
        ("nlu_fallback", "second doc says no surgery, first one says surgery... then what", "ask_disagree"),
        ("nlu_fallback", "how many days till hpsj decides", "ask_timeline"),
    ],
)
def test_a_rights_question_goes_to_its_topic(intent, text, expected):
    assert rerouted_intent(intent, text) == expected


@pytest.mark.parametrize(
    "intent,text",
    [
        ("request_second_opinion", "i want a second opinion, my mom is helping me with it"),
        ("request_second_opinion", "can you help me get a second opinion for my back"),
        ("request_ride", "can you book me a ride to the specialist on friday"),
        ("request_ride", "i need a ride to my appointment on the 12th"),
        ("ask_cost", "is it free?"),  # the classifier was right: nothing to change
        ("greet", "hi, what's up"),
    ],
)
def test_requests_and_right_answers_stay_as_they_are(intent, text):
    assert rerouted_intent(intent, text) is None


def test_a_question_word_inside_a_statement_does_not_make_it_a_question():
    statement = "they told me i need surgery and i don't understand what is wrong with me"
    assert not may_be_question(statement) and not looks_like_question(statement)
    assert may_be_question("they said no to my second opinion, now what")
    assert not looks_like_question("they said no to my second opinion, now what")
    assert looks_like_question("is there a cost?") and looks_like_question("How long does it take")
    assert may_be_question("if my first and second doctor say different things who do i listen to")


@pytest.mark.parametrize(
    "text,topic",
    [
        ("will they approve it or do i need to appeal if they wont approve", "refused"),
        ("do i have to pay if they wont approve it", "refused"),
        ("is an uber ride covered", "transportation"),
        ("who looks at my case, a specialist?", "who_gives"),
    ],
)
def test_the_longer_phrase_says_the_topic(text, topic):
    assert question_topic(text) == topic


@pytest.mark.parametrize(
    "intent,text,expected",
    [
        ("inform_plan", "health net member here, lookin for a 2nd opinion", True),
        ("nlu_fallback", "trying to get another doctors opinion can you set it up", True),
        ("greet", "hola, quiero una segunda opinión", True),
        ("nlu_fallback", "does a second opinion cost money?", False),
        ("ask_cost", "i want a second opinion, is it free?", False),
        ("ask_authorization", "soy de health net y ocupo una second opinion para mi rodilla", True),
    ],
)
def test_an_unsure_classifier_hears_a_request_for_a_second_opinion(intent, text, expected):
    from bot.nlp.topics import asks_for_a_second_opinion

    assert asks_for_a_second_opinion(intent, text) is expected


def test_the_classifiers_own_emergency_guess_gives_way_unless_it_is_sure():
    from bot.nlp.topics import corrected_intent

    ranking = [{"name": "emergency", "confidence": 0.6}, {"name": "inform", "confidence": 0.3}]
    assert corrected_intent("emergency", 0.6, ranking, "myself") == ("inform", 0.3)
    assert corrected_intent("emergency", 0.95, ranking, "myself") is None


@pytest.mark.parametrize(
    "text",
    [
        "hola me puede ayudar a sacar una segunda opinion?",
        "my surgeon says i need a spinal fusion and i dont know if i need it, can someone else look at this please",
        "can you help me get a second opinion?",
        "me ayudan a pedir una segunda opinión",
        "Hola buenas. Quiero que otro médico me vea, no estoy segura de lo que me dijeron",
        "quiero que me vea otro medico",
        "i want another doctor to see me, not sure about what they told me",
        "ok quiero pedirla",
        "ok lets request it",
    ],
)
def test_asking_to_be_helped_to_get_one_is_a_request_even_with_a_question_mark(text):
    assert corrected_intent("ask_who_can_request", 0.6, [], text) == ("request_second_opinion", 0.7)


def test_asking_how_it_works_stays_a_question():
    assert corrected_intent("ask_rights_overview", 0.9, [], "how do i get a second opinion?") is None
