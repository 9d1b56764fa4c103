"""A texting member handed to a person, with the real assistant (trained model, Rasa,
action server) behind the gateway and Twilio's REST API stood in for locally.

While the agent holds the conversation, the member's texts reach the console in order
and never the assistant (it holds its words, a slot the SafetyPolicy reads); the agent's words
go out by text, marked as from a person; after hand back the assistant goes on with
what the agent settled. Nobody claiming in time gets the member a callback offer."""

import re
import time
from pathlib import Path
from types import SimpleNamespace

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from bot import agents
from bot.conversation_ids import sms_id
from bot.members import seed_demo_roster
from bot.messages import text as text_of
from bot.store import migrate, session_scope
from bot.store.models import AuditEntry, CallbackTask, Handoff
from tests import harness
from tests.sms_helpers import PATH, FakeTwilio, signed, sms_env, texts_of

pytestmark = pytest.mark.slow
PASSWORD = "live test password"
PHONE, OTHER_PHONE = "+15595550777", "+15595550888"


@pytest.fixture(scope="module")
def world(trained_model, tmp_path_factory):
    work = tmp_path_factory.mktemp("handoff")
    url = f"sqlite:///{work / 'handoff.db'}"
    migrate(url)
    seed_demo_roster(url)
    agents.create_agent("maria.l", "Maria L", PASSWORD, database_url=url)
    fake = FakeTwilio()
    assistant = harness.start(work, url, extra_env={"MEMBER_SERVICES_HOURS": "always"})
    try:
        with pytest.MonkeyPatch.context() as env:
            sms_env(env, TWILIO_API_BASE=fake.url, SMS_REPLY_TIMEOUT="60")
            for key, value in {
                "DATABASE_URL": url,
                "RASA_URL": assistant.url,
                "RASA_TOKEN": assistant.token,
                "HANDOFF_SWEEP_SECONDS": "0.5",
            }.items():
                env.setenv(key, value)
            from bot.web.app import create_app

            with TestClient(create_app(), base_url="https://127.0.0.1") as client:
                yield SimpleNamespace(client=client, fake=fake, assistant=assistant)
    finally:
        assistant.stop()
        fake.close()


def text(world, body, phone=PHONE):
    params, headers = signed(body, phone=phone)
    r = world.client.post(PATH, data=params, headers=headers)
    assert r.status_code == 200
    return " ".join(texts_of(r.text))


def texted(world, phone, contains, timeout=30):
    """Wait for a text to `phone` through the Twilio REST stand-in; its body."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for sent in world.fake.sent:
            if sent["To"] == phone and contains in sent["Body"]:
                return sent["Body"]
        time.sleep(0.1)
    raise AssertionError(f"no text to {phone} containing {contains!r}: {[s['Body'] for s in world.fake.sent]}")


def csrf_of(html):
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


def tracker_of(world, conversation_id):
    r = httpx.get(
        f"{world.assistant.url}/conversations/{conversation_id}/tracker",
        params={"token": world.assistant.token},
        timeout=30,
    )
    r.raise_for_status()
    return r.json()


def test_a_texting_member_is_answered_by_an_agent_then_by_the_assistant_again(world):
    assert "member ID" in text(world, "i want a second opinion")
    said = text(world, "I want to talk to a real person")
    assert "An agent will join" in said
    conversation_id = sms_id(PHONE, "test-id-key")
    waiting = [text(world, body) for body in ("hello?", "is anyone there", "my knee still hurts after surgery")]
    assert waiting == ["", "", ""]  # nothing from the assistant meanwhile

    client = world.client
    token = csrf_of(client.get("/console/login").text)
    client.post("/console/login", data={"csrf": token, "username": "maria.l", "password": PASSWORD})
    queue = client.get("/console").text
    assert "Text (SMS)" in queue and "Asked for a person" in queue
    (handoff_id,) = re.findall(r"Claim #(\d+)", queue)
    token = csrf_of(queue)
    assert (
        client.post(f"/console/handoffs/{handoff_id}/claim", data={"csrf": token}, follow_redirects=False).status_code
        == 303
    )
    texted(world, PHONE, "Maria L from member services has joined")

    page = client.get(f"/console/handoffs/{handoff_id}").text
    order = [page.index(s) for s in ("hello?", "is anyone there", "my knee still hurts after surgery")]
    assert order == sorted(order)  # in the order they were sent, none lost
    client.post(f"/console/handoffs/{handoff_id}/reply", data={"csrf": token, "body": "Hi, this is Maria."})
    assert texted(world, PHONE, "Hi, this is Maria.") == "Maria L (Member Services, a person): Hi, this is Maria."
    client.post(
        f"/console/handoffs/{handoff_id}/verify",
        data={"csrf": token, "member_id": "DEMO4004", "dob": "January 30, 1950"},
    )

    tracker = tracker_of(world, conversation_id)
    user_texts = [e.get("text") for e in tracker["events"] if e["event"] == "user"]
    assert tracker["slots"]["handoff_open"] is True  # the assistant holds its words
    assert not {"hello?", "is anyone there", "my knee still hurts after surgery"} & set(user_texts)

    client.post(f"/console/handoffs/{handoff_id}/hand-back", data={"csrf": token})
    texted(world, PHONE, "You're back with the assistant")
    assert tracker_of(world, conversation_id)["slots"]["handoff_open"] is False
    said = text(world, "i want a second opinion")
    assert "why do you want a second opinion" in said and "member ID" not in said  # the agent verified them


def test_nobody_claims_in_time_so_the_member_gets_a_callback(world):
    assert "An agent will join" in text(world, "can i speak to a representative", phone=OTHER_PHONE)
    conversation_id = sms_id(OTHER_PHONE, "test-id-key")
    with session_scope() as session:  # as if the claim time had passed
        row = session.execute(select(Handoff).where(Handoff.conversation_id == conversation_id)).scalar_one()
        session.execute(
            update(Handoff)
            .where(Handoff.id == row.id)
            .values(created_at=row.created_at.replace(year=row.created_at.year - 1))
        )
    texted(world, OTHER_PHONE, "no one from member services could join")
    assert "When is a good time" in text(world, "209-555-0134", phone=OTHER_PHONE)
    assert "ending in 0134" in text(world, "weekday mornings", phone=OTHER_PHONE)
    with session_scope() as session:
        task = session.execute(select(CallbackTask).where(CallbackTask.conversation_id == conversation_id)).scalar_one()
    assert (task.phone, task.preferred_time, task.status) == ("+12095550134", "weekday mornings", "open")


# -- safety first, through the gateway ------------------------------------------------


def sign_in(world):
    token = csrf_of(world.client.get("/console/login").text)
    world.client.post("/console/login", data={"csrf": token, "username": "maria.l", "password": PASSWORD})


def test_a_texting_member_in_crisis_mid_request_hears_988_first_in_spanish_then_the_same_question(world):
    phone = "+15595550999"
    params, headers = signed("i want a second opinion", phone=phone)
    first = texts_of(world.client.post(PATH, data=params, headers=headers).text)
    assert first[0] == text_of("sms_privacy") and first[-1].endswith(text_of("ask_member_id"))
    params, headers = signed("ya no quiero vivir, perdon por todo", phone=phone)
    said = texts_of(world.client.post(PATH, data=params, headers=headers).text)
    assert said[0].startswith(text_of("safety_mental", "es"))  # 988 first, in Spanish
    assert said[-1].endswith(text_of("ask_member_id", "es"))  # then the same question, in Spanish now


def test_a_web_member_in_crisis_while_an_agent_holds_the_chat_is_answered_at_once_and_flagged(world):
    client = world.client
    with client.websocket_connect("/ws/chat") as member:
        member.send_json({"type": "hello", "session": "safety-live-session-0001"})
        assert member.receive_json()["type"] == "welcome"
        member.send_json({"type": "message", "id": "a1", "text": "can i talk to a real person"})
        assert member.receive_json()["type"] == "typing"
        assert "An agent will join" in " ".join(m["text"] for m in member.receive_json()["messages"])
        sign_in(world)
        queue = client.get("/console").text
        handoff_id = re.findall(r"Claim #(\d+)", queue)[-1]
        client.post(f"/console/handoffs/{handoff_id}/claim", data={"csrf": csrf_of(queue)})
        assert member.receive_json()["type"] == "notice"  # Maria L joined
        member.send_json(
            {"type": "message", "id": "a2", "text": "sorry i cant do this anymore, i have the pills right here"}
        )
        reply = member.receive_json()
        assert reply["type"] == "bot" and reply["messages"][0]["text"] == text_of("safety_mental")
        assert reply["messages"][1]["text"] == text_of("safety_then_held")
    page = client.get(f"/console/handoffs/{handoff_id}").text
    assert "Crisis: suicide" in page and "told at once to call 988" in page
    assert "Crisis: suicide" in client.get("/console/queue.part").text
    with session_scope(world.assistant.database_url) as s:
        flags = (
            s.execute(
                select(AuditEntry.detail).where(AuditEntry.action == "crisis_flag", AuditEntry.entity_key == handoff_id)
            )
            .scalars()
            .all()
        )
        answers = (
            s.execute(
                select(AuditEntry.detail).where(AuditEntry.action == "safety_answer", AuditEntry.detail.like("% held"))
            )
            .scalars()
            .all()
        )
    assert flags == ["suicide"] and answers
    assert "pills right here" not in world.assistant.log_text()


def test_a_texting_member_waiting_for_a_person_gets_911_at_once(world):
    phone = "+15595550321"
    text(world, "agent", phone=phone)
    said = text(world, "my wife just collapsed and shes not breathing", phone=phone)
    assert said.startswith(text_of("safety_medical"))
    sign_in(world)
    assert "Crisis: medical emergency" in world.client.get("/console/queue.part").text


def test_after_verifying_on_web_and_by_sms_and_a_handoff_no_date_of_birth_is_kept(world):
    """Runs last: verify on the web chat and by text, hand off, hand back; then no table
    of the records' or the conversations' database (but the roster's own record) and no
    log holds the dates of birth the members typed."""
    client, typed = world.client, ("7/15/1988", "11/11/1969")
    with client.websocket_connect("/ws/chat") as member:
        member.send_json({"type": "hello", "session": "dob-at-rest-session-01"})
        member.receive_json()
        said = []
        for i, words in enumerate(("i want a second opinion", "DEMO3003", typed[0], "can i talk to a real person")):
            member.send_json({"type": "message", "id": f"d{i}", "text": words})
            assert member.receive_json()["type"] == "typing"
            said.append(" ".join(m["text"] for m in member.receive_json()["messages"]))
        assert "verified as a Mountain Valley Health Plan member" in said[2] and "An agent will join" in said[3]
    text(world, "i want a second opinion", phone="+15595550444")
    text(world, "DEMO5005", phone="+15595550444")
    assert "verified as a Health Net member" in text(world, typed[1], phone="+15595550444")
    text(world, "agent please", phone="+15595550444")
    sign_in(world)
    for handoff_id in re.findall(r"Claim #(\d+)", client.get("/console").text):
        page = client.get("/console").text
        client.post(f"/console/handoffs/{handoff_id}/claim", data={"csrf": csrf_of(page)})
        client.post(f"/console/handoffs/{handoff_id}/hand-back", data={"csrf": csrf_of(page)})
    from sqlalchemy import create_engine, inspect
    from sqlalchemy import text as sql

    found = []
    for url in {world.assistant.database_url, world.assistant.tracker_url}:
        engine = create_engine(url, future=True)
        with engine.connect() as conn:
            for table in inspect(engine).get_table_names():
                if table not in ("members", "alembic_version"):
                    found += [
                        (table, dob)
                        for row in conn.execute(sql(f'SELECT * FROM "{table}"'))
                        for dob in typed
                        if dob in " ".join(map(str, row))
                    ]
        engine.dispose()
    assert found == [] and not [dob for dob in typed if dob in world.assistant.log_text()]
    artifacts = Path(__file__).resolve().parents[1] / "artifacts"
    kept = [f for f in artifacts.rglob("*") if f.is_file() and any(d.encode() in f.read_bytes() for d in typed)]
    assert kept == []


def test_guessing_a_date_of_birth_from_many_chats_and_phones_locks_the_id_until_an_agent_unlocks_it(world):
    """Wrong dates of birth for one member ID from three web chat sessions and two phone
    numbers: then even the right date is refused, in a new session, until an agent
    unlocks the ID (audited, with a reason)."""
    client = world.client

    def web(session, *words):
        with client.websocket_connect("/ws/chat") as member:
            member.send_json({"type": "hello", "session": session})
            member.receive_json()
            said = []
            for i, text_ in enumerate(words):
                member.send_json({"type": "message", "id": f"g{i}", "text": text_})
                frame = member.receive_json()
                frame = member.receive_json() if frame["type"] == "typing" else frame
                said.append(" ".join(m["text"] for m in frame.get("messages", [])))
            return said

    for n, wrong in enumerate(("1/1/1970", "2/2/1971", "3/3/1972")):
        said = web(f"guessing-session-{n:04d}-xx", "i want a second opinion", "DEMO2002", wrong)
        assert "don't match" in said[-1]
    for phone, wrong in (("+15595550601", "4/4/1973"), ("+15595550602", "5/5/1974")):
        text(world, "i want a second opinion", phone=phone)
        text(world, "DEMO2002", phone=phone)
        text(world, wrong, phone=phone)
    said = web("guessing-session-right-xxxx", "i want a second opinion", "DEMO2002", "12/2/1975")
    assert "verified" not in said[-1]  # locked: even the right date
    sign_in(world)
    page = client.get("/console/locks").text
    assert "DEMO2002" in page
    client.post(
        "/console/locks/unlock",
        data={
            "csrf": csrf_of(page),
            "member_id": "DEMO2002",
            "reason": "called the member back and checked her address",
        },
    )
    said = web("guessing-session-after-unlock", "i want a second opinion", "DEMO2002", "12/2/1975")
    assert "You're verified as a Health Plan of San Joaquin member" in said[-1]
    with session_scope(world.assistant.database_url) as s:
        unlocked = (
            s.execute(
                select(AuditEntry).where(AuditEntry.action == "verify_unlocked", AuditEntry.entity_key == "DEMO2002")
            )
            .scalars()
            .all()
        )
    assert [u.actor for u in unlocked] == ["agent:maria.l"]
