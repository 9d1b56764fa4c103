"""Actions, run as the action server runs them, against a real (temporary) database."""

from datetime import date

import pytest
from sqlalchemy import func, select

from actions.conversation import ActionStartOver
from actions.forms import question_action
from actions.request import (
    FORM_SLOTS,
    ActionAfterAffirm,
    ActionAskConfirmed,
    ActionOpenRequest,
    ActionStartRequest,
    ValidateSecondOpinionForm,
)
from actions.rights import ActionAnswerRights
from bot import verification
from bot.messages import text
from bot.store import session_scope
from bot.store.models import SecondOpinionRequest
from tests.actions_helpers import run, run_messages, slots_set, tracker

FORM = "second_opinion_form"
VERIFIED = dict(member_id="DEMO4004", dob="verified", verified=True, member_plan="partnership")
COMPLETE = dict(
    **VERIFIED,
    plan="partnership",
    reason_text="my surgeon wants to fuse my spine and im not sure",
    reason="surgery_necessity",
    initial_provider="Dr. Okafor",
    initial_specialty="orthopedics",
    initial_recommendation="spinal fusion",
    initial_date="last month",
    requested_by="member",
    network="out_of_network",
    preferred_provider="Dr. Lee",
    urgency="routine",
    confirmed="yes",
)
DOBS = {"DEMO4004": date(1950, 1, 30), "DEMO5005": date(1969, 11, 11)}


def verified(sender, member_id="DEMO4004"):
    """The conversation verified in the database: the slots alone verify nothing."""
    assert verification.attempt(member_id, DOBS[member_id], sender).status == verification.VERIFIED
    return sender


async def validate(slot, text, slots=None, intent="inform", confidence=0.9):
    t = tracker(
        text, intent, confidence, slots=slots, set_this_turn={slot: text}, requested_slot=slot, active_loop=FORM
    )
    domain = {"forms": {FORM: {"required_slots": list(FORM_SLOTS)}}, "slots": {}}
    said, events = await run(ValidateSecondOpinionForm(), t, domain)
    return said, slots_set(events)


# -- rights answers -------------------------------------------------------------------
async def test_rights_answer_names_the_plans_policy():
    said, events = await run(
        ActionAnswerRights(), tracker("does kern need approval?", "ask_authorization", slots={"plan": "khs"})
    )
    assert "Chief Medical Officer" in said and "Kern Health Systems policy 3.09-P" in said


async def test_rights_question_without_plan_asks_for_it_then_answers():
    said, events = await run(ActionAnswerRights(), tracker("how much does it cost", "ask_cost"))
    assert "Which health plan" in said and slots_set(events)["pending_topic"] == "cost"
    said, events = await run(ActionAnswerRights(), tracker("2", "inform_plan", slots={"pending_topic": "cost"}))
    assert "no cost" in said and "Health Plan of San Joaquin policy UM16" in said
    assert slots_set(events)["plan"] == "hpsj"


async def test_silent_policy_says_so_and_does_not_borrow():
    said, _ = await run(
        ActionAnswerRights(), tracker("what if the doctors disagree", "ask_disagree", slots={"plan": "partnership"})
    )
    assert "does not say" in said and "Chief Medical Officer" not in said


async def test_unknown_plan_gets_the_plans_served():
    said, _ = await run(ActionAnswerRights(), tracker("i have kaiser", "inform_plan"))
    assert "Health Net" in said and "Kern" in said


async def test_an_id_and_birth_date_given_for_the_plan_question_are_not_needed_and_the_plan_is_asked_again():
    said, events = await run(
        ActionAnswerRights(), tracker("DEMO1001 4/9/61", "inform_plan", slots={"pending_topic": "cost"})
    )
    assert text("plan_not_member_id") in said and "Which health plan" in said
    assert text("plan_not_served") not in said  # not "we don't serve your plan"
    assert slots_set(events)["pending_topic"] == "cost"


# -- the form's answers ---------------------------------------------------------------
async def test_reason_in_own_words_is_kept_and_mapped():
    said, slots = await validate("reason_text", "they cant figure out whats wrong and my tests conflict")
    assert slots == {
        "reason_text": "they cant figure out whats wrong and my tests conflict",
        "reason": "unclear_diagnosis",
    }


async def test_unclear_reason_leaves_the_category_to_ask():
    _, slots = await validate("reason_text", "i just want one")
    assert slots["reason_text"] == "i just want one" and slots["reason"] is None
    _, slots = await validate("reason", "4")
    assert slots == {"reason": "not_improving"}


async def test_who_gave_the_opinion_told_at_the_reason_question_is_kept_and_the_reason_asked_again():
    said, slots = await validate("reason", "dr okafor, cardiology, saw him last tuesday")
    assert slots == {
        "reason": None,
        "initial_provider": "Dr. Okafor",
        "initial_specialty": "cardiology",
        "initial_date": "last tuesday",
    }
    assert "I wrote down who gave the first opinion" in said and "didn't catch" not in said


async def test_provider_answer_yields_name_and_specialty():
    _, slots = await validate("initial_provider", "dr patel my cardiologist")
    assert slots == {"initial_provider": "Dr. Patel", "initial_specialty": "cardiology"}


@pytest.mark.parametrize(
    "slot,text,expected",
    [
        ("requested_by", "my daughter is asking for me", "representative"),
        ("requested_by", "1", "member"),
        ("network", "someone outside the plan at ucsf", "out_of_network"),
        ("network", "2", "out_of_network"),
        ("network", "not sure", "in_network"),
        ("urgency", "yes he could lose his foot", "urgent"),
        ("urgency", "no it can wait", "routine"),
        ("urgency", "mmm quise decir no urgente", "routine"),
        ("preferred_provider", "no", "none"),
        ("preferred_provider", "no pref", "none"),
        ("preferred_provider", "sin preferencia", "none"),
        ("plan", "kern family", "khs"),
        ("plan", "4", "partnership"),
    ],
)
async def test_parsed_answers(slot, text, expected):
    _, slots = await validate(slot, text)
    assert slots[slot] == expected


async def test_gibberish_is_not_stored_and_gets_an_apology():
    said, slots = await validate("initial_recommendation", "asdkjh qwrtzp")
    assert slots == {"initial_recommendation": None} and "didn't catch" in said


async def test_question_mid_form_is_answered_and_the_answer_not_stored():
    said, slots = await validate("urgency", "how long will it take?", slots={"plan": "khs"}, intent="ask_timeline")
    assert "72 hours" in said and slots == {"urgency": None}


async def test_danger_words_mid_form_get_911_first():
    t = tracker(
        "she has chest pain and they want surgery",
        "emergency",
        1.0,
        set_this_turn={"reason_text": "she has chest pain and they want surgery"},
        requested_slot="reason_text",
        active_loop=FORM,
    )
    messages, _ = await run_messages(
        ValidateSecondOpinionForm(), t, {"forms": {FORM: {"required_slots": list(FORM_SLOTS)}}, "slots": {}}
    )
    assert messages[0]["text"].startswith("If this is an emergency, call 911")


@pytest.mark.parametrize(
    "text,expected",
    [
        ("actually it's urgent", {"urgency": "urgent", "confirmed": None, "change_pending": False}),
        (
            "change the doctor",
            {"initial_provider": None, "initial_specialty": None, "confirmed": None, "change_pending": False},
        ),
        ("no", {"confirmed": None, "change_pending": True}),
        ("yes", {"confirmed": "yes", "change_pending": False}),
    ],
)
async def test_confirmation_and_corrections(text, expected):
    _, slots = await validate("confirmed", text, slots=COMPLETE)
    assert slots == expected


# -- read-back, open, idempotency -------------------------------------------------------
async def test_read_back_states_what_the_plan_requires():
    said, _ = await run(ActionAskConfirmed(), tracker(slots=COMPLETE))
    assert "Partnership" in said and "prior authorization" in said
    assert "5 business days" in said and "no qualified" in said and "Reply YES" in said


async def test_open_request_stores_once_with_due_date():
    t = tracker("yes", "affirm", slots=COMPLETE, sender=verified("conv-open-once"))
    said, events = await run(ActionOpenRequest(), t)
    reference = slots_set(events)["request_reference"]
    assert reference in said and "should decide by" in said
    said_again, _ = await run(ActionOpenRequest(), t)
    assert "already in" in said_again and reference in said_again
    with session_scope() as s:
        rows = (
            s.execute(select(SecondOpinionRequest).where(SecondOpinionRequest.conversation_id == "conv-open-once"))
            .scalars()
            .all()
        )
        assert len(rows) == 1
        row = rows[0]
        assert (row.plan, row.reason, row.network, row.urgency, row.authorization_required) == (
            "partnership",
            "surgery_necessity",
            "out_of_network",
            "routine",
            True,
        )
        assert row.decision_due_at is not None


async def test_in_network_partnership_needs_no_approval_and_has_no_due_date():
    slots = {**COMPLETE, "network": "in_network"}
    said, events = await run(ActionOpenRequest(), tracker("yes", "affirm", slots=slots, sender=verified("conv-in-net")))
    assert "No approval is needed" in said
    with session_scope() as s:
        row = s.execute(
            select(SecondOpinionRequest).where(SecondOpinionRequest.conversation_id == "conv-in-net")
        ).scalar_one()
        assert row.authorization_required is False and row.decision_due_at is None


async def test_health_net_has_no_date_and_says_so():
    slots = {**COMPLETE, "plan": "health_net", "member_plan": "health_net", "member_id": "DEMO5005"}
    t = tracker("yes", "affirm", slots=slots, sender=verified("conv-hn", "DEMO5005"))
    said, _ = await run(ActionOpenRequest(), t)
    assert "no number of hours or days" in said and "can't give you a date" in said


async def test_a_second_yes_after_opening_repeats_the_reference():
    said, _ = await run(ActionAfterAffirm(), tracker("yes", "affirm", slots={"request_reference": "SO-ABCD-EFGH"}))
    assert "already in" in said and "SO-ABCD-EFGH" in said


async def test_first_message_reason_is_kept():
    msg = "im with kern family and my doctor wants to do knee surgery i dont think i need"
    said, events = await run(ActionStartRequest(), tracker(msg, "request_second_opinion"))
    slots = slots_set(events)
    assert slots["reason"] == "surgery_necessity" and slots["plan"] == "khs"
    assert slots["reason_text"] == msg


async def test_references_are_unambiguous_and_distinct():
    from bot.store.repository import REFERENCE_ALPHABET, new_reference

    refs = {new_reference() for _ in range(2000)}
    assert len(refs) == 2000
    assert not set("01OIL") & set(REFERENCE_ALPHABET)
    with session_scope() as s:
        assert s.execute(select(func.count()).select_from(SecondOpinionRequest)).scalar() >= 1


# -- verification ------------------------------------------------------------------------
@pytest.mark.parametrize("written", ["1/30/50", "January 30 1950", "1950-01-30", "01-30-1950"])
async def test_verification_accepts_the_ways_people_write_dates(written):
    said, slots = await validate("dob", written, slots={"member_id": "DEMO4004"})
    assert slots["verified"] is True and slots["member_plan"] == "partnership"
    assert slots["dob"] == "verified", "the date of birth itself is not kept in the slots"
    assert "Linh" in said


async def test_named_plan_that_differs_from_the_record_is_pointed_out():
    said, slots = await validate("dob", "1/30/1950", slots={"member_id": "demo-4004", "plan": "khs"})
    assert slots["plan"] == "partnership"
    assert "records show you're a Partnership HealthPlan of California member, not Kern" in said


async def test_wrong_date_of_birth_counts_and_third_failure_locks():
    said, slots = await validate("dob", "1/31/1950", slots={"member_id": "DEMO4004"})
    assert slots == {"member_id": None, "dob": None, "verify_failures": 1} and "try 2 of 3" in said
    said, slots = await validate("dob", "1/31/1950", slots={"member_id": "DEMO4004", "verify_failures": 2})
    assert slots["verification_locked"] is True and "couldn't verify" in said


async def test_unreadable_date_is_not_a_failed_try():
    said, slots = await validate("dob", "sometime in the sixties", slots={"member_id": "DEMO4004"})
    assert slots == {"dob": None} and "couldn't read that date" in said


async def test_locked_conversation_opens_nothing_and_start_over_keeps_the_lock():
    locked = {**COMPLETE, "verified": None, "verification_locked": True}
    said, events = await run(ActionOpenRequest(), tracker("yes", "affirm", slots=locked, sender="conv-locked"))
    assert "couldn't verify" in said and "request_reference" not in slots_set(events)
    with session_scope() as s:
        assert (
            s.execute(select(SecondOpinionRequest).where(SecondOpinionRequest.conversation_id == "conv-locked")).first()
            is None
        )
    _, events = await run(ActionStartOver(), tracker("start over", "start_over", slots=locked))
    assert slots_set(events)["verification_locked"] is True


async def test_opened_request_is_linked_to_the_verified_member():
    t = tracker("yes", "affirm", slots=COMPLETE, sender=verified("conv-member"))
    said, events = await run(ActionOpenRequest(), t)
    with session_scope() as s:
        row = s.execute(
            select(SecondOpinionRequest).where(SecondOpinionRequest.conversation_id == "conv-member")
        ).scalar_one()
        assert row.member_id == "DEMO4004"


@pytest.mark.parametrize(
    "written,expected",
    [
        ("KHS-778899", "KHS778899"),
        ("demo 4004", "DEMO4004"),
        ("my id is DEMO1001", "DEMO1001"),
        ("My member ID is KHS 778 899", "KHS778899"),
        ("it's demo-5005", "DEMO5005"),
    ],
)
async def test_member_ids_as_people_type_them(written, expected):
    _, slots = await validate("member_id", written)
    assert slots["member_id"] == expected


@pytest.mark.parametrize("written", ["March 15 1972", "4/9/61", "hello", "what is a member id?"])
async def test_not_a_member_id(written):
    said, slots = await validate("member_id", written, intent="ask_who_can_request", confidence=0.3)
    assert slots["member_id"] is None and said


async def test_yes_to_a_provider_in_mind_asks_their_name_once():
    """ "yes" to "a provider in mind?" gets "what is their name?", not that and the first question again."""
    said, slots = await validate("preferred_provider", "yes")
    assert slots == {"preferred_provider": None} and said == text("ask_preferred_name")
    asked = tracker("yes", requested_slot="preferred_provider", active_loop=FORM)
    asked.events.append({"event": "bot", "text": said})
    assert (await run_messages(question_action("preferred_provider")(), asked))[0] == []
    fresh = tracker("1", requested_slot="preferred_provider", active_loop=FORM)
    (question,), _ = await run_messages(question_action("preferred_provider")(), fresh)
    assert question["text"] == text("ask_preferred_provider")


@pytest.mark.parametrize(
    "answer", ["yo", "me", "yes", "sí", "in network", "out of network", "my daughter is asking for me"]
)
async def test_who_or_yes_is_not_what_the_doctor_recommended(answer):
    said, slots = await validate("initial_recommendation", answer)
    assert slots == {"initial_recommendation": None}
    assert text("example_what_was_recommended") in said or "Necesito lo que el doctor" in said


@pytest.mark.parametrize("slot", ["reason_text", "initial_provider", "initial_recommendation"])
@pytest.mark.parametrize(
    "message",
    [
        "sorry. im safe, my daughter is with me. lets keep going",
        "no its ok now, false alarm, keep going",
        "im sorry. i wont do anything, my neighbor is checking on me. can we keep going",
    ],
)
async def test_im_safe_lets_keep_going_is_not_an_answer(slot, message):
    said, slots = await validate(slot, message)
    assert slots == {slot: None} and said == text("thanks_going_on")


@pytest.mark.parametrize("slot", ["network", "urgency", "requested_by"])
@pytest.mark.parametrize(
    "message",
    [
        "im sorry. i wont do anything, my neighbor is checking on me. can we keep going",
        "perdón, estoy bien, mi hija está conmigo. sigamos",  # not "asked for by my daughter"
    ],
)
async def test_im_safe_lets_keep_going_at_a_choice_question_is_no_answer_and_no_miss(slot, message):
    said, slots = await validate(slot, message)
    assert slots == {slot: None} and said == text("thanks_going_on")


async def test_after_a_safety_answer_a_message_that_says_keep_going_is_not_what_the_doctor_recommended():
    from actions.request import ValidateSecondOpinionForm as Form

    message = "ok im at urgent care now, they said im ok. keep going"
    t = tracker(
        message,
        "inform",
        set_this_turn={"initial_recommendation": message},
        requested_slot="initial_recommendation",
        active_loop=FORM,
    )
    now = max(i for i, e in enumerate(t.events) if e["event"] == "user")  # the message being validated
    t.events[now:now] = [
        {"event": "user", "text": "chest feels tight n my left arm is numb rn"},
        {"event": "bot", "text": text("safety_then_form")},  # said in answer to the crisis
    ]
    domain = {"forms": {FORM: {"required_slots": list(FORM_SLOTS)}}, "slots": {}}
    said, events = await run(Form(), t, domain)
    assert slots_set(events) == {"initial_recommendation": None} and said == text("thanks_going_on")
