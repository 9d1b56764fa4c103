"""The durable SMS outbox, drained through a local stand-in for Twilio's REST API: a text
queued is sent exactly once, whatever happens between queueing and sending (no gateway
running, Twilio erring, a worker dying mid-send, two workers draining at once)."""

import threading
import time
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from bot import sms_queue
from bot.conversation_ids import sms_id
from bot.deadlines import utcnow
from bot.store import session_scope
from bot.store.models import SmsContact, SmsOutbound
from bot.store.repository import as_utc
from bot.web.outbox import drain_once, split_message
from tests.sms_helpers import FakeTwilio, sms_env

PHONE = "+15595550777"


@pytest.fixture()
def twilio(database, monkeypatch):
    fake = FakeTwilio()
    sms_env(monkeypatch, TWILIO_API_BASE=fake.url, SMS_OUTBOX_POLL_SECONDS="0.1")
    yield fake
    fake.close()


def queue(body, key=None, phone=PHONE):
    return sms_queue.enqueue(phone, sms_id(phone, "test-id-key"), body, key)


def rows():
    with session_scope() as s:
        return s.execute(select(SmsOutbound).order_by(SmsOutbound.id)).scalars().all()


def time_passes():
    """Every text waiting for a retry is due now."""
    with session_scope() as s:
        s.execute(update(SmsOutbound).values(next_try_at=utcnow() - timedelta(seconds=1)))


def bodies(fake):
    return [t["Body"] for t in fake.sent]


def test_a_text_queued_while_no_gateway_runs_goes_out_when_one_starts(twilio):
    queue("Maria from Member Services: your ride is booked.")  # the gateway that queued it stopped
    from bot.web.app import create_app

    with TestClient(create_app()):
        deadline = time.monotonic() + 10
        while not twilio.sent and time.monotonic() < deadline:
            time.sleep(0.05)
    assert bodies(twilio) == ["Maria from Member Services: your ride is booked."]
    assert twilio.sent[0]["To"] == PHONE
    (row,) = rows()
    assert (row.status, row.attempts, row.phone, row.body) == ("sent", 1, None, None)


def test_a_twilio_error_is_tried_again_later_and_the_text_sent_once(twilio):
    twilio.fail_next = [500]
    queue("Your request is in.")
    assert drain_once() == 1 and twilio.sent == []
    (row,) = rows()
    assert (row.status, row.last_error) == ("queued", "Twilio 500, code 20500")
    assert as_utc(row.next_try_at) > utcnow() and row.body == "Your request is in."
    assert drain_once() == 0  # not due yet
    time_passes()
    assert drain_once() == 1
    assert bodies(twilio) == ["Your request is in."]
    assert [(r.status, r.attempts) for r in rows()] == [("sent", 2)]


def test_a_number_twilio_refuses_is_not_tried_again(twilio):
    twilio.fail_next = [400]
    queue("Hello")
    drain_once()
    time_passes()
    assert drain_once() == 0
    (row,) = rows()
    assert (row.status, row.last_error, row.phone, row.body) == ("failed", "Twilio 400, code 21211", None, None)


def test_a_text_is_given_up_after_the_attempts_allowed(twilio, monkeypatch):
    monkeypatch.setenv("SMS_SEND_ATTEMPTS", "2")
    twilio.fail_next = [503, 503, 503]
    queue("Hello")
    drain_once()
    time_passes()
    drain_once()
    time_passes()
    assert drain_once() == 0 and twilio.sent == []
    assert [(r.status, r.attempts) for r in rows()] == [("failed", 2)]


def test_a_long_text_cut_short_by_an_error_goes_on_from_the_piece_that_failed(twilio):
    long_text = " ".join(f"Sentence number {i} of a long answer." for i in range(120))
    assert len(split_message(long_text)) == 3
    twilio.fail_next = [201, 500]
    queue(long_text)
    drain_once()
    time_passes()
    drain_once()
    sent = bodies(twilio)
    assert len(sent) == 3 and len(set(sent)) == 3
    assert " ".join(sent) == long_text


def test_the_same_key_is_queued_once(twilio):
    assert queue("Maria: are you still there?", key="agent-message:7") is True
    assert queue("Maria: are you still there?", key="agent-message:7") is False
    drain_once()
    assert bodies(twilio) == ["Maria: are you still there?"]


def test_a_number_that_said_stop_gets_nothing(twilio):
    with session_scope() as s:
        s.add(SmsContact(phone_hash=sms_id(PHONE, "test-id-key"), opted_out=True))
    queue("Your request is in.")
    drain_once()
    assert twilio.sent == []
    assert [(r.status, r.phone, r.body) for r in rows()] == [("skipped", None, None)]


def test_a_text_left_by_a_worker_that_died_mid_send_is_sent_by_another(twilio):
    queue("Your ride is booked.")
    (claimed,) = sms_queue.claim_due()  # this worker dies before sending
    assert drain_once() == 0  # its lease holds
    with session_scope() as s:
        s.execute(update(SmsOutbound).values(next_try_at=utcnow() - timedelta(seconds=1)))  # the lease ran out
    assert drain_once() == 1
    assert bodies(twilio) == ["Your ride is booked."]
    assert [(r.status, r.attempts) for r in rows()] == [("sent", 2)]
    assert claimed.body == "Your ride is booked."


def test_workers_draining_at_once_send_each_text_once(twilio, database):
    if not database.startswith("postgresql"):
        pytest.skip("several gateway workers run on PostgreSQL (SKIP LOCKED); SQLite is one process")
    texts = [f"Text number {i}." for i in range(40)]
    for body in texts:
        queue(body)

    def worker():
        while drain_once():
            pass

    workers = [threading.Thread(target=worker) for _ in range(4)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert sorted(bodies(twilio)) == sorted(texts)
    assert {r.status for r in rows()} == {"sent"}
