"""What a member sees after the conversation (bot/notices.py): staff move a request
through the member-services API and the member who asked for a text gets exactly one,
in their language, through the durable outbox and (a local stand-in for) Twilio; a web
chat member sees the decision first on their next visit, once; a ride's reminder is due
the day before and never goes out for a cancelled ride."""

import time
import uuid
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from bot import notices
from bot.conversation_ids import sms_id
from bot.deadlines import PACIFIC, utcnow
from bot.second_opinions import open_request
from bot.store import session_scope
from bot.store.models import SecondOpinionRequest, SmsOutbound
from bot.store.repository import as_utc
from bot.transport import RideDraft, cancel_members_ride, request_ride
from bot.web.outbox import drain_once
from tests.records_helpers import a_draft
from tests.sms_helpers import PATH, FakeTwilio, signed, sms_env

TOKEN = "test-token-" + "x" * 20
AUTH = {"Authorization": f"Bearer {TOKEN}"}
PHONE = "+15595550142"
REASON_TEXT = "my chemo for lymphoma is not working"
DENIAL_REASONS = "Lymphoma care is available in network."


@pytest.fixture()
def twilio(database, monkeypatch):
    fake = FakeTwilio()
    sms_env(monkeypatch, TWILIO_API_BASE=fake.url, SMS_OUTBOX_POLL_SECONDS="0.1")
    monkeypatch.setenv("STAFF_API_TOKEN", TOKEN)
    yield fake
    fake.close()


def api():
    """The gateway without its start-up: no sender drains the outbox (drain_once does)."""
    from bot.web.app import create_app

    return TestClient(create_app())


def opened(conversation="web-decision-test", lang="en", member_id="DEC0001", channel="web"):
    draft = a_draft(
        reason="not_improving",
        reason_text=REASON_TEXT,
        initial_provider="Dr. Gomez",
        initial_specialty="oncology",
        initial_recommendation="more chemo",
        initial_date_text="in march",
    )
    return open_request(draft, conversation, channel, member_id=member_id, lang=lang).reference


def move(client, reference, status, **extra):
    return client.patch(f"/api/requests/{reference}", json={"status": status, **extra}, headers=AUTH)


def deny(client, reference):
    assert move(client, reference, "in_review").status_code == 200
    assert move(client, reference, "denied", reasons=DENIAL_REASONS).status_code == 200


def the_request(session, reference):
    return session.execute(select(SecondOpinionRequest).where(SecondOpinionRequest.reference == reference)).scalar_one()


def outbound():
    with session_scope() as s:
        return s.execute(select(SmsOutbound).order_by(SmsOutbound.id)).scalars().all()


def bodies(fake):
    return [t["Body"] for t in fake.sent]


def the_day_comes():
    with session_scope() as s:
        s.execute(update(SmsOutbound).values(next_try_at=utcnow() - timedelta(seconds=1)))


# -- decision texts ---------------------------------------------------------------------


def test_a_spanish_denial_is_one_text_in_spanish_with_the_reference_and_the_grievance_offer(twilio):
    reference = opened(lang="es")
    notices.record_consent(reference, True, "(559) 555-0142")
    deny(api(), reference)
    drain_once()
    drain_once()
    assert len(twilio.sent) == 1 and twilio.sent[0]["To"] == PHONE  # in review is no decision: no text
    (body,) = bodies(twilio)
    assert reference in body
    assert "negó su solicitud de segunda opinión" in body
    assert "Puede presentar una queja con su plan en cualquier momento." in body  # policies_kb
    assert "'poner una queja'" in body and "Servicios para Miembros" in body  # reply or call
    for secret in ("Lymphoma", "lymphoma", "chemo", "DEC0001", "Gomez"):
        assert secret not in body


def test_an_english_approval_says_what_changed_and_who_to_call(twilio):
    reference = opened()
    notices.record_consent(reference, True, PHONE)
    assert move(api(), reference, "approved").status_code == 200
    drain_once()
    (body,) = bodies(twilio)
    assert body == (
        f"Second Opinion Assistant\nKern Health Systems approved your second-opinion request {reference}. "
        "Questions? Call the Member Services number on your member ID card."
    )


@pytest.mark.parametrize("answer", [None, False])
def test_no_text_to_a_member_who_said_no_or_was_not_asked(twilio, answer):
    reference = opened()
    if answer is not None:
        notices.record_consent(reference, answer, PHONE)
    deny(api(), reference)
    drain_once()
    assert twilio.sent == [] and outbound() == []


def test_no_text_to_a_number_that_sent_stop(twilio):
    reference = opened()
    notices.record_consent(reference, True, PHONE)
    client = api()
    params, headers = signed("STOP", phone=PHONE)
    assert client.post(PATH, data=params, headers=headers).status_code == 200
    deny(client, reference)
    drain_once()
    assert twilio.sent == [] and outbound() == []


def test_a_change_applied_twice_is_texted_once(twilio):
    reference = opened()
    notices.record_consent(reference, True, PHONE)
    client = api()
    assert move(client, reference, "approved").status_code == 200
    assert move(client, reference, "approved").status_code == 409  # a retry of the same change
    with session_scope() as s:  # the hook run again for the same change
        assert notices.request_moved(s, the_request(s, reference)) is False
    drain_once()
    assert len(twilio.sent) == 1 and len(outbound()) == 1


def test_each_decision_is_its_own_text(twilio):
    reference = opened()
    notices.record_consent(reference, True, PHONE)
    client = api()
    for status in ("approved", "scheduled", "completed"):
        assert move(client, reference, status).status_code == 200
    drain_once()
    sent = bodies(twilio)
    assert len(sent) == 3 and all(reference in b for b in sent)
    assert "approved" in sent[0] and "is scheduled" in sent[1] and "now complete" in sent[2]


def test_a_change_made_while_no_gateway_runs_is_texted_once_when_one_starts(twilio):
    reference = opened()
    notices.record_consent(reference, True, PHONE)
    assert move(api(), reference, "approved").status_code == 200  # no sender is running
    assert twilio.sent == []
    from bot.web.app import create_app

    with TestClient(create_app()):  # a gateway starts: its sender drains the outbox
        deadline = time.monotonic() + 10
        while not twilio.sent and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.3)
    assert len(twilio.sent) == 1 and reference in twilio.sent[0]["Body"]
    assert drain_once() == 0


def test_a_texting_member_is_texted_at_their_own_number(twilio):
    """Consent given by SMS names no number: the gateway fills in the one the member texts from."""
    phone_hash = sms_id(PHONE, "test-id-key")
    reference = opened(conversation=phone_hash, channel="sms")
    notices.record_consent(reference, True)

    async def ask(sender, message, channel):  # as actions/notify.py answers a texting member's yes
        return [{"text": "Thanks, we'll text you.", "buttons": []}, {"custom": {notices.NUMBER_WANTED: True}}]

    from bot.web.app import create_app

    client = TestClient(create_app(assistant=SimpleNamespace(ask=ask)))
    params, headers = signed("yes, text me", phone=PHONE)
    assert client.post(PATH, data=params, headers=headers).status_code == 200
    deny(client, reference)
    drain_once()
    assert [t["To"] for t in twilio.sent] == [PHONE]


def test_consent_keeps_the_number_in_e164_and_a_no_clears_it(twilio):
    reference = opened()
    notices.record_consent(reference, True, "559.555.0142")
    with pytest.raises(ValueError):
        notices.record_consent(reference, True, "555-0142")
    with pytest.raises(LookupError):
        notices.record_consent("SO-ZZZZ-ZZZZ", True, PHONE)

    def stored():
        with session_scope() as s:
            row = the_request(s, reference)
            return row.notify_by_text, row.notify_phone, row.notify_answered_at is not None

    assert stored() == (True, PHONE, True)
    notices.record_consent(reference, False)
    assert stored() == (False, None, True)


# -- ride reminders -----------------------------------------------------------------------


def book(reference, appointment_at, conversation="web-decision-test"):
    draft = RideDraft(
        plan="khs",
        pickup_address="1 Main St",
        companion=False,
        mobility="walks",
        appointment_at=appointment_at,
        appointment_text="next week",
    )
    return request_ride(draft, conversation, "DEC0001", reference)


def in_days(days, hour=9):
    local = datetime.now(PACIFIC) + timedelta(days=days)
    return local.replace(hour=hour, minute=30, second=0, microsecond=0)


def test_a_ride_reminder_is_due_the_day_before_and_sent_then(twilio):
    reference = opened(lang="es")
    notices.record_consent(reference, True, PHONE)
    visit = in_days(5)
    ride = book(reference, visit)
    (row,) = outbound()
    due = as_utc(row.next_try_at).astimezone(PACIFIC)
    assert (due.date(), due.hour, due.minute) == (visit.date() - timedelta(days=1), 10, 0)
    assert drain_once() == 0 and twilio.sent == []  # not yet
    the_day_comes()
    drain_once()
    (body,) = bodies(twilio)
    assert ride.reference in body and "mañana" in body and twilio.sent[0]["To"] == PHONE


def test_a_cancelled_ride_gets_no_reminder(twilio):
    reference = opened()
    notices.record_consent(reference, True, PHONE)
    ride = book(reference, in_days(5))
    cancel_members_ride(ride.reference, "DEC0001", "cancelled by the member")
    the_day_comes()
    assert drain_once() == 0 and twilio.sent == []
    assert [(r.status, r.phone, r.body) for r in outbound()] == [("skipped", None, None)]


def test_no_reminder_without_a_number_or_when_the_day_before_has_come(twilio):
    reference = opened()  # a web member who was not asked about texts
    book(reference, in_days(5))
    notices.record_consent(reference, True, PHONE)
    book(reference, in_days(0, hour=23))  # booked for today or tomorrow: the day before has come
    assert outbound() == []


def test_a_texting_members_ride_reminder_waits_for_their_number(twilio):
    phone_hash = sms_id(PHONE, "test-id-key")
    ride = book(None, in_days(4), conversation=phone_hash)
    (row,) = outbound()
    assert (row.phone, row.phone_hash) == (None, phone_hash)
    the_day_comes()
    assert drain_once() == 0  # no number yet
    notices.sms_turn_done(phone_hash, PHONE)  # what the gateway does after the member's turn
    drain_once()
    assert [(t["To"], ride.reference in t["Body"]) for t in twilio.sent] == [(PHONE, True)]


# -- the web chat -------------------------------------------------------------------------


def test_the_web_chat_shows_the_decision_first_on_the_next_visit_once(twilio):
    from bot.conversation_ids import web_id
    from bot.web.app import create_app

    async def ask(sender, message, channel):
        return [{"text": "assistant answer", "buttons": []}]

    token = f"decision-session-{uuid.uuid4().hex}"
    reference = opened(conversation=web_id(token), lang="es")  # the member did not ask for texts
    client = TestClient(create_app(assistant=SimpleNamespace(ask=ask)), base_url="http://127.0.0.1")
    deny(client, reference)

    def visit():
        with client.websocket_connect("/ws/chat") as ws:
            ws.send_json({"type": "hello", "session": token})
            assert ws.receive_json()["type"] == "welcome"
            ws.send_json({"type": "message", "id": uuid.uuid4().hex, "text": "hola"})
            frames = [ws.receive_json()]
            while frames[-1]["type"] != "bot":
                frames.append(ws.receive_json())
            return [f["text"] for f in frames if f["type"] == "notice"], frames

    shown, frames = visit()
    assert len(shown) == 1 and reference in shown[0] and "negó" in shown[0]
    assert frames[0]["type"] == "notice"  # before anything else
    assert DENIAL_REASONS not in shown[0]
    assert visit()[0] == []  # once
    assert twilio.sent == []  # and no text: the member did not ask for one


def test_the_texts_are_short():
    """English within two SMS segments; Spanish needs accents, so its segments are shorter."""
    from bot.messages import text

    values = {
        "plan_name": "Partnership HealthPlan of California",
        "reference": "SO-ABCD-EFGH",
        "phone": text("member_services_phone_card"),
        "rule": "You can file a grievance (a complaint) with your plan at any time.",
        "appointment": "Thu Dec 3, 10:30 AM",
    }
    for key in ("decision_approved", "decision_scheduled", "decision_completed", "decision_denied", "ride_reminder"):
        assert len(text(key, "en", **values)) <= 306, key
        assert len(text(key, "es", **values)) <= 320, key


def test_reminder_due_is_pacific_time():
    visit = datetime(2026, 3, 9, 17, 0, tzinfo=timezone.utc)  # 10:00 Pacific, the day after the clocks change
    assert notices.reminder_due(visit) == datetime(2026, 3, 8, 10, 0, tzinfo=PACIFIC)
