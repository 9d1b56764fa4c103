"""After the request, with the real assistant (trained model, REST channel, action
server): a member asks how their request stands in their own words (held out: none of
these phrasings is in data/nlu/), verifies, and hears each record's status, the
deadline their plan's rule gives, and for a denial the reasons and their rights. A
member who does not verify hears nothing about any request. And once a request is
opened, the member is asked once whether they want a text when there is news."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from bot import records
from bot.deadlines import utcnow
from bot.messages import text
from bot.second_opinions import open_request
from bot.store import session_scope
from bot.store.models import SecondOpinionRequest
from tests import harness
from tests.records_helpers import a_draft

pytestmark = pytest.mark.slow

# Member, date of birth, and how they ask (English, SMS shorthand, Spanish, Spanglish).
ASKING = [
    ("DEMO2002", "12/02/1975", "hey did u guys approve my 2nd opinion yet??"),
    ("DEMO2002", "12/02/1975", "i sent in a second opinion request a few days ago. whats happening w it"),
    ("DEMO2002", "12/02/1975", "checking in on {reference} pls"),
    ("DEMO4004", "1/30/1950", "Has Partnership made a decision on my request for another doctor's opinion?"),
    ("DEMO1001", "9 de abril de 1961", "buenas, ya me dijeron algo de mi solicitud de segunda opinion?"),
    ("DEMO1001", "9 de abril de 1961", "q paso con mi request {reference}"),
    ("DEMO3003", "7/15/1988", "quisiera saber si ya aprobaron lo de mi segunda opinión"),
]


@pytest.fixture(scope="module")
def assistant(trained_model, tmp_path_factory):
    running = harness.start_on_sqlite(tmp_path_factory.mktemp("status"), "status")
    yield running
    running.stop()


@pytest.fixture(scope="module")
def on_file(assistant):
    """Each demo member's request, opened a day ago; DEMO4004's is denied with reasons."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DATABASE_URL", assistant.database_url)
        return _open_requests()


def _open_requests() -> dict[str, str]:
    opened = {}
    for member_id, plan in (
        ("DEMO2002", "hpsj"),
        ("DEMO4004", "partnership"),
        ("DEMO1001", "khs"),
        ("DEMO3003", "mvhp"),
    ):
        network = "out_of_network" if member_id == "DEMO4004" else "in_network"
        request = open_request(
            a_draft(plan=plan, network=network),
            f"earlier-{member_id}",
            "web",
            member_id,
            now=utcnow() - timedelta(days=1),
        )
        opened[member_id] = request.reference
    with session_scope() as session:
        records.move(
            session, "request", opened["DEMO4004"], "denied", "staff", reasons="The visit is not medically necessary."
        )
    return opened


@pytest.mark.parametrize("member_id,dob,asking", ASKING)
def test_a_member_asks_how_their_request_stands_and_hears_it_after_verifying(
    assistant, on_file, member_id, dob, asking
):
    reference = on_file[member_id]
    sender = f"status-{abs(hash(asking))}"
    said = assistant.send(sender, asking.format(reference=reference))
    assert reference not in " ".join(said), "a request told before the member verified"
    said = assistant.send(sender, member_id)
    said = assistant.send(sender, dob)
    joined = " ".join(said)
    assert reference in joined, said
    if member_id == "DEMO4004":
        assert "not medically necessary" in joined and "file a grievance" in joined, said
    else:
        lang = "es" if member_id in ("DEMO1001", "DEMO3003") else "en"
        states = (text("status_request_received", lang), text("status_request_no_approval", lang))
        assert any(state in joined for state in states), said


def test_a_member_who_does_not_verify_hears_nothing_about_any_request(assistant, on_file):
    sender = "status-wrong-dob"
    reference = on_file["DEMO2002"]
    said = assistant.send(sender, f"did they approve {reference}?")
    for wrong in ("DEMO2002", "1/1/1980", "2/2/1980", "3/3/1980"):
        said += assistant.send(sender, wrong)
    joined = " ".join(said)
    assert reference not in joined.replace(f"did they approve {reference}?", "")
    assert text("status_request_received") not in joined and text("status_request_no_approval") not in joined


def test_another_members_reference_is_not_found(assistant, on_file):
    sender = "status-not-mine"
    said = assistant.send(sender, f"status of {on_file['DEMO4004']}")
    said = assistant.send(sender, "DEMO2002")
    said = assistant.send(sender, "12/02/1975")
    joined = " ".join(said)
    assert (
        on_file["DEMO4004"] not in joined.split("\n", 1)[-1]
        or text("status_reference_not_found", reference=on_file["DEMO4004"]) in joined
    ), said
    assert "not medically necessary" not in joined and on_file["DEMO2002"] in joined, said


OPENING = [
    "i want a second opinion",
    "DEMO5005",
    "11/11/1969",
    "my doctor wants me to have back surgery and im not sure i need it",
    "1",
    "Dr. Patel orthopedic surgeon",
    "orthopedic surgeon",
    "spinal fusion",
    "last month",
    "me",
    "in network",
    "no",
    "no",
]


def _open_and_reach_notify_question(assistant, sender):
    for message in OPENING:
        said = assistant.send(sender, message)
    said = assistant.send(sender, "yes")
    assert "SO-" in " ".join(said), said
    assert said[-1] == text("ask_notify_answer", last_four="0105"), said
    with session_scope(assistant.database_url) as s:
        return (
            s.execute(select(SecondOpinionRequest).where(SecondOpinionRequest.conversation_id == sender))
            .scalar_one()
            .reference
        )


def _consent(assistant, reference):
    with session_scope(assistant.database_url) as s:
        row = s.execute(select(SecondOpinionRequest).where(SecondOpinionRequest.reference == reference)).scalar_one()
        return row.notify_by_text, row.notify_phone, row.notify_answered_at is not None


@pytest.mark.parametrize(
    "answer,consent,last_four",
    [
        ("ya please text me", (True, "+15555550105", True), "0105"),
        ("nah", (False, None, True), None),
        ("text me at 209 555 0134 instead", (True, "+12095550134", True), "0134"),
    ],
)
def test_once_opened_the_member_is_asked_about_a_text_and_the_answer_is_recorded(assistant, answer, consent, last_four):
    sender = f"notify-{answer.split()[0]}"
    reference = _open_and_reach_notify_question(assistant, sender)
    said = assistant.send(sender, answer)
    assert _consent(assistant, reference) == consent
    expected = text("notify_yes", last_four=last_four) if last_four else text("notify_no")
    assert said[0] == expected and said[-1] == text("ride_offer"), said


def test_asking_for_a_ride_instead_of_answering_starts_the_ride(assistant):
    sender = "notify-ride"
    reference = _open_and_reach_notify_question(assistant, sender)
    said = assistant.send(sender, "i need a ride to the visit")
    assert text("ask_ride_appointment").split("{")[0][:30] in " ".join(said), said
    assert _consent(assistant, reference) == (None, None, False)
