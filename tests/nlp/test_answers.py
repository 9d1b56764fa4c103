"""The question being asked decides how an answer is read: members' own words, as the
issue "A conversation that listens" found them taken for something else."""

from datetime import date, datetime, timezone

import pytest

from actions.request import ValidateSecondOpinionForm
from bot import nlp
from bot.messages import text
from bot.messages import text as text_of
from bot.nlp.answers import ASK, DEACTIVATE, KEEP_GOING, LISTEN, next_in_form, reads_as_answer
from bot.nlp.dates import corrected_date_text, parse_date_hint
from bot.nlp.opinion import opinion_facts
from bot.second_opinions import draft_from_answers
from tests.actions.test_actions import FORM, FORM_SLOTS, VERIFIED
from tests.actions_helpers import run, slots_set, tracker

TODAY = date(2026, 12, 2)
FORM_NAME = "second_opinion_form"


def turn(text, intent, asked, pending=None, latest="action_listen"):
    return next_in_form(latest_action=latest, form=FORM_NAME, asked=asked, pending=pending, intent=intent, text=text)


# -- stop and start over win only when the message is not an answer ---------------------
@pytest.mark.parametrize(
    "text,intent,asked",
    [
        ("no it's not an emergency", "nevermind", "urgency"),
        ("it's urgent, they want to start chemo next week", "start_over", "urgency"),
        ("nope, i'm asking for myself", "nevermind", "requested_by"),
        ("cancel the surgery is what she said, she wants a hip replacement", "nevermind", "initial_recommendation"),
        ("no, in network is fine", "nevermind", "network"),
        ("forget it i dont remember when", "nevermind", "initial_date"),
    ],
)
def test_an_answer_goes_to_the_form_whatever_its_intent(text, intent, asked):
    assert reads_as_answer(asked, text)
    assert turn(text, intent, asked) == FORM_NAME


@pytest.mark.parametrize(
    "text,intent,asked",
    [
        ("never mind", "nevermind", "initial_provider"),
        ("forget it", "nevermind", "urgency"),
        ("start over", "start_over", "initial_date"),
        ("no, cancel it, i don't want to send it", "nevermind", "confirmed"),
        ("olvídalo", "nevermind", "reason_text"),
    ],
)
def test_stop_or_start_over_asks_once_before_throwing_anything_away(text, intent, asked):
    assert turn(text, intent, asked) == ASK


def test_after_asking_yes_stops_no_goes_on_and_anything_else_is_the_answer():
    assert turn("yes", "affirm", "urgency", pending="stop") == DEACTIVATE
    assert (
        next_in_form(latest_action=DEACTIVATE, form=None, asked=None, pending="start_over", intent="affirm", text="yes")
        == "action_start_over"
    )
    assert turn("no", "deny", "urgency", pending="stop") == KEEP_GOING
    assert (
        next_in_form(latest_action=KEEP_GOING, form=FORM_NAME, asked="urgency", pending=None, intent="deny", text="no")
        == FORM_NAME
    )
    assert turn("Dr. Patel", "inform", "initial_provider", pending="stop") == FORM_NAME
    assert turn("x", "inform", "urgency", latest=ASK) == LISTEN


def test_a_crisis_is_left_to_the_safety_answer():
    assert turn("i want to die, never mind all this", "emergency", "urgency") is None


# -- dates as members give them ----------------------------------------------------------
@pytest.mark.parametrize(
    "text,expected",
    [
        ("I saw her November 18", date(2026, 11, 18)),
        ("nov 18th", date(2026, 11, 18)),
        ("18 de noviembre", date(2026, 11, 18)),
        ("11/18", date(2026, 11, 18)),
        ("on the 10th", date(2026, 11, 10)),
        ("2 weeks ago", date(2026, 11, 18)),
        ("hace un mes", date(2026, 11, 2)),
        ("back in march", date(2026, 3, 1)),
        ("in december", date(2026, 12, 1)),
        ("december 20", date(2025, 12, 20)),  # never in the future: last year's
        ("I want to request a second opinion", None),
        ("he may need surgery", None),
    ],
)
def test_dates_read_as_members_write_them(text, expected):
    assert parse_date_hint(text, TODAY) == expected


def test_a_corrected_day_keeps_the_month_given_before():
    assert corrected_date_text("the 10th", "November 3", TODAY) == "November 10, 2026"
    assert parse_date_hint("November 10, 2026", TODAY) == date(2026, 11, 10)


def test_a_month_and_day_is_stored_as_that_day_not_the_first():
    draft = draft_from_answers("khs", {"initial_date": "I saw her November 18"})
    assert (draft.initial_date.month, draft.initial_date.day) == (11, 18)


# -- several facts in one message ----------------------------------------------------------
def test_who_what_kind_what_and_when_in_one_answer():
    facts = opinion_facts(
        "Dr. Alan Patel, orthopedic surgeon, said I need a spinal fusion of L4-L5, I saw him on October 30",
        TODAY,
        answering_provider=True,
    )
    assert facts == {
        "initial_provider": "Dr. Alan Patel",
        "initial_specialty": "orthopedics",
        "initial_recommendation": "I need a spinal fusion of L4-L5",
        "initial_date": "october 30",
    }


def test_a_worried_opener_gives_who_what_and_when_told_in_passing():
    facts = opinion_facts(
        "hi im so sorry to bother you, my doctor at kern, dr patel, she is a surgeon, told me last tuesday that "
        "i need to have my gallbladder taken out and i just dont know if i really need it",
        TODAY,
    )
    assert facts["initial_provider"] == "Dr. Patel" and facts["initial_date"] == "last tuesday"
    assert facts["initial_recommendation"] == "i need to have my gallbladder taken out"


def test_what_the_doctor_said_ends_where_the_member_speaks_of_themselves():
    facts = opinion_facts(
        "mi doctora me dijo que me tienen que operar de la rodilla pero no estoy segura, quiero otra", TODAY
    )
    assert facts["initial_recommendation"] == "me tienen que operar de la rodilla"


@pytest.mark.parametrize(
    "text,provider",
    [
        ("Maria Lopez the oncologist, she wants me to start chemo asap", "Maria Lopez"),
        ("my pcp", "my pcp"),
        ("dr kim my cardiologist", "Dr. Kim"),
    ],
)
def test_the_provider_is_a_name_not_the_whole_message(text, provider):
    assert opinion_facts(text, TODAY, answering_provider=True)["initial_provider"] == provider


async def validate(slot, text, slots=None):
    t = tracker(
        text,
        "inform",
        0.9,
        slots={**VERIFIED, **(slots or {})},
        set_this_turn={slot: text},
        requested_slot=slot,
        active_loop=FORM,
    )
    domain = {"forms": {FORM: {"required_slots": list(FORM_SLOTS)}}, "slots": {}}
    said, events = await run(ValidateSecondOpinionForm(), t, domain)
    return said, slots_set(events)


async def test_the_provider_answer_fills_every_question_it_answers():
    _, slots = await validate(
        "initial_provider",
        "Dr. Alan Patel, orthopedic surgeon, said I need a spinal fusion of L4-L5, I saw him on October 30",
    )
    assert slots["initial_provider"] == "Dr. Alan Patel" and slots["initial_specialty"] == "orthopedics"
    assert "spinal fusion" in slots["initial_recommendation"] and slots["initial_date"] == "october 30"


@pytest.mark.parametrize("text", ["last month", "about 2 weeks ago", "October 30."])
async def test_a_time_given_for_the_recommendation_is_kept_as_when_and_what_is_asked_again(text):
    said, slots = await validate("initial_recommendation", text)
    assert slots["initial_recommendation"] is None and slots["initial_date"] == text
    assert said == text_of("example_initial_recommendation")


async def test_the_doctors_words_are_the_recommendation_not_the_members_doubts():
    _, slots = await validate("initial_provider", "dr nguyen wants 2 take my thyroid out, i dont think i need surgery")
    assert slots["initial_provider"] == "Dr. Nguyen" and slots["initial_recommendation"] == "take my thyroid out"


def test_the_doctors_words_end_where_the_member_goes_on_about_someone_else_or_asks():
    from datetime import date

    from bot.nlp.opinion import opinion_facts

    said = (
        "my dad is 73 and the cardiologist wants to put in a pacemaker asap but he feels fine?? can someone else look"
    )
    assert opinion_facts(said, date(2026, 12, 3))["initial_recommendation"] == "put in a pacemaker asap"


@pytest.mark.parametrize("text", ["I want to request a second opinion", "yes", "the surgeon"])
async def test_a_date_question_takes_only_a_time(text):
    said, slots = await validate("initial_date", text)
    assert slots.get("initial_date") is None and "last week" in said


async def test_not_remembering_when_is_an_answer():
    _, slots = await validate("initial_date", "honestly i don't remember when")
    assert slots["initial_date"] == "unknown"
    assert draft_from_answers("khs", {"initial_date": "unknown"}).initial_date_text is None


@pytest.mark.parametrize(
    "text,expected",
    [
        ("in network please", "none"),
        ("no one in mind", "none"),
        ("Dr. Kim", "Dr. Kim"),
        ("yes, Maria Gonzalez at UCSF", "Maria Gonzalez at UCSF"),
        ("stanford cancer center", "stanford cancer center"),
    ],
)
async def test_a_preferred_provider_is_a_name_or_no_one(text, expected):
    _, slots = await validate("preferred_provider", text)
    assert slots["preferred_provider"] == expected


async def test_yes_without_a_name_asks_for_the_name():
    said, slots = await validate("preferred_provider", "yes")
    assert slots["preferred_provider"] is None and "name" in said


# -- corrections ---------------------------------------------------------------------------
async def test_a_correction_at_the_confirmation_is_not_a_yes():
    text = "one thing to fix before you send it: the visit was on the 10th, not the 3rd; the rest is right"
    _, slots = await validate("confirmed", text, slots={"initial_date": "November 3"})
    assert slots["confirmed"] is None and slots["initial_date"].startswith("November 10, ")


async def test_a_correction_while_another_question_is_asked_changes_that_answer():
    said, slots = await validate(
        "initial_recommendation", "actually it's Dr. Liu, not Dr. Patel", slots={"initial_provider": "Dr. Patel"}
    )
    assert slots["initial_provider"] == "Dr. Liu" and slots["initial_recommendation"] is None
    assert "changed" in said


def test_a_ride_without_a_date_yet_is_an_answer():
    when, known = nlp.parse_appointment("I don't have a date yet, they will call me", datetime.now(timezone.utc))
    assert when is None and known


# -- asked again with an example, twice at most; "what?" is not a wrong answer ---------------
def test_a_question_is_asked_again_twice_then_a_person_is_offered():
    from actions.handoff import misunderstood_turns
    from tests.actions.test_handoff import conversation

    example = text("example_initial_date")
    turns = [("member", "the surgeon", "initial_date"), ("bot", example, None), ("member", "my knee", None)]
    assert misunderstood_turns(conversation("again-1", turns)) == 1
    turns += [("bot", example, None), ("member", "ok", None)]
    assert misunderstood_turns(conversation("again-2", turns)) == 2
    turns += [("bot", "Thanks.", None), ("member", "hm", None)]
    assert misunderstood_turns(conversation("again-3", turns)) == 0


@pytest.mark.parametrize("words", ["what?", "what do you mean", "can you repeat that", "no entiendo"])
async def test_asking_what_the_question_means_gets_it_again_not_a_miss(words):
    said, slots = await validate("urgency", words)
    assert slots["urgency"] is None and text("question_again") in said


# -- after a rights answer: what the member can do next, and never the same answer twice ---
async def test_a_rights_answer_offers_what_the_member_can_do_next_as_numbered_choices():
    from actions.rights import ActionAnswerRights
    from tests.actions_helpers import run_messages

    messages, _ = await run_messages(
        ActionAnswerRights(),
        tracker("do they cover rides to the second opinion", "ask_transportation", slots={"plan": "hpsj"}),
    )
    payloads = [b["payload"] for m in messages for b in m.get("buttons") or []]
    assert payloads == ["/request_second_opinion", "/request_ride"]
    messages, _ = await run_messages(
        ActionAnswerRights(), tracker("they said no, what can i do", "ask_refused", slots={"plan": "khs"})
    )
    assert [b["payload"] for m in messages for b in m.get("buttons") or []][0] == "/file_grievance"


async def test_the_same_question_twice_in_a_row_is_not_answered_word_for_word_again():
    from actions.common import rights_answer_text
    from actions.rights import ActionAnswerRights
    from tests.actions.test_handoff import conversation

    first = tracker("how much does it cost", "ask_cost", slots={"plan": "mvhp"})
    answer = rights_answer_text(first, "mvhp", "cost")
    again = conversation(
        "rights-again",
        [("member", "how much does it cost", None), ("bot", answer, None), ("member", "how much does it cost??", None)],
        intent="ask_cost",
        slots={"plan": "mvhp"},
    )
    said, _ = await run(ActionAnswerRights(), again)
    assert answer not in said and text("rights_answered_above") in said


def test_a_member_asked_for_a_callback_number_can_make_the_request_instead():
    def step(latest, form, intent, text):
        return next_in_form(
            latest_action=latest,
            form=form,
            asked="callback_phone" if form else None,
            pending=None,
            intent=intent,
            text=text,
        )

    assert (
        step(
            "action_listen", "callback_form", "request_second_opinion", "can we just do the second opinion request now"
        )
        == DEACTIVATE
    )
    assert step(DEACTIVATE, None, "request_second_opinion", "") == "action_start_request"
    assert step("action_start_request", None, "request_second_opinion", "") == "second_opinion_form"
    assert step("action_listen", "callback_form", "request_second_opinion", "209 555 0134") is None  # the form


@pytest.mark.parametrize(
    "text,expected",
    [
        ("in network is right, not outside", ("network", "in_network")),
        ("urgency should be yes, i said no by mistake", ("urgency", "urgent")),
        ("sorry urgent should be no", ("urgency", "routine")),
        ("make it not urgent", ("urgency", "routine")),
        ("hold on, not urgent", ("urgency", "routine")),
        ("please change the urgent part", ("urgency", None)),
    ],
)
def test_a_correction_that_names_the_old_answer_takes_the_new_one(text, expected):
    assert nlp.parse_correction(text) == expected


@pytest.mark.parametrize(
    "text,expected",
    [
        ("like 3 wks ago", date(2026, 11, 11)),
        ("abt 2 mos ago", date(2026, 10, 3)),
        ("i want a 2nd opinion", None),
        ("10-30", date(2026, 10, 30)),
        ("last spring", date(2026, 4, 15)),
        ("around christmas", date(2025, 12, 25)),
        ("el verano pasado", date(2026, 7, 15)),
        ("11-21-2026 i think", date(2026, 11, 21)),
    ],
)
def test_shorthand_and_dashes_in_dates(text, expected):
    assert parse_date_hint(text, TODAY) == expected


def test_doing_what_they_said_is_not_what_they_recommended():
    assert "initial_recommendation" not in opinion_facts(
        "been doing everything they said for a year and my skin is no better", TODAY
    )


def test_a_title_is_not_a_name():
    facts = opinion_facts(
        "my kidney doctor Dr. Farah Haddad said dialysis 3x a week, i saw her nov 20", TODAY, answering_provider=True
    )
    assert facts["initial_provider"] == "Dr. Farah Haddad" and facts["initial_specialty"] == "nephrology"
    assert facts["initial_date"] == "nov 20"


@pytest.mark.parametrize("words", ["me", "yes"])
async def test_a_kind_of_doctor_is_not_me_or_yes(words):
    _, slots = await validate("initial_specialty", words, slots={"initial_provider": "Dr. Haddad"})
    assert slots["initial_specialty"] is None


# -- "keep going" after a safety answer starts what the same message asked for ---------------
async def test_keep_going_after_a_safety_answer_starts_the_request_the_message_asked_for():
    from actions.request import ActionAfterAffirm
    from actions.safety import RESUME_SLOT, ActionSafety

    t = tracker("i need a second opinion on my gallbladder surgery and i'm so scared i could die", "emergency")
    t.latest_message["intent_ranking"] = [
        {"name": "emergency", "confidence": 1.0},
        {"name": "request_second_opinion", "confidence": 0.8},
    ]
    _, events = await run(ActionSafety(), t)
    assert slots_set(events)[RESUME_SLOT] == "request_second_opinion"
    _, events = await run(
        ActionAfterAffirm(), tracker("/affirm", "affirm", slots={RESUME_SLOT: "request_second_opinion"})
    )
    assert [e["name"] for e in events if e.get("event") == "followup"] == ["action_start_request"]
    assert (
        next_in_form(
            latest_action="action_start_request", form=None, asked=None, pending=None, intent="affirm", text="/affirm"
        )
        == "second_opinion_form"
    )


@pytest.mark.parametrize("words", ["30 de enero de 1950", "nací el 30 de enero de 1950"])
def test_a_date_of_birth_in_spanish(words):
    from bot.members import dob_in, parse_dob

    assert parse_dob(dob_in(words) or "") == date(1950, 1, 30)


@pytest.mark.parametrize("message", ["DEMO4004 jan 30 1950", "DEMO4004 30 jan 1950", "demo 4004, January 30 1950"])
def test_a_member_id_ending_in_digits_then_a_written_date_are_both_read(message):
    from bot.members import dob_in, find_member_id, parse_dob

    dob = dob_in(message) or ""
    assert parse_dob(dob) == date(1950, 1, 30)
    assert find_member_id(message.replace(dob, " ")) == "DEMO4004"


@pytest.mark.parametrize(
    "message,recommended,specialty",
    [
        ("el cardiologo dice q necesito un marcapasos y no estoy seguro", "necesito un marcapasos", "cardiology"),
        ("la oncóloga dice que necesito quimio pero quiero otra opinion", "necesito quimio", "oncology"),
        ("my cardiologist says i need a pacemaker and im not sure", "i need a pacemaker", "cardiology"),
    ],
)
def test_what_a_specialist_says_is_taken_up_to_the_members_own_doubts(message, recommended, specialty):
    facts = opinion_facts(message, TODAY)
    assert (facts.get("initial_recommendation"), facts.get("initial_specialty")) == (recommended, specialty)


@pytest.mark.parametrize(
    "said",
    [
        "It's just me. My daughter helps me with the computer sometimes but today it's me.",
        "yo misma, mi hija me ayuda a escribir",
        "myself, my son drove me to the first appointment but thats it",
    ],
)
def test_the_member_saying_it_is_them_is_the_member_whoever_else_they_mention(said):
    assert nlp.parse_requester(said) == "member"


@pytest.mark.parametrize("said", ["its for my mom, im her daughter", "soy su hija, lo pido por mi mama"])
def test_asking_for_someone_is_still_a_representative(said):
    assert nlp.parse_requester(said) == "representative"


@pytest.mark.parametrize(
    "said,urgency",
    [
        ("I don't think it's an emergency, the pain is bad but I've had it for a long time", "routine"),
        ("i wouldnt call it an emergency", "routine"),
        ("no creo que sea urgente, ya tengo meses así", "routine"),
        ("no, its urgent", "urgent"),
        ("i dont know if its urgent", None),
        ("no sé si es urgente", None),
    ],
)
def test_urgency_in_members_words_negated_or_unsure(said, urgency):
    assert nlp.parse_urgency(said) == urgency


@pytest.mark.parametrize(
    "said,network",
    [
        ("dentro de la red mejor, no fuera", "in_network"),
        ("in network not out", "in_network"),
        ("not in network, outside please", "out_of_network"),
        ("no, out of network", "out_of_network"),
    ],
)
def test_the_side_of_the_network_said_not_to_be_wanted_is_not_taken(said, network):
    assert nlp.parse_network(said) == network
    assert nlp.parse_correction(said) == ("network", network)
