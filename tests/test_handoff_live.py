"""A texting member handed to a person, with the real assistant (trained model, Rasa,
action server) behind the gateway and Twilio's REST API stood in for locally.

While the agent holds the conversation, the member's texts reach the console in order
and never the assistant (Rasa's tracker stays paused, without them); the agent's words
go out by text, marked as from a person; after hand back the assistant goes on with
what the agent settled. Nobody claiming in time gets the member a callback offer."""
import re
import time
from types import SimpleNamespace

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from bot import agents
from bot.members import seed_demo_roster
from bot.store import migrate, session_scope
from bot.store.models import CallbackTask, Handoff
from bot.web import sms
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
            for key, value in {"DATABASE_URL": url, "RASA_URL": assistant.url, "RASA_TOKEN": assistant.token,
                               "HANDOFF_SWEEP_SECONDS": "0.5"}.items():
                env.setenv(key, value)
            from bot.web.app import create_app
            with TestClient(create_app(), base_url="http://127.0.0.1") as client:
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
    r = httpx.get(f"{world.assistant.url}/conversations/{conversation_id}/tracker",
                  params={"token": world.assistant.token}, timeout=30)
    r.raise_for_status()
    return r.json()


def test_a_texting_member_is_answered_by_an_agent_then_by_the_assistant_again(world):
    assert "member ID" in text(world, "i want a second opinion")
    said = text(world, "I want to talk to a real person")
    assert "An agent will join" in said
    conversation_id = sms.conversation_id(PHONE, "test-id-key")
    waiting = [text(world, body) for body in ("hello?", "is anyone there", "my knee still hurts after surgery")]
    assert waiting == ["", "", ""]                                   # nothing from the assistant meanwhile

    client = world.client
    token = csrf_of(client.get("/console/login").text)
    client.post("/console/login", data={"csrf": token, "username": "maria.l", "password": PASSWORD})
    queue = client.get("/console").text
    assert "Text (SMS)" in queue and "Asked for a person" in queue
    (handoff_id,) = re.findall(r"Claim #(\d+)", queue)
    token = csrf_of(queue)
    assert client.post(f"/console/handoffs/{handoff_id}/claim", data={"csrf": token},
                       follow_redirects=False).status_code == 303
    texted(world, PHONE, "Maria L from member services has joined")

    page = client.get(f"/console/handoffs/{handoff_id}").text
    order = [page.index(s) for s in ("hello?", "is anyone there", "my knee still hurts after surgery")]
    assert order == sorted(order)                                    # in the order they were sent, none lost
    client.post(f"/console/handoffs/{handoff_id}/reply", data={"csrf": token, "body": "Hi, this is Maria."})
    assert texted(world, PHONE, "Hi, this is Maria.") == "Maria L (Member Services, a person): Hi, this is Maria."
    client.post(f"/console/handoffs/{handoff_id}/verify", data={"csrf": token, "member_id": "DEMO4004",
                                                                 "dob": "January 30, 1950"})

    tracker = tracker_of(world, conversation_id)
    user_texts = [e.get("text") for e in tracker["events"] if e["event"] == "user"]
    assert tracker["paused"] is True
    assert not {"hello?", "is anyone there", "my knee still hurts after surgery"} & set(user_texts)

    client.post(f"/console/handoffs/{handoff_id}/hand-back", data={"csrf": token})
    texted(world, PHONE, "You're back with the assistant")
    assert tracker_of(world, conversation_id)["paused"] is False
    said = text(world, "i want a second opinion")
    assert "why do you want a second opinion" in said and "member ID" not in said   # the agent verified them


def test_nobody_claims_in_time_so_the_member_gets_a_callback(world):
    assert "An agent will join" in text(world, "can i speak to a representative", phone=OTHER_PHONE)
    conversation_id = sms.conversation_id(OTHER_PHONE, "test-id-key")
    with session_scope() as session:                                 # as if the claim time had passed
        row = session.execute(select(Handoff).where(Handoff.conversation_id == conversation_id)).scalar_one()
        session.execute(update(Handoff).where(Handoff.id == row.id)
                        .values(created_at=row.created_at.replace(year=row.created_at.year - 1)))
    texted(world, OTHER_PHONE, "no one from member services could join")
    assert "When is a good time" in text(world, "209-555-0134", phone=OTHER_PHONE)
    assert "ending in 0134" in text(world, "weekday mornings", phone=OTHER_PHONE)
    with session_scope() as session:
        task = session.execute(select(CallbackTask).where(CallbackTask.conversation_id == conversation_id)).scalar_one()
    assert (task.phone, task.preferred_time, task.status) == ("+12095550134", "weekday mornings", "open")
