"""The gateway's web surface: security headers, no inline script, member text that can
never be a Rasa command, strict API input, the API schema behind the staff token, and
a web chat that answers a bad frame with an error and stays open."""

import json
import re
import uuid
from pathlib import Path
from types import SimpleNamespace

import pytest
from fastapi.testclient import TestClient

from bot import members
from bot.web.member_text import as_member_text
from bot.web.security import CONTENT_SECURITY_POLICY, MAX_BODY
from tests.sms_helpers import PATH, signed, sms_env

TOKEN = "security-test-token-" + "x" * 20
AUTH = {"Authorization": f"Bearer {TOKEN}"}
MEMBER = {"first_name": "Rosa", "last_name": "Test", "dob": "1970-05-06", "plan": "khs"}
WEB = Path(__file__).resolve().parents[2] / "bot" / "web"
COMMANDS = [" /restart", '\t/greet{"plan":"khs"}', '/ /greet{"plan":"khs"}', "// \n /restart", "\u00a0/restart"]


@pytest.fixture()
def app(monkeypatch):
    monkeypatch.setenv("STAFF_API_TOKEN", TOKEN)
    sms_env(monkeypatch)
    asked = []

    async def ask(sender, message, channel):
        asked.append(message)
        if channel == "sms":
            return [{"text": "assistant answer"}]
        return [{"text": "assistant answer", "buttons": [{"title": "Yes", "payload": "/affirm"}]}]

    from bot.web.app import create_app

    application = create_app(assistant=SimpleNamespace(ask=ask))
    application.asked = asked
    return application


@pytest.fixture()
def client(app):
    with TestClient(app, base_url="http://127.0.0.1") as c:
        yield c


# -- headers ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path,private",
    [
        ("/", False),
        ("/static/chat.js", False),
        ("/healthz", False),
        ("/no-such-page", False),
        ("/console/login", True),
        ("/console", True),
        ("/api/requests", True),
        ("/api/requests/SO-AAAA-BBBB", True),
    ],
)
@pytest.mark.parametrize("auth", [{}, AUTH])
def test_every_response_carries_the_security_headers(client, path, private, auth):
    r = client.get(path, headers=auth, follow_redirects=False)
    assert r.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert "script-src 'self';" in CONTENT_SECURITY_POLICY and "unsafe-inline" not in CONTENT_SECURITY_POLICY
    assert (r.headers["x-content-type-options"], r.headers["referrer-policy"], r.headers["x-frame-options"]) == (
        "nosniff",
        "no-referrer",
        "DENY",
    )
    assert (r.headers.get("cache-control") == "no-store") == private, path


def test_a_server_error_carries_them_too(app):
    @app.get("/boom")
    def boom():
        raise RuntimeError("boom")

    r = TestClient(app, raise_server_exceptions=False).get("/boom")
    assert r.status_code == 500 and r.headers["x-frame-options"] == "DENY"
    assert r.headers["content-security-policy"] == CONTENT_SECURITY_POLICY


def test_no_page_has_inline_script_or_style():
    pages = [WEB / "static" / "index.html", *sorted((WEB / "templates").glob("*.html"))]
    for page in pages:
        html = page.read_text()
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), page
        assert not re.search(r"\son[a-z]+\s*=", html, re.I), page
        assert not re.search(r"\sstyle\s*=", html, re.I) and "<style" not in html, page
        assert "javascript:" not in html, page


# -- member text never reaches Rasa as a command ------------------------------------------


@pytest.mark.parametrize(
    "raw,expected",
    [
        (" /restart", "restart"),
        ('\t/greet{"plan":"khs"}', 'greet{"plan":"khs"}'),
        ("/ /greet", "greet"),
        ("// \n / /restart  ", "restart"),
        ("/", ""),
        ("  ", ""),
        (None, ""),
        ("a/b", "a/b"),
        ("x\x00y", "xy"),
        ("\ud800hi", "?hi"),
    ],
)
def test_as_member_text(raw, expected):
    assert as_member_text(raw) == expected


def test_member_text_is_capped():
    assert len(as_member_text("a" * 20_000)) == 10_000


def hello(ws):
    ws.send_json({"type": "hello", "session": f"security-session-{uuid.uuid4().hex}"})
    assert ws.receive_json()["type"] == "welcome"


def answer(ws):
    got = ws.receive_json()
    while got["type"] == "typing":
        got = ws.receive_json()
    return got


@pytest.mark.parametrize("text", COMMANDS)
def test_web_chat_sends_no_command_to_rasa(app, client, text):
    with client.websocket_connect("/ws/chat") as ws:
        hello(ws)
        ws.send_json({"type": "message", "id": "cmd-1", "text": text})
        assert answer(ws)["type"] == "bot"
    assert app.asked and not app.asked[-1].lstrip().startswith("/")
    assert app.asked[-1].lstrip("/ \t\n\u00a0") == app.asked[-1]


def test_web_chat_sends_an_offered_payload_only(app, client):
    with client.websocket_connect("/ws/chat") as ws:
        hello(ws)
        ws.send_json({"type": "message", "id": "p-1", "text": "Restart", "payload": "/restart"})
        answer(ws)
        ws.send_json({"type": "message", "id": "p-2", "text": "Yes", "payload": "/affirm"})
        answer(ws)
    assert app.asked == ["Restart", "/affirm"]


@pytest.mark.parametrize("text", COMMANDS)
def test_sms_sends_no_command_to_rasa(app, client, text):
    params, headers = signed(text, phone="+15595550991")
    assert client.post(PATH, data=params, headers=headers).status_code == 200
    assert app.asked and not app.asked[-1].lstrip().startswith("/")


# -- the web chat socket ---------------------------------------------------------------


def test_bad_frames_get_an_error_and_the_chat_goes_on(app, client):
    with client.websocket_connect("/ws/chat") as ws:
        ws.send_json({"type": "message", "id": "early", "text": "hi"})
        assert ws.receive_json()["type"] == "error"  # before hello
        hello(ws)
        for bad in (
            "not json",
            "[1, 2]",
            '"hello"',
            "{}",
            '{"type": "other"}',
            '{"type": "message", "text": "hi"}',
            '{"type": "message", "id": 7, "text": "hi"}',
            '{"type": "message", "id": "x", "text": ["hi"]}',
            '{"type": "message", "id": "x", "payload": {"a": 1}}',
            '{"type": "hello", "session": 5}',
            '{"type": "message", "id": "' + "x" * 65 + '", "text": "hi"}',
            "{" * 5000,
        ):
            ws.send_text(bad)
            got = ws.receive_json()
            assert got["type"] == "error" and got["error"], bad
        ws.send_bytes(b'{"type": "message", "id": "b", "text": "hi"}')
        assert ws.receive_json()["type"] == "error"
        ws.send_json({"type": "message", "id": "good-1", "text": "hello \ud800 there"})
        got = answer(ws)
        assert (got["type"], got["reply_to"]) == ("bot", "good-1")
    assert app.asked == ["hello ? there"]


# -- the API docs ----------------------------------------------------------------------


def test_no_docs_pages_and_the_schema_needs_the_staff_token(client):
    assert client.get("/docs").status_code == 404 and client.get("/redoc").status_code == 404
    assert client.get("/openapi.json").status_code == 401
    assert client.get("/openapi.json", headers={"Authorization": "Bearer wrong"}).status_code == 401
    paths = client.get("/openapi.json", headers=AUTH).json()["paths"]
    assert {"/api/members/{member_id}", "/api/requests", "/api/requests/{reference}"} <= set(paths)


def _nullable(prop):
    return {"type": "null"} in prop.get("anyOf", [])


def test_the_schema_says_what_can_be_null_and_which_errors_come(client):
    spec = client.get("/openapi.json", headers=AUTH).json()
    models = spec["components"]["schemas"]
    assert _nullable(models["MemberOut"]["properties"]["phone"])
    assert _nullable(models["RequestDetailOut"]["properties"]["denial_notice"])
    assert _nullable(models["StatusChangeOut"]["properties"]["from_status"])
    assert _nullable(models["RideOut"]["properties"]["appointment_at"])
    assert not _nullable(models["MemberOut"]["properties"]["first_name"])
    assert not _nullable(models["StatusChangeOut"]["properties"]["to_status"])
    assert set(models["RequestOut"]["required"]) == set(models["RequestOut"]["properties"])
    for path, operations in spec["paths"].items():
        for method, op in operations.items():
            codes = set(op["responses"])
            assert {"401", "422"} <= codes, (method, path)
            if "{reference}" in path:
                assert "404" in codes, (method, path)
            if method == "patch":
                assert "409" in codes, (method, path)


# -- API input -------------------------------------------------------------------------


@pytest.mark.parametrize("member_id", ["DEMO1001'--", "A" * 40, "DEMO1001%0A", "AB-C", "DEMO%201001", "----"])
def test_a_bad_member_id_is_refused_never_rewritten(client, member_id):
    r = client.put(f"/api/members/{member_id}", json=MEMBER, headers=AUTH)
    assert r.status_code == 422 and r.json()["detail"][0]["loc"][-1] == "member_id"
    assert members.get("A" * 32) is None
    for path in ("/api/requests", "/api/grievances"):
        assert client.get(path, params={"member_id": member_id.replace("%0A", "\n")}, headers=AUTH).status_code == 422


def test_a_member_id_with_dashes_is_stored_without_them(client):
    r = client.put("/api/members/sec-1001-x", json=MEMBER, headers=AUTH)
    assert r.status_code in (200, 201) and r.json()["member_id"] == "SEC1001X"


@pytest.mark.parametrize(
    "dob", ["19700101", 19700101, 0, 1.5, "1970-5-6", "1970-05-06T00:00:00", "", None, "\u0661\u0669\u0667\u0660-01-01"]
)
def test_a_date_of_birth_must_be_an_iso_date(client, dob):
    r = client.put("/api/members/SEC2002", json={**MEMBER, "dob": dob}, headers=AUTH)
    assert r.status_code == 422 and r.json()["detail"][0]["loc"][-1] == "dob"


@pytest.mark.parametrize("field", ["first_name", "last_name", "phone", "language"])
@pytest.mark.parametrize("bad", ["\\ud800", "\\udfff", "a\\u0000b"])
def test_nul_or_a_lone_surrogate_is_422_not_500(client, field, bad):
    body = json.dumps(MEMBER)[:-1] + f', "{field}": "{bad}"}}'
    r = client.put("/api/members/SEC3003", content=body, headers={**AUTH, "Content-Type": "application/json"})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"][-1] == field


def test_nul_or_a_lone_surrogate_in_a_note_is_422(client):
    for path, status in (
        ("/api/requests/SO-AAAA-BBBB", "in_review"),
        ("/api/rides/RD-AAAA-BBBB", "cancelled"),
        ("/api/grievances/GR-AAAA-BBBB", "withdrawn"),
    ):
        for note in ("x\\ud800", "x\\u0000"):
            r = client.patch(
                path,
                content=f'{{"status": "{status}", "note": "{note}"}}',
                headers={**AUTH, "Content-Type": "application/json"},
            )
            assert r.status_code == 422 and r.json()["detail"][0]["loc"][-1] == "note", path


@pytest.mark.parametrize("body", ["", "null", "[]", "{", '"text"', "\xff", "[" * 20000 + "]" * 20000])
def test_empty_or_malformed_bodies_get_4xx(client, body):
    r = client.put("/api/members/SEC4004", content=body, headers={**AUTH, "Content-Type": "application/json"})
    assert 400 <= r.status_code < 500


def test_a_huge_body_gets_413(client):
    huge = json.dumps({**MEMBER, "first_name": "x" * MAX_BODY})
    r = client.put("/api/members/SEC5005", content=huge, headers={**AUTH, "Content-Type": "application/json"})
    assert r.status_code == 413 and r.headers["cache-control"] == "no-store"
    chunked = client.put(
        "/api/members/SEC5005", content=iter([huge.encode()]), headers={**AUTH, "Content-Type": "application/json"}
    )
    assert chunked.status_code == 413
    assert members.get("SEC5005") is None


@pytest.mark.parametrize(
    "path",
    ["/api/requests/x", "/api/requests/SO-AAAA-BBBB%00", "/api/rides/%F0%9F%98%80", "/api/grievances/GR-AAAA-BBBB-C"],
)
def test_a_malformed_reference_is_422(client, path):
    assert client.get(path, headers=AUTH).status_code == 422
    assert client.get(path).status_code == 401
