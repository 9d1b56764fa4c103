"""Ride and grievance actions, run as the action server runs them."""

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from actions.grievances import ActionFileGrievance, ActionStartGrievance, ValidateGrievanceForm
from actions.lookup import ActionRecordsLookup
from actions.rides import ActionAskRideConfirmed, ActionRequestRide, ValidateRideForm
from bot import verification
from bot.deadlines import utcnow
from bot.store import session_scope
from bot.store.models import Grievance, Ride
from tests.actions_helpers import run, slots_set, tracker

VERIFIED = dict(member_id="DEMO3003", dob="verified", verified=True, member_plan="mvhp", plan="mvhp")
RIDE = dict(
    ride_appointment="in three weeks",
    ride_appointment_at=(utcnow() + timedelta(days=21)).isoformat(),
    ride_pickup="45 Oak Ave, Modesto",
    ride_companion="yes",
    ride_mobility="wheelchair",
    ride_confirmed="yes",
)
DOBS = {"DEMO1001": date(1961, 4, 9), "DEMO3003": date(1988, 7, 15), "DEMO4004": date(1950, 1, 30)}


def verified(sender, member_id="DEMO3003"):
    """The conversation verified in the database: the slots alone verify nothing."""
    assert verification.attempt(member_id, DOBS[member_id], sender).status == verification.VERIFIED
    return sender


async def validate(form, slot, text, slots=None, intent="nlu_fallback", sender="test-conv"):
    t = tracker(
        text,
        intent,
        0.9,
        slots={**VERIFIED, **(slots or {})},
        set_this_turn={slot: text},
        requested_slot=slot,
        active_loop=form.name().replace("validate_", ""),
        sender=sender,
    )
    said, events = await run(form, t)
    return said, slots_set(events)


@pytest.mark.parametrize(
    "text,expected",
    [
        ("i use a wheelchair", "wheelchair"),
        ("2", "cane_walker"),
        ("i cant sit up", "cannot_sit_up"),
        ("i walk fine", "walks"),
    ],
)
async def test_mobility_answers(text, expected):
    _, slots = await validate(ValidateRideForm(), "ride_mobility", text)
    assert slots["ride_mobility"] == expected


async def test_appointment_not_set_yet_is_fine():
    _, slots = await validate(ValidateRideForm(), "ride_appointment", "not yet")
    assert slots == {"ride_appointment": "not yet", "ride_appointment_at": None}


async def test_wheelchair_ride_read_back_says_a_form_is_needed_and_cites_um16():
    said, _ = await run(ActionAskRideConfirmed(), tracker(slots={**VERIFIED, **RIDE}, sender=verified("ride-mvhp")))
    assert "wheelchair van" in said and "Physician Certification Statement" in said
    assert "Mountain Valley Health Plan policy UM16, section III.F" in said
    assert "sooner than" not in said


async def test_ride_inside_lead_time_is_told_honestly():
    soon = {**RIDE, "ride_appointment_at": (utcnow() + timedelta(hours=20)).isoformat(), "ride_mobility": "walks"}
    t = tracker(
        slots={**VERIFIED, **soon, "member_plan": "khs", "plan": "khs"}, sender=verified("ride-khs", "DEMO1001")
    )
    said, _ = await run(ActionAskRideConfirmed(), t)
    assert "sooner than the 2 business days" in said and "urgent" in said
    assert "car, rideshare or bus pass" in said and "Physician Certification" not in said
    assert "UM16" not in said  # KHS's policy says nothing about rides


async def test_request_ride_then_cancel_it():
    t = tracker("yes", "affirm", slots={**VERIFIED, **RIDE}, sender=verified("ride-act"))
    said, _ = await run(ActionRequestRide(), t)
    assert "Ride reference: RD-" in said
    with session_scope() as s:
        ride = s.execute(select(Ride).where(Ride.conversation_id == "ride-act")).scalar_one()
        assert (ride.mode, ride.pcs_required, ride.companion, ride.member_id) == ("nemt", True, True, "DEMO3003")
    said, _ = await run(
        ActionRecordsLookup(),
        tracker(
            "cancel my ride", "cancel_ride", sender="ride-act", slots={**VERIFIED, "pending_action": "cancel_ride"}
        ),
    )
    assert "cancelled ride" in said
    said, _ = await run(
        ActionRecordsLookup(),
        tracker("ride status", "ride_status", sender="ride-act", slots={**VERIFIED, "pending_action": "ride_status"}),
    )
    assert "cancelled" in said


async def test_grievance_rights_come_first_with_sources():
    said, _ = await run(
        ActionStartGrievance(),
        tracker(
            "i want to file a grievance",
            "file_grievance",
            slots={**VERIFIED, "member_plan": "partnership", "plan": "partnership"},
            sender=verified("gr-rights", "DEMO4004"),
        ),
    )
    assert said.index("your rights") < said.index("Grievance Coordinator")
    for must in ("MPUP3078", "42 CFR 438.402(c)(2)(ii)", "120 days", "1-888-466-2219"):
        assert must in said


async def test_grievance_expedited_and_filed_with_due_dates():
    _, slots = await validate(ValidateGrievanceForm(), "grievance_expedited", "yes, i'm in severe pain")
    assert slots["grievance_expedited"] == "yes"
    _, slots = await validate(ValidateGrievanceForm(), "grievance_about", "my pcp wont refer me")
    assert slots["grievance_about"] == "pcp_refused"
    filled = dict(
        grievance_about="pcp_refused",
        grievance_text="my doctor refuses to refer me",
        grievance_expedited="yes",
        grievance_confirmed="yes",
    )
    t = tracker("yes", "affirm", slots={**VERIFIED, **filled}, sender=verified("gr-act"))
    said, _ = await run(ActionFileGrievance(), t)
    assert "Reference: GR-" in said and "1-888-466-2219" in said
    with session_scope() as s:
        g = s.execute(select(Grievance).where(Grievance.conversation_id == "gr-act")).scalar_one()
        assert g.expedited and g.account_text == "my doctor refuses to refer me"
        assert (g.resolve_due_at - g.received_at) == timedelta(hours=72)


async def test_a_verified_member_stays_verified_when_another_form_starts():
    said, slots = await validate(ValidateRideForm(), "dob", "verified", sender=verified("ride-form-again"))
    assert slots == {"dob": "verified"} and said == ""


async def test_answers_cleared_by_a_start_action_are_not_validated():
    from actions.grievances import ValidateGrievanceForm

    t = tracker(
        "i want to file a grievance",
        "file_grievance",
        slots=VERIFIED,
        active_loop="grievance_form",
        set_this_turn={"grievance_about": None, "grievance_text": None, "grievance_expedited": None},
    )
    said, events = await run(ValidateGrievanceForm(), t)
    assert said == "" and "grievance_about" not in slots_set(events)
