"""The SMS webhook: signatures, replays, opt-out, HELP, privacy, splitting, choices and
outbound texts through (a local stand-in for) Twilio's REST API. The assistant behind
the gateway is replaced here by a recorded exchange; the full SMS conversation with
the real assistant is in tests/conversations/test_end_to_end.py."""

import asyncio
import time
from types import SimpleNamespace

import pytest
from fastapi.testclient import TestClient

from bot.conversation_ids import sms_id
from bot.web import live, sms
from tests.sms_helpers import PATH, FakeTwilio, signed, sms_env, texts_of

ASSISTANT_SAID = [
    {"text": "Hi, I'm the Second Opinion Assistant."},
    {
        "text": "What would you like to do?",
        "buttons": [
            {"title": "Ask about my rights", "payload": "/ask_rights_overview"},
            {"title": "Start a request", "payload": "/request_second_opinion"},
        ],
    },
]


@pytest.fixture()
def gateway(monkeypatch):
    sms_env(monkeypatch)
    received = []

    async def ask(sender, message, channel):
        received.append((sender, message))
        return ASSISTANT_SAID

    from bot.web.app import create_app

    with TestClient(create_app(assistant=SimpleNamespace(ask=ask))) as client:
        client.received = received
        yield client


def post(client, body, **kw):
    params, headers = signed(body, **kw)
    return client.post(PATH, data=params, headers=headers)


def test_forged_and_missing_signatures_get_403(gateway):
    params, _ = signed("hi")
    assert gateway.post(PATH, data=params).status_code == 403
    params, headers = signed("hi", token="another-token")
    assert gateway.post(PATH, data=params, headers=headers).status_code == 403
    params, headers = signed("hi")
    params["Body"] = "tampered"
    assert gateway.post(PATH, data=params, headers=headers).status_code == 403
    assert gateway.received == []


def test_first_text_says_texts_are_not_encrypted_then_numbers_map_to_choices(gateway):
    first = texts_of(post(gateway, "hi", phone="+15595550001").text)
    assert "not encrypted" in first[0] and "Reply 2 for Start a request" in " ".join(first)
    second = texts_of(post(gateway, "2", phone="+15595550001").text)
    assert not any("not encrypted" in t for t in second)
    assert gateway.received[-1][1] == "/request_second_opinion"


def test_conversation_id_is_a_keyed_hash_not_the_number(gateway):
    post(gateway, "hello", phone="+15595550123")
    sender = gateway.received[-1][0]
    assert sender.startswith("sms-") and "5595550123" not in sender
    assert sender == sms_id("+15595550123", "test-id-key")
    assert sender != sms_id("+15595550123", "another-key")


def test_a_leading_slash_is_text_never_an_intent(gateway):
    post(gateway, "/request_second_opinion")
    assert gateway.received[-1][1] == "request_second_opinion"


def test_a_replayed_message_sid_is_answered_once(gateway):
    params, headers = signed("hello", sid="SMreplay0000000000000000000000001")
    first = gateway.post(PATH, data=params, headers=headers)
    again = gateway.post(PATH, data=params, headers=headers)
    assert texts_of(first.text) and texts_of(again.text) == []
    assert len(gateway.received) == 1


def test_stop_then_nothing_until_start(gateway):
    phone = "+15595550999"
    post(gateway, "hello", phone=phone)
    assert texts_of(post(gateway, "STOP", phone=phone).text) == []
    for body in ("hello?", "I want a second opinion", "HELP"):
        assert texts_of(post(gateway, body, phone=phone).text) == []
    assert len(gateway.received) == 1
    started = texts_of(post(gateway, "START", phone=phone).text)
    assert "again" in started[0]
    assert texts_of(post(gateway, "hi", phone=phone).text)


@pytest.mark.parametrize("word", ["stop", "STOPALL", "Unsubscribe", "cancel", "END", "quit", "REVOKE", "opt out"])
def test_every_opt_out_word(gateway, word):
    phone = f"+1559555{abs(hash(word)) % 10000:04d}"
    post(gateway, word, phone=phone)
    assert texts_of(post(gateway, "hello", phone=phone).text) == []


@pytest.mark.parametrize("word", ["PARAR", "parar", "Cancelar", "ALTO", "basta!"])
def test_spanish_opt_out_words_stop_texts_and_are_confirmed_in_spanish(gateway, word):
    phone = f"+1559556{abs(hash(word)) % 10000:04d}"
    post(gateway, "hola", phone=phone)
    (confirmed,) = texts_of(post(gateway, word, phone=phone).text)
    assert "ya no le vamos a mandar textos" in confirmed and "COMENZAR" in confirmed
    assert texts_of(post(gateway, "hola, necesito ayuda", phone=phone).text) == []
    assert len(gateway.received) == 1
    assert "otra vez" in texts_of(post(gateway, "COMENZAR", phone=phone).text)[0]


def test_ayuda_is_answered_in_spanish(gateway):
    (reply,) = texts_of(post(gateway, "Ayúda", phone="+15595550778").text)
    assert "Asistente de Segunda Opinión" in reply and "Servicios para Miembros" in reply
    assert "PARAR" in reply and "STOP" not in reply
    assert gateway.received == []


def test_a_first_text_in_spanish_gets_the_privacy_notice_in_spanish(gateway):
    first = texts_of(post(gateway, "hola, necesito una segunda opinión", phone="+15595550779").text)
    assert "no están cifrados" in first[0]


def test_help(gateway):
    (reply,) = texts_of(post(gateway, "HELP", phone="+15595550777").text)
    assert "Second Opinion Assistant" in reply and "Msg & data rates may apply" in reply
    assert "STOP" in reply and "Member Services" in reply


def test_a_5000_character_message_gets_an_answer_in_pieces_under_1600(gateway, monkeypatch):
    long_reply = " ".join(f"Sentence number {i} of a long answer." for i in range(200))

    async def ask(sender, message, channel):
        gateway.received.append((sender, message))
        return [{"text": long_reply}]

    gateway.app.state.assistant = SimpleNamespace(ask=ask)
    r = post(gateway, "x" * 10 + " my story " * 500)
    assert r.status_code == 200
    pieces = texts_of(r.text)
    assert all(len(p) <= 1600 for p in pieces) and len(pieces) >= 3
    assert " ".join(pieces[1:]).replace("  ", " ").endswith("Sentence number 199 of a long answer.")
    assert len(gateway.received[-1][1]) >= 5000  # the member's words reach the assistant whole


def test_split_message_keeps_sentences_whole():
    body = "First sentence. " * 150
    pieces = sms.split_message(body)
    assert all(len(p) <= 1600 and p.endswith(".") for p in pieces)
    assert sum(p.count("First sentence.") for p in pieces) == 150


def test_a_late_reply_goes_out_through_twilio_rest(monkeypatch):
    fake = FakeTwilio()
    sms_env(monkeypatch, SMS_REPLY_TIMEOUT="0.05", TWILIO_API_BASE=fake.url)

    async def slow_ask(sender, message, channel):
        await asyncio.sleep(0.5)
        return [{"text": "Here is the answer that took a while."}]

    from bot.web.app import create_app

    try:
        with TestClient(create_app(assistant=SimpleNamespace(ask=slow_ask))) as client:
            first = texts_of(post(client, "how much does it cost?", phone="+15595550456").text)
            assert first == [t for t in first if "not encrypted" in t]  # only the notice, now
            deadline = time.monotonic() + 10
            while not fake.sent and time.monotonic() < deadline:
                time.sleep(0.05)
        (sent,) = fake.sent
        assert sent["path"] == "/2010-04-01/Accounts/ACtest/Messages.json"
        assert (sent["To"], sent["From"], sent["Body"]) == (
            "+15595550456",
            "+15550001111",
            "Here is the answer that took a while.",
        )
    finally:
        fake.close()


def test_choices_texted_after_a_handoff_are_the_ones_the_numbers_answer(gateway, monkeypatch):
    """The assistant taking a texting member back offers new choices: "1" answers those,
    not the ones offered before the handoff."""
    fake = FakeTwilio()
    monkeypatch.setenv("TWILIO_API_BASE", fake.url)
    phone = "+15595550321"
    try:
        post(gateway, "hi", phone=phone)  # 1: rights overview, 2: a request
        view = SimpleNamespace(channel="sms", reply_to=phone, conversation_id=sms_id(phone, "test-id-key"))
        back = [
            {"text": "You're back with the assistant.", "buttons": [{"title": "Book a ride", "payload": "/ask_ride"}]}
        ]
        gateway.portal.call(live.assistant_said, gateway.app, view, back)
        deadline = time.monotonic() + 10
        while not fake.sent and time.monotonic() < deadline:
            time.sleep(0.05)
        assert "Reply 1 for Book a ride" in fake.sent[0]["Body"]
        post(gateway, "1", phone=phone)
        assert gateway.received[-1][1] == "/ask_ride"
    finally:
        fake.close()


def test_a_read_back_keeps_its_lines_apart_by_text():
    body = "Here is what I have:\nPlan: Health Net\nUrgent: no\nReply YES to send it. Or tell me what to change."
    assert sms.split_message(body) == [body]
    (piece,) = sms.split_message("One.  Two.\n\n  Three.")
    assert piece == "One. Two.\nThree."
