"""Two gateway workers sharing web chat sessions and live delivery through Redis
(REDIS_URL): here two apps in one process, each TestClient running its app on an event
loop of its own, as a worker would. A member's chat resumes on the other worker, and an
agent on one worker reaches a member on the other once. Without REDIS_URL nothing goes
to Redis and one process works as before. The assistant is a stand-in."""

import contextlib
import uuid
from types import SimpleNamespace

import pytest
import redis
from fastapi.testclient import TestClient

from bot import agents, handoff
from bot.conversation_ids import web_id
from bot.messages import text
from bot.web import live, shared_state
from tests.web.test_console import PASSWORD, csrf_of, sign_in

REDIS_URL = "redis://127.0.0.1:6379/0"


@pytest.fixture(scope="module", autouse=True)
def accounts():
    with contextlib.suppress(ValueError):
        agents.create_agent("maria.c", "Maria C", PASSWORD)


@pytest.fixture
def prefix(monkeypatch):
    """This run's keys and channel in Redis, removed afterwards."""
    prefix = f"so-test-{uuid.uuid4().hex}:"
    monkeypatch.setenv("REDIS_PREFIX", prefix)
    return prefix


@pytest.fixture
def shared_redis(monkeypatch, prefix):
    server = redis.Redis.from_url(REDIS_URL)
    try:
        server.ping()
    except redis.RedisError as exc:
        pytest.skip(f"Redis is not reachable at {REDIS_URL}: {exc}")
    monkeypatch.setenv("REDIS_URL", REDIS_URL)
    yield server
    for key in server.scan_iter(match=f"{prefix}*"):
        server.delete(key)
    server.close()


def make_app():
    asked = []

    async def ask(sender, message, channel):
        asked.append(message)
        return [{"text": text("verified", "es", first_name="Ana", plan_name="Health Plan of San Joaquin"),
                 "buttons": [{"title": "Sí", "payload": "/affirm"}]}]  # fmt: skip

    async def run_action(sender, action):
        return [{"text": "You're back with the assistant. How can I help?"}]

    from bot.web.app import create_app

    app = create_app(assistant=SimpleNamespace(ask=ask, run_action=run_action))
    app.asked = asked
    return app


@contextlib.contextmanager
def two_workers():
    a, b = make_app(), make_app()
    with TestClient(a, base_url="http://127.0.0.1") as worker_a, TestClient(b, base_url="http://127.0.0.1") as worker_b:
        yield worker_a, worker_b


def answer(ws, message):
    ws.send_json(message)
    got = ws.receive_json()
    while got["type"] == "typing":
        got = ws.receive_json()
    return got


def hello(ws, token):
    ws.send_json({"type": "hello", "session": token})
    assert ws.receive_json() == {"type": "welcome", "session": token}


def test_a_chat_session_made_on_one_worker_is_resumed_on_another(shared_redis, prefix):
    token = f"shared-session-{uuid.uuid4().hex}"
    with two_workers() as (worker_a, worker_b):
        with worker_a.websocket_connect("/ws/chat") as member:
            hello(member, token)
            first = answer(member, {"type": "message", "id": "m1", "text": "DEMO2002 12/2/1975"})
        assert first["lang"] == "es"
        assert 0 < shared_redis.ttl(f"{prefix}chat:{token}") <= shared_state.SESSION_SECONDS
        with worker_b.websocket_connect("/ws/chat") as member:
            hello(member, token)
            assert answer(member, {"type": "message", "id": "m1", "text": "DEMO2002 12/2/1975"}) == first
            assert worker_b.app.asked == []  # the resend was answered from the session
            again = answer(member, {"type": "message", "id": "m2", "payload": "/affirm", "text": "Sí"})
        assert worker_b.app.asked == ["/affirm"]  # the button offered on worker A
        assert again["lang"] == "es"


def test_an_agent_on_one_worker_reaches_a_member_on_another_once(shared_redis):
    token = f"shared-live-{uuid.uuid4().hex}"
    sender = web_id(token)
    hid = handoff.open_handoff(sender, "web", "partnership", "asked", {"verified": False}, [])
    with two_workers() as (worker_a, worker_b):
        sign_in(worker_b)
        agent = {"cookie": f"so_console={worker_b.cookies['so_console']}"}
        with (
            worker_b.websocket_connect("/ws/chat") as member,
            worker_b.websocket_connect("/console/live", headers=agent) as console,
        ):
            hello(member, token)
            sign_in(worker_a)
            page = worker_a.get("/console").text
            worker_a.post(f"/console/handoffs/{hid}/claim", data={"csrf": csrf_of(page)})
            assert console.receive_json() == {"type": "queue", "handoff": hid}  # worker B's console
            assert member.receive_json()["type"] == "notice"
            page = worker_a.get(f"/console/handoffs/{hid}").text
            worker_a.post(f"/console/handoffs/{hid}/reply", data={"csrf": csrf_of(page), "body": "Hi, I'm Maria."})
            said = member.receive_json()
            assert (said["type"], said["text"]) == ("agent", "Hi, I'm Maria.")
            worker_a.post(f"/console/handoffs/{hid}/hand-back", data={"csrf": csrf_of(page)})
            assert member.receive_json()["type"] == "push"  # the next after the agent's words: no second copy
            assert answer(member, {"type": "message", "id": "m1", "text": "thanks"})["type"] == "bot"


def test_without_redis_one_process_keeps_its_state_in_memory(monkeypatch, prefix):
    monkeypatch.delenv("REDIS_URL", raising=False)
    assert isinstance(shared_state.chat_sessions(), shared_state.MemorySessions)
    token = f"memory-session-{uuid.uuid4().hex}"
    sender = web_id(token)
    hid = handoff.open_handoff(sender, "web", "partnership", "asked", {"verified": False}, [])
    handoff.claim(hid, "maria.c", "Maria C")
    app = make_app()
    with TestClient(app, base_url="http://127.0.0.1") as worker:
        with worker.websocket_connect("/ws/chat") as member:
            hello(member, token)
            first = answer(member, {"type": "message", "id": "m1", "text": "hola"})
        with worker.websocket_connect("/ws/chat") as member:
            hello(member, token)
            assert answer(member, {"type": "message", "id": "m1", "text": "hola"}) == first
            message = handoff.post_agent_message(hid, "maria.c", "Maria C", "Hola, soy Maria.")
            worker.portal.call(live.agent_said, app, handoff.get(hid), message)
            assert member.receive_json()["text"] == "Hola, soy Maria."
            assert answer(member, {"type": "message", "id": "m2", "text": "gracias"})["type"] == "held"
        assert not hasattr(app.state, "live_hub")  # no relay
    with contextlib.suppress(redis.RedisError):
        assert list(redis.Redis.from_url(REDIS_URL).scan_iter(match=f"{prefix}*")) == []


async def test_memory_sessions_expire_and_are_bounded():
    store = shared_state.MemorySessions(seconds=60, limit=2)
    for token in ("a", "b", "c"):
        await store.save(token, shared_state.ChatSession(lang=token))
    assert await store.load("a") is None  # the least recently used went first
    assert (await store.load("c")).lang == "c"
    stale = shared_state.MemorySessions(seconds=-1)
    await stale.save("a", shared_state.ChatSession())
    assert await stale.load("a") is None


def test_a_session_round_trips_through_json():
    session = shared_state.ChatSession("es", offered={"/affirm": "Sí"})
    session.answers["m1"] = [{"text": "hola", "buttons": []}]
    session.answers["m2"] = None
    assert shared_state.ChatSession.from_json(session.to_json()) == session
    assert shared_state.ChatSession.from_json("not json") is None
