"""Todo en español, with the real assistant (trained model, REST channel, action server):
a member who writes in Spanish is answered in Spanish from then on, through to a
reference number; a crisis gets 911/988 in Spanish; "English please" switches back."""

import pytest
from sqlalchemy import select

from bot.messages import text
from bot.store import session_scope
from bot.store.models import SecondOpinionRequest
from tests import harness

pytestmark = pytest.mark.slow

# A Spanish-speaking member's answers, by the catalog question (Spanish) they answer.
ANSWERS = [
    ("ask_member_id", "DEMO2002 2/12/1975"),  # day first: which is the month? asked
    ("ask_dob", "2 de diciembre de 1975"),
    ("ask_reason_text", "mi doctor me quiere operar de la vesícula y no estoy segura si lo necesito"),
    ("ask_reason_choices", "1"),
    ("ask_initial_provider", "la dra. Nguyen, cirujana"),
    ("ask_initial_specialty", "cirujana"),
    ("ask_initial_recommendation", "quitarme la vesícula"),
    ("ask_initial_date", "la semana pasada"),
    ("ask_requested_by", "yo misma"),
    ("ask_network", "1"),
    ("ask_preferred_provider", "no, cualquiera de la red"),
    ("ask_urgency", "no es urgente"),
]


@pytest.fixture(scope="module")
def assistant(trained_model, tmp_path_factory):
    running = harness.start_on_sqlite(tmp_path_factory.mktemp("spanish"), "spanish")
    yield running
    running.stop()


def answer_in_spanish(assistant, sender, said):
    for _ in range(20):
        if any(text("ask_confirmed", "es") in s for s in said):
            return said
        answer = next((a for key, a in ANSWERS if text(key, "es").split("{")[0][:30] in said[-1]), None)
        assert answer, f"a question not in Spanish, or not expected: {said[-1]!r}"
        said = assistant.send(sender, answer)
    raise AssertionError("never reached the read-back")


def test_a_spanish_speaking_member_opens_a_request_in_spanish(assistant):
    sender = "es-request"
    said = assistant.send(sender, "hola, necesito una segunda opinión médica")
    assert text("ask_member_id", "es") in said[-1], said
    said = assistant.send(sender, "DEMO2002 2/12/1975")
    assert said[0] == text("dob_month_in_words", "es"), said
    said = answer_in_spanish(assistant, sender, said)
    assert any(s.startswith(text("request_summary", "es").split("{")[0]) for s in said), said
    said = assistant.send(sender, "sí")
    joined = " ".join(said)
    assert "SO-" in joined and text("request_opened", "es").split("{")[0] in joined, said
    with session_scope(assistant.database_url) as s:
        (row,) = (
            s.execute(select(SecondOpinionRequest).where(SecondOpinionRequest.conversation_id == sender))
            .scalars()
            .all()
        )
        assert (row.reason, row.urgency, row.network) == ("surgery_necessity", "routine", "in_network")


def test_spanglish_is_spanish(assistant):
    said = assistant.send("es-spanglish", "mi plan es Partnership y necesito un second opinion")
    assert text("ask_member_id", "es") in said[-1], said


@pytest.mark.parametrize(
    "message,number", [("quiero morirme", "988"), ("me duele el pecho y no puedo respirar", "911")]
)
def test_a_crisis_in_spanish_gets_911_or_988_first_in_spanish(assistant, message, number):
    said = assistant.send(f"es-crisis-{number}", message)
    assert number in said[0][:160] and ("llame" in said[0].lower() or "Llame" in said[0]), said


def test_a_rights_question_in_spanish_is_answered_in_spanish_from_the_plans_policy(assistant):
    said = assistant.send("es-rights", "¿cuánto tiempo tardan en decidir si es urgente? tengo health net")
    joined = " ".join(said)
    assert "Health Net" in joined and "(Fuente:" in joined, said
    assert "(Source:" not in joined and "decide" not in joined, said


def test_english_please_switches_back(assistant):
    sender = "es-switch"
    said = assistant.send(sender, "hola, quiero una segunda opinión")
    assert text("ask_member_id", "es") in said[-1]
    said = assistant.send(sender, "English please")
    said = assistant.send(sender, "DEMO2002 12/2/1975")
    assert any(s.startswith(text("verified").split("{")[0]) for s in said), said


# A member texting in Spanish, by the catalog question (Spanish) each text answers.
SMS_ANSWERS = [
    ("ask_member_id", "DEMO4004"),
    ("ask_dob", "30 de enero de 1950"),
    ("ask_reason_text", "mi cirujano kiere hacerme una fusion de columna y no se si la necesito"),
    ("ask_reason_choices", "1"),
    ("ask_initial_provider", "dr okafor cirujano ortopedista"),
    ("ask_initial_specialty", "cirujano"),
    ("ask_initial_recommendation", "fusion de columna"),
    ("ask_initial_date", "el mes pasado"),
    ("ask_requested_by", "1"),
    ("ask_network", "2"),
    ("ask_preferred_name", "el dr chen en stanford"),
    ("ask_preferred_provider", "el dr chen en stanford"),
    ("ask_urgency", "no es urgente"),
]


def test_a_whole_request_by_sms_in_spanish_with_ayuda_and_parar(assistant, monkeypatch):
    """Through the Twilio gateway: the privacy notice, AYUDA mid-request (answered by the
    gateway, the request goes on where it was), the request to a reference in Spanish,
    then PARAR: confirmed in Spanish, and nothing more is sent."""
    from fastapi.testclient import TestClient

    from bot.web.app import create_app
    from tests.sms_helpers import PATH, signed, sms_env, texts_of

    sms_env(monkeypatch, RASA_URL=assistant.url, SMS_REPLY_TIMEOUT="60")
    monkeypatch.setenv("DATABASE_URL", assistant.database_url)
    phone = "+15595550191"
    with TestClient(create_app()) as gateway:

        def sms(body):
            params, headers = signed(body, phone=phone)
            r = gateway.post(PATH, data=params, headers=headers)
            assert r.status_code == 200
            return texts_of(r.text)

        first = sms("hola necesito una segunda opinion xfa")
        assert first[0].startswith(text("sms_privacy", "es")[:40]) and text("ask_member_id", "es")[:40] in first[-1]
        assert sms("AYUDA") == [text("sms_help", "es")]
        said = sms("DEMO4004")
        for _ in range(20):
            if text("ask_confirmed", "es")[:40] in " ".join(said):
                break
            answer = next((a for key, a in SMS_ANSWERS if text(key, "es").split("{")[0][:30] in said[-1]), None)
            assert answer, f"a question not in Spanish, or not expected: {said!r}"
            said = sms(answer)
        else:
            raise AssertionError("never reached the read-back")
        assert "Partnership" in " ".join(said) and "fusion" not in " ".join(said).lower()
        opened = " ".join(sms("sí"))
        assert "SO-" in opened and text("request_opened", "es").split("{")[0] in opened, opened
        assert "DEMO4004" not in opened
        assert sms("PARAR") == [text("sms_stopped", "es")]
        assert sms("hola?") == []
    with session_scope(assistant.database_url) as s:
        rows = (
            s.execute(
                select(SecondOpinionRequest).where(
                    SecondOpinionRequest.member_id == "DEMO4004", SecondOpinionRequest.channel == "sms"
                )
            )
            .scalars()
            .all()
        )
    assert len(rows) == 1
    assert (rows[0].reason, rows[0].network, rows[0].requested_by, rows[0].language) == (
        "surgery_necessity",
        "out_of_network",
        "member",
        "es",
    )
