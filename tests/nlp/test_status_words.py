"""A member asking how their own request stands is heard as that, whatever the
classifier thought (rights questions and greetings are not), and a yes or no is read
as members type it. Phrasings from simulated members the assistant once misread."""

import pytest

from bot.nlp import parse_yes_no
from bot.nlp.topics import asks_about_status, corrected_intent

ABOUT_THEIR_REQUEST = [
    ("ok thx. btw how is SO-7U33-WQUE going", "ask_timeline"),
    ("thank you. how is my second opinion request looking right now?", "ask_situations"),
    ("cómo va la SO-MPWW-YDMV?", "ask_situations"),
    ("Thank you for your help. Can you tell me the current status of the request I just made?", "nlu_fallback"),
    ("ya entró la SO-PHQH-47U6?", "affirm"),
    ("ok gracias. oiga y la SO-PHQH-47U6 como va", "nlu_fallback"),
    ("is my request in the system now?", "ask_who_can_request"),
    ("ok gracias. y como va eso?", "nlu_fallback"),
    ("Gracias por su ayuda. ¿Me puede decir cómo está la solicitud que acabo de hacer?", "nlu_fallback"),
]


@pytest.mark.parametrize("message,heard", ABOUT_THEIR_REQUEST)
def test_asking_about_their_own_request_is_a_status_question(message, heard):
    assert corrected_intent(heard, 0.6, [], message) == ("request_status", 0.8)


@pytest.mark.parametrize(
    "message",
    [
        "hey hows it going, i need a second opinion",
        "how long does it take to get approved",
        "hola como va, necesito una segunda opinion",
        "whats the status of my ride",
        "is my ride booked for SO-7U33-WQUE",
    ],
)
def test_greetings_rules_and_rides_are_not(message):
    assert not asks_about_status(message)


def test_a_grievance_about_a_request_stays_a_grievance():
    assert corrected_intent("file_grievance", 0.9, [], "i want to file a grievance about SO-7U33-WQUE") is None


@pytest.mark.parametrize(
    "message,answer",
    [
        ("yess pls", True),
        ("siii", True),
        ("sip, a ese numero", True),
        ("noo", False),
        ("no gracias, no se moleste", False),
        ("sí, no se preocupe", True),
        ("no se", None),
        ("yesterday", None),
    ],
)
def test_yes_and_no_as_members_type_them(message, answer):
    assert parse_yes_no(message) is answer


@pytest.mark.parametrize(
    "message,expected",
    [
        ("do they have to tell me why they denied it", ("ask_refused", 0.7)),  # the rules, asked in general
        ("did my second opinion get approved", None),  # theirs: the classifier's status stands
        ("why did they deny my second opinion", ("request_status", 0.8)),
    ],
)
def test_a_rights_question_heard_as_status_goes_to_its_topic_unless_it_is_about_theirs(message, expected):
    assert corrected_intent("request_status", 0.8, [], message) == expected


def test_wanting_a_second_opinion_is_not_a_grievance_unless_it_complains():
    said = "results are all over the place and nobody knows what i have, i want a second opinion"
    assert corrected_intent("file_grievance", 0.8, [], said) == ("request_second_opinion", 0.7)
    assert corrected_intent("file_grievance", 0.9, [], "they denied my second opinion and i want to complain") is None


def test_a_bare_reference_heard_as_asking_for_a_person_is_a_status_question_unless_a_person_is_named():
    assert corrected_intent("human_handoff", 0.6, [], "status of SO-WFKJ-JZEC") == ("request_status", 0.8)
    assert corrected_intent("human_handoff", 0.9, [], "i want to talk to a person about SO-WFKJ-JZEC") is None


@pytest.mark.parametrize(
    "said",
    [
        "I submitted my 2nd opinion request last week, any news?",
        "mande mi solicitud hace una semana y nada todavia",
        "hice la solicitud el lunes, qué pasó?",
    ],
)
def test_a_request_the_member_says_they_sent_and_a_follow_up_is_a_status_question(said):
    assert asks_about_status(said)


@pytest.mark.parametrize(
    "said",
    ["i want to request a second opinion, whats going on with my knee is scary", "what is a second opinion request"],
)
def test_asking_to_start_or_what_a_request_is_is_not_a_status_question(said):
    assert not asks_about_status(said)


@pytest.mark.parametrize(
    "said", ["hey i was told to text here for a second opinion request", "hola, vengo por lo de la segunda opinión"]
)
def test_a_second_opinion_asked_for_and_heard_as_a_status_question_starts_a_request(said):
    ranking = [{"name": "request_status", "confidence": 0.6}, {"name": "request_second_opinion", "confidence": 0.3}]
    assert corrected_intent("request_status", 0.6, ranking, said)[0] == "request_second_opinion"


@pytest.mark.parametrize(
    "said",
    [
        "checking on my second opinion request",
        "following up on my 2nd opinion request",
        "alguna novedad de mi segunda opinion",
    ],
)
def test_following_up_on_a_request_stays_a_status_question(said):
    ranking = [{"name": "request_status", "confidence": 0.6}, {"name": "request_second_opinion", "confidence": 0.3}]
    corrected = corrected_intent("request_status", 0.6, ranking, said)
    assert corrected is None or corrected[0] == "request_status"
