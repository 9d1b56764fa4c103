"""How a member's records stand, and the text-when-there-is-news question, run as the
action server runs them against a real (temporary) database."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from actions.lookup import ActionPrepareLookup, ActionRecordsLookup, reference_in
from actions.notify import ActionAskNotifyAnswer, ActionRecordNotify, ValidateNotifyForm, read_notify_answer
from bot import records, verification
from bot.deadlines import utcnow
from bot.messages import text
from bot.second_opinions import open_request
from bot.store import session_scope
from bot.store.models import SecondOpinionRequest
from tests.actions_helpers import run, slots_set, tracker
from tests.records_helpers import a_draft

DOBS = {"DEMO2002": "12/2/1975", "DEMO4004": "1/30/1950", "DEMO1001": "4/9/1961"}


def verified(sender, member_id):
    assert verification.attempt(member_id, DOBS[member_id], sender).status == verification.VERIFIED
    return sender


def opened(member_id, plan, network="out_of_network", days_ago=1, lang="en"):
    draft = a_draft(plan=plan, network=network)
    when = utcnow() - timedelta(days=days_ago)
    return open_request(draft, f"earlier-{member_id}-{days_ago}", "web", member_id, now=when, lang=lang).reference


def lookup(sender, member_id, message="whats the status of my request", reference=None, lang="en"):
    slots = {
        "member_id": member_id,
        "verified": True,
        "pending_action": "request_status",
        "lookup_reference": reference,
    }
    return run(ActionRecordsLookup(), tracker(message, "request_status", sender=sender, slots=slots, language=lang))


async def test_a_reference_in_the_question_is_remembered_while_the_member_verifies():
    _, events = await run(ActionPrepareLookup(), tracker("did they approve so-6pdn-uau3??", "request_status"))
    assert slots_set(events) == {"pending_action": "request_status", "lookup_reference": "SO-6PDN-UAU3"}
    assert reference_in("no reference here, just SO-12 and 209-555-0134") is None


async def test_a_verified_member_hears_each_request_with_the_deadline_they_were_told():
    reference = opened("DEMO4004", "partnership")  # out of network: Partnership's rule gives a date
    said, events = await lookup(verified("status-1", "DEMO4004"), "DEMO4004", reference=reference)
    assert text("status_intro") in said and reference in said
    assert text("status_request_received") in said and "should decide by" in said
    assert slots_set(events) == {"pending_action": None, "lookup_reference": None}


async def test_a_denial_comes_with_its_reasons_the_members_rights_and_the_offer_to_file():
    reference = opened("DEMO4004", "partnership")
    with session_scope() as s:
        records.move(s, "request", reference, "denied", "staff", reasons="Not medically necessary.")
    said, _ = await lookup(verified("status-2", "DEMO4004"), "DEMO4004", reference=reference)
    assert reference in said and text("status_request_denied") in said
    assert "Not medically necessary." in said and "(Source:" in said and "file a grievance" in said


async def test_another_members_reference_is_not_found_and_theirs_are_listed():
    theirs, mine = opened("DEMO4004", "partnership", days_ago=2), opened("DEMO2002", "hpsj", days_ago=2)
    said, _ = await lookup(verified("status-3", "DEMO2002"), "DEMO2002", reference=theirs)
    assert text("status_reference_not_found", reference=theirs) in said
    assert mine in said and said.count(theirs) == 1


async def test_in_spanish_in_spanish():
    reference = opened("DEMO1001", "khs", lang="es")
    said, _ = await lookup(verified("status-4", "DEMO1001"), "DEMO1001", "como va mi solicitud", lang="es")
    assert reference in said and text("status_request_received", "es") in said and "debe decidir" in said


async def test_an_unverified_member_hears_nothing_about_any_request():
    reference = opened("DEMO2002", "hpsj", days_ago=3)
    slots = {"member_id": "DEMO2002", "verified": True, "pending_action": "request_status"}  # slots verify nothing
    said, _ = await run(ActionRecordsLookup(), tracker("status", "request_status", sender="status-5", slots=slots))
    assert reference not in said and "SO-" not in said


@pytest.mark.parametrize(
    "message,reading",
    [
        ("yes please", ("yes", None)),
        ("ya", ("yes", None)),
        ("sí", ("yes", None)),
        ("no thanks", ("no", None)),
        ("nah", ("no", None)),
        ("text me at (209) 555-0134", ("yes", "+12095550134")),
        ("what do you mean", (None, None)),
    ],
)
def test_the_answer_to_the_text_question(message, reading):
    assert read_notify_answer(message) == reading


async def test_yes_texts_the_number_on_file_and_the_answer_is_recorded():
    reference = opened("DEMO2002", "hpsj", days_ago=4)
    sender = verified("notify-1", "DEMO2002")
    said, _ = await run(ActionAskNotifyAnswer(), tracker("yes", sender=sender))
    assert said == text("ask_notify_answer", last_four="0102")
    form = tracker(
        "yes",
        "affirm",
        sender=sender,
        set_this_turn={"notify_answer": "yes"},
        requested_slot="notify_answer",
        active_loop="notify_form",
    )
    _, events = await run(ValidateNotifyForm(), form)
    assert slots_set(events)["notify_phone"] == "+15555550102"
    done = {"request_reference": reference, "notify_answer": "yes", "notify_phone": "+15555550102"}
    said, _ = await run(ActionRecordNotify(), tracker("yes", sender=sender, slots=done))
    assert text("notify_yes", last_four="0102") in said and text("ride_offer") in said
    with session_scope() as s:
        row = s.execute(select(SecondOpinionRequest).where(SecondOpinionRequest.reference == reference)).scalar_one()
        assert (row.notify_by_text, row.notify_phone) == (True, "+15555550102") and row.notify_answered_at


async def test_asking_for_a_ride_instead_records_nothing_and_starts_the_ride():
    reference = opened("DEMO2002", "hpsj", days_ago=5)
    sender = verified("notify-2", "DEMO2002")
    message = "i need a ride to the visit"
    form = tracker(
        message,
        "request_ride",
        sender=sender,
        set_this_turn={"notify_answer": message},
        requested_slot="notify_answer",
        active_loop="notify_form",
    )
    _, events = await run(ValidateNotifyForm(), form)
    assert slots_set(events)["notify_answer"] == "skipped"
    slots = {"request_reference": reference, "notify_answer": "skipped"}
    said, events = await run(ActionRecordNotify(), tracker(message, "request_ride", sender=sender, slots=slots))
    assert said == "" and [e["name"] for e in events if e["event"] == "followup"] == ["action_start_ride"]
    with session_scope() as s:
        row = s.execute(select(SecondOpinionRequest).where(SecondOpinionRequest.reference == reference)).scalar_one()
        assert row.notify_by_text is None


async def test_never_mind_at_the_text_question_is_a_no_and_the_request_stays():
    reference = opened("DEMO2002", "hpsj", days_ago=6)
    sender = verified("notify-3", "DEMO2002")
    for message, intent in (("no gracias, no se moleste", "deny"), ("forget it", "nevermind")):
        form = tracker(
            message,
            intent,
            sender=sender,
            set_this_turn={"notify_answer": message},
            requested_slot="notify_answer",
            active_loop="notify_form",
        )
        _, events = await run(ValidateNotifyForm(), form)
        assert slots_set(events)["notify_answer"] == "no", message
    said, _ = await run(
        ActionRecordNotify(),
        tracker("forget it", sender=sender, slots={"request_reference": reference, "notify_answer": "no"}),
    )
    assert text("notify_no") in said
    with session_scope() as s:
        row = s.execute(select(SecondOpinionRequest).where(SecondOpinionRequest.reference == reference)).scalar_one()
        assert row.notify_by_text is False and row.status == "received"
