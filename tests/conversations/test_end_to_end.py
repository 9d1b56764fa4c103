"""The whole assistant, end to end: trained model, Rasa's REST webhook and the action
server, from a member's first message to a stored request."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.deadlines import to_pacific
from bot.members import seed_demo_roster
from bot.store import migrate, session_scope
from bot.store.models import SecondOpinionRequest
from bot.store.repository import as_utc
from tests import harness
from tests.databases import database_url_for

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def assistant(request, trained_model, tmp_path_factory):
    """The running assistant, once on SQLite files and once on the local PostgreSQL
    (requests, members and Rasa's tracker store all in it)."""
    work = tmp_path_factory.mktemp("e2e")
    url = database_url_for(request.param, work, "e2e")
    migrate(url)
    seed_demo_roster(url)
    running = harness.start(work, url)
    yield running
    running.stop()


def chat(assistant, sender, *messages):
    said = []
    for message in messages:
        said.append(" ".join(assistant.send(sender, message)))
    return said


def stored(assistant, sender):
    with session_scope(assistant.database_url) as s:
        return (
            s.execute(select(SecondOpinionRequest).where(SecondOpinionRequest.conversation_id == sender))
            .scalars()
            .all()
        )


def test_kern_member_from_first_message_to_reference(assistant):
    said = chat(
        assistant,
        "e2e-khs",
        "hi",
        "im with kern family and my doctor wants to do knee surgery but i dont think i need it",
        "DEMO1001",
        "4/9/61",
        "Dr. Patel, orthopedic surgeon",  # what they recommended was in the first message
        "about 2 weeks ago",
        "me",
        "in network",
        "no",
        "no",
    )
    assert "Chief Medical Officer" in said[-1] and "7 calendar days" in said[-1]
    final = chat(assistant, "e2e-khs", "yes")[0]
    assert "reference number is SO-" in final and "should decide by" in final
    (row,) = stored(assistant, "e2e-khs")
    assert row.reference in final and row.member_id == "DEMO1001"
    assert (row.plan, row.reason, row.network, row.urgency, row.authorization_required) == (
        "khs",
        "surgery_necessity",
        "in_network",
        "routine",
        True,
    )
    assert row.initial_provider == "Dr. Patel" and row.initial_specialty == "orthopedics"
    assert row.initial_recommendation == "knee surgery"
    assert row.decision_due_at is not None
    received, due = to_pacific(as_utc(row.received_at)), to_pacific(as_utc(row.decision_due_at))
    assert due.date() == received.date() + timedelta(days=7)


def test_partnership_out_of_network_urgent_with_a_correction_and_double_yes(assistant):
    chat(
        assistant,
        "e2e-phc",
        "i need a second opinion",
        "demo 4004",
        "January 30 1950",
        "they found a tumor and my oncologist wants surgery, i want to be sure",
        "dr lee oncologist",
        "remove the tumor next month",
        "last week",
        "my husband is asking for me",
        "out of network",
        "Dr. Chen at Stanford",
        "no",
    )
    said = chat(assistant, "e2e-phc", "actually it's urgent")[0]
    assert "72 hours" in said and "Urgent: yes" in said
    # the second yes answers "a text when there is news?"; a third is a repeated confirmation
    first, second, third = chat(assistant, "e2e-phc", "yes", "yes", "yes")
    assert "reference number is SO-" in first and "ending in 0104" in second and "already in" in third
    (row,) = stored(assistant, "e2e-phc")
    assert (row.plan, row.network, row.urgency, row.requested_by, row.authorization_required) == (
        "partnership",
        "out_of_network",
        "urgent",
        "representative",
        True,
    )
    assert row.preferred_provider == "Dr. Chen at Stanford"
    assert as_utc(row.decision_due_at) - as_utc(row.received_at) == timedelta(hours=72)


def test_hpsj_in_network_needs_no_authorization(assistant):
    chat(
        assistant,
        "e2e-hpsj",
        "i want a 2nd opinion, i have hpsj",
        "DEMO2002",
        "1975-12-02",
        "my back pain is not getting better after 6 months of pt",
        "my pcp",
        "more physical therapy",
        "in march",
        "1",
        "1",
        "no",
        "no",
    )
    final = chat(assistant, "e2e-hpsj", "yes")[0]
    assert "No approval is needed" in final
    (row,) = stored(assistant, "e2e-hpsj")
    assert (row.plan, row.reason, row.authorization_required, row.decision_due_at) == (
        "hpsj",
        "not_improving",
        False,
        None,
    )


def test_three_failed_verifications_open_nothing(assistant):
    said = chat(
        assistant,
        "e2e-locked",
        "i want a second opinion",
        "DEMO4004",
        "2/2/1950",
        "DEMO4004",
        "3/3/1950",
        "DEMO4004",
        "4/4/1950",
    )
    assert "try 2 of 3" in said[2] and "try 3 of 3" in said[4]
    assert "couldn't verify" in said[6] and "Member Services" in said[6]
    after = chat(assistant, "e2e-locked", "start over", "i want a second opinion", "yes")
    assert not any("reference number" in s for s in after)
    assert stored(assistant, "e2e-locked") == []


def test_named_plan_differing_from_the_record_is_pointed_out(assistant):
    said = chat(assistant, "e2e-mismatch", "im with health net and want a second opinion", "DEMO1001", "April 9 1961")
    assert "records show you're a Kern Health Systems member, not Health Net" in said[-1]


def test_rights_answers_name_their_policy(assistant):
    said = chat(
        assistant,
        "e2e-rights",
        "does partnership need approval for an out of network second opinion?",
        "what if the doctors disagree?",
    )
    assert "Partnership policy MPUP3078" in said[0] and "prior authorization" in said[0]
    assert "does not say" in said[1]


def test_danger_words_come_first(assistant):
    said = chat(assistant, "e2e-danger", "i want a second opinion", "i cant breathe")
    assert said[1].startswith("If this is an emergency, call 911") and "988" in said[1]


def test_misunderstood_twice_a_clinical_question_or_a_conduct_complaint_reach_a_person(assistant):
    # The harness runs outside member-services hours: the member is offered a callback.
    said = chat(assistant, "e2e-lost", "asdkjh qwe zxcv", "qwpoeiru zmxncb")
    assert "didn't understand" in said[0] and "trouble understanding" in said[1] and "call you back" in said[1]
    said = chat(assistant, "e2e-clinical", "hi", "is it ok to stop taking my blood pressure pills")
    assert "can't answer medical questions" in said[1] and "What phone number" in said[1]
    said = chat(assistant, "e2e-conduct", "the surgeon yelled at me and was really rude", "209 555 0142", "after 3pm")
    assert "sorry that happened" in said[0] and "When is a good time" in said[1] and "ending in 0142" in said[2]


def test_gibberish_start_over_and_a_person(assistant):
    said = chat(assistant, "e2e-misc", "asdkjh qwe zxcv", "talk to a person", "start over")
    assert "didn't understand" in said[0]
    assert "Member Services" in said[1]
    assert "start over" in said[2]


def test_conversations_are_kept_in_the_tracker_store(assistant):
    from sqlalchemy import create_engine, text

    engine = create_engine(assistant.tracker_url, future=True)
    with engine.connect() as conn:
        senders = {r[0] for r in conn.execute(text("SELECT DISTINCT sender_id FROM events"))}
    engine.dispose()
    assert {"e2e-khs", "e2e-phc"} <= senders


def test_no_member_details_in_the_logs(assistant):
    secrets = [
        "Patel",
        "knee replacement",
        "remove the tumor",
        "Stanford",
        "tumor",
        "DEMO1001",
        "DEMO4004",
        "1961",
        "1950",
        "Maria",
        "Linh",
    ]
    logs = assistant.log_text()
    assert logs, "the servers wrote no log at all"
    leaked = [s for s in secrets if s.lower() in logs.lower()]
    assert not leaked, f"member details in the logs: {leaked}"


def _api(assistant, monkeypatch):
    from fastapi.testclient import TestClient

    from bot.web.app import create_app

    monkeypatch.setenv("DATABASE_URL", assistant.database_url)
    monkeypatch.setenv("STAFF_API_TOKEN", "e2e-token-1234567890")
    return TestClient(create_app()), {"Authorization": "Bearer e2e-token-1234567890"}


def test_request_then_a_wheelchair_ride_visible_through_the_api(assistant, monkeypatch):
    said = chat(
        assistant,
        "e2e-ride",
        "i want a second opinion",
        "DEMO3003",
        "7/15/1988",
        "my leg is not healing after months and they want to amputate",
        "Dr. Haddad vascular surgeon",
        "amputation",
        "last week",
        "me",
        "in network",
        "no",
        "no",
        "yes",
    )
    # asked about a text when there is news; asking for a ride instead starts the ride
    assert "reference number is SO-" in said[-1] and "number on file ending in 0103" in said[-1]
    said = chat(
        assistant,
        "e2e-ride",
        "I need a ride to my second opinion appointment",
        "not yet",
        "45 Oak Ave, Modesto",
        "yes",
        "3",
    )
    assert "wheelchair van" in said[-1] and "Physician Certification Statement" in said[-1]
    assert "UM16, section III.F" in said[-1]
    final = chat(assistant, "e2e-ride", "yes")[0]
    assert "Ride reference: RD-" in final
    client, auth = _api(assistant, monkeypatch)
    (request,) = client.get("/api/requests", params={"member_id": "DEMO3003"}, headers=auth).json()
    rides = client.get("/api/rides", params={"request": request["reference"]}, headers=auth).json()
    assert len(rides) == 1 and rides[0]["reference"] in final
    assert (rides[0]["mode"], rides[0]["pcs_required"], rides[0]["companion"]) == ("nemt", True, True)


def test_grievance_filed_in_the_conversation_with_dates_and_visible_through_the_api(assistant, monkeypatch):
    said = chat(assistant, "e2e-griev", "i want to file a grievance")
    assert "42 CFR 438.402" in said[0] and "1-888-466-2219" in said[0]
    said = chat(
        assistant,
        "e2e-griev",
        "DEMO5005",
        "11/11/1969",
        "3",
        "I asked about my second opinion two weeks ago and nobody ever called me back",
        "no",
    )
    assert "Member Services Department" in said[1]  # Health Net's own rule, once verified
    assert "Fast (expedited) handling: no" in said[-1]
    final = chat(assistant, "e2e-griev", "yes")[0]
    assert "Reference: GR-" in final and "acknowledge it by" in final and "resolve it by" in final
    client, auth = _api(assistant, monkeypatch)
    (g,) = client.get("/api/grievances", params={"member_id": "DEMO5005"}, headers=auth).json()
    assert g["reference"] in final and g["about"] == "handling" and g["expedited"] is False
    assert "nobody ever called me back" in g["account_text"]


def test_a_denial_is_offered_at_the_start_of_the_next_conversation(assistant, monkeypatch):
    chat(
        assistant,
        "e2e-deny-1",
        "i want a second opinion",
        "DEMO2002",
        "12/2/1975",
        "the tests conflict and nobody knows whats wrong",
        "Dr. Sato",
        "internist",
        "more tests",
        "in june",
        "me",
        "out of network",
        "Dr. Ruiz at UCSF",
        "no",
    )
    opened = chat(assistant, "e2e-deny-1", "yes")[0]
    reference = re.search(r"SO-[A-Z0-9]{4}-[A-Z0-9]{4}", opened).group(0)
    client, auth = _api(assistant, monkeypatch)
    request = client.get(f"/api/requests/{reference}", headers=auth).json()
    assert request["member_id"] == "DEMO2002" and request["network"] == "out_of_network"
    r = client.patch(
        f"/api/requests/{reference}",
        json={"status": "denied", "reasons": "A qualified network specialist is available."},
        headers=auth,
    )
    assert r.status_code == 200 and "1368.02" not in r.json()["denial_notice"][:20]
    said = chat(assistant, "e2e-deny-2", "is my ride booked", "DEMO2002", "12/2/1975")
    assert reference in said[-1] and "A qualified network specialist is available." in said[-1]
    assert "file a grievance" in said[-1]
    again = chat(assistant, "e2e-deny-3", "is my ride booked", "DEMO2002", "12/2/1975")
    assert reference not in again[-1], "the denial is offered once"


def test_a_whole_request_by_sms_through_the_gateway(assistant, monkeypatch):
    from fastapi.testclient import TestClient

    from bot.web.app import create_app
    from tests.sms_helpers import PATH, signed, sms_env, texts_of

    sms_env(monkeypatch, RASA_URL=assistant.url, SMS_REPLY_TIMEOUT="60")
    monkeypatch.setenv("DATABASE_URL", assistant.database_url)
    phone = "+15595550142"
    replies, pieces = [], []
    with TestClient(create_app()) as gateway:
        for body in [
            "I need a second opinion",
            "DEMO4004",
            "1/30/1950",
            "my surgeon wants to do a spinal fusion and i'm not sure i need it",
            "Dr. Okafor orthopedic surgeon",
            "spinal fusion",
            "last month",
            "1",
            "2",
            "Dr. Chen at Stanford",
            "no",
            "yes",
        ]:
            params, headers = signed(body, phone=phone)
            r = gateway.post(PATH, data=params, headers=headers)
            assert r.status_code == 200
            pieces += texts_of(r.text)
            replies.append(" ".join(texts_of(r.text)))
    assert "not encrypted" in replies[0]
    assert "Reply YES" in replies[-2] and "Partnership" in replies[-2]
    assert "reference number is SO-" in replies[-1]
    everything = " ".join(replies)
    assert "spinal fusion" not in everything.lower()  # no diagnosis repeated by text
    assert "DEMO4004" not in everything  # nor the member ID
    assert all(0 < len(p) <= 1600 for p in pieces)
    rows = [r for r in stored_by_channel(assistant, "sms") if r.member_id == "DEMO4004"]
    assert len(rows) == 1 and rows[0].conversation_id.startswith("sms-")
    assert "5595550142" not in rows[0].conversation_id
    assert (rows[0].network, rows[0].requested_by) == ("out_of_network", "member")


def stored_by_channel(assistant, channel):
    with session_scope(assistant.database_url) as s:
        return s.execute(select(SecondOpinionRequest).where(SecondOpinionRequest.channel == channel)).scalars().all()


# The dates of birth members typed in this module, as they typed them.
TYPED_DOBS = (
    "4/9/61",
    "January 30 1950",
    "1975-12-02",
    "2/2/1950",
    "3/3/1950",
    "4/4/1950",
    "April 9 1961",
    "7/15/1988",
    "11/11/1969",
    "12/2/1975",
    "1/30/1950",
)


def test_no_date_of_birth_a_member_typed_is_kept_anywhere(assistant):
    """Runs last in this module: every table of the records' and the conversations'
    databases (but the roster's own record), and the servers' logs."""
    from sqlalchemy import create_engine, inspect, text

    found = []
    for url in {assistant.database_url, assistant.tracker_url}:
        engine = create_engine(url, future=True)
        with engine.connect() as conn:
            for table in inspect(engine).get_table_names():
                if table in ("members", "alembic_version"):
                    continue
                for row in conn.execute(text(f'SELECT * FROM "{table}"')):
                    found += [(table, dob) for dob in TYPED_DOBS if dob in " ".join(map(str, row))]
        engine.dispose()
    assert found == []
    logs = assistant.log_text()
    assert not [dob for dob in TYPED_DOBS if dob in logs]
    hidden = chat(assistant, "e2e-khs", "what did i tell you my birthday was?")
    assert "4/9/61" not in " ".join(hidden)
