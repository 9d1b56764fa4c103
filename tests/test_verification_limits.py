"""Verification limits kept in the database, on SQLite and PostgreSQL: wrong dates of
birth counted per member ID across conversations and sources, locks an agent lifts in
the console, a back-off between tries, verified conversations that expire or end on
start over, and actions that trust none of the tracker's verification slots."""

import re
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import inspect, select

from actions.conversation import ActionStartOver
from actions.grievances import ActionFileGrievance
from actions.lookup import ActionRecordsLookup
from actions.request import FORM_SLOTS, ActionOpenRequest, ValidateSecondOpinionForm
from actions.rides import ActionRequestRide
from bot import agents, handoff, transport, verification
from bot.deadlines import utcnow
from bot.store import engine_for, session_scope
from bot.store.db import downgrade, migrate
from bot.store.models import AuditEntry, Grievance, Ride, SecondOpinionRequest
from tests.actions_helpers import run, slots_set, tracker

FORM = "second_opinion_form"
DOMAIN = {"forms": {FORM: {"required_slots": list(FORM_SLOTS)}}, "slots": {}}
RIGHT = "4/9/1961"  # DEMO1001's date of birth
PASSWORD = "locks test password"
ANSWERS = dict(
    reason_text="my surgeon wants to replace my knee and im not sure",
    reason="surgery_necessity",
    initial_provider="Dr. Patel",
    initial_specialty="orthopedics",
    initial_recommendation="knee replacement",
    initial_date="last month",
    requested_by="member",
    network="in_network",
    preferred_provider="none",
    urgency="routine",
    confirmed="yes",
)
FORGED = dict(
    verified=True,
    member_id="DEMO1001",
    member_plan="khs",
    plan="khs",
    dob="verified",
    verify_failures=0,
    verification_locked=False,
)


class Clock:
    def __init__(self):
        self.now = utcnow()

    def __call__(self):
        return self.now

    def advance(self, **delta):
        self.now += timedelta(**delta)


@pytest.fixture
def clock(monkeypatch):
    fake = Clock()
    monkeypatch.setattr(verification, "utcnow", fake)
    return fake


@pytest.fixture(autouse=True)
def off_duty(monkeypatch):
    monkeypatch.setenv("MEMBER_SERVICES_HOURS", "never")


def wrong(n):
    return f"1/{n + 1}/1950"


async def give_dob(dob, sender, member_id="DEMO1001", source=None, slots=None):
    """The member answers the date-of-birth question; (everything said, slots set)."""
    t = tracker(
        dob,
        "inform",
        sender=sender,
        slots={"member_id": member_id, **(slots or {})},
        set_this_turn={"dob": dob},
        requested_slot="dob",
        active_loop=FORM,
    )
    if source:
        t.latest_message["metadata"] = {"source": source}
    said, events = await run(ValidateSecondOpinionForm(), t, DOMAIN)
    return said, slots_set(events)


def lock_out(clock, member_id="DEMO1001"):
    for n in range(verification.MEMBER_MAX_FAILURES):
        clock.advance(minutes=1)
        verification.attempt(member_id, wrong(n), f"guess-{member_id}-{n}")
    assert member_id in verification.locked_member_ids()


def audit_rows(action, key=None):
    with session_scope() as s:
        query = select(AuditEntry).where(AuditEntry.action == action)
        query = query.where(AuditEntry.entity_key == key) if key else query
        return s.execute(query).scalars().all()


def stored(model, sender):
    with session_scope() as s:
        return s.execute(select(model).where(model.conversation_id == sender)).scalars().all()


# -- failed tries, across conversations and sources ------------------------------------


async def test_guesses_from_many_conversations_lock_the_member_id_everywhere(database, clock):
    guesses = [
        ("web-a", "203.0.113.1"),
        ("web-a", "203.0.113.1"),
        ("web-b", "203.0.113.2"),
        ("sms-c", None),
        ("web-d", "203.0.113.3"),
    ]
    for n, (sender, source) in enumerate(guesses):
        clock.advance(minutes=3)
        said, slots = await give_dob(wrong(n), sender, source=source)
        assert not slots.get("verified")
    assert "couldn't verify" in said and slots["verification_locked"] is True
    assert verification.locked_member_ids() == ["DEMO1001"]
    for sender, source in (("web-new", "198.51.100.7"), ("sms-new", None)):
        clock.advance(minutes=10)
        said, slots = await give_dob(RIGHT, sender, source=source)
        assert "couldn't verify" in said and slots["verification_locked"] is True and not slots.get("verified")
        assert verification.verified_member(sender) is None
    assert len(audit_rows("verify_failed", "DEMO1001")) == 5 and len(audit_rows("verify_locked", "DEMO1001")) == 1
    assert len(audit_rows("verify_refused", "DEMO1001")) == 2
    with session_scope() as s:
        details = " ".join(a.detail or "" for a in s.execute(select(AuditEntry)).scalars())
    assert "1950" not in details and "1961" not in details


async def test_three_wrong_dates_end_verification_in_the_conversation_whatever_its_slots_say(database, clock):
    for n in range(3):
        clock.advance(seconds=30)
        said, slots = await give_dob(wrong(n), "web-reset", slots={"verify_failures": 0})
    assert "couldn't verify" in said and slots["verification_locked"] is True
    clock.advance(minutes=5)
    said, slots = await give_dob(RIGHT, "web-reset", slots={"verify_failures": 0, "verification_locked": False})
    assert "couldn't verify" in said and verification.verified_member("web-reset") is None
    said, slots = await give_dob(RIGHT, "web-other")
    assert "You're verified" in said and verification.verified_member("web-other").member_id == "DEMO1001"


async def test_the_lock_lifts_by_itself_after_the_lock_period(database, clock):
    lock_out(clock)
    clock.advance(hours=23)
    assert verification.attempt("DEMO1001", RIGHT, "web-early").status == verification.LOCKED
    clock.advance(hours=1, minutes=1)
    assert verification.locked_member_ids() == []
    assert verification.attempt("DEMO1001", RIGHT, "web-later").status == verification.VERIFIED


# -- the console: locked IDs, and an agent's unlock ---------------------------------------


@pytest.fixture
def console(database):
    from bot.web import locks
    from bot.web.app import create_app

    agents.create_agent("lock.agent", "Lock Agent", PASSWORD)
    app = create_app()
    if not any(getattr(r, "path", "") == "/console/locks" for r in app.routes):
        app.include_router(locks.router)
    with TestClient(app, base_url="http://127.0.0.1") as client:
        token = re.search(r'name="csrf" value="([^"]+)"', client.get("/console/login").text).group(1)
        client.post("/console/login", data={"csrf": token, "username": "lock.agent", "password": PASSWORD})
        yield client


def csrf_of(html):
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


async def test_an_agent_unlocks_with_a_reason_and_the_member_can_verify(console, clock):
    lock_out(clock)
    page = console.get("/console/locks")
    assert page.status_code == 200 and "DEMO1001" in page.text
    assert '<label for="reason-1">' in page.text and "<script>" not in page.text
    token = csrf_of(page.text)
    assert console.post("/console/locks/unlock", data={"member_id": "DEMO1001", "reason": "x"}).status_code == 403
    r = console.post("/console/locks/unlock", data={"csrf": token, "member_id": "DEMO1001", "reason": " "})
    assert "Give the reason" in r.text and verification.locked_member_ids() == ["DEMO1001"]
    r = console.post(
        "/console/locks/unlock",
        data={"csrf": token, "member_id": "demo-1001", "reason": "called back at the number on file, dob 4/9/1961"},
    )
    assert "Unlocked DEMO1001" in r.text and verification.locked_member_ids() == []
    (entry,) = audit_rows("verify_unlocked", "DEMO1001")
    assert entry.actor == "agent:lock.agent" and "called back at the number on file" in entry.detail
    assert "1961" not in entry.detail
    clock.advance(minutes=1)
    said, slots = await give_dob(RIGHT, "web-after-unlock")
    assert "You're verified" in said and slots["verified"] is True


def test_the_locks_page_needs_a_signed_in_agent(database):
    from bot.web import locks
    from bot.web.app import create_app

    app = create_app()
    app.include_router(locks.router)
    with TestClient(app, base_url="http://127.0.0.1") as client:
        for r in (
            client.get("/console/locks", follow_redirects=False),
            client.post(
                "/console/locks/unlock",
                data={"csrf": "x", "member_id": "DEMO1001", "reason": "r"},
                follow_redirects=False,
            ),
        ):
            assert (r.status_code, r.headers["location"]) == (303, "/console/login")


# -- the back-off ----------------------------------------------------------------------


async def test_the_back_off_refuses_a_try_too_soon_from_one_source(database, clock):
    source = "203.0.113.50"
    for n in range(verification.BACKOFF_FREE_FAILURES + 1):  # different IDs and conversations, one source
        assert verification.attempt(f"ZZ{n}00000", wrong(n), f"web-src-{n}", source).status == verification.WRONG
    too_soon = verification.attempt("DEMO1001", RIGHT, "web-src-right", source)
    assert (too_soon.status, too_soon.wait_seconds) == (verification.WAIT, 2)
    said, slots = await give_dob(RIGHT, "web-src-right", source=source)
    assert slots == {"dob": None} and "wait a few seconds" in said
    clock.advance(seconds=2)
    assert verification.attempt("DEMO1001", RIGHT, "web-src-right", source).status == verification.VERIFIED
    assert verification.attempt("ZZ900000", wrong(9), "web-src-9", source).status == verification.WRONG
    clock.advance(seconds=3)
    assert verification.attempt("ZZ910000", wrong(9), "web-src-10", source).wait_seconds == 1  # doubled: 4 s
    for n in range(10):
        clock.advance(minutes=2)
        verification.attempt(f"ZY{n}00000", wrong(n), f"web-src-many-{n}", source)
    assert verification.attempt("ZX000000", wrong(1), "web-src-last", source).wait_seconds == 60  # capped


async def test_a_person_retyping_a_date_is_not_slowed(database, clock):
    said, _ = await give_dob(wrong(1), "web-typo")
    said, slots = await give_dob(RIGHT, "web-typo")
    assert "You're verified" in said and slots["verified"] is True


# -- nothing reveals whether a member ID exists ------------------------------------------


async def test_an_unknown_id_and_a_wrong_date_get_the_same_words(database, clock):
    known = await give_dob(wrong(1), "web-known", member_id="DEMO1001")
    unknown = await give_dob(wrong(1), "web-unknown", member_id="ZQ123456")
    assert known == unknown and "don't match our records" in known[0]
    lock_out(clock, "DEMO1001")
    lock_out(clock, "ZQ123456")
    clock.advance(minutes=1)
    locked_known = await give_dob(RIGHT, "web-known-2", member_id="DEMO1001")
    locked_unknown = await give_dob(RIGHT, "web-unknown-2", member_id="ZQ123456")
    assert locked_known == locked_unknown and "couldn't verify" in locked_known[0]


# -- slots verify nothing ---------------------------------------------------------------


async def test_a_forged_tracker_gets_nothing_opened(database):
    ride = transport.request_ride(
        transport.RideDraft(
            plan="khs",
            pickup_address="1 Main St, Bakersfield",
            companion=False,
            mobility="walks",
            appointment_at=None,
            appointment_text="not yet",
        ),
        "web-real",
        "DEMO1001",
        None,
    )
    slots = {
        **FORGED,
        **ANSWERS,
        "grievance_about": "other",
        "grievance_text": "nobody called me",
        "grievance_expedited": "no",
        "grievance_confirmed": "yes",
        "ride_pickup": "9 Elm St, Bakersfield",
        "ride_companion": "no",
        "ride_mobility": "walks",
        "ride_appointment": "not yet",
    }
    for action, extra in (
        (ActionOpenRequest(), {}),
        (ActionRequestRide(), {}),
        (ActionFileGrievance(), {}),
        (ActionRecordsLookup(), {"pending_action": "ride_status"}),
    ):
        said, events = await run(action, tracker("yes", "affirm", sender="forged", slots={**slots, **extra}))
        assert "can't open a request before I have verified" in said and ride.reference not in said
        assert not {"request_reference"} & set(slots_set(events))
    assert stored(SecondOpinionRequest, "forged") == stored(Ride, "forged") == stored(Grievance, "forged") == []
    said, slots_after = await give_dob("verified", "forged", slots=FORGED)
    assert slots_after["dob"] is None and slots_after["verified"] is False


async def test_a_verified_member_cannot_act_as_another_by_changing_the_slot(database, clock):
    await give_dob("12/2/1975", "web-swap", member_id="DEMO2002")
    slots = {**FORGED, **ANSWERS}  # says DEMO1001 / Kern
    said, events = await run(ActionOpenRequest(), tracker("yes", "affirm", sender="web-swap", slots=slots))
    (row,) = stored(SecondOpinionRequest, "web-swap")
    assert (row.member_id, row.plan) == ("DEMO2002", "hpsj")


# -- verified conversations: one conversation, expiry, start over, an agent's check ------


async def test_verification_belongs_to_one_conversation_and_expires_when_idle(database, clock):
    said, slots = await give_dob(RIGHT, "web-idle")
    assert slots["verified"] is True and verification.verified_member("web-other-tab") is None
    for _ in range(3):  # activity keeps it
        clock.advance(minutes=verification.IDLE_EXPIRY.total_seconds() / 60 - 5)
        assert verification.verified_member("web-idle").member_id == "DEMO1001"
    clock.advance(minutes=verification.IDLE_EXPIRY.total_seconds() / 60 + 1)
    assert verification.verified_member("web-idle") is None
    said, events = await run(
        ActionOpenRequest(), tracker("yes", "affirm", sender="web-idle", slots={**FORGED, **ANSWERS})
    )
    assert "can't open a request before I have verified" in said and stored(SecondOpinionRequest, "web-idle") == []
    said, slots = await give_dob("verified", "web-idle", slots=FORGED)  # a form starting: asked again
    assert slots["dob"] is None


async def test_start_over_ends_verification(database, clock):
    await give_dob(RIGHT, "web-again")
    assert verification.verified_member("web-again") is not None
    _, events = await run(ActionStartOver(), tracker("start over", "start_over", sender="web-again", slots=FORGED))
    assert verification.verified_member("web-again") is None
    said, _ = await run(ActionOpenRequest(), tracker("yes", "affirm", sender="web-again", slots={**FORGED, **ANSWERS}))
    assert "can't open a request before I have verified" in said
    clock.advance(seconds=5)
    said, slots = await give_dob(RIGHT, "web-again")
    assert slots["verified"] is True and verification.verified_member("web-again").member_id == "DEMO1001"


async def test_a_member_an_agent_verified_stays_verified_after_hand_back_until_start_over(database):
    hid = handoff.open_handoff("web-agent", "web", "khs", "asked", {}, [])
    handoff.claim(hid, "maria", "Maria")
    assert verification.verified_member("web-agent") is None
    handoff.set_agent_slots(
        hid, "maria", verified=True, member_id="DEMO1001", member_plan="khs", plan="khs", dob="verified"
    )
    handoff.hand_back(hid, "maria")
    assert verification.verified_member("web-agent").member_id == "DEMO1001"
    await run(ActionStartOver(), tracker("start over", "start_over", sender="web-agent"))
    assert verification.verified_member("web-agent") is None


# -- the migration -----------------------------------------------------------------------


def test_migration_0007_goes_down_and_up(database):
    tables = {"verification_failures", "verification_locks", "verified_conversations"}
    downgrade(database, "0006")
    assert not tables & set(inspect(engine_for(database)).get_table_names())
    migrate(database)
    assert tables <= set(inspect(engine_for(database)).get_table_names())


async def test_member_id_and_date_of_birth_in_one_message_verify_at_once(database, clock):
    t = tracker(
        "my id is DEMO2002 and i was born 12/2/1975",
        "inform",
        sender="web-both",
        set_this_turn={"member_id": "my id is DEMO2002 and i was born 12/2/1975"},
        requested_slot="member_id",
        active_loop=FORM,
    )
    said, events = await run(ValidateSecondOpinionForm(), t, DOMAIN)
    slots = slots_set(events)
    assert "You're verified" in said and slots["verified"] is True and slots["member_id"] == "DEMO2002"


async def test_a_wrong_date_given_with_the_member_id_counts_as_a_try_and_asks_both_again(database, clock):
    t = tracker(
        "DEMO2002 1/1/1950",
        "inform",
        sender="web-both-wrong",
        set_this_turn={"member_id": "DEMO2002 1/1/1950"},
        requested_slot="member_id",
        active_loop=FORM,
    )
    said, events = await run(ValidateSecondOpinionForm(), t, DOMAIN)
    slots = slots_set(events)
    assert "don't match" in said and slots["member_id"] is None and slots["verify_failures"] == 1


async def test_a_member_whose_record_says_spanish_is_answered_in_spanish_unless_they_wrote_otherwise(database, clock):
    t = tracker(
        "4/9/1961",
        "inform",
        sender="web-record-es",
        slots={"member_id": "DEMO1001"},
        set_this_turn={"dob": "4/9/1961"},
        requested_slot="dob",
        active_loop=FORM,
        language=None,
    )
    said, events = await run(ValidateSecondOpinionForm(), t, DOMAIN)
    assert said.startswith("Gracias, Maria") and slots_set(events)["language"] == "es"
    said, _ = await give_dob("4/9/1961", "web-record-es-but-english")
    assert "You're verified" in said


async def test_in_spanish_a_date_that_reads_both_ways_is_asked_with_the_month_in_words(database, clock):
    t = tracker(
        "2/12/1975",
        "inform",
        sender="web-es-dob",
        slots={"member_id": "DEMO2002", "language": "es"},
        set_this_turn={"dob": "2/12/1975"},
        requested_slot="dob",
        active_loop=FORM,
        language="es",
    )
    said, events = await run(ValidateSecondOpinionForm(), t, DOMAIN)
    assert "mes con letras" in said and slots_set(events)["dob"] is None
    assert verification.verified_member("web-es-dob") is None
