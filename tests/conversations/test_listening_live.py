"""A conversation that listens, with the real assistant (trained model, REST channel,
action server): the answers the issue found taken for something else, stored wrong or
never let go, each checked on what the member hears and on the opened request."""

from datetime import date

import pytest
from sqlalchemy import select

from bot.deadlines import pacific_today
from bot.messages import text
from bot.nlp.dates import parse_date_hint
from bot.store import session_scope
from bot.store.models import Ride, SecondOpinionRequest
from tests import harness

pytestmark = pytest.mark.slow

# The usual answer to each question, by words of the question; a test overrides some.
USUAL = [
    ("What are your member ID and date of birth", "DEMO2002"),
    ("What is your date of birth", "12/2/1975"),
    ("why do you want a second opinion", "my doctor wants to take out my gallbladder and im not sure i need that"),
    ("Which of these fits best", "1"),
    ("Who gave you the first opinion", "dr nguyen"),
    ("What kind of doctor is", "surgeon"),
    ("What did they diagnose or recommend", "gallbladder removal"),
    ("About when did you get that opinion", "last week"),
    ("Who is asking for the second opinion", "me"),
    ("in your plan's network, or outside it", "in network"),
    ("Do you have a provider in mind", "no"),
    ("serious threat to your life", "no"),
]


@pytest.fixture(scope="module")
def assistant(trained_model, tmp_path_factory):
    running = harness.start_on_sqlite(tmp_path_factory.mktemp("listening"), "listening")
    yield running
    running.stop()


def answer_until_confirmation(assistant, sender, said, overrides=()):
    """Answer every question with the usual answer (or an override, used once) until the
    read-back; returns everything said and the questions asked."""
    overrides, asked = list(overrides), []
    while "Reply YES to send your request" not in said[-1]:
        question = said[-1]
        asked.append(question)
        assert len(asked) < 20, f"asked too often: {asked}"
        override = next(((w, a) for w, a in overrides if w in question), None)
        if override:
            overrides.remove(override)
        answer = override[1] if override else next(a for w, a in USUAL if w in question)
        said = assistant.send(sender, answer)
        assert said, f"no answer to {answer!r}"
    return said, asked


def opened(assistant, sender):
    said = assistant.send(sender, "yes")
    assert any("Your reference number is" in s for s in said), said
    with session_scope(assistant.database_url) as s:
        (row,) = (
            s.execute(select(SecondOpinionRequest).where(SecondOpinionRequest.conversation_id == sender))
            .scalars()
            .all()
        )
        s.expunge(row)
        return row


@pytest.mark.parametrize(
    "answer,urgency",
    [("no it's not an emergency", "routine"), ("it's urgent, they want to start chemo next week", "urgent")],
)
def test_the_urgency_question_reads_its_answer_not_stop_or_start_over(assistant, answer, urgency):
    sender = f"listen-urgency-{urgency}"
    said = assistant.send(sender, "i want a second opinion")
    said, _ = answer_until_confirmation(assistant, sender, said, [("serious threat to your life", answer)])
    assert opened(assistant, sender).urgency == urgency


def test_never_mind_asks_before_stopping_then_goes_on(assistant):
    sender = "listen-nevermind"
    said = assistant.send(sender, "i want a second opinion")
    while "What kind of doctor is" not in said[-1]:
        said = assistant.send(sender, next(a for w, a in USUAL if w in said[-1]))
    said = assistant.send(sender, "never mind")
    assert said == [text("ask_stop_sure")]
    said = assistant.send(sender, "no")
    assert said[0] == text("keep_going") and "What kind of doctor is" in said[-1]
    said, _ = answer_until_confirmation(assistant, sender, said)
    row = opened(assistant, sender)
    assert (row.initial_provider, row.initial_specialty) == ("Dr. Nguyen", "surgery")


def test_start_over_asks_first_and_yes_clears(assistant):
    sender = "listen-start-over"
    assistant.send(sender, "i want a second opinion")
    assistant.send(sender, "DEMO2002")
    said = assistant.send(sender, "start over")
    assert said == [text("ask_start_over_sure")]
    said = assistant.send(sender, "yes")
    assert said[0] == text("start_over")
    with session_scope(assistant.database_url) as s:
        assert (
            not s.execute(select(SecondOpinionRequest).where(SecondOpinionRequest.conversation_id == sender))
            .scalars()
            .all()
        )


@pytest.mark.parametrize(
    "opener",
    [
        "I tried everything my doctor said and I still have serious doubts about the diagnosis",
        "my test results conflict and nobody can tell me what is wrong",
    ],
)
def test_the_statutes_reasons_start_a_request_not_a_handoff(assistant, opener):
    said = assistant.send(f"listen-reason-{len(opener)}", opener)
    assert "member ID" in said[-1], said


def test_one_answer_with_who_what_and_when_is_taken_whole(assistant):
    sender = "listen-one-breath"
    said = assistant.send(sender, "i want a second opinion")
    said, asked = answer_until_confirmation(
        assistant,
        sender,
        said,
        [
            ("why do you want a second opinion", "i have serious doubts about what he told me"),
            (
                "Who gave you the first opinion",
                "Dr. Alan Patel, orthopedic surgeon, said I need a spinal fusion of L4-L5, I saw him on October 30",
            ),
        ],
    )
    assert not [q for q in asked if "What kind of doctor" in q or "diagnose or recommend" in q or "About when" in q], (
        asked
    )
    row = opened(assistant, sender)
    assert (row.initial_provider, row.initial_specialty) == ("Dr. Alan Patel", "orthopedics")
    assert "spinal fusion" in row.initial_recommendation
    assert (row.initial_date.month, row.initial_date.day) == (10, 30)


def test_a_month_and_day_is_stored_as_that_day_and_any_text_is_not_a_date(assistant):
    sender = "listen-date"
    said = assistant.send(sender, "i want a second opinion")
    said, asked = answer_until_confirmation(
        assistant,
        sender,
        said,
        [
            ("About when did you get that opinion", "I want to request a second opinion"),
            ("About when did you get that opinion", "I saw her November 18"),
            ("Do you have a provider in mind", "in network please"),
        ],
    )
    assert sum("About when" in q for q in asked) == 2
    row = opened(assistant, sender)
    assert (row.initial_date.month, row.initial_date.day) == (11, 18)
    assert row.preferred_provider is None


def test_a_correction_at_the_confirmation_is_applied_not_taken_for_yes(assistant):
    sender = "listen-fix"
    said = assistant.send(sender, "i want a second opinion")
    answer_until_confirmation(assistant, sender, said, [("About when did you get that opinion", "November 3")])
    said = assistant.send(
        sender, "one thing to fix before you send it: the visit was on the 10th, not the 3rd; the rest is right"
    )
    assert not any("Your reference number is" in s for s in said) and "Reply YES" in said[-1]
    row = opened(assistant, sender)
    expected = parse_date_hint("November 10", pacific_today())
    assert row.initial_date == expected and isinstance(expected, date)


def test_a_ride_without_a_date_yet_moves_on(assistant):
    sender = "listen-ride"
    assistant.send(sender, "I need a ride to my second opinion appointment")
    assistant.send(sender, "DEMO2002")
    said = assistant.send(sender, "12/2/1975")
    assert "When is the appointment" in said[-1]
    said = assistant.send(sender, "I don't have a date yet, they will call me")
    assert "pick you up" in said[-1], said
    for answer in ("88 Elm St, Stockton", "no", "1"):
        said = assistant.send(sender, answer)
    said = assistant.send(sender, "yes")
    assert any("Ride reference" in s for s in said), said
    with session_scope(assistant.database_url) as s:
        ride = s.execute(select(Ride).where(Ride.conversation_id == sender)).scalar_one()
        assert ride.appointment_at is None and ride.pickup_address == "88 Elm St, Stockton"
