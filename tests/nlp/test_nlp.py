"""The language tools, on member phrasing (SMS shorthand, typos, long messages)."""

from datetime import date

import pytest

from bot import nlp, safety


@pytest.mark.parametrize(
    "text,plan",
    [
        ("im with Kern Family", "khs"),
        ("KFHC", "khs"),
        ("kern helth systems", "khs"),
        ("HPSJ", "hpsj"),
        ("health plan of san joaquin", "hpsj"),
        ("mountain valley", "mvhp"),
        ("Partnership", "partnership"),
        ("PHC member", "partnership"),
        ("partnrship", "partnership"),
        ("health net", "health_net"),
        ("HealthNet medi-cal", "health_net"),
        ("i have kaiser", None),
        ("blue shield", None),
        ("hello", None),
    ],
)
def test_plan_names_and_nicknames(text, plan):
    assert nlp.find_plan(text) == plan


@pytest.mark.parametrize(
    "text,reason",
    [
        ("my dr wants to operate on my back and idk if its really necessary", "surgery_necessity"),
        ("they found a tumor and want to start chemo next week", "surgery_necessity"),
        ("i was diagnosed with lupus and i dont think the care plan is right", "serious_condition"),
        ("nobody can figure out what's wrong with me, the tests say different things", "unclear_diagnosis"),
        ("pt for 6 months and my shoulder is not getting better", "not_improving"),
        ("i did everything they said and still have serious doubts about it", "serious_concerns"),
        ("3", "unclear_diagnosis"),
        ("the tests conflict and nobody knows whats wrong", "unclear_diagnosis"),
        ("the doctors don't know what it is", "unclear_diagnosis"),
        ("hi", None),
    ],
)
def test_reason_maps_to_one_of_the_five_situations(text, reason):
    assert nlp.classify_reason(text) == reason


@pytest.mark.parametrize(
    "text",
    [
        "I have chest pain",
        "i cant breathe",
        "i want to kill myself",
        "thinking about suicide",
        "Chest pains since this morning",
        "no puedo respirar",
        "honestly some days i just want to disappear, this is all too much",
        "i wanna disappear",
        "i want to go to sleep and never wake up",
    ],
)
def test_danger_words(text):
    assert safety.check(text)


@pytest.mark.parametrize(
    "text", ["my knee hurts", "i want a second opinion", "breathing is fine", "i want this rash to disappear"]
)
def test_no_false_alarm_on_ordinary_words(text):
    assert not safety.check(text)


def test_yes_no_is_not_fooled_by_accents_or_contractions():
    assert nlp.parse_yes_no("actually it's urgent") is None
    assert nlp.parse_yes_no("sí") is True
    assert nlp.parse_yes_no("nope") is False


def test_provider_names_from_lowercase_sms():
    found = nlp.extract("dr okafor the orthopedic surgeon")
    assert found.providers == ("Dr. Okafor",) and "orthopedics" in found.specialties


def test_rough_dates():
    today = date(2026, 11, 22)
    assert nlp.parse_date_hint("2 weeks ago", today) == date(2026, 11, 8)
    assert nlp.parse_date_hint("back in march", today) == date(2026, 3, 1)
    assert nlp.parse_date_hint("in december", today) == date(2025, 12, 1)
    assert nlp.parse_date_hint("no idea", today) is None


@pytest.mark.parametrize(
    "text,gibberish",
    [
        ("asdfjkl qwrtzp", True),
        ("xxxxxxx", True),
        ("...", True),
        ("my knee", False),
        ("Dr. Lee", False),
        ("4/9/61", False),
        ("hpsj", False),
        ("KFHC", False),
        ("mvhp", False),
    ],
)
def test_gibberish(text, gibberish):
    assert nlp.looks_like_gibberish(text) is gibberish


@pytest.mark.parametrize(
    "text", ["can i go to a doctor outside health net", "the doctor said surgery", "dr told me to wait"]
)
def test_no_made_up_provider_names(text):
    assert nlp.extract(text).providers == ()


@pytest.mark.parametrize(
    "text,topic",
    [
        ("is there any fee for that?", "cost"),
        ("they turned down my request, now what?", "refused"),
        ("what if the 2 doctors say opposite things?", "disagree"),
        ("how soon would i hear?", "timeline"),
        ("hello there", None),
    ],
)
def test_question_topic_backstop(text, topic):
    assert nlp.question_topic(text) == topic


@pytest.mark.parametrize(
    "text,who",
    [
        ("im her daughter", "representative"),
        ("my son is asking for me", "representative"),
        ("I'm his wife", "representative"),
        ("me", "member"),
        ("myself", "member"),
        ("my doctor", "provider"),
        ("the specialist is requesting it", "provider"),
        ("2", "representative"),
    ],
)
def test_who_is_asking(text, who):
    assert nlp.parse_requester(text) == who


@pytest.mark.parametrize(
    "text,intent",
    [
        ("where is my ride", "ride_status"),
        ("please cancel the ride i booked", "cancel_ride"),
        ("my appointment time changed, can you fix the ride", "change_ride"),
        ("i don't need transportation anymore", "cancel_ride"),
        ("i need a ride", "request_ride"),
        ("did you book my transportation yet", "ride_status"),
        ("my knee hurts", None),
    ],
)
def test_ride_operations_by_keyword(text, intent):
    assert nlp.ride_intent(text) == intent


@pytest.mark.parametrize(
    "said,network",
    [
        ("in netwrk", "in_network"),
        ("out of ntwk", "out_of_network"),
        ("outta network pls", "out_of_network"),
        ("dentro de la red", "in_network"),
        ("fuera de la red porfa", "out_of_network"),
    ],
)
def test_network_answers_as_members_type_them(said, network):
    from bot.nlp.pipeline import parse_network

    assert parse_network(said) == network


@pytest.mark.parametrize(
    "said,reason",
    [
        ("me quieren operar la rodilla y no se si de veras hace falta", "surgery_necessity"),
        ("tengo esclerosis multiple y el neurologo quiere cambiarme todo", "serious_condition"),
        ("llevo meses con dolor y nadie sabe q tengo, los examenes no coinciden", "unclear_diagnosis"),
        ("ya van 8 meses con las pastillas y sigo igual, no me sirven", "not_improving"),
        ("el tratamiento no me esta funcionando", "not_improving"),
        ("ya hable con mi doctor y no me hace caso, no le tengo confianza", "serious_concerns"),
    ],
)
def test_spanish_reasons_are_recognised_without_the_numbered_list(said, reason):
    assert nlp.classify_reason(said) == reason


@pytest.mark.parametrize(
    "said,mobility",
    [
        ("uso silla de ruedas", "wheelchair"),
        ("ando con andadera", "cane_walker"),
        ("no me puedo sentar, necesito camilla", "cannot_sit_up"),
        ("camino bien yo sola", "walks"),
    ],
)
def test_spanish_mobility_answers(said, mobility):
    from bot.nlp.pipeline import parse_mobility

    assert parse_mobility(said) == mobility


@pytest.mark.parametrize(
    "said,about",
    [
        ("me negaron la segunda opinion", "denied_request"),
        ("mi doctor primario no me quiere referir", "pcp_refused"),
        ("nadie me llamo y fueron muy groseros", "handling"),
    ],
)
def test_spanish_grievance_subjects(said, about):
    from bot.nlp.pipeline import parse_grievance_about

    assert parse_grievance_about(said) == about


@pytest.mark.parametrize(
    "said,days_ago",
    [
        ("hace como 3 meses", 90),
        ("hace quince dias", 15),
        ("antier", 2),
        ("hace un par de semanas", 14),
        ("hace mas o menos dos semanas", 14),
        ("hace unos 10 dias", 10),
    ],
)
def test_spanish_relative_dates_with_fillers(said, days_ago):
    from datetime import timedelta

    from bot.nlp.dates import parse_date_hint

    today = date(2026, 12, 2)
    assert parse_date_hint(said, today) == today - timedelta(days=days_ago)


def test_spanish_month_spans_and_not_remembering():
    from bot.nlp.dates import doesnt_remember, parse_date_hint

    assert parse_date_hint("a fines de septiembre", date(2026, 12, 2)) == date(2026, 9, 1)
    assert doesnt_remember("ni me acuerdo la verdad")


@pytest.mark.parametrize(
    "said,specialty",
    [
        ("me vio el otorrino", "ear nose and throat"),
        ("la doctora del corazon", "cardiology"),
        ("un cirujano ortopedista", "orthopedics"),
        ("el doctor de los ninos", "pediatrics"),
    ],
)
def test_spanish_specialty_words(said, specialty):
    assert nlp.extract(said).specialties == (specialty,)


@pytest.mark.parametrize(
    "text",
    [
        "q tan rapido me contestan",
        "que derechos tengo",
        "cuantos dias se tardan",
        "mi caso califica",
        "quiero saber como funciona lo de la segunda opinion",
        "necesito un referido para ver al otro doctor",
        "a quien le hago caso",
    ],
)
def test_spanish_questions_without_a_question_mark(text):
    from bot.nlp.topics import may_be_question

    assert may_be_question(text)


@pytest.mark.parametrize(
    "text",
    [
        "necesito una segunda opinion",
        "me quieren operar de la rodilla y no se si es necesario",
        "nadie sabe que tengo",
        "mi doctor dice q tengo q operarme",
    ],
)
def test_spanish_statements_are_not_taken_for_questions(text):
    from bot.nlp.topics import may_be_question

    assert not may_be_question(text)


@pytest.mark.parametrize("said", ["no, no conozco a nadie", "el q este disponible", "el que me toque"])
def test_spanish_no_one_in_particular(said):
    assert nlp.no_one_in_particular(said)


@pytest.mark.parametrize(
    "said,network", [("alguien dentro de mi red", "in_network"), ("afuera de mi red porfa", "out_of_network")]
)
def test_spanish_network_with_my(said, network):
    from bot.nlp.pipeline import parse_network

    assert parse_network(said) == network


def test_a_spanish_answer_with_english_medical_words_keeps_the_conversation_spanish():
    from bot.nlp.language import detect

    assert detect("recomendo chemo every 6 months") is None
    assert detect("me mando another round of steroid shots in my knee") is None
    assert detect("la dra me vio 2 weeks ago") is None  # when, in English, is still a Spanish answer
    assert detect("fue ayer") == "es" and detect("she saw me 2 weeks ago") == "en"


def test_spanish_tried_the_plan_is_a_concern_and_vague_doubt_is_no_reason():
    assert (
        nlp.classify_reason("intente seguir el plan de tratamiento y todavia tengo serias dudas") == "serious_concerns"
    )
    # not said which situation: asked, not guessed
    assert nlp.classify_reason("soy de partnership y no me convence lo q dijo mi doctor, quiero otra opinion") is None


def test_spanish_did_everything_but_not_better_is_not_improving():
    assert (
        nlp.classify_reason("hice todo lo q me dijo el dr por un año y no estoy mejor, sigo igual") == "not_improving"
    )


@pytest.mark.parametrize(
    "text", ["hable con mi dr dos veces sobre esto", "mi dr ya me dijo que no", "el dr nunca me explica"]
)
def test_spanish_words_after_dr_are_not_names(text):
    assert nlp.extract(text).providers == ()


def test_a_spanish_sentence_still_names_the_doctor():
    assert nlp.extract("mi dr se llama Linda Nguyen").providers == ("Dr. Linda Nguyen",)
    assert nlp.extract("fue el dr ramirez").providers == ("Dr. Ramirez",)


@pytest.mark.parametrize(
    "said,day",
    [("last tuesday like i said", 1), ("this past monday", 30), ("el martes pasado", 1), ("fue el miércoles", 2)],
)
def test_a_day_of_the_week_is_the_latest_one_before_today(said, day):
    from datetime import date

    from bot.nlp.dates import find_date

    found = find_date(said, date(2026, 12, 3))  # a Thursday
    assert found is not None and found[0].day == day


def test_a_doctors_wait_and_see_is_not_a_correction_but_a_leading_wait_is():
    from bot.nlp.pipeline import says_correction

    said = "it was dr rahman the neurologist, about 3 weeks ago, he said wait and see and come back in 6 months"
    assert not says_correction(said) and not says_correction("me dijo que espere seis meses")
    assert says_correction("wait, it was the 10th") and says_correction("espere, era el 10")


def test_a_date_told_of_something_else_is_not_when_the_first_opinion_was_given():
    from bot.deadlines import pacific_today
    from bot.nlp.opinion import opinion_facts

    long_first_message = (
        "my husband passed last year and now its just me, and the neurologist told me the numbness "
        "in my hands is probably just my age, but it keeps getting worse"
    )
    assert "initial_date" not in opinion_facts(long_first_message, pacific_today())
    assert (
        opinion_facts("my surgeon wants to fuse my spine, 2 weeks ago", pacific_today())["initial_date"]
        == "2 weeks ago"
    )


@pytest.mark.parametrize(
    "said",
    [
        "im sorry. i wont do anything, my neighbor is checking on me. can we keep going",
        "perdon, no voy a hacer nada, mi hija esta conmigo. sigamos",
    ],
)
def test_after_a_safety_answer_saying_you_are_safe_and_want_to_go_on_is_not_an_answer(said):
    from bot.nlp.pipeline import says_only_going_on

    assert says_only_going_on(said)
    assert not says_only_going_on("dr lee. sorry, lets keep going")  # that one answers


@pytest.mark.parametrize("said,words", [("dr okafor told me last wk", "last week"), ("like last mo", "last month")])
def test_texting_shorthand_for_last_week_and_month_is_a_date(said, words):
    from bot.deadlines import pacific_today
    from bot.nlp.dates import find_date

    assert find_date(said, pacific_today())[1] == words


def test_a_specialist_by_its_short_name_recommends_and_idk_ends_what_they_said():
    from bot.deadlines import pacific_today
    from bot.nlp.opinion import opinion_facts

    facts = opinion_facts("hi need 2nd opinion. ortho wants 2 do spinal fusion idk if i need it", pacific_today())
    assert facts["initial_recommendation"] == "spinal fusion"


@pytest.mark.parametrize(
    "text",
    ["mi esposo me esta gritando y me pego, tengo miedo", "mi esposo llego borracho y me empujo", "my husband hit me"],
)
def test_being_hurt_by_someone_is_danger_911_first_not_self_harm(text):
    assert safety.check(text).category == "danger"
