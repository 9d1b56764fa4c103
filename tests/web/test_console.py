"""The agent console over HTTP (the gateway app in-process): sign-in, sessions, CSRF,
claims, replies reaching a web chat, hand back. The assistant behind the gateway is a
recorder here; tests/web/test_handoff_live.py and test_browser.py run the real one."""

import contextlib
import re
from types import SimpleNamespace

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from starlette.websockets import WebSocketDisconnect

from bot import agents, handoff
from bot.conversation_ids import web_id
from bot.store import session_scope
from bot.store.models import AuditEntry

PASSWORD = "console test password"


@pytest.fixture(scope="module", autouse=True)
def accounts():
    for username, name in (("maria.c", "Maria C"), ("james.c", "James C")):
        with contextlib.suppress(ValueError):
            agents.create_agent(username, name, PASSWORD)


@pytest.fixture
def app():
    asked, executed = [], []

    async def ask(sender, message, channel):
        asked.append((sender, message))
        return [{"text": "assistant answer"}]

    async def run_action(sender, action):
        executed.append((sender, action))
        return [{"text": "You're back with the assistant. How can I help?"}]

    from bot.web.app import create_app

    application = create_app(assistant=SimpleNamespace(ask=ask, run_action=run_action))
    application.asked, application.executed = asked, executed
    return application


@pytest.fixture
def client(app):
    with TestClient(app, base_url="http://127.0.0.1") as c:
        yield c


def csrf_of(html):
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


def sign_in(client, username="maria.c", password=PASSWORD):
    client.cookies.clear()
    token = csrf_of(client.get("/console/login").text)
    return client.post(
        "/console/login", data={"csrf": token, "username": username, "password": password}, follow_redirects=False
    )


def test_the_console_without_a_session_redirects_to_sign_in(client):
    for path in ("/console", "/console/queue.part", "/console/handoffs/1", "/console/handoffs/1/live.part"):
        r = client.get(path, follow_redirects=False)
        assert (r.status_code, r.headers["location"]) == (303, "/console/login"), path
    r = client.post("/console/handoffs/1/claim", data={"csrf": "x"}, follow_redirects=False)
    assert r.headers["location"] == "/console/login"
    with pytest.raises(WebSocketDisconnect), client.websocket_connect("/console/live") as ws:
        ws.receive_json()


def test_sign_in_needs_the_forms_csrf_token_and_the_right_password(client):
    client.get("/console/login")
    r = client.post("/console/login", data={"username": "maria.c", "password": PASSWORD}, follow_redirects=False)
    assert r.status_code == 403 and "so_console=" not in r.headers.get("set-cookie", "")
    r = sign_in(client, password="not it")
    assert r.status_code == 401 and "do not match" in r.text
    r = sign_in(client)
    assert r.status_code == 303 and r.headers["location"] == "/console"
    cookie = r.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie
    assert "Maria C" in client.get("/console").text


def test_session_cookie_is_secure_off_this_machine(app):
    with TestClient(app, base_url="https://console.example.org") as remote:
        token = csrf_of(remote.get("/console/login").text)
        r = remote.post(
            "/console/login", data={"csrf": token, "username": "maria.c", "password": PASSWORD}, follow_redirects=False
        )
        assert "Secure" in r.headers["set-cookie"]


def test_forms_without_the_sessions_csrf_token_are_refused(client):
    hid = handoff.open_handoff("web-csrf", "web", "khs", "asked", {}, [])
    sign_in(client)
    for data in ({}, {"csrf": "forged"}):
        r = client.post(f"/console/handoffs/{hid}/claim", data=data, follow_redirects=False)
        assert r.status_code == 403
    assert handoff.get(hid).status == "waiting"
    other = csrf_of(client.get("/console").text)
    sign_in(client, "james.c")  # another session's token is not this one's
    r = client.post(f"/console/handoffs/{hid}/claim", data={"csrf": other}, follow_redirects=False)
    assert r.status_code == 403 and handoff.get(hid).status == "waiting"


def test_the_second_agent_is_told_who_has_the_conversation(client):
    hid = handoff.open_handoff("web-second", "web", "hpsj", "clinical", {}, [])
    sign_in(client)
    page = client.get("/console").text
    assert f"Claim #{hid}" in page and "Clinical question" in page and "Health Plan of San Joaquin" in page
    r = client.post(f"/console/handoffs/{hid}/claim", data={"csrf": csrf_of(page)}, follow_redirects=False)
    assert r.status_code == 303
    sign_in(client, "james.c")
    r = client.post(f"/console/handoffs/{hid}/claim", data={"csrf": csrf_of(client.get("/console").text)})
    assert r.status_code == 409 and "Maria C has this conversation" in r.text
    r = client.post(f"/console/handoffs/{hid}/reply", data={"csrf": csrf_of(r.text), "body": "hi"})
    assert "Only the agent holding" in r.text
    assert [m.sender for m in handoff.transcript(hid)] == ["system"]


def test_queue_is_oldest_first(client):
    first = handoff.open_handoff("web-q1", "web", "khs", "asked", {}, [])
    second = handoff.open_handoff("sms-q2", "sms", None, "locked", {}, [])
    sign_in(client)
    page = client.get("/console/queue.part").text
    assert page.index(f"Claim #{first}") < page.index(f"Claim #{second}")
    assert "Text (SMS)" in page and "Verification locked" in page


def test_web_member_and_agent_talk_through_the_gateway_then_the_assistant_resumes(app, client):
    with client.websocket_connect("/ws/chat") as member:
        member.send_json({"type": "hello", "session": "member-session-token-0001"})
        assert member.receive_json()["type"] == "welcome"
        sender = web_id("member-session-token-0001")
        hid = handoff.open_handoff(sender, "web", "partnership", "asked", {"verified": False}, [])
        for i, words in enumerate(("are you there?", "my knee hurts", "hello?")):
            member.send_json({"type": "message", "id": f"m{i}", "text": words})
            assert member.receive_json() == {"type": "held", "reply_to": f"m{i}"}
        assert app.asked == []  # none went to the assistant
        sign_in(client)
        page = client.get("/console").text
        client.post(f"/console/handoffs/{hid}/claim", data={"csrf": csrf_of(page)})
        assert member.receive_json() == {"type": "notice", "text": "Maria C from member services has joined the chat."}
        page = client.get(f"/console/handoffs/{hid}").text
        for words in ("are you there?", "my knee hurts", "hello?"):
            assert words in page
        assert page.index("are you there?") < page.index("my knee hurts") < page.index("hello?")
        client.post(
            f"/console/handoffs/{hid}/reply", data={"csrf": csrf_of(page), "body": "Hi, I'm Maria. I can help."}
        )
        said = member.receive_json()
        assert (said["type"], said["label"], said["text"]) == (
            "agent",
            "Maria C (a person, Member Services): ",
            "Hi, I'm Maria. I can help.",
        )
        r = client.post(f"/console/handoffs/{hid}/hand-back", data={"csrf": csrf_of(page)}, follow_redirects=False)
        assert r.headers["location"].startswith("/console")
        assert app.executed == [(sender, "action_agent_handed_back")]
        assert member.receive_json() == {
            "type": "push",
            "messages": [{"text": "You're back with the assistant. How can I help?", "buttons": []}],
        }
        member.send_json({"type": "message", "id": "m9", "text": "thanks, what about a ride?"})
        member.receive_json()  # typing
        assert member.receive_json()["messages"][0]["text"] == "assistant answer"
        assert app.asked == [(sender, "thanks, what about a ride?")]
    with session_scope() as session:
        logged = set(
            session.execute(select(AuditEntry.actor, AuditEntry.action).where(AuditEntry.entity_key == str(hid))).all()
        )
    assert {
        ("agent:maria.c", "claim"),
        ("agent:maria.c", "message"),
        ("agent:maria.c", "hand_back"),
        ("agent:maria.c", "read"),
    } <= logged


def test_a_web_member_who_reconnects_gets_the_agents_words_missed(client):
    sender = web_id("member-session-token-0002")
    hid = handoff.open_handoff(sender, "web", "khs", "asked", {}, [])
    handoff.claim(hid, "maria.c", "Maria C")
    first = handoff.post_agent_message(hid, "maria.c", "Maria C", "Are you still there?")
    with client.websocket_connect("/ws/chat") as member:
        member.send_json({"type": "hello", "session": "member-session-token-0002", "last_agent": 0})
        member.receive_json()
        assert member.receive_json()["text"] == "Are you still there?"
    handoff.post_agent_message(hid, "maria.c", "Maria C", "one more")
    with client.websocket_connect("/ws/chat") as member:  # the first already shown: not again
        member.send_json({"type": "hello", "session": "member-session-token-0002", "last_agent": first.id})
        assert member.receive_json()["type"] == "welcome"
        assert member.receive_json()["text"] == "one more"
        member.send_json({"type": "message", "id": "x1", "text": "yes"})
        assert member.receive_json() == {"type": "held", "reply_to": "x1"}


def test_agent_opens_records_for_a_verified_member_through_the_same_services(client):
    hid = handoff.open_handoff("web-records", "web", "partnership", "asked", {"verified": False}, [])
    sign_in(client)
    token = csrf_of(client.get("/console").text)
    client.post(f"/console/handoffs/{hid}/claim", data={"csrf": token})
    r = client.post(f"/console/handoffs/{hid}/request", data={"csrf": token, "reason": "not_improving"})
    assert "Verify the member first" in r.text
    r = client.post(f"/console/handoffs/{hid}/verify", data={"csrf": token, "member_id": "DEMO4004", "dob": "1/2/1950"})
    assert "No member matches" in r.text
    r = client.post(
        f"/console/handoffs/{hid}/verify", data={"csrf": token, "member_id": "demo4004", "dob": "1/30/1950"}
    )
    assert "Verified: member DEMO4004" in r.text
    r = client.post(
        f"/console/handoffs/{hid}/request",
        data={
            "csrf": token,
            "reason": "not_improving",
            "reason_text": "my back is no better after 6 months",
            "initial_provider": "Dr. Okafor",
            "initial_recommendation": "more therapy",
            "requested_by": "member",
            "network": "out_of_network",
            "urgency": "routine",
        },
    )
    reference = re.search(r"Request (SO-[A-Z0-9-]+) opened", r.text).group(1)
    r = client.post(
        f"/console/handoffs/{hid}/status",
        data={"csrf": token, "kind": "request", "reference": reference, "status": "denied"},
    )
    assert "a denial needs its reasons" in r.text
    r = client.post(
        f"/console/handoffs/{hid}/ride",
        data={"csrf": token, "pickup_address": "12 Oak St, Napa", "mobility": "wheelchair", "appointment": ""},
    )
    assert re.search(r"Ride RD-[A-Z0-9-]+ asked for", r.text)
    r = client.post(
        f"/console/handoffs/{hid}/grievance",
        data={"csrf": token, "about": "handling", "account_text": "nobody called me back"},
    )
    assert re.search(r"Grievance GR-[A-Z0-9-]+ filed", r.text)
    from bot.policy import kb
    from bot.store.models import SecondOpinionRequest

    with session_scope() as session:
        row = session.execute(
            select(SecondOpinionRequest).where(SecondOpinionRequest.reference == reference)
        ).scalar_one()
        rule = kb().requirement("partnership", "out_of_network", "routine")
        assert (row.member_id, row.authorization_required) == ("DEMO4004", rule.authorization_required)
        actors = set(
            session.execute(
                select(AuditEntry.action, AuditEntry.entity).where(AuditEntry.actor == "agent:maria.c")
            ).all()
        )
    assert {("verify", "member"), ("create", "request"), ("create", "ride"), ("create", "grievance")} <= actors
    assert handoff.get(hid).agent_slots["request_reference"] == reference
