"""The web chat page speaks the member's language: its labels come from the catalogs
(GET /chat/labels), and each answer over the socket says which language the member last
wrote in, so the page can follow it. A fake assistant answers: no trained model."""

import re
import uuid
from pathlib import Path
from types import SimpleNamespace

import pytest
from fastapi.testclient import TestClient

from bot.messages import catalog, text

STATIC = Path(__file__).resolve().parents[2] / "bot" / "web" / "static"
NAMES = sorted(key[len("chat_") :] for key in catalog("en") if key.startswith("chat_"))


@pytest.fixture()
def app():
    asked = []

    async def ask(sender, message, channel):
        asked.append(message)
        if message.startswith("DEMO2002"):  # a verified member whose record says Spanish
            return [
                {
                    "text": text("verified", "es", first_name="Ana", plan_name="Health Plan of San Joaquin"),
                    "buttons": [],
                }
            ]
        return [{"text": "assistant answer", "buttons": [{"title": "Yes", "payload": "/affirm"}]}]

    from bot.web.app import create_app

    application = create_app(assistant=SimpleNamespace(ask=ask))
    application.asked = asked
    return application


@pytest.fixture()
def client(app):
    with TestClient(app, base_url="http://127.0.0.1") as c:
        yield c


def hello(ws):
    ws.send_json({"type": "hello", "session": f"language-session-{uuid.uuid4().hex}"})
    assert ws.receive_json()["type"] == "welcome"


def reply_to(ws, message_id, said, payload=None):
    ws.send_json({"type": "message", "id": message_id, "text": said, "payload": payload})
    got = ws.receive_json()
    while got["type"] == "typing":
        got = ws.receive_json()
    assert (got["type"], got["reply_to"]) == ("bot", message_id)
    return got


# -- the labels ------------------------------------------------------------------------


def test_the_catalogs_hold_the_page_labels():
    assert {"send", "close", "input_label", "choices", "reconnecting", "title", "open"} <= set(NAMES)


@pytest.mark.parametrize("lang", ["en", "es"])
def test_every_label_is_served_in_both_languages(client, lang):
    r = client.get("/chat/labels", params={"lang": lang})
    assert r.status_code == 200
    assert r.json() == {name: text(f"chat_{name}", lang) for name in NAMES}
    assert all(isinstance(label, str) and label.strip() for label in r.json().values())


def test_the_spanish_labels_are_spanish_and_english_is_the_default(client):
    english, spanish = client.get("/chat/labels").json(), client.get("/chat/labels?lang=es").json()
    assert (english["send"], spanish["send"]) == ("Send", "Enviar")
    assert english == client.get("/chat/labels?lang=en").json()


@pytest.mark.parametrize("lang", ["fr", "ES", "../en", ""])
def test_another_language_is_refused(client, lang):
    assert client.get("/chat/labels", params={"lang": lang}).status_code == 422


def test_the_page_uses_every_label_and_only_catalog_labels():
    html, js = (STATIC / "index.html").read_text(), (STATIC / "chat.js").read_text()
    used = set(re.findall(r'data-label(?:-aria)?="([a-z_]+)"', html)) | set(re.findall(r'\bt\("([a-z_]+)"\)', js))
    assert used <= set(NAMES), used - set(NAMES)
    quoted = set(re.findall(r'"([a-z_]+)"', html + js))
    assert set(NAMES) <= quoted, set(NAMES) - quoted


# -- the language of the conversation ----------------------------------------------------


def test_the_answer_carries_the_language_the_member_writes_in(app, client):
    with client.websocket_connect("/ws/chat") as ws:
        hello(ws)
        assert reply_to(ws, "m-1", "Quiero pedir una segunda opinión para mi rodilla")["lang"] == "es"
        assert reply_to(ws, "m-2", "2")["lang"] == "es"
        assert reply_to(ws, "m-3", "Sí", payload="/affirm")["lang"] == "es"
        assert reply_to(ws, "m-4", "I would like a second opinion about my knee, please")["lang"] == "en"
        assert reply_to(ws, "m-5", "2")["lang"] == "en"
        assert reply_to(ws, "m-2", "2")["lang"] == "en"  # resent: the language now
    assert app.asked[:3] == ["Quiero pedir una segunda opinión para mi rodilla", "2", "/affirm"]


def test_a_message_that_says_too_little_leaves_the_language_unknown(client):
    with client.websocket_connect("/ws/chat") as ws:
        hello(ws)
        assert reply_to(ws, "m-1", "2")["lang"] is None


def test_each_chat_has_its_own_language(client):
    with client.websocket_connect("/ws/chat") as spanish, client.websocket_connect("/ws/chat") as english:
        hello(spanish)
        hello(english)
        assert reply_to(spanish, "s-1", "Necesito ayuda con mi plan de salud, por favor")["lang"] == "es"
        assert reply_to(english, "e-1", "I need help with my health plan, please")["lang"] == "en"
        assert reply_to(spanish, "s-2", "2")["lang"] == "es"


def test_the_page_follows_the_language_the_assistant_answers_in(client):
    """The member wrote only an ID and a date; their record says Spanish, so the answer
    (and the page) is Spanish."""
    with client.websocket_connect("/ws/chat") as ws:
        hello(ws)
        assert reply_to(ws, "m-1", "DEMO2002 12/2/1975")["lang"] == "es"
        assert reply_to(ws, "m-2", "2")["lang"] == "es"
